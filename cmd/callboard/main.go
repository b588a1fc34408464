// Command callboard is the Callboard chat-ops bot: one binary that serves
// Slack and Discord, a terminal chat, and catalog tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes shared by every subcommand.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran and failed (invalid files, unknown entity)
	exitUsage  = 2 // the command line was wrong
)

// env is what a subcommand gets from the process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) int
}

func subcommands() []subcommand {
	return []subcommand{
		{"serve", "run the bot: HTTP server, chat adapters, catalog refresh", runServe},
		{"chat", "talk to the bot in the terminal", runChat},
		{"ask", "ask one question and print the answer, e.g. ask \"/whoowns payments-api\"", runAsk},
		{"catalog", "validate, list and show catalog entities", runCatalog},
	}
}

// run is main without the process: tests call it with their own arguments,
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, sc := range subcommands() {
		if sc.name == args[0] {
			return sc.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "callboard: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: callboard COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, sc := range subcommands() {
		fmt.Fprintf(w, "  %-8s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'callboard COMMAND --help' for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to stderr and reports
// errors instead of exiting.
func newFlagSet(e env, name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: callboard %s [flags] %s\n\n%s\n\nFlags:\n", name, argsUsage, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and returns the exit code to use when parsing ended the
// command (help asked for, or bad flags).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK, false
	}
	if err != nil {
		return exitUsage, false
	}
	return 0, true
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// commonFlags are the flags serve, chat, ask and catalog share.
type commonFlags struct {
	config   string
	catalogs stringList
	db       string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "config file (default: none; built-in defaults and environment variables)")
	fs.Var(&c.catalogs, "catalog", "catalog source: a folder, a Location or descriptor file, or a glob (repeatable; overrides catalog.sources)")
	fs.StringVar(&c.db, "db", "", "bbolt store file (overrides storage.path)")
}

// noFlagsAfterArgs refuses flags given after the first argument, which the
// flag package would otherwise take as part of the arguments.
func noFlagsAfterArgs(e env, cmd string, args []string) (int, bool) {
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			fmt.Fprintf(e.stderr, "callboard %s: put flags such as %s before the other arguments\n", cmd, a)
			return exitUsage, false
		}
	}
	return 0, true
}
