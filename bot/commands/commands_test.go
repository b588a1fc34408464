package commands

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/techdocs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadCatalog syncs a catalog from a root, failing on any error problem.
func loadCatalog(t *testing.T, root string) *catalog.Catalog {
	t.Helper()
	c := catalog.NewCatalog()
	s := catalog.NewSyncer(&catalog.Loader{Roots: []string{root}}, c, catalog.SyncerOptions{})
	rep, err := s.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors > 0 {
		t.Fatalf("catalog %s has %d errors: %v", root, rep.Errors, c.Index().Problems())
	}
	return c
}

func newRouter(c *catalog.Catalog) *bot.Router {
	r := bot.NewRouter(bot.RouterOptions{Identifier: NewIdentity(c)})
	Register(r, c, techdocs.Open)
	return r
}

type golden struct {
	Input  string    `json:"input"`
	Status string    `json:"status"`
	Reply  bot.Reply `json:"reply"`
}

func checkGolden(t *testing.T, name string, got golden) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(b) {
		t.Errorf("reply for %q differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", got.Input, path, b, want)
	}
}

func TestCommands_Golden(t *testing.T) {
	example := newRouter(loadCatalog(t, "../../examples/org/catalog-info.yaml"))
	edge := newRouter(loadCatalog(t, "testdata/org"))
	tests := []struct {
		name     string
		router   *bot.Router
		platform string
		user     bot.User
		text     string
		mention  bool
		status   bot.Status
	}{
		{"whoowns-component-slack", example, "slack", bot.User{ID: "U04PSHARMA1"}, "/whoowns payments-api", false, bot.Answered},
		{"whoowns-component-discord", example, "discord", bot.User{ID: "1"}, "/whoowns payments-api", false, bot.Answered},
		{"whoowns-mention", example, "slack", bot.User{ID: "U1"}, "who owns checkout-web?", true, bot.Answered},
		{"whoowns-group", example, "slack", bot.User{ID: "U1"}, "/whoowns group:payments-platform", false, bot.Answered},
		{"whoowns-user", example, "slack", bot.User{ID: "U1"}, "/whoowns user:jane.doe", false, bot.Answered},
		{"whoowns-user-owned-component", example, "slack", bot.User{ID: "U1"}, "/whoowns go-service-kit", false, bot.Answered},
		{"whoowns-did-you-mean", example, "slack", bot.User{ID: "U1"}, "/whoowns paymnts-api", false, bot.Failed},
		{"whoowns-unknown", example, "slack", bot.User{ID: "U1"}, "/whoowns zzqx-nothing", false, bot.Failed},
		{"whoowns-shared", example, "slack", bot.User{ID: "U1"}, "/whoowns component:payments-api", false, bot.Answered},
		{"whoowns-ambiguous", edge, "slack", bot.User{ID: "U1"}, "/whoowns billing", false, bot.Answered},
		{"whoowns-component-and-api-same-owner", edge, "slack", bot.User{ID: "U1"}, "/whoowns default/ledger", false, bot.Answered},
		{"whoowns-namespaced", edge, "slack", bot.User{ID: "U1"}, "/whoowns component:finance/ledger", false, bot.Answered},
		{"whoowns-missing-owner", edge, "slack", bot.User{ID: "U1"}, "/whoowns orphaned-job", false, bot.Answered},
		{"catalog-search", example, "slack", bot.User{ID: "U1"}, "/catalog search payment", false, bot.Answered},
		{"catalog-search-page-2", example, "slack", bot.User{ID: "U1"}, "/catalog search payment --page 2", false, bot.Answered},
		{"catalog-search-nothing", example, "slack", bot.User{ID: "U1"}, "/catalog search qqqzzz", false, bot.Failed},
		{"catalog-show", example, "slack", bot.User{ID: "U1"}, "/catalog show component:payments-api", false, bot.Answered},
		{"catalog-owned-by", example, "slack", bot.User{ID: "U1"}, "/catalog owned-by payments-platform", false, bot.Answered},
		{"catalog-deps", example, "slack", bot.User{ID: "U1"}, "what does payments-api depend on?", true, bot.Answered},
		{"catalog-bad-subcommand", example, "slack", bot.User{ID: "U1"}, "/catalog list", false, bot.Usage},
		{"docs-index", example, "slack", bot.User{ID: "U1"}, "/docs payments-api", false, bot.Answered},
		{"docs-query", example, "slack", bot.User{ID: "U1"}, "/docs payments-api rollback", false, bot.Answered},
		{"docs-mention", example, "slack", bot.User{ID: "U1"}, "docs for ledger-service about scaling", true, bot.Answered},
		{"new-service-list", example, "slack", bot.User{ID: "U1"}, "/new-service", false, bot.Answered},
		{"new-service-form", example, "slack", bot.User{ID: "U1"}, "/new-service go-grpc", false, bot.Answered},
		{"new-service-invalid", example, "slack", bot.User{ID: "U1"}, "/new-service go-grpc name=Bad_Name", false, bot.Failed},
		{"new-service-valid", example, "slack", bot.User{ID: "U1"}, "/new-service go-grpc name=orders-api description=Orders owner=group:payments-team repoUrl=github.com?owner=acme&repo=orders-api", false, bot.Answered},
		{"new-service-unknown", example, "slack", bot.User{ID: "U1"}, "/new-service cobol", false, bot.Failed},
		{"help", example, "slack", bot.User{ID: "U1"}, "/help", false, bot.Answered},
		{"help-command", example, "slack", bot.User{ID: "U1"}, "/help whoowns", false, bot.Answered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := bot.Input{Platform: tt.platform, User: tt.user, Channel: bot.Channel{ID: "C1"}, Text: tt.text, Mention: tt.mention}
			if strings.HasSuffix(tt.name, "-shared") {
				in.Shared = true
			}
			o := tt.router.Handle(context.Background(), in)
			if o.Status != tt.status {
				t.Errorf("Handle(%q).Status = %v, want %v; reply %q", tt.text, o.Status, tt.status, o.Reply.Text)
			}
			checkGolden(t, tt.name, golden{Input: tt.text, Status: o.Status.String(), Reply: o.Reply})
		})
	}
}

