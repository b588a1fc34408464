package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

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
	if j.Input.Mention != nil {
		if first, owed := env.a.accept(context.Background(), j.ID, j.ID, j.Input); !first || owed == nil {
			t.Fatalf("event %s not accepted", j.ID)
		}
		return
	}
	if env.a.ledger.Record(context.Background(), j.ID, j.Input) == nil {
		t.Fatalf("input %s not recorded", j.ID)
	}
}

func resume(t *testing.T, env *testEnv) {
	t.Helper()
	if err := env.a.Resume(context.Background()); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	env.settle(t)
}

// mentionJob is an app_mention's entry; ts tells messages apart.
func mentionJob(eventID, text, ts string) job {
	return job{ID: "event:" + eventID, Input: kept{Mention: &storedMessage{
		EventID: eventID, Self: testBotUser, Channel: "C0LAN2Q65", User: "U061F7AUR",
		Text: "<@" + testBotUser + "> " + text, TS: ts, Addressed: true,
	}}}
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
	if !ok || j.Input.Routed == nil || j.Input.Routed.Text != "/whoowns slow-api" || j.Input.Routed.ResponseURL != env.slack.hookURL("late") || j.Runs != 1 {
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
	crashedWith(t, env, mentionJob("EvCrash", "who owns payments-api", "1515449522.000001"))
	crashedWith(t, env, job{ID: "trigger:1.2.3", Input: kept{Routed: &storedInput{
		User: "U2147483697", Channel: "C2147483705", Text: "/whoowns ledger", ResponseURL: env.slack.hookURL("crash"),
	}}})
	// The first process had also recorded the message as seen.
	env.a.firstSeen(context.Background(), "message:C0LAN2Q65:1515449522.000001")
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
	crashedWith(t, env, mentionJob("EvRuns", "who owns payments-api", "1515449522.000002"))
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
	j := mentionJob("EvSending", "who owns payments-api", "1515449522.000003")
	crashedWith(t, env, j)
	stored := env.pending(t)[j.ID]
	stored.ID = j.ID
	env.a.ledger.Sending(context.Background(), &stored)

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
	j := mentionJob("EvCrashLoop", "who owns payments-api", "1515449522.000004")
	crashedWith(t, env, j)
	for range 2 { // two restarts that crashed again
		after := restartEnv(t, env, whoownsRouter(h))
		stored := after.pending(t)["event:EvCrashLoop"]
		stored.ID = "event:EvCrashLoop"
		stored.Runs++
		if err := after.a.ledger.Put(&stored); err != nil {
			t.Fatal(err)
		}
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
	crashedWith(t, env, mentionJob("EvOld", "who owns payments-api", "1515449522.000005"))
	if err := env.inbox.Put("event:EvGarbled", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := env.inbox.Put("event:EvNeither", []byte(`{"received":"2026-03-02T09:00:00Z","runs":1}`)); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(31 * time.Minute)
	crashedWith(t, env, mentionJob("EvRecent", "who owns ledger", "1515449522.000006"))

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
	j := mentionJob("EvBot", "who owns payments-api", "1515449522.000007")
	j.Input.Mention.BotID = "B0001"
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
	crashedWith(t, env, mentionJob("EvJSON", "who owns payments-api", "1515449522.000008"))
	var raw map[string]any
	err := env.inbox.Pending(func(_ string, entry []byte) {
		if err := json.Unmarshal(entry, &raw); err != nil {
			t.Errorf("entry %q: %v", entry, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := raw["input"].(map[string]any)
	if m, _ := in["mention"].(map[string]any); m["event_id"] != "EvJSON" || raw["runs"] != float64(1) {
		t.Errorf("entry = %v, want the mention with its event id and one run", raw)
	}
}

// Slack delivers a DM that mentions the bot twice, as app_mention and as
// message.im, under two event ids; a crash can leave both kept.
func TestInbox_ResumeAnswersAMessageKeptTwiceOnce(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	crashedWith(t, env, mentionJob("EvTwiceA", "who owns payments-api", "1515449522.000100"))
	im := mentionJob("EvTwiceB", "who owns payments-api", "1515449522.000100")
	im.Input.Mention.Addressed = false
	crashedWith(t, env, im)
	after := restartEnv(t, env, whoownsRouter(h))
	resume(t, after)
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times for one message kept under two events, want 1", n)
	}
	if left := after.pending(t); len(left) != 0 {
		t.Errorf("the inbox still holds %v", left)
	}
}

// A redelivery of an event the crashed process had accepted is dropped as
// seen; Resume answers the event instead, once.
func TestInbox_RedeliveryAfterACrashAnsweredOnce(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	body := callback("EvRedeliver", appMention("C0LAN2Q65", "U061F7AUR", "<@"+testBotUser+"> who owns payments-api", "1515449522.000200"))
	j := mentionJob("EvRedeliver", "who owns payments-api", "1515449522.000200")
	j.Input.Mention.User = "U061F7AUR"
	crashedWith(t, env, j)
	after := restartEnv(t, env, whoownsRouter(h))
	if rec := after.event(t, body, "X-Slack-Retry-Num", "1"); rec.Code != http.StatusOK {
		t.Fatalf("redelivery acknowledged with %d", rec.Code)
	}
	resume(t, after)
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// A deploy stops the process gracefully: work it cuts short stays in the
// inbox, and the next process answers it, where a notice would have asked
// the user to ask again.
func TestInbox_ShutdownLeavesCutShortWorkForTheNextStart(t *testing.T) {
	started := make(chan struct{}, 1)
	stuck := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		started <- struct{}{}
		<-ctx.Done()
		return bot.Reply{}, ctx.Err()
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: stuck}), func(o *Options) {
		o.AnswerBudget = 10 * time.Millisecond
	})
	env.command(t, slashCommand("/report", "payments-api", env.slack.hookURL("deploy")))
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := env.a.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown returned nil; want its deadline (work was cut short)")
	}
	if n := len(env.slack.callsTo("hook")); n != 0 {
		t.Errorf("the cut-short command was answered %d times before the restart, want 0", n)
	}
	if _, ok := env.pending(t)["trigger:13345224609.738474920.8088930838d88f008e0"]; !ok {
		t.Fatalf("the cut-short command is not in the inbox: %v", env.pending(t))
	}
	// Resume after Shutdown has begun starts nothing.
	if err := env.a.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}

	answer := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: "report for " + req.Arg(0)}, nil
	})
	after := restartEnv(t, env, router(bot.Command{Name: "report", Handler: answer}))
	resume(t, after)
	hooks := env.slack.callsTo("hook")
	if len(hooks) != 1 || !strings.Contains(hooks[0].str("text"), "report for payments-api") {
		t.Errorf("after the restart, answers through the response_url: %v; want the report, once", hooks)
	}
}

