package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

func stringOption(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value}
}

func subcommand(name string, opts ...map[string]any) map[string]any {
	return map[string]any{"name": name, "type": 1, "options": opts}
}

func command(name string, opts ...map[string]any) map[string]any {
	return map[string]any{"id": "1", "name": name, "type": 1, "options": opts}
}

func TestHandler_CommandAnsweredInline(t *testing.T) {
	keys := newKeys(t)
	router, inputs := recordingRouter(bot.Reply{Title: "payments-api", Text: "Owned by payments-team", Ephemeral: true})
	a := newTestAdapter(t, router, keys, nil, Options{})

	w := post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("whoowns", stringOption("name", "payments-api"))))

	in := awaitInput(t, inputs)
	want := bot.Input{
		Platform: "discord",
		User:     bot.User{ID: "44400", Name: "Jane D"},
		Channel:  bot.Channel{ID: "22200"},
		Text:     "/whoowns payments-api",
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("router input = %+v, want %+v", in, want)
	}
	r := decodeResponse(t, w)
	if r.Type != int(discordgo.InteractionResponseChannelMessageWithSource) {
		t.Fatalf("response type = %d, want 4", r.Type)
	}
	if r.Data.Flags != int(discordgo.MessageFlagsEphemeral) {
		t.Errorf("flags = %d, want 64 for an ephemeral reply", r.Data.Flags)
	}
	if len(r.Data.Embeds) != 1 || r.Data.Embeds[0].Title != "payments\\-api" {
		t.Errorf("embeds = %+v, want one titled payments\\-api", r.Data.Embeds)
	}
	if r.Data.AllowedMentions == nil || r.Data.AllowedMentions.Parse == nil || len(r.Data.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions = %+v, want parse []", r.Data.AllowedMentions)
	}
}

func TestHandler_DirectMessageUser(t *testing.T) {
	keys := newKeys(t)
	router, inputs := recordingRouter(bot.Reply{Text: "ok"})
	a := newTestAdapter(t, router, keys, nil, Options{})
	body, _ := json.Marshal(map[string]any{
		"id": "70002", "application_id": "55500", "type": 2, "token": "tok", "channel_id": "22201",
		"user": map[string]any{"id": "44401", "username": "sam"},
		"data": command("help"),
	})
	post(t, a, keys, body)
	in := awaitInput(t, inputs)
	if in.User.ID != "44401" || in.User.Name != "sam" || in.Text != "/help" {
		t.Errorf("router input = %+v, want user 44401 sam and /help", in)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name string
		data map[string]any
		want string
		args []string
	}{
		{"whoowns", command("whoowns", stringOption("name", "payments-api")), "/whoowns payments-api", []string{"payments-api"}},
		{"name with spaces quoted", command("whoowns", stringOption("name", "Payments API")), `/whoowns "Payments API"`, []string{"Payments API"}},
		{"name with quotes", command("whoowns", stringOption("name", `say "hi" it's`)), `/whoowns "say \"hi\" it's"`, []string{`say "hi" it's`}},
		{"docs query last, one word each", command("docs", stringOption("query", "how to  rollback"), stringOption("name", "payments-api")),
			"/docs payments-api how to rollback", []string{"payments-api", "how", "to", "rollback"}},
		{"catalog search", command("catalog", subcommand("search", stringOption("text", "some text"))),
			"/catalog search some text", []string{"search", "some", "text"}},
		{"catalog owned-by", command("catalog", subcommand("owned-by", stringOption("group", "payments-team"))),
			"/catalog owned-by payments-team", []string{"owned-by", "payments-team"}},
		{"catalog deps", command("catalog", subcommand("deps", stringOption("ref", "component:default/payments-api"))),
			"/catalog deps component:default/payments-api", []string{"deps", "component:default/payments-api"}},
		{"new-service without template", command("new-service"), "/new-service", nil},
		{"digest", command("digest", stringOption("group", "sre")), "/digest sre", []string{"sre"}},
		{"help", command("help"), "/help", nil},
		{"unknown command keeps options", command("ping", stringOption("x", "a b")), `/ping "a b"`, []string{"a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(tt.data)
			var d discordgo.ApplicationCommandInteractionData
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			got := commandLine(d)
			if got != tt.want {
				t.Errorf("commandLine = %q, want %q", got, tt.want)
			}
			words, err := bot.Tokenize(got)
			if err != nil {
				t.Fatalf("Tokenize(%q): %v", got, err)
			}
			if !reflect.DeepEqual(words[1:], tt.args) && !(len(words) == 1 && tt.args == nil) {
				t.Errorf("Tokenize(%q) args = %q, want %q", got, words[1:], tt.args)
			}
		})
	}
}

