package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/callboard/callboard"

// TestDependencyRules keeps the package dependency table of
// docs/architecture.md true: domain packages know no SDK, adapters know one
// domain package, only cmd knows the config.
func TestDependencyRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	sdks := []string{"github.com/slack-go/", "github.com/bwmarrin/discordgo", "github.com/google/go-github", "go.etcd.io/bbolt", "github.com/prometheus/", "github.com/robfig/cron"}
	rules := []struct {
		pkg       string
		forbidden []string // prefixes, project-relative when they start with "/"
	}{
		{"/catalog", append([]string{"/bot", "/scaffold", "/notifier", "/config", "/cmd", "/catalog/"}, sdks...)},
		{"/catalog/techdocs", append([]string{"/bot", "/config", "/catalog/boltstore"}, sdks...)},
		{"/bot", append([]string{"/catalog", "/scaffold", "/notifier", "/config", "/bot/"}, sdks...)},
		{"/bot/commands", append([]string{"/config", "/bot/slack", "/bot/discord", "/bot/shell", "/catalog/boltstore"}, sdks...)},
		{"/bot/shell", append([]string{"/catalog", "/config", "/bot/slack", "/bot/discord", "/bot/commands"}, sdks...)},
		{"/bot/slack", []string{"/catalog", "/config", "/bot/discord", "/bot/shell", "/bot/commands", "github.com/bwmarrin/discordgo"}},
		{"/bot/discord", []string{"/catalog", "/config", "/bot/slack", "/bot/shell", "/bot/commands", "github.com/slack-go/"}},
		{"/catalog/boltstore", []string{"/bot", "/config", "/scaffold", "/notifier", "github.com/slack-go/", "github.com/bwmarrin/discordgo"}},
		{"/config", []string{"/catalog", "/bot", "/scaffold", "/notifier", "/cmd"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", module+r.pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "cannot find package") || strings.Contains(string(out), "no Go files") {
				continue // a package not written yet has no rules to break
			}
			t.Fatalf("go list -deps %s: %v\n%s", r.pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range r.forbidden {
				prefix := f
				if strings.HasPrefix(f, "/") {
					prefix = module + f
				}
				if dep != module+r.pkg && strings.HasPrefix(dep, prefix) && (strings.HasSuffix(prefix, "/") || dep == prefix || strings.HasPrefix(dep, prefix+"/")) {
					t.Errorf("%s imports %s, which the architecture forbids", r.pkg, dep)
				}
			}
		}
	}
}
