package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startServe runs `callboard serve` on a free port with the given
// environment and returns its base URL; the server stops with the test.
func startServe(t *testing.T, getenv func(string) string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db := filepath.Join(t.TempDir(), "callboard.db")
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--catalog", exampleOrg, "--db", db, "--addr", "127.0.0.1:0", "--chat", "off"}, getenv, strings.NewReader(""), &out, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("serve exited %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base := m[1]
			for time.Now().Before(deadline) {
				if resp, err := http.Get(base + "/readyz"); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						return base
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	t.Fatalf("serve did not become ready; stdout %q stderr %q", out.String(), errOut.String())
	return ""
}

func TestServe_DiscordInteraction(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, func(k string) string {
		if k == "DISCORD_PUBLIC_KEY" {
			return hex.EncodeToString(pub)
		}
		return ""
	})
	post := func(body string, key ed25519.PrivateKey) (int, string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig := ed25519.Sign(key, []byte(ts+body))
		req, _ := http.NewRequest(http.MethodPost, base+"/discord/interactions", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
		req.Header.Set("X-Signature-Timestamp", ts)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"type":1,"id":"1","application_id":"2","token":"t"}`, priv); code != http.StatusOK || !strings.Contains(body, `"type":1`) {
		t.Fatalf("PING = %d %s", code, body)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if code, _ := post(`{"type":1}`, other); code != http.StatusUnauthorized {
		t.Errorf("PING signed with another key = %d, want 401", code)
	}
	interaction := `{"type":2,"id":"10","application_id":"2","token":"tok","channel_id":"c1","guild_id":"g1",
		"member":{"user":{"id":"1190000000000000103","username":"jane"}},
		"data":{"id":"99","name":"whoowns","type":1,"options":[{"name":"name","type":3,"value":"payments-api"}]}}`
	code, body := post(interaction, priv)
	if code != http.StatusOK {
		t.Fatalf("/whoowns interaction = %d %s", code, body)
	}
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Embeds []struct {
				Title       string
				Description string
				Fields      []struct{ Name, Value string }
			} `json:"embeds"`
			AllowedMentions struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if resp.Type != 4 || len(resp.Data.Embeds) == 0 || resp.Data.Embeds[0].Title != "Payments API (component)" {
		t.Fatalf("answer = %s", body)
	}
	text := strings.ReplaceAll(fmtJSON(resp.Data.Embeds), `\`, "")
	if !strings.Contains(text, "Payments Team (group:payments-team)") || !strings.Contains(text, "<@1190000000000000103>") || !strings.Contains(text, "<#1180000000000000003>") {
		t.Errorf("answer lacks the owner or the members' Discord ids: %s", body)
	}
	if resp.Data.AllowedMentions.Parse == nil || len(resp.Data.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions.parse = %v, want [] so nobody is pinged", resp.Data.AllowedMentions.Parse)
	}
	resp2, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if !strings.Contains(string(m), `callboard_webhook_rejected_total{platform="discord",reason="signature"} 1`) ||
		!strings.Contains(string(m), `callboard_commands_total{command="whoowns",platform="discord",status="answered"} 1`) {
		t.Errorf("/metrics does not count the rejected and the answered interaction:\n%s", m)
	}
}

func fmtJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}
