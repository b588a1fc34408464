// Package slack connects Callboard's router to Slack. It receives slash
// commands, button presses, modal submissions, @-mentions and direct messages
// over HTTP (the Events API and interactivity endpoints) or Socket Mode, hands
// each to the router as a bot.Input, and renders the bot.Reply as Block Kit.
//
// Every HTTP request is verified with the signing secret before it is parsed.
// Every command is acknowledged within Slack's 3 seconds: the router runs in
// its own goroutine and an answer that takes longer than Options.AnswerBudget
// is delivered later through the response_url or chat.postMessage. Inputs a
// QuickRouter answers from memory skip that goroutine and run inline. Retried and
// doubly delivered events are processed once, using the Deduper's seen-set.
// An input answered after its acknowledgement is kept in the Inbox until it
// is answered, and Resume answers what a killed process left.
//
// Button presses and modal submissions carry their command in the button value
// or the view's private_metadata, so no state is kept in memory that a
// restart would lose.
//
// A handler that rejects one submitted form value returns a user error whose
// message starts with the field's name or label and a colon ("name: must be
// lowercase"); the adapter shows it under that input in the modal when the
// handler answers within the budget.
//
// Scopes: commands, chat:write, app_mentions:read, im:history, users:read,
// users:read.email; connections:write for Socket Mode.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

var (
	_ Router       = (*bot.Router)(nil)
	_ QuickRouter  = (*bot.Router)(nil)
	_ http.Handler = (*Adapter)(nil)
)

// Router answers one input. *bot.Router implements it. Handle must be safe
// for concurrent use; it never fails, turning errors into replies.
type Router interface {
	Handle(ctx context.Context, in bot.Input) bot.Outcome
}

// QuickRouter is a Router that can tell, without running anything, that
// Handle will answer an input from memory within a millisecond or so
// (*bot.Router's Quick commands, usage replies). The adapter then runs
// Handle in the goroutine that acknowledges the request rather than in
// its own goroutine raced against the answer budget; an input Quick wrongly
// reports delays the acknowledgement. Quick must be safe for concurrent
// use.
type QuickRouter interface {
	Router
	Quick(in bot.Input) bool
}

// Deduper is a seen-set of delivery keys with an expiry of about an hour.
// FirstSeen records key and reports whether it had not been seen before;
// concurrent callers with the same key must not both get true. On error the
// adapter processes the delivery anyway, preferring a rare double answer to
// a lost one. bot/boltstore.Dedup implements it.
type Deduper interface {
	FirstSeen(key string, now time.Time) (bool, error)
}

// Metrics counts requests refused before they were processed. Rejected is
// called once per refused request with a short snake_case reason such as
// "bad_signature" or "stale_timestamp". It must be safe for concurrent use.
type Metrics interface {
	Rejected(reason string)
}

// Options configures an Adapter. SigningSecret (for HTTP) or AppToken (for
// Socket Mode) and Dedup are required. Without BotToken slash commands
// are still answered (inline or through response_url) but nothing can be
// posted and users are not looked up.
type Options struct {
	// SigningSecret verifies HTTP requests. Without it every HTTP request is
	// refused, which suits Socket Mode-only deployments.
	SigningSecret Secret
	// BotToken (xoxb-…) calls the Web API.
	BotToken Secret
	// AppToken (xapp-…) enables Socket Mode through Run.
	AppToken Secret

	// APIURL is the Web API base URL with a trailing slash; empty means
	// Slack's. Tests point it at an httptest server.
	APIURL string
	// HTTPClient makes every outgoing call; nil means a client with a
	// 30-second timeout.
	HTTPClient *http.Client

	// Logger receives the adapter's logs, never a token or secret; nil
	// discards them.
	Logger *slog.Logger
	// Dedup remembers the deliveries already processed.
	Dedup Deduper
	// Inbox keeps the inputs acknowledged and not yet answered, for
	// Resume; nil keeps none, and a crash loses them.
	Inbox Inbox
	// Metrics counts refused requests; nil counts nothing.
	Metrics Metrics

	// Now is the clock for signature timestamps, pacing and caches; nil
	// means time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then. It
	// paces posts and honours Retry-After; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error

	// AnswerBudget is how long a command may run and still be answered in
	// the acknowledgement itself; zero means 2 seconds. Slack allows 3.
	AnswerBudget time.Duration
	// PostInterval is the pause between two posts to one channel; zero
	// means one second, Slack's rate for chat.postMessage.
	PostInterval time.Duration
	// WorkTimeout bounds the background work for one input after the
	// acknowledgement: its command, whose router may bound it more tightly,
	// and opening its form; zero means 15 minutes. A command stopped by it
	// still answers that it took too long.
	WorkTimeout time.Duration
}

