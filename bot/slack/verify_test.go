package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
)

// Slack's documented example request (docs.slack.dev, "Verifying requests
// from Slack"), byte for byte.
const (
	vectorTimestamp = "1531420618"
	vectorBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

	// vectorBodyMiscopied is the example with a different token and
	// trigger_id, as it circulates in some notes; the documented signature
	// does not match it, as it must not.
	vectorBodyMiscopied = "token=xyzz0WbapA4vBCDEbOTtbqkd&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c659f70079dd9a"
)

func TestSign_KnownAnswer(t *testing.T) {
	if got := Sign(testSecret, vectorTimestamp, []byte(vectorBody)); got != vectorSignature {
		t.Errorf("Sign(documented example) = %s, want %s", got, vectorSignature)
	}
	if got := Sign(testSecret, vectorTimestamp, []byte(vectorBodyMiscopied)); got == vectorSignature {
		t.Errorf("Sign(miscopied example) = the documented signature; the body differs, so must the signature")
	}
}

func TestVerify_KnownAnswerAtItsTime(t *testing.T) {
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", vectorTimestamp)
	h.Set("X-Slack-Signature", vectorSignature)
	at := time.Unix(1531420618, 0)
	if err := verify(testSecret, h, []byte(vectorBody), at.Add(4*time.Minute)); err != nil {
		t.Errorf("verify(documented example, 4 minutes later) = %v, want nil", err)
	}
	if err := verify(testSecret, h, []byte(vectorBody), at.Add(6*time.Minute)); err != rejectStaleTimestamp {
		t.Errorf("verify(documented example, 6 minutes later) = %v, want %v", err, rejectStaleTimestamp)
	}
}

func TestHandler_RefusesUnverifiedRequests(t *testing.T) {
	body := []byte(slashCommand("/whoowns", "payments-api", "https://hooks.slack.com/commands/T1/2/3").Encode())
	var called atomic.Int32
	r := router(bot.Command{Name: "whoowns", Handler: bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		called.Add(1)
		return bot.Reply{Text: "ok"}, nil
	})})
	env := newTestEnv(t, r)
	now := env.clock.Now().Unix()
	fresh := strconv.FormatInt(now, 10)

	tests := []struct {
		name       string
		body       []byte
		ts         string // "" leaves the header out
		sig        string // "" leaves the header out
		wantReason string
	}{
		{"tampered body", []byte(strings.Replace(string(body), "payments-api", "billing-api", 1)), fresh, Sign(testSecret, fresh, body), "bad_signature"},
		{"wrong secret", body, fresh, Sign("not-the-secret", fresh, body), "bad_signature"},
		{"stale timestamp", body, strconv.FormatInt(now-301, 10), Sign(testSecret, strconv.FormatInt(now-301, 10), body), "stale_timestamp"},
		{"future timestamp", body, strconv.FormatInt(now+301, 10), Sign(testSecret, strconv.FormatInt(now+301, 10), body), "stale_timestamp"},
		{"missing signature", body, fresh, "", "missing_headers"},
		{"missing timestamp", body, "", Sign(testSecret, fresh, body), "missing_headers"},
		{"timestamp not a number", body, "soon", Sign(testSecret, "soon", body), "bad_timestamp"},
		{"signature without v0", body, fresh, strings.TrimPrefix(Sign(testSecret, fresh, body), "v0="), "bad_signature"},
		{"signature of another timestamp", body, fresh, Sign(testSecret, strconv.FormatInt(now-1, 10), body), "bad_signature"},
		{"huge timestamp", body, "9223372036854775807", Sign(testSecret, "9223372036854775807", body), "stale_timestamp"},
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				before := len(env.metrics.Reasons())
				req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(tt.body)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tt.ts != "" {
					req.Header.Set("X-Slack-Request-Timestamp", tt.ts)
				}
				if tt.sig != "" {
					req.Header.Set("X-Slack-Signature", tt.sig)
				}
				rec := httptest.NewRecorder()
				env.a.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("status = %d, want 401", rec.Code)
				}
				reasons := env.metrics.Reasons()
				if len(reasons) != before+1 || reasons[len(reasons)-1] != tt.wantReason {
					t.Errorf("Rejected reasons = %q, want one more: %q", reasons[before:], tt.wantReason)
				}
			})
		}
	}
	env.settle(t)
	if n := called.Load(); n != 0 {
		t.Errorf("handler ran %d times for refused requests, want 0", n)
	}
	if calls := env.slack.callsTo("hook"); len(calls) != 0 {
		t.Errorf("refused requests were answered through response_url %d times", len(calls))
	}
}

