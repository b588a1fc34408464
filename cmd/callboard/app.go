package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/commands"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/boltstore"
	"github.com/callboard/callboard/catalog/techdocs"
	"github.com/callboard/callboard/config"
)

// app is the wired program: config, store, catalog and router.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	db      *bbolt.DB // nil when running without a store
	catalog *catalog.Catalog
	syncer  *catalog.Syncer
	router  *bot.Router
	metrics *metrics
	// closers wait for adapters' in-flight deliveries at shutdown.
	closers []func(context.Context) error
	// resumers answer what adapters acknowledged before a crash; serve
	// runs them once the catalog's first sync is done.
	resumers []func(context.Context) error
}

type appOptions struct {
	// shareStore lets a second process (ask, chat) run with an in-memory
	// catalog when serve holds the store, rather than failing.
	shareStore bool
	// quiet logs only warnings and errors unless the config asks for more
	// (terminal commands print answers on stdout).
	quiet bool
}

// commandTimeout bounds one command's run.
const commandTimeout = 10 * time.Minute

// dbOpenTimeout bounds the wait for another process's lock on the store.
const dbOpenTimeout = 2 * time.Second

func loadConfig(e env, f commonFlags) (config.Config, error) {
	cfg, err := config.Load(f.config, e.getenv)
	if err != nil {
		return config.Config{}, err
	}
	if len(f.catalogs) > 0 {
		cfg.Catalog.Sources = append([]string(nil), f.catalogs...)
	}
	if f.db != "" {
		cfg.Storage.Path = f.db
	}
	return cfg, nil
}

func newLogger(w io.Writer, cfg config.Log, quiet bool) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	if quiet && level < slog.LevelWarn {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openApp wires everything the bot needs and brings the catalog up to date:
// the stored snapshot is served at once, then the sources are synced (which
// reads nothing when no file changed).
func openApp(ctx context.Context, e env, f commonFlags, opts appOptions) (*app, error) {
	cfg, err := loadConfig(e, f)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: newLogger(e.stderr, cfg.Log, opts.quiet), catalog: catalog.NewCatalog(), metrics: newMetrics()}
	a.db, err = openDB(cfg.Storage.Path)
	if err != nil {
		if !opts.shareStore || !errors.Is(err, bbolt.ErrTimeout) {
			return nil, err
		}
		a.log.Warn("store is in use by another callboard process; using an in-memory catalog", "path", cfg.Storage.Path)
		a.db = nil
	}
	var store catalog.Store
	if a.db != nil {
		store = boltstore.New(a.db)
	}
	loader := &catalog.Loader{Roots: cfg.Catalog.Sources}
	a.syncer = catalog.NewSyncer(loader, a.catalog, catalog.SyncerOptions{Store: store, Logger: a.log})
	if _, err := a.syncer.Open(ctx); err != nil {
		a.log.Warn("stored catalog unreadable; rebuilding from sources", "err", err)
	}
	a.router = bot.NewRouter(bot.RouterOptions{
		// Scaffolding publishes to GitHub, which can take minutes; late
		// answers still reach the user within this (a Discord interaction
		// token lasts 15 minutes, a Slack response_url 30).
		Timeout:    commandTimeout,
		Logger:     a.log,
		Authorizer: commands.NewAccess(accessRules(cfg.Access), a.catalog),
		Identifier: commands.NewIdentity(a.catalog),
		Observer:   a.metrics,
	})
	commands.Register(a.router, a.catalog, techdocs.Open)
	// A misspelt command in a rule would leave the real one open to all.
	for i, r := range cfg.Access.Rules {
		for _, c := range r.Commands {
			if _, ok := a.router.Lookup(strings.TrimPrefix(c, "/")); !ok {
				var names []string
				for _, cmd := range a.router.Commands() {
					names = append(names, cmd.Name)
				}
				a.close()
				return nil, fmt.Errorf("access.rules[%d].commands: there is no command %q; commands are %s", i, c, strings.Join(names, ", "))
			}
		}
	}
	return a, nil
}

// sync brings the catalog in step with its sources once and records it.
func (a *app) sync(ctx context.Context) (catalog.SyncReport, error) {
	rep, err := a.syncer.Sync(ctx)
	a.metrics.observeSync(a.catalog.Index(), rep, err)
	return rep, err
}

func (a *app) close() {
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			a.log.Error("close store", "err", err)
		}
	}
}

// openDB opens the one bbolt file every stateful package shares. Another
// process holding it makes Open fail after dbOpenTimeout with a clear error.
func openDB(path string) (*bbolt.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create store folder %s: %w", dir, err)
		}
	}
	// A large initial mmap spares the first big snapshot write a series of
	// remaps (19 s → 6 s for 190,000 entities here); the hashmap freelist
	// keeps page allocation fast in a large file. 16 KiB pages (for a new
	// file) hold several encoded entities each: storing 190,000 took
	// 5.5 s with 4 KiB pages and 3.2 s with these, and a small write (a
	// chat event seen) still rewrites little.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: dbOpenTimeout, InitialMmapSize: 1 << 30, FreelistType: bbolt.FreelistMapType, PageSize: 16 << 10})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: another callboard process holds it (waited %s); stop it or pass --db: %w", path, dbOpenTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

func accessRules(a config.Access) []commands.AccessRule {
	out := make([]commands.AccessRule, 0, len(a.Rules))
	for _, r := range a.Rules {
		out = append(out, commands.AccessRule{Commands: r.Commands, Templates: r.Templates, Users: r.Users, Groups: r.Groups, Channels: r.Channels})
	}
	return out
}
