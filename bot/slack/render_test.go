package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (run with -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendering (run with -update to accept):\n--- got\n%s", path, got)
	}
}

// readableJSON indents v without escaping <, > and &, so that goldens show
// the markup Slack receives.
func readableJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return buf.Bytes()
}

func messageJSON(t *testing.T, r bot.Reply) []byte {
	t.Helper()
	fallback, blocks := Render(r)
	return readableJSON(t, map[string]any{"text": fallback, "blocks": blocks})
}

var goldenReplies = map[string]bot.Reply{
	"whoowns": {
		Title: "payments-api",
		Text:  "Component owned by *payments-team* — handles card & bank <transfers>.",
		Fields: []bot.Field{
			{Name: "Owner", Value: "group:default/payments-team"},
			{Name: "Lifecycle", Value: "production"},
			{Name: "System", Value: "payments"},
			{Name: "On call", Value: "Jane Doe"},
		},
		Sections: []bot.Section{{
			Title: "Members",
			Items: []bot.Item{
				{Text: "Jane Doe", ChatUserID: "U061F7AUR", Detail: "lead"},
				{Text: "Ravi Kumar", ChatUserID: "U0G9QF9C6"},
				{Text: "Sam Lee", URL: "https://backstage.example.com/catalog/default/user/sam"},
			},
		}},
		Links: []bot.Link{
			{Text: "Repository", URL: "https://github.com/acme/payments-api"},
			{Text: "Docs", URL: "https://backstage.example.com/docs/default/component/payments-api"},
		},
		Buttons:   []bot.Button{{Text: "Share in channel", Action: "/whoowns payments-api", Shared: true}},
		Footer:    "From the catalog, synced 2 minutes ago",
		Ephemeral: true,
	},
	"search": {
		Title: "Search: payments",
		Sections: []bot.Section{{
			Title: "Components",
			Items: []bot.Item{
				{Text: "payments-api", URL: "https://backstage.example.com/catalog/default/component/payments-api", Detail: "Card and bank transfers"},
				{Text: "payments-web", URL: "https://backstage.example.com/catalog/default/component/payments-web", Detail: "Checkout UI"},
				{Text: "payments-ledger", Detail: "Double-entry ledger"},
			},
			Total:      42,
			MoreAction: "/catalog search payments --page 2",
		}},
		Footer: "42 results",
	},
	"error": {
		Text:      "Sorry, something went wrong on our side while running /whoowns (ref 1a2b3c4d). The operators can look it up in the logs.",
		Ephemeral: true,
	},
}

func TestRender_Golden(t *testing.T) {
	for name, r := range goldenReplies {
		t.Run(name, func(t *testing.T) {
			got := messageJSON(t, r)
			golden(t, name, got)
			checkLimits(t, got)
		})
	}
}

func TestFormView_Golden(t *testing.T) {
	form := bot.Form{
		Title:        "Create a new service from a template",
		SubmitLabel:  "Create",
		SubmitAction: "/new-service create",
		Fields: []bot.FormField{
			{Name: "name", Label: "Name", Hint: "lowercase, dashes", Placeholder: "payments-api", Required: true},
			{Name: "template", Label: "Template", Options: []string{"go-service", "node-service", "static-site"}, Default: "go-service", Required: true},
			{Name: "description", Label: "Description", Multiline: true},
		},
	}
	view, err := formView(form, "A repository will be created under acme/.", formState{Action: form.SubmitAction, Channel: "C2147483705"})
	if err != nil {
		t.Fatalf("formView: %v", err)
	}
	golden(t, "form", readableJSON(t, view))
	if title := view.Title.Text; utf8.RuneCountInString(title) > maxViewTitle {
		t.Errorf("modal title %q has %d characters, over %d", title, utf8.RuneCountInString(title), maxViewTitle)
	}
}

