package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

const exampleOrg = "../../examples/org/catalog-info.yaml"

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	code := run(context.Background(), args, noEnv, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func TestAsk(t *testing.T) {
	db := filepath.Join(t.TempDir(), "callboard.db")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"slash command", []string{"ask", "--catalog", exampleOrg, "--db", db, "/whoowns payments-api"}, exitOK, "Payments Team (group:payments-team)"},
		{"plain words", []string{"ask", "--catalog", exampleOrg, "--db", db, "who owns checkout-web?"}, exitOK, "Checkout"},
		{"did you mean", []string{"ask", "--catalog", exampleOrg, "--db", db, "/whoowns paymnts-api"}, exitFailed, "Did you mean payments-api?"},
		{"unknown command", []string{"ask", "--catalog", exampleOrg, "--db", db, "/whodunnit x"}, exitUsage, "don't know the command"},
		{"no question", []string{"ask", "--catalog", exampleOrg, "--db", db}, exitUsage, ""},
		{"just a slash", []string{"ask", "--catalog", exampleOrg, "--db", db, "/"}, exitUsage, ""},
		{"malformed ref", []string{"ask", "--catalog", exampleOrg, "--db", db, "/whoowns component:"}, exitUsage, "is not an entity reference"},
		{"bad flag", []string{"ask", "--nope"}, exitUsage, ""},
		{"help", []string{"ask", "--help"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code {
				t.Fatalf("run(%q) = %d, want %d\nstdout: %s\nstderr: %s", tt.args, r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.contains) {
				t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, r.stdout, tt.contains)
			}
		})
	}
}

func TestAsk_StoredSnapshotAndChangedSources(t *testing.T) {
	dir := t.TempDir()
	org := filepath.Join(dir, "org")
	writeFile(t, filepath.Join(org, "catalog-info.yaml"), component("svc-a", "team-a"))
	db := filepath.Join(dir, "cb.db")
	if r := runCLI(t, "", "ask", "--catalog", org, "--db", db, "/whoowns svc-a"); r.code != exitOK || !strings.Contains(r.stdout, "group:team-a") {
		t.Fatalf("first ask = %+v", r)
	}
	// The store now holds the snapshot; a changed source is synced before answering.
	writeFile(t, filepath.Join(org, "catalog-info.yaml"), component("svc-a", "team-b"))
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(org, "catalog-info.yaml"), future, future); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "ask", "--catalog", org, "--db", db, "/whoowns svc-a"); r.code != exitOK || !strings.Contains(r.stdout, "group:team-b") {
		t.Fatalf("ask after change = %+v", r)
	}
	// A file that breaks keeps the last good version.
	writeFile(t, filepath.Join(org, "catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc-a}\nspec: {type: service, owner: team-c}\n")
	future = future.Add(time.Minute)
	if err := os.Chtimes(filepath.Join(org, "catalog-info.yaml"), future, future); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "ask", "--catalog", org, "--db", db, "/whoowns svc-a"); r.code != exitOK || !strings.Contains(r.stdout, "group:team-b") {
		t.Fatalf("ask after breaking change = %+v", r)
	}
}

func component(name, owner string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: " + name + "}\nspec: {type: service, lifecycle: production, owner: " + owner + "}\n"
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAsk_StoreHeldByAnotherProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "held.db")
	holder, err := bbolt.Open(db, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	r := runCLI(t, "", "ask", "--catalog", exampleOrg, "--db", db, "/whoowns payments-api")
	if r.code != exitOK || !strings.Contains(r.stderr, "in use by another callboard process") {
		t.Fatalf("ask with a held store = %+v", r)
	}
}

