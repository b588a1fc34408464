package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// appendAck and the functions below encode the slack-go blocks render
// makes without reflection, as the adapter did before ackWriter wrote
// answers straight from the reply: they are the reference ackWriter must
// match byte for byte (TestAckWriter_MatchesRender). The output is the JSON
// encoding/json makes for the same values, except that <, > and & are not
// escaped as \u003c, \u003e and \u0026 (mrkdwn already escapes them), so
// both decode to the same message. Blocks and elements the renderer does
// not make, and the rare fields it never sets (a section's accessory, a
// button's confirm dialog), are encoded by encoding/json.
// TestAppendAck_MatchesEncodingJSON holds the two encodings together and
// TestAppendBlocks_KnowsEveryField notices fields a new slack-go adds.

// appendAck appends the body of an acknowledgement that answers a command
// inline: the fallback text, the blocks and the response type, the fields
// a WebhookMessage has when it neither replaces nor deletes the original.
// It ends with a newline, like json.Encoder.
func appendAck(dst []byte, text string, blocks []slack.Block, responseType string) []byte {
	dst = append(dst, `{"text":`...)
	dst = appendString(dst, text)
	if len(blocks) > 0 {
		dst = append(dst, `,"blocks":`...)
		dst = appendBlocks(dst, blocks)
	}
	if responseType != "" {
		dst = append(dst, `,"response_type":`...)
		dst = appendString(dst, responseType)
	}
	return append(dst, "}\n"...)
}

// appendBlocks appends blocks as a JSON array.
func appendBlocks(dst []byte, blocks []slack.Block) []byte {
	return appendArray(dst, blocks, appendBlock)
}

// appendArray appends items as a JSON array, each with appendItem; a nil
// slice is null, as encoding/json writes it.
func appendArray[T any](dst []byte, items []T, appendItem func([]byte, T) []byte) []byte {
	if items == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, item := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendItem(dst, item)
	}
	return append(dst, ']')
}

// openBlock writes the start of a block object: its type, its text if it
// has one and its block_id if set, in encoding/json's field order.
func openBlock(dst []byte, typ slack.MessageBlockType, text *slack.TextBlockObject, blockID string) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, string(typ))
	if text != nil {
		dst = append(dst, `,"text":`...)
		dst = appendText(dst, text)
	}
	return appendOptString(dst, `,"block_id":`, blockID)
}

func appendBlock(dst []byte, b slack.Block) []byte {
	switch b := b.(type) {
	case *slack.HeaderBlock:
		if b == nil {
			break
		}
		dst = openBlock(dst, b.Type, b.Text, b.BlockID)
		if b.Level != 0 {
			dst = append(dst, `,"level":`...)
			dst = strconv.AppendInt(dst, int64(b.Level), 10)
		}
		return append(dst, '}')
	case *slack.SectionBlock:
		if b == nil || b.Accessory != nil {
			break
		}
		dst = openBlock(dst, b.Type, b.Text, b.BlockID)
		if len(b.Fields) > 0 {
			dst = append(dst, `,"fields":`...)
			dst = appendArray(dst, b.Fields, appendText)
		}
		if b.Expand {
			dst = append(dst, `,"expand":true`...)
		}
		return append(dst, '}')
	case *slack.ActionBlock:
		if b == nil {
			break
		}
		dst = openBlock(dst, b.Type, nil, b.BlockID)
		dst = append(dst, `,"elements":`...)
		if b.Elements == nil || b.Elements.ElementSet == nil {
			dst = append(dst, "null"...)
		} else {
			dst = appendArray(dst, b.Elements.ElementSet, appendElement)
		}
		return append(dst, '}')
	case *slack.ContextBlock:
		if b == nil {
			break
		}
		dst = openBlock(dst, b.Type, nil, b.BlockID)
		dst = append(dst, `,"elements":`...)
		dst = appendArray(dst, b.ContextElements.Elements, func(dst []byte, el slack.MixedElement) []byte {
			if t, ok := el.(*slack.TextBlockObject); ok {
				return appendText(dst, t)
			}
			return appendMarshaled(dst, el)
		})
		return append(dst, '}')
	}
	return appendMarshaled(dst, b)
}

