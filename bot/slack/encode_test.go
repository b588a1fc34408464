package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

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
