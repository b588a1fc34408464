package discord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/bwmarrin/discordgo"
)

// Suggestion kinds passed to Suggester.Suggest.
const (
	KindEntity    = "entity"    // any catalog entity, by name or ref
	KindComponent = "component" // components, which carry docs
	KindGroup     = "group"     // groups (teams)
	KindTemplate  = "template"  // scaffolder templates
)

// Discord's application command limits, counted in runes.
const (
	maxCommandName        = 32
	maxCommandDescription = 100
	maxCommandOptions     = 25
	maxChoices            = 25
	maxChoiceName         = 100
	maxChoiceValue        = 100
)

type optionSpec struct {
	name        string
	description string
	required    bool
	kind        string // autocomplete kind; "" for free text
	// rest marks free text that may hold several words: it goes last in
	// the command line, one argument per word.
	rest bool
}

type commandSpec struct {
	name        string
	description string
	options     []optionSpec
	subcommands []commandSpec
}

// commandSpecs is the one description of the slash commands, from which
// both the registered commands and the command lines built from them follow.
func commandSpecs() []commandSpec {
	return []commandSpec{
		{
			name:        "whoowns",
			description: "Who owns a service, API, system or resource, and how to reach them",
			options: []optionSpec{
				{name: "name", description: "Entity name or ref, e.g. payments-api", required: true, kind: KindEntity},
			},
		},
		{
			name:        "docs",
			description: "Find a component's docs, optionally searching within them",
			options: []optionSpec{
				{name: "name", description: "Component name or ref", required: true, kind: KindComponent},
				{name: "query", description: "Words to search for in the docs", rest: true},
			},
		},
		{
			name:        "catalog",
			description: "Search and browse the software catalog",
			subcommands: []commandSpec{
				{name: "search", description: "Search the catalog", options: []optionSpec{
					{name: "text", description: "Words to search for", required: true, rest: true},
				}},
				{name: "show", description: "Show one entity", options: []optionSpec{
					{name: "ref", description: "Entity name or ref", required: true, kind: KindEntity},
				}},
				{name: "owned-by", description: "List what a group owns", options: []optionSpec{
					{name: "group", description: "Group name or ref", required: true, kind: KindGroup},
				}},
				{name: "deps", description: "Show what an entity depends on and what depends on it", options: []optionSpec{
					{name: "ref", description: "Entity name or ref", required: true, kind: KindEntity},
				}},
			},
		},
		{
			name:        "new-service",
			description: "Create a new service from a template",
			options: []optionSpec{
				{name: "template", description: "Template to start from", kind: KindTemplate},
			},
		},
		{
			name:        "digest",
			description: "Show the latest digest for a group",
			options: []optionSpec{
				{name: "group", description: "Group name or ref; yours when empty", kind: KindGroup},
			},
		},
		{name: "help", description: "What Callboard can do"},
	}
}

// Commands returns the slash commands RegisterCommands installs: /whoowns,
// /docs, /catalog (search, show, owned-by, deps), /new-service, /digest and
// /help. Every option is a string; those with a suggestion kind have
// autocomplete on.
func Commands() []*discordgo.ApplicationCommand {
	specs := commandSpecs()
	out := make([]*discordgo.ApplicationCommand, 0, len(specs))
	for _, c := range specs {
		out = append(out, &discordgo.ApplicationCommand{
			Type:        discordgo.ChatApplicationCommand,
			Name:        c.name,
			Description: c.description,
			Options:     commandOptions(c),
		})
	}
	return out
}

func commandOptions(c commandSpec) []*discordgo.ApplicationCommandOption {
	out := []*discordgo.ApplicationCommandOption{}
	for _, s := range c.subcommands {
		out = append(out, &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        s.name,
			Description: s.description,
			Options:     commandOptions(s),
		})
	}
	for _, o := range c.options {
		out = append(out, &discordgo.ApplicationCommandOption{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         o.name,
			Description:  o.description,
			Required:     o.required,
			Autocomplete: o.kind != "",
		})
	}
	return out
}

// OptionKind returns the suggestion kind of a command's option ("" for free
// text or an unknown option). Subcommand is "" for commands without them.
func OptionKind(command, subcommand, option string) string {
	c, ok := findSpec(commandSpecs(), command)
	if !ok {
		return ""
	}
	if subcommand != "" {
		if c, ok = findSpec(c.subcommands, subcommand); !ok {
			return ""
		}
	}
	for _, o := range c.options {
		if o.name == option {
			return o.kind
		}
	}
	return ""
}

func findSpec(specs []commandSpec, name string) (commandSpec, bool) {
	for _, c := range specs {
		if c.name == name {
			return c, true
		}
	}
	return commandSpec{}, false
}

// RegisterCommands replaces the application's slash commands with Commands
// in one bulk overwrite: in Options.GuildID when set (instant, for tests and
// single-server installs), globally otherwise. Call it at start-up.
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	if a.opts.AppID == "" {
		return errors.New("register discord commands: no application id")
	}
	if a.opts.BotToken == "" {
		return errors.New("register discord commands: no bot token")
	}
	_, err := a.session.ApplicationCommandBulkOverwrite(a.opts.AppID, a.opts.GuildID, Commands(), discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("register discord commands for app %s in guild %q: %w", a.opts.AppID, a.opts.GuildID, redact(err))
	}
	return nil
}

// commandLine turns a slash command into the command line the router
// parses: "/catalog search some text", "/docs payments-api rollback". Options
// follow the spec's order; a value with spaces or quotes is quoted so
// bot.Tokenize gives it back as one argument, except free text marked rest,
// which becomes one argument per word.
func commandLine(d discordgo.ApplicationCommandInteractionData) string {
	words := []string{"/" + d.Name}
	spec, _ := findSpec(commandSpecs(), d.Name)
	opts := d.Options
	for len(opts) == 1 && opts[0] != nil && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommand ||
		opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		words = append(words, opts[0].Name)
		spec, _ = findSpec(spec.subcommands, opts[0].Name)
		opts = opts[0].Options
	}
	values := map[string]string{}
	for _, o := range opts {
		if o != nil {
			values[o.Name] = optionString(o.Value)
		}
	}
	for _, s := range spec.options {
		v, ok := values[s.name]
		delete(values, s.name)
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		if s.rest {
			for _, w := range strings.Fields(v) {
				words = append(words, quoteWord(w))
			}
			continue
		}
		words = append(words, quoteWord(strings.TrimSpace(v)))
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if v, ok := values[o.Name]; ok && strings.TrimSpace(v) != "" {
			words = append(words, quoteWord(strings.TrimSpace(v)))
			delete(values, o.Name)
		}
	}
	return strings.Join(words, " ")
}

func optionString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// quoteWord returns w as one bot.Tokenize argument: unchanged when it holds
// nothing Tokenize treats specially, otherwise double-quoted with quotes and
// backslashes escaped.
func quoteWord(w string) string {
	if w != "" && !strings.ContainsAny(w, "\"'“”") && strings.IndexFunc(w, unicode.IsSpace) < 0 {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch r {
		case '"', '\\', '“', '”':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
