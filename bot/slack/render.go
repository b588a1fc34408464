package slack

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
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

// encode is v as json.Marshal writes it (with <, > and & escaped), written
// by hand because a button is rendered for nearly every answer.
func (v buttonValue) encode() string {
	return string(v.append(make([]byte, 0, len(v.Action)+len(`{"a":"","s":true,"m":true}`))))
}

// append appends v.encode() to dst.
func (v buttonValue) append(dst []byte) []byte {
	dst = append(dst, `{"a":`...)
	dst = appendJSONString(dst, v.Action, true)
	if v.Shared {
		dst = append(dst, `,"s":true`...)
	}
	if v.Mention {
		dst = append(dst, `,"m":true`...)
	}
	return append(dst, '}')
}

// Render turns a reply into Block Kit blocks and the plain-text fallback
// Slack shows in notifications. It enforces every Block Kit limit: long
// text and lists are cut with a visible "…and N more", and parts that cannot
// be shown at all (an over-long URL, the 26th button) are counted in the
// footer. A Form is not part of the message: the adapter opens it as a
// modal.
func Render(r bot.Reply) (fallback string, blocks []slack.Block) {
	return render(r, nil, nil)
}

// RenderForm returns the modal a reply's form opens as in Slack, the way
// the adapter builds it for a command typed in channel, for golden files
// of real command output. It fails as the adapter would: a view that cannot
// fit, or a submit action too long for private_metadata.
func RenderForm(r bot.Reply, channel string) (slack.ModalViewRequest, error) {
	if r.Form == nil {
		return slack.ModalViewRequest{}, errors.New("render form: the reply has no form")
	}
	return formView(*r.Form, r.Text, formState{Action: r.Form.SubmitAction, Channel: channel})
}

