package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/shell"
)

func runAsk(ctx context.Context, e env, args []string) int {
	var f commonFlags
	fs := newFlagSet(e, "ask", `"QUESTION"`, "Ask one question, print the answer and exit: 0 answered, 1 the command failed, 2 usage error.\nExample: callboard ask \"/whoowns payments-api\"")
	f.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if code, ok := noFlagsAfterArgs(e, "ask", fs.Args()); !ok {
		return code
	}
	question := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if question == "" {
		fs.Usage()
		return exitUsage
	}
	a, err := openApp(ctx, e, f, appOptions{shareStore: true, quiet: true})
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard ask: %v\n", err)
		return exitFailed
	}
	defer a.close()
	if _, err := a.sync(ctx); err != nil {
		a.log.Warn("catalog sync", "err", err)
	}
	o := shell.Ask(ctx, a.router, question, bot.User{}, e.stdout)
	switch o.Status {
	case bot.Answered:
		return exitOK
	case bot.Usage, bot.Ignored:
		if o.Status == bot.Ignored {
			fmt.Fprintf(e.stderr, "callboard ask: %q is not a command; try \"/help\"\n", question)
		}
		return exitUsage
	default:
		return exitFailed
	}
}

func runChat(ctx context.Context, e env, args []string) int {
	var f commonFlags
	fs := newFlagSet(e, "chat", "", "Talk to the bot in the terminal, as in a direct message. /quit leaves.")
	f.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	a, err := openApp(ctx, e, f, appOptions{shareStore: true, quiet: true})
	if err != nil {
		fmt.Fprintf(e.stderr, "callboard chat: %v\n", err)
		return exitFailed
	}
	defer a.close()
	if rep, err := a.sync(ctx); err != nil {
		a.log.Warn("catalog sync", "err", err)
	} else {
		fmt.Fprintf(e.stdout, "Catalog: %d entities from %s (%d errors, %d warnings).\n", rep.Entities, strings.Join(a.cfg.Catalog.Sources, ", "), rep.Errors, rep.Warnings)
	}
	if err := shell.Chat(ctx, a.router, e.stdin, e.stdout, bot.User{}); err != nil {
		fmt.Fprintf(e.stderr, "callboard chat: %v\n", err)
		return exitFailed
	}
	return exitOK
}
