package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/bot/boltstore"
)

// restartEnv is a second adapter on env's bbolt file, as the process that
// starts after a crash sees it: the first adapter's entries are in the
// inbox, and nothing of its memory is.
func restartEnv(t *testing.T, env *testEnv, r Router) *testEnv {
	t.Helper()
	dedup, err := boltstore.NewDedup(env.db, 0)
	if err != nil {
		t.Fatal(err)
	}
	after := newTestEnv(t, r, func(o *Options) {
		o.Dedup = dedup
		o.Inbox = env.inbox
		o.Now = env.clock.Now
	})
	after.db, after.inbox = env.db, env.inbox
	return after
}

// crashedWith records j in env's inbox as the acknowledgement of its input
// does, and leaves it there: the process died before answering.
func crashedWith(t *testing.T, env *testEnv, j job) {
	t.Helper()
	if env.a.record(context.Background(), j) == nil {
		t.Fatalf("input %s not recorded", j.id)
	}
}

func resume(t *testing.T, env *testEnv) {
	t.Helper()
	if err := env.a.Resume(context.Background()); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	env.settle(t)
}

func mentionJob(eventID, text string) job {
	return job{id: "event:" + eventID, Mention: &storedMessage{
		EventID: eventID, Self: testBotUser, Channel: "C0LAN2Q65", User: "U061F7AUR",
		Text: "<@" + testBotUser + "> " + text, TS: "1515449522.000016", Addressed: true,
	}}
}

func TestInbox_AnsweredInputsAreForgotten(t *testing.T) {
	release := make(chan struct{})
	h := &recorder{reply: func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		if req.Arg(0) == "slow-api" {
			<-release
		}
		return bot.Reply{Text: req.Arg(0) + " is owned by payments-team"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h))
	// While the answer is being posted, the entry says so: after a crash
	// then, the answer may be in the conversation already.
	sendingWhilePosting := make(chan bool, 1)
	env.slack.setOnCall(func(c apiCall) {
		if c.Method == "chat.postMessage" {
			sendingWhilePosting <- env.pending(t)["event:EvForget"].Sending
		}
	})

	env.event(t, callback("EvForget", appMention("C0LAN2Q65", "U061F7AUR", "<@"+testBotUser+"> who owns payments-api", "1515449522.000016")))
	// A command that outlives the answer budget is kept until answered.
	rec := env.command(t, slashCommand("/whoowns", "slow-api", env.slack.hookURL("late")))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("slow command acknowledged with %d %q, want an empty 200", rec.Code, rec.Body)
	}
	kept := env.pending(t)
	j, ok := kept["trigger:13345224609.738474920.8088930838d88f008e0"]
	if !ok || j.Input == nil || j.Input.Text != "/whoowns slow-api" || j.Input.ResponseURL != env.slack.hookURL("late") || j.Runs != 1 {
		t.Fatalf("while the command runs, the inbox holds %+v; want it by its trigger, with its text and response_url", kept)
	}
	close(release)
	env.settle(t)

	if left := env.pending(t); len(left) != 0 {
		t.Errorf("after both answers, the inbox still holds %v", left)
	}
	if !<-sendingWhilePosting {
		t.Error("while the mention's answer was posted, its inbox entry was not marked as sending")
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("mention answered %d times, want 1", n)
	}
	if n := len(env.slack.callsTo("hook")); n != 1 {
		t.Errorf("slow command answered %d times through its response_url, want 1", n)
	}
}

func TestInbox_ResumeAnswersWhatACrashLeft(t *testing.T) {
	h := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: req.Arg(0) + " is owned by payments-team"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h))
	crashedWith(t, env, mentionJob("EvCrash", "who owns payments-api"))
	crashedWith(t, env, job{id: "trigger:1.2.3", Input: &storedInput{
		User: "U2147483697", Channel: "C2147483705", Text: "/whoowns ledger", ResponseURL: env.slack.hookURL("crash"),
	}})
	// The first process had also recorded the message as seen.
	env.a.firstSeen(context.Background(), "message:C0LAN2Q65:1515449522.000016")
	env.clock.Advance(time.Minute)

	after := restartEnv(t, env, whoownsRouter(h))
	resume(t, after)

	if n := len(h.Requests()); n != 2 {
		t.Fatalf("handler ran %d times after the restart, want 2 (the mention and the command)", n)
	}
	posts := after.slack.callsTo("chat.postMessage")
	if len(posts) != 1 || posts[0].str("channel") != "C0LAN2Q65" || !strings.Contains(posts[0].str("text"), "payments-api is owned by payments-team") {
		t.Errorf("mention answered with %v, want one post to C0LAN2Q65", posts)
	}
	hooks := env.slack.callsTo("hook") // the response_url the first process was given
	if len(hooks) != 1 || hooks[0].Path != "/hooks/crash" || !strings.Contains(hooks[0].str("text"), "ledger is owned by payments-team") {
		t.Errorf("command answered with %v, want one answer through its response_url", hooks)
	}
	if left := after.pending(t); len(left) != 0 {
		t.Errorf("after resuming, the inbox still holds %v", left)
	}
	// Once answered, nothing is answered again at the next start.
	again := restartEnv(t, env, whoownsRouter(h))
	resume(t, again)
	if n := len(h.Requests()); n != 2 {
		t.Errorf("handler ran %d times after a second restart, want still 2", n)
	}
}

