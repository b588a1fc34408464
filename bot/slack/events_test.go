package slack

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callboard/callboard/bot"
)

// callback wraps an inner event as the Events API delivers it.
func callback(eventID, inner string) string {
	return fmt.Sprintf(`{
		"token": "XXYYZZ",
		"team_id": "T0001",
		"api_app_id": "A0001",
		"event": %s,
		"type": "event_callback",
		"event_id": %q,
		"event_time": 1700000000,
		"authorizations": [{"enterprise_id": null, "team_id": "T0001", "user_id": %q, "is_bot": true, "is_enterprise_install": false}],
		"event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0"
	}`, inner, eventID, testBotUser)
}

func appMention(channel, user, text, ts string) string {
	return fmt.Sprintf(`{"type":"app_mention","user":%q,"text":%q,"ts":%q,"channel":%q,"event_ts":%q}`, user, text, ts, channel, ts)
}

func directMessage(channel, user, text, ts string) string {
	return fmt.Sprintf(`{"type":"message","channel":%q,"user":%q,"text":%q,"ts":%q,"event_ts":%q,"channel_type":"im"}`, channel, user, text, ts, ts)
}

func whoownsRouter(h *recorder) *bot.Router {
	return router(bot.Command{
		Name: "whoowns", MinArgs: 1, Handler: h,
		Phrases: []bot.Phrase{{Pattern: "who owns {name}"}},
	})
}