const (
	defaultAnswerBudget = 2 * time.Second
	defaultPostInterval = time.Second
	// defaultWorkTimeout is half the life of a response_url: a late
	// answer usually still goes where the command was typed.
	defaultWorkTimeout = 15 * time.Minute
	// deliverTimeout bounds the delivery of one answer, channel pacing and
	// Retry-After waits included. It starts when the answer is ready, so
	// that work which used up its own time can still say so.
	deliverTimeout = 2 * time.Minute
	// shutdownNotice bounds the deliveries still going when a shutdown
	// starts.
	shutdownNotice = 5 * time.Second
	// maxBody is the largest request body read; Slack's are far smaller.
	maxBody = 1 << 20
)

// Adapter is the Slack side of the bot. It is an http.Handler for
// /slack/commands, /slack/interactions and /slack/events, runs Socket Mode
// with Run, and posts to channels with Post and Update. It is safe for
// concurrent use.
type Adapter struct {
	router     Router
	quick      QuickRouter // router, when it is one; nil otherwise
	opts       Options
	log        *slog.Logger
	api        *slack.Client
	hookClient *http.Client
	mux        *http.ServeMux
	users      *userDirectory
	pacer      *pacer
	hooks      *responseURLs
	self       selfID
	metrics    Metrics
	buffers    bufferPool
	acks       ackPool
	verifier   verifier
	sections   sectionMemo
	// ledger keeps the inputs owed an answer in Options.Inbox.
	ledger *bot.Ledger[kept]
	// resumed is set by the first Resume, stopping by Shutdown.
	resumed, stopping atomic.Bool

	// base is cancelled by Shutdown when its deadline passes, stopping the
	// work still running after acknowledgements.
	base   context.Context
	cancel context.CancelFunc
	work   sync.WaitGroup
}

// New returns an adapter that hands inputs to router.
func New(router Router, opts Options) (*Adapter, error) {
	switch {
	case router == nil:
		return nil, errors.New("slack: nil Router")
	case opts.SigningSecret == "" && opts.AppToken == "":
		return nil, errors.New("slack: Options.SigningSecret or Options.AppToken is required")
	case opts.Dedup == nil:
		return nil, errors.New("slack: Options.Dedup is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.AnswerBudget <= 0 {
		opts.AnswerBudget = defaultAnswerBudget
	}
	if opts.PostInterval <= 0 {
		opts.PostInterval = defaultPostInterval
	}
	if opts.WorkTimeout <= 0 {
		opts.WorkTimeout = defaultWorkTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	apiOpts := []slack.Option{slack.OptionHTTPClient(opts.HTTPClient)}
	if opts.APIURL != "" {
		// slack-go appends method names to the URL as it is.
		apiOpts = append(apiOpts, slack.OptionAPIURL(strings.TrimSuffix(opts.APIURL, "/")+"/"))
	}
	if opts.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(string(opts.AppToken)))
	}
	api := slack.New(string(opts.BotToken), apiOpts...)

	a := &Adapter{
		router:     router,
		opts:       opts,
		log:        opts.Logger,
		api:        api,
		hookClient: opts.HTTPClient,
		users:      newUserDirectory(api, opts.Now, opts.BotToken != ""),
		pacer:      newPacer(opts.PostInterval, opts.Now, opts.Sleep),
		hooks:      newResponseURLs(opts.Now),
		metrics:    opts.Metrics,
	}
	a.self.api = api
	a.ledger = bot.NewLedger[kept](opts.Inbox, opts.Logger.With("inbox", "slack"), opts.Now)
	a.quick, _ = router.(QuickRouter)
	a.verifier.secret = opts.SigningSecret
	a.base, a.cancel = context.WithCancel(context.Background())
	a.mux = http.NewServeMux()
	a.mux.Handle("POST /slack/commands", a.verified(a.serveCommand))
	a.mux.Handle("POST /slack/interactions", a.verified(a.serveInteraction))
	a.mux.Handle("POST /slack/events", a.verified(a.serveEvent))
	return a, nil
}

