package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// Platform is the bot.Input.Platform value of every input from this adapter.
const Platform = "discord"

const (
	defaultAnswerBudget    = 2 * time.Second
	maxAnswerBudget        = 2500 * time.Millisecond
	defaultFollowupTimeout = 14 * time.Minute // the interaction token lasts 15
	defaultMaxBodyBytes    = 1 << 20
	signatureMaxAge        = 5 * time.Minute
	deliveryTimeout        = 30 * time.Second
	mentionTimeout         = 2 * time.Minute
)

// Router answers one input. It must be safe for concurrent use and must
// return once ctx is done. *bot.Router implements it.
type Router interface {
	Handle(ctx context.Context, in bot.Input) bot.Outcome
}

// Suggester offers completions for an option being typed. Kind is
// "entity", "component", "group" or "template" (see OptionKind); prefix is
// what the user has typed so far, possibly empty. It returns at most limit
// values, best first, and nil when it has none. It must be safe for
// concurrent use, fast and return promptly once ctx is done: Discord shows
// nothing when the answer takes more than 3 seconds, so the adapter stops
// waiting after Options.AnswerBudget.
type Suggester interface {
	Suggest(ctx context.Context, kind, prefix string, limit int) []string
}

// Metrics counts requests the interactions endpoint refuses. Reason is one
// of "method", "headers", "too_large", "read", "signature", "stale" and
// "decode". Implementations must be safe for concurrent use.
type Metrics interface {
	InteractionRejected(reason string)
}

// Deduper is a seen-set of delivery keys with an expiry of about an hour.
// FirstSeen records key and reports whether it had not been seen before;
// concurrent callers with the same key must not both get true, and an error
// means nothing was recorded. It must be safe for concurrent use. The
// adapter's keys start with "discord:", so one store can serve several
// adapters. On error the adapter answers the message anyway, preferring a
// rare double answer to a lost one. bot/boltstore.Dedup implements it.
type Deduper interface {
	FirstSeen(key string, now time.Time) (bool, error)
}

// Secret is a credential. It formats and logs as REDACTED.
type Secret string

// String returns REDACTED.
func (Secret) String() string { return "REDACTED" }

// GoString returns REDACTED.
func (Secret) GoString() string { return "REDACTED" }

// LogValue returns REDACTED.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Options configures an Adapter. All fields are optional except where said.
type Options struct {
	// PublicKey is the application's Ed25519 public key from the developer
	// portal, hex encoded. Required for Handler; without it every request to
	// the endpoint is refused.
	PublicKey string
	// BotToken authenticates REST calls and the gateway; required for
	// RegisterCommands, RunGateway, Post and Update. A "Bot " prefix is
	// added when missing.
	BotToken Secret
	// AppID is the application id; required for RegisterCommands.
	AppID string
	// GuildID, when set, registers the commands in that guild only (they
	// update instantly); otherwise they are global.
	GuildID string
	// APIURL, when set, replaces https://discord.com in every REST request
	// (tests point it at an httptest server). The path of APIURL is kept as
	// a prefix of Discord's "/api/v9/..." paths.
	APIURL string
	// Transport carries REST requests; nil means http.DefaultTransport.
	Transport http.RoundTripper

	Logger    *slog.Logger
	Suggester Suggester
	Metrics   Metrics
	// Dedup remembers the gateway messages already answered, so that one
	// delivered again, also after a restart when the store is persistent,
	// is answered once. Required for RunGateway; interactions do not use
	// it.
	Dedup Deduper
	// Inbox keeps the inputs answered after their acknowledgement (deferred
	// interactions, mentions) until they are answered, for Resume; nil
	// keeps none, and a crash loses them. It shares Dedup's bbolt file.
	Inbox Inbox
	// Now is the clock for signature timestamps and form expiry; nil means
	// time.Now.
	Now func() time.Time

	// AnswerBudget is how long an interaction waits for the router before
	// deferring; zero means 2 s. It must leave time to answer within
	// Discord's 3 s, so more than 2.5 s is refused.
	AnswerBudget time.Duration
	// FollowupTimeout bounds a deferred command, which Discord lets us
	// complete within 15 minutes; zero means 14 minutes.
	FollowupTimeout time.Duration
	// MaxBodyBytes bounds an interaction request body; zero means 1 MiB.
	MaxBodyBytes int64
}

// Adapter is the Discord adapter. It is safe for concurrent use. Call
// Shutdown to wait for deferred answers still being delivered.
type Adapter struct {
	router    Router
	opts      Options
	log       *slog.Logger
	now       func() time.Time
	publicKey ed25519.PublicKey
	session   *discordgo.Session
	forms     *formStore

	life context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup

	// ledger keeps the inputs owed an answer in Options.Inbox; resumed is
	// set by the first Resume.
	ledger  *bot.Ledger[kept]
	resumed atomic.Bool
}

