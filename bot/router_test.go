package bot

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func echo(name string) Command {
	return Command{
		Name: name, Usage: "NAME", MinArgs: 1,
		Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
			return Reply{Text: req.Command + ":" + strings.Join(req.Args, "|")}, nil
		}),
	}
}

func testRouter(opts RouterOptions) *Router {
	r := NewRouter(opts)
	c := echo("whoowns")
	c.Phrases = []Phrase{{Pattern: "who owns {name*}"}, {Pattern: "owner of {name*}"}}
	r.Register(c)
	cat := echo("catalog")
	cat.Phrases = []Phrase{
		{Pattern: "search for {text*}", Expand: "search {text}"},
		{Pattern: "what does {ref*} depend on", Expand: "deps {ref}"},
	}
	r.Register(cat)
	d := echo("docs")
	d.Phrases = []Phrase{{Pattern: "docs for {name} about {q*}"}, {Pattern: "docs for {name}"}}
	r.Register(d)
	r.Register(Command{Name: "help", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		return Reply{Text: "help"}, nil
	})})
	return r
}

func TestRouter_Parse(t *testing.T) {
	r := testRouter(RouterOptions{})
	tests := []struct {
		name    string
		in      Input
		status  Status
		command string
		args    []string
		reply   string // substring of the reply text for Usage
	}{
		{"slash", Input{Text: "/whoowns payments-api"}, Answered, "whoowns", []string{"payments-api"}, ""},
		{"slash case-insensitive", Input{Text: "/WhoOwns payments-api"}, Answered, "whoowns", []string{"payments-api"}, ""},
		{"quoted argument", Input{Text: `/catalog search "payment api"`}, Answered, "catalog", []string{"search", "payment api"}, ""},
		{"mention phrase", Input{Text: "who owns payments-api?", Mention: true}, Answered, "whoowns", []string{"payments-api"}, ""},
		{"mention phrase with capitals", Input{Text: "Who OWNS payments-api", Mention: true}, Answered, "whoowns", []string{"payments-api"}, ""},
		{"mention expands to subcommand", Input{Text: "search for card refunds", Mention: true}, Answered, "catalog", []string{"search", "card", "refunds"}, ""},
		{"mention with suffix literal", Input{Text: "what does payments-api depend on?", Mention: true}, Answered, "catalog", []string{"deps", "payments-api"}, ""},
		{"mention two captures", Input{Text: "docs for payments-api about rollback steps", Mention: true}, Answered, "docs", []string{"payments-api", "rollback", "steps"}, ""},
		{"mention shorter phrase", Input{Text: "docs for payments-api", Mention: true}, Answered, "docs", []string{"payments-api"}, ""},
		{"mention as command words", Input{Text: "whoowns payments-api", Mention: true}, Answered, "whoowns", []string{"payments-api"}, ""},
		{"mention slash", Input{Text: "/help", Mention: true}, Answered, "help", []string{}, ""},
		{"bot message ignored", Input{Text: "/whoowns x", FromBot: true}, Ignored, "", nil, ""},
		{"empty ignored", Input{Text: "   "}, Ignored, "", nil, ""},
		{"empty mention gets help", Input{Text: "", Mention: true}, Usage, "", nil, "Ask me"},
		{"missing argument", Input{Text: "/whoowns"}, Usage, "whoowns", nil, "Usage: /whoowns NAME"},
		{"unknown command with suggestion", Input{Text: "/whoown x"}, Usage, "", nil, "Did you mean /whoowns?"},
		{"unknown mention words", Input{Text: "tell me a joke", Mention: true}, Usage, "", nil, `don't know the command "tell"`},
		{"unclosed quote", Input{Text: `/catalog search "abc`}, Usage, "", nil, "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := r.Parse(tt.in)
			if p.Status != tt.status {
				t.Fatalf("Parse(%q).Status = %v, want %v (reply %q)", tt.in.Text, p.Status, tt.status, p.Reply.Text)
			}
			if tt.command != "" && (p.Command == nil || p.Command.Name != tt.command) {
				t.Fatalf("Parse(%q).Command = %v, want %s", tt.in.Text, p.Command, tt.command)
			}
			if tt.status == Answered && !reflect.DeepEqual(p.Args, tt.args) {
				t.Errorf("Parse(%q).Args = %q, want %q", tt.in.Text, p.Args, tt.args)
			}
			if tt.reply != "" && !strings.Contains(p.Reply.Text, tt.reply) {
				t.Errorf("Parse(%q).Reply.Text = %q, want it to contain %q", tt.in.Text, p.Reply.Text, tt.reply)
			}
		})
	}
}

