package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// serveMinimal serves the baseline: POST /slack/commands verifies the
// signature as Slack documents it, looks the command's text up in a map of
// owners and answers a small ephemeral JSON message. It stops when ctx is
// done.
func serveMinimal(ctx context.Context, addr string, secret []byte, names []name, stdout io.Writer) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-serve-minimal %s: %w", addr, err)
	}
	if err := checkLoopback(host); err != nil {
		return fmt.Errorf("-serve-minimal: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: minimalHandler(secret, names), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Minimal server is listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// minimalHandler serves GET /readyz and POST /slack/commands.
func minimalHandler(secret []byte, names []name) http.Handler {
	owners := make(map[string]string, len(names))
	for _, n := range names {
		owners[n.text] = n.want
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok: %d names\n", len(owners))
	})
	mux.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if !validSignature(secret, r.Header, body, time.Now()) {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("command") != "/whoowns" {
			http.Error(w, "not a slash command", http.StatusBadRequest)
			return
		}
		text := form.Get("text")
		answer := text + " is owned by nobody we know."
		if owner, ok := owners[text]; ok {
			answer = text + " is owned by " + owner + "."
		}
		b, _ := json.Marshal(struct {
			ResponseType string `json:"response_type"`
			Text         string `json:"text"`
		}{"ephemeral", answer})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	return mux
}

// validSignature reports whether body carries a valid Slack signature made
// within five minutes of now.
func validSignature(secret []byte, h http.Header, body []byte, now time.Time) bool {
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	if skew := now.Unix() - sec; skew > 300 || skew < -300 {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	io.WriteString(mac, "v0:"+ts+":")
	mac.Write(body)
	want := make([]byte, 3+2*sha256.Size)
	copy(want, "v0=")
	hex.Encode(want[3:], mac.Sum(nil))
	return hmac.Equal([]byte(sig), want)
}
