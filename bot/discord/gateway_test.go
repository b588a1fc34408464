package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

func gatewayInteraction(t *testing.T, typ discordgo.InteractionType, data any) *discordgo.InteractionCreate {
	t.Helper()
	var ic discordgo.InteractionCreate
	if err := json.Unmarshal(interaction(t, typ, data), &ic); err != nil {
		t.Fatal(err)
	}
	return &ic
}

func TestGateway_InteractionAnsweredThroughCallback(t *testing.T) {
	fake := newFakeDiscord(t)
	router, inputs := recordingRouter(bot.Reply{Text: "pong", Ephemeral: true})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})

	a.onInteractionCreate(nil, gatewayInteraction(t, discordgo.InteractionApplicationCommand, command("help")))

	if in := awaitInput(t, inputs); in.Text != "/help" || in.User.ID != "44400" {
		t.Errorf("router input = %+v", in)
	}
	c := fake.await(t)
	if c.Method != "POST" || c.Path != "/api/v9/interactions/70001/secret-interaction-token/callback" {
		t.Fatalf("request = %s %s, want POST to the callback endpoint", c.Method, c.Path)
	}
	var r wireResponse
	if err := json.Unmarshal(c.Body, &r); err != nil {
		t.Fatal(err)
	}
	if r.Type != 4 || r.Data.Flags != 64 || !strings.Contains(embedText(r.Data.Embeds), "pong") {
		t.Errorf("callback = %s", c.Body)
	}
}

func TestGateway_DeferredThenEdited(t *testing.T) {
	fake := newFakeDiscord(t)
	release := make(chan struct{})
	router := routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		<-release
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "finally"}}
	})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{AnswerBudget: 10 * time.Millisecond})

	done := make(chan struct{})
	go func() {
		a.onInteractionCreate(nil, gatewayInteraction(t, discordgo.InteractionApplicationCommand, command("digest")))
		close(done)
	}()
	first := fake.await(t)
	if !strings.HasSuffix(first.Path, "/callback") || !strings.Contains(string(first.Body), `"type":5`) {
		t.Fatalf("first request = %s %s, want the deferred callback", first.Path, first.Body)
	}
	<-done
	close(release)
	second := fake.await(t)
	if second.Method != "PATCH" || !strings.HasSuffix(second.Path, "/webhooks/55500/secret-interaction-token/messages/@original") {
		t.Fatalf("second request = %s %s, want PATCH @original", second.Method, second.Path)
	}
	if !strings.Contains(string(second.Body), "finally") {
		t.Errorf("edit body = %s", second.Body)
	}
}

func gatewaySession(botID string) *discordgo.Session {
	s := &discordgo.Session{State: discordgo.NewState()}
	s.State.User = &discordgo.User{ID: botID, Username: "callboard", Bot: true}
	return s
}