func TestRender_Escapes(t *testing.T) {
	fallback, blocks := Render(bot.Reply{Text: "a <!channel> & <@U123|x> >", Footer: "<b>"})
	text := blocks[0].(*slack.SectionBlock).Text.Text
	if want := "a &lt;!channel&gt; &amp; &lt;@U123|x&gt; &gt;"; text != want {
		t.Errorf("section text = %q, want %q", text, want)
	}
	footer := blocks[1].(*slack.ContextBlock).ContextElements.Elements[0].(*slack.TextBlockObject).Text
	if footer != "&lt;b&gt;" {
		t.Errorf("footer = %q, want %q", footer, "&lt;b&gt;")
	}
	if want := "a &lt;!channel&gt; &amp; &lt;@U123|x&gt; &gt;"; fallback != want {
		t.Errorf("fallback = %q, want %q", fallback, want)
	}
}

func TestRender_ItemMarkup(t *testing.T) {
	for _, tt := range []struct {
		item bot.Item
		want string
	}{
		{bot.Item{Text: "payments-api", URL: "https://x.example/a?b=1&c=2"}, "• <https://x.example/a?b=1&amp;c=2|payments-api>"},
		{bot.Item{Text: "Jane", ChatUserID: "U061F7AUR", Detail: "lead"}, "• Jane (<@U061F7AUR>) — lead"},
		{bot.Item{ChatUserID: "U061F7AUR"}, "• <@U061F7AUR>"},
		{bot.Item{Text: "evil", ChatUserID: "U1> <!channel"}, "• evil"},
		{bot.Item{Text: "js", URL: "javascript:alert(1)"}, "• js"},
		{bot.Item{Text: "a|b>c", URL: "https://x.example/p|q"}, "• <https://x.example/p%7Cq|a|b&gt;c>"},
	} {
		if got := itemLine(tt.item); got != tt.want {
			t.Errorf("itemLine(%+v) = %q, want %q", tt.item, got, tt.want)
		}
	}
}

// limitCase is a reply past a Block Kit limit and the notes its rendering
// must show, as regular expressions.
type limitCase struct {
	reply    bot.Reply
	wantMore []string
}

// renderLimitCases are replies past every limit render enforces.
func renderLimitCases() map[string]limitCase {
	many := func(n int, f func(i int) bot.Item) []bot.Item {
		items := make([]bot.Item, n)
		for i := range items {
			items[i] = f(i)
		}
		return items
	}
	long := strings.Repeat("word & <markup> ", 700) // 11,200 runes, escaping grows it
	return map[string]limitCase{
		"500 items": {
			reply: bot.Reply{Sections: []bot.Section{{Title: "Services", Items: many(500, func(i int) bot.Item {
				return bot.Item{Text: fmt.Sprintf("service-%03d", i), URL: fmt.Sprintf("https://backstage.example.com/catalog/default/component/service-%03d", i), Detail: "owned by someone"}
			})}}},
			wantMore: []string{`…and \d+ more`},
		},
		"10k-rune text": {
			reply:    bot.Reply{Title: strings.Repeat("T", 400), Text: long, Footer: long},
			wantMore: []string{`…and \d+ more characters`},
		},
		"40 fields": {
			reply: bot.Reply{Fields: func() []bot.Field {
				f := make([]bot.Field, 40)
				for i := range f {
					f[i] = bot.Field{Name: fmt.Sprintf("Field %d", i), Value: strings.Repeat("v&", 1500)}
				}
				return f
			}()},
		},
		"100 buttons and 100 links": {
			reply: bot.Reply{
				Buttons: func() []bot.Button {
					b := make([]bot.Button, 100)
					for i := range b {
						b[i] = bot.Button{Text: strings.Repeat("Press me ", 20), Action: fmt.Sprintf("/whoowns service-%d", i)}
					}
					return b
				}(),
				Links: func() []bot.Link {
					l := make([]bot.Link, 100)
					for i := range l {
						l[i] = bot.Link{Text: fmt.Sprint("Link ", i), URL: fmt.Sprintf("https://example.com/%d", i)}
					}
					return l
				}(),
			},
			wantMore: []string{`…and 175 more actions`},
		},
		"oversized button value and url": {
			reply: bot.Reply{
				Buttons: []bot.Button{{Text: "Run", Action: "/search " + strings.Repeat("x", 2100)}},
				Links:   []bot.Link{{Text: "Huge", URL: "https://example.com/" + strings.Repeat("p", 3100)}},
			},
			wantMore: []string{`…and 2 more actions`},
		},
		"60 sections": {
			reply: bot.Reply{
				Title:   "Everything",
				Buttons: []bot.Button{{Text: "Share in channel", Action: "/whoowns x", Shared: true}},
				Footer:  "footer",
				Sections: func() []bot.Section {
					s := make([]bot.Section, 60)
					for i := range s {
						s[i] = bot.Section{Title: fmt.Sprint("Section ", i), Text: "text"}
					}
					return s
				}(),
			},
			wantMore: []string{`…and \d+ more not shown`},
		},
		"total beyond items": {
			reply: bot.Reply{Sections: []bot.Section{{Title: "Results", Items: many(3, func(i int) bot.Item {
				return bot.Item{Text: fmt.Sprint("result ", i)}
			}), Total: 1000, MoreAction: "/search x --all"}}},
			wantMore: []string{`…and 997 more`},
		},
		"huge items": {
			reply: bot.Reply{Sections: []bot.Section{{Items: many(30, func(i int) bot.Item {
				return bot.Item{Text: strings.Repeat("&", 5000), URL: "https://example.com/" + strings.Repeat("u", 5000), Detail: strings.Repeat("<", 5000), ChatUserID: "U1234"}
			})}}},
			wantMore: []string{`…and \d+ more`},
		},
	}
}

