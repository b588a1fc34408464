package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	// slack-go's parser reads the request again; give it the bytes that
	// were verified. It copies what it keeps.
	r.Body = io.NopCloser(bytes.NewReader(body))
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	ack := a.interaction(r.Context(), ic)
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, ack)
}

// interaction handles a button press or modal submission and returns the
// acknowledgement's payload, nil for an empty one. It returns within the
// answer budget.
func (a *Adapter) interaction(ctx context.Context, ic slack.InteractionCallback) *slack.ViewSubmissionResponse {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		a.press(ctx, ic)
	case slack.InteractionTypeViewSubmission:
		return a.submit(ctx, ic)
	default:
		a.log.DebugContext(ctx, "slack interaction ignored", "type", string(ic.Type))
	}
	return nil
}

// press runs the command a pressed button carries in its value. The answer
// goes through the press's response_url, in channel when the reply is not
// ephemeral (a "Share in channel" button's is not).
func (a *Adapter) press(ctx context.Context, ic slack.InteractionCallback) {
	for _, act := range ic.ActionCallback.BlockActions {
		if !strings.HasPrefix(act.ActionID, "callboard.") || strings.HasPrefix(act.ActionID, actionLink) {
			continue
		}
		var v buttonValue
		if err := json.Unmarshal([]byte(act.Value), &v); err != nil || strings.TrimSpace(v.Action) == "" {
			a.log.WarnContext(ctx, "slack button value not understood", "action_id", act.ActionID, "err", err)
			continue
		}
		channel := ic.Channel.ID
		if channel == "" {
			channel = ic.Container.ChannelID
		}
		in := bot.Input{
			User:    bot.User{ID: ic.User.ID, Name: ic.User.Name},
			Channel: bot.Channel{ID: channel, Name: ic.Channel.Name},
			Text:    v.Action,
			Mention: v.Mention,
			Shared:  v.Shared,
		}
		o := origin{
			channel:     channel,
			user:        ic.User.ID,
			thread:      ic.Container.ThreadTs,
			responseURL: ic.ResponseURL,
			triggerID:   ic.TriggerID,
			text:        v.Action,
		}
		// A form must open within 3 seconds of the press: the router runs
		// at once and the modal opens as soon as it answers.
		a.mayHold(&o)
		o.job = a.ledger.Record(ctx, lateID(&o), kept{Routed: storeInput(in, o)})
		a.background(func(ctx context.Context) { a.deliverLate(ctx, o, a.handle(o.holding(ctx), in)) })
		return
	}
}

// submit checks a submitted form within the acknowledgement's 3 seconds,
// answering problems with response_action "errors", then runs its command
// with the values. A command that answers within the budget can still put
// an error under a field (see fieldProblem) or replace the form with the
// next one; later answers are posted to the channel the form came from.
func (a *Adapter) submit(ctx context.Context, ic slack.InteractionCallback) *slack.ViewSubmissionResponse {
	if ic.View.CallbackID != formCallbackID {
		return nil
	}
	var st formState
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &st); err != nil || st.Action == "" {
		a.log.WarnContext(ctx, "slack form state not understood", "view", ic.View.ID, "err", err)
		return nil
	}
	values, problems := formValues(ic.View)
	if len(problems) > 0 {
		return slack.NewErrorsViewSubmissionResponse(problems)
	}
	in := bot.Input{
		User:    bot.User{ID: ic.User.ID, Name: ic.User.Name},
		Channel: bot.Channel{ID: st.Channel},
		Text:    st.Action,
		Values:  values,
	}
	o := origin{channel: st.Channel, user: ic.User.ID, thread: st.Thread, triggerID: ic.TriggerID, text: st.Action}
	out, ok := a.run(in, &o)
	if !ok {
		return nil
	}
	switch {
	case out.Status == bot.Failed || out.Status == bot.Usage:
		if id, msg, ok := fieldProblem(out.Reply.Text, ic.View); ok {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{id: msg})
		}
	case out.Reply.Form != nil:
		next := *out.Reply.Form
		view, err := formView(next, out.Reply.Text, formState{Action: next.SubmitAction, Channel: st.Channel, Thread: st.Thread})
		if err == nil {
			return &slack.ViewSubmissionResponse{ResponseAction: slack.RAUpdate, View: &view}
		}
		a.log.WarnContext(ctx, "slack next form not shown", "err", err)
		out.Reply.Form = nil
	}
	a.background(func(ctx context.Context) { a.deliver(ctx, o, out) })
	return nil
}
