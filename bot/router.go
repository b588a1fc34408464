package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Handler answers one command. It returns a *UserError for anything the user
// can fix; any other error is logged and shown only as a reference.
type Handler interface {
	Handle(ctx context.Context, req Request) (Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req Request) (Reply, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, req Request) (Reply, error) { return f(ctx, req) }

// Command is one registered command.
type Command struct {
	Name    string // "whoowns"; the slash command is "/" + Name
	Usage   string // arguments, e.g. "NAME|REF"
	Summary string // one line for /help
	Help    string // longer help for /help NAME
	// MinArgs is the fewest arguments the command accepts; fewer gets usage.
	MinArgs int
	// Phrases are plain-words forms for mentions, e.g. "who owns {name*}".
	// A {x} matches one word, {x*} one or more; Expand (when set) builds the
	// arguments from the captures, e.g. "search {text*}".
	Phrases []Phrase
	Handler Handler
	// Quick marks a handler that answers from memory within a millisecond
	// or so: no network, disk or waiting on other requests. Adapters that
	// must acknowledge a request within a deadline may run it in the
	// acknowledging goroutine instead of racing it against a timer, so a
	// Quick handler that blocks delays the acknowledgement.
	Quick bool
}

// Phrase maps a plain-words pattern to the command's arguments.
type Phrase struct {
	Pattern string
	Expand  string
}

// Authorizer decides whether a request may run a command. It returns nil to
// allow, a *DeniedError to refuse politely, or another error when it could
// not decide. Implementations key on immutable ids and catalog refs.
type Authorizer interface {
	Authorize(ctx context.Context, req Request) error
}

// Identifier maps a chat user to a catalog User ref, or "" when unknown.
type Identifier interface {
	Identify(ctx context.Context, platform string, u User) string
}

// Observer receives one call per routed input, for metrics.
type Observer interface {
	ObserveCommand(platform, command string, status Status, elapsed time.Duration)
}

// Status is what became of an input.
type Status int

const (
	// Answered: the command ran and answered.
	Answered Status = iota
	// Failed: the command ran but could not answer (not found, denied,
	// internal error).
	Failed
	// Usage: the input was not a valid command line; the reply says why.
	Usage
	// Ignored: nothing to answer (bot messages, empty input).
	Ignored
)

func (s Status) String() string {
	switch s {
	case Answered:
		return "answered"
	case Failed:
		return "failed"
	case Usage:
		return "usage"
	default:
		return "ignored"
	}
}

// Outcome is the router's result for one input.
type Outcome struct {
	Status  Status
	Command string // the matched command name, "" when none
	Reply   Reply
}

// RouterOptions are the router's optional collaborators.
type RouterOptions struct {
	Logger     *slog.Logger
	Authorizer Authorizer
	Identifier Identifier
	Observer   Observer
	// Timeout bounds one handler call, except a Quick command's, which
	// never waits; zero means 30 seconds.
	Timeout time.Duration
}

// Router turns inputs into replies. It is safe for concurrent use once all
// commands are registered.
type Router struct {
	opts     RouterOptions
	log      *slog.Logger
	commands map[string]*Command
	order    []string
}

// NewRouter returns a router with no commands.
func NewRouter(opts RouterOptions) *Router {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	return &Router{opts: opts, log: log, commands: map[string]*Command{}}
}

// Register adds a command. It panics on a duplicate or empty name, which is a
// programming error in main's wiring.
func (r *Router) Register(c Command) {
	name := strings.ToLower(c.Name)
	if name == "" || r.commands[name] != nil {
		panic(fmt.Sprintf("bot: bad or duplicate command name %q", c.Name))
	}
	c.Name = name
	r.commands[name] = &c
	r.order = append(r.order, name)
}

// Commands returns the registered commands in registration order.
func (r *Router) Commands() []Command {
	out := make([]Command, 0, len(r.order))
	for _, n := range r.order {
		out = append(out, *r.commands[n])
	}
	return out
}

// Lookup returns the command with the given name.
func (r *Router) Lookup(name string) (Command, bool) {
	c, ok := r.commands[strings.ToLower(name)]
	if !ok {
		return Command{}, false
	}
	return *c, true
}

// Parsed is the three-way result of reading an input: run a command, reply
// now without running one, or ignore.
type Parsed struct {
	Status  Status // Answered means "run"; Usage means "reply now"; Ignored
	Command *Command
	Args    []string
	Reply   Reply // for Usage
}

// Parse reads an input without running anything.
func (r *Router) Parse(in Input) Parsed {
	if in.FromBot {
		return Parsed{Status: Ignored}
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		if in.Mention {
			return Parsed{Status: Usage, Reply: r.shortHelp("Hi! Ask me something.")}
		}
		return Parsed{Status: Ignored}
	}
	if strings.HasPrefix(text, "/") {
		return r.parseCommandLine(text[1:])
	}
	if in.Mention {
		if p, ok := r.parsePhrase(text); ok {
			return p
		}
	}
	return r.parseCommandLine(text)
}

func (r *Router) parseCommandLine(line string) Parsed {
	words, err := Tokenize(line)
	if err != nil {
		return Parsed{Status: Usage, Reply: Reply{Text: err.Error(), Ephemeral: true}}
	}
	if len(words) == 0 {
		return Parsed{Status: Ignored}
	}
	name := strings.ToLower(strings.TrimPrefix(words[0], "/"))
	c, ok := r.commands[name]
	if !ok {
		return Parsed{Status: Usage, Reply: r.unknownCommand(name)}
	}
	args := words[1:]
	if len(args) < c.MinArgs {
		return Parsed{Status: Usage, Command: c, Reply: r.usageReply(c, "")}
	}
	return Parsed{Status: Answered, Command: c, Args: args}
}

func (r *Router) parsePhrase(text string) (Parsed, bool) {
	words, err := Tokenize(strings.TrimRight(text, "?!. "))
	if err != nil || len(words) == 0 {
		return Parsed{}, false
	}
	for _, name := range r.order {
		c := r.commands[name]
		for _, ph := range c.Phrases {
			caps, ok := matchPhrase(strings.Fields(ph.Pattern), words, map[string][]string{})
			if !ok {
				continue
			}
			args := expandPhrase(ph, caps)
			if len(args) < c.MinArgs {
				return Parsed{Status: Usage, Command: c, Reply: r.usageReply(c, "")}, true
			}
			return Parsed{Status: Answered, Command: c, Args: args}, true
		}
	}
	return Parsed{}, false
}

// matchPhrase matches pattern words against input words. Literal pattern
// words match case-insensitively; {x} takes one word, {x*} one or more.
func matchPhrase(pattern, words []string, caps map[string][]string) (map[string][]string, bool) {
	if len(pattern) == 0 {
		return caps, len(words) == 0
	}
	p := pattern[0]
	if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
		name := strings.Trim(p, "{}")
		if strings.HasSuffix(name, "*") {
			name = strings.TrimSuffix(name, "*")
			// Greedy from the longest: the rest of the pattern is usually a
			// literal suffix ("about {q*}") that should bind late.
			for n := len(words); n >= 1; n-- {
				next := copyCaps(caps)
				next[name] = words[:n]
				if got, ok := matchPhrase(pattern[1:], words[n:], next); ok {
					return got, true
				}
			}
			return nil, false
		}
		if len(words) == 0 {
			return nil, false
		}
		next := copyCaps(caps)
		next[name] = words[:1]
		return matchPhrase(pattern[1:], words[1:], next)
	}
	if len(words) == 0 || !strings.EqualFold(strings.Trim(words[0], ",:;"), p) {
		return nil, false
	}
	return matchPhrase(pattern[1:], words[1:], caps)
}