func TestRender_Limits(t *testing.T) {
	tests := renderLimitCases()
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			raw := messageJSON(t, tt.reply)
			checkLimits(t, raw)
			var msg struct {
				Blocks []any `json:"blocks"`
			}
			_ = json.Unmarshal(raw, &msg)
			visible := fmt.Sprint(msg.Blocks)
			for _, pattern := range tt.wantMore {
				if !regexp.MustCompile(pattern).MatchString(visible) {
					t.Errorf("rendering does not show %q", pattern)
				}
			}
		})
	}

	t.Run("500 items count adds up", func(t *testing.T) {
		_, blocks := Render(tests["500 items"].reply)
		text := blocks[0].(*slack.SectionBlock).Text.Text
		shown := strings.Count(text, "• ")
		m := regexp.MustCompile(`…and (\d+) more`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no …and N more in %q", text)
		}
		if n, _ := strconv.Atoi(m[1]); shown+n != 500 || shown == 0 {
			t.Errorf("shown %d + …and %d more = %d, want 500", shown, n, shown+n)
		}
	})
	t.Run("more button for the rest", func(t *testing.T) {
		raw := string(messageJSON(t, tests["total beyond items"].reply))
		if !strings.Contains(raw, `Show 997 more`) || !strings.Contains(raw, `/search x --all`) {
			t.Errorf("no Show more button running the MoreAction in %s", raw)
		}
	})
}

