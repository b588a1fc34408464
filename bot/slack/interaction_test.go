package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// blockActions is a block_actions payload for pressing the button with
// actionID and value, as Slack sends it for a button on a message.
func blockActions(responseURL, actionID, value string) string {
	return fmt.Sprintf(`{
		"type": "block_actions",
		"user": {"id": "U2147483697", "username": "steve", "name": "steve", "team_id": "T0001"},
		"api_app_id": "A0001",
		"token": "9s8d9as89d8as9d8as989",
		"container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C2147483705", "is_ephemeral": true},
		"trigger_id": "9.8.7trigger",
		"team": {"id": "T0001", "domain": "example"},
		"channel": {"id": "C2147483705", "name": "payments"},
		"response_url": %q,
		"actions": [{
			"action_id": %q,
			"block_id": "=qXel",
			"text": {"type": "plain_text", "text": "Share in channel", "emoji": true},
			"value": %q,
			"type": "button",
			"action_ts": "1700000001.000200"
		}]
	}`, responseURL, actionID, value)
}

// viewSubmission is a view_submission payload for view with the given
// state values (block id → the element's state).
func viewSubmission(t *testing.T, view slack.ModalViewRequest, state map[string]any) string {
	t.Helper()
	blocks, err := json.Marshal(view.Blocks)
	if err != nil {
		t.Fatalf("marshal blocks: %v", err)
	}
	values := map[string]any{}
	for id, v := range state {
		values[id] = map[string]any{formValueAction: v}
	}
	stateJSON, _ := json.Marshal(map[string]any{"values": values})
	return fmt.Sprintf(`{
		"type": "view_submission",
		"team": {"id": "T0001", "domain": "example"},
		"user": {"id": "U2147483697", "username": "steve", "name": "steve", "team_id": "T0001"},
		"api_app_id": "A0001",
		"token": "9s8d9as89d8as9d8as989",
		"trigger_id": "12466734323.1395872398.abc",
		"view": {
			"id": "VNHU13V36",
			"team_id": "T0001",
			"type": "modal",
			"blocks": %s,
			"private_metadata": %q,
			"callback_id": %q,
			"state": %s,
			"hash": "156663117.cd33ad1f",
			"title": {"type": "plain_text", "text": "New service"},
			"app_id": "A0001",
			"bot_id": "B0001"
		},
		"response_urls": []
	}`, blocks, view.PrivateMetadata, view.CallbackID, stateJSON)
}

func textInput(v string) map[string]any {
	return map[string]any{"type": "plain_text_input", "value": v}
}

func selected(v string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{
		"text": map[string]any{"type": "plain_text", "text": v}, "value": v}}
}

// buttonValueOf finds the rendered button with actionID.
func buttonValueOf(t *testing.T, r bot.Reply, actionID string) string {
	t.Helper()
	_, blocks := Render(r)
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
					return btn.Value
				}
			}
		}
	}
	t.Fatalf("no button %s in the rendering", actionID)
	return ""
}

func TestInteractions_ShareButtonPostsInChannel(t *testing.T) {
	whoowns := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
		return bot.Reply{
			Title: req.Arg(0), Text: "Owned by payments-team", Ephemeral: true,
			Buttons: []bot.Button{{Text: "Share in channel", Action: req.CommandLine(), Shared: true}},
		}, nil
	}}
	env := newTestEnv(t, router(bot.Command{Name: "whoowns", MinArgs: 1, Handler: whoowns}))

	// The first answer is ephemeral and carries the share button.
	rec := env.command(t, slashCommand("/whoowns", "payments-api", env.slack.hookURL("cmd")))
	var first slack.WebhookMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &first); err != nil || first.ResponseType != "ephemeral" {
		t.Fatalf("first answer %s: response_type %q, %v; want ephemeral", rec.Body, first.ResponseType, err)
	}
	value := buttonValueOf(t, whoowns.reply0(t), actionRun+"0")

	rec = env.interact(t, blockActions(env.slack.hookURL("press"), actionRun+"0", value))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("acknowledgement = %d %q, want an empty 200", rec.Code, rec.Body)
	}
	env.settle(t)

	reqs := whoowns.Requests()
	if len(reqs) != 2 || !reqs[1].Shared || reqs[1].Arg(0) != "payments-api" || reqs[1].User.ID != "U2147483697" {
		t.Fatalf("handler requests = %+v, want a second, shared /whoowns payments-api by U2147483697", reqs)
	}
	hooks := env.slack.callsTo("hook")
	if len(hooks) != 1 || hooks[0].Path != "/hooks/press" {
		t.Fatalf("response_url posts = %v, want one to the press's response_url", hooks)
	}
	if got := hooks[0].str("response_type"); got != "in_channel" {
		t.Errorf("shared answer response_type = %q, want in_channel", got)
	}
}

