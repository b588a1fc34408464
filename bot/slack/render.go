package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// Block Kit limits, counted in characters (runes) as Slack counts them.
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxFields       = 10
	maxFieldText    = 2000
	maxHeaderText   = 150
	maxContextElems = 10
	maxActionElems  = 25
	maxButtonText   = 75
	maxButtonValue  = 2000
	maxButtonURL    = 3000
	maxActionID     = 255
	maxFallbackText = 3000
)

// Limits of our own that keep one list entry from crowding out the others.
const (
	maxItemText   = 300
	maxItemDetail = 300
	maxItemURL    = 1000
	maxFieldName  = 200
	maxTitleText  = 150
	// maxShortHeading is the longest section heading that shares a block
	// with the section's list.
	maxShortHeading = 300
)

// Action ids of the buttons the renderer makes. Presses of link buttons
// also reach the interactivity endpoint and are ignored.
const (
	actionRun  = "callboard.run."
	actionMore = "callboard.more."
	actionLink = "callboard.link."
	actionForm = "callboard.form"
)

// buttonValue is a command button's value: everything a press needs, so
// that no state is kept between rendering a button and its press.
type buttonValue struct {
	Action  string `json:"a"`
	Shared  bool   `json:"s,omitempty"`
	Mention bool   `json:"m,omitempty"`
}

// Render turns a reply into Block Kit blocks and the plain-text fallback
// Slack shows in notifications. It enforces every Block Kit limit: long
// text and lists are cut with a visible "…and N more", and parts that cannot
// be shown at all (an over-long URL, the 26th button) are counted in the
// footer. A Form is not part of the message: the adapter opens it as a
// modal.
func Render(r bot.Reply) (fallback string, blocks []slack.Block) {
	return render(r, nil)
}

// render is Render with an extra button that runs a plain-words input again
// (the "Open form" button of a mention whose reply is a form).
func render(r bot.Reply, rerun *bot.Button) (string, []slack.Block) {
	var body []slack.Block
	var notes []string

	if title := strings.TrimSpace(r.Title); title != "" {
		body = append(body, slack.NewHeaderBlock(plainText(cut(title, maxHeaderText))))
	}
	if strings.TrimSpace(r.Text) != "" {
		body = append(body, section(fitEscaped(r.Text, maxSectionText, moreCharacters)))
	}
	body = append(body, fieldBlocks(r.Fields)...)
	for i, s := range r.Sections {
		body = append(body, sectionBlocks(i, s)...)
	}

	actions, dropped := actionElements(r, rerun)
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("…and %d more actions", dropped))
	}

	tail := 0
	if len(actions) > 0 {
		tail++
	}
	if strings.TrimSpace(r.Footer) != "" || len(notes) > 0 || len(body)+tail > maxBlocks {
		tail++ // the context block
	}
	if limit := maxBlocks - tail; len(body) > limit {
		notes = append(notes, fmt.Sprintf("…and %d more not shown", len(body)-limit))
		body = body[:limit]
	}

	blocks := body
	if len(actions) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", actions...))
	}
	if ctx := contextElements(r.Footer, notes); len(ctx) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", ctx...))
	}
	return fallbackText(r), blocks
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func markdown(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(markdown(text), nil, nil)
}

func fieldBlocks(fields []bot.Field) []slack.Block {
	var texts []*slack.TextBlockObject
	for _, f := range fields {
		if t := fieldText(f); t != "" {
			texts = append(texts, markdown(t))
		}
	}
	var blocks []slack.Block
	for len(texts) > 0 {
		n := min(len(texts), maxFields)
		blocks = append(blocks, slack.NewSectionBlock(nil, texts[:n], nil))
		texts = texts[n:]
	}
	return blocks
}

func fieldText(f bot.Field) string {
	name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
	var head string
	if name != "" {
		head = "*" + fitEscaped(name, maxFieldName, nil) + "*"
		if value == "" {
			return head
		}
		head += "\n"
	}
	if value == "" {
		return head
	}
	return head + fitEscaped(value, maxFieldText-utf8.RuneCountInString(head), moreCharacters)
}

