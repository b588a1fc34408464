package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/boltstore"
)

var _ Deduper = (*boltstore.Dedup)(nil)

// testNow is the fixed clock of handler tests; signatures use its time.
var testNow = time.Unix(1_750_000_000, 0)

// call is one request the fake Discord API received.
type call struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeDiscord is an httptest stand-in for Discord's REST API. Every request
// is recorded and announced on calls; reply, when set, answers it,
// otherwise a plausible success is sent.
type fakeDiscord struct {
	srv   *httptest.Server
	calls chan call

	mu    sync.Mutex
	all   []call
	reply func(w http.ResponseWriter, c call) bool
	next  int
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{calls: make(chan call, 100)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDiscord) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := call{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	f.mu.Lock()
	f.all = append(f.all, c)
	reply := f.reply
	f.next++
	id := strconv.Itoa(900000 + f.next)
	f.mu.Unlock()
	f.calls <- c
	if reply != nil && reply(w, c) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(c.Path, "/callback"):
		w.WriteHeader(http.StatusNoContent)
	case strings.HasSuffix(c.Path, "/commands"):
		_, _ = w.Write([]byte("[]"))
	default:
		_, _ = w.Write([]byte(`{"id":"` + id + `"}`))
	}
}

func (f *fakeDiscord) setReply(fn func(w http.ResponseWriter, c call) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = fn
}

func (f *fakeDiscord) received() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.all...)
}

// await returns the next request the fake receives.
func (f *fakeDiscord) await(t *testing.T) call {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("fake Discord API received nothing within 5s")
		return call{}
	}
}

// routerFunc is a Router made of a function.
type routerFunc func(ctx context.Context, in bot.Input) bot.Outcome

func (f routerFunc) Handle(ctx context.Context, in bot.Input) bot.Outcome { return f(ctx, in) }

// recordingRouter answers every input with reply and sends the input on
// inputs.
func recordingRouter(reply bot.Reply) (Router, chan bot.Input) {
	inputs := make(chan bot.Input, 10)
	return routerFunc(func(ctx context.Context, in bot.Input) bot.Outcome {
		inputs <- in
		return bot.Outcome{Status: bot.Answered, Command: "test", Reply: reply}
	}), inputs
}

func awaitInput(t *testing.T, inputs chan bot.Input) bot.Input {
	t.Helper()
	select {
	case in := <-inputs:
		return in
	case <-time.After(5 * time.Second):
		t.Fatal("router received no input within 5s")
		return bot.Input{}
	}
}

type countingMetrics struct {
	mu      sync.Mutex
	reasons map[string]int
}

func (m *countingMetrics) InteractionRejected(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reasons == nil {
		m.reasons = map[string]int{}
	}
	m.reasons[reason]++
}

func (m *countingMetrics) count(reason string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reasons[reason]
}

type testKeys struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newKeys(t testing.TB) testKeys {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{pub: pub, priv: priv}
}

// newTestAdapter returns an adapter verifying with keys, talking to fake
// (when not nil), on the fixed test clock, shut down when the test ends.
func newTestAdapter(t testing.TB, router Router, keys testKeys, fake *fakeDiscord, opts Options) *Adapter {
	t.Helper()
	opts.PublicKey = hex.EncodeToString(keys.pub)
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.AppID == "" {
		opts.AppID = "55500"
	}
	if opts.BotToken == "" {
		opts.BotToken = "test-bot-token"
	}
	if fake != nil {
		opts.APIURL = fake.srv.URL
	}
	a, err := New(router, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return a
}

// openDedup opens the bbolt file at path and a seen-set in it. The caller
// closes the db; closing it twice is harmless, so tests that "restart" may
// close it early.
func openDedup(t testing.TB, path string) (*boltstore.Dedup, *bbolt.DB) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open bbolt %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	d, err := boltstore.NewDedup(db, 0)
	if err != nil {
		t.Fatalf("NewDedup: %v", err)
	}
	return d, db
}

// signed returns a POST to the interactions endpoint signed with priv.
func signed(priv ed25519.PrivateKey, ts string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	msg := append([]byte(ts), body...)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, msg)))
	r.Header.Set("X-Signature-Timestamp", ts)
	r.Header.Set("Content-Type", "application/json")
	return r
}

func nowStamp() string { return strconv.FormatInt(testNow.Unix(), 10) }