type recordingObserver struct{ calls []string }

func (o *recordingObserver) ObserveCommand(platform, command string, status Status, _ time.Duration) {
	o.calls = append(o.calls, platform+"/"+command+"/"+status.String())
}

type denyAll struct{}

func (denyAll) Authorize(ctx context.Context, req Request) error {
	if req.Command == "docs" {
		return &DeniedError{Command: "docs", Who: "members of group:sre"}
	}
	return nil
}

type fixedIdentity string

func (f fixedIdentity) Identify(ctx context.Context, platform string, u User) string {
	return string(f)
}

func TestRouter_Handle(t *testing.T) {
	obs := &recordingObserver{}
	r := NewRouter(RouterOptions{Observer: obs, Authorizer: denyAll{}, Identifier: fixedIdentity("user:default/jane")})
	var seen Request
	r.Register(Command{Name: "who", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		seen = req
		return Reply{Text: "ok", Ephemeral: true}, nil
	})})
	r.Register(Command{Name: "missing", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		return Reply{}, Errorf("no such thing %q", req.Arg(0))
	})})
	r.Register(Command{Name: "broken", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		return Reply{}, errors.New("database password is hunter2")
	})})
	r.Register(Command{Name: "panics", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		panic("boom")
	})})
	r.Register(Command{Name: "usage", Usage: "X", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		return Reply{}, UsageErrorf("X must be a number")
	})})
	r.Register(Command{Name: "docs", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
		t.Error("denied command ran")
		return Reply{}, nil
	})})
	ctx := context.Background()

	t.Run("answer carries identity and sharing", func(t *testing.T) {
		o := r.Handle(ctx, Input{Platform: "slack", User: User{ID: "U1"}, Text: "/who a b", Shared: true})
		if o.Status != Answered || o.Reply.Text != "ok" {
			t.Fatalf("Handle = %+v", o)
		}
		if o.Reply.Ephemeral {
			t.Error("a shared answer must not be ephemeral")
		}
		if seen.CatalogUser != "user:default/jane" || seen.User.ID != "U1" || seen.Platform != "slack" {
			t.Errorf("handler saw %+v", seen)
		}
	})
	t.Run("user error shown as is", func(t *testing.T) {
		o := r.Handle(ctx, Input{Text: "/missing zz"})
		if o.Status != Failed || o.Reply.Text != `no such thing "zz"` || !o.Reply.Ephemeral {
			t.Fatalf("Handle = %+v", o)
		}
	})
	t.Run("internal error hidden behind a reference", func(t *testing.T) {
		o := r.Handle(ctx, Input{Text: "/broken"})
		if o.Status != Failed || strings.Contains(o.Reply.Text, "hunter2") || !strings.Contains(o.Reply.Text, "ref ") {
			t.Fatalf("Handle = %+v", o)
		}
	})
	t.Run("panic becomes an internal error", func(t *testing.T) {
		o := r.Handle(ctx, Input{Text: "/panics"})
		if o.Status != Failed || !strings.Contains(o.Reply.Text, "ref ") {
			t.Fatalf("Handle = %+v", o)
		}
	})
	t.Run("usage error shows usage", func(t *testing.T) {
		o := r.Handle(ctx, Input{Text: "/usage q"})
		if o.Status != Usage || !strings.Contains(o.Reply.Text, "Usage: /usage X") {
			t.Fatalf("Handle = %+v", o)
		}
	})
	t.Run("denied politely", func(t *testing.T) {
		o := r.Handle(ctx, Input{Text: "/docs x"})
		if o.Status != Failed || o.Reply.Text != "Sorry, /docs is limited to members of group:sre." || !o.Reply.Ephemeral {
			t.Fatalf("Handle = %+v", o)
		}
	})
	t.Run("observer counts every non-ignored input", func(t *testing.T) {
		obs.calls = nil
		r.Handle(ctx, Input{Platform: "discord", Text: "/who"})
		r.Handle(ctx, Input{Platform: "discord", Text: "/nope"})
		r.Handle(ctx, Input{Platform: "discord", Text: "/who", FromBot: true})
		want := []string{"discord/who/answered", "discord/unknown/usage"}
		if !reflect.DeepEqual(obs.calls, want) {
			t.Errorf("observed %q, want %q", obs.calls, want)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		slow := NewRouter(RouterOptions{Timeout: time.Millisecond})
		slow.Register(Command{Name: "slow", Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
			<-ctx.Done()
			return Reply{}, ctx.Err()
		})})
		o := slow.Handle(ctx, Input{Text: "/slow"})
		if o.Status != Failed || !strings.Contains(o.Reply.Text, "took too long") {
			t.Fatalf("Handle = %+v", o)
		}
	})
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{`search "two words" x`, []string{"search", "two words", "x"}},
		{`“smart quotes” here`, []string{"smart quotes", "here"}},
		{`it's fine`, []string{"it's", "fine"}},
		{`'single quoted' x`, []string{"single quoted", "x"}},
		{"‘payments-api’?", []string{"payments-api?"}},
		{"it’s ‘two words’", []string{"it’s", "two words"}},
		{`"esc \" quote"`, []string{`esc " quote`}},
		{`""`, []string{""}},
		{"tab\tand\u00a0nbsp", []string{"tab", "and", "nbsp"}},
	}
	for _, tt := range tests {
		got, err := Tokenize(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Tokenize(`"open`); err == nil {
		t.Error(`Tokenize("open) succeeded, want an unclosed-quote error`)
	}
}

func TestRequest_CommandLine(t *testing.T) {
	req := Request{Command: "catalog", Args: []string{"search", "two words", `a"b`}}
	line := req.CommandLine()
	words, err := Tokenize(strings.TrimPrefix(line, "/"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(words[1:], req.Args) {
		t.Errorf("CommandLine round trip = %q, want %q", words[1:], req.Args)
	}
}

// FuzzTokenize checks that tokenizing never panics and that quoting the
// words back with Request.CommandLine gives the same words.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"/whoowns payments-api", `search "a b"`, `“x” 'y'`, `a\"b`, "\"", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Tokenize(s)
		if err != nil {
			return
		}
		line := Request{Command: "x", Args: words}.CommandLine()
		again, err := Tokenize(strings.TrimPrefix(line, "/"))
		if err != nil {
			t.Fatalf("Tokenize(CommandLine(%q)) = %v", words, err)
		}
		if len(words) > 0 && !reflect.DeepEqual(again[1:], words) {
			t.Fatalf("round trip %q → %q → %q", words, line, again[1:])
		}
	})
}