// sectionBlocks renders one titled section: its heading and prose, its
// fields, its list cut to one section block with "…and N more", and a
// "Show more" button when the section names a command for the rest.
func sectionBlocks(index int, s bot.Section) []slack.Block {
	var head []string
	if t := strings.TrimSpace(s.Title); t != "" {
		head = append(head, "*"+fitEscaped(t, maxTitleText, nil)+"*")
	}
	if strings.TrimSpace(s.Text) != "" {
		head = append(head, fitEscaped(s.Text, maxSectionText-maxTitleText-3, moreCharacters))
	}
	heading := strings.Join(head, "\n")

	var blocks []slack.Block
	if h := utf8.RuneCountInString(heading); h <= maxShortHeading {
		// A short heading shares the list's block.
		limit := maxSectionText
		if h > 0 {
			limit -= h + 1
		}
		list, hidden := listText(s, limit)
		if parts := nonEmpty(heading, list); len(parts) > 0 {
			blocks = append(blocks, section(strings.Join(parts, "\n")))
		}
		return append(blocks, sectionTail(index, s, hidden)...)
	}
	list, hidden := listText(s, maxSectionText)
	blocks = append(blocks, section(heading))
	if list != "" {
		blocks = append(blocks, section(list))
	}
	return append(blocks, sectionTail(index, s, hidden)...)
}

// sectionTail renders a section's fields and its "Show more" button.
func sectionTail(index int, s bot.Section, hidden int) []slack.Block {
	var blocks []slack.Block
	blocks = append(blocks, fieldBlocks(s.Fields)...)
	if hidden > 0 && strings.TrimSpace(s.MoreAction) != "" {
		if b := commandButton(actionMore+fmt.Sprint(index), bot.Button{
			Text:   fmt.Sprintf("Show %d more", hidden),
			Action: s.MoreAction,
		}, false); b != nil {
			blocks = append(blocks, slack.NewActionBlock("", b))
		}
	}
	return blocks
}

// listText renders a section's items as bullet lines of at most limit
// runes, ending with "…and N more" when some are not shown. It returns the
// text and how many entries it left out, counting those beyond Items that
// Total reports.
func listText(s bot.Section, limit int) (string, int) {
	total := max(s.Total, len(s.Items))
	if total == 0 {
		return "", 0
	}
	// Room for the longest "…and N more" line.
	budget := limit - utf8.RuneCountInString(andMore(total)) - 1
	var b strings.Builder
	used, shown := 0, 0
	for _, it := range s.Items {
		line := itemLine(it)
		n := utf8.RuneCountInString(line)
		if used > 0 {
			n++ // the newline
		}
		if used+n > budget {
			break
		}
		if used > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
		used += n
		shown++
	}
	hidden := total - shown
	if hidden > 0 {
		if used > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(andMore(hidden))
	}
	return b.String(), hidden
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func andMore(n int) string { return fmt.Sprintf("…and %d more", n) }

func moreCharacters(n int) string { return fmt.Sprintf("…\n…and %d more characters", n) }

var (
	slackUserID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
)

// itemLine renders one list entry: "• <url|text> (<@U…>) — detail".
func itemLine(it bot.Item) string {
	text := fitEscaped(strings.TrimSpace(it.Text), maxItemText, nil)
	if u := linkTarget(it.URL); u != "" {
		if text == "" {
			text = fitEscaped(it.URL, maxItemText, nil)
		}
		text = "<" + u + "|" + text + ">"
	}
	if id := strings.TrimSpace(it.ChatUserID); slackUserID.MatchString(id) {
		if text == "" {
			text = "<@" + id + ">"
		} else {
			text += " (<@" + id + ">)"
		}
	}
	if id := strings.TrimSpace(it.ChatChannelID); slackChannelID.MatchString(id) {
		if text == "" {
			text = "<#" + id + ">"
		} else {
			text += " <#" + id + ">"
		}
	}
	if d := strings.TrimSpace(it.Detail); d != "" {
		text += " — " + fitEscaped(d, maxItemDetail, nil)
	}
	return "• " + text
}

// linkTarget returns u escaped for use inside <…|…>, or "" when u is not an
// http, https or mailto URL short enough to show.
func linkTarget(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
		return ""
	}
	s := linkEscaper.Replace(u.String())
	if utf8.RuneCountInString(s) > maxItemURL {
		return ""
	}
	return s
}

// actionElements renders command buttons, then link buttons, at most 25,
// and counts those it had to leave out.
func actionElements(r bot.Reply, rerun *bot.Button) ([]slack.BlockElement, int) {
	var els []slack.BlockElement
	dropped := 0
	add := func(el *slack.ButtonBlockElement) {
		if el == nil || len(els) == maxActionElems {
			dropped++
			return
		}
		els = append(els, el)
	}
	if rerun != nil {
		add(commandButton(actionForm, *rerun, true))
	}
	for i, b := range r.Buttons {
		add(commandButton(actionRun+fmt.Sprint(i), b, false))
	}
	for i, l := range r.Links {
		add(linkButton(actionLink+fmt.Sprint(i), l))
	}
	return els, dropped
}

