package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

func TestCommand_AnsweredInline(t *testing.T) {
	whoowns := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Title: req.Arg(0), Text: "Owned by payments-team"}, nil
	}}
	secret := &recorder{reply: func(context.Context, bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: "only for you", Ephemeral: true}, nil
	}}
	env := newTestEnv(t, router(
		bot.Command{Name: "whoowns", Handler: whoowns},
		bot.Command{Name: "secret", Handler: secret},
	))
	env.slack.setEmail("U2147483697", "steve@example.com")

	t.Run("in channel", func(t *testing.T) {
		rec := env.command(t, slashCommand("/whoowns", "payments-api", env.slack.hookURL("a")))
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", rec.Code)
		}
		body := decodeBody(t, rec.Body.Bytes())
		if body["response_type"] != "in_channel" {
			t.Errorf("response_type = %v, want in_channel", body["response_type"])
		}
		if !strings.Contains(rec.Body.String(), "Owned by payments-team") {
			t.Errorf("answer %s does not carry the reply", rec.Body)
		}
		reqs := whoowns.Requests()
		if len(reqs) != 1 {
			t.Fatalf("handler ran %d times, want 1", len(reqs))
		}
		got := reqs[0]
		if got.Platform != "slack" || got.User.ID != "U2147483697" || got.User.Email != "steve@example.com" ||
			got.Channel.ID != "C2147483705" || got.Arg(0) != "payments-api" {
			t.Errorf("handler got %+v, want platform slack, user U2147483697 <steve@example.com>, channel C2147483705, args [payments-api]", got)
		}
	})
	t.Run("ephemeral", func(t *testing.T) {
		rec := env.command(t, slashCommand("/secret", "", env.slack.hookURL("b")))
		if body := decodeBody(t, rec.Body.Bytes()); body["response_type"] != "ephemeral" {
			t.Errorf("response_type = %v, want ephemeral", body["response_type"])
		}
	})
	t.Run("unknown command gets usage now", func(t *testing.T) {
		rec := env.command(t, slashCommand("/whoown", "x", env.slack.hookURL("c")))
		if !strings.Contains(rec.Body.String(), "Did you mean /whoowns") {
			t.Errorf("answer %s, want a did-you-mean", rec.Body)
		}
	})
	env.settle(t)
	if hooks := env.slack.callsTo("hook"); len(hooks) != 0 {
		t.Errorf("inline answers also went to response_url %d times", len(hooks))
	}
}

// A handler that takes far longer than Slack's 3 seconds: the command is
// acknowledged within the answer budget and the answer follows through the
// response_url.
func TestCommand_SlowHandlerAcknowledgedFirst(t *testing.T) {
	release := make(chan struct{})
	var finished atomic.Bool
	slow := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return bot.Reply{}, ctx.Err()
		}
		finished.Store(true)
		return bot.Reply{Text: "report for " + req.Arg(0)}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: slow}), func(o *Options) {
		o.AnswerBudget = 50 * time.Millisecond
	})

	start := time.Now()
	rec := env.command(t, slashCommand("/report", "payments-api", env.slack.hookURL("slow")))
	elapsed := time.Since(start)

	if finished.Load() {
		t.Fatalf("handler finished before the acknowledgement")
	}
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("acknowledgement = %d %q, want an empty 200", rec.Code, rec.Body)
	}
	if elapsed > 2*time.Second {
		t.Errorf("acknowledged after %v, want well under Slack's 3s", elapsed)
	}

	close(release)
	env.settle(t)
	hooks := env.slack.callsTo("hook")
	if len(hooks) != 1 {
		t.Fatalf("response_url got %d posts, want 1", len(hooks))
	}
	if hooks[0].Path != "/hooks/slow" || hooks[0].str("response_type") != "in_channel" || !strings.Contains(hooks[0].str("text"), "report for payments-api") {
		t.Errorf("response_url got %s %v, want the report in channel", hooks[0].Path, hooks[0].JSON)
	}
	if posts := env.slack.callsTo("chat.postMessage"); len(posts) != 0 {
		t.Errorf("chat.postMessage called %d times, want 0 (response_url worked)", len(posts))
	}
}

