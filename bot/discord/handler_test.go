package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

var pingBody = []byte(`{"id":"1","application_id":"55500","type":1,"token":"t","version":1}`)

func TestHandler_Verification(t *testing.T) {
	keys := newKeys(t)
	other := newKeys(t)
	stale := strconv.FormatInt(testNow.Add(-5*time.Minute-time.Second).Unix(), 10)
	future := strconv.FormatInt(testNow.Add(6*time.Minute).Unix(), 10)
	justInTime := strconv.FormatInt(testNow.Add(-5*time.Minute).Unix(), 10)

	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{
			name:   "valid ping",
			req:    func() *http.Request { return signed(keys.priv, nowStamp(), pingBody) },
			status: http.StatusOK,
		},
		{
			name:   "five minutes old is still fresh",
			req:    func() *http.Request { return signed(keys.priv, justInTime, pingBody) },
			status: http.StatusOK,
		},
		{
			name: "tampered body",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				tampered := bytes.Replace(pingBody, []byte(`"id":"1"`), []byte(`"id":"2"`), 1)
				r.Body = httpBody(tampered)
				return r
			},
			status: http.StatusUnauthorized, reason: "signature",
		},
		{
			name: "tampered timestamp",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(testNow.Unix()-1, 10))
				return r
			},
			status: http.StatusUnauthorized, reason: "signature",
		},
		{
			name:   "wrong key",
			req:    func() *http.Request { return signed(other.priv, nowStamp(), pingBody) },
			status: http.StatusUnauthorized, reason: "signature",
		},
		{
			name:   "stale timestamp",
			req:    func() *http.Request { return signed(keys.priv, stale, pingBody) },
			status: http.StatusUnauthorized, reason: "stale",
		},
		{
			name:   "timestamp from the future",
			req:    func() *http.Request { return signed(keys.priv, future, pingBody) },
			status: http.StatusUnauthorized, reason: "stale",
		},
		{
			name:   "timestamp not a number",
			req:    func() *http.Request { return signed(keys.priv, "yesterday", pingBody) },
			status: http.StatusUnauthorized, reason: "stale",
		},
		{
			name: "missing signature",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				r.Header.Del("X-Signature-Ed25519")
				return r
			},
			status: http.StatusUnauthorized, reason: "headers",
		},
		{
			name: "missing timestamp",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				r.Header.Del("X-Signature-Timestamp")
				return r
			},
			status: http.StatusUnauthorized, reason: "headers",
		},
		{
			name: "signature not hex",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				r.Header.Set("X-Signature-Ed25519", strings.Repeat("zz", ed25519.SignatureSize))
				return r
			},
			status: http.StatusUnauthorized, reason: "signature",
		},
		{
			name: "signature too short",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				r.Header.Set("X-Signature-Ed25519", r.Header.Get("X-Signature-Ed25519")[:100])
				return r
			},
			status: http.StatusUnauthorized, reason: "signature",
		},
		{
			name: "get",
			req: func() *http.Request {
				r := signed(keys.priv, nowStamp(), pingBody)
				r.Method = http.MethodGet
				return r
			},
			status: http.StatusMethodNotAllowed, reason: "method",
		},
		{
			name: "body too large",
			req: func() *http.Request {
				return signed(keys.priv, nowStamp(), bytes.Repeat([]byte(" "), 2048))
			},
			status: http.StatusRequestEntityTooLarge, reason: "too_large",
		},
		{
			name:   "signed but not JSON",
			req:    func() *http.Request { return signed(keys.priv, nowStamp(), []byte("{not json")) },
			status: http.StatusBadRequest, reason: "decode",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var routed atomic.Int32
			router := routerFunc(func(context.Context, bot.Input) bot.Outcome {
				routed.Add(1)
				return bot.Outcome{}
			})
			metrics := &countingMetrics{}
			a := newTestAdapter(t, router, keys, nil, Options{Metrics: metrics, MaxBodyBytes: 1024})
			w := httptest.NewRecorder()
			a.Handler().ServeHTTP(w, tt.req())
			if w.Code != tt.status {
				t.Fatalf("status = %d (%q), want %d", w.Code, w.Body.String(), tt.status)
			}
			if tt.status == http.StatusOK {
				if got := strings.TrimSpace(w.Body.String()); got != `{"type":1}` {
					t.Errorf("PING answer = %s, want {\"type\":1}", got)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				return
			}
			if got := metrics.count(tt.reason); got != 1 {
				t.Errorf("rejections for %q = %d, want 1 (all: %v)", tt.reason, got, metrics.reasons)
			}
			if routed.Load() != 0 {
				t.Error("router ran for a refused request")
			}
		})
	}
}

