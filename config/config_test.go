package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "callboard.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_Defaults(t *testing.T) {
	cfg, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.Storage.Path != "var/callboard.db" || len(cfg.Catalog.Sources) != 1 || time.Duration(cfg.Catalog.Refresh) != 5*time.Minute {
		t.Errorf("Load(\"\") = %+v, want the documented defaults", cfg)
	}
	if cfg.Slack.Enabled() || cfg.Discord.Enabled() {
		t.Error("chat adapters enabled without any setting")
	}
}

func TestLoad_Environment(t *testing.T) {
	cfg, err := Load("", env(map[string]string{
		"SLACK_SIGNING_SECRET": "s3cret", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://127.0.0.1:1/api/",
		"DISCORD_PUBLIC_KEY": strings.Repeat("a", 64), "DISCORD_BOT_TOKEN": "bot", "DISCORD_APP_ID": "1", "DISCORD_GUILD_ID": "2", "DISCORD_API_URL": "http://127.0.0.1:2/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Slack.SigningSecret.Reveal() != "s3cret" || cfg.Slack.AppToken.Reveal() != "xapp-1" || cfg.Slack.APIURL != "http://127.0.0.1:1/api/" {
		t.Errorf("slack = %+v", cfg.Slack)
	}
	if cfg.Discord.GuildID != "2" || cfg.Discord.BotToken.Reveal() != "bot" || cfg.Discord.APIURL != "http://127.0.0.1:2/" {
		t.Errorf("discord = %+v", cfg.Discord)
	}
}

func TestLoad_File(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secretFile, []byte("xoxb-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := writeConfig(t, fmt.Sprintf(`
catalog:
  sources: [org/, more/*.yaml]
  refresh: 30s
http: {addr: "0.0.0.0:9000"}
slack:
  signing_secret: ${SIGNING}
  bot_token_file: %s
access:
  rules:
    - commands: [new-service]
      groups: [group:platform]
      users: [slack:U1, user:jane]
`, secretFile))
	cfg, err := Load(p, env(map[string]string{"SIGNING": "abc"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Slack.SigningSecret.Reveal() != "abc" || cfg.Slack.BotToken.Reveal() != "xoxb-from-file" {
		t.Errorf("secrets = %q, %q", cfg.Slack.SigningSecret.Reveal(), cfg.Slack.BotToken.Reveal())
	}
	if time.Duration(cfg.Catalog.Refresh) != 30*time.Second || cfg.HTTP.Addr != "0.0.0.0:9000" || len(cfg.Catalog.Sources) != 2 {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.Access.Rules) != 1 || cfg.Access.Rules[0].Groups[0] != "group:platform" {
		t.Errorf("access = %+v", cfg.Access)
	}
	if cfg.Storage.Path != "var/callboard.db" {
		t.Errorf("unset storage.path = %q, want the default", cfg.Storage.Path)
	}
}

func TestLoad_Errors(t *testing.T) {
	tests := []struct {
		name, content string
		env           map[string]string
		want          string // substring; ":N:" lines are checked
	}{
		{"unknown top-level key", "catalogue:\n  sources: [x]\n", nil, `:1: unknown key "catalogue" in the top level`},
		{"unknown nested key", "slack:\n  api_url: x\n  tokn: y\n", nil, `:3: unknown key "tokn" in slack`},
		{"unknown rule key", "access:\n  rules:\n    - commands: [x]\n      group: [y]\n", nil, `:4: unknown key "group" in rule`},
		{"wrong type", "catalog:\n  sources: 5\n", nil, ":2: cannot unmarshal"},
		{"bad duration", "catalog:\n  refresh: soon\n", nil, `:2: "soon" is not a positive duration`},
		{"inline secret", "slack:\n  bot_token: xoxb-123\n", nil, ":2: bot_token must not be written in the file"},
		{"missing env secret", "slack:\n  signing_secret: ${NOPE}\n", nil, ":2: signing_secret refers to ${NOPE}, which is not set"},
		{"missing env anywhere", "catalog:\n  sources: [\"${ORG_ROOT}/catalog-info.yaml\"]\n", nil, ":2: sources refers to ${ORG_ROOT}, which is not set"},
		{"bad addr", "http:\n  addr: localhost\n", nil, `http.addr: "localhost" is not HOST:PORT`},
		{"bad app token", "slack:\n  app_token: ${T}\n", map[string]string{"T": "xoxb-wrong"}, "slack.app_token: an app-level token starts with xapp-"},
		{"bad access user", "access:\n  rules:\n    - commands: [x]\n      users: [jane]\n", nil, `access.rules[0].users: "jane" must be slack:ID`},
		{"bad api url", "slack:\n  api_url: slack.com/api\n", nil, `slack.api_url: "slack.com/api" is not an http(s) URL`},
		{"syntax", "catalog: [\n", nil, "did not find expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, tt.content)
			_, err := Load(p, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tt.want)
			}
			if strings.HasPrefix(tt.want, ":") && !strings.Contains(err.Error(), p+tt.want) {
				t.Errorf("error %q does not name the file and line as %q", err, p+tt.want)
			}
		})
	}
}

func TestSecret_NeverPrinted(t *testing.T) {
	s := Secret("hunter2")
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s, "cfg", Slack{BotToken: s})
	j, _ := json.Marshal(Slack{BotToken: s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, Slack{BotToken: s}, s, s), logged.String(), string(j)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal lost the secret")
	}
}
