package slack

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// This file writes the acknowledgement of a command straight from its
// bot.Reply: the bytes of render's slack-go blocks and fallback encoded as
// a WebhookMessage (appendAck, in the tests, encodes them that way),
// without building those values first. Answering a command is the server's
// hottest path, and they were most of the garbage it made, each collection
// walking the whole catalog heap. The decisions (what fits, what is cut,
// what is dropped) are render's: both call the same helpers, and
// TestAckWriter_MatchesRender holds the two together, byte for byte.

// ackWriter encodes acknowledgements. Its buffers are reused from one
// command to the next, so an ackWriter serves one request at a time and the
// bytes of out must be written before it is put back in its pool.
type ackWriter struct {
	// out is the acknowledgement.
	out []byte
	// text is one mrkdwn text as render builds it, before it is encoded
	// into out.
	text []byte
	// raw is unescaped text: the fallback's lines, a button value.
	raw []byte
	// actions holds the encoded elements of the reply's action block,
	// which follows the body but decides how much of it fits.
	actions actionList

	// blocks counts the blocks written; ends are where out ended after
	// the blocks the body may be cut to (see body).
	blocks int
	cuts   [2]int
	ends   [2]int
}

// actionList is the encoded elements of an action block, at most
// maxActionElems, and how many were left out.
type actionList struct {
	buf            []byte
	shown, dropped int
}

// actionID is a button's action id: prefix, then index unless it is
// negative. Unlike render it is not cut to maxActionID: no prefix and
// index come near it.
type actionID struct {
	prefix string
	index  int
}

// writeAck sets w.out to appendAck(nil, render(r, rerun, memo)...,
// responseType(r)).
func (w *ackWriter) writeAck(r bot.Reply, rerun *bot.Button, memo *sectionMemo) {
	w.out = append(w.out[:0], `{"text":`...)
	w.text, w.raw = appendFallback(w.text[:0], w.raw, r)
	w.out = appendJSONString(w.out, w.text, false)

	w.encodeActions(r, rerun)
	tail := 0 // blocks after the body: render's tail
	if w.actions.shown > 0 {
		tail++
	}
	blocksAt := len(w.out)
	w.out = append(w.out, `,"blocks":[`...)
	notShown := w.body(r, memo, tail)
	if w.actions.shown > 0 {
		w.openBlock("actions")
		w.out = append(w.out, `,"elements":[`...)
		w.out = append(w.out, w.actions.buf...)
		w.out = append(w.out, ']')
		w.closeBlock()
	}
	w.context(r.Footer, w.actions.dropped, notShown)
	if w.blocks == 0 {
		w.out = w.out[:blocksAt]
	} else {
		w.out = append(w.out, ']')
	}
	w.out = append(w.out, `,"response_type":`...)
	w.out = appendString(w.out, responseType(r))
	w.out = append(w.out, "}\n"...)
}

// body writes the reply's title, text, fields and sections as blocks, as
// many as leave room for tail more and, when needed, the context block, and
// returns how many it left out. render knows whether the context block is
// needed only once it has counted the body, so w remembers where out ended
// after the two block counts the body may be cut to.
func (w *ackWriter) body(r bot.Reply, memo *sectionMemo, tail int) (notShown int) {
	w.blocks = 0
	w.cuts = [2]int{maxBlocks - tail - 1, maxBlocks - tail}
	w.ends = [2]int{}
	if title := strings.TrimSpace(r.Title); title != "" {
		w.openBlock("header")
		w.out = append(w.out, `,"text":`...)
		w.out = appendPlainText(w.out, cut(title, maxHeaderText))
		w.closeBlock()
	}
	if strings.TrimSpace(r.Text) != "" {
		w.text = appendFitEscaped(w.text[:0], r.Text, maxSectionText, moreCharacters)
		writeTextSection(w, w.text)
	}
	w.fieldSections(r.Fields)
	for i, s := range r.Sections {
		w.section(i, s, memo)
	}

	n := w.blocks
	if strings.TrimSpace(r.Footer) != "" || w.actions.dropped > 0 || n+tail > maxBlocks {
		tail++ // the context block
	}
	limit := maxBlocks - tail
	if n <= limit {
		return 0
	}
	w.out = w.out[:w.ends[limit-w.cuts[0]]]
	w.blocks = limit
	return n - limit
}