func TestHandler_AcceptsSignedRequestWithinSkew(t *testing.T) {
	for _, skew := range []time.Duration{-299 * time.Second, 0, 299 * time.Second} {
		t.Run(fmt.Sprint(skew), func(t *testing.T) {
			env := newTestEnv(t, router(bot.Command{Name: "ping", Handler: bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
				return bot.Reply{Text: "pong"}, nil
			})}))
			body := []byte(slashCommand("/ping", "", env.slack.hookURL("h1")).Encode())
			ts := strconv.FormatInt(env.clock.Now().Add(skew).Unix(), 10)
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, body))
			rec := httptest.NewRecorder()
			env.a.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("status = %d, want 200 (body %q)", rec.Code, rec.Body)
			}
			if got := env.metrics.Reasons(); len(got) != 0 {
				t.Errorf("Rejected(%q), want no rejection", got)
			}
		})
	}
}

func TestHandler_RefusesOversizedBody(t *testing.T) {
	env := newTestEnv(t, router())
	body := []byte(strings.Repeat("a", maxBody+1))
	rec := env.post(t, "/slack/events", "application/json", body)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", rec.Code)
	}
	if got := env.metrics.Reasons(); !slices.Equal(got, []string{"body_too_large"}) {
		t.Errorf("Rejected reasons = %q, want [body_too_large]", got)
	}
}

func TestHandler_RefusesAllWithoutSigningSecret(t *testing.T) {
	env := newTestEnv(t, router(), func(o *Options) {
		o.SigningSecret = ""
		o.AppToken = "xapp-1-A1-1-abc"
	})
	ts := strconv.FormatInt(env.clock.Now().Unix(), 10)
	body := []byte(`{"type":"url_verification","challenge":"c"}`)
	req := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(string(body)))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign("", ts, body))
	rec := httptest.NewRecorder()
	env.a.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401: an empty secret must not verify anything", rec.Code)
	}
}

