// Package config reads callboard.yaml: plain data with a default for every
// key, secrets from the environment or files, and errors that name the file,
// line and key. Only cmd/callboard imports it.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration.
type Config struct {
	Catalog Catalog `yaml:"catalog"`
	Storage Storage `yaml:"storage"`
	HTTP    HTTP    `yaml:"http"`
	Slack   Slack   `yaml:"slack"`
	Discord Discord `yaml:"discord"`
	Access  Access  `yaml:"access"`
	Log     Log     `yaml:"log"`
}

// Catalog says where descriptors come from.
type Catalog struct {
	// Sources are folders, descriptor or Location files, or globs.
	Sources []string `yaml:"sources"`
	// Refresh is how often serve re-reads the sources.
	Refresh Duration `yaml:"refresh"`
}

// Storage is the bbolt file.
type Storage struct {
	Path string `yaml:"path"`
}

// HTTP is the one server for webhooks, health and metrics.
type HTTP struct {
	Addr string `yaml:"addr"`
}

// Slack configures the Slack adapter; it is enabled when a signing secret
// (HTTP) or app token (Socket Mode) is set.
type Slack struct {
	SigningSecret     Secret `yaml:"signing_secret"`
	SigningSecretFile string `yaml:"signing_secret_file"`
	BotToken          Secret `yaml:"bot_token"`
	BotTokenFile      string `yaml:"bot_token_file"`
	AppToken          Secret `yaml:"app_token"`
	AppTokenFile      string `yaml:"app_token_file"`
	APIURL            string `yaml:"api_url"`
}

// Enabled reports whether Slack is configured at all.
func (s Slack) Enabled() bool { return s.SigningSecret != "" || s.AppToken != "" }

// Discord configures the Discord adapter; it is enabled when a public key
// (HTTP interactions) or bot token (gateway) is set.
type Discord struct {
	PublicKey    string `yaml:"public_key"`
	BotToken     Secret `yaml:"bot_token"`
	BotTokenFile string `yaml:"bot_token_file"`
	AppID        string `yaml:"app_id"`
	GuildID      string `yaml:"guild_id"`
	APIURL       string `yaml:"api_url"`
}

// Enabled reports whether Discord is configured at all.
func (d Discord) Enabled() bool { return d.PublicKey != "" || d.BotToken != "" }

// Access limits who may run which commands. With no rules every command is
// open to everyone.
type Access struct {
	Rules []AccessRule `yaml:"rules"`
}