// section writes what sectionBlocks makes of s.
func (w *ackWriter) section(index int, s bot.Section, memo *sectionMemo) {
	t := memo.text(s)
	if t.heading != "" {
		writeTextSection(w, t.heading)
	}
	if t.body != "" {
		writeTextSection(w, t.body)
	}
	w.fieldSections(s.Fields)
	if t.hidden == 0 || strings.TrimSpace(s.MoreAction) == "" {
		return
	}
	if !w.setButtonValue(buttonValue{Action: strings.TrimSpace(s.MoreAction)}) {
		return
	}
	// The label is render's "Show N more", never blank or cut.
	var label [32]byte
	w.openBlock("actions")
	w.out = append(w.out, `,"elements":[`...)
	w.out = appendCommandButton(w.out, actionID{actionMore, index},
		appendShowMore(label[:0], t.hidden), w.raw, "")
	w.out = append(w.out, ']')
	w.closeBlock()
}

// writeTextSection writes a section block of one mrkdwn text.
func writeTextSection[T string | []byte](w *ackWriter, text T) {
	w.openBlock("section")
	w.out = append(w.out, `,"text":`...)
	w.out = appendMrkdwnText(w.out, text)
	w.closeBlock()
}

// fieldSections writes what fieldBlocks makes of fields: section blocks
// of at most maxFields fields each.
func (w *ackWriter) fieldSections(fields []bot.Field) {
	open := 0 // fields in the open block
	for _, f := range fields {
		w.text = appendFieldText(w.text[:0], f)
		if len(w.text) == 0 {
			continue
		}
		if open == 0 {
			w.openBlock("section")
			w.out = append(w.out, `,"fields":[`...)
		} else {
			w.out = append(w.out, ',')
		}
		w.out = appendMrkdwnText(w.out, w.text)
		if open++; open == maxFields {
			w.out = append(w.out, ']')
			w.closeBlock()
			open = 0
		}
	}
	if open > 0 {
		w.out = append(w.out, ']')
		w.closeBlock()
	}
}

// context writes the context block of the footer and the notes about
// what was left out, when there is any.
func (w *ackWriter) context(footer string, dropped, notShown int) {
	footer = strings.TrimSpace(footer)
	if footer == "" && dropped == 0 && notShown == 0 {
		return
	}
	w.openBlock("context")
	w.out = append(w.out, `,"elements":[`...)
	sep := ""
	if footer != "" {
		w.text = appendFitEscaped(w.text[:0], footer, maxSectionText, moreCharacters)
		w.out = appendMrkdwnText(w.out, w.text)
		sep = ","
	}
	if dropped > 0 {
		w.text = appendNote(w.text[:0], dropped, " more actions")
		w.out = appendMrkdwnText(append(w.out, sep...), w.text)
		sep = ","
	}
	if notShown > 0 {
		w.text = appendNote(w.text[:0], notShown, " more not shown")
		w.out = appendMrkdwnText(append(w.out, sep...), w.text)
	}
	w.out = append(w.out, ']')
	w.closeBlock()
}

// appendShowMore appends the label of a section's "Show N more" button.
func appendShowMore(dst []byte, hidden int) []byte {
	return append(strconv.AppendInt(append(dst, "Show "...), int64(hidden), 10), " more"...)
}

// appendNote appends render's note "…and N more…".
func appendNote(dst []byte, n int, what string) []byte {
	return append(strconv.AppendInt(append(dst, "…and "...), int64(n), 10), what...)
}

// openBlock starts a block of type typ, after a comma unless it is the
// first.
func (w *ackWriter) openBlock(typ string) {
	if w.blocks > 0 {
		w.out = append(w.out, ',')
	}
	w.out = append(w.out, `{"type":"`...)
	w.out = append(w.out, typ...)
	w.out = append(w.out, '"')
}

// closeBlock ends a block, noting where out ends if the body may be cut
// after it.
func (w *ackWriter) closeBlock() {
	w.out = append(w.out, '}')
	w.blocks++
	for i, n := range w.cuts {
		if w.blocks == n {
			w.ends[i] = len(w.out)
		}
	}
}

