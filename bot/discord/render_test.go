package discord

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, got)
	}
}

func TestRender_Golden(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
	}{
		{"whoowns", bot.Reply{
			Title: "payments-api",
			Text:  "Takes card payments. Owned by *payments-team* (group:default/payments-team).",
			Fields: []bot.Field{
				{Name: "Owner", Value: "payments-team"},
				{Name: "Lifecycle", Value: "production"},
				{Name: "System", Value: "checkout"},
				{Name: "Tier", Value: ""},
			},
			Links: []bot.Link{
				{Text: "Repository", URL: "https://github.com/acme/payments-api"},
				{Text: "Runbook", URL: "https://docs.acme.dev/payments-api/runbook (v2)"},
				{Text: "Internal wiki", URL: "wiki/payments"},
			},
			Buttons: []bot.Button{
				{Text: "Share in channel", Action: "/whoowns payments-api", Shared: true, Style: "primary"},
				{Text: "Docs", Action: "/docs payments-api"},
			},
			Footer:    "From catalog-info.yaml · synced 2 minutes ago",
			Ephemeral: true,
		}},
		{"members", bot.Reply{
			Title: "payments-team",
			Sections: []bot.Section{{
				Title: "Members",
				Items: []bot.Item{
					{Text: "Jane Doe", URL: "https://people.acme.dev/jane", Detail: "lead", ChatUserID: "123456789012345678"},
					{Text: "Sam <@everyone> Lee", ChatUserID: "not-a-snowflake"},
					{Text: "Kim", ChatUserID: "223456789012345678"},
				},
			}, {
				Title:  "Contacts",
				Fields: []bot.Field{{Name: "Slack", Value: "#payments"}, {Name: "Pager", Value: "payments-oncall"}},
			}},
		}},
		{"truncated-list", bot.Reply{
			Title: "Search: pay",
			Sections: []bot.Section{{
				Title:      "Components",
				Text:       "Best matches first.",
				Items:      []bot.Item{{Text: "payments-api", Detail: "component"}, {Text: "payouts", Detail: "component"}},
				Total:      42,
				MoreAction: "/catalog search pay --all",
			}},
		}},
		{"error", bot.Reply{
			Text:      "I could not find `paymnets-api` in the catalog. Did you mean payments-api?",
			Buttons:   []bot.Button{{Text: "payments-api", Action: "/whoowns payments-api"}},
			Ephemeral: true,
		}},
		{"empty", bot.Reply{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.reply)
			checkLimits(t, m)
			checkGolden(t, tt.name, m)
		})
	}
}

func TestRender_FormModalGolden(t *testing.T) {
	f := bot.Form{
		Title:        "New service from go-http",
		SubmitLabel:  "Create",
		SubmitAction: "/new-service go-http --submit",
		Fields: []bot.FormField{
			{Name: "name", Label: "Service name", Placeholder: "payments-api", Required: true},
			{Name: "owner", Label: "Owning group", Hint: "A group from the catalog", Required: true},
			{Name: "description", Label: "What does it do? (one paragraph for the README and catalog)", Multiline: true},
			{Name: "visibility", Label: "Visibility", Options: []string{"private", "internal"}, Default: "private"},
		},
	}
	resp := modal(f, "0123456789abcdef", 0, nil)
	d := resp.Data.(modalData)
	if n := utf8.RuneCountInString(d.Title); n > maxModalTitle {
		t.Errorf("modal title has %d runes, limit %d", n, maxModalTitle)
	}
	if len(d.Components) > maxModalInputs {
		t.Errorf("modal has %d inputs, limit %d", len(d.Components), maxModalInputs)
	}
	checkGolden(t, "form-modal", resp)
}

var moreRE = regexp.MustCompile(`…and (\d+) more`)

