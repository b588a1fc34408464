package main

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	slackbot "github.com/callboard/callboard/bot/slack"
)

func TestServe_SlackSlashCommand(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	base := startServe(t, func(k string) string {
		if k == "SLACK_SIGNING_SECRET" {
			return secret
		}
		return ""
	})
	form := url.Values{
		"command": {"/whoowns"}, "text": {"payments-api"}, "user_id": {"U04JDOE0001"}, "channel_id": {"C1"},
		"team_id": {"T1"}, "response_url": {"http://127.0.0.1:1/unused"}, "trigger_id": {"1.2.3"},
	}.Encode()
	post := func(body, sig, ts string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	if code, _ := post(form, slackbot.Sign("wrong-secret", ts, []byte(form)), ts); code != http.StatusUnauthorized {
		t.Errorf("wrongly signed command = %d, want 401", code)
	}
	old := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	if code, _ := post(form, slackbot.Sign(secret, old, []byte(form)), old); code != http.StatusUnauthorized {
		t.Errorf("stale command = %d, want 401", code)
	}
	code, body := post(form, slackbot.Sign(secret, ts, []byte(form)), ts)
	if code != http.StatusOK || !strings.Contains(body, "Payments Team (group:payments-team)") || !strings.Contains(body, `"blocks"`) {
		t.Fatalf("signed /whoowns = %d %s", code, body)
	}
	body = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(body)
	if !strings.Contains(body, "<@U04JDOE0001>") || !strings.Contains(body, "<#C04PAYMENTS1>") {
		t.Errorf("answer lacks Slack member or channel mentions: %s", body)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), `callboard_webhook_rejected_total{platform="slack",reason=`) {
		t.Errorf("/metrics does not count rejected Slack requests:\n%s", m)
	}
}