// The case, in real time: a handler that takes 10 seconds, with
// the adapter's default answer budget.
func TestCommand_TenSecondHandlerAcknowledgedWithinThreeSeconds(t *testing.T) {
	t.Parallel()
	slow := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		select {
		case <-time.After(10 * time.Second):
		case <-ctx.Done():
			return bot.Reply{}, ctx.Err()
		}
		return bot.Reply{Text: "report for " + req.Arg(0)}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: slow}), func(o *Options) {
		o.AnswerBudget = 0 // the default
	})

	start := time.Now()
	rec := env.command(t, slashCommand("/report", "payments-api", env.slack.hookURL("ten")))
	if elapsed := time.Since(start); elapsed >= 3*time.Second {
		t.Errorf("acknowledged after %v, want under Slack's 3s", elapsed)
	}
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("acknowledgement = %d %q, want an empty 200", rec.Code, rec.Body)
	}
	env.settle(t)
	if took := time.Since(start); took < 10*time.Second {
		t.Errorf("background work finished after %v, before the handler's 10s", took)
	}
	hooks := env.slack.callsTo("hook")
	if len(hooks) != 1 || !strings.Contains(hooks[0].str("text"), "report for payments-api") {
		t.Fatalf("response_url got %d posts (%v), want the report once", len(hooks), hooks)
	}
}

// A command answered from memory runs before the acknowledgement, user
// lookup included: a users.info that hangs must not make it late.
func TestCommand_HangingUsersInfoStillAcknowledgedInTime(t *testing.T) {
	quick := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: "owned by payments"}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "whoowns", Handler: quick, Quick: true}), func(o *Options) {
		o.AnswerBudget = 0 // the default
	})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the fake Slack closes
	env.slack.respond("users.info", func(w http.ResponseWriter) { <-release })

	start := time.Now()
	rec := env.command(t, slashCommand("/whoowns", "payments-api", env.slack.hookURL("q")))
	if elapsed := time.Since(start); elapsed >= 3*time.Second {
		t.Errorf("acknowledged after %v with users.info hanging, want under Slack's 3s", elapsed)
	}
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "owned by payments") {
		t.Errorf("acknowledgement = %d %s, want the answer inline", rec.Code, rec.Body)
	}
	if n := len(env.slack.callsTo("users.info")); n != 1 {
		t.Errorf("users.info called %d times, want 1", n)
	}
}

// A command that outlives the work timeout is stopped, and the user is
// told so: the answer is delivered under a deadline of its own.
func TestCommand_TimedOutCommandStillAnswers(t *testing.T) {
	stuck := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		<-ctx.Done()
		return bot.Reply{}, ctx.Err()
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: stuck}), func(o *Options) {
		o.AnswerBudget = 10 * time.Millisecond
		o.WorkTimeout = 100 * time.Millisecond
	})
	env.command(t, slashCommand("/report", "", env.slack.hookURL("stuck")))
	env.settle(t)
	hook := env.slack.onlyCall(t, "hook", "the answer saying the command took too long")
	if text := hook.str("text"); !strings.Contains(text, "/report took too long") {
		t.Errorf("answer = %q, want it to say /report took too long", text)
	}
}

