package discord

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// Discord's message limits, counted in runes.
const (
	maxContent       = 2000
	maxEmbeds        = 10
	maxEmbedTotal    = 6000
	maxTitle         = 256
	maxDescription   = 4096
	maxFields        = 25
	maxFieldName     = 256
	maxFieldValue    = 1024
	maxFooter        = 2048
	maxRows          = 5
	maxRowButtons    = 5
	maxButtons       = maxRows * maxRowButtons
	maxLabel         = 80
	maxCustomID      = 100
	maxURL           = 512
	maxItemText      = 200
	maxItemDetail    = 300
	emptyFieldFiller = "\u200b" // Discord refuses empty field names and values
	nothingToShow    = "Nothing to show."
)

// Message is a rendered reply in the shape every Discord endpoint that
// creates or edits a message accepts. Render never returns one that breaks
// a Discord limit, and AllowedMentions always parses nothing.
type Message struct {
	Content         string                       `json:"content"`
	Embeds          []*discordgo.MessageEmbed    `json:"embeds"`
	Components      []discordgo.MessageComponent `json:"components"`
	AllowedMentions AllowedMentions              `json:"allowed_mentions"`
	Flags           discordgo.MessageFlags       `json:"flags,omitempty"`
}

// AllowedMentions is Discord's allowed_mentions object. The zero value,
// which Render always uses, lets the message notify nobody.
type AllowedMentions struct {
	Parse []string `json:"parse"`
}

func noMentions() AllowedMentions { return AllowedMentions{Parse: []string{}} }

// Render turns a reply into a Discord message: Title, Text and Fields make
// the first embed, each Section an embed of its own (its items as a list
// with links and mentions), Links and Buttons rows of buttons, Footer the
// last embed's footer. Text is escaped, and everything too long or too many
// is cut with a visible "…" or "…and N more"; buttons that do not fit are
// listed as text. Ephemeral becomes flag 64. Form is ignored here: the
// adapter shows it as a modal or an "open form" button.
func Render(r bot.Reply) Message {
	return render(r, nil)
}

// render is Render with lead, when not nil, as the first button.
func render(r bot.Reply, lead *discordgo.Button) Message {
	m := Message{
		Embeds:          []*discordgo.MessageEmbed{},
		Components:      []discordgo.MessageComponent{},
		AllowedMentions: noMentions(),
	}
	if r.Ephemeral {
		m.Flags = discordgo.MessageFlagsEphemeral
	}
	buttons, spill := renderButtons(r, lead)

	var ps pieces
	main := &discordgo.MessageEmbed{}
	ps.title(main, r.Title)
	ps.text(main, r.Text)
	ps.fields(main, r.Fields)
	if len(ps) > 0 {
		m.Embeds = append(m.Embeds, main)
	}

	var sections []bot.Section
	for _, s := range r.Sections {
		if s.Title != "" || s.Text != "" || len(s.Fields) > 0 || len(s.Items) > 0 || s.Total > 0 {
			sections = append(sections, s)
		}
	}
	slots := maxEmbeds - len(m.Embeds)
	if len(spill) > 0 {
		slots--
	}
	var hiddenSections []bot.Section
	if len(sections) > slots {
		hiddenSections = sections[slots-1:]
		sections = sections[:slots-1]
	}
	for _, s := range sections {
		e := &discordgo.MessageEmbed{}
		ps.title(e, s.Title)
		lines := make([]string, 0, len(s.Items))
		for _, it := range s.Items {
			lines = append(lines, itemLine(it))
		}
		hidden := 0
		if s.Total > len(s.Items) {
			hidden = s.Total - len(s.Items)
		}
		ps.list(e, s.Text, lines, hidden, s.MoreAction, weightDescription)
		ps.fields(e, s.Fields)
		m.Embeds = append(m.Embeds, e)
	}
	if len(hiddenSections) > 0 {
		e := &discordgo.MessageEmbed{Title: "…and " + strconv.Itoa(len(hiddenSections)) + " more sections"}
		lines := make([]string, 0, len(hiddenSections))
		for _, s := range hiddenSections {
			if s.Title != "" {
				lines = append(lines, "• "+cutEscaped(s.Title, maxItemText))
			}
		}
		ps.list(e, "", lines, 0, "", weightSpill)
		m.Embeds = append(m.Embeds, e)
	}
	if len(spill) > 0 {
		e := &discordgo.MessageEmbed{Title: "More"}
		ps.list(e, "", spill, 0, "", weightSpill)
		m.Embeds = append(m.Embeds, e)
	}
	if r.Footer != "" {
		if len(m.Embeds) == 0 {
			m.Embeds = append(m.Embeds, &discordgo.MessageEmbed{})
		}
		ps.footer(m.Embeds[len(m.Embeds)-1], r.Footer)
	}
	ps.fit(maxEmbedTotal - embedsFixedRunes(m.Embeds))

	for len(buttons) > 0 {
		n := min(len(buttons), maxRowButtons)
		row := discordgo.ActionsRow{}
		for _, b := range buttons[:n] {
			row.Components = append(row.Components, b)
		}
		m.Components = append(m.Components, row)
		buttons = buttons[n:]
	}
	if len(m.Embeds) == 0 && len(m.Components) == 0 {
		m.Content = nothingToShow
	}
	return m
}