func TestInbox_ButtonPressKeptUntilAnswered(t *testing.T) {
	release := make(chan struct{})
	h := &recorder{reply: func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		<-release
		return bot.Reply{Text: "ok"}, nil
	}}
	env := newTestEnv(t, whoownsRouter(h))
	if rec := env.interact(t, blockActions(env.slack.hookURL("press"), actionRun+"0", `{"a":"/whoowns payments-api"}`)); rec.Code != http.StatusOK {
		t.Fatalf("press acknowledged with %d", rec.Code)
	}
	j, ok := env.pending(t)["trigger:9.8.7trigger"]
	if !ok || j.Input.Routed == nil || j.Input.Routed.Text != "/whoowns payments-api" || j.Input.Routed.ResponseURL != env.slack.hookURL("press") {
		t.Errorf("when the press is acknowledged, the inbox holds %v; want it by its trigger", env.pending(t))
	}
	close(release)
	env.settle(t)
	if left := env.pending(t); len(left) != 0 {
		t.Errorf("after the answer, the inbox still holds %v", left)
	}
}

func TestInbox_SocketModeEventKeptBeforeItsAcknowledgement(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, whoownsRouter(h))
	raw := callback("EvSocket", appMention("C0LAN2Q65", "U061F7AUR", "<@"+testBotUser+"> who owns payments-api", "1515449522.000300"))
	ev, err := slackevents.ParseEvent(json.RawMessage(raw), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	keptAtAck := false
	ack := func(_ context.Context, id string, _ any) error {
		_, keptAtAck = env.pending(t)["event:EvSocket"]
		if n := len(h.Requests()); n > 0 {
			keptAtAck = true // answered already: nothing left to keep
		}
		return nil
	}
	env.a.envelope(t.Context(), ack, socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev,
		Request: &socketmode.Request{Type: socketmode.RequestTypeEventsAPI, EnvelopeID: "env-kept"}})
	env.settle(t)
	if !keptAtAck {
		t.Error("the event was acknowledged before it was kept in the inbox")
	}
	if n := len(h.Requests()); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// Shutdown's grace can end while an answer is being delivered: the input
// stays in the inbox marked as sending, and the next process tells its
// user to ask again if the answer did not arrive (it is not sent twice).
func TestInbox_DeliveryCutShortByShutdownLeftAsSending(t *testing.T) {
	late := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		time.Sleep(20 * time.Millisecond) // past the answer budget
		return bot.Reply{Text: "late answer"}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: late}), func(o *Options) {
		o.AnswerBudget = time.Millisecond
	})
	inHook := make(chan struct{})
	env.slack.respond("hook", func(w http.ResponseWriter) {
		close(inHook)
		time.Sleep(shutdownNotice + time.Second) // outlasts the grace
	})
	env.command(t, slashCommand("/report", "", env.slack.hookURL("slow")))
	<-inHook
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = env.a.Shutdown(ctx)
	if err := env.a.Shutdown(context.Background()); err != nil { // waits for the delivery to give up
		t.Fatal(err)
	}
	j, ok := env.pending(t)["trigger:13345224609.738474920.8088930838d88f008e0"]
	if !ok || !j.Sending {
		t.Errorf("after a delivery cut short, the inbox holds %v; want the command, marked as sending", env.pending(t))
	}
}