// Slack does not send an acknowledged command again, so work that shutdown
// cuts short tells its user rather than vanish.
// Without an inbox, work cut short by a shutdown is lost: its user is told.
func TestCommand_ShutdownTellsUsersOfCutShortWork(t *testing.T) {
	started := make(chan struct{})
	stuck := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		close(started)
		<-ctx.Done()
		return bot.Reply{}, ctx.Err()
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: stuck}), func(o *Options) {
		o.AnswerBudget = 10 * time.Millisecond
		o.Inbox = nil
	})
	env.command(t, slashCommand("/report", "payments-api", env.slack.hookURL("cut")))
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := env.a.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the deadline (work was cut short)", err)
	}
	hook := env.slack.onlyCall(t, "hook", "a notice telling the user")
	if text := hook.str("text"); !strings.Contains(text, "restarted before it finished \"/report payments-api\"") {
		t.Errorf("notice = %q, want it to name the command and say Callboard restarted", text)
	}
}

// An answer on its way when shutdown starts still arrives, fallbacks
// included.
func TestCommand_ShutdownLetsDeliveriesFinish(t *testing.T) {
	late := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		time.Sleep(20 * time.Millisecond) // past the answer budget
		return bot.Reply{Text: "late answer"}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: late}), func(o *Options) {
		o.AnswerBudget = time.Millisecond
	})
	inHook, release := make(chan struct{}), make(chan struct{})
	env.slack.respond("hook", func(w http.ResponseWriter) {
		close(inHook)
		<-release
		http.Error(w, "expired_url", http.StatusNotFound) // falls back to chat.postMessage
	})
	env.command(t, slashCommand("/report", "", env.slack.hookURL("slow")))
	<-inHook
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		done <- env.a.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // the shutdown has given up waiting
	close(release)
	<-done
	posts := env.slack.callsTo("chat.postMessage")
	if len(posts) != 1 || posts[0].str("text") != "late answer" {
		t.Errorf("chat.postMessage calls = %v, want the late answer delivered after the response_url refused it", posts)
	}
}

func TestCommand_RefusedResponseURLFallsBackToPostMessage(t *testing.T) {
	release := make(chan struct{})
	slow := bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		<-release
		return bot.Reply{Text: "late answer"}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: slow}), func(o *Options) {
		o.AnswerBudget = 10 * time.Millisecond
	})
	env.slack.respond("hook", func(w http.ResponseWriter) { http.Error(w, "expired_url", http.StatusNotFound) })

	env.command(t, slashCommand("/report", "", env.slack.hookURL("expired")))
	close(release)
	env.settle(t)

	posts := env.slack.callsTo("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1 after the response_url was refused", len(posts))
	}
	if posts[0].str("channel") != "C2147483705" || posts[0].str("text") != "late answer" {
		t.Errorf("chat.postMessage got channel %q text %q", posts[0].str("channel"), posts[0].str("text"))
	}
}

func TestCommand_FormOpensModal(t *testing.T) {
	newService := bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: "Describe the service.", Form: &bot.Form{
			Title: "New service", SubmitLabel: "Create", SubmitAction: "/new-service create",
			Fields: []bot.FormField{{Name: "name", Label: "Name", Required: true}},
		}}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: newService}))

	rec := env.command(t, slashCommand("/new-service", "", env.slack.hookURL("f")))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("acknowledgement = %d %q, want an empty 200 while the modal opens", rec.Code, rec.Body)
	}
	env.settle(t)

	opens := env.slack.callsTo("views.open")
	if len(opens) != 1 {
		t.Fatalf("views.open called %d times, want 1", len(opens))
	}
	if got := opens[0].str("trigger_id"); got != "13345224609.738474920.8088930838d88f008e0" {
		t.Errorf("views.open trigger_id = %q, want the command's", got)
	}
	view, _ := opens[0].JSON["view"].(map[string]any)
	var st formState
	if err := json.Unmarshal([]byte(view["private_metadata"].(string)), &st); err != nil {
		t.Fatalf("private_metadata %v: %v", view["private_metadata"], err)
	}
	if st != (formState{Action: "/new-service create", Channel: "C2147483705"}) {
		t.Errorf("private_metadata = %+v, want the submit action and the channel", st)
	}
	if view["callback_id"] != formCallbackID {
		t.Errorf("callback_id = %v, want %s", view["callback_id"], formCallbackID)
	}
	if n := len(env.slack.callsTo("hook")) + len(env.slack.callsTo("chat.postMessage")); n != 0 {
		t.Errorf("a form reply was also posted %d times", n)
	}
}