func TestGateway_Mentions(t *testing.T) {
	human := &discordgo.User{ID: "44400", Username: "jane"}
	botUser := &discordgo.User{ID: "99900", Username: "callboard", Bot: true}
	tests := []struct {
		name     string
		msg      *discordgo.Message
		wantText string // "" means ignored
	}{
		{
			name:     "mention in a guild channel",
			msg:      &discordgo.Message{ID: "1", ChannelID: "22200", GuildID: "33300", Author: human, Content: "<@99900> who owns payments-api?", Mentions: []*discordgo.User{botUser}},
			wantText: "who owns payments-api?",
		},
		{
			name:     "nickname mention in the middle",
			msg:      &discordgo.Message{ID: "2", ChannelID: "22200", GuildID: "33300", Author: human, Content: "hey <@!99900>  /whoowns   x", Mentions: []*discordgo.User{botUser}},
			wantText: "hey /whoowns x",
		},
		{
			name:     "direct message without mention",
			msg:      &discordgo.Message{ID: "3", ChannelID: "22299", Author: human, Content: "help"},
			wantText: "help",
		},
		{
			name: "guild message without mention",
			msg:  &discordgo.Message{ID: "4", ChannelID: "22200", GuildID: "33300", Author: human, Content: "who owns payments-api?"},
		},
		{
			name: "another bot mentioning us",
			msg:  &discordgo.Message{ID: "5", ChannelID: "22200", GuildID: "33300", Author: &discordgo.User{ID: "1234", Bot: true}, Content: "<@99900> help", Mentions: []*discordgo.User{botUser}},
		},
		{
			name: "our own message",
			msg:  &discordgo.Message{ID: "6", ChannelID: "22299", Author: &discordgo.User{ID: "99900"}, Content: "help"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDiscord(t)
			router, inputs := recordingRouter(bot.Reply{Text: "Owned by <@everyone> payments-team", Ephemeral: true})
			dedup, _ := openDedup(t, filepath.Join(t.TempDir(), "callboard.db"))
			a := newTestAdapter(t, router, newKeys(t), fake, Options{Dedup: dedup})

			a.onMessageCreate(gatewaySession("99900"), &discordgo.MessageCreate{Message: tt.msg})
			a.onMessageCreate(gatewaySession("99900"), &discordgo.MessageCreate{Message: tt.msg}) // redelivered

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := a.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if tt.wantText == "" {
				if len(inputs) != 0 || len(fake.received()) != 0 {
					t.Errorf("ignored message reached the router (%d) or Discord (%d)", len(inputs), len(fake.received()))
				}
				return
			}
			if len(inputs) != 1 {
				t.Fatalf("router ran %d times, want once", len(inputs))
			}
			in := <-inputs
			want := bot.Input{Platform: "discord", User: bot.User{ID: "44400", Name: "jane"}, Channel: bot.Channel{ID: tt.msg.ChannelID}, Text: tt.wantText, Mention: true}
			if in.Text != want.Text || in.User != want.User || in.Channel != want.Channel || !in.Mention || in.Platform != "discord" {
				t.Errorf("router input = %+v, want %+v", in, want)
			}
			calls := fake.received()
			if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/api/v9/channels/"+tt.msg.ChannelID+"/messages" {
				t.Fatalf("requests = %+v, want one POST to the channel", calls)
			}
			var body struct {
				Flags           int `json:"flags"`
				AllowedMentions struct {
					Parse []string `json:"parse"`
				} `json:"allowed_mentions"`
				Reference struct {
					MessageID string `json:"message_id"`
				} `json:"message_reference"`
			}
			if err := json.Unmarshal(calls[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Flags != 0 || body.AllowedMentions.Parse == nil || len(body.AllowedMentions.Parse) != 0 || body.Reference.MessageID != tt.msg.ID {
				t.Errorf("posted reply = %s", calls[0].Body)
			}
		})
	}
}

func TestRunGateway_NeedsToken(t *testing.T) {
	router, _ := recordingRouter(bot.Reply{})
	a, err := New(router, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RunGateway(context.Background()); err == nil {
		t.Error("RunGateway without a bot token succeeded")
	}
}

// mention is a guild message that mentions the bot "99900".
func mention(id, text string) *discordgo.MessageCreate {
	return &discordgo.MessageCreate{Message: &discordgo.Message{
		ID: id, ChannelID: "22200", GuildID: "33300",
		Author:   &discordgo.User{ID: "44400", Username: "jane"},
		Content:  "<@99900> " + text,
		Mentions: []*discordgo.User{{ID: "99900", Username: "callboard", Bot: true}},
	}}
}

// shutDown waits for a's replies in flight.
func shutDown(t *testing.T, a *Adapter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestGateway_MentionAnsweredOnceAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callboard.db")
	fake := newFakeDiscord(t)
	router, inputs := recordingRouter(bot.Reply{Text: "Owned by payments-team"})
	msg := mention("1300000000000000001", "who owns payments-api?")

	// Each delivery runs in its own process life: a new adapter over the
	// bbolt file, reopened after the previous one closed it.
	deliver := func() {
		dedup, db := openDedup(t, path)
		a := newTestAdapter(t, router, newKeys(t), fake, Options{Dedup: dedup})
		a.onMessageCreate(gatewaySession("99900"), msg)
		shutDown(t, a)
		if err := db.Close(); err != nil {
			t.Fatalf("close bbolt: %v", err)
		}
	}
	deliver()
	deliver()

	if n := len(inputs); n != 1 {
		t.Errorf("router ran %d times for one message delivered before and after a restart, want 1", n)
	}
	if calls := fake.received(); len(calls) != 1 {
		t.Errorf("Discord received %d requests, want the one reply", len(calls))
	}
}

// recordingDeduper passes keys on to a real seen-set and remembers them.
type recordingDeduper struct {
	Deduper

	mu   sync.Mutex
	keys []string
}

func (d *recordingDeduper) FirstSeen(key string, now time.Time) (bool, error) {
	d.mu.Lock()
	d.keys = append(d.keys, key)
	d.mu.Unlock()
	return d.Deduper.FirstSeen(key, now)
}

func TestGateway_DedupKeysDoNotCollideWithSlack(t *testing.T) {
	dedup, _ := openDedup(t, filepath.Join(t.TempDir(), "callboard.db"))
	// Slack's keys for a message with the same channel and id strings, in
	// the same bucket, as bot/slack builds them.
	for _, k := range []string{"event:1300000000000000002", "message:22200:1300000000000000002", "envelope:1300000000000000002"} {
		if _, err := dedup.FirstSeen(k, testNow); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recordingDeduper{Deduper: dedup}
	fake := newFakeDiscord(t)
	router, inputs := recordingRouter(bot.Reply{Text: "ok"})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{Dedup: rec})

	a.onMessageCreate(gatewaySession("99900"), mention("1300000000000000002", "help"))
	shutDown(t, a)

	if n := len(inputs); n != 1 {
		t.Errorf("router ran %d times, want 1: a Slack key must not hide a Discord message", n)
	}
	if len(rec.keys) != 1 || !strings.HasPrefix(rec.keys[0], "discord:") {
		t.Errorf("dedup keys = %q, want one in the discord: namespace", rec.keys)
	}
}

func TestGateway_DedupFailureAnswersAndLogs(t *testing.T) {
	dedup, db := openDedup(t, filepath.Join(t.TempDir(), "callboard.db"))
	if err := db.Close(); err != nil { // every FirstSeen now fails
		t.Fatal(err)
	}
	var logs lockedBuffer
	fake := newFakeDiscord(t)
	router, inputs := recordingRouter(bot.Reply{Text: "ok"})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{
		Dedup:    dedup,
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		BotToken: "secret-bot-token",
	})

	a.onMessageCreate(gatewaySession("99900"), mention("1300000000000000003", "who owns the-secret-project?"))
	shutDown(t, a)

	if n := len(inputs); n != 1 {
		t.Errorf("router ran %d times with the seen-set unavailable, want 1 (answer rather than drop)", n)
	}
	if calls := fake.received(); len(calls) != 1 {
		t.Errorf("Discord received %d requests, want the one reply", len(calls))
	}
	got := logs.String()
	if !strings.Contains(got, "discord dedup unavailable") || !strings.Contains(got, "discord:message:22200:1300000000000000003") {
		t.Errorf("log lacks the dedup failure and its key:\n%s", got)
	}
	for _, secret := range []string{"the-secret-project", "secret-bot-token"} {
		if strings.Contains(got, secret) {
			t.Errorf("log contains %q:\n%s", secret, got)
		}
	}
}

func TestRunGateway_NeedsDedup(t *testing.T) {
	router, _ := recordingRouter(bot.Reply{})
	a, err := New(router, Options{BotToken: "test-bot-token"})
	if err != nil {
		t.Fatal(err)
	}
	err = a.RunGateway(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Dedup") {
		t.Errorf("RunGateway without a Dedup = %v, want an error naming Options.Dedup", err)
	}
}

func TestSecret_Redacted(t *testing.T) {
	opts := Options{BotToken: "abc.def"}
	for _, got := range []string{
		opts.BotToken.String(), opts.BotToken.GoString(), opts.BotToken.LogValue().String(),
		fmt.Sprintf("%v %+v %#v", opts, opts, opts),
	} {
		if strings.Contains(got, "abc") {
			t.Errorf("secret formats as %q", got)
		}
	}
}
