package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/callboard/callboard/bot"
	botstore "github.com/callboard/callboard/bot/boltstore"
	"github.com/callboard/callboard/bot/commands"
	"github.com/callboard/callboard/bot/discord"
	"github.com/callboard/callboard/bot/shell"
	slackbot "github.com/callboard/callboard/bot/slack"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/notifier"
)

func runServe(ctx context.Context, e env, args []string) int {
	var f commonFlags
	var addr, chat string
	fs := newFlagSet(e, "serve", "", "Run the bot: one HTTP server (/healthz, /readyz, /metrics and the chat webhooks), the configured chat adapters,\nand a catalog refresh on a schedule. With a terminal on stdin, also a chat prompt.")
	f.register(fs)
	fs.StringVar(&addr, "addr", "", "HTTP listen address HOST:PORT (overrides http.addr; default 127.0.0.1:8080)")
	fs.StringVar(&chat, "chat", "auto", "terminal chat: auto (when stdin is a terminal), on or off")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if chat != "auto" && chat != "on" && chat != "off" {
		fmt.Fprintf(e.stderr, "callboard serve: --chat must be auto, on or off, not %q\n", chat)
		return exitUsage
	}
	if err := serve(ctx, e, f, addr, chat); err != nil {
		fmt.Fprintf(e.stderr, "callboard serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func serve(ctx context.Context, e env, f commonFlags, addr, chat string) error {
	chatOn := wantChat(e, chat)
	// With a chat prompt in the same terminal, only warnings are logged.
	a, err := openApp(ctx, e, f, appOptions{quiet: chatOn})
	if err != nil {
		return err
	}
	defer a.close()
	if addr != "" {
		a.cfg.HTTP.Addr = addr
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var ready atomic.Bool
	ready.Store(a.catalog.Index().Len() > 0)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "catalog not loaded yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ok: %d entities\n", a.catalog.Index().Len())
	})
	mux.Handle("GET /metrics", a.metrics.handler())
	adapters, err := mountAdapters(ctx, a, mux)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTP.Addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stdout, "Callboard is listening on http://%s (health /healthz, metrics /metrics)\n", ln.Addr())
	a.log.Info("http server listening", "addr", ln.Addr().String(), "slack", a.cfg.Slack.Enabled(), "discord", a.cfg.Discord.Enabled())

	errs := make(chan error, 4)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http server: %w", err)
		}
	}()
	firstSync := make(chan catalog.SyncReport, 1)
	go func() {
		rep, err := a.sync(ctx)
		if err != nil {
			a.log.Error("catalog sync", "err", err)
		} else {
			a.log.Info("catalog sync", "entities", rep.Entities, "errors", rep.Errors, "warnings", rep.Warnings, "parsed", rep.Parsed, "unchanged", rep.Unchanged, "took", rep.Took)
		}
		ready.Store(true)
		firstSync <- rep
		for _, resume := range a.resumers {
			if err := resume(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("answer inputs from before a restart", "err", err)
			}
		}
		// Whatever the first sync did, starting up (reading the store,
		// or reading every file) left garbage the size of the catalog.
		debug.FreeOSMemory()
		a.syncer.Run(ctx, time.Duration(a.cfg.Catalog.Refresh), func(rep catalog.SyncReport, err error) {
			a.metrics.observeSync(a.catalog.Index(), rep, err)
			if !rep.Unchanged && rep.Entities > 0 {
				// The snapshot this sync replaced is garbage now, and
				// the collector would keep its memory until the heap
				// next doubled. Unchanged re-syncs replace nothing.
				debug.FreeOSMemory()
			}
		})
	}()
	for _, run := range adapters {
		go func() {
			if err := run(ctx); err != nil && ctx.Err() == nil {
				errs <- err
			}
		}()
	}
	if chatOn {
		go func() {
			if a.catalog.Index().Len() == 0 {
				// A new store: answer from the catalog, not from nothing.
				fmt.Fprintln(e.stdout, "Reading the catalog for the first time…")
				select {
				case rep := <-firstSync:
					fmt.Fprintf(e.stdout, "Catalog: %d entities (%d errors, %d warnings).\n", rep.Entities, rep.Errors, rep.Warnings)
				case <-ctx.Done():
					return
				}
			}
			if err := shell.Chat(ctx, a.router, e.stdin, e.stdout, bot.User{}); err != nil {
				a.log.Error("terminal chat", "err", err)
			}
			cancel() // leaving the chat stops the demo
		}()
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
	}
	a.log.Info("shutting down")
	shutCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := srv.Shutdown(shutCtx); err != nil {
		a.log.Error("http shutdown", "err", err)
	}
	cancel()
	for _, c := range a.closers {
		if err := c(shutCtx); err != nil {
			a.log.Error("adapter shutdown", "err", err)
		}
	}
	return runErr
}