// ServeHTTP serves POST /slack/commands, /slack/interactions and
// /slack/events. Mount it at "/slack/".
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mux.ServeHTTP(w, r)
}

// Shutdown waits for the work started by earlier requests (running commands,
// deliveries of late answers) to finish. When ctx is done first it cancels
// that work, tells the users whose commands it cut short to ask again (for
// at most 5 seconds more), and returns ctx.Err(). Call it after the HTTP
// server and Run have stopped.
func (a *Adapter) Shutdown(ctx context.Context) error {
	a.stopping.Store(true)
	done := make(chan struct{})
	go func() {
		a.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		a.cancel()
		<-done
		return ctx.Err()
	}
}

// background runs f after the acknowledgement, with its own context: the
// request's context ends as soon as Slack has its answer. The context ends
// after the work timeout, or at shutdown.
func (a *Adapter) background(f func(ctx context.Context)) {
	a.work.Go(func() {
		ctx, cancel := context.WithTimeout(a.base, a.opts.WorkTimeout)
		defer cancel()
		f(ctx)
	})
}

// deliverLate delivers the outcome of work that ran in the background
// under work, with a deadline of its own: the work's may have passed, and a
// shutdown only shortens it to a short grace, so that an answer ready or on
// its way still arrives. Slack will not send an acknowledged input again:
// work that shutdown cut short tells its user to ask again rather than
// vanish.
func (a *Adapter) deliverLate(work context.Context, o origin, out bot.Outcome) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.base), deliverTimeout)
	defer cancel()
	stop := context.AfterFunc(a.base, func() {
		t := time.NewTimer(shutdownNotice)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-ctx.Done():
		}
	})
	defer stop()
	if a.base.Err() != nil && work.Err() != nil && out.Status == bot.Failed {
		if o.job != nil {
			// Kept in the inbox: the next process answers it.
			a.log.InfoContext(ctx, "slack input cut short by shutdown, left for the next start", "input", o.job.ID)
			return
		}
		what := "your request"
		if o.text != "" {
			what = strconv.Quote(o.text)
		}
		out = bot.Outcome{Status: bot.Failed, Reply: bot.Reply{
			Text:      "Callboard restarted before it finished " + what + ". Please ask again in a minute.",
			Ephemeral: true,
		}}
	}
	if o.job == nil {
		a.deliver(ctx, o, out)
		return
	}
	a.ledger.Sending(ctx, o.job)
	a.deliver(ctx, o, out)
	if ctx.Err() != nil && a.base.Err() != nil {
		// The shutdown's grace ended the delivery: left, marked as
		// sending, for the next process, which tells the user.
		a.log.InfoContext(ctx, "slack delivery cut short by shutdown, left for the next start", "input", o.job.ID)
		return
	}
	a.ledger.Done(ctx, o.job)
}

// firstSeen reports whether none of keys has been seen before, recording all
// of them. Empty keys are skipped.
func (a *Adapter) firstSeen(ctx context.Context, keys ...string) bool {
	first := true
	for _, k := range keys {
		if k == "" {
			continue
		}
		ok, err := a.opts.Dedup.FirstSeen(k, a.opts.Now())
		if err != nil {
			a.log.ErrorContext(ctx, "slack dedup unavailable, processing anyway", "key", k, "err", err)
			continue
		}
		first = first && ok
	}
	return first
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type noMetrics struct{}

func (noMetrics) Rejected(string) {}

// selfID is the bot's own user id, learned from event authorizations or
// auth.test, used to ignore our own messages and strip our mention.
type selfID struct {
	api *slack.Client
	mu  sync.Mutex
	id  string
}

// get returns the bot user id, calling auth.test once it is needed and not
// yet known. It returns "" when auth.test fails; the next call tries again.
func (s *selfID) get(ctx context.Context, fromEvent string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fromEvent != "" {
		s.id = fromEvent
	}
	if s.id != "" {
		return s.id, nil
	}
	resp, err := s.api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	s.id = resp.UserID
	return s.id, nil
}