// FuzzQuoteWord checks that every word survives the router's tokenizer.
func FuzzQuoteWord(f *testing.F) {
	for _, s := range []string{"", "a", "a b", `"`, `'x`, "“q”", `a\b`, "\u00a0", `\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if !utf8.ValidString(w) {
			return
		}
		got, err := bot.Tokenize(quoteWord(w))
		if err != nil || len(got) != 1 || got[0] != w {
			t.Fatalf("Tokenize(quoteWord(%q)) = %q, %v; want [%q]", w, got, err, w)
		}
	})
}

func TestHandler_DeferredThenEdited(t *testing.T) {
	fake := newFakeDiscord(t)
	keys := newKeys(t)
	release := make(chan struct{})
	started := make(chan bot.Input, 1)
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		started <- in
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Title: "slow answer", Text: "took a while", Ephemeral: true}}
	})
	a := newTestAdapter(t, router, keys, fake, Options{AnswerBudget: 20 * time.Millisecond})

	w := post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("catalog", subcommand("search", stringOption("text", "slow query")))))

	r := decodeResponse(t, w)
	if r.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
		t.Fatalf("initial response type = %d, want 5 (deferred)", r.Type)
	}
	if r.Data.Flags != int(discordgo.MessageFlagsEphemeral) {
		t.Errorf("deferred flags = %d, want 64", r.Data.Flags)
	}
	if in := <-started; in.Text != "/catalog search slow query" {
		t.Errorf("router input text = %q", in.Text)
	}
	if got := fake.received(); len(got) != 0 {
		t.Fatalf("Discord API called before the answer was ready: %+v", got)
	}
	close(release)

	c := fake.await(t)
	if c.Method != "PATCH" || c.Path != "/api/v9/webhooks/55500/secret-interaction-token/messages/@original" {
		t.Fatalf("follow-up = %s %s, want PATCH of @original", c.Method, c.Path)
	}
	d := decodeData(t, c.Body)
	if len(d.Embeds) != 1 || d.Embeds[0].Title != "slow answer" || d.Embeds[0].Description != "took a while" {
		t.Errorf("edited message embeds = %+v", d.Embeds)
	}
	if d.AllowedMentions == nil || len(d.AllowedMentions.Parse) != 0 {
		t.Errorf("edit allowed_mentions = %+v, want parse []", d.AllowedMentions)
	}
}

func TestHandler_SharedDeferralIsPublic(t *testing.T) {
	fake := newFakeDiscord(t)
	keys := newKeys(t)
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "shared"}}
	})
	a := newTestAdapter(t, router, keys, fake, Options{AnswerBudget: 10 * time.Millisecond})
	w := post(t, a, keys, interaction(t, discordgo.InteractionMessageComponent, map[string]any{"custom_id": "s0:/whoowns payments-api", "component_type": 2}))
	r := decodeResponse(t, w)
	close(release)
	if r.Type != 5 || r.Data.Flags != 0 {
		t.Errorf("deferral = type %d flags %d, want type 5 without flags", r.Type, r.Data.Flags)
	}
	if c := fake.await(t); c.Method != "PATCH" {
		t.Errorf("follow-up method = %s, want PATCH", c.Method)
	}
}

func TestHandler_ButtonRunsAction(t *testing.T) {
	tests := []struct {
		customID  string
		wantText  string
		wantShare bool
	}{
		{"s0:/whoowns payments-api", "/whoowns payments-api", true},
		{"r1:/catalog search x --page 2", "/catalog search x --page 2", false},
	}
	for _, tt := range tests {
		t.Run(tt.customID, func(t *testing.T) {
			keys := newKeys(t)
			router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
				if in.Text != tt.wantText || in.Shared != tt.wantShare || in.User.ID != "44400" {
					t.Errorf("router input = %+v, want text %q shared %v", in, tt.wantText, tt.wantShare)
				}
				// As bot.Router does: Shared replies are never ephemeral.
				return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "done", Ephemeral: !in.Shared}}
			})
			a := newTestAdapter(t, router, keys, nil, Options{})
			r := decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionMessageComponent, map[string]any{"custom_id": tt.customID, "component_type": 2})))
			if r.Type != 4 {
				t.Fatalf("response type = %d, want 4", r.Type)
			}
			if public := r.Data.Flags == 0; public != tt.wantShare {
				t.Errorf("flags = %d, want public=%v", r.Data.Flags, tt.wantShare)
			}
		})
	}
}

func TestHandler_UnknownButton(t *testing.T) {
	keys := newKeys(t)
	router, inputs := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, keys, nil, Options{})
	r := decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionMessageComponent, map[string]any{"custom_id": "legacy-button", "component_type": 2})))
	if r.Type != 4 || r.Data.Flags != 64 || !strings.Contains(embedText(r.Data.Embeds), "no longer works") {
		t.Errorf("response = %+v, want an ephemeral notice", r)
	}
	if len(inputs) != 0 {
		t.Error("router ran for an unknown button")
	}
}

type suggesterFunc func(ctx context.Context, kind, prefix string, limit int) []string

func (f suggesterFunc) Suggest(ctx context.Context, kind, prefix string, limit int) []string {
	return f(ctx, kind, prefix, limit)
}

func TestHandler_Autocomplete(t *testing.T) {
	keys := newKeys(t)
	router, inputs := recordingRouter(bot.Reply{})
	type query struct{ kind, prefix string }
	queries := make(chan query, 1)
	suggest := suggesterFunc(func(ctx context.Context, kind, prefix string, limit int) []string {
		queries <- query{kind, prefix}
		out := []string{"payments-team", "payments-team", "", strings.Repeat("x", 101), strings.Repeat("é", 100)}
		for i := range 2 * limit {
			out = append(out, fmt.Sprintf("group-%d", i))
		}
		return out
	})
	a := newTestAdapter(t, router, keys, nil, Options{Suggester: suggest})
	body := interaction(t, discordgo.InteractionApplicationCommandAutocomplete, command("catalog",
		subcommand("owned-by", map[string]any{"name": "group", "type": 3, "value": "pay", "focused": true})))

	r := decodeResponse(t, post(t, a, keys, body))

	if r.Type != int(discordgo.InteractionApplicationCommandAutocompleteResult) {
		t.Fatalf("response type = %d, want 8", r.Type)
	}
	if q := <-queries; q != (query{KindGroup, "pay"}) {
		t.Errorf("Suggest(%q, %q), want (group, pay)", q.kind, q.prefix)
	}
	if n := len(r.Data.Choices); n != maxChoices {
		t.Errorf("%d choices, want %d", n, maxChoices)
	}
	seen := map[string]bool{}
	for _, c := range r.Data.Choices {
		if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 || utf8.RuneCountInString(c.Value) > 100 {
			t.Errorf("choice %q/%q breaks the 1..100 limit", c.Name, c.Value)
		}
		if seen[c.Value] {
			t.Errorf("choice %q repeats", c.Value)
		}
		seen[c.Value] = true
	}
	if r.Data.Choices[0].Value != "payments-team" || r.Data.Choices[1].Value != strings.Repeat("é", 100) {
		t.Errorf("first choices = %+v, want payments-team then the 100-rune value", r.Data.Choices[:2])
	}
	if len(inputs) != 0 {
		t.Error("autocomplete reached the router")
	}
}

func TestHandler_AutocompleteNeverWaitsPastBudget(t *testing.T) {
	keys := newKeys(t)
	router, _ := recordingRouter(bot.Reply{})
	suggest := suggesterFunc(func(ctx context.Context, kind, prefix string, limit int) []string {
		<-ctx.Done()
		return []string{"too late"}
	})
	a := newTestAdapter(t, router, keys, nil, Options{Suggester: suggest, AnswerBudget: 20 * time.Millisecond})
	body := interaction(t, discordgo.InteractionApplicationCommandAutocomplete, command("whoowns",
		map[string]any{"name": "name", "type": 3, "value": "", "focused": true}))
	start := time.Now()
	w := post(t, a, keys, body)
	if d := time.Since(start); d > time.Second {
		t.Errorf("autocomplete answered after %v", d)
	}
	if !strings.Contains(w.Body.String(), `"choices":[]`) {
		t.Errorf("slow suggester answer = %s, want type 8 with choices []", w.Body.String())
	}
}

func sevenFieldForm() *bot.Form {
	f := &bot.Form{Title: "Create a new service from the Go HTTP service template", SubmitLabel: "Create", SubmitAction: "/new-service go-http --submit"}
	for i := range 7 {
		f.Fields = append(f.Fields, bot.FormField{Name: fmt.Sprintf("f%d", i), Label: fmt.Sprintf("Field %d", i), Required: i == 0})
	}
	f.Fields[6].Options = []string{"prod", "staging"}
	return f
}

func textInputs(d wireData) []wireComponent {
	var out []wireComponent
	for _, row := range d.Components {
		out = append(out, row.Components...)
	}
	return out
}

func modalSubmit(customID string, values map[string]string) map[string]any {
	var rows []any
	for id, v := range values {
		rows = append(rows, map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": id, "value": v}}})
	}
	return map[string]any{"custom_id": customID, "components": rows}
}

func TestHandler_PagedForm(t *testing.T) {
	keys := newKeys(t)
	inputs := make(chan bot.Input, 10)
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		inputs <- in
		if in.Values != nil {
			return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "Created."}}
		}
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Form: sevenFieldForm()}}
	})
	a := newTestAdapter(t, router, keys, nil, Options{})

	// The command answers with a modal holding the first five fields.
	r := decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("new-service", stringOption("template", "go-http")))))
	<-inputs
	if r.Type != int(discordgo.InteractionResponseModal) {
		t.Fatalf("response type = %d, want 9 (modal)", r.Type)
	}
	if n := utf8.RuneCountInString(r.Data.Title); n > maxModalTitle || !strings.HasSuffix(r.Data.Title, " (1/2)") {
		t.Errorf("modal title %q (%d runes), want ≤45 ending (1/2)", r.Data.Title, n)
	}
	if in := textInputs(r.Data); len(in) != 5 || in[0].CustomID != "v0" || !in[0].Required {
		t.Fatalf("modal inputs = %+v, want v0..v4 with v0 required", in)
	}
	page0 := r.Data.CustomID
	if !strings.HasPrefix(page0, "f:") || !strings.HasSuffix(page0, ":0") {
		t.Fatalf("modal custom_id = %q, want f:<key>:0", page0)
	}

	// A blank required field is refused, with a button to fix it.
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionModalSubmit, modalSubmit(page0, map[string]string{"v0": "  ", "v1": "b"}))))
	if r.Type != 4 || r.Data.Flags != 64 || !strings.Contains(embedText(r.Data.Embeds), "Field 0 is required") {
		t.Fatalf("blank required field answer = %+v", r)
	}
	if b := buttons(r.Data.Components); len(b) != 1 || b[0].CustomID != page0 {
		t.Fatalf("fix buttons = %+v, want one reopening %s", b, page0)
	}
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionMessageComponent, map[string]any{"custom_id": page0, "component_type": 2})))
	if r.Type != 9 || textInputs(r.Data)[1].Value != "b" {
		t.Fatalf("reopened page = %+v, want modal prefilled with v1=b", r)
	}

	// The first page saved, a Continue button opens the second.
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionModalSubmit, modalSubmit(page0, map[string]string{"v0": "payments-api", "v1": "b", "v2": "c", "v3": "", "v4": "e"}))))
	b := buttons(r.Data.Components)
	if r.Type != 4 || len(b) != 1 || b[0].Label != "Continue" || !strings.HasSuffix(b[0].CustomID, ":1") {
		t.Fatalf("after page 1 = %+v, want a Continue button for page 2", r)
	}
	page1 := b[0].CustomID

	// Someone else cannot continue it.
	other, _ := json.Marshal(map[string]any{
		"id": "70003", "application_id": "55500", "type": 3, "token": "tok", "channel_id": "22200",
		"member": map[string]any{"user": map[string]any{"id": "44499", "username": "mallory"}},
		"data":   map[string]any{"custom_id": page1, "component_type": 2},
	})
	if r := decodeResponse(t, post(t, a, keys, other)); r.Type != 4 || !strings.Contains(embedText(r.Data.Embeds), "someone else") {
		t.Errorf("another user's Continue = %+v, want a refusal", r)
	}

	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionMessageComponent, map[string]any{"custom_id": page1, "component_type": 2})))
	if r.Type != 9 || len(textInputs(r.Data)) != 2 || !strings.HasSuffix(r.Data.Title, "(2/2)") {
		t.Fatalf("second page = %+v, want a modal with 2 inputs", r)
	}

	// An answer outside Options is refused; a matching one is stored as written.
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionModalSubmit, modalSubmit(page1, map[string]string{"v5": "f", "v6": "dev"}))))
	if !strings.Contains(embedText(r.Data.Embeds), "must be one of: prod, staging") {
		t.Fatalf("bad option answer = %+v", r)
	}
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionModalSubmit, modalSubmit(page1, map[string]string{"v5": "f", "v6": "PROD"}))))
	if r.Type != 4 || !strings.Contains(embedText(r.Data.Embeds), "Created.") {
		t.Fatalf("final answer = %+v, want the SubmitAction's reply", r)
	}
	in := awaitInput(t, inputs)
	want := map[string]string{"f0": "payments-api", "f1": "b", "f2": "c", "f3": "", "f4": "e", "f5": "f", "f6": "prod"}
	if in.Text != "/new-service go-http --submit" || !reflect.DeepEqual(in.Values, want) {
		t.Errorf("submitted input = %q %v, want SubmitAction with %v", in.Text, in.Values, want)
	}

	// The form is gone once submitted.
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionModalSubmit, modalSubmit(page1, map[string]string{"v5": "f", "v6": "prod"}))))
	if !strings.Contains(embedText(r.Data.Embeds), "expired") {
		t.Errorf("resubmission = %+v, want an expired notice", r)
	}
}

func TestHandler_FormAfterDeferralBecomesButton(t *testing.T) {
	fake := newFakeDiscord(t)
	keys := newKeys(t)
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "Fill this in", Form: sevenFieldForm()}}
	})
	a := newTestAdapter(t, router, keys, fake, Options{AnswerBudget: 10 * time.Millisecond})
	r := decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("new-service"))))
	if r.Type != 5 {
		t.Fatalf("initial response type = %d, want 5", r.Type)
	}
	close(release)
	d := decodeData(t, fake.await(t).Body)
	b := buttons(d.Components)
	if len(b) != 1 || !strings.HasPrefix(b[0].CustomID, "f:") || !strings.HasSuffix(b[0].CustomID, ":0") {
		t.Fatalf("edited message buttons = %+v, want one opening the form", b)
	}
	r = decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionMessageComponent, map[string]any{"custom_id": b[0].CustomID, "component_type": 2})))
	if r.Type != 9 {
		t.Errorf("pressing the form button answered type %d, want 9", r.Type)
	}
}

func TestHandler_LogsNoTokens(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		http.Error(w, `{"message":"Unknown Webhook","code":10015}`, http.StatusBadRequest)
		return true
	})
	keys := newKeys(t)
	var logs lockedBuffer
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "x"}}
	})
	a := newTestAdapter(t, router, keys, fake, Options{
		AnswerBudget: 10 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	decodeResponse(t, post(t, a, keys, interaction(t, discordgo.InteractionApplicationCommand, command("help"))))
	close(release)
	fake.await(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "deferred answer failed") {
		t.Errorf("logs = %q, want the failed edit logged", out)
	}
	for _, secret := range []string{"secret-interaction-token", "test-bot-token"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q: %s", secret, out)
		}
	}
}
