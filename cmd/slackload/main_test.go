package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeNames(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "names.txt")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun_AgainstMinimalServer(t *testing.T) {
	names := writeNames(t, "# comment", "payments-api\tledger-sre-6", "checkout-web\tcheckout-team", "", "search-api")
	list, err := readNames(names)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(minimalHandler([]byte("s3cret"), list))
	defer srv.Close()

	tests := []struct {
		name       string
		secret     string
		code       int
		wantErrors int64
	}{
		{"signed", "s3cret", 0, 0},
		{"wrong secret", "other", 1, 40},
	}
	for _, client := range []string{"raw", "http"} {
		for _, tt := range tests {
			t.Run(client+"/"+tt.name, func(t *testing.T) {
				getenv := func(k string) string {
					if k == "LOAD_SECRET" {
						return tt.secret
					}
					return ""
				}
				var out, errOut bytes.Buffer
				args := []string{"-client", client, "-url", srv.URL + "/slack/commands", "-secret-env", "LOAD_SECRET", "-names", names, "-c", "4", "-n", "40", "-warmup", "0", "-duration", "20s"}
				if code := run(args, getenv, &out, &errOut); code != tt.code {
					t.Fatalf("run = %d, want %d; stderr: %s", code, tt.code, errOut.String())
				}
				var res Result
				if err := json.Unmarshal(out.Bytes(), &res); err != nil {
					t.Fatalf("output %q: %v", out.String(), err)
				}
				if res.Requests != 40 || res.Errors != tt.wantErrors || res.Concurrency != 4 {
					t.Errorf("result = %+v, want 40 requests, %d errors at concurrency 4", res, tt.wantErrors)
				}
				if res.RPS <= 0 || res.P50 > res.P99 || res.P99 > res.Max {
					t.Errorf("figures out of order: %+v", res)
				}
			})
		}
	}
}

// TestRawClient_ResponseFraming sends with the raw client to servers that
// answer with a length, chunked, and closing the connection after each
// answer, and to one that answers without the expected text.
func TestRawClient_ResponseFraming(t *testing.T) {
	const answer = `{"text":"payments-api is owned by ledger-sre-6"}`
	handlers := map[string]http.HandlerFunc{
		"length": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, answer) },
		"chunked": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, answer[:10])
			w.(http.Flusher).Flush()
			io.WriteString(w, answer[10:])
		},
		"close": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			io.WriteString(w, answer)
		},
	}
	for name, h := range handlers {
		srv := httptest.NewServer(h)
		u, _ := url.Parse(srv.URL + "/slack/commands")
		s := newRawSender(u, []byte("s3cret"), 5*time.Second)
		for i := range 3 {
			if err := s.send(request{body: []byte("text=payments-api"), want: []byte("ledger-sre-6")}); err != nil {
				t.Errorf("%s, request %d: %v", name, i, err)
			}
		}
		if err := s.send(request{body: []byte("text=payments-api"), want: []byte("checkout-team")}); err == nil || !strings.Contains(err.Error(), "lacks") {
			t.Errorf("%s: answer without the expected text: error %v", name, err)
		}
		s.close()
		srv.Close()
	}
}

func TestRun_RefusesNonLoopback(t *testing.T) {
	names := writeNames(t, "payments-api")
	getenv := func(string) string { return "s3cret" }
	for _, u := range []string{"http://192.0.2.1:8080/slack/commands", "http://example.com/slack/commands"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"-url", u, "-names", names}, getenv, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "loopback") {
			t.Errorf("run(-url %s) = %d, %q; want 2 and a loopback error", u, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-serve-minimal", "0.0.0.0:0", "-names", names}, getenv, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "loopback") {
		t.Errorf("run(-serve-minimal 0.0.0.0:0) = %d, %q; want 1 and a loopback error", code, errOut.String())
	}
}

func TestQuantile(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := quantile(lat, tt.q); got != tt.want {
			t.Errorf("quantile(1..100ms, %v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