// reply0 renders what the handler answers for "/whoowns payments-api".
func (h *recorder) reply0(t *testing.T) bot.Reply {
	t.Helper()
	r, err := h.reply(t.Context(), bot.Request{Command: "whoowns", Args: []string{"payments-api"}})
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	return r
}

func TestInteractions_LinkAndForeignButtonsIgnored(t *testing.T) {
	h := &recorder{}
	env := newTestEnv(t, router(bot.Command{Name: "whoowns", Handler: h}))
	env.interact(t, blockActions(env.slack.hookURL("l"), actionLink+"0", ""))
	env.interact(t, blockActions(env.slack.hookURL("l"), "someone.else", `{"a":"/whoowns x"}`))
	env.interact(t, blockActions(env.slack.hookURL("l"), actionRun+"0", `not json`))
	env.interact(t, `{"type":"view_closed","view":{"callback_id":"callboard.form"}}`)
	env.settle(t)
	if n := len(h.Requests()); n != 0 {
		t.Errorf("handler ran %d times for presses that carry no command", n)
	}
}

func newServiceForm() bot.Form {
	return bot.Form{
		Title: "New service", SubmitLabel: "Create", SubmitAction: "/new-service create",
		Fields: []bot.FormField{
			{Name: "name", Label: "Name", Required: true},
			{Name: "template", Label: "Template", Options: []string{"go-service", "node-service"}, Required: true},
			{Name: "description", Label: "Description", Multiline: true},
		},
	}
}

func TestInteractions_ViewSubmission(t *testing.T) {
	form := newServiceForm()
	view, err := formView(form, "", formState{Action: form.SubmitAction, Channel: "C2147483705"})
	if err != nil {
		t.Fatalf("formView: %v", err)
	}
	valid := map[string]any{"name": textInput("payments-api"), "template": selected("go-service"), "description": textInput("")}

	t.Run("missing required field", func(t *testing.T) {
		h := &recorder{}
		env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: h}))
		state := maps.Clone(valid)
		state["name"] = textInput("   ")
		rec := env.interact(t, viewSubmission(t, view, state))
		var resp slack.ViewSubmissionResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer %q: %v", rec.Body, err)
		}
		if resp.ResponseAction != slack.RAErrors || resp.Errors["name"] == "" || len(resp.Errors) != 1 {
			t.Errorf("answer = %+v, want response_action errors for name only", resp)
		}
		env.settle(t)
		if n := len(h.Requests()); n != 0 {
			t.Errorf("handler ran %d times for an invalid submission", n)
		}
	})

	t.Run("option not offered", func(t *testing.T) {
		env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: &recorder{}}))
		state := maps.Clone(valid)
		state["template"] = selected("rust-service")
		rec := env.interact(t, viewSubmission(t, view, state))
		if !strings.Contains(rec.Body.String(), `"errors":{"template"`) {
			t.Errorf("answer = %s, want an error under template", rec.Body)
		}
	})

	t.Run("valid submission runs the submit action", func(t *testing.T) {
		h := &recorder{reply: func(_ context.Context, req bot.Request) (bot.Reply, error) {
			return bot.Reply{Text: "Creating " + req.Values["name"]}, nil
		}}
		env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: h}))
		rec := env.interact(t, viewSubmission(t, view, valid))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("acknowledgement = %d %q, want an empty 200 closing the modal", rec.Code, rec.Body)
		}
		env.settle(t)
		reqs := h.Requests()
		if len(reqs) != 1 {
			t.Fatalf("handler ran %d times, want 1", len(reqs))
		}
		want := map[string]string{"name": "payments-api", "template": "go-service"}
		if reqs[0].Arg(0) != "create" || !maps.Equal(reqs[0].Values, want) || reqs[0].Channel.ID != "C2147483705" {
			t.Errorf("handler got args %q values %v channel %q, want [create] %v C2147483705", reqs[0].Args, reqs[0].Values, reqs[0].Channel.ID, want)
		}
		posts := env.slack.callsTo("chat.postMessage")
		if len(posts) != 1 || posts[0].str("channel") != "C2147483705" || posts[0].str("text") != "Creating payments-api" {
			t.Errorf("posts = %v, want the answer in C2147483705", posts)
		}
	})

	t.Run("handler error about a field shown under it", func(t *testing.T) {
		h := &recorder{reply: func(context.Context, bot.Request) (bot.Reply, error) {
			return bot.Reply{}, bot.Errorf("name: payments-api already exists")
		}}
		env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: h}))
		rec := env.interact(t, viewSubmission(t, view, valid))
		var resp slack.ViewSubmissionResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &resp)
		if resp.ResponseAction != slack.RAErrors || resp.Errors["name"] != "payments-api already exists" {
			t.Errorf("answer = %s, want the error under name", rec.Body)
		}
	})

	t.Run("other handler errors posted", func(t *testing.T) {
		h := &recorder{reply: func(context.Context, bot.Request) (bot.Reply, error) {
			return bot.Reply{}, bot.Errorf("the template repository is archived")
		}}
		env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: h}))
		rec := env.interact(t, viewSubmission(t, view, valid))
		if rec.Body.Len() != 0 {
			t.Errorf("answer = %s, want an empty 200", rec.Body)
		}
		env.settle(t)
		eph := env.slack.callsTo("chat.postEphemeral")
		if len(eph) != 1 || eph[0].str("user") != "U2147483697" || !strings.Contains(eph[0].str("text"), "archived") {
			t.Errorf("ephemeral posts = %v, want the error to the submitter", eph)
		}
	})

	t.Run("slow submission answered later", func(t *testing.T) {
		release := make(chan struct{})
		h := &recorder{reply: func(context.Context, bot.Request) (bot.Reply, error) {
			<-release
			return bot.Reply{Text: "done"}, nil
		}}
		env := newTestEnv(t, router(bot.Command{Name: "new-service", Handler: h}), func(o *Options) {
			o.AnswerBudget = 20 * time.Millisecond
		})
		rec := env.interact(t, viewSubmission(t, view, valid))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("acknowledgement = %d %q, want an empty 200", rec.Code, rec.Body)
		}
		close(release)
		env.settle(t)
		if posts := env.slack.callsTo("chat.postMessage"); len(posts) != 1 || posts[0].str("text") != "done" {
			t.Errorf("posts = %v, want the late answer", posts)
		}
	})
}