// render is Render with an extra button that runs a plain-words input again
// (the "Open form" button of a mention whose reply is a form), taking the
// text of sections it rendered before from memo when memo is not nil.
func render(r bot.Reply, rerun *bot.Button, memo *sectionMemo) (string, []slack.Block) {
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
		body = append(body, sectionBlocks(i, s, memo)...)
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

func fieldText(f bot.Field) string { return string(appendFieldText(nil, f)) }

// appendFieldText appends the mrkdwn of a field to dst: "*name*\nvalue",
// either part alone, or nothing when both are blank.
func appendFieldText(dst []byte, f bot.Field) []byte {
	name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
	if name == "" {
		if value == "" {
			return dst
		}
		return appendFitEscaped(dst, value, maxFieldText, moreCharacters)
	}
	dst = append(dst, '*')
	start := len(dst)
	dst = appendFitEscaped(dst, name, maxFieldName, nil)
	nameRunes := utf8.RuneCount(dst[start:])
	dst = append(dst, '*')
	if value == "" {
		return dst
	}
	// The value's room is what the heading "*name*\n" leaves.
	dst = append(dst, '\n')
	return appendFitEscaped(dst, value, maxFieldText-nameRunes-3, moreCharacters)
}

// sectionBlocks renders one titled section: its heading and prose, its
// fields, its list cut to one section block with "…and N more", and a
// "Show more" button when the section names a command for the rest.
func sectionBlocks(index int, s bot.Section, memo *sectionMemo) []slack.Block {
	t := memo.text(s)
	var blocks []slack.Block
	if t.heading != "" {
		blocks = append(blocks, section(t.heading))
	}
	if t.body != "" {
		blocks = append(blocks, section(t.body))
	}
	return append(blocks, sectionTail(index, s, t.hidden)...)
}

// sectionText is the mrkdwn of a section's heading and list.
type sectionText struct {
	// heading is a heading too long to share a block with the list; a
	// shorter one starts body.
	heading string
	body    string
	// hidden is how many list entries are not shown.
	hidden int
}

// renderSectionText renders the heading and list of s, which depend only
// on its Title, Text, Items and Total.
func renderSectionText(s bot.Section) sectionText {
	var head []string
	if t := strings.TrimSpace(s.Title); t != "" {
		head = append(head, "*"+fitEscaped(t, maxTitleText, nil)+"*")
	}
	if strings.TrimSpace(s.Text) != "" {
		head = append(head, fitEscaped(s.Text, maxSectionText-maxTitleText-3, moreCharacters))
	}
	heading := strings.Join(head, "\n")

	if h := utf8.RuneCountInString(heading); h <= maxShortHeading {
		// A short heading shares the list's block.
		limit := maxSectionText
		if h > 0 {
			limit -= h + 1
		}
		// The heading and the list, joined by a newline when both are
		// there, built in one buffer.
		b := make([]byte, 0, len(heading)+1+listSize(s))
		b = append(b, heading...)
		mark := len(b)
		if len(b) > 0 {
			b = append(b, '\n')
		}
		list := len(b)
		b, hidden := appendList(b, s, limit)
		if len(b) == list {
			b = b[:mark]
		}
		return sectionText{body: string(b), hidden: hidden}
	}
	list, hidden := listText(s, maxSectionText)
	return sectionText{heading: heading, body: list, hidden: hidden}
}

// sectionTail renders a section's fields and its "Show more" button.
func sectionTail(index int, s bot.Section, hidden int) []slack.Block {
	var blocks []slack.Block
	blocks = append(blocks, fieldBlocks(s.Fields)...)
	if hidden > 0 && strings.TrimSpace(s.MoreAction) != "" {
		if b := commandButton(actionMore+strconv.Itoa(index), bot.Button{
			Text:   "Show " + strconv.Itoa(hidden) + " more",
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
	b, hidden := appendList(make([]byte, 0, listSize(s)), s, limit)
	return string(b), hidden
}

// listSize guesses the bytes of a section's list, for sizing buffers.
func listSize(s bot.Section) int { return 128 * min(len(s.Items), listSizeHint) }

// appendList appends listText(s, limit) to b.
func appendList(b []byte, s bot.Section, limit int) ([]byte, int) {
	total := max(s.Total, len(s.Items))
	if total == 0 {
		return b, 0
	}
	// Room for the longest "…and N more" line.
	budget := limit - utf8.RuneCountInString(andMore(total)) - 1
	used, shown := 0, 0
	for _, it := range s.Items {
		mark := len(b)
		if used > 0 {
			b = append(b, '\n')
		}
		b = appendItemLine(b, it)
		n := utf8.RuneCount(b[mark:]) // the newline included
		if used+n > budget {
			b = b[:mark]
			break
		}
		used += n
		shown++
	}
	hidden := total - shown
	if hidden > 0 {
		if used > 0 {
			b = append(b, '\n')
		}
		b = append(b, andMore(hidden)...)
	}
	return b, hidden
}

// listSizeHint is how many list entries a reply usually has, for sizing
// buffers; bot/commands shows ten at a time.
const listSizeHint = 10

func andMore(n int) string { return "…and " + strconv.Itoa(n) + " more" }

func moreCharacters(n int) string { return "…\n…and " + strconv.Itoa(n) + " more characters" }

// isSlackID reports whether id is a Slack id starting with one of the
// prefix bytes: the prefix, then 2 to 20 of A-Z and 0-9. User ids start
// with U or W, channel ids with C or G.
func isSlackID(id, prefixes string) bool {
	if len(id) < 3 || len(id) > 21 || strings.IndexByte(prefixes, id[0]) < 0 {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// itemLine renders one list entry: "• <url|text> (<@U…>) — detail".
func itemLine(it bot.Item) string { return string(appendItemLine(nil, it)) }

// appendItemLine appends itemLine(it) to dst.
func appendItemLine(dst []byte, it bot.Item) []byte {
	dst = append(dst, "• "...)
	start := len(dst)
	text := fitEscaped(strings.TrimSpace(it.Text), maxItemText, nil)
	if u := linkTarget(it.URL); u != "" {
		if text == "" {
			text = fitEscaped(it.URL, maxItemText, nil)
		}
		dst = append(dst, '<')
		dst = append(dst, u...)
		dst = append(dst, '|')
		dst = append(dst, text...)
		dst = append(dst, '>')
	} else {
		dst = append(dst, text...)
	}
	if id := strings.TrimSpace(it.ChatUserID); isSlackID(id, "UW") {
		if len(dst) == start {
			dst = append(dst, "<@"...)
			dst = append(dst, id...)
			dst = append(dst, '>')
		} else {
			dst = append(dst, " (<@"...)
			dst = append(dst, id...)
			dst = append(dst, ">)"...)
		}
	}
	if id := strings.TrimSpace(it.ChatChannelID); isSlackID(id, "CG") {
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = append(dst, "<#"...)
		dst = append(dst, id...)
		dst = append(dst, '>')
	}
	if d := strings.TrimSpace(it.Detail); d != "" {
		dst = append(dst, " — "...)
		dst = append(dst, fitEscaped(d, maxItemDetail, nil)...)
	}
	return dst
}

// linkTarget returns u escaped for use inside <…|…>, or "" when u is not an
// http, https or mailto URL short enough to show.
func linkTarget(raw string) string {
	raw = strings.TrimSpace(raw)
	target := raw
	if _, ok := plainWebURL(raw); !ok {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
			return ""
		}
		target = u.String()
	}
	s := linkEscaper.Replace(target)
	if utf8.RuneCountInString(s) > maxItemURL {
		return ""
	}
	return s
}

// plainWebURL reports whether s is an http or https URL that url.Parse
// reads, and URL.String writes back, unchanged, and returns its host: a
// lowercase scheme, a host, and a path of letters, digits and - . _ ~ /
// only. Most links are; they skip parsing, which rendering an answer spent
// a good part of its time on. Other URLs are parsed.
func plainWebURL(s string) (host string, ok bool) {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return "", false
		}
	}
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~', c == '/':
		default:
			return "", false
		}
	}
	host, _, _ = strings.Cut(rest, "/")
	if host == "" || strings.Contains(rest, "//") {
		return "", false
	}
	return host, true
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
		add(commandButton(actionRun+strconv.Itoa(i), b, false))
	}
	for i, l := range r.Links {
		add(linkButton(actionLink+strconv.Itoa(i), l))
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
	value := buttonValue{Action: action, Shared: b.Shared, Mention: mention}.encode()
	if utf8.RuneCountInString(value) > maxButtonValue {
		return nil
	}
	el := slack.NewButtonBlockElement(cut(actionID, maxActionID), value, plainText(buttonLabel(b.Text, action)))
	el.Style = buttonStyle(b.Style)
	return el
}

// buttonLabel is the text of a button that runs action: its own text, else
// the action, cut to fit.
func buttonLabel(text, action string) string {
	label := strings.TrimSpace(text)
	if label == "" {
		label = action
	}
	return cut(label, maxButtonText)
}

// buttonStyle is the Block Kit style of a bot.Button style; the default
// is none.
func buttonStyle(style string) slack.Style {
	switch style {
	case "primary":
		return slack.StylePrimary
	case "danger":
		return slack.StyleDanger
	}
	return ""
}

// linkButton returns a button that opens l.URL, or nil when the URL is not
// http(s) or too long for a button.
func linkButton(actionID string, l bot.Link) *slack.ButtonBlockElement {
	target, label, ok := linkButtonParts(l)
	if !ok {
		return nil
	}
	el := slack.NewButtonBlockElement(cut(actionID, maxActionID), "", plainText(label))
	el.URL = target
	return el
}

// linkButtonParts returns the URL and label of the button that opens
// l.URL, or false when the URL is not http(s) or too long for a button.
func linkButtonParts(l bot.Link) (target, label string, ok bool) {
	target = strings.TrimSpace(l.URL)
	host, ok := plainWebURL(target)
	if !ok {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return "", "", false
		}
		target, host = u.String(), u.Host
	}
	if utf8.RuneCountInString(target) > maxButtonURL {
		return "", "", false
	}
	label = strings.TrimSpace(l.Text)
	if label == "" {
		label = host
	}
	return target, cut(label, maxButtonText), true
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
	text, _ := appendFallback(nil, make([]byte, 0, 512), r)
	return string(text)
}