func TestCommand_ExpiredTriggerPostsOpenFormButton(t *testing.T) {
	newService := bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		return bot.Reply{Form: &bot.Form{Title: "New service", SubmitAction: "/new-service create",
			Fields: []bot.FormField{{Name: "name", Required: true}}}}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: newService}))
	env.slack.respond("views.open", apiError("expired_trigger_id"))

	env.command(t, slashCommand("/new-service", "", env.slack.hookURL("f")))
	env.settle(t)

	hooks := env.slack.callsTo("hook")
	if len(hooks) != 1 {
		t.Fatalf("response_url got %d posts, want 1 with an Open form button", len(hooks))
	}
	raw, _ := json.Marshal(hooks[0].JSON)
	if !strings.Contains(string(raw), actionForm) || !strings.Contains(string(raw), `/new-service`) {
		t.Errorf("fallback message %s has no button running /new-service again", raw)
	}
	if hooks[0].str("response_type") != "ephemeral" {
		t.Errorf("response_type = %q, want ephemeral", hooks[0].str("response_type"))
	}
}

// A modal that cannot open for a reason other than its trigger gets no
// "Open form" button, whose press would only fail the same way: the user
// is told why, once.
func TestCommand_FormThatCannotOpenSaysWhy(t *testing.T) {
	newService := bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		return bot.Reply{Text: "Describe the service.", Footer: "In a terminal: /new-service go-grpc name=…", Form: &bot.Form{
			Title: "New service", SubmitAction: "/new-service create", Fields: []bot.FormField{{Name: "name", Required: true}}}}, nil
	})
	for _, tt := range []struct {
		name     string
		tweak    func(*Options)
		viewsErr string // views.open's error, "" for none
		want     []string
		opens    int
	}{
		{name: "no bot token", tweak: func(o *Options) { o.BotToken = "" },
			want: []string{"Describe the service.", "needs Callboard's bot token", "SLACK_BOT_TOKEN", "In a terminal: /new-service go-grpc name=…"}},
		{name: "view refused", tweak: func(*Options) {}, viewsErr: "invalid_arguments", opens: 1,
			want: []string{`the form "New service" could not be opened in Slack (invalid_arguments)`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: newService}), tt.tweak)
			if tt.viewsErr != "" {
				env.slack.respond("views.open", apiError(tt.viewsErr))
			}
			env.command(t, slashCommand("/new-service", "go-grpc", env.slack.hookURL("f")))
			env.settle(t)
			if n := len(env.slack.callsTo("views.open")); n != tt.opens {
				t.Errorf("views.open called %d times, want %d", n, tt.opens)
			}
			hooks := env.slack.callsTo("hook")
			if len(hooks) != 1 {
				t.Fatalf("response_url got %d posts, want 1", len(hooks))
			}
			raw, _ := json.Marshal(hooks[0].JSON)
			if strings.Contains(string(raw), actionForm) {
				t.Errorf("answer %s offers a button that would fail the same way", raw)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(raw), w) && !strings.Contains(hooks[0].str("text"), w) {
					t.Errorf("answer %s lacks %q", raw, w)
				}
			}
		})
	}
}

