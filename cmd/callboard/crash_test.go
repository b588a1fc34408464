package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	slackbot "github.com/callboard/callboard/bot/slack"
)

// TestMain lets a test run this binary as callboard itself: with
// CALLBOARD_TEST_AS_MAIN=1 in its environment, the test binary is
// `callboard` with the arguments after its name. The crash tests kill such
// a process outright, which no in-process test can do.
func TestMain(m *testing.M) {
	if os.Getenv("CALLBOARD_TEST_AS_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

const (
	crashSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	crashBotUser = "UCRASHBOT1"
)

// crashSlack is an httptest Slack Web API that records chat posts and can
// hang one method: a hung call keeps the process busy where the test
// kills it.
type crashSlack struct {
	srv *httptest.Server

	mu    sync.Mutex
	posts []url.Values // chat.postMessage and chat.postEphemeral, with "method"
	hang  string       // method to hang until the caller goes away
	hung  chan struct{}
}

func newCrashSlack(t *testing.T) *crashSlack {
	f := &crashSlack{hung: make(chan struct{}, 8)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *crashSlack) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	_ = r.ParseForm()
	f.mu.Lock()
	hang := f.hang == method
	if !hang && strings.HasPrefix(method, "chat.post") {
		v := url.Values{"method": {method}}
		for k := range r.PostForm {
			v.Set(k, r.PostForm.Get(k))
		}
		f.posts = append(f.posts, v)
	}
	f.mu.Unlock()
	if hang {
		f.hung <- struct{}{}
		<-r.Context().Done() // the process was killed
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "users.info":
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"jdoe","profile":{"email":"jdoe@example.com"}}}`, r.PostForm.Get("user"))
	case "auth.test":
		fmt.Fprintf(w, `{"ok":true,"user_id":%q}`, crashBotUser)
	default:
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000%d"}`, r.PostForm.Get("channel"), time.Now().UnixNano()%1000)
	}
}

func (f *crashSlack) setHang(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang = method
}

func (f *crashSlack) postsSoFar() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.posts...)
}

// serveProcess is `callboard serve` running as a child process.
type serveProcess struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
}

func startServeProcess(t *testing.T, db string, slack *crashSlack) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--catalog", exampleOrg, "--db", db, "--addr", "127.0.0.1:0", "--chat", "off")
	cmd.Env = append(os.Environ(), "CALLBOARD_TEST_AS_MAIN=1",
		"SLACK_SIGNING_SECRET="+crashSecret, "SLACK_BOT_TOKEN=xoxb-crash-test", "SLACK_API_URL="+slack.srv.URL+"/api/")
	p := &serveProcess{cmd: cmd, logs: &syncBuffer{}}
	cmd.Stderr = p.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p.base = <-addr:
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not start; its log:\n%s", p.logs.String())
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
	}
	t.Fatalf("serve did not become ready; its log:\n%s", p.logs.String())
	return nil
}

// mention sends a signed app_mention event and wants it acknowledged.
func (p *serveProcess) mention(t *testing.T, eventID, text string) {
	t.Helper()
	body := fmt.Sprintf(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1700000000,
		"authorizations":[{"team_id":"T1","user_id":%q,"is_bot":true}],
		"event":{"type":"app_mention","user":"U04JDOE0001","text":%q,"ts":"1700000000.000100","channel":"C0CRASH01","event_ts":"1700000000.000100"}}`,
		eventID, crashBotUser, "<@"+crashBotUser+"> "+text)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, p.base+"/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign(crashSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event acknowledged with %d, want 200", resp.StatusCode)
	}
}

// kill stops the process with SIGKILL: no shutdown, nothing flushed.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// stop stops the process as a service manager does, and wants it to exit
// cleanly.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("serve exited with %v; its log:\n%s", err, p.logs.String())
	}
}

func waitForPost(t *testing.T, slack *crashSlack, want func(url.Values) bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, p := range slack.postsSoFar() {
			if want(p) {
				return
			}
		}
	}
	t.Fatalf("no post %s; posts: %v", what, slack.postsSoFar())
}

// inboxLeft opens the store after the process has exited and returns the
// ids its Slack inbox still holds.
func inboxLeft(t *testing.T, db string) []string {
	t.Helper()
	h, err := bbolt.Open(db, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var ids []string
	err = h.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("bot.inbox.slack"))
		if b == nil {
			return fmt.Errorf("no bot.inbox.slack bucket")
		}
		return b.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func isAnswer(p url.Values) bool {
	// /whoowns answers only the asker (chat.postEphemeral).
	return p.Get("method") == "chat.postEphemeral" && p.Get("channel") == "C0CRASH01" && p.Get("user") == "U04JDOE0001" &&
		strings.Contains(p.Get("text"), "Payments Team")
}

// A process killed while working on a mention it had acknowledged answers
// it, once, when it starts again.
func TestCrash_KilledWhileWorkingAnswersAfterRestart(t *testing.T) {
	slack := newCrashSlack(t)
	db := filepath.Join(t.TempDir(), "callboard.db")

	first := startServeProcess(t, db, slack)
	slack.setHang("users.info") // the work has started and waits on Slack
	first.mention(t, "EvCrashWork", "whoowns payments-api")
	select {
	case <-slack.hung:
	case <-time.After(15 * time.Second):
		t.Fatalf("the mention's work never reached users.info; log:\n%s", first.logs.String())
	}
	first.kill(t)
	if posts := slack.postsSoFar(); len(posts) != 0 {
		t.Fatalf("posted before the crash: %v", posts)
	}

	slack.setHang("")
	second := startServeProcess(t, db, slack)
	waitForPost(t, slack, isAnswer, "answering the mention after the restart")
	second.stop(t)

	answers := 0
	for _, p := range slack.postsSoFar() {
		if isAnswer(p) {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("the mention was answered %d times, want 1: %v", answers, slack.postsSoFar())
	}
	if left := inboxLeft(t, db); len(left) != 0 {
		t.Errorf("after the answer, the inbox still holds %v", left)
	}
}

// A process killed while posting an answer does not post it again after a
// restart (it may have arrived); the user is told to ask again if not.
func TestCrash_KilledWhilePostingDoesNotPostTwice(t *testing.T) {
	slack := newCrashSlack(t)
	db := filepath.Join(t.TempDir(), "callboard.db")

	first := startServeProcess(t, db, slack)
	slack.setHang("chat.postEphemeral")
	first.mention(t, "EvCrashPost", "whoowns payments-api")
	select {
	case <-slack.hung:
	case <-time.After(15 * time.Second):
		t.Fatalf("the answer was never posted; log:\n%s", first.logs.String())
	}
	first.kill(t)

	slack.setHang("")
	second := startServeProcess(t, db, slack)
	waitForPost(t, slack, func(p url.Values) bool {
		return p.Get("method") == "chat.postEphemeral" && p.Get("user") == "U04JDOE0001" &&
			strings.Contains(p.Get("text"), `restarted while it was sending its answer to "whoowns payments-api"`)
	}, "telling the user the answer may be above")
	second.stop(t)

	for _, p := range slack.postsSoFar() {
		if isAnswer(p) {
			t.Errorf("the answer was posted again after the restart: %v", p)
		}
	}
	if left := inboxLeft(t, db); len(left) != 0 {
		t.Errorf("after the notice, the inbox still holds %v", left)
	}
}