func TestAccess_Authorize(t *testing.T) {
	c := loadCatalog(t, "../../examples/org/catalog-info.yaml")
	a := NewAccess([]AccessRule{
		{Commands: []string{"new-service"}, Groups: []string{"group:payments-platform"}},
		{Templates: []string{"python-worker"}, Users: []string{"slack:U9"}},
	}, c)
	id := NewIdentity(c)
	tests := []struct {
		name    string
		user    string
		args    []string
		command string
		allowed bool
	}{
		{"open command", "U404", []string{"payments-api"}, "whoowns", true},
		{"member of a child group", "U04JDOE0001", []string{"go-grpc"}, "new-service", true},
		{"not a member", "U404", []string{"go-grpc"}, "new-service", false},
		{"template rule names the user", "U9", []string{"python-worker"}, "new-service", true},
		{"template rule adds to the command rule", "U04JDOE0001", []string{"python-worker"}, "new-service", true},
		{"template rule denies others", "U404", []string{"python-worker"}, "new-service", false},
	}
	for _, tt := range tests {
		u := bot.User{ID: tt.user}
		req := bot.Request{Platform: "slack", User: u, Command: tt.command, Args: tt.args, CatalogUser: id.Identify(context.Background(), "slack", u)}
		err := a.Authorize(context.Background(), req)
		if (err == nil) != tt.allowed {
			t.Errorf("%s: Authorize(%s /%s %v) = %v, want allowed=%v", tt.name, tt.user, tt.command, tt.args, err, tt.allowed)
		}
	}
}
