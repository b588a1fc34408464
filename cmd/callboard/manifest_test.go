package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/commands"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/techdocs"
)

// TestSlackManifest_MatchesTheBot holds the app manifest the README tells
// people to import to what serve does: every registered command and no
// other, the three endpoints, and the events and scopes the adapter uses.
func TestSlackManifest_MatchesTheBot(t *testing.T) {
	data, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command, URL, Description string
			} `yaml:"slash_commands"`
		}
		OAuthConfig struct {
			Scopes struct{ Bot []string }
		} `yaml:"oauth_config"`
		Settings struct {
			EventSubscriptions struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				IsEnabled  bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			}
		}
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("slack-app-manifest.yaml: %v", err)
	}

	r := bot.NewRouter(bot.RouterOptions{})
	commands.Register(r, catalog.NewCatalog(), techdocs.Open)
	var want, got []string
	for _, c := range r.Commands() {
		want = append(want, "/"+c.Name)
	}
	for _, c := range m.Features.SlashCommands {
		got = append(got, c.Command)
		if !strings.HasSuffix(c.URL, "/slack/commands") || c.Description == "" {
			t.Errorf("%s: url %q, description %q; want .../slack/commands and a description", c.Command, c.URL, c.Description)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("manifest slash commands = %v, registered commands = %v", got, want)
	}
	if u := m.Settings.EventSubscriptions.RequestURL; !strings.HasSuffix(u, "/slack/events") {
		t.Errorf("event request_url = %q, want .../slack/events", u)
	}
	if i := m.Settings.Interactivity; !i.IsEnabled || !strings.HasSuffix(i.RequestURL, "/slack/interactions") {
		t.Errorf("interactivity = %+v, want enabled at .../slack/interactions (buttons and modals)", i)
	}
	for _, e := range []string{"app_mention", "message.im"} {
		if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, e) {
			t.Errorf("bot_events %v lack %s", m.Settings.EventSubscriptions.BotEvents, e)
		}
	}
	for _, s := range []string{"commands", "chat:write", "app_mentions:read", "im:history", "users:read", "users:read.email"} {
		if !slices.Contains(m.OAuthConfig.Scopes.Bot, s) {
			t.Errorf("bot scopes %v lack %s", m.OAuthConfig.Scopes.Bot, s)
		}
	}
}