func oversized() bot.Reply {
	r := bot.Reply{
		Title:  strings.Repeat("T", 300),
		Text:   strings.Repeat("word ", 2000), // 10,000 runes
		Footer: strings.Repeat("f", 3000),
	}
	for i := range 40 {
		r.Fields = append(r.Fields, bot.Field{Name: fmt.Sprintf("field %d %s", i, strings.Repeat("n", 300)), Value: strings.Repeat("v", 2000)})
	}
	items := make([]bot.Item, 500)
	for i := range items {
		items[i] = bot.Item{Text: fmt.Sprintf("component-%03d", i), URL: fmt.Sprintf("https://catalog.acme.dev/c/%d", i), Detail: "owned by team-" + fmt.Sprint(i%7), ChatUserID: "123456789012345678"}
	}
	r.Sections = append(r.Sections, bot.Section{Title: "Components", Items: items, Total: 812, MoreAction: "/catalog search c --all"})
	for i := range 60 {
		if i%2 == 0 {
			r.Links = append(r.Links, bot.Link{Text: fmt.Sprintf("link %d %s", i, strings.Repeat("l", 100)), URL: fmt.Sprintf("https://acme.dev/%d", i)})
		} else {
			r.Buttons = append(r.Buttons, bot.Button{Text: fmt.Sprintf("button %d", i), Action: fmt.Sprintf("/whoowns service-%d", i)})
		}
	}
	r.Buttons = append(r.Buttons, bot.Button{Text: "too long", Action: "/catalog search " + strings.Repeat("x", 120)})
	return r
}

func TestRender_Limits(t *testing.T) {
	t.Run("everything oversized", func(t *testing.T) {
		r := oversized()
		m := Render(r)
		checkLimits(t, m)
		text := embedText(m.Embeds)
		if !moreRE.MatchString(text) {
			t.Error("no visible …and N more")
		}
		// 24 fields and a notice for the other 16.
		if f := m.Embeds[0].Fields; len(f) != maxFields || f[24].Name != "…and 16 more" {
			t.Errorf("first embed has %d fields, last %q; want 25 ending with …and 16 more", len(f), f[len(f)-1].Name)
		}
		if !strings.HasSuffix(m.Embeds[0].Description, "…") {
			t.Error("cut text does not end with …")
		}
		// The list counts what it could not show, including Total.
		list := m.Embeds[1].Description
		shown := 0
		for _, line := range strings.Split(list, "\n") {
			if strings.HasPrefix(line, "• ") {
				shown++
			}
		}
		if shown < 5 {
			t.Errorf("list shows %d items, want at least 5 even with everything else oversized", shown)
		}
		match := moreRE.FindStringSubmatch(list)
		if match == nil || match[1] != fmt.Sprint(812-shown) {
			t.Errorf("list shows %d items and says %v, want …and %d more", shown, match, 812-shown)
		}
		// Every link and button is a button or listed as text.
		var ids []string
		for _, row := range m.Components {
			for _, c := range row.(discordgo.ActionsRow).Components {
				b := c.(discordgo.Button)
				ids = append(ids, b.CustomID+b.URL)
			}
		}
		if len(ids) != maxButtons {
			t.Errorf("%d buttons, want %d", len(ids), maxButtons)
		}
		spilled := 0
		for _, l := range r.Links {
			if !containsAny(ids, l.URL) && !strings.Contains(text, l.URL) {
				spilled++
			}
		}
		for _, b := range r.Buttons {
			if !containsAny(ids, b.Action) && !strings.Contains(text, b.Action) {
				spilled++
			}
		}
		if spilled > 0 {
			last := m.Embeds[len(m.Embeds)-1].Description
			if !moreRE.MatchString(last) {
				t.Errorf("%d links and buttons are neither shown nor counted in …and N more", spilled)
			}
		}
	})
	t.Run("many sections", func(t *testing.T) {
		var r bot.Reply
		for i := range 14 {
			r.Sections = append(r.Sections, bot.Section{Title: fmt.Sprintf("Section %d", i), Text: strings.Repeat("s", 900)})
		}
		m := Render(r)
		checkLimits(t, m)
		last := m.Embeds[len(m.Embeds)-1]
		if len(m.Embeds) != maxEmbeds || last.Title != "…and 5 more sections" {
			t.Errorf("%d embeds, last titled %q; want 10 ending with …and 5 more sections", len(m.Embeds), last.Title)
		}
	})
	t.Run("many section fields", func(t *testing.T) {
		s := bot.Section{Title: "Deps"}
		for i := range 30 {
			s.Fields = append(s.Fields, bot.Field{Name: fmt.Sprint(i), Value: "x"})
		}
		m := Render(bot.Reply{Sections: []bot.Section{s}})
		checkLimits(t, m)
		if f := m.Embeds[0].Fields; f[len(f)-1].Name != "…and 6 more" {
			t.Errorf("last field %q, want …and 6 more", f[len(f)-1].Name)
		}
	})
}

