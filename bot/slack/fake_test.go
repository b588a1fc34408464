package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/boltstore"
)

var _ Deduper = (*boltstore.Dedup)(nil)

const (
	testSecret   Secret = "8f742231b10e8888abcd99yyyzzz85a5"
	testBotToken Secret = "xoxb-test-token"
	testBotUser         = "UBOT0001"
)

// apiCall is one request the fake Slack received.
type apiCall struct {
	Method string     // Web API method, or "hook" for a response_url
	Path   string     // request path
	Form   url.Values // form-encoded requests
	JSON   map[string]any
}

// str returns a field of the call, from the form or the JSON body.
func (c apiCall) str(key string) string {
	if c.Form != nil {
		return c.Form.Get(key)
	}
	s, _ := c.JSON[key].(string)
	return s
}

// fakeSlack is an httptest Slack: the Web API under /api/ (form-encoded or
// JSON requests, {"ok":true,…} answers) and response_urls under /hooks/.
// Tests queue one-off answers with respond; otherwise each method answers
// as Slack does when all is well.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	calls   []apiCall
	queued  map[string][]func(w http.ResponseWriter)
	nextTS  int
	onCall  func(apiCall)
	profile map[string]string // user id → email for users.info
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, queued: map[string][]func(http.ResponseWriter){}, profile: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

// hookURL returns a response_url on the fake.
func (f *fakeSlack) hookURL(id string) string { return f.srv.URL + "/hooks/" + id }

// respond queues a one-off answer for method ("hook" for response_urls).
func (f *fakeSlack) respond(method string, h func(w http.ResponseWriter)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued[method] = append(f.queued[method], h)
}

// setOnCall makes fn see every call as it arrives.
func (f *fakeSlack) setOnCall(fn func(apiCall)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onCall = fn
}

// setEmail makes users.info answer email for user.
func (f *fakeSlack) setEmail(user, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profile[user] = email
}

