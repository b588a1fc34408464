package slack

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
)

var digest = bot.Reply{Title: "Weekly digest", Text: "3 builds failed"}

// accepted counts the calls to method that Slack answered with ok.
func accepted(f *fakeSlack, method string, failed int) int {
	return len(f.callsTo(method)) - failed
}

func TestPost_RetriesAfterRateLimit(t *testing.T) {
	env := newTestEnv(t, router())
	env.slack.respond("chat.postMessage", rateLimited(7))

	ts, err := env.a.Post(t.Context(), "C1", digest)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if ts == "" {
		t.Errorf("Post returned an empty ts")
	}
	calls := env.slack.callsTo("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("chat.postMessage called %d times, want 2 (429, then the post)", len(calls))
	}
	if n := accepted(env.slack, "chat.postMessage", 1); n != 1 {
		t.Errorf("%d messages delivered, want exactly 1", n)
	}
	if slept := env.clock.Slept(); !slices.Contains(slept, 7*time.Second) {
		t.Errorf("waits = %v, want one of 7s (Retry-After)", slept)
	}
	if calls[0].str("text") != calls[1].str("text") || calls[1].str("blocks") == "" {
		t.Errorf("retry sent a different message")
	}
}

func TestPost_RetriesServerErrors(t *testing.T) {
	env := newTestEnv(t, router())
	env.slack.respond("chat.postMessage", status(http.StatusServiceUnavailable))
	env.slack.respond("chat.postMessage", status(http.StatusBadGateway))

	if _, err := env.a.Post(t.Context(), "C1", digest); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 3 {
		t.Errorf("chat.postMessage called %d times, want 3", n)
	}
}

func TestPost_NeverRetriesAnAnsweredCall(t *testing.T) {
	env := newTestEnv(t, router())
	env.slack.respond("chat.postMessage", apiError("channel_not_found"))

	_, err := env.a.Post(t.Context(), "C404", digest)
	if err == nil {
		t.Fatalf("Post to a missing channel: error = nil")
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times after a 200 answer, want 1", n)
	}
}

func TestPost_GivesUpAfterMaxAttempts(t *testing.T) {
	env := newTestEnv(t, router())
	for range maxAttempts + 1 {
		env.slack.respond("chat.postMessage", rateLimited(1))
	}
	_, err := env.a.Post(t.Context(), "C1", digest)
	if err == nil {
		t.Fatalf("Post while always rate limited: error = nil")
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != maxAttempts {
		t.Errorf("chat.postMessage called %d times, want %d", n, maxAttempts)
	}
}

func TestPost_RetryAfterWaitEndsWithContext(t *testing.T) {
	// The real timer: a 30-second Retry-After cut short by cancelling.
	env := newTestEnv(t, router(), func(o *Options) { o.Sleep = nil })
	env.slack.respond("chat.postMessage", rateLimited(30))
	ctx, cancel := context.WithCancel(t.Context())
	env.slack.setOnCall(func(c apiCall) {
		if c.Method == "chat.postMessage" {
			cancel()
		}
	})

	start := time.Now()
	_, err := env.a.Post(ctx, "C1", digest)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Post = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Post took %v after cancel, want it to stop waiting at once", d)
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times, want 1", n)
	}
}

func TestPost_PacedPerChannel(t *testing.T) {
	env := newTestEnv(t, router())
	for _, ch := range []string{"C1", "C1", "C2", "C1"} {
		if _, err := env.a.Post(t.Context(), ch, digest); err != nil {
			t.Fatalf("Post(%s): %v", ch, err)
		}
	}
	// C1 waits a second before its second post; C2's first post does not
	// wait; C1's third post waits for its slot after the second.
	want := []time.Duration{time.Second, time.Second}
	if got := env.clock.Slept(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestUpdate(t *testing.T) {
	env := newTestEnv(t, router())
	env.slack.respond("chat.update", rateLimited(2))
	if err := env.a.Update(t.Context(), "C1", "1700000000.000001", bot.Reply{Text: "75% done"}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	calls := env.slack.callsTo("chat.update")
	if len(calls) != 2 {
		t.Fatalf("chat.update called %d times, want 2", len(calls))
	}
	if c := calls[1]; c.str("channel") != "C1" || c.str("ts") != "1700000000.000001" || c.str("text") != "75% done" {
		t.Errorf("chat.update got channel %q ts %q text %q", c.str("channel"), c.str("ts"), c.str("text"))
	}
}

// slack.api_url is often written without its trailing slash; slack-go
// would then call ".../apichat.postMessage".
func TestPost_APIURLWithoutTrailingSlash(t *testing.T) {
	env := newTestEnv(t, router(), func(o *Options) { o.APIURL = strings.TrimSuffix(o.APIURL, "/") })
	if _, err := env.a.Post(t.Context(), "C1", digest); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times, want 1", n)
	}
}

// A post whose answer never comes may be in the channel all the same: the
// error says so, for notifier.MaybeDelivered. One Slack refused does not.
func TestPost_UnansweredMayBeDelivered(t *testing.T) {
	maybe := func(err error) bool {
		var u interface{ MaybeDelivered() bool }
		return errors.As(err, &u) && u.MaybeDelivered()
	}
	env := newTestEnv(t, router())
	env.slack.respond("chat.postMessage", func(w http.ResponseWriter) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the request was read; no answer is sent
		}
	})
	_, err := env.a.Post(t.Context(), "C1", digest)
	if err == nil || !maybe(err) {
		t.Errorf("Post with the connection dropped = %v, want an error that may have delivered", err)
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times, want 1 (an unanswered post is not retried)", n)
	}

	env.slack.respond("chat.postMessage", apiError("channel_not_found"))
	if _, err := env.a.Post(t.Context(), "C1", digest); err == nil || maybe(err) {
		t.Errorf("Post refused by Slack = %v, want an error that delivered nothing", err)
	}

	closed := newTestEnv(t, router(), func(o *Options) { o.APIURL = "http://127.0.0.1:1/api/" })
	if _, err := closed.a.Post(t.Context(), "C1", digest); err == nil || maybe(err) {
		t.Errorf("Post to a refused connection = %v, want an error that delivered nothing", err)
	}
}