// appendFallback appends fallbackText(r) to dst, building its lines in
// the scratch buffer lines, and returns both buffers.
func appendFallback(dst, lines []byte, r bot.Reply) (text, scratch []byte) {
	lines = appendFallbackLines(lines[:0], r)
	if len(lines) > 0 {
		return appendFitEscaped(dst, lines, maxFallbackText, nil), lines
	}
	footer := strings.TrimSpace(r.Footer)
	if footer == "" {
		footer = "(no text)"
	}
	return appendFitEscaped(dst, footer, maxFallbackText, nil), lines
}

// appendFallbackLines appends the lines of the fallback text, unescaped:
// the reply's texts trimmed, one a line, non-empty ones only.
func appendFallbackLines(b []byte, r bot.Reply) []byte {
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			if len(b) > 0 {
				b = append(b, '\n')
			}
			b = append(b, s...)
		}
	}
	addField := func(f bot.Field) {
		name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
		if name != "" && value != "" {
			add(name)
			b = append(b, ": "...)
			b = append(b, value...)
			return
		}
		add(name + value) // one of them is empty: no copy
	}
	add(r.Title)
	add(r.Text)
	for _, f := range r.Fields {
		addField(f)
	}
	for _, s := range r.Sections {
		add(s.Title)
		add(s.Text)
		for _, f := range s.Fields {
			addField(f)
		}
		for _, it := range s.Items {
			// "• text — detail", trimmed: the bullet is never space, so
			// only the end can be.
			mark := len(b)
			if len(b) > 0 {
				b = append(b, '\n')
			}
			b = append(b, "• "...)
			b = append(b, it.Text...)
			if it.Detail != "" {
				b = append(b, " — "...)
				b = append(b, it.Detail...)
			}
			b = b[:mark+len(bytes.TrimRightFunc(b[mark:], unicode.IsSpace))]
		}
		if hidden := max(s.Total, len(s.Items)) - len(s.Items); hidden > 0 {
			add(andMore(hidden))
		}
	}
	return b
}