// New returns an adapter that hands inputs to router.
func New(router Router, opts Options) (*Adapter, error) {
	if router == nil {
		return nil, errors.New("new discord adapter: nil router")
	}
	if opts.AnswerBudget == 0 {
		opts.AnswerBudget = defaultAnswerBudget
	}
	if opts.AnswerBudget < 0 || opts.AnswerBudget > maxAnswerBudget {
		return nil, fmt.Errorf("new discord adapter: answer budget %v is outside (0, %v]", opts.AnswerBudget, maxAnswerBudget)
	}
	if opts.FollowupTimeout <= 0 {
		opts.FollowupTimeout = defaultFollowupTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBodyBytes
	}
	a := &Adapter{router: router, opts: opts, log: opts.Logger, now: opts.Now}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if opts.PublicKey != "" {
		key, err := hex.DecodeString(strings.TrimSpace(opts.PublicKey))
		if err != nil || len(key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("new discord adapter: public key %q is not %d hex-encoded bytes", opts.PublicKey, ed25519.PublicKeySize)
		}
		a.publicKey = ed25519.PublicKey(key)
	}
	var api *url.URL
	if opts.APIURL != "" {
		u, err := url.Parse(opts.APIURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("new discord adapter: api url %q is not an absolute URL", opts.APIURL)
		}
		api = u
	}
	token := strings.TrimSpace(string(opts.BotToken))
	if token != "" && !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("new discord adapter: create session: %w", err)
	}
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	// The transport owns rate limiting (waits respect the request context);
	// discordgo's own limiter never sees a rate-limit header and never
	// sleeps, and nothing is retried except after a 429, so no message is
	// sent twice. The client timeout is only a safety net for discordgo's
	// calls without a context; every adapter call has its own.
	s.Client = &http.Client{Transport: newLimiter(base, api), Timeout: 2 * time.Minute}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	a.session = s
	a.forms = newFormStore(a.now)
	a.ledger = bot.NewLedger[kept](opts.Inbox, a.log.With("inbox", "discord"), a.now)
	a.life, a.stop = context.WithCancel(context.Background())
	return a, nil
}

// Shutdown stops starting background work and waits for deferred answers
// and mention replies in flight. When ctx ends first it cancels them, waits
// for them to return and returns ctx's error.
func (a *Adapter) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		a.stop()
		return nil
	case <-ctx.Done():
		a.stop()
		<-done
		return fmt.Errorf("shut down discord adapter: %w", ctx.Err())
	}
}

// spawn runs fn in a goroutine that Shutdown waits for. It reports false,
// without running fn, once Shutdown has begun.
func (a *Adapter) spawn(fn func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closing {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
	return true
}

// handle runs the router, turning a panic into an internal-error reply so
// one bad input cannot take the process down from a goroutine.
func (a *Adapter) handle(ctx context.Context, in bot.Input) (out bot.Outcome) {
	defer func() {
		if v := recover(); v != nil {
			a.log.ErrorContext(ctx, "router panicked", "panic", fmt.Sprint(v), "user", in.User.ID, "channel", in.Channel.ID)
			out = bot.Outcome{Status: bot.Failed, Reply: bot.Reply{
				Text:      "Sorry, something went wrong on our side. Please try again.",
				Ephemeral: true,
			}}
		}
	}()
	return a.router.Handle(ctx, in)
}

func (a *Adapter) reject(reason string) {
	if a.opts.Metrics != nil {
		a.opts.Metrics.InteractionRejected(reason)
	}
}

// redact removes request URLs, which carry interaction tokens, from REST
// errors so they can be logged and returned.
func redact(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactPath(ue.URL), ue.Err)
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("%w: retry after %v", ErrRateLimited, rl.RetryAfter)
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		out := &APIError{Status: re.Response.StatusCode}
		if re.Message != nil {
			out.Code, out.Message = re.Message.Code, re.Message.Message
		}
		return out
	}
	return err
}

// APIError is an error status from Discord's REST API, with Discord's
// error code and message when it sent them.
type APIError struct {
	Status  int
	Code    int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("discord api: status %d", e.Status)
	}
	return fmt.Sprintf("discord api: status %d, code %d: %s", e.Status, e.Code, e.Message)
}

// redactPath keeps the host and route of a URL with webhook and interaction
// tokens cut out.
func redactPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(url)"
	}
	segs := strings.Split(u.Path, "/")
	for i := 1; i < len(segs); i++ {
		switch segs[i-1] {
		case "webhooks", "interactions":
			if i+1 < len(segs) {
				segs[i+1] = "REDACTED"
			}
		}
	}
	return u.Host + strings.Join(segs, "/")
}