func TestEvents_URLVerification(t *testing.T) {
	env := newTestEnv(t, router())
	rec := env.event(t, `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if got := decodeBody(t, rec.Body.Bytes())["challenge"]; got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge = %v, want the one sent", got)
	}
}

func TestEvents_MentionReachesRouterInPlainWords(t *testing.T) {
	h := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: req.Arg(0) + " is owned by payments-team"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h))
	env.slack.setEmail("U061F7AUR", "jane@example.com")

	rec := env.event(t, callback("Ev0PV52K21", appMention("C0LAN2Q65", "U061F7AUR",
		"<@"+testBotUser+"> who owns <https://github.com/acme/payments-api|payments-api>?", "1515449522.000016")))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	env.settle(t)

	reqs := h.Requests()
	if len(reqs) != 1 {
		t.Fatalf("handler ran %d times, want 1", len(reqs))
	}
	if reqs[0].Arg(0) != "payments-api" || reqs[0].User.Email != "jane@example.com" {
		t.Errorf("handler got args %q user %+v, want [payments-api] and jane@example.com", reqs[0].Args, reqs[0].User)
	}
	posts := env.slack.callsTo("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1", len(posts))
	}
	if posts[0].str("channel") != "C0LAN2Q65" || !strings.Contains(posts[0].str("text"), "payments-api is owned by payments-team") {
		t.Errorf("posted %q to %q", posts[0].str("text"), posts[0].str("channel"))
	}
}

func TestEvents_ThreadedMentionAnsweredInThread(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	inner := `{"type":"app_mention","user":"U1","text":"<@` + testBotUser + `> whoowns x","ts":"1700000001.000200","thread_ts":"1700000000.000100","channel":"C1","event_ts":"1700000001.000200"}`
	env.event(t, callback("EvThread", inner))
	env.settle(t)
	posts := env.slack.callsTo("chat.postMessage")
	if len(posts) != 1 || posts[0].str("thread_ts") != "1700000000.000100" {
		t.Fatalf("posts = %v, want one reply in thread 1700000000.000100", posts)
	}
}

func TestEvents_RetriesProcessedOnce(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	body := callback("Ev0PV52K25", appMention("C0LAN2Q65", "U061F7AUR", "<@"+testBotUser+"> who owns payments-api", "1515449522.000016"))

	env.event(t, body)
	env.event(t, body, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	env.event(t, body, "X-Slack-Retry-Num", "2", "X-Slack-Retry-Reason", "http_timeout")
	// The same message again, delivered for the message.im subscription
	// under another event id.
	env.event(t, callback("Ev0PV52K26", directMessage("C0LAN2Q65", "U061F7AUR", "<@"+testBotUser+"> who owns payments-api", "1515449522.000016")))
	env.settle(t)

	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times for one message delivered four ways, want 1", n)
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times, want 1", n)
	}
}

// Each key dedups on its own: a retry is recognised by its event_id even
// where (channel, ts) would not tell it apart.
func TestEvents_RetryRecognisedByEventID(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	env.event(t, callback("EvSame", directMessage("D1", "U2", "whoowns payments-api", "1.1")))
	env.event(t, callback("EvSame", directMessage("D1", "U2", "whoowns payments-api", "1.2")), "X-Slack-Retry-Num", "1")
	env.settle(t)
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times for one event_id, want 1", n)
	}
}

func TestEvents_SeenSetSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callboard.db")
	body := callback("EvRestart", directMessage("D0PNCRP9N", "U061F7AUR", "whoowns payments-api", "1515449600.000100"))
	h := &recorder{}

	deliver := func() {
		dedup, db := openDedup(t, path)
		defer db.Close()
		env := newTestEnv(t, whoownsRouter(h), func(o *Options) { o.Dedup = dedup })
		env.event(t, body, "X-Slack-Retry-Num", "1")
		env.settle(t)
	}
	deliver()
	deliver()

	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times across a restart, want 1", n)
	}
}

func TestEvents_IgnoresBotsAndOtherMessages(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	for name, inner := range map[string]string{
		"other bot":       `{"type":"message","channel":"D1","bot_id":"B999","text":"whoowns x","ts":"1.1","channel_type":"im"}`,
		"bot_message":     `{"type":"message","subtype":"bot_message","channel":"D1","text":"whoowns x","ts":"1.2","channel_type":"im"}`,
		"ourselves":       `{"type":"message","channel":"D1","user":"` + testBotUser + `","text":"whoowns x","ts":"1.3","channel_type":"im"}`,
		"bot mention":     `{"type":"app_mention","channel":"C1","user":"U2","bot_id":"B999","text":"<@` + testBotUser + `> whoowns x","ts":"1.4"}`,
		"channel message": `{"type":"message","channel":"C1","user":"U2","text":"whoowns x","ts":"1.5","channel_type":"channel"}`,
		"edit":            `{"type":"message","subtype":"message_changed","channel":"D1","ts":"1.6","channel_type":"im","message":{"user":"U2","text":"whoowns x","ts":"1.0"}}`,
		"reaction":        `{"type":"reaction_added","user":"U2","reaction":"thumbsup","item":{"type":"message","channel":"C1","ts":"1.0"},"event_ts":"1.7"}`,
		// Subtypes that carry a user and text are still not questions.
		"me message": `{"type":"message","subtype":"me_message","channel":"D1","user":"U2","text":"whoowns x","ts":"1.8","channel_type":"im"}`,
		"join":       `{"type":"message","subtype":"channel_join","channel":"D1","user":"U2","text":"<@U2> has joined the channel","ts":"1.9","channel_type":"im"}`,
	} {
		if rec := env.event(t, callback("Ev-"+strings.ReplaceAll(name, " ", "-"), inner)); rec.Code != http.StatusOK {
			t.Errorf("%s: status = %d, want 200", name, rec.Code)
		}
	}
	env.settle(t)
	if reqs := h.Requests(); len(reqs) != 0 {
		t.Errorf("handler ran for %d ignored messages: %+v", len(reqs), reqs)
	}
	if n := len(env.slack.callsTo("chat.postMessage")) + len(env.slack.callsTo("chat.postEphemeral")); n != 0 {
		t.Errorf("bot answered %d ignored messages", n)
	}
}

func TestEvents_UnknownEventAcknowledged(t *testing.T) {
	env := newTestEnv(t, router())
	rec := env.event(t, callback("EvX", `{"type":"some_future_event","x":1}`))
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200 so that Slack does not retry", rec.Code)
	}
	if rec := env.event(t, `{not json`); rec.Code != http.StatusBadRequest {
		t.Errorf("malformed body: status = %d, want 400", rec.Code)
	}
}

func TestEvents_EphemeralMentionReply(t *testing.T) {
	env := newTestEnv(t, router()) // unknown command: ephemeral help
	env.event(t, callback("EvEph", appMention("C1", "U2", "<@"+testBotUser+"> frobnicate", "1.9")))
	env.event(t, callback("EvEphDM", directMessage("D1", "U2", "frobnicate", "2.0")))
	env.settle(t)
	eph := env.slack.callsTo("chat.postEphemeral")
	if len(eph) != 1 || eph[0].str("channel") != "C1" || eph[0].str("user") != "U2" {
		t.Errorf("chat.postEphemeral calls = %v, want one to U2 in C1", eph)
	}
	posts := env.slack.callsTo("chat.postMessage")
	if len(posts) != 1 || posts[0].str("channel") != "D1" {
		t.Errorf("chat.postMessage calls = %v, want one in the DM D1 (ephemeral makes no sense there)", posts)
	}
}

func TestStripMention(t *testing.T) {
	for _, tt := range []struct{ text, self, want string }{
		{"<@UBOT> who owns x", "UBOT", "who owns x"},
		{"<@UBOT|callboard>: who owns x", "UBOT", "who owns x"},
		{"<@UOTHER> who owns x", "UBOT", "<@UOTHER> who owns x"},
		{"<@UANY> who owns x", "", "who owns x"},
		{"who owns <@U1>", "UBOT", "who owns <@U1>"},
	} {
		if got := stripMention(tt.text, tt.self); got != tt.want {
			t.Errorf("stripMention(%q, %q) = %q, want %q", tt.text, tt.self, got, tt.want)
		}
	}
}

func TestPlainWords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"who owns <https://github.com/acme/x|acme/x>", "who owns acme/x"},
		{"docs for <https://example.com/a?b=1&amp;c=2>", "docs for https://example.com/a?b=1&c=2"},
		{"mail <mailto:jane@example.com|jane@example.com>", "mail jane@example.com"},
		{"a &lt;b&gt; &amp;amp;", "a <b> &amp;"},
		{"owner of <#C123|general> by <@U1>", "owner of <#C123|general> by <@U1>"},
	} {
		if got := plainWords(tt.in); got != tt.want {
			t.Errorf("plainWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