func TestRouter_Quick(t *testing.T) {
	r := testRouter(RouterOptions{})
	quick := echo("quick")
	quick.Quick = true
	quick.Phrases = []Phrase{{Pattern: "be quick about {x*}"}}
	r.Register(quick)
	for _, tt := range []struct {
		name string
		in   Input
		want bool
	}{
		{"quick command", Input{Text: "/quick x"}, true},
		{"quick command in plain words", Input{Text: "be quick about it", Mention: true}, true},
		{"other command", Input{Text: "/whoowns payments-api"}, false},
		{"other command in plain words", Input{Text: "who owns payments-api?", Mention: true}, false},
		{"usage", Input{Text: "/quick"}, true},
		{"unknown command", Input{Text: "/nosuch"}, true},
		{"bad quoting", Input{Text: `/whoowns "payments`}, true},
		{"from a bot", Input{Text: "/whoowns payments-api", FromBot: true}, true},
		{"empty", Input{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Quick(tt.in); got != tt.want {
				t.Errorf("Quick(%+v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// A Quick handler never waits, so the router gives it no deadline of its
// own; other handlers get Timeout.
func TestRouter_HandlerDeadline(t *testing.T) {
	r := NewRouter(RouterOptions{Timeout: time.Minute})
	deadline := map[string]bool{}
	for _, quick := range []bool{false, true} {
		name := map[bool]string{false: "slow", true: "quick"}[quick]
		r.Register(Command{Name: name, Quick: quick, Handler: HandlerFunc(func(ctx context.Context, req Request) (Reply, error) {
			_, deadline[name] = ctx.Deadline()
			return Reply{Text: "ok"}, nil
		})})
	}
	r.Handle(context.Background(), Input{Text: "/slow"})
	r.Handle(context.Background(), Input{Text: "/quick"})
	if !deadline["slow"] || deadline["quick"] {
		t.Errorf("handlers had deadlines %v, want only slow's", deadline)
	}
}