func appendElement(dst []byte, el slack.BlockElement) []byte {
	b, ok := el.(*slack.ButtonBlockElement)
	if !ok || b == nil || b.Confirm != nil {
		return appendMarshaled(dst, el)
	}
	dst = append(dst, '{')
	if b.Type != "" {
		dst = append(dst, `"type":`...)
		dst = appendString(dst, string(b.Type))
		dst = append(dst, ',')
	}
	dst = append(dst, `"text":`...)
	dst = appendText(dst, b.Text)
	dst = appendOptString(dst, `,"action_id":`, b.ActionID)
	dst = appendOptString(dst, `,"url":`, b.URL)
	dst = appendOptString(dst, `,"value":`, b.Value)
	dst = appendOptString(dst, `,"style":`, string(b.Style))
	dst = appendOptString(dst, `,"accessibility_label":`, b.AccessibilityLabel)
	dst = appendOptString(dst, `,"agent_prompt":`, b.AgentPrompt)
	dst = appendOptString(dst, `,"agent_prompt_display":`, b.AgentPromptDisplay)
	if len(b.VisibleToUserIDs) > 0 {
		dst = append(dst, `,"visible_to_user_ids":`...)
		dst = appendArray(dst, b.VisibleToUserIDs, appendString)
	}
	return append(dst, '}')
}

func appendText(dst []byte, t *slack.TextBlockObject) []byte {
	if t == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, t.Type)
	dst = append(dst, `,"text":`...)
	dst = appendString(dst, t.Text)
	if t.Emoji != nil {
		dst = append(dst, `,"emoji":`...)
		dst = strconv.AppendBool(dst, *t.Emoji)
	}
	if t.Verbatim {
		dst = append(dst, `,"verbatim":true`...)
	}
	return append(dst, '}')
}

// appendMarshaled appends what encoding/json makes of v, or null when it
// cannot encode it; no value the renderer makes fails to encode.
func appendMarshaled(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

// referenceAck is an inline answer as Slack reads it: a WebhookMessage
// without replace_original and delete_original, which default to false.
type referenceAck struct {
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
	ResponseType string        `json:"response_type,omitempty"`
}

// encodingJSONAck is the acknowledgement as encoding/json writes it, the
// reference appendAck must agree with.
func encodingJSONAck(t testing.TB, r bot.Reply) []byte {
	t.Helper()
	fallback, blocks := Render(r)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(referenceAck{Text: fallback, Blocks: blocks, ResponseType: responseType(r)}); err != nil {
		t.Fatalf("encode %+v: %v", r, err)
	}
	return buf.Bytes()
}

func fastAck(r bot.Reply) []byte {
	fallback, blocks := Render(r)
	return appendAck(nil, fallback, blocks, responseType(r))
}

// sameJSON reports whether a and b decode to equal values.
func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %v: %s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("invalid JSON %v: %s", err, b)
	}
	return reflect.DeepEqual(va, vb)
}

// encodeReplies are replies that exercise every block and element the
// renderer makes, with text that needs JSON escaping.
func encodeReplies() map[string]bot.Reply {
	rs := map[string]bot.Reply{
		"empty":         {},
		"only footer":   {Footer: "small print"},
		"control chars": {Text: "tab\there \"quoted\" back\\slash \x01\x1f\b\f\r\n line\u2028sep\u2029 bad\xff utf8 <&> é 😀"},
		"form":          {Text: "fill this in", Form: &bot.Form{Title: "x"}},
		"many actions": {Buttons: func() []bot.Button {
			b := make([]bot.Button, 30)
			for i := range b {
				b[i] = bot.Button{Text: fmt.Sprintf("b%d", i), Action: fmt.Sprintf("/x %d", i), Style: []string{"", "primary", "danger"}[i%3]}
			}
			return b
		}()},
		"sections": {Sections: []bot.Section{
			{Title: "T", Text: strings.Repeat("long heading ", 40), Items: []bot.Item{{Text: "a"}}, Total: 30, MoreAction: "/more"},
			{Fields: []bot.Field{{Name: "n", Value: "v"}, {Value: "only value"}}},
		}},
	}
	for name, r := range goldenReplies {
		rs["golden "+name] = r
		r.Ephemeral = !r.Ephemeral
		rs["golden "+name+" flipped"] = r
	}
	return rs
}