// AccessRule allows the listed principals to run the listed commands; a
// command named by any rule is denied to everyone the rules do not allow.
type AccessRule struct {
	Commands []string `yaml:"commands"`
	// Templates limits /new-service templates the same way.
	Templates []string `yaml:"templates"`
	// Users are platform ids ("slack:U024BE7LH", "discord:80351110224678912")
	// or catalog users ("user:default/jane.doe").
	Users []string `yaml:"users"`
	// Groups are catalog groups; members of the group and of its child
	// groups are allowed.
	Groups []string `yaml:"groups"`
	// Channels are platform channel ids ("slack:C0123", "discord:1234").
	Channels []string `yaml:"channels"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Duration is a time.Duration written as "5m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a positive duration such as 30s, 5m or 1h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Secret is a credential. It prints as REDACTED in logs, %v and JSON.
type Secret string

func (s Secret) String() string               { return redacted(s) }
func (s Secret) GoString() string             { return redacted(s) }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted(s)) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted(s)), nil }

// Reveal returns the secret itself, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

func redacted(s Secret) string {
	if s == "" {
		return ""
	}
	return "REDACTED"
}

// Default returns the configuration used without a file: the bundled
// example organisation and a store under ./var.
func Default() Config {
	return Config{
		Catalog: Catalog{Sources: []string{"examples/org/catalog-info.yaml"}, Refresh: Duration(5 * time.Minute)},
		Storage: Storage{Path: "var/callboard.db"},
		HTTP:    HTTP{Addr: "127.0.0.1:8080"},
		Log:     Log{Level: "info", Format: "text"},
	}
}

// Load reads the file at path (or only defaults and the environment when
// path is empty), expands ${VAR} references with getenv, reads *_file
// secrets and validates the result. Errors name the file, line and key.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		if err := decode(path, data, getenv, &cfg); err != nil {
			return Config{}, err
		}
	} else {
		fromEnv(&cfg, getenv)
	}
	if err := readSecretFiles(&cfg); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// fromEnv applies the environment variables that configure the adapters
// without a file.
func fromEnv(cfg *Config, getenv func(string) string) {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	setSecret := func(dst *Secret, key string) {
		if v := getenv(key); v != "" {
			*dst = Secret(v)
		}
	}
	setSecret(&cfg.Slack.SigningSecret, "SLACK_SIGNING_SECRET")
	setSecret(&cfg.Slack.BotToken, "SLACK_BOT_TOKEN")
	setSecret(&cfg.Slack.AppToken, "SLACK_APP_TOKEN")
	set(&cfg.Slack.APIURL, "SLACK_API_URL")
	set(&cfg.Discord.PublicKey, "DISCORD_PUBLIC_KEY")
	setSecret(&cfg.Discord.BotToken, "DISCORD_BOT_TOKEN")
	set(&cfg.Discord.AppID, "DISCORD_APP_ID")
	set(&cfg.Discord.GuildID, "DISCORD_GUILD_ID")
	set(&cfg.Discord.APIURL, "DISCORD_API_URL")
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

var secretKeys = map[string]bool{"signing_secret": true, "bot_token": true, "app_token": true}

func decode(path string, data []byte, getenv func(string) string, cfg *Config) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil
	}
	var errs []string
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], n.Content[i].Value)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, key)
			}
		case yaml.ScalarNode:
			if secretKeys[key] && n.Value != "" && !envRef.MatchString(n.Value) {
				errs = append(errs, fmt.Sprintf("%s:%d: %s must not be written in the file: use ${ENV_VAR} or %s_file", path, n.Line, key, key))
				return
			}
			var missing []string
			n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
				name := envRef.FindStringSubmatch(m)[1]
				v := getenv(name)
				if v == "" {
					missing = append(missing, name)
				}
				return v
			})
			if len(missing) > 0 {
				errs = append(errs, fmt.Sprintf("%s:%d: %s refers to ${%s}, which is not set in the environment", path, n.Line, key, missing[0]))
			}
		}
	}
	walk(root.Content[0], "")
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	if err := strictKeys(path, root.Content[0]); err != nil {
		return err
	}
	// Decode the expanded node tree; it keeps the original file's lines.
	if err := root.Content[0].Decode(cfg); err != nil {
		return errors.New(rewriteYAMLError(path, err))
	}
	return nil
}

var lineRE = regexp.MustCompile(`line (\d+): `)

func rewriteYAMLError(path string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if m := lineRE.FindStringSubmatch(l); m != nil {
			l = path + ":" + m[1] + ": " + lineRE.ReplaceAllString(l, "")
		} else {
			l = path + ": " + l
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// strictKeys reports keys the Config does not have, with their lines; the
// yaml package only does this when decoding from bytes.
func strictKeys(path string, n *yaml.Node) error {
	known := map[string][]string{
		"":        {"catalog", "storage", "http", "slack", "discord", "access", "log"},
		"catalog": {"sources", "refresh"},
		"storage": {"path"},
		"http":    {"addr"},
		"slack":   {"signing_secret", "signing_secret_file", "bot_token", "bot_token_file", "app_token", "app_token_file", "api_url"},
		"discord": {"public_key", "bot_token", "bot_token_file", "app_id", "guild_id", "api_url"},
		"access":  {"rules"},
		"rule":    {"commands", "templates", "users", "groups", "channels"},
		"log":     {"level", "format"},
	}
	var errs []string
	var check func(n *yaml.Node, section string)
	check = func(n *yaml.Node, section string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !contains(known[section], k.Value) {
				where := section
				if where == "" {
					where = "the top level"
				}
				errs = append(errs, fmt.Sprintf("%s:%d: unknown key %q in %s; valid keys: %s", path, k.Line, k.Value, where, strings.Join(known[section], ", ")))
				continue
			}
			v := n.Content[i+1]
			switch {
			case section == "":
				check(v, k.Value)
			case section == "access" && k.Value == "rules" && v.Kind == yaml.SequenceNode:
				for _, r := range v.Content {
					check(r, "rule")
				}
			}
		}
	}
	check(n, "")
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func readSecretFiles(cfg *Config) error {
	read := func(dst *Secret, file, key string) error {
		if file == "" {
			return nil
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		*dst = Secret(strings.TrimSpace(string(data)))
		return nil
	}
	for _, r := range []struct {
		dst  *Secret
		file string
		key  string
	}{
		{&cfg.Slack.SigningSecret, cfg.Slack.SigningSecretFile, "slack.signing_secret_file"},
		{&cfg.Slack.BotToken, cfg.Slack.BotTokenFile, "slack.bot_token_file"},
		{&cfg.Slack.AppToken, cfg.Slack.AppTokenFile, "slack.app_token_file"},
		{&cfg.Discord.BotToken, cfg.Discord.BotTokenFile, "discord.bot_token_file"},
	} {
		if err := read(r.dst, r.file, r.key); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks values that decode but make no sense.
func (c Config) Validate() error {
	var errs []string
	if len(c.Catalog.Sources) == 0 {
		errs = append(errs, "catalog.sources: name at least one folder, Location file or glob")
	}
	if c.Storage.Path == "" {
		errs = append(errs, "storage.path: name the bbolt file, e.g. var/callboard.db")
	}
	if _, port, err := net.SplitHostPort(c.HTTP.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Sprintf("http.addr: %q is not HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", c.HTTP.Addr))
	} else if _, err := strconv.Atoi(port); err != nil {
		errs = append(errs, fmt.Sprintf("http.addr: port %q is not a number", port))
	}
	if c.Slack.AppToken != "" && !strings.HasPrefix(c.Slack.AppToken.Reveal(), "xapp-") {
		errs = append(errs, "slack.app_token: an app-level token starts with xapp-")
	}
	for _, u := range []struct{ key, value, example string }{
		{"slack.api_url", c.Slack.APIURL, "https://slack.com/api/"},
		{"discord.api_url", c.Discord.APIURL, "http://127.0.0.1:9000/ (it replaces https://discord.com)"},
	} {
		if u.value == "" {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Sprintf("%s: %q is not an http(s) URL, e.g. %s", u.key, u.value, u.example))
		}
	}
	if c.Discord.PublicKey != "" && len(c.Discord.PublicKey) != 64 {
		errs = append(errs, "discord.public_key: the application's public key is 64 hex characters")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("log.level: %q is not one of debug, info, warn, error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Sprintf("log.format: %q is not text or json", c.Log.Format))
	}
	for i, r := range c.Access.Rules {
		if len(r.Commands) == 0 && len(r.Templates) == 0 {
			errs = append(errs, fmt.Sprintf("access.rules[%d]: name the commands or templates it limits", i))
		}
		for _, u := range r.Users {
			if !strings.HasPrefix(u, "slack:") && !strings.HasPrefix(u, "discord:") && !strings.HasPrefix(u, "shell:") && !strings.HasPrefix(strings.ToLower(u), "user:") {
				errs = append(errs, fmt.Sprintf("access.rules[%d].users: %q must be slack:ID, discord:ID or a catalog ref user:NAME", i, u))
			}
		}
		for _, ch := range r.Channels {
			if !strings.HasPrefix(ch, "slack:") && !strings.HasPrefix(ch, "discord:") && !strings.HasPrefix(ch, "shell:") {
				errs = append(errs, fmt.Sprintf("access.rules[%d].channels: %q must be slack:ID or discord:ID", i, ch))
			}
		}
	}
	if len(errs) > 0 {
		return errors.New("invalid configuration:\n  " + strings.Join(errs, "\n  "))
	}
	return nil
}
