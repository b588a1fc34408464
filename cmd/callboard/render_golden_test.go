package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/commands"
	"github.com/callboard/callboard/bot/discord"
	slackbot "github.com/callboard/callboard/bot/slack"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/techdocs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRenderedReplies_Golden renders every command's reply over the example
// organisation as Slack Block Kit and as Discord embeds: the adapters only
// know bot.Reply, so this is where real command output meets each renderer.
func TestRenderedReplies_Golden(t *testing.T) {
	c := catalog.NewCatalog()
	s := catalog.NewSyncer(&catalog.Loader{Roots: []string{exampleOrg}}, c, catalog.SyncerOptions{})
	if _, err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := bot.NewRouter(bot.RouterOptions{Identifier: commands.NewIdentity(c)})
	commands.Register(r, c, techdocs.Open)
	inputs := map[string]string{
		"whoowns":              "/whoowns payments-api",
		"whoowns-group":        "/whoowns group:payments-platform",
		"whoowns-user":         "/whoowns user:jane.doe",
		"whoowns-did-you-mean": "/whoowns paymnts-api",
		"docs":                 "/docs payments-api",
		"docs-query":           "/docs payments-api rollback",
		"catalog-search":       "/catalog search payment",
		"catalog-show":         "/catalog show component:payments-api",
		"catalog-owned-by":     "/catalog owned-by payments-platform",
		"catalog-deps":         "/catalog deps payments-api",
		"new-service":          "/new-service",
		"new-service-form":     "/new-service go-grpc",
		"help":                 "/help",
	}
	for name, text := range inputs {
		for _, platform := range []string{"slack", "discord"} {
			t.Run(platform+"/"+name, func(t *testing.T) {
				o := r.Handle(context.Background(), bot.Input{Platform: platform, User: bot.User{ID: "U04JDOE0001"}, Channel: bot.Channel{ID: "C1"}, Text: text})
				var v any
				if platform == "slack" {
					fallback, blocks := slackbot.Render(o.Reply)
					m := map[string]any{"text": fallback, "blocks": blocks}
					if o.Reply.Form != nil {
						// What Slack users see: the modal, not the message.
						view, err := slackbot.RenderForm(o.Reply, "C1")
						if err != nil {
							t.Fatalf("RenderForm: %v", err)
						}
						m["modal"] = view
					}
					v = m
				} else {
					v = discord.Render(o.Reply)
				}
				got, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				path := filepath.Join("testdata", "rendered", platform, name+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test -update creates it)", err)
				}
				if string(got) != string(want) {
					t.Errorf("%s rendering of %q differs from %s (go test -update rewrites it):\n%s", platform, text, path, got)
				}
			})
		}
	}
}
