package discord

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
)

func TestPost_RetriesAfter429Once(t *testing.T) {
	fake := newFakeDiscord(t)
	var attempts, created atomic.Int32
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		if attempts.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-RateLimit-Scope", "user")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"You are being rate limited.","retry_after":0.05,"global":false}`))
			return true
		}
		created.Add(1)
		_, _ = w.Write([]byte(`{"id":"777000"}`))
		return true
	})
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})

	start := time.Now()
	id, err := a.Post(context.Background(), "22200", bot.Reply{Title: "Weekly digest", Text: "3 builds failed"})
	elapsed := time.Since(start)

	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id != "777000" {
		t.Errorf("Post id = %q, want 777000", id)
	}
	if created.Load() != 1 || attempts.Load() != 2 {
		t.Errorf("%d messages created in %d attempts, want 1 in 2", created.Load(), attempts.Load())
	}
	if elapsed < 50*time.Millisecond {
		t.Errorf("Post returned after %v, before retry_after (50ms)", elapsed)
	}
	if elapsed > 900*time.Millisecond {
		t.Errorf("Post took %v: it waited for the Retry-After header instead of retry_after", elapsed)
	}
	calls := fake.received()
	for _, c := range calls {
		if c.Method != "POST" || c.Path != "/api/v9/channels/22200/messages" {
			t.Errorf("request %s %s, want POST /api/v9/channels/22200/messages", c.Method, c.Path)
		}
	}
	d := decodeData(t, calls[len(calls)-1].Body)
	if len(d.Embeds) != 1 || d.Embeds[0].Title != "Weekly digest" || d.AllowedMentions == nil || len(d.AllowedMentions.Parse) != 0 {
		t.Errorf("posted message = %+v", d)
	}
}

func TestPost_WaitsForExhaustedBucket(t *testing.T) {
	fake := newFakeDiscord(t)
	var calls atomic.Int32
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		calls.Add(1)
		w.Header().Set("X-RateLimit-Bucket", "abcd")
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", "0.25")
		_, _ = w.Write([]byte(`{"id":"1"}`))
		return true
	})
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})
	ctx := context.Background()
	if _, err := a.Post(ctx, "22200", bot.Reply{Text: "one"}); err != nil {
		t.Fatal(err)
	}

	// A context that ends before the bucket resets gets an error at once,
	// and nothing is sent.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := a.Post(short, "22200", bot.Reply{Text: "two"}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("Post with a short context = %v, want ErrRateLimited", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d requests sent, want 1", calls.Load())
	}

	// Another channel is another bucket.
	start := time.Now()
	if _, err := a.Post(ctx, "22201", bot.Reply{Text: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("a post to another channel waited %v", d)
	}

	start = time.Now()
	if _, err := a.Post(ctx, "22200", bot.Reply{Text: "three"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("second post to an exhausted bucket went out after %v, want a wait for the reset", d)
	}
}

func TestPost_NeverResends(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return true
	})
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})
	_, err := a.Post(context.Background(), "22200", bot.Reply{Text: "maybe sent"})
	var md interface{ MaybeDelivered() bool }
	if err == nil || !errors.As(err, &md) || !md.MaybeDelivered() {
		t.Errorf("Post on a 502 = %v, want an error saying the message may have been posted", err)
	}
	if n := len(fake.received()); n != 1 {
		t.Errorf("%d requests after a 502, want 1: a message is never sent twice", n)
	}
}

func TestPost_GivesUpOnLongRetryAfter(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"retry_after":120,"global":false}`))
		return true
	})
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})
	start := time.Now()
	_, err := a.Post(context.Background(), "22200", bot.Reply{Text: "x"})
	if !errors.Is(err, ErrRateLimited) {
		t.Errorf("Post = %v, want ErrRateLimited", err)
	}
	var md interface{ MaybeDelivered() bool }
	if errors.As(err, &md) && md.MaybeDelivered() {
		t.Errorf("Post refused with 429 = %v, says it may have been posted", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Post waited %v for a 2-minute retry_after", d)
	}
}

func TestUpdate(t *testing.T) {
	fake := newFakeDiscord(t)
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})
	r := bot.Reply{Title: "Scaffolding payments-api", Text: "Step 2 of 3: pushing", Ephemeral: true}
	if err := a.Update(context.Background(), "22200", "888000", r); err != nil {
		t.Fatalf("Update: %v", err)
	}
	c := fake.await(t)
	if c.Method != "PATCH" || c.Path != "/api/v9/channels/22200/messages/888000" {
		t.Fatalf("request = %s %s, want PATCH of the message", c.Method, c.Path)
	}
	d := decodeData(t, c.Body)
	if d.Flags != 0 || len(d.Embeds) != 1 || d.Embeds[0].Description != "Step 2 of 3: pushing" || !strings.Contains(string(c.Body), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("update body = %s", c.Body)
	}
	if err := a.Update(context.Background(), "22200", "../../x", r); err == nil {
		t.Error("Update accepted a message id that is not a snowflake")
	}
}

func TestLimiter_GlobalLimit(t *testing.T) {
	l := newLimiter(http.DefaultTransport, nil)
	message := parseRoute("POST", "/api/v9/channels/1/messages")
	l.record(message, http.Header{}, 200*time.Millisecond, true)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.wait(ctx, parseRoute("POST", "/api/v9/channels/2/messages")); !errors.Is(err, ErrRateLimited) {
		t.Errorf("wait on another channel under a global limit = %v, want ErrRateLimited", err)
	}
	if err := l.wait(ctx, parseRoute("PATCH", "/api/v9/webhooks/5/tok/messages/@original")); err != nil {
		t.Errorf("interaction webhook waited on the global limit: %v", err)
	}
	if rt := parseRoute("POST", "/api/v9/interactions/9/tok/callback"); !rt.callback {
		t.Error("interaction callback route is not exempt from waiting")
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		method, path, name, major string
	}{
		{"POST", "/api/v9/channels/123/messages", "POST /channels/123/messages", "channels/123"},
		{"PATCH", "/api/v9/channels/123/messages/456", "PATCH /channels/123/messages/:id", "channels/123"},
		{"PATCH", "/api/v9/webhooks/55/tok/messages/@original", "PATCH /webhooks/55/tok/messages/@original", "webhooks/55/tok"},
		{"PUT", "/api/v9/applications/55/guilds/33/commands", "PUT /applications/:id/guilds/33/commands", "guilds/33"},
	}
	for _, tt := range tests {
		rt := parseRoute(tt.method, tt.path)
		if rt.name != tt.name || rt.major != tt.major {
			t.Errorf("parseRoute(%s %s) = %q, %q; want %q, %q", tt.method, tt.path, rt.name, rt.major, tt.name, tt.major)
		}
	}
}

// Whether a failed post may have created the message decides whether a
// caller may try again: a refusal created nothing; a request that got no
// answer may have.
func TestPost_MaybeDelivered(t *testing.T) {
	maybe := func(err error) bool {
		var md interface{ MaybeDelivered() bool }
		return errors.As(err, &md) && md.MaybeDelivered()
	}
	fake := newFakeDiscord(t)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"Missing Access","code":50001}`))
		return true
	})
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{})
	if _, err := a.Post(context.Background(), "22200", bot.Reply{Text: "x"}); err == nil || maybe(err) {
		t.Errorf("Post refused with 403 = %v, want an error that created nothing", err)
	}

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		<-release // read, never answered
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := a.Post(ctx, "22200", bot.Reply{Text: "x"}); err == nil || !maybe(err) {
		t.Errorf("Post with no answer before its deadline = %v, want an error saying it may have been posted", err)
	}
}
