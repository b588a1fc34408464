package commands

import (
	"context"
	"strings"

	"github.com/callboard/callboard/bot"
)

// Lister lists the registered commands; *bot.Router implements it.
type Lister interface {
	Commands() []bot.Command
	Lookup(name string) (bot.Command, bool)
}

// Help answers /help and /help COMMAND.
func Help(l Lister) bot.Command {
	return bot.Command{
		Name:    "help",
		Usage:   "[COMMAND]",
		Summary: "What I can do.",
		Quick:   true,
		Phrases: []bot.Phrase{{Pattern: "help"}, {Pattern: "help {cmd}"}, {Pattern: "what can you do"}},
		Handler: bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
			if name := strings.TrimPrefix(req.Arg(0), "/"); name != "" {
				c, ok := l.Lookup(name)
				if !ok {
					return bot.Reply{}, bot.Errorf("There is no /%s command. Try /help for the list.", name)
				}
				text := c.Summary
				if c.Help != "" {
					text += "\n" + c.Help
				}
				return bot.Reply{Title: "/" + strings.TrimSpace(c.Name+" "+c.Usage), Text: text, Ephemeral: true}, nil
			}
			sec := bot.Section{Title: "Commands"}
			for _, c := range l.Commands() {
				sec.Items = append(sec.Items, bot.Item{Text: "/" + strings.TrimSpace(c.Name+" "+c.Usage), Detail: c.Summary})
			}
			return bot.Reply{
				Title:     "Callboard",
				Text:      "I answer who owns what, where the docs are, and how things depend on each other, from the software catalog.",
				Sections:  []bot.Section{sec},
				Footer:    "You can also mention me in plain words: \"@callboard who owns payments-api?\"",
				Ephemeral: true,
			}, nil
		}),
	}
}