func TestChat(t *testing.T) {
	db := filepath.Join(t.TempDir(), "callboard.db")
	r := runCLI(t, "/whoowns payments-api\n2\nwhat does payments-api depend on?\n/quit\n", "chat", "--catalog", exampleOrg, "--db", db)
	if r.code != exitOK {
		t.Fatalf("chat = %+v", r)
	}
	for _, want := range []string{"Catalog: 111 entities", "Payments Team (group:payments-team)", "Share in channel", "Depends on:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Pressing [2] (Share in channel) re-runs the command shared: no share button the second time.
	if n := strings.Count(r.stdout, "Share in channel"); n != 1 {
		t.Errorf("Share in channel shown %d times, want 1 (the shared answer has none)", n)
	}
}

func TestCatalogValidate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good", "catalog-info.yaml"), component("svc-a", "team-a"))
	bad := filepath.Join(dir, "bad")
	writeFile(t, filepath.Join(bad, "catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments_api!\nspec: {type: service, lifecycle: production, owner: team-a}\n---\n"+component("fine", "team-a"))
	writeFile(t, filepath.Join(bad, "mkdocs.yml"), "site_name: x\n")

	t.Run("example org is valid", func(t *testing.T) {
		r := runCLI(t, "", "catalog", "validate", "../../examples/org")
		if r.code != exitOK {
			t.Fatalf("validate examples/org = %+v", r)
		}
	})
	t.Run("text", func(t *testing.T) {
		r := runCLI(t, "", "catalog", "validate", bad)
		if r.code != exitFailed {
			t.Fatalf("validate = %+v", r)
		}
		want := filepath.Join(bad, "catalog-info.yaml") + `:4:9: component "payments_api!": metadata.name`
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout = %q, want it to contain %q", r.stdout, want)
		}
		if strings.Contains(r.stdout, "mkdocs.yml") {
			t.Errorf("mkdocs.yml was judged as a descriptor: %s", r.stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := runCLI(t, "", "catalog", "validate", "--format", "json", bad)
		if r.code != exitFailed {
			t.Fatalf("validate = %+v", r)
		}
		var errorsSeen int
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		for sc.Scan() {
			var p map[string]any
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
			}
			for _, k := range []string{"file", "doc", "line", "column", "severity", "kind", "name", "field", "message"} {
				if _, ok := p[k]; !ok {
					t.Errorf("JSON problem lacks %q: %s", k, sc.Text())
				}
			}
			if len(p) != 9 {
				t.Errorf("JSON problem has %d keys, want exactly 9: %s", len(p), sc.Text())
			}
			if p["severity"] == "error" {
				errorsSeen++
				if p["doc"].(float64) != 0 || p["field"] != "metadata.name" || p["line"].(float64) != 4 {
					t.Errorf("unexpected error problem %s", sc.Text())
				}
			}
		}
		if errorsSeen != 1 {
			t.Errorf("%d errors reported, want 1:\n%s", errorsSeen, r.stdout)
		}
	})
	t.Run("github", func(t *testing.T) {
		r := runCLI(t, "", "catalog", "validate", "--format", "github", bad)
		re := regexp.MustCompile(`(?m)^::error file=[^,]+catalog-info\.yaml,line=4,col=9,title=component payments_api!::`)
		if r.code != exitFailed || !re.MatchString(r.stdout) {
			t.Errorf("validate --format github = %+v", r)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if r := runCLI(t, "", "catalog", "validate"); r.code != exitUsage {
			t.Errorf("validate without paths = %d, want %d", r.code, exitUsage)
		}
		if r := runCLI(t, "", "catalog", "validate", "--format", "xml", bad); r.code != exitUsage {
			t.Errorf("validate --format xml = %d, want %d", r.code, exitUsage)
		}
	})
}

func TestCatalogLsAndShow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "callboard.db")
	r := runCLI(t, "", "catalog", "ls", "--catalog", exampleOrg, "--db", db, "--kind", "component", "--owner", "group:payments-platform")
	if r.code != exitOK || !strings.Contains(r.stdout, "component:payments-api") || strings.Contains(r.stdout, "api:payments-rest ") {
		t.Fatalf("ls = %+v", r)
	}
	r = runCLI(t, "", "catalog", "show", "--catalog", exampleOrg, "--db", db, "--format", "json", "component:payments-api")
	if r.code != exitOK {
		t.Fatalf("show = %+v", r)
	}
	var e struct {
		Kind      string
		Relations []struct{ Type, TargetRef string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rel := range e.Relations {
		found = found || rel.Type == "ownedBy" && rel.TargetRef == "group:default/payments-team"
	}
	if e.Kind != "Component" || !found {
		t.Errorf("show = %+v, want a Component owned by group:default/payments-team", e)
	}
	if r := runCLI(t, "", "catalog", "show", "--catalog", exampleOrg, "--db", db, "paymnts-api"); r.code != exitFailed || !strings.Contains(r.stderr, "did you mean payments-api") {
		t.Errorf("show of a misspelling = %+v", r)
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "callboard.yaml")
	writeFile(t, cfg, "http:\n  addr: 127.0.0.1:8080\n  port: 9\nslack:\n  signing_secret: plaintext\n")
	r := runCLI(t, "", "ask", "--config", cfg, "/help")
	if r.code != exitFailed || !strings.Contains(r.stderr, cfg+":5: signing_secret must not be written in the file") {
		t.Fatalf("ask with bad config = %+v", r)
	}
	writeFile(t, cfg, "access:\n  rules:\n    - commands: [whoown]\n      users: [slack:U1]\n")
	if r := runCLI(t, "", "ask", "--config", cfg, "--db", filepath.Join(t.TempDir(), "cb.db"), "/help"); r.code != exitFailed || !strings.Contains(r.stderr, `there is no command "whoown"`) {
		t.Fatalf("ask with a misspelt command in an access rule = %+v", r)
	}
	if r := runCLI(t, "", "ask", "/whoowns payments-api", "--db", "x.db"); r.code != exitUsage {
		t.Errorf("ask with a flag after the question = %+v, want usage error", r)
	}
	writeFile(t, cfg, "http:\n  addr: 127.0.0.1:8080\n  port: 9\n")
	r = runCLI(t, "", "ask", "--config", cfg, "/help")
	if r.code != exitFailed || !strings.Contains(r.stderr, cfg+`:3: unknown key "port" in http`) {
		t.Fatalf("ask with unknown key = %+v", r)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := filepath.Join(t.TempDir(), "callboard.db")
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--catalog", exampleOrg, "--db", db, "--addr", "127.0.0.1:0", "--chat", "off"}, noEnv, strings.NewReader(""), &out, &errOut)
	}()
	addrRE := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not report its address; stdout %q stderr %q", out.String(), errOut.String())
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	var ready string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if code, body := get("/readyz"); code == http.StatusOK {
			ready = body
			break
		}
	}
	if !strings.Contains(ready, "111 entities") {
		t.Errorf("/readyz = %q, want 111 entities", ready)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "callboard_catalog_entities 111") {
		t.Errorf("/metrics lacks the catalog size:\n%s", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d; stderr %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestUsage(t *testing.T) {
	if r := runCLI(t, ""); r.code != exitUsage {
		t.Errorf("no arguments = %d, want %d", r.code, exitUsage)
	}
	if r := runCLI(t, "", "frobnicate"); r.code != exitUsage {
		t.Errorf("unknown command = %d, want %d", r.code, exitUsage)
	}
	for _, sub := range []string{"serve", "chat", "ask", "catalog"} {
		if r := runCLI(t, "", sub, "--help"); r.code != exitOK {
			t.Errorf("%s --help = %d, want 0", sub, r.code)
		}
	}
}

// TestServe_ChatOnNewStore is `make run` on a fresh machine: the chat prompt
// must answer from the catalog even though the store starts empty.
func TestServe_ChatOnNewStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "callboard.db")
	r := runCLI(t, "/whoowns payments-api\n/quit\n", "serve", "--catalog", exampleOrg, "--db", db, "--addr", "127.0.0.1:0", "--chat", "on")
	if r.code != exitOK {
		t.Fatalf("serve = %+v", r)
	}
	for _, want := range []string{"listening on http://127.0.0.1:", "Catalog: 111 entities", "Payments Team (group:payments-team)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "level=INFO") {
		t.Errorf("info logs interleave with the chat prompt:\n%s", r.stderr)
	}
}