func wantChat(e env, mode string) bool {
	switch mode {
	case "on":
		return true
	case "off":
		return false
	}
	f, ok := e.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// mountAdapters mounts the configured chat adapters' handlers on mux and
// returns the loops they need running (Socket Mode, gateway).
func mountAdapters(ctx context.Context, a *app, mux *http.ServeMux) ([]func(context.Context) error, error) {
	var loops []func(context.Context) error
	// One seen-set in the bbolt file serves both adapters; their keys live
	// in separate namespaces.
	var dedup *botstore.Dedup
	if a.cfg.Slack.Enabled() || a.cfg.Discord.Enabled() {
		d, err := botstore.NewDedup(a.db, time.Hour)
		if err != nil {
			return nil, fmt.Errorf("set up chat dedup store: %w", err)
		}
		dedup = d
	}
	if a.cfg.Slack.Enabled() {
		inbox, err := botstore.NewInbox(a.db, "slack", dedup)
		if err != nil {
			return nil, fmt.Errorf("set up slack inbox: %w", err)
		}
		s, err := slackbot.New(a.router, slackbot.Options{
			SigningSecret: slackbot.Secret(a.cfg.Slack.SigningSecret.Reveal()),
			BotToken:      slackbot.Secret(a.cfg.Slack.BotToken.Reveal()),
			AppToken:      slackbot.Secret(a.cfg.Slack.AppToken.Reveal()),
			APIURL:        a.cfg.Slack.APIURL,
			Logger:        a.log.With("platform", "slack"),
			Dedup:         dedup,
			Inbox:         inbox,
			Metrics:       platformMetrics{a.metrics, "slack"},
		})
		if err != nil {
			return nil, fmt.Errorf("set up slack: %w", err)
		}
		if a.cfg.Slack.SigningSecret != "" {
			mux.Handle("POST /slack/", s)
		}
		if a.cfg.Slack.AppToken != "" {
			loops = append(loops, s.Run)
		}
		a.closers = append(a.closers, s.Shutdown)
		a.resumers = append(a.resumers, s.Resume)
	}
	if a.cfg.Discord.Enabled() {
		inbox, err := botstore.NewInbox(a.db, "discord", dedup)
		if err != nil {
			return nil, fmt.Errorf("set up discord inbox: %w", err)
		}
		d, err := discord.New(a.router, discord.Options{
			PublicKey: a.cfg.Discord.PublicKey,
			BotToken:  discord.Secret(a.cfg.Discord.BotToken.Reveal()),
			AppID:     a.cfg.Discord.AppID,
			GuildID:   a.cfg.Discord.GuildID,
			APIURL:    a.cfg.Discord.APIURL,
			Logger:    a.log.With("platform", "discord"),
			Suggester: commands.NewSuggester(a.catalog),
			Metrics:   platformMetrics{a.metrics, "discord"},
			Dedup:     dedup,
			Inbox:     inbox,
		})
		if err != nil {
			return nil, fmt.Errorf("set up discord: %w", err)
		}
		if a.cfg.Discord.PublicKey != "" {
			mux.Handle("POST /discord/interactions", d.Handler())
		}
		if a.cfg.Discord.BotToken != "" && a.cfg.Discord.AppID != "" {
			loops = append(loops, func(ctx context.Context) error {
				if err := d.RegisterCommands(ctx); err != nil {
					a.log.Error("register discord commands", "err", err)
				}
				return nil
			})
		}
		if a.cfg.Discord.BotToken != "" && a.cfg.Discord.PublicKey == "" {
			loops = append(loops, d.RunGateway)
		}
		a.closers = append(a.closers, d.Shutdown)
		a.resumers = append(a.resumers, d.Resume)
	}
	return loops, nil
}

// platformMetrics counts one adapter's rejected requests.
type platformMetrics struct {
	m        *metrics
	platform string
}

func (p platformMetrics) InteractionRejected(reason string) { p.m.Rejected(p.platform, reason) }

func (p platformMetrics) Rejected(reason string) { p.m.Rejected(p.platform, reason) }

// Both chat adapters deliver digests and task progress for the notifier,
// and share one bbolt seen-set.
var (
	_ notifier.Poster  = (*slackbot.Adapter)(nil)
	_ notifier.Poster  = (*discord.Adapter)(nil)
	_ slackbot.Deduper = (*botstore.Dedup)(nil)
	_ bot.Inbox        = (*botstore.Inbox)(nil)
	_ discord.Deduper  = (*botstore.Dedup)(nil)
)