// embedsFixedRunes counts the text set outside pieces (notice titles).
func embedsFixedRunes(es []*discordgo.MessageEmbed) int {
	n := 0
	for _, e := range es {
		n += utf8.RuneCountInString(e.Title)
	}
	return n
}

// renderButtons returns the buttons that fit, in order: lead, links,
// command buttons, then "more" buttons for cut sections. Links and commands
// that cannot be buttons come back as list lines instead.
func renderButtons(r bot.Reply, lead *discordgo.Button) ([]discordgo.Button, []string) {
	var out []discordgo.Button
	var spill []string
	add := func(b discordgo.Button) bool {
		if len(out) >= maxButtons {
			return false
		}
		out = append(out, b)
		return true
	}
	if lead != nil {
		add(*lead)
	}
	for _, l := range r.Links {
		u, ok := safeURL(l.URL)
		label := l.Text
		if label == "" {
			label = l.URL
		}
		if !ok {
			spill = append(spill, "• "+cutEscaped(label, maxItemText)+" — "+cutEscaped(l.URL, maxURL))
			continue
		}
		if !add(discordgo.Button{Label: cut(label, maxLabel), Style: discordgo.LinkButton, URL: u}) {
			spill = append(spill, "• ["+cutEscaped(label, maxItemText)+"]("+u+")")
		}
	}
	next := 0
	command := func(label, action, style string, shared bool) {
		if label == "" {
			label = action
		}
		id, ok := encodeAction(action, shared, next)
		next++
		if !ok || !add(discordgo.Button{Label: cut(label, maxLabel), Style: buttonStyle(style), CustomID: id}) {
			if action != "" {
				spill = append(spill, "• "+cutEscaped(label, maxItemText)+": "+code(action))
			}
		}
	}
	for _, b := range r.Buttons {
		command(b.Text, b.Action, b.Style, b.Shared)
	}
	// The "…and N more" trailer names each section's MoreAction, so a
	// button for it is added only when it fits.
	for _, s := range r.Sections {
		if s.MoreAction == "" || s.Total <= len(s.Items) || len(out) >= maxButtons {
			continue
		}
		if id, ok := encodeAction(s.MoreAction, false, next); ok {
			next++
			label := "More"
			if s.Title != "" {
				label = "More: " + s.Title
			}
			add(discordgo.Button{Label: cut(label, maxLabel), Style: discordgo.SecondaryButton, CustomID: id})
		}
	}
	return out, spill
}

func buttonStyle(s string) discordgo.ButtonStyle {
	switch s {
	case "primary":
		return discordgo.PrimaryButton
	case "danger":
		return discordgo.DangerButton
	case "success":
		return discordgo.SuccessButton
	default:
		return discordgo.SecondaryButton
	}
}

