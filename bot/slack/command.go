package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// maxAckPayload keeps a Socket Mode acknowledgement, envelope included,
// under the 20 KB that Slack silently drops.
const maxAckPayload = 19 * 1024

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, _ []byte) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.Command == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	ack := a.command(r.Context(), cmd, 0)
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, ack)
}

// command runs a slash command and returns the message to acknowledge it
// with, or nil for an empty acknowledgement (the answer then follows through
// the response_url). maxAck, when positive, bounds the acknowledgement's
// encoded size. It returns within the answer budget.
func (a *Adapter) command(ctx context.Context, cmd slack.SlashCommand, maxAck int) *slack.WebhookMessage {
	text := strings.TrimSpace(cmd.Command + " " + cmd.Text)
	in := bot.Input{
		User:    bot.User{ID: cmd.UserID, Name: cmd.UserName},
		Channel: bot.Channel{ID: cmd.ChannelID, Name: cmd.ChannelName},
		Text:    text,
	}
	o := origin{
		channel:     cmd.ChannelID,
		user:        cmd.UserID,
		responseURL: cmd.ResponseURL,
		triggerID:   cmd.TriggerID,
		text:        text,
	}
	out, ok := a.run(in, o)
	if !ok || out.Status == bot.Ignored {
		return nil
	}
	if out.Reply.Form != nil {
		a.background(func(ctx context.Context) { a.openForm(ctx, o, out.Reply) })
		return nil
	}
	msg := inlineMessage(out.Reply)
	if maxAck > 0 {
		if b, err := json.Marshal(msg); err != nil || len(b) >= maxAck {
			a.background(func(ctx context.Context) { a.deliver(ctx, o, out) })
			return nil
		}
	}
	a.log.DebugContext(ctx, "slack command answered inline", "command", cmd.Command, "channel", cmd.ChannelID)
	return msg
}

// inlineMessage is a reply as the body of an acknowledgement, which Slack
// shows only to the user unless response_type is in_channel.
func inlineMessage(r bot.Reply) *slack.WebhookMessage {
	fallback, blocks := Render(r)
	responseType := slack.ResponseTypeInChannel
	if r.Ephemeral {
		responseType = slack.ResponseTypeEphemeral
	}
	return &slack.WebhookMessage{Text: fallback, Blocks: &slack.Blocks{BlockSet: blocks}, ResponseType: responseType}
}

// ackBody is an inline answer as Slack reads it. Encoding the blocks as a
// plain slice skips slack.Blocks' own MarshalJSON, whose output the encoder
// would re-scan; the fields left out (replace_original, delete_original)
// default to false.
type ackBody struct {
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
	ResponseType string        `json:"response_type,omitempty"`
}

func writeJSON(w http.ResponseWriter, v any) {
	if m, ok := v.(*slack.WebhookMessage); ok && !m.ReplaceOriginal && !m.DeleteOriginal {
		body := ackBody{Text: m.Text, ResponseType: m.ResponseType}
		if m.Blocks != nil {
			body.Blocks = m.Blocks.BlockSet
		}
		v = body
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // mrkdwn is already escaped; \u003c only costs bytes
	if err := enc.Encode(v); err != nil {
		http.Error(w, "cannot encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}