func copyCaps(c map[string][]string) map[string][]string {
	out := make(map[string][]string, len(c)+1)
	for k, v := range c {
		out[k] = v
	}
	return out
}

func expandPhrase(ph Phrase, caps map[string][]string) []string {
	var args []string
	if ph.Expand == "" {
		for _, w := range strings.Fields(ph.Pattern) {
			if strings.HasPrefix(w, "{") {
				args = append(args, caps[strings.Trim(w, "{}*")]...)
			}
		}
		return args
	}
	for _, w := range strings.Fields(ph.Expand) {
		if strings.HasPrefix(w, "{") {
			args = append(args, caps[strings.Trim(w, "{}*")]...)
			continue
		}
		args = append(args, w)
	}
	return args
}

// Quick reports whether Handle answers in without waiting: the input is
// ignored, answered at once (usage, an unknown command) or runs a Quick
// command. It runs nothing. The router's Authorizer and Identifier run
// before every command, so Quick assumes they answer from memory too, as
// bot/commands' Access and Identity do.
func (r *Router) Quick(in Input) bool {
	p := r.Parse(in)
	return p.Status != Answered || p.Command.Quick
}

// Handle parses and runs one input and returns what to answer. It never
// returns an internal error's text to the user: those are logged with a
// short reference that the reply quotes.
func (r *Router) Handle(ctx context.Context, in Input) Outcome {
	start := time.Now()
	p := r.Parse(in)
	out := Outcome{Status: p.Status, Reply: p.Reply}
	if p.Command != nil {
		out.Command = p.Command.Name
	}
	if p.Status == Answered {
		out = r.run(ctx, in, p)
	}
	if out.Status != Ignored {
		// Only answers are shared: a refusal or an error stays private.
		out.Reply.Ephemeral = out.Reply.Ephemeral && !(in.Shared && out.Status == Answered)
		if r.opts.Observer != nil {
			name := out.Command
			if name == "" {
				name = "unknown"
			}
			r.opts.Observer.ObserveCommand(in.Platform, name, out.Status, time.Since(start))
		}
	}
	return out
}