// callsTo returns the calls made to method so far.
func (f *fakeSlack) callsTo(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	call := apiCall{Path: r.URL.Path}
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		call.Method = strings.TrimPrefix(r.URL.Path, "/api/")
	case strings.HasPrefix(r.URL.Path, "/hooks/"):
		call.Method = "hook"
	default:
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &call.JSON); err != nil {
			f.t.Errorf("fake slack: %s sent invalid JSON: %v", call.Method, err)
		}
	} else {
		call.Form, _ = url.ParseQuery(string(body))
	}
	if call.Method != "hook" && call.Method != "apps.connections.open" {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if call.Form != nil && call.Form.Get("token") != "" {
			token = call.Form.Get("token")
		}
		if token != string(testBotToken) {
			writeAPI(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
	}

	f.mu.Lock()
	f.calls = append(f.calls, call)
	var h func(http.ResponseWriter)
	if q := f.queued[call.Method]; len(q) > 0 {
		h, f.queued[call.Method] = q[0], q[1:]
	}
	f.nextTS++
	ts := fmt.Sprintf("1700000000.%06d", f.nextTS)
	email := f.profile[call.str("user")]
	onCall := f.onCall
	f.mu.Unlock()

	if onCall != nil {
		onCall(call)
	}
	if h != nil {
		h(w)
		return
	}
	switch call.Method {
	case "hook":
		_, _ = io.WriteString(w, "ok")
	case "chat.postMessage", "chat.update":
		writeAPI(w, map[string]any{"ok": true, "channel": call.str("channel"), "ts": ts})
	case "chat.postEphemeral":
		writeAPI(w, map[string]any{"ok": true, "message_ts": ts})
	case "views.open":
		writeAPI(w, map[string]any{"ok": true, "view": map[string]any{"id": "V0001", "hash": "156772938.1827394"}})
	case "views.update":
		writeAPI(w, map[string]any{"ok": true, "view": map[string]any{"id": call.str("view_id"), "hash": "156772938.1827395"}})
	case "auth.test":
		writeAPI(w, map[string]any{"ok": true, "user_id": testBotUser, "bot_id": "B0001"})
	case "users.info":
		if email == "" {
			writeAPI(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		writeAPI(w, map[string]any{"ok": true, "user": map[string]any{
			"id": call.str("user"), "name": "jane", "real_name": "Jane Doe",
			"profile": map[string]any{"email": email, "display_name": "jane", "real_name": "Jane Doe"},
		}})
	default:
		writeAPI(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// onlyCall returns the one call made to method, failing t when there was
// none or more; want says what the call should have been.
func (f *fakeSlack) onlyCall(t *testing.T, method, want string) apiCall {
	t.Helper()
	calls := f.callsTo(method)
	if len(calls) != 1 {
		t.Fatalf("%s called %d times, want once: %s", method, len(calls), want)
	}
	return calls[0]
}

func writeAPI(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers as Slack's Web API refuses a call: 200, ok false and
// the error code.
func apiError(code string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { writeAPI(w, map[string]any{"ok": false, "error": code}) }
}

// rateLimited answers 429 with Retry-After, as Slack does.
func rateLimited(seconds int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		w.WriteHeader(http.StatusTooManyRequests)
		writeAPI(w, map[string]any{"ok": false, "error": "ratelimited"})
	}
}

func status(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { http.Error(w, http.StatusText(code), code) }
}

// fakeClock is Options.Now and Options.Sleep: sleeping advances the clock
// at once and is recorded.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// countingMetrics records Rejected reasons.
type countingMetrics struct {
	mu      sync.Mutex
	reasons []string
}

func (m *countingMetrics) Rejected(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reasons = append(m.reasons, reason)
}

func (m *countingMetrics) Reasons() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.reasons...)
}

// testEnv is an adapter wired to a fake Slack, a fake clock and a real
// bbolt seen-set.
type testEnv struct {
	a       *Adapter
	slack   *fakeSlack
	clock   *fakeClock
	metrics *countingMetrics
	db      *bbolt.DB
	inbox   *boltstore.Inbox
}

func openDedup(t testing.TB, path string) (*boltstore.Dedup, *bbolt.DB) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open bbolt: %v", err)
	}
	d, err := boltstore.NewDedup(db, 0)
	if err != nil {
		t.Fatalf("NewDedup: %v", err)
	}
	return d, db
}

func newTestEnv(t testing.TB, router Router, tweak ...func(*Options)) *testEnv {
	t.Helper()
	env := &testEnv{slack: newFakeSlack(t), clock: newFakeClock(), metrics: &countingMetrics{}}
	dedup, db := openDedup(t, filepath.Join(t.TempDir(), "callboard.db"))
	env.db = db
	t.Cleanup(func() { db.Close() })
	inbox, err := boltstore.NewInbox(db, "slack", dedup)
	if err != nil {
		t.Fatalf("NewInbox: %v", err)
	}
	env.inbox = inbox
	opts := Options{
		SigningSecret: testSecret,
		BotToken:      testBotToken,
		APIURL:        env.slack.apiURL(),
		Dedup:         dedup,
		Inbox:         inbox,
		Metrics:       env.metrics,
		Now:           env.clock.Now,
		Sleep:         env.clock.Sleep,
		AnswerBudget:  time.Second,
	}
	for _, f := range tweak {
		f(&opts)
	}
	a, err := New(router, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env.a = a
	t.Cleanup(func() { env.settle(t) })
	return env
}

// pending returns the inbox's entries by id, decoded.
func (env *testEnv) pending(t testing.TB) map[string]job {
	t.Helper()
	out := map[string]job{}
	err := env.inbox.Pending(func(id string, entry []byte) {
		var j job
		if err := json.Unmarshal(entry, &j); err != nil {
			t.Errorf("inbox entry %s: %v", id, err)
		}
		out[id] = j
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// settle waits for the adapter's background work to finish.
func (env *testEnv) settle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.a.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (background work did not finish)", err)
	}
}

// post sends a signed request to the adapter and returns the recorded answer.
func (env *testEnv) post(t *testing.T, path, contentType string, body []byte, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	ts := strconv.FormatInt(env.clock.Now().Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	env.a.ServeHTTP(rec, req)
	return rec
}

func (env *testEnv) command(t *testing.T, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return env.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

func (env *testEnv) interact(t *testing.T, payload string) *httptest.ResponseRecorder {
	t.Helper()
	body := url.Values{"payload": {payload}}.Encode()
	return env.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte(body))
}

func (env *testEnv) event(t *testing.T, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return env.post(t, "/slack/events", "application/json", []byte(body), header...)
}

// slashCommand is the form Slack posts for a slash command.
func slashCommand(command, text, responseURL string) url.Values {
	return url.Values{
		"token":        {"gIkuvaNzQIHg97ATvDxqgjtO"},
		"team_id":      {"T0001"},
		"team_domain":  {"example"},
		"channel_id":   {"C2147483705"},
		"channel_name": {"payments"},
		"user_id":      {"U2147483697"},
		"user_name":    {"steve"},
		"command":      {command},
		"text":         {text},
		"api_app_id":   {"A123456"},
		"response_url": {responseURL},
		"trigger_id":   {"13345224609.738474920.8088930838d88f008e0"},
	}
}

// router returns a real bot.Router with the given commands.
func router(cmds ...bot.Command) *bot.Router {
	r := bot.NewRouter(bot.RouterOptions{})
	for _, c := range cmds {
		r.Register(c)
	}
	return r
}

// recorder is a handler that records the requests it gets.
type recorder struct {
	mu   sync.Mutex
	reqs []bot.Request
	// reply answers each request; nil answers "ok".
	reply func(ctx context.Context, req bot.Request) (bot.Reply, error)
}

func (h *recorder) Handle(ctx context.Context, req bot.Request) (bot.Reply, error) {
	h.mu.Lock()
	h.reqs = append(h.reqs, req)
	reply := h.reply
	h.mu.Unlock()
	if reply == nil {
		return bot.Reply{Text: "ok"}, nil
	}
	return reply(ctx, req)
}

func (h *recorder) Requests() []bot.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Request(nil), h.reqs...)
}

// decodeBody decodes a JSON answer.
func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %q is not JSON: %v", b, err)
	}
	return m
}