func TestAppendAck_MatchesEncodingJSON(t *testing.T) {
	for name, r := range encodeReplies() {
		t.Run(name, func(t *testing.T) {
			got, want := fastAck(r), encodingJSONAck(t, r)
			if !sameJSON(t, got, want) {
				t.Errorf("appendAck differs from encoding/json:\n got %s\nwant %s", got, want)
			}
			if !bytes.HasSuffix(got, []byte("}\n")) {
				t.Errorf("appendAck = %q, want one JSON object and a newline", got)
			}
		})
	}
}

// Blocks and elements the renderer never makes are still encoded, by
// encoding/json.
func TestAppendBlocks_OtherBlocks(t *testing.T) {
	blocks := []slack.Block{
		slack.NewDividerBlock(),
		slack.NewImageBlock("https://x.example/i.png", "alt", "", nil),
		slack.NewSectionBlock(markdown("with accessory"), nil, slack.NewAccessory(slack.NewButtonBlockElement("a", "v", plainText("b")))),
		slack.NewActionBlock("blk", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("p"), "sel"),
			&slack.ButtonBlockElement{Type: slack.METButton, Text: plainText("confirm me"), Confirm: slack.NewConfirmationBlockObject(plainText("t"), plainText("x"), plainText("y"), nil)},
			&slack.ButtonBlockElement{Type: slack.METButton, Text: plainText("all fields"), ActionID: "id", URL: "https://x.example", Value: "v", Style: slack.StyleDanger,
				AccessibilityLabel: "label", AgentPrompt: "p", AgentPromptDisplay: "d", VisibleToUserIDs: []string{"U1", "U2"}},
			&slack.ButtonBlockElement{},
		),
		slack.NewContextBlock("ctx", slack.NewImageBlockElement("https://x.example/i.png", "alt"), plainText("plain")),
		&slack.ContextBlock{Type: slack.MBTContext},
		&slack.ActionBlock{Type: slack.MBTAction},
		&slack.ActionBlock{Type: slack.MBTAction, Elements: &slack.BlockElements{}},
		&slack.HeaderBlock{Type: slack.MBTHeader, BlockID: "h", Level: 2},
		&slack.SectionBlock{Type: slack.MBTSection, Fields: []*slack.TextBlockObject{nil, {Type: "mrkdwn", Text: "x", Verbatim: true}}, Expand: true},
	}
	got := appendAck(nil, "text", blocks, "")
	want, err := json.Marshal(referenceAck{Text: "text", Blocks: blocks})
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, got, want) {
		t.Errorf("appendAck differs from encoding/json:\n got %s\nwant %s", got, want)
	}
}

// The encoder writes the fields of the slack-go types it knows by hand; a
// slack-go upgrade that adds one must add it to appendBlock too.
func TestAppendBlocks_KnowsEveryField(t *testing.T) {
	known := map[reflect.Type][]string{
		reflect.TypeFor[slack.HeaderBlock]():        {"Type", "Text", "BlockID", "Level"},
		reflect.TypeFor[slack.SectionBlock]():       {"Type", "Text", "BlockID", "Fields", "Accessory", "Expand"},
		reflect.TypeFor[slack.ActionBlock]():        {"Type", "BlockID", "Elements"},
		reflect.TypeFor[slack.ContextBlock]():       {"Type", "BlockID", "ContextElements"},
		reflect.TypeFor[slack.TextBlockObject]():    {"Type", "Text", "Emoji", "Verbatim"},
		reflect.TypeFor[slack.ButtonBlockElement](): {"Type", "Text", "ActionID", "URL", "Value", "Confirm", "Style", "AccessibilityLabel", "AgentPrompt", "AgentPromptDisplay", "VisibleToUserIDs"},
	}
	for typ, want := range known {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v; appendBlock writes %v", typ, got, want)
		}
	}
}

func TestAppendString_MatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/", "\x00\x07\x1f\x7f", "\b\f\n\r\t", "<>&", "\u2028\u2029", "\xff\xfe", "a\xc3", "é😀", "\ud7ff\ue000\uffff"} {
		checkAppendString(t, s)
	}
}

// Long strings take appendJSONString's eight-bytes-at-a-time path: every
// special byte at every offset of a word must still be seen.
func TestAppendString_LongStringsMatchEncodingJSON(t *testing.T) {
	for _, special := range []string{"\x00", "\x1f", "\"", "\\", "<", "&", "\x7f", "é", "\u2028", "\xff", " "} {
		for at := range 20 {
			checkAppendString(t, strings.Repeat("a", at)+special+strings.Repeat("b", 20-at))
		}
	}
}