// checkLimits walks a rendered message as Slack would receive it and fails
// on any Block Kit limit it breaks.
func checkLimits(t *testing.T, raw []byte) {
	t.Helper()
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatalf("rendering is not JSON: %v", err)
	}
	runes := utf8.RuneCountInString
	if msg.Text == "" || runes(msg.Text) > maxFallbackText {
		t.Errorf("fallback text has %d characters, want 1..%d", runes(msg.Text), maxFallbackText)
	}
	if len(msg.Blocks) > maxBlocks {
		t.Errorf("%d blocks, over %d", len(msg.Blocks), maxBlocks)
	}
	text := func(where string, v any, limit int) {
		obj, _ := v.(map[string]any)
		s, _ := obj["text"].(string)
		if n := runes(s); n == 0 || n > limit {
			t.Errorf("%s text has %d characters, want 1..%d", where, n, limit)
		}
	}
	actionIDs := map[string]bool{}
	for i, b := range msg.Blocks {
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		switch b["type"] {
		case "header":
			text(where, b["text"], maxHeaderText)
			if b["text"].(map[string]any)["type"] != "plain_text" {
				t.Errorf("%s is not plain_text", where)
			}
		case "section":
			fields, _ := b["fields"].([]any)
			if b["text"] == nil && len(fields) == 0 {
				t.Errorf("%s has neither text nor fields", where)
			}
			if b["text"] != nil {
				text(where, b["text"], maxSectionText)
			}
			if len(fields) > maxFields {
				t.Errorf("%s has %d fields, over %d", where, len(fields), maxFields)
			}
			for _, f := range fields {
				text(where+" field", f, maxFieldText)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxContextElems {
				t.Errorf("%s has %d elements, want 1..%d", where, len(els), maxContextElems)
			}
			for _, e := range els {
				text(where+" element", e, maxSectionText)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxActionElems {
				t.Errorf("%s has %d elements, want 1..%d", where, len(els), maxActionElems)
			}
			for _, e := range els {
				el := e.(map[string]any)
				text(where+" button", el["text"], maxButtonText)
				id, _ := el["action_id"].(string)
				if id == "" || runes(id) > maxActionID || actionIDs[id] {
					t.Errorf("%s action_id %q empty, too long or repeated", where, id)
				}
				actionIDs[id] = true
				if v, _ := el["value"].(string); runes(v) > maxButtonValue {
					t.Errorf("%s value has %d characters, over %d", where, runes(v), maxButtonValue)
				}
				if u, _ := el["url"].(string); runes(u) > maxButtonURL {
					t.Errorf("%s url has %d characters, over %d", where, runes(u), maxButtonURL)
				}
			}
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

func TestFormView_Limits(t *testing.T) {
	options := make([]string, 250)
	for i := range options {
		options[i] = fmt.Sprintf("template-%03d", i)
	}
	fields := []bot.FormField{{Name: "template", Label: strings.Repeat("L", 3000), Hint: strings.Repeat("H", 3000), Placeholder: strings.Repeat("P", 300), Options: options, Required: true}}
	for i := range 120 {
		fields = append(fields, bot.FormField{Name: fmt.Sprint("f", i)})
	}
	view, err := formView(bot.Form{Title: strings.Repeat("t", 100), SubmitLabel: strings.Repeat("s", 100), SubmitAction: "/x", Fields: fields}, "", formState{Action: "/x"})
	if err != nil {
		t.Fatalf("formView: %v", err)
	}
	if n := len(view.Blocks.BlockSet); n > maxViewBlocks {
		t.Errorf("modal has %d blocks, over %d", n, maxViewBlocks)
	}
	for _, s := range []string{view.Title.Text, view.Submit.Text, view.Close.Text} {
		if utf8.RuneCountInString(s) > maxViewTitle {
			t.Errorf("modal text %q over %d characters", s, maxViewTitle)
		}
	}
	in := view.Blocks.BlockSet[0].(*slack.InputBlock)
	if utf8.RuneCountInString(in.Label.Text) > maxInputLabel || utf8.RuneCountInString(in.Hint.Text) > maxInputHint {
		t.Errorf("label or hint over the limit")
	}
	sel := in.Element.(*slack.SelectBlockElement)
	if len(sel.Options) != 0 || len(sel.OptionGroups) != 3 {
		t.Fatalf("250 options rendered as %d options and %d groups, want 3 groups", len(sel.Options), len(sel.OptionGroups))
	}
	total := 0
	for _, g := range sel.OptionGroups {
		if len(g.Options) > maxSelectOptions {
			t.Errorf("group %q has %d options, over %d", g.Label.Text, len(g.Options), maxSelectOptions)
		}
		total += len(g.Options)
	}
	if total != 250 {
		t.Errorf("groups offer %d options, want all 250", total)
	}
	if utf8.RuneCountInString(sel.Placeholder.Text) > maxPlaceholder {
		t.Errorf("placeholder over %d characters", maxPlaceholder)
	}
	last := view.Blocks.BlockSet[len(view.Blocks.BlockSet)-1]
	if _, ok := last.(*slack.ContextBlock); !ok {
		t.Errorf("last block is %T, want a note about the fields not shown", last)
	}

	_, err = formView(bot.Form{SubmitAction: "/x " + strings.Repeat("y", 3000)}, "", formState{Action: "/x " + strings.Repeat("y", 3000)})
	if err == nil {
		t.Errorf("formView with 3000-character state: error = nil, want one (private_metadata limit)")
	}
}

// Views over Slack's 250 KB are cut to fit, visibly: first the longest
// option lists, then the last fields.
func TestFormView_FitsViewSize(t *testing.T) {
	long := func(prefix string, i int) string {
		return fmt.Sprintf("%s-%04d-%s", prefix, i, strings.Repeat("x", 140))
	}
	options := make([]string, 10_000)
	for i := range options {
		options[i] = long("repo", i)
	}
	var fields []bot.FormField
	fields = append(fields, bot.FormField{Name: "repo", Label: "Repository", Hint: strings.Repeat("h", 2000), Options: options, Default: options[9_999], Required: true})
	for i := range 98 {
		fields = append(fields, bot.FormField{Name: fmt.Sprint("f", i), Label: strings.Repeat("L", 2000), Hint: strings.Repeat("H", 2000), Default: strings.Repeat("D", 3000)})
	}
	view, err := formView(bot.Form{Title: "Big", SubmitAction: "/x", Fields: fields}, "intro", formState{Action: "/x"})
	if err != nil {
		t.Fatalf("formView: %v", err)
	}
	data, _ := json.Marshal(view)
	if len(data) > maxViewBytes {
		t.Fatalf("view is %d bytes, over Slack's %d", len(data), maxViewBytes)
	}
	in := view.Blocks.BlockSet[1].(*slack.InputBlock)
	sel := in.Element.(*slack.SelectBlockElement)
	offered := len(sel.Options)
	for _, g := range sel.OptionGroups {
		offered += len(g.Options)
	}
	// Options are cut to what a select shows ungrouped before any field
	// is dropped, not to nothing.
	if offered < maxSelectOptions/2 || offered >= len(options) {
		t.Fatalf("select offers %d of %d options, want some cut but at least %d kept", offered, len(options), maxSelectOptions/2)
	}
	if want := fmt.Sprintf("…and %d more options not shown", len(options)-offered); in.Hint == nil || !strings.Contains(in.Hint.Text, want) {
		t.Errorf("hint = %v, want it to say %q", in.Hint, want)
	}
	if sel.InitialOption == nil || sel.InitialOption.Value != options[9_999] {
		t.Errorf("initial option = %v, want the default kept", sel.InitialOption)
	}
	inputs := 0
	for _, b := range view.Blocks.BlockSet {
		if _, ok := b.(*slack.InputBlock); ok {
			inputs++
		}
	}
	last, ok := view.Blocks.BlockSet[len(view.Blocks.BlockSet)-1].(*slack.ContextBlock)
	if !ok {
		t.Fatalf("last block is %T, want a note about the fields left out", view.Blocks.BlockSet[len(view.Blocks.BlockSet)-1])
	}
	note := last.ContextElements.Elements[0].(*slack.TextBlockObject).Text
	if want := fmt.Sprintf("…and %d more fields not shown", len(fields)-inputs); note != want {
		t.Errorf("note = %q, want %q (%d of %d fields shown)", note, want, inputs, len(fields))
	}
}

// A URL plainWebURL lets skip parsing is one url.Parse reads as an http(s)
// URL with that host and URL.String writes back unchanged.
func FuzzPlainWebURL(f *testing.F) {
	for _, s := range []string{"https://github.com/acme/payments-api", "http://x.example", "https://a//b", "https://a/./b/../c", "HTTPS://A/B",
		"https://x_y~z.example/-._~", "https:///path", "https://a:80/b", "https://a/b?c#d", "mailto:a@b", "https://", "http://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, ok := plainWebURL(s)
		if !ok {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("plainWebURL(%q) = %q, true; url.Parse: %v", s, host, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host != host || u.String() != s {
			t.Fatalf("plainWebURL(%q) = %q, true; url.Parse gives scheme %q host %q, String %q", s, host, u.Scheme, u.Host, u.String())
		}
	})
}
