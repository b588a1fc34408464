package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/callboard/callboard/bot"
)

// ackRecorder is an acker that records what it acknowledged.
type ackRecorder struct {
	mu   sync.Mutex
	acks []socketmode.Response
}

func (r *ackRecorder) ack(_ context.Context, id string, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, socketmode.Response{EnvelopeID: id, Payload: payload})
	return nil
}

func TestEnvelope_SlashCommandAnsweredInAck(t *testing.T) {
	h := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: "owned by payments-team"}, nil
	}}
	env := newTestEnv(t, router(bot.Command{Name: "whoowns", Handler: h}))
	cmd := slack.SlashCommand{Command: "/whoowns", Text: "payments-api", UserID: "U1", ChannelID: "C1", ResponseURL: env.slack.hookURL("sm"), TriggerID: "1.2.3"}
	evt := socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: cmd,
		Request: &socketmode.Request{Type: socketmode.RequestTypeSlashCommands, EnvelopeID: "env-1", AcceptsResponsePayload: true}}

	var acks ackRecorder
	env.a.envelope(t.Context(), acks.ack, evt)
	// Socket Mode redelivers an envelope it thinks was not acknowledged.
	env.a.envelope(t.Context(), acks.ack, evt)
	env.settle(t)

	if len(acks.acks) != 2 {
		t.Fatalf("acknowledged %d times, want 2 (every delivery is acknowledged)", len(acks.acks))
	}
	msg, ok := acks.acks[0].Payload.(*slack.WebhookMessage)
	if !ok || msg.Text != "owned by payments-team" || msg.ResponseType != "in_channel" {
		t.Errorf("first ack payload = %#v, want the answer in channel", acks.acks[0].Payload)
	}
	if acks.acks[1].Payload != nil {
		t.Errorf("redelivery ack payload = %#v, want empty", acks.acks[1].Payload)
	}
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

func TestEnvelope_LargeAnswerGoesThroughResponseURL(t *testing.T) {
	items := make([]bot.Item, 40)
	for i := range items {
		items[i] = bot.Item{Text: strings.Repeat("x", 60), URL: "https://example.com/" + strings.Repeat("y", 200)}
	}
	big := bot.Reply{Sections: make([]bot.Section, 20)}
	for i := range big.Sections {
		big.Sections[i] = bot.Section{Title: fmt.Sprint("S", i), Items: items}
	}
	env := newTestEnv(t, router(bot.Command{Name: "big", Handler: bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		return big, nil
	})}))
	evt := socketmode.Event{Type: socketmode.EventTypeSlashCommand,
		Data:    slack.SlashCommand{Command: "/big", UserID: "U1", ChannelID: "C1", ResponseURL: env.slack.hookURL("big")},
		Request: &socketmode.Request{Type: socketmode.RequestTypeSlashCommands, EnvelopeID: "env-big"}}
	var acks ackRecorder
	env.a.envelope(t.Context(), acks.ack, evt)
	env.settle(t)

	if len(acks.acks) != 1 || acks.acks[0].Payload != nil {
		t.Fatalf("acks = %+v, want one empty ack (the answer is over 20 KB)", acks.acks)
	}
	if n := len(env.slack.callsTo("hook")); n != 1 {
		t.Errorf("response_url got %d posts, want the answer there", n)
	}
}