// Inputs arrive while the catalog's first sync runs, before Resume: they
// are the running process's own, answered once, by it.
func TestInbox_ResumeLeavesItsOwnProcessInputs(t *testing.T) {
	release := make(chan struct{})
	h := &recorder{reply: func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		<-release
		return bot.Reply{Text: "ok"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h))
	env.event(t, callback("EvOwn", appMention("C0LAN2Q65", "U061F7AUR", "<@"+testBotUser+"> who owns payments-api", "1515449522.000016")))
	if err := env.a.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	env.settle(t)
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
	if n := len(env.slack.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("answered %d times, want 1", n)
	}
}

func TestInbox_ResumeCountsRuns(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := &recorder{reply: func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		close(started)
		<-release
		return bot.Reply{Text: "ok"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h))
	crashedWith(t, env, mentionJob("EvRuns", "who owns payments-api"))
	after := restartEnv(t, env, whoownsRouter(h))
	if err := after.a.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-started
	if j := after.pending(t)["event:EvRuns"]; j.Runs != 2 || j.Sending {
		t.Errorf("while its work runs again, the entry is %+v; want runs 2, not sending", j)
	}
	close(release)
	after.settle(t)
}

func TestInbox_ResumeDoesNotResendAStartedDelivery(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	j := mentionJob("EvSending", "who owns payments-api")
	crashedWith(t, env, j)
	j.Runs, j.Received = 1, env.clock.Now()
	env.a.sending(context.Background(), &j)

	after := restartEnv(t, env, whoownsRouter(h))
	resume(t, after)

	if n := len(h.Requests()); n != 0 {
		t.Errorf("handler ran %d times for an input whose answer may have been posted, want 0", n)
	}
	posts := after.slack.callsTo("chat.postEphemeral")
	if len(posts) != 1 || posts[0].str("user") != "U061F7AUR" || !strings.Contains(posts[0].str("text"), `restarted while it was sending its answer to "who owns payments-api"`) ||
		!strings.Contains(posts[0].str("text"), "If the answer is not above, please ask again") {
		t.Errorf("posts = %v, want one notice, to its user only, that the answer may be above", posts)
	}
	if left := after.pending(t); len(left) != 0 {
		t.Errorf("after the notice, the inbox still holds %v", left)
	}
}

func TestInbox_ResumeGivesUpAfterThreeRuns(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	j := mentionJob("EvCrashLoop", "who owns payments-api")
	crashedWith(t, env, j)
	for range 2 { // two restarts that crashed again
		after := restartEnv(t, env, whoownsRouter(h))
		stored := after.pending(t)["event:EvCrashLoop"]
		stored.id = "event:EvCrashLoop"
		stored.Runs++
		after.a.putJob(context.Background(), &stored)
	}
	after := restartEnv(t, env, whoownsRouter(h))
	resume(t, after)

	if n := len(h.Requests()); n != 0 {
		t.Errorf("handler ran %d times on a fourth start, want 0", n)
	}
	posts := after.slack.callsTo("chat.postEphemeral")
	if len(posts) != 1 || !strings.Contains(posts[0].str("text"), "stopped 3 times while working on") {
		t.Errorf("posts = %v, want one notice that Callboard gave up", posts)
	}
	if left := after.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

func TestInbox_ResumeDropsOldAndUnreadableEntries(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	crashedWith(t, env, mentionJob("EvOld", "who owns payments-api"))
	if err := env.inbox.Put("event:EvGarbled", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := env.inbox.Put("event:EvNeither", []byte(`{"received":"2026-03-02T09:00:00Z","runs":1}`)); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(31 * time.Minute)
	crashedWith(t, env, mentionJob("EvRecent", "who owns ledger"))

	after := restartEnv(t, env, whoownsRouter(h))
	resume(t, after)

	reqs := h.Requests()
	if len(reqs) != 1 || reqs[0].Arg(0) != "ledger" {
		t.Errorf("handler ran for %v, want only the recent input (ledger)", reqs)
	}
	if left := after.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

// A kept mention is filtered again: a bot's message is not answered after
// a restart any more than before.
func TestInbox_ResumedMentionFromABotIgnored(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	j := mentionJob("EvBot", "who owns payments-api")
	j.Mention.BotID = "B0001"
	crashedWith(t, env, j)
	after := restartEnv(t, env, whoownsRouter(h))
	resume(t, after)
	if n := len(h.Requests()); n != 0 {
		t.Errorf("handler ran %d times for a bot's message, want 0", n)
	}
	if left := after.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

func TestInbox_EntriesAreJSON(t *testing.T) {
	env := newTestEnv(t, router())
	crashedWith(t, env, mentionJob("EvJSON", "who owns payments-api"))
	var raw map[string]any
	err := env.inbox.Pending(func(_ string, entry []byte) {
		if err := json.Unmarshal(entry, &raw); err != nil {
			t.Errorf("entry %q: %v", entry, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := raw["mention"].(map[string]any); m["event_id"] != "EvJSON" || raw["runs"] != float64(1) {
		t.Errorf("entry = %v, want the mention with its event id and one run", raw)
	}
}