// A response_url takes five answers within thirty minutes; later answers
// are posted with chat.postMessage instead.
func TestCommand_ResponseURLLimitsFallBackToPosting(t *testing.T) {
	slow := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		time.Sleep(20 * time.Millisecond) // past the answer budget
		return bot.Reply{Text: "answer " + req.Arg(0)}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "report", Handler: slow}), func(o *Options) {
		o.AnswerBudget = time.Millisecond
	})
	hook := env.slack.hookURL("shared")
	for i := range 6 {
		env.command(t, slashCommand("/report", fmt.Sprint(i), hook))
		env.a.work.Wait()
	}
	if n := len(env.slack.callsTo("hook")); n != 5 {
		t.Errorf("response_url used %d times, want 5", n)
	}
	posts := env.slack.callsTo("chat.postMessage")
	if len(posts) != 1 || posts[0].str("text") != "answer 5" {
		t.Fatalf("chat.postMessage calls = %v, want the sixth answer", posts)
	}

	other := env.slack.hookURL("old")
	env.command(t, slashCommand("/report", "first", other))
	env.a.work.Wait()
	env.clock.Advance(30 * time.Minute)
	env.command(t, slashCommand("/report", "late", other))
	env.settle(t)
	if n := len(env.slack.callsTo("hook")); n != 6 {
		t.Errorf("response_url used %d times in all, want 6 (none after 30 minutes)", n)
	}
	if posts := env.slack.callsTo("chat.postMessage"); len(posts) != 2 || posts[1].str("text") != "answer late" {
		t.Errorf("chat.postMessage calls = %v, want the answer after 30 minutes posted", posts)
	}
}

// A command with slow work before its form holds a modal first, within
// the trigger's three seconds; the form replaces the placeholder.
func TestCommand_HeldModalReplacedByForm(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reply bot.Reply
		// wantUpdate is a text the views.update call must contain.
		wantUpdate string
		wantHooks  int
	}{
		{name: "form", reply: bot.Reply{Text: "Describe the service.", Form: &bot.Form{Title: "New service", SubmitLabel: "Create",
			SubmitAction: "/new-service create", Fields: []bot.FormField{{Name: "name", Label: "Name", Required: true}}}},
			wantUpdate: `"block_id":"name"`},
		{name: "no form after all", reply: bot.Reply{Text: "No templates today."},
			wantUpdate: "The answer is in the conversation.", wantHooks: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var held error
			slow := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
				held = bot.HoldForm(ctx, "New service")
				time.Sleep(50 * time.Millisecond) // slow work, past the answer budget
				return tt.reply, nil
			})
			env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: slow}), func(o *Options) {
				o.AnswerBudget = 10 * time.Millisecond
			})
			env.command(t, slashCommand("/new-service", "go-grpc", env.slack.hookURL("h")))
			env.settle(t)
			if held != nil {
				t.Fatalf("HoldForm: %v", held)
			}
			opens := env.slack.callsTo("views.open")
			if len(opens) != 1 || opens[0].str("trigger_id") != "13345224609.738474920.8088930838d88f008e0" {
				t.Fatalf("views.open calls = %v, want one placeholder with the command's trigger", opens)
			}
			if raw, _ := json.Marshal(opens[0].JSON); !strings.Contains(string(raw), "Loading…") {
				t.Errorf("placeholder %s does not say it is loading", raw)
			}
			updates := env.slack.callsTo("views.update")
			if len(updates) != 1 || updates[0].str("view_id") != "V0001" || updates[0].str("hash") != "156772938.1827394" {
				t.Fatalf("views.update calls = %v, want one for V0001 with its hash", updates)
			}
			if raw, _ := json.Marshal(updates[0].JSON); !strings.Contains(string(raw), tt.wantUpdate) {
				t.Errorf("views.update %s lacks %s", raw, tt.wantUpdate)
			}
			if n := len(env.slack.callsTo("hook")); n != tt.wantHooks {
				t.Errorf("response_url got %d posts, want %d", n, tt.wantHooks)
			}
		})
	}
}