func TestEnvelope_EventsProcessedOnce(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	raw := callback("EvSock1", appMention("C1", "U2", "<@"+testBotUser+"> who owns payments-api", "1700000009.000100"))
	ev, err := slackevents.ParseEvent(json.RawMessage(raw), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	var acks ackRecorder
	for i, id := range []string{"env-a", "env-a", "env-b"} { // a redelivery, then a retry in a new envelope
		env.a.envelope(t.Context(), acks.ack, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev,
			Request: &socketmode.Request{Type: socketmode.RequestTypeEventsAPI, EnvelopeID: id, RetryAttempt: i}})
	}
	env.settle(t)
	if len(acks.acks) != 3 {
		t.Errorf("acknowledged %d envelopes, want 3", len(acks.acks))
	}
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// fakeSocketSlack serves apps.connections.open and the WebSocket it points
// to, and hands each accepted connection to the test.
type fakeSocketSlack struct {
	*fakeSlack
	conns chan *websocket.Conn
	opens chan struct{}
}

func newFakeSocketSlack(t *testing.T) *fakeSocketSlack {
	f := &fakeSocketSlack{fakeSlack: newFakeSlack(t), conns: make(chan *websocket.Conn, 4), opens: make(chan struct{}, 4)}
	// slack-go sends Origin: https://api.slack.com, which is not this host.
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer xapp-1-A0001-1-secret" {
			writeAPI(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		select {
		case f.opens <- struct{}{}:
		default:
		}
		writeAPI(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/link"})
	})
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		select {
		case f.conns <- c:
		default:
			c.Close()
		}
	})
	mux.HandleFunc("/", f.serve)
	f.srv.Config.Handler = mux
	return f
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func TestRun_SocketMode(t *testing.T) {
	fake := newFakeSocketSlack(t)
	h := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: req.Arg(0) + " is owned by payments-team"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h), func(o *Options) {
		o.APIURL = fake.apiURL()
		o.AppToken = "xapp-1-A0001-1-secret"
		o.SigningSecret = ""
	})
	env.slack = fake.fakeSlack
	posted := make(chan struct{}, 1)
	fake.setOnCall(func(c apiCall) {
		if c.Method == "chat.postMessage" {
			posted <- struct{}{}
		}
	})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- env.a.Run(ctx) }()

	// First connection: hello, then a slash command answered in the ack.
	receive(t, fake.opens, "apps.connections.open")
	conn := receive(t, fake.conns, "the WebSocket connection")
	send := func(c *websocket.Conn, v string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	readAck := func(c *websocket.Conn) map[string]any {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var ack map[string]any
		if err := c.ReadJSON(&ack); err != nil {
			t.Fatalf("read ack: %v", err)
		}
		return ack
	}
	send(conn, `{"type":"hello","num_connections":1,"debug_info":{"host":"applink-1","approximate_connection_time":18060},"connection_info":{"app_id":"A0001"}}`)
	send(conn, `{"envelope_id":"cmd-1","type":"slash_commands","accepts_response_payload":true,"payload":{"token":"x","team_id":"T0001","channel_id":"C1","channel_name":"payments","user_id":"U2","user_name":"sam","command":"/whoowns","text":"payments-api","response_url":"`+fake.hookURL("sm")+`","trigger_id":"1.2.3","api_app_id":"A0001"}}`)
	ack := readAck(conn)
	if ack["envelope_id"] != "cmd-1" {
		t.Fatalf("ack = %v, want envelope cmd-1", ack)
	}
	payload, _ := ack["payload"].(map[string]any)
	if payload["response_type"] != "in_channel" || !strings.Contains(fmt.Sprint(payload["text"]), "payments-api is owned by payments-team") {
		t.Errorf("ack payload = %v, want the answer in channel", payload)
	}

	// Slack asks us to reconnect; slack-go opens a new connection.
	send(conn, `{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-1"}}`)
	receive(t, fake.opens, "apps.connections.open after disconnect")
	conn2 := receive(t, fake.conns, "the second WebSocket connection")
	send(conn2, `{"type":"hello","num_connections":1}`)
	event := callback("EvSocket", appMention("C1", "U2", "<@"+testBotUser+"> who owns billing-api", "1700000010.000100"))
	send(conn2, `{"envelope_id":"ev-1","type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":"","payload":`+event+`}`)
	if ack := readAck(conn2); ack["envelope_id"] != "ev-1" {
		t.Errorf("ack = %v, want envelope ev-1", ack)
	}

	receive(t, posted, "the answer to the mention")

	// Cancelling stops Run, with nil.
	cancel()
	if err := receive(t, done, "Run to return after cancel"); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	env.settle(t)

	posts := fake.callsTo("chat.postMessage")
	if len(posts) != 1 || !strings.Contains(posts[0].str("text"), "billing-api is owned by payments-team") {
		t.Errorf("posts = %v, want the mention answered", posts)
	}
	if n := len(h.Requests()); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}

func TestRun_RefusesWithoutAppToken(t *testing.T) {
	env := newTestEnv(t, router())
	if err := env.a.Run(t.Context()); err == nil {
		t.Errorf("Run without an app token: error = nil")
	}
}

func TestRun_InvalidAppTokenEndsRun(t *testing.T) {
	fake := newFakeSocketSlack(t)
	env := newTestEnv(t, router(), func(o *Options) {
		o.APIURL = fake.apiURL()
		o.AppToken = "xapp-1-wrong"
	})
	done := make(chan error, 1)
	go func() { done <- env.a.Run(t.Context()) }()
	if err := receive(t, done, "Run to give up"); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("Run with a revoked token = %v, want an invalid_auth error", err)
	}
}