func containsAny(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestRender_Escaping(t *testing.T) {
	m := Render(bot.Reply{
		Text: "<@123> **not bold** _x_ [a](https://evil) @everyone",
		Sections: []bot.Section{{Items: []bot.Item{
			{Text: "Jane", ChatUserID: "123456789"},
			{Text: "Injected", ChatUserID: "1> <@&999"},
			{Text: "bad link", URL: "javascript:alert(1)"},
		}}},
	})
	desc := m.Embeds[0].Description
	if want := `\<@123\> \*\*not bold\*\* \_x\_ \[a\](https://evil) @everyone`; desc != want {
		t.Errorf("description = %q, want %q", desc, want)
	}
	list := m.Embeds[1].Description
	if want := "• Jane <@123456789>\n• Injected\n• bad link"; list != want {
		t.Errorf("list = %q, want %q", list, want)
	}
}

func TestRender_ButtonActionsRoundTrip(t *testing.T) {
	m := Render(bot.Reply{Buttons: []bot.Button{
		{Text: "Share", Action: "/whoowns payments-api", Shared: true},
		{Text: "Again", Action: "/whoowns payments-api"},
		{Text: "Again", Action: "/whoowns payments-api"},
	}})
	checkLimits(t, m)
	var got []string
	for _, c := range m.Components[0].(discordgo.ActionsRow).Components {
		action, shared, ok := decodeAction(c.(discordgo.Button).CustomID)
		if !ok {
			t.Fatalf("custom_id %q does not decode", c.(discordgo.Button).CustomID)
		}
		got = append(got, fmt.Sprintf("%s shared=%v", action, shared))
	}
	want := []string{"/whoowns payments-api shared=true", "/whoowns payments-api shared=false", "/whoowns payments-api shared=false"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("decoded buttons = %q, want %q", got, want)
	}
}

// FuzzRender renders replies built from arbitrary text and checks every
// Discord limit holds.
func FuzzRender(f *testing.F) {
	f.Add("title", "text", "name", "value", "item", "https://x.dev", "/cmd a", 3, 10)
	f.Add(strings.Repeat("é", 300), strings.Repeat("<@1>*", 3000), "", "", strings.Repeat("`", 500), "http://[::1", strings.Repeat("ü", 99), 30, 700)
	f.Fuzz(func(t *testing.T, title, text, name, value, item, link, action string, nFields, nItems int) {
		nFields, nItems = clamp(nFields, 60), clamp(nItems, 700)
		r := bot.Reply{Title: title, Text: text, Footer: text}
		for range nFields {
			r.Fields = append(r.Fields, bot.Field{Name: name, Value: value})
		}
		s := bot.Section{Title: title, Text: text, Total: nItems * 2, MoreAction: action}
		for range nItems {
			s.Items = append(s.Items, bot.Item{Text: item, URL: link, Detail: text, ChatUserID: name})
		}
		r.Sections = []bot.Section{s, s}
		for range nFields {
			r.Links = append(r.Links, bot.Link{Text: item, URL: link})
			r.Buttons = append(r.Buttons, bot.Button{Text: item, Action: action, Shared: true})
		}
		checkLimits(t, Render(r))
	})
}

func clamp(n, hi int) int {
	if n < 0 {
		n = -n
	}
	if n < 0 {
		return 0
	}
	return n % (hi + 1)
}