func TestPlainJSON8(t *testing.T) {
	plain := func(x uint64) bool {
		for i := range 8 {
			if jsonSpecial[byte(x>>(8*i))] {
				return false
			}
		}
		return true
	}
	const word = 0x6161616161616161 // "aaaaaaaa"
	for b := range 256 {
		for at := range 8 {
			x := word&^(0xff<<(8*at)) | uint64(b)<<(8*at)
			if got, want := plainJSON8(x), plain(x); got != want {
				t.Errorf("plainJSON8(%#016x) = %v, want %v (byte %#02x at %d)", x, got, want, b, at)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		x := r.Uint64()
		if r.IntN(2) == 0 {
			x &^= 0x8080808080808080 // mostly ASCII, as text is
		}
		if got, want := plainJSON8(x), plain(x); got != want {
			t.Fatalf("plainJSON8(%#016x) = %v, want %v", x, got, want)
		}
	}
}

func checkAppendString(t *testing.T, s string) {
	t.Helper()
	for _, html := range []bool{false, true} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := appendJSONString(nil, s, html); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q, %v) = %s, want %s", s, html, got, want)
		}
		if got := appendJSONString(nil, []byte(s), html); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString([]byte(%q), %v) = %s, want %s", s, html, got, want)
		}
	}
}

func TestButtonValue_EncodeMatchesMarshal(t *testing.T) {
	for _, v := range []buttonValue{
		{Action: "/whoowns component:payments-api"},
		{Action: "/whoowns x", Shared: true},
		{Action: "/new-service", Mention: true},
		{Action: `/catalog search "a <b> & c"`, Shared: true, Mention: true},
		{Action: "é\u2028\xff\x01"},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.encode(); got != string(want) {
			t.Errorf("%+v.encode() = %s, want %s", v, got, want)
		}
	}
}

func TestIsSlackID_MatchesPattern(t *testing.T) {
	user := regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	channel := regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	for _, id := range []string{"", "U", "U1", "U12", "W0G9QF9C6", "U061F7AUR", "u061F7AUR", "U061f7AUR", "U1> <!channel",
		"C04PAYMENTS1", "G12", "D123", "U" + strings.Repeat("A", 20), "U" + strings.Repeat("A", 21), "C\u00c9AB"} {
		if got, want := isSlackID(id, "UW"), user.MatchString(id); got != want {
			t.Errorf("isSlackID(%q, UW) = %v, want %v", id, got, want)
		}
		if got, want := isSlackID(id, "CG"), channel.MatchString(id); got != want {
			t.Errorf("isSlackID(%q, CG) = %v, want %v", id, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00", "\u2028", "\xff", "é"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

// Whatever the reply, the hand-written acknowledgement decodes to what
// encoding/json makes of the rendered blocks.
func FuzzAppendAck(f *testing.F) {
	f.Add("payments-api", "Owned by <team> & \"friends\"", "Jane", "https://x.example/a?b=1&c=2", "U061F7AUR", "/whoowns x", "footer", true)
	f.Add("", "", "", "", "", "", "", false)
	f.Add("\xff\u2028", "\x01\t", "•", "mailto:a@b", "C1", "", "\u2029", true)
	f.Fuzz(func(t *testing.T, title, text, item, url, id, action, footer string, ephemeral bool) {
		r := bot.Reply{
			Title:    title,
			Text:     text,
			Fields:   []bot.Field{{Name: title, Value: text}},
			Sections: []bot.Section{{Title: item, Text: text, Items: []bot.Item{{Text: item, URL: url, ChatUserID: id, ChatChannelID: id, Detail: footer}}, Total: 20, MoreAction: action}},
			Links:    []bot.Link{{Text: item, URL: url}},
			Buttons:  []bot.Button{{Text: item, Action: action, Shared: ephemeral, Style: footer}},
			Footer:   footer,

			Ephemeral: ephemeral,
		}
		if got, want := fastAck(r), encodingJSONAck(t, r); !sameJSON(t, got, want) {
			t.Errorf("appendAck differs from encoding/json:\n got %s\nwant %s", got, want)
		}
	})
}