func TestInteractions_MentionFormOpensOnPress(t *testing.T) {
	h := &recorder{reply: func(context.Context, bot.Request) (bot.Reply, error) {
		f := newServiceForm()
		return bot.Reply{Form: &f}, nil
	}}
	env := newTestEnv(t, router(bot.Command{
		Name: "new-service", Handler: h,
		Phrases: []bot.Phrase{{Pattern: "create a service", Expand: ""}},
	}))
	env.event(t, callback("EvForm", appMention("C1", "U2147483697", "<@"+testBotUser+"> create a service", "1700000005.000100")))
	env.settle(t)

	// A mention has no trigger_id: the answer is a button that opens the form.
	eph := env.slack.callsTo("chat.postEphemeral")
	if len(eph) != 1 {
		t.Fatalf("chat.postEphemeral called %d times, want 1 with an Open form button", len(eph))
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(eph[0].str("blocks")), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", eph[0].str("blocks"), err)
	}
	var value string
	for _, b := range blocks.BlockSet {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionForm {
					value = btn.Value
				}
			}
		}
	}
	if value == "" {
		t.Fatalf("no %s button in %s", actionForm, eph[0].str("blocks"))
	}

	env.interact(t, blockActions(env.slack.hookURL("open"), actionForm, value))
	env.settle(t)
	opens := env.slack.callsTo("views.open")
	if len(opens) != 1 || opens[0].str("trigger_id") != "9.8.7trigger" {
		t.Fatalf("views.open calls = %v, want one with the press's trigger", opens)
	}
	if n := len(h.Requests()); n != 2 {
		t.Errorf("handler ran %d times, want 2 (mention, then press)", n)
	}
}

func TestFieldProblem(t *testing.T) {
	view, _ := formView(newServiceForm(), "", formState{Action: "/x"})
	v := slack.View{Blocks: view.Blocks}
	for _, tt := range []struct {
		msg, id, text string
		ok            bool
	}{
		{"name: already taken", "name", "already taken", true},
		{"Template: not available", "template", "not available", true},
		{"Sorry, something went wrong (ref 12ab)", "", "", false},
		{"owner: unknown", "", "", false},
		{"name:", "", "", false},
	} {
		id, text, ok := fieldProblem(tt.msg, v)
		if id != tt.id || text != tt.text || ok != tt.ok {
			t.Errorf("fieldProblem(%q) = %q, %q, %v; want %q, %q, %v", tt.msg, id, text, ok, tt.id, tt.text, tt.ok)
		}
	}
}