// commandButton returns a button that runs b.Action, or nil when the
// action is empty or does not fit a button value.
func commandButton(actionID string, b bot.Button, mention bool) *slack.ButtonBlockElement {
	action := strings.TrimSpace(b.Action)
	if action == "" {
		return nil
	}
	value, err := json.Marshal(buttonValue{Action: action, Shared: b.Shared, Mention: mention})
	if err != nil || utf8.RuneCount(value) > maxButtonValue {
		return nil
	}
	label := strings.TrimSpace(b.Text)
	if label == "" {
		label = action
	}
	el := slack.NewButtonBlockElement(cut(actionID, maxActionID), string(value), plainText(cut(label, maxButtonText)))
	switch b.Style {
	case "primary":
		el.Style = slack.StylePrimary
	case "danger":
		el.Style = slack.StyleDanger
	}
	return el
}

// linkButton returns a button that opens l.URL, or nil when the URL is not
// http(s) or too long for a button.
func linkButton(actionID string, l bot.Link) *slack.ButtonBlockElement {
	u, err := url.Parse(strings.TrimSpace(l.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || utf8.RuneCountInString(u.String()) > maxButtonURL {
		return nil
	}
	label := strings.TrimSpace(l.Text)
	if label == "" {
		label = u.Host
	}
	el := slack.NewButtonBlockElement(cut(actionID, maxActionID), "", plainText(cut(label, maxButtonText)))
	el.URL = u.String()
	return el
}

func contextElements(footer string, notes []string) []slack.MixedElement {
	var els []slack.MixedElement
	if f := strings.TrimSpace(footer); f != "" {
		els = append(els, markdown(fitEscaped(f, maxSectionText, moreCharacters)))
	}
	for _, n := range notes {
		if len(els) == maxContextElems {
			break
		}
		els = append(els, markdown(n))
	}
	return els
}

// fallbackText is the reply as plain text: what notifications, screen
// readers and clients without Block Kit show. Mentions are left out so that
// a list of owners does not notify them.
func fallbackText(r bot.Reply) string {
	var lines []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	add(r.Title)
	add(r.Text)
	for _, f := range r.Fields {
		add(fieldLine(f))
	}
	for _, s := range r.Sections {
		add(s.Title)
		add(s.Text)
		for _, f := range s.Fields {
			add(fieldLine(f))
		}
		for _, it := range s.Items {
			line := "• " + it.Text
			if it.Detail != "" {
				line += " — " + it.Detail
			}
			add(line)
		}
		if hidden := max(s.Total, len(s.Items)) - len(s.Items); hidden > 0 {
			add(andMore(hidden))
		}
	}
	text := strings.Join(lines, "\n")
	if text == "" {
		text = strings.TrimSpace(r.Footer)
	}
	if text == "" {
		text = "(no text)"
	}
	return fitEscaped(text, maxFallbackText, nil)
}

func fieldLine(f bot.Field) string {
	name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
	if name == "" || value == "" {
		return name + value
	}
	return name + ": " + value
}

var (
	mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	linkEscaper   = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C", " ", "%20")
)

// escape makes user text safe in mrkdwn: Slack reads only &, < and > as
// markup, so only they are escaped.
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

// fitEscaped escapes s and cuts it so the result has at most limit runes.
// A cut text ends with more(n), n being the runes of s left out, or with
// "…" when more is nil. The cut never splits an escape sequence and prefers
// a line break or space in the last fifth of the text kept.
func fitEscaped(s string, limit int, more func(n int) string) string {
	e := escape(s)
	if utf8.RuneCountInString(e) <= limit {
		return e
	}
	runes := []rune(s)
	suffix := func(n int) string {
		if more == nil {
			return "…"
		}
		return more(n)
	}
	budget := limit - utf8.RuneCountInString(suffix(len(runes)))
	if budget < 0 {
		budget = 0
	}
	used, keep, lastBreak := 0, 0, -1
	for i, r := range runes {
		n := utf8.RuneCountInString(escape(string(r)))
		if used+n > budget {
			break
		}
		used += n
		keep = i + 1
		if r == '\n' || r == ' ' {
			lastBreak = i
		}
	}
	if lastBreak > 0 && lastBreak >= keep*4/5 {
		keep = lastBreak
	}
	return escape(strings.TrimRight(string(runes[:keep]), " \n")) + suffix(len(runes)-keep)
}

// cut shortens plain text to at most limit runes, ending a cut text with "…".
func cut(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit-1]) + "…"
}