// itemLine renders a list entry: its text (a link when URL is safe),
// mentions for ChatUserID and ChatChannelID, and the detail.
func itemLine(it bot.Item) string {
	text := cutEscaped(it.Text, maxItemText)
	if u, ok := safeURL(it.URL); ok && text != "" {
		text = "[" + text + "](" + u + ")"
	}
	if isSnowflake(it.ChatUserID) {
		if text != "" {
			text += " "
		}
		text += "<@" + it.ChatUserID + ">"
	}
	if isSnowflake(it.ChatChannelID) {
		if text != "" {
			text += " "
		}
		text += "<#" + it.ChatChannelID + ">"
	}
	if it.Detail != "" {
		text += " — " + cutEscaped(it.Detail, maxItemDetail)
	}
	return "• " + text
}

// code shows a command line as inline code, escaped text when it holds a
// backtick.
func code(s string) string {
	s = cut(s, maxItemText)
	if strings.Contains(s, "`") {
		return escape(s)
	}
	return "`" + s + "`"
}

// pieces are the embed texts sharing the 6000-rune budget. Each knows its
// full rendering up to its own limit and how to render shorter.
type pieces []piece

type piece struct {
	want   int
	weight int // share of the budget relative to other pieces
	render func(limit int) string
	set    func(string)
}

// Weights give descriptions, which hold the text and lists people asked
// for, more of a tight budget than titles, fields, footers and the list of
// buttons that did not fit.
const (
	weightLabel       = 1
	weightSpill       = 2
	weightDescription = 8
)

func (ps *pieces) add(limit, weight int, render func(int) string, set func(string)) {
	full := render(limit)
	*ps = append(*ps, piece{want: utf8.RuneCountInString(full), weight: weight, render: render, set: set})
}

func (ps *pieces) title(e *discordgo.MessageEmbed, s string) {
	if s == "" {
		return
	}
	ps.add(maxTitle, weightLabel, func(n int) string { return cutEscaped(s, n) }, func(v string) { e.Title = v })
}

func (ps *pieces) text(e *discordgo.MessageEmbed, s string) {
	if s == "" {
		return
	}
	ps.add(maxDescription, weightDescription, func(n int) string { return cutEscaped(s, n) }, func(v string) { e.Description = v })
}

func (ps *pieces) list(e *discordgo.MessageEmbed, head string, lines []string, hidden int, more string, weight int) {
	if head == "" && len(lines) == 0 && hidden == 0 {
		return
	}
	ps.add(maxDescription, weight, func(n int) string { return renderList(head, lines, hidden, more, n) },
		func(v string) { e.Description = v })
}

func (ps *pieces) footer(e *discordgo.MessageEmbed, s string) {
	// Footers show no markdown, so they are cut but not escaped.
	ps.add(maxFooter, weightLabel, func(n int) string { return cut(s, n) }, func(v string) {
		e.Footer = &discordgo.MessageEmbedFooter{Text: v}
	})
}

func (ps *pieces) fields(e *discordgo.MessageEmbed, fs []bot.Field) {
	if len(fs) == 0 {
		return
	}
	shown := fs
	if len(fs) > maxFields {
		shown = fs[:maxFields-1]
	}
	for _, f := range shown {
		field := &discordgo.MessageEmbedField{Inline: true}
		e.Fields = append(e.Fields, field)
		name, value := f.Name, f.Value
		ps.add(maxFieldName, weightLabel, func(n int) string { return orFiller(cutEscaped(name, n)) },
			func(v string) { field.Name = v })
		ps.add(maxFieldValue, weightLabel, func(n int) string { return orFiller(cutEscaped(value, n)) },
			func(v string) { field.Value = v })
	}
	if len(fs) > maxFields {
		field := &discordgo.MessageEmbedField{Value: emptyFieldFiller}
		e.Fields = append(e.Fields, field)
		notice := "…and " + strconv.Itoa(len(fs)-len(shown)) + " more"
		ps.add(maxFieldName, weightLabel, func(n int) string { return orFiller(cut(notice, n)) }, func(v string) { field.Name = v })
	}
}

func orFiller(s string) string {
	if s == "" {
		return emptyFieldFiller
	}
	return s
}