// interaction builds an interaction payload from a guild member.
func interaction(t testing.TB, typ discordgo.InteractionType, data any) []byte {
	t.Helper()
	m := map[string]any{
		"id":             "70001",
		"application_id": "55500",
		"type":           typ,
		"token":          "secret-interaction-token",
		"channel_id":     "22200",
		"guild_id":       "33300",
		"version":        1,
		"member": map[string]any{
			"nick": "Jane D",
			"user": map[string]any{"id": "44400", "username": "jane", "global_name": "Jane Doe"},
		},
	}
	if data != nil {
		m["data"] = data
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends a signed interaction to the handler and returns the recorder.
func post(t testing.TB, a *Adapter, keys testKeys, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, signed(keys.priv, nowStamp(), body))
	return w
}

// wireResponse is an interaction response as Discord reads it.
type wireResponse struct {
	Type int      `json:"type"`
	Data wireData `json:"data"`
}

type wireData struct {
	Content         string                    `json:"content"`
	Flags           int                       `json:"flags"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	Components      []wireComponent           `json:"components"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
	Choices  []choice `json:"choices"`
	CustomID string   `json:"custom_id"`
	Title    string   `json:"title"`
}

type wireComponent struct {
	Type       int             `json:"type"`
	Style      int             `json:"style"`
	Label      string          `json:"label"`
	CustomID   string          `json:"custom_id"`
	URL        string          `json:"url"`
	Value      string          `json:"value"`
	Required   bool            `json:"required"`
	Components []wireComponent `json:"components"`
}

func decodeResponse(t testing.TB, w *httptest.ResponseRecorder) wireResponse {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, body %q; want 200", w.Code, w.Body.String())
	}
	var r wireResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("decode response %q: %v", w.Body.String(), err)
	}
	return r
}

func decodeData(t testing.TB, b []byte) wireData {
	t.Helper()
	var d wireData
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("decode message %q: %v", b, err)
	}
	return d
}

// buttons lists the buttons of a message's action rows.
func buttons(cs []wireComponent) []wireComponent {
	var out []wireComponent
	for _, row := range cs {
		out = append(out, row.Components...)
	}
	return out
}

// embedText joins every text of the embeds, for "contains" checks.
func embedText(es []*discordgo.MessageEmbed) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Title + "\n" + e.Description + "\n")
		for _, f := range e.Fields {
			b.WriteString(f.Name + "\n" + f.Value + "\n")
		}
		if e.Footer != nil {
			b.WriteString(e.Footer.Text + "\n")
		}
	}
	return b.String()
}

// checkLimits fails t for every Discord limit m breaks.
func checkLimits(t testing.TB, m Message) {
	t.Helper()
	runes := utf8.RuneCountInString
	if n := runes(m.Content); n > maxContent {
		t.Errorf("content has %d runes, limit %d", n, maxContent)
	}
	if m.Content == "" && len(m.Embeds) == 0 && len(m.Components) == 0 {
		t.Error("message is empty")
	}
	if m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions.parse = %v, want empty list", m.AllowedMentions.Parse)
	}
	if len(m.Embeds) > maxEmbeds {
		t.Errorf("%d embeds, limit %d", len(m.Embeds), maxEmbeds)
	}
	total := 0
	for i, e := range m.Embeds {
		check := func(what, s string, limit int, required bool) {
			n := runes(s)
			total += n
			if n > limit {
				t.Errorf("embed %d %s has %d runes, limit %d", i, what, n, limit)
			}
			if required && strings.TrimSpace(s) == "" {
				t.Errorf("embed %d %s is empty", i, what)
			}
		}
		check("title", e.Title, maxTitle, false)
		check("description", e.Description, maxDescription, false)
		if len(e.Fields) > maxFields {
			t.Errorf("embed %d has %d fields, limit %d", i, len(e.Fields), maxFields)
		}
		for _, f := range e.Fields {
			check("field name", f.Name, maxFieldName, true)
			check("field value", f.Value, maxFieldValue, true)
		}
		if e.Footer != nil {
			check("footer", e.Footer.Text, maxFooter, true)
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Footer == nil {
			t.Errorf("embed %d is empty", i)
		}
	}
	if total > maxEmbedTotal {
		t.Errorf("embeds hold %d runes, limit %d", total, maxEmbedTotal)
	}
	if len(m.Components) > maxRows {
		t.Errorf("%d action rows, limit %d", len(m.Components), maxRows)
	}
	ids := map[string]bool{}
	for _, c := range m.Components {
		row, ok := c.(discordgo.ActionsRow)
		if !ok {
			t.Fatalf("component %T is not an action row", c)
		}
		if len(row.Components) == 0 || len(row.Components) > maxRowButtons {
			t.Errorf("row has %d buttons, want 1..%d", len(row.Components), maxRowButtons)
		}
		for _, bc := range row.Components {
			b, ok := bc.(discordgo.Button)
			if !ok {
				t.Fatalf("row component %T is not a button", bc)
			}
			if n := runes(b.Label); n == 0 || n > maxLabel {
				t.Errorf("button label %q has %d runes, want 1..%d", b.Label, n, maxLabel)
			}
			if b.Style == discordgo.LinkButton {
				if _, ok := safeURL(b.URL); !ok || b.CustomID != "" {
					t.Errorf("link button %q: url %q, custom_id %q", b.Label, b.URL, b.CustomID)
				}
				continue
			}
			if n := runes(b.CustomID); n == 0 || n > maxCustomID {
				t.Errorf("button %q custom_id has %d runes, want 1..%d", b.Label, n, maxCustomID)
			}
			if ids[b.CustomID] {
				t.Errorf("custom_id %q repeats", b.CustomID)
			}
			ids[b.CustomID] = true
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal message: %v", err)
	}
	if !bytes.Contains(b, []byte(`"allowed_mentions":{"parse":[]}`)) {
		t.Errorf("message JSON lacks allowed_mentions parse [] : %s", b)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a test to share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