// When the form cannot replace the placeholder, the placeholder says why
// instead of loading forever, and so does the conversation.
func TestCommand_HeldModalNotLeftLoading(t *testing.T) {
	slow := bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		_ = bot.HoldForm(ctx, "New service")
		time.Sleep(50 * time.Millisecond)
		return bot.Reply{Form: &bot.Form{Title: "New service", SubmitAction: "/new-service create", Fields: []bot.FormField{{Name: "name"}}}}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: slow}), func(o *Options) {
		o.AnswerBudget = 10 * time.Millisecond
	})
	env.slack.respond("views.update", apiError("hash_conflict"))
	env.command(t, slashCommand("/new-service", "go-grpc", env.slack.hookURL("h")))
	env.settle(t)
	updates := env.slack.callsTo("views.update")
	if len(updates) != 2 {
		t.Fatalf("views.update called %d times, want the form then the apology", len(updates))
	}
	if raw, _ := json.Marshal(updates[1].JSON); !strings.Contains(string(raw), "could not be shown in Slack (hash_conflict)") {
		t.Errorf("second views.update %s does not say why", raw)
	}
	if hooks := env.slack.callsTo("hook"); len(hooks) != 1 || !strings.Contains(hooks[0].str("text"), "hash_conflict") {
		t.Errorf("response_url posts = %v, want one saying why", hooks)
	}
}

// A form that cannot be made into a view is refused at once: an "Open
// form" button would only fail the same way.
func TestCommand_UnbuildableFormOffersNoButton(t *testing.T) {
	long := "/new-service create " + strings.Repeat("x", maxPrivateMetadata)
	newService := bot.HandlerFunc(func(context.Context, bot.Request) (bot.Reply, error) {
		return bot.Reply{Form: &bot.Form{Title: "New service", SubmitAction: long, Fields: []bot.FormField{{Name: "name"}}}}, nil
	})
	env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: newService}))
	env.command(t, slashCommand("/new-service", "", env.slack.hookURL("f")))
	env.settle(t)
	if n := len(env.slack.callsTo("views.open")); n != 0 {
		t.Errorf("views.open called %d times for a form that cannot be built", n)
	}
	hook := env.slack.onlyCall(t, "hook", "the apology")
	if raw, _ := json.Marshal(hook.JSON); strings.Contains(string(raw), actionForm) || !strings.Contains(hook.str("text"), "could not be opened in Slack (the form could not be built)") {
		t.Errorf("answer %s, want an apology without a button", raw)
	}
}

func TestResponseURLs_FiveUsesInThirtyMinutes(t *testing.T) {
	clock := newFakeClock()
	r := newResponseURLs(clock.Now)
	for i := range 5 {
		if !r.take("https://hooks.slack.com/commands/1") {
			t.Fatalf("use %d refused, want 5 uses allowed", i+1)
		}
	}
	if r.take("https://hooks.slack.com/commands/1") {
		t.Errorf("sixth use allowed, want refused")
	}
	if !r.take("https://hooks.slack.com/commands/2") {
		t.Errorf("another URL refused")
	}
	clock.Advance(30 * time.Minute)
	if r.take("https://hooks.slack.com/commands/2") {
		t.Errorf("use after 30 minutes allowed, want refused")
	}
}

func TestUserDirectory_CachesLookups(t *testing.T) {
	env := newTestEnv(t, router())
	f, clock, d := env.slack, env.clock, env.a.users
	f.setEmail("U1", "jane@example.com")

	for range 3 {
		u, err := d.complete(t.Context(), bot.User{ID: "U1"})
		if err != nil || u.Email != "jane@example.com" || u.Name != "jane" {
			t.Fatalf("complete(U1) = %+v, %v; want jane <jane@example.com>", u, err)
		}
	}
	if n := len(f.callsTo("users.info")); n != 1 {
		t.Errorf("users.info called %d times for 3 lookups, want 1", n)
	}
	clock.Advance(userTTL + time.Second)
	if _, err := d.complete(t.Context(), bot.User{ID: "U1"}); err != nil {
		t.Fatalf("complete after TTL: %v", err)
	}
	if n := len(f.callsTo("users.info")); n != 2 {
		t.Errorf("users.info called %d times after the TTL, want 2", n)
	}

	u, err := d.complete(t.Context(), bot.User{ID: "U404", Name: "ghost"})
	if err == nil || u != (bot.User{ID: "U404", Name: "ghost"}) {
		t.Errorf("complete(unknown user) = %+v, %v; want the user unchanged and an error", u, err)
	}
	if _, err := d.complete(t.Context(), bot.User{ID: "U404"}); err != nil {
		t.Errorf("second lookup of a failing user = %v, want the failure remembered without a call", err)
	}
	if n := len(f.callsTo("users.info")); n != 3 {
		t.Errorf("users.info called %d times, want 3 (failure cached)", n)
	}
}