// fit renders every piece within budget runes in total. When the full
// texts do not fit, each piece is capped at a common length times its
// weight, the largest that fits: long texts are cut first, short ones stay
// whole.
func (ps pieces) fit(budget int) {
	total, longest := 0, 0
	for _, p := range ps {
		total += p.want
		longest = max(longest, p.want)
	}
	if total <= budget {
		for _, p := range ps {
			p.set(p.render(p.want))
		}
		return
	}
	size := func(unit int) int {
		sum := 0
		for _, p := range ps {
			sum += min(p.want, unit*p.weight)
		}
		return sum
	}
	lo, hi := 0, longest
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if size(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for _, p := range ps {
		p.set(p.render(max(1, min(p.want, lo*p.weight))))
	}
}

// renderList renders head (plain text), then lines (already escaped), then
// "…and N more" for the lines that did not fit plus hidden, within limit
// runes. The trailer names the more command when there is room for it.
func renderList(head string, lines []string, hidden int, more string, limit int) string {
	if len(lines) == 0 && hidden == 0 {
		return cutEscaped(head, limit)
	}
	trailer := func(n int, withMore bool) string {
		t := "…and " + strconv.Itoa(n) + " more"
		if withMore && more != "" {
			t += " — " + code(more)
		}
		return t
	}
	if hidden == 0 {
		full := escape(head)
		if full != "" {
			full += "\n"
		}
		full += strings.Join(lines, "\n")
		if utf8.RuneCountInString(full) <= limit {
			return full
		}
	}
	worst := utf8.RuneCountInString(trailer(len(lines)+hidden, true))
	var b strings.Builder
	n := 0
	if head != "" {
		h := cutEscaped(head, max(0, min(limit-worst-1, maxDescription/2)))
		b.WriteString(h)
		n = utf8.RuneCountInString(h)
	}
	shown := 0
	for i, line := range lines {
		sep := 0
		if n > 0 {
			sep = 1
		}
		need := n + sep + utf8.RuneCountInString(line)
		if rest := len(lines) - i - 1 + hidden; rest > 0 {
			need += 1 + utf8.RuneCountInString(trailer(rest, true))
		}
		if need > limit {
			break
		}
		if sep > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
		n += sep + utf8.RuneCountInString(line)
		shown++
	}
	if rest := len(lines) - shown + hidden; rest > 0 {
		sep := ""
		if n > 0 {
			sep = "\n"
		}
		t := trailer(rest, true)
		if n+len(sep)+utf8.RuneCountInString(t) > limit {
			t = trailer(rest, false)
		}
		if n+len(sep)+utf8.RuneCountInString(t) > limit {
			if n == 0 {
				return cut(t, limit)
			}
			return b.String()
		}
		b.WriteString(sep + t)
	}
	return b.String()
}

// safeURL returns raw as a URL safe for a link button or a markdown link:
// http or https with a host, at most 512 runes, with characters that end a
// markdown link encoded.
func safeURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || utf8.RuneCountInString(raw) > maxURL {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	s := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u.String())
	if utf8.RuneCountInString(s) > maxURL {
		return "", false
	}
	return s, true
}

// escapeRune escapes the characters Discord markdown gives a meaning to;
// Discord drops a backslash before any punctuation, so over-escaping is
// harmless.
func escapeRune(r rune) string {
	switch r {
	case '\\', '*', '_', '~', '`', '|', '>', '<', '[', ']', '#', '-':
		return `\` + string(r)
	}
	return string(r)
}

// escape makes plain text show literally in Discord markdown, including
// text that looks like a mention.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(escapeRune(r))
	}
	return b.String()
}

// cutEscaped escapes s and cuts the result to at most limit runes, ending
// with "…" when cut; it never splits an escape.
func cutEscaped(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	var b strings.Builder
	n, fits := 0, 0 // fits: bytes of the longest prefix leaving room for "…"
	for _, r := range s {
		e := escapeRune(r)
		w := utf8.RuneCountInString(e)
		if n+w > limit {
			return b.String()[:fits] + "…"
		}
		b.WriteString(e)
		n += w
		if n <= limit-1 {
			fits = b.Len()
		}
	}
	return b.String()
}

// cut shortens plain s to at most limit runes, ending with "…" when cut.
func cut(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == limit-1 {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String() + "…"
}