func TestHandler_Routes(t *testing.T) {
	env := newTestEnv(t, router())
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/slack/events", http.StatusMethodNotAllowed},
		{http.MethodPost, "/slack/other", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		env.a.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}

func TestSecret_NeverPrinted(t *testing.T) {
	s := Secret("xoxb-very-secret")
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	log.Info("opts", "token", s, "opts", Options{BotToken: s, SigningSecret: s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %#v", s, s, s), fmt.Sprintf("%+v", Options{BotToken: s}), logged.String()} {
		if strings.Contains(out, "very-secret") {
			t.Errorf("secret printed: %s", out)
		}
	}
}

func TestNew_RequiresEssentials(t *testing.T) {
	dedup, db := openDedup(t, t.TempDir()+"/x.db")
	defer db.Close()
	ok := Options{SigningSecret: testSecret, BotToken: testBotToken, Dedup: dedup}
	for _, tt := range []struct {
		name   string
		router Router
		tweak  func(*Options)
	}{
		{"no router", nil, func(*Options) {}},
		{"neither secret nor app token", router(), func(o *Options) { o.SigningSecret = "" }},
		{"no dedup", router(), func(o *Options) { o.Dedup = nil }},
	} {
		opts := ok
		tt.tweak(&opts)
		if _, err := New(tt.router, opts); err == nil {
			t.Errorf("New with %s: error = nil, want an error", tt.name)
		}
	}
	if _, err := New(router(), ok); err != nil {
		t.Errorf("New(valid options) = %v", err)
	}
	commandsOnly := ok
	commandsOnly.BotToken = ""
	if _, err := New(router(), commandsOnly); err != nil {
		t.Errorf("New(signing secret without bot token) = %v; slash commands need only the secret", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(vectorBody), vectorTimestamp, vectorSignature)
	f.Add([]byte(""), "", "")
	f.Add([]byte("{}"), "1531420618", "v0=")
	f.Add([]byte("payload=%7B%7D"), "+1531420618", "v0=00")
	f.Add([]byte("x"), "1531420618.5", strings.ToUpper(vectorSignature))
	now := time.Unix(1531420618, 0)
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		h := http.Header{}
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set("X-Slack-Signature", sig)
		err := verify(testSecret, h, body, now)
		if err == nil {
			if sig != Sign(testSecret, h.Get("X-Slack-Request-Timestamp"), body) {
				t.Fatalf("verify accepted signature %q for body %q at %q, which the secret did not sign", sig, body, ts)
			}
			sec, perr := strconv.ParseInt(ts, 10, 64)
			if perr != nil || sec < now.Unix()-300 || sec > now.Unix()+300 {
				t.Fatalf("verify accepted timestamp %q, outside five minutes of %d", ts, now.Unix())
			}
		}
		// Whatever the body, the secret's own signature at a fresh
		// timestamp is accepted.
		good := http.Header{}
		good.Set("X-Slack-Request-Timestamp", vectorTimestamp)
		good.Set("X-Slack-Signature", Sign(testSecret, vectorTimestamp, body))
		if err := verify(testSecret, good, body, now); err != nil {
			t.Fatalf("verify refused a correctly signed body %q: %v", body, err)
		}
	})
}

// FuzzHandler sends arbitrary bodies to every endpoint, signed with the
// secret or not. Unsigned requests must be refused before anything runs;
// signed ones must be decoded without panicking.
func FuzzHandler(f *testing.F) {
	f.Add(0, []byte(vectorBody), true, "")
	f.Add(0, []byte(slashCommand("/echo", "hi", "http://127.0.0.1:1/h").Encode()), true, "")
	f.Add(1, []byte(url.Values{"payload": {`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"callboard.run.0","block_id":"b","value":"{\"a\":\"/echo x\"}"}]}`}}.Encode()), true, "")
	f.Add(1, []byte(url.Values{"payload": {`{"type":"view_submission","view":{"callback_id":"callboard.form","private_metadata":"{\"a\":\"/echo\"}","blocks":[{"type":"input","block_id":"n","label":{"type":"plain_text","text":"N"},"element":{"type":"plain_text_input","action_id":"value"}}],"state":{"values":{}}}}`}}.Encode()), true, "")
	f.Add(2, []byte(`{"type":"url_verification","challenge":"abc"}`), true, "")
	f.Add(2, []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","user":"U1","text":"<@UBOT0001> echo hi","ts":"1.1","channel":"C1"}}`), true, "")
	f.Add(2, []byte(`{"type":"event_callback","event":null}`), false, "v0=00")
	f.Add(1, []byte(`payload=%7B`), false, vectorSignature)

	var ran atomic.Int32
	r := router(bot.Command{Name: "echo", Handler: bot.HandlerFunc(func(_ context.Context, req bot.Request) (bot.Reply, error) {
		ran.Add(1)
		return bot.Reply{Text: req.Rest(0)}, nil
	})})
	env := newTestEnv(f, r)
	paths := []string{"/slack/commands", "/slack/interactions", "/slack/events"}
	f.Fuzz(func(t *testing.T, which int, body []byte, signed bool, sig string) {
		path := paths[(which%3+3)%3]
		ts := strconv.FormatInt(env.clock.Now().Unix(), 10)
		want := Sign(testSecret, ts, body)
		if signed {
			sig = want
		}
		before := ran.Load()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if path == "/slack/events" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
		rec := httptest.NewRecorder()
		env.a.ServeHTTP(rec, req)
		env.settle(t)
		if sig != want {
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("%s with a wrong signature answered %d, want 401", path, rec.Code)
			}
			if ran.Load() != before {
				t.Fatalf("%s with a wrong signature ran a command", path)
			}
			return
		}
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("%s signed answered %d, want 200 or 400", path, rec.Code)
		}
	})
}

// A verifier reuses its HMAC state: a refused request must leave nothing
// behind that changes the next answer, from any goroutine.
func TestVerifier_ReusesState(t *testing.T) {
	v := &verifier{secret: testSecret}
	now := time.Unix(1531420618, 0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				body := []byte(fmt.Sprintf("payload=%d-%d", g, i))
				h := http.Header{}
				h.Set("X-Slack-Request-Timestamp", vectorTimestamp)
				h.Set("X-Slack-Signature", Sign(testSecret, vectorTimestamp, body))
				if err := v.verify(h, body, now); err != nil {
					t.Errorf("verify(signed %q) = %v, want nil", body, err)
				}
				h.Set("X-Slack-Signature", Sign("other-secret", vectorTimestamp, body))
				if err := v.verify(h, body, now); err != rejectBadSignature {
					t.Errorf("verify(%q signed with another secret) = %v, want %v", body, err, rejectBadSignature)
				}
			}
		})
	}
	wg.Wait()
}