func TestUserDirectory_Bounded(t *testing.T) {
	clock := newFakeClock()
	d := newUserDirectory(nil, clock.Now, true)
	for i := range maxCachedUsers + 50 {
		d.store(fmt.Sprintf("U%06d", i), userEntry{expires: clock.Now().Add(time.Hour)}, clock.Now())
	}
	if n := len(d.entries); n > maxCachedUsers {
		t.Errorf("cache holds %d users, want at most %d", n, maxCachedUsers)
	}
}

// parseSlashCommand reads the verified body as slack.SlashCommandParse reads
// the request.
func TestParseSlashCommand_MatchesSlackGo(t *testing.T) {
	full := slashCommand("/whoowns", "payments-api & \"more\"", "https://hooks.slack.com/commands/1")
	full.Set("is_enterprise_install", "true")
	full.Set("enterprise_id", "E1")
	full.Set("api_app_id", "A1")
	const form = "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, contentType, body string
	}{
		{"full", form, full.Encode()},
		{"charset", form + "; charset=utf-8", full.Encode()},
		{"repeated keys", form, "command=%2Fa&command=%2Fb&text=x+y"},
		{"bad escape", form, "command=%2Fwhoowns&text=%zz"},
		{"semicolon", form, "command=%2Fwhoowns;text=x"},
		{"empty", form, ""},
		{"json", "application/json", `{"command":"/whoowns"}`},
		{"no content type", "", full.Encode()},
		{"bad content type", "form;;", full.Encode()},
		{"too many fields", form, "command=%2Fwhoowns" + strings.Repeat("&x=1", maxFormFields)},
	} {
		t.Run(tt.name, func(t *testing.T) { checkParseSlashCommand(t, tt.contentType, tt.body) })
	}
}

func checkParseSlashCommand(t *testing.T, contentType, body string) {
	t.Helper()
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	req, _ := http.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	req.Header = h
	want, wantErr := slack.SlashCommandParse(req)
	got, err := parseSlashCommand(h, []byte(body))
	// The adapter answers 400 to an error or an empty command.
	accepted, wantAccepted := err == nil && got.Command != "", wantErr == nil && want.Command != ""
	if accepted != wantAccepted {
		t.Errorf("parseSlashCommand(%q) = %+v, %v; slack-go's = %+v, %v", body, got, err, want, wantErr)
	}
	if accepted && got != want {
		t.Errorf("parseSlashCommand(%q) = %+v, slack-go's = %+v", body, got, want)
	}
}

func FuzzParseSlashCommand(f *testing.F) {
	f.Add(slashCommand("/whoowns", "payments-api", "https://hooks.slack.com/commands/1").Encode())
	f.Add("command=%2Fa&command=%2Fb&text=x+y&is_enterprise_install=true")
	f.Add("command=%2Fwhoowns;text=x")
	f.Add("command=%zz")
	f.Fuzz(func(t *testing.T, body string) {
		checkParseSlashCommand(t, "application/x-www-form-urlencoded", body)
	})
}

