package discord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// commandShape is a registered command reduced to what users type.
type commandShape struct {
	Name    string        `json:"name"`
	Type    int           `json:"type"`
	Options []optionShape `json:"options"`
}

type optionShape struct {
	Name         string        `json:"name"`
	Type         int           `json:"type"`
	Required     bool          `json:"required"`
	Autocomplete bool          `json:"autocomplete"`
	Options      []optionShape `json:"options"`
}

func TestRegisterCommands(t *testing.T) {
	tests := []struct {
		guild string
		path  string
	}{
		{"33300", "/api/v9/applications/55500/guilds/33300/commands"},
		{"", "/api/v9/applications/55500/commands"},
	}
	for _, tt := range tests {
		t.Run("guild="+tt.guild, func(t *testing.T) {
			fake := newFakeDiscord(t)
			router, _ := recordingRouter(bot.Reply{})
			a := newTestAdapter(t, router, newKeys(t), fake, Options{GuildID: tt.guild})
			if err := a.RegisterCommands(context.Background()); err != nil {
				t.Fatalf("RegisterCommands: %v", err)
			}
			c := fake.await(t)
			if c.Method != "PUT" || c.Path != tt.path {
				t.Fatalf("request = %s %s, want PUT %s", c.Method, c.Path, tt.path)
			}
			if got := c.Header.Get("Authorization"); got != "Bot test-bot-token" {
				t.Errorf("Authorization = %q, want Bot test-bot-token", got)
			}
			var got []commandShape
			if err := json.Unmarshal(c.Body, &got); err != nil {
				t.Fatal(err)
			}
			s := func(name string, required, autocomplete bool) optionShape {
				return optionShape{Name: name, Type: 3, Required: required, Autocomplete: autocomplete}
			}
			sub := func(name string, opts ...optionShape) optionShape {
				return optionShape{Name: name, Type: 1, Options: opts}
			}
			want := []commandShape{
				{Name: "whoowns", Type: 1, Options: []optionShape{s("name", true, true)}},
				{Name: "docs", Type: 1, Options: []optionShape{s("name", true, true), s("query", false, false)}},
				{Name: "catalog", Type: 1, Options: []optionShape{
					sub("search", s("text", true, false)),
					sub("show", s("ref", true, true)),
					sub("owned-by", s("group", true, true)),
					sub("deps", s("ref", true, true)),
				}},
				{Name: "new-service", Type: 1, Options: []optionShape{s("template", false, true)}},
				{Name: "digest", Type: 1, Options: []optionShape{s("group", false, true)}},
				{Name: "help", Type: 1, Options: []optionShape{}},
			}
			for i := range want {
				normalize(want[i].Options)
			}
			for i := range got {
				normalize(got[i].Options)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("registered commands =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// normalize makes absent and empty option lists compare equal.
func normalize(opts []optionShape) {
	for i := range opts {
		if len(opts[i].Options) == 0 {
			opts[i].Options = nil
		}
		normalize(opts[i].Options)
	}
}

func TestRegisterCommands_Errors(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.setReply(func(w http.ResponseWriter, c call) bool {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"Missing Access","code":50001}`))
		return true
	})
	router, _ := recordingRouter(bot.Reply{})
	a := newTestAdapter(t, router, newKeys(t), fake, Options{GuildID: "33300"})
	err := a.RegisterCommands(context.Background())
	var api *APIError
	if !errors.As(err, &api) || api.Status != http.StatusForbidden || api.Code != 50001 {
		t.Errorf("RegisterCommands error = %v, want an APIError 403 code 50001", err)
	}
	if err != nil && strings.Contains(err.Error(), "test-bot-token") {
		t.Errorf("error %q leaks the token", err)
	}
}

var commandNameRE = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

func TestCommands_WithinDiscordLimits(t *testing.T) {
	cmds := Commands()
	if len(cmds) > 100 {
		t.Errorf("%d commands, Discord allows 100", len(cmds))
	}
	var check func(path, name, desc string, opts []*discordgo.ApplicationCommandOption)
	check = func(path, name, desc string, opts []*discordgo.ApplicationCommandOption) {
		if !commandNameRE.MatchString(name) || utf8.RuneCountInString(name) > maxCommandName {
			t.Errorf("%s: name %q is not 1-32 lowercase characters", path, name)
		}
		if n := utf8.RuneCountInString(desc); n < 1 || n > maxCommandDescription {
			t.Errorf("%s: description has %d runes, want 1..100", path, n)
		}
		if len(opts) > maxCommandOptions {
			t.Errorf("%s: %d options, limit %d", path, len(opts), maxCommandOptions)
		}
		requiredDone := false
		for _, o := range opts {
			if o.Type == discordgo.ApplicationCommandOptionString {
				if o.Required && requiredDone {
					t.Errorf("%s: required option %s after an optional one", path, o.Name)
				}
				requiredDone = requiredDone || !o.Required
				wantAuto := o.Name == "name" || o.Name == "ref" || o.Name == "group" || o.Name == "template"
				if o.Autocomplete != wantAuto {
					t.Errorf("%s %s: autocomplete = %v, want %v", path, o.Name, o.Autocomplete, wantAuto)
				}
			}
			check(path+" "+o.Name, o.Name, o.Description, o.Options)
		}
	}
	for _, c := range cmds {
		if c.Type != discordgo.ChatApplicationCommand {
			t.Errorf("/%s type = %d, want chat input", c.Name, c.Type)
		}
		check("/"+c.Name, c.Name, c.Description, c.Options)
	}
}

func TestOptionKind(t *testing.T) {
	tests := []struct{ command, sub, option, want string }{
		{"whoowns", "", "name", KindEntity},
		{"docs", "", "name", KindComponent},
		{"docs", "", "query", ""},
		{"catalog", "show", "ref", KindEntity},
		{"catalog", "deps", "ref", KindEntity},
		{"catalog", "owned-by", "group", KindGroup},
		{"catalog", "search", "text", ""},
		{"new-service", "", "template", KindTemplate},
		{"digest", "", "group", KindGroup},
		{"catalog", "nope", "ref", ""},
		{"nope", "", "name", ""},
	}
	for _, tt := range tests {
		if got := OptionKind(tt.command, tt.sub, tt.option); got != tt.want {
			t.Errorf("OptionKind(%q, %q, %q) = %q, want %q", tt.command, tt.sub, tt.option, got, tt.want)
		}
	}
}