func TestNew_RejectsBadPublicKey(t *testing.T) {
	router, _ := recordingRouter(bot.Reply{})
	for _, key := range []string{"zz", hex.EncodeToString(make([]byte, 31)), hex.EncodeToString(make([]byte, 33))} {
		if _, err := New(router, Options{PublicKey: key}); err == nil {
			t.Errorf("New(PublicKey: %q) succeeded, want error", key)
		}
	}
}

func TestHandler_WithoutPublicKeyRefusesAll(t *testing.T) {
	keys := newKeys(t)
	router, _ := recordingRouter(bot.Reply{})
	a, err := New(router, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, signed(keys.priv, nowStamp(), pingBody))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", w.Code)
	}
}

// FuzzHandler_Unsigned sends arbitrary bodies, signatures and timestamps.
// Whatever arrives, the handler must not panic, must never answer 200 to a
// request whose signature does not verify, and must never run the router
// for one.
func FuzzHandler_Unsigned(f *testing.F) {
	keys := newKeys(f)
	valid := signed(keys.priv, nowStamp(), pingBody)
	f.Add(pingBody, valid.Header.Get("X-Signature-Ed25519"), nowStamp())
	f.Add(interaction(f, discordgo.InteractionApplicationCommand, map[string]any{"name": "help"}), valid.Header.Get("X-Signature-Ed25519"), nowStamp())
	f.Add([]byte(`{"type":2,"data":{"name":"whoowns","options":[{"name":"name","type":3,"value":"x"}]}}`), "00", "0")
	f.Add([]byte{}, "", "")
	var routed atomic.Int32
	router := routerFunc(func(context.Context, bot.Input) bot.Outcome {
		routed.Add(1)
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "ok"}}
	})
	a := newTestAdapter(f, router, keys, nil, Options{})
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string) {
		before := routed.Load()
		r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
		r.Header.Set("X-Signature-Ed25519", sig)
		r.Header.Set("X-Signature-Timestamp", ts)
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, r)
		ok := verifySignature(keys.pub, sig, ts, body)
		if w.Code == http.StatusOK && !ok {
			t.Fatalf("accepted a body whose signature does not verify: %q", body)
		}
		if !ok && routed.Load() != before {
			t.Fatalf("routed a body whose signature does not verify: %q", body)
		}
	})
}

// FuzzHandler_Signed signs arbitrary bodies, so every one passes
// verification and exercises decoding and dispatch: no panic, and either a
// 200 with a JSON interaction response or a 400.
func FuzzHandler_Signed(f *testing.F) {
	f.Add(pingBody)
	f.Add(interaction(f, discordgo.InteractionApplicationCommand, map[string]any{"name": "whoowns", "options": []any{map[string]any{"name": "name", "type": 3, "value": "payments api"}}}))
	f.Add(interaction(f, discordgo.InteractionApplicationCommand, map[string]any{"name": "catalog", "options": []any{map[string]any{"name": "search", "type": 1, "options": []any{map[string]any{"name": "text", "type": 3, "value": "a b"}}}}}))
	f.Add(interaction(f, discordgo.InteractionApplicationCommandAutocomplete, map[string]any{"name": "whoowns", "options": []any{map[string]any{"name": "name", "type": 3, "value": "pay", "focused": true}}}))
	f.Add(interaction(f, discordgo.InteractionMessageComponent, map[string]any{"custom_id": "s0:/whoowns x", "component_type": 2}))
	f.Add(interaction(f, discordgo.InteractionMessageComponent, map[string]any{"custom_id": "f:abc:0", "component_type": 2}))
	f.Add(interaction(f, discordgo.InteractionModalSubmit, map[string]any{"custom_id": "f:abc:0", "components": []any{map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": "v0", "value": "x"}}}}}))
	f.Add([]byte(`{"type":2,"data":null}`))
	f.Add([]byte(`{"type":3,"data":{"custom_id":null}}`))
	f.Add([]byte(`{"type":99}`))
	keys := newKeys(f)
	router := routerFunc(func(context.Context, bot.Input) bot.Outcome {
		return bot.Outcome{Status: bot.Answered, Reply: bot.Reply{Text: "ok", Form: &bot.Form{Title: "t", Fields: []bot.FormField{{Name: "a"}}}}}
	})
	a := newTestAdapter(f, router, keys, nil, Options{AnswerBudget: maxAnswerBudget})
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(t, a, keys, body)
		switch w.Code {
		case http.StatusBadRequest:
		case http.StatusOK:
			_ = decodeResponse(t, w)
		default:
			t.Fatalf("status = %d for a signed body %q", w.Code, body)
		}
	})
}

func httpBody(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