var (
	mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	linkEscaper   = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C", " ", "%20")
)

// escape makes user text safe in mrkdwn: Slack reads only &, < and > as
// markup, so only they are escaped.
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

// appendEscaped appends escape(s) to dst.
func appendEscaped[T string | []byte](dst []byte, s T) []byte {
	if !hasMarkup(s) {
		return append(dst, s...)
	}
	start := 0
	for i := 0; i < len(s); i++ {
		var e string
		switch s[i] {
		case '&':
			e = "&amp;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, e...)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// hasMarkup reports whether s holds a byte escape replaces. Three vectorised
// byte searches beat one loop over the bytes, and most texts have none.
func hasMarkup[T string | []byte](s T) bool {
	switch s := any(s).(type) {
	case string:
		return strings.IndexByte(s, '&') >= 0 || strings.IndexByte(s, '<') >= 0 || strings.IndexByte(s, '>') >= 0
	case []byte:
		return bytes.IndexByte(s, '&') >= 0 || bytes.IndexByte(s, '<') >= 0 || bytes.IndexByte(s, '>') >= 0
	}
	return true
}

// escapedRuneCount is utf8.RuneCountInString(escape(s)): escaping replaces
// single ASCII bytes, which never change how the bytes around them decode.
func escapedRuneCount[T string | []byte](s T) int {
	n := 0
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '&':
			n += len("&amp;")
		case c == '<' || c == '>':
			n += len("&lt;")
		case c >= utf8.RuneSelf:
			_, size := decodeRune(s[i:])
			n++
			i += size
			continue
		default:
			n++
		}
		i++
	}
	return n
}

// appendFitEscaped appends fitEscaped(s, limit, more) to dst, without
// building the string when s fits.
func appendFitEscaped[T string | []byte](dst []byte, s T, limit int, more func(n int) string) []byte {
	// Escaping makes at most five characters of a byte: most texts are
	// far enough under their limit not to be counted.
	if len(s) <= limit/5 || escapedRuneCount(s) <= limit {
		return appendEscaped(dst, s)
	}
	return append(dst, fitEscaped(string(s), limit, more)...)
}

// fitEscaped escapes s and cuts it so the result has at most limit runes.
// A cut text ends with more(n), n being the runes of s left out, or with
// "…" when more is nil. The cut never splits an escape sequence and prefers
// a line break or space in the last fifth of the text kept.
func fitEscaped(s string, limit int, more func(n int) string) string {
	e := escape(s)
	if len(e) <= limit || utf8.RuneCountInString(e) <= limit {
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
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit-1]) + "…"
}