func (r *Router) run(ctx context.Context, in Input, p Parsed) Outcome {
	c := p.Command
	req := Request{
		Platform: in.Platform,
		User:     in.User,
		Channel:  in.Channel,
		Command:  c.Name,
		Args:     p.Args,
		Shared:   in.Shared,
		Values:   in.Values,
	}
	if r.opts.Identifier != nil {
		req.CatalogUser = r.opts.Identifier.Identify(ctx, in.Platform, in.User)
	}
	if r.opts.Authorizer != nil {
		if err := r.opts.Authorizer.Authorize(ctx, req); err != nil {
			return Outcome{Status: Failed, Command: c.Name, Reply: r.errorReply(ctx, c, req, err)}
		}
	}
	if !c.Quick {
		// A Quick handler never waits, so a deadline would have nothing
		// to cut short.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.Timeout)
		defer cancel()
	}
	reply, err := r.call(ctx, c, req)
	if err != nil {
		var ue *UserError
		status := Failed
		if errors.As(err, &ue) && ue.Usage {
			status = Usage
		}
		return Outcome{Status: status, Command: c.Name, Reply: r.errorReply(ctx, c, req, err)}
	}
	return Outcome{Status: Answered, Command: c.Name, Reply: reply}
}

// call runs the handler, turning a panic into an internal error so one bad
// handler cannot take the bot down.
func (r *Router) call(ctx context.Context, c *Command, req Request) (reply Reply, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler /%s panicked: %v", c.Name, v)
		}
	}()
	return c.Handler.Handle(ctx, req)
}

// errorReply is the one place errors become replies.
func (r *Router) errorReply(ctx context.Context, c *Command, req Request, err error) Reply {
	var de *DeniedError
	if errors.As(err, &de) {
		return Reply{Text: de.Error(), Ephemeral: true}
	}
	var ue *UserError
	if errors.As(err, &ue) {
		if ue.Reply != nil {
			reply := *ue.Reply
			reply.Ephemeral = true
			return reply
		}
		if ue.Usage {
			return r.usageReply(c, ue.Message)
		}
		return Reply{Text: ue.Message, Ephemeral: true}
	}
	ref := newRef()
	r.log.ErrorContext(ctx, "command failed",
		"ref", ref, "command", c.Name, "args", req.Args,
		"platform", req.Platform, "user", req.User.ID, "channel", req.Channel.ID, "err", err)
	if errors.Is(err, context.DeadlineExceeded) {
		return Reply{Text: fmt.Sprintf("Sorry, /%s took too long to answer (ref %s). Please try again in a moment.", c.Name, ref), Ephemeral: true}
	}
	return Reply{Text: fmt.Sprintf("Sorry, something went wrong on our side while running /%s (ref %s). The operators can look it up in the logs.", c.Name, ref), Ephemeral: true}
}

func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (r *Router) usageReply(c *Command, msg string) Reply {
	text := "Usage: /" + strings.TrimSpace(c.Name+" "+c.Usage)
	if msg != "" {
		text = msg + "\n" + text
	}
	if c.Summary != "" {
		text += "\n" + c.Summary
	}
	return Reply{Text: text, Ephemeral: true}
}

func (r *Router) unknownCommand(name string) Reply {
	var best []string
	for _, n := range r.order {
		if d := editDistance(name, n); d <= 2 || strings.HasPrefix(n, name) {
			best = append(best, n)
		}
	}
	sort.Strings(best)
	msg := fmt.Sprintf("I don't know the command %q.", name)
	if len(best) > 0 {
		msg += " Did you mean /" + strings.Join(best, ", /") + "?"
	}
	return r.shortHelp(msg)
}

func (r *Router) shortHelp(msg string) Reply {
	names := make([]string, 0, len(r.order))
	for _, n := range r.order {
		names = append(names, "/"+n)
	}
	return Reply{Text: msg, Footer: "Commands: " + strings.Join(names, " ") + ". Try /help.", Ephemeral: true}
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Tokenize splits a command line into words, honouring double and single
// quotes and backslash escapes inside double quotes. Chat clients turn
// quotes into typographic ones, so those count too.
func Tokenize(line string) ([]string, error) {
	// Chat platforms send UTF-8; anything else becomes U+FFFD up front so
	// both paths below read the same characters.
	line = strings.ToValidUTF8(line, "\uFFFD")
	if !strings.ContainsAny(line, "\"'“”‘’") {
		// strings.Fields splits where unicode.IsSpace does, with a fast
		// path for ASCII.
		return strings.Fields(line), nil
	}
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	runes := []rune(line)
	for i := 0; i < len(runes); i++ {
		c := runes[i]
		switch {
		case quote != 0:
			switch {
			case c == '\\' && quote == '"' && i+1 < len(runes):
				i++
				cur.WriteRune(runes[i])
			case c == quote || (quote == '"' && (c == '”' || c == '“')) || (quote == '\'' && c == '’'):
				quote = 0
			default:
				cur.WriteRune(c)
			}
		case c == '"' || (c == '\'' || c == '‘') && !inWord || c == '“' || c == '”':
			switch c {
			case '“', '”':
				c = '"'
			case '‘':
				c = '\''
			}
			quote = c
			inWord = true
		case unicode.IsSpace(c):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote in %q", quote, line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