// Answers written at the same time from pooled buffers are each their
// own command's, byte for byte, small or large.
func TestCommand_ConcurrentAnswersAreTheirOwn(t *testing.T) {
	reply := func(arg string) bot.Reply {
		n, _ := strconv.Atoi(arg)
		r := bot.Reply{Title: "answer " + arg, Text: strings.Repeat("for "+arg+" & <you> ", 1+n%7*300), Ephemeral: n%2 == 0,
			Buttons: []bot.Button{{Text: "Share in channel", Action: "/echo " + arg, Shared: true}}}
		for i := range n % 40 {
			r.Fields = append(r.Fields, bot.Field{Name: fmt.Sprint("field ", i), Value: arg})
		}
		return r
	}
	echo := bot.HandlerFunc(func(_ context.Context, req bot.Request) (bot.Reply, error) { return reply(req.Arg(0)), nil })
	env := newTestEnv(t, router(bot.Command{Name: "echo", Quick: true, Handler: echo}))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				arg := strconv.Itoa(g*100 + i)
				rec := env.command(t, slashCommand("/echo", arg, env.slack.hookURL(arg)))
				if want := renderedAck(reply(arg), nil); !bytes.Equal(rec.Body.Bytes(), want) {
					t.Errorf("answer to /echo %s:\n%s\nwant\n%s", arg, rec.Body, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// appendQueryUnescaped unescapes as url.QueryUnescape does and fails where
// it fails.
func FuzzAppendQueryUnescaped(f *testing.F) {
	for _, s := range []string{"", "a+b", "%2Fwhoowns", "%zz", "%", "%4", "%4a%4A", "x%", "\xff%20"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := url.QueryUnescape(s)
		got, err := appendQueryUnescaped([]byte("prefix"), []byte(s))
		if (err == nil) != (wantErr == nil) || err == nil && string(got) != "prefix"+want {
			t.Errorf("appendQueryUnescaped(%q) = %q, %v; url.QueryUnescape = %q, %v", s, got, err, want, wantErr)
		}
		if err != nil && err.Error() != wantErr.Error() {
			t.Errorf("appendQueryUnescaped(%q) error %q, want %q", s, err, wantErr)
		}
	})
}

// A Quick command runs in the acknowledging goroutine, trusted to be fast
// rather than raced against the answer budget: even one slower than the
// budget is answered in the acknowledgement. A router that cannot say what
// is quick gets every command raced against the budget.
func TestCommand_QuickCommandAnsweredInline(t *testing.T) {
	whoowns := func(ctx context.Context, req bot.Request) (bot.Reply, error) {
		time.Sleep(30 * time.Millisecond)
		return bot.Reply{Text: "owned by payments-team, asked by " + req.User.Email}, nil
	}
	cmd := bot.Command{Name: "whoowns", Quick: true, Handler: bot.HandlerFunc(whoowns)}
	budget := func(o *Options) { o.AnswerBudget = time.Millisecond }

	t.Run("quick router", func(t *testing.T) {
		env := newTestEnv(t, router(cmd), budget)
		env.slack.setEmail("U2147483697", "steve@example.com")
		rec := env.command(t, slashCommand("/whoowns", "payments-api", env.slack.hookURL("q")))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "owned by payments-team, asked by steve@example.com") {
			t.Errorf("acknowledgement = %d %s, want the answer, with the user's email looked up", rec.Code, rec.Body)
		}
		env.settle(t)
		if hooks := env.slack.callsTo("hook"); len(hooks) != 0 {
			t.Errorf("an inline answer also went to the response_url %d times", len(hooks))
		}
	})
	t.Run("plain router", func(t *testing.T) {
		env := newTestEnv(t, struct{ Router }{router(cmd)}, budget)
		rec := env.command(t, slashCommand("/whoowns", "payments-api", env.slack.hookURL("p")))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("acknowledgement = %d %q, want an empty 200 once the budget passed", rec.Code, rec.Body)
		}
		env.settle(t)
		if hooks := env.slack.callsTo("hook"); len(hooks) != 1 || !strings.Contains(hooks[0].str("text"), "owned by payments-team") {
			t.Errorf("response_url got %v, want the answer once", hooks)
		}
	})
}