// encodeActions encodes into w.actions what actionElements makes.
func (w *ackWriter) encodeActions(r bot.Reply, rerun *bot.Button) {
	w.actions = actionList{buf: w.actions.buf[:0]}
	if rerun != nil {
		w.addCommandButton(actionID{actionForm, -1}, *rerun, true)
	}
	for i, b := range r.Buttons {
		w.addCommandButton(actionID{actionRun, i}, b, false)
	}
	for i, l := range r.Links {
		w.addLinkButton(actionID{actionLink, i}, l)
	}
}

// addCommandButton adds what commandButton makes to w.actions, or counts
// it as dropped.
func (w *ackWriter) addCommandButton(id actionID, b bot.Button, mention bool) {
	l := &w.actions
	action := strings.TrimSpace(b.Action)
	if l.shown == maxActionElems || action == "" || !w.setButtonValue(buttonValue{Action: action, Shared: b.Shared, Mention: mention}) {
		l.dropped++
		return
	}
	l.next()
	l.buf = appendCommandButton(l.buf, id, buttonLabel(b.Text, action), w.raw, buttonStyle(b.Style))
}

// addLinkButton adds what linkButton makes to w.actions, or counts it as
// dropped.
func (w *ackWriter) addLinkButton(id actionID, link bot.Link) {
	l := &w.actions
	target, label, ok := linkButtonParts(link)
	if l.shown == maxActionElems || !ok {
		l.dropped++
		return
	}
	l.next()
	l.buf = appendButtonStart(l.buf, id, label)
	l.buf = append(l.buf, `,"url":`...)
	l.buf = appendString(l.buf, target)
	l.buf = append(l.buf, '}')
}

// next makes room for one more element.
func (l *actionList) next() {
	if l.shown > 0 {
		l.buf = append(l.buf, ',')
	}
	l.shown++
}

// setButtonValue sets w.raw to v encoded and reports whether it fits a
// button value.
func (w *ackWriter) setButtonValue(v buttonValue) bool {
	w.raw = v.append(w.raw[:0])
	return utf8.RuneCount(w.raw) <= maxButtonValue
}

// appendCommandButton appends the button element that runs a command,
// with value already encoded as a buttonValue.
func appendCommandButton[T string | []byte](dst []byte, id actionID, label T, value []byte, style slack.Style) []byte {
	dst = appendButtonStart(dst, id, label)
	dst = append(dst, `,"value":`...)
	dst = appendJSONString(dst, value, false)
	dst = appendOptString(dst, `,"style":`, string(style))
	return append(dst, '}')
}

// appendButtonStart appends a button element up to its action_id.
func appendButtonStart[T string | []byte](dst []byte, id actionID, label T) []byte {
	dst = append(dst, `{"type":"button","text":`...)
	dst = appendPlainText(dst, label)
	dst = append(dst, `,"action_id":"`...)
	dst = append(dst, id.prefix...) // neither part needs escaping
	if id.index >= 0 {
		dst = strconv.AppendInt(dst, int64(id.index), 10)
	}
	return append(dst, '"')
}

// appendPlainText appends what appendText makes of plainText(s).
func appendPlainText[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, `{"type":"plain_text","text":`...)
	dst = appendJSONString(dst, s, false)
	return append(dst, `,"emoji":true}`...)
}

// appendMrkdwnText appends what appendText makes of markdown(s).
func appendMrkdwnText[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, `{"type":"mrkdwn","text":`...)
	dst = appendJSONString(dst, s, false)
	return append(dst, '}')
}

// ackPool recycles ackWriters.
type ackPool struct{ p sync.Pool }

func (ap *ackPool) get() *ackWriter {
	if w, ok := ap.p.Get().(*ackWriter); ok {
		return w
	}
	return &ackWriter{out: make([]byte, 0, 8<<10)}
}

// put keeps w for another command unless an oversized answer grew its
// buffers past maxPooledBuffer.
func (ap *ackPool) put(w *ackWriter) {
	if cap(w.out)+cap(w.text)+cap(w.raw)+cap(w.actions.buf) <= maxPooledBuffer {
		ap.p.Put(w)
	}
}
