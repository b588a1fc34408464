package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// maxAckPayload keeps a Socket Mode acknowledgement, envelope included,
// under the 20 KB that Slack silently drops.
const maxAckPayload = 19 * 1024

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	cmd, err := parseSlashCommand(r.Header, body)
	if err != nil || cmd.Command == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	out, ok := a.commandOutcome(r.Context(), cmd)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	fallback, blocks := render(out.Reply, nil, &a.sections)
	buf := a.buffers.get()
	*buf = appendAck((*buf)[:0], fallback, blocks, responseType(out.Reply))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// A known length spares the answer chunked encoding, which net/http
	// uses for bodies over 2 KB written without one.
	h.Set("Content-Length", strconv.Itoa(len(*buf)))
	_, _ = w.Write(*buf)
	a.buffers.put(buf)
	a.log.DebugContext(r.Context(), "slack command answered inline", "command", cmd.Command, "channel", cmd.ChannelID)
}

// parseSlashCommand reads a slash command from a verified request body,
// which Slack sends form-encoded. It reads the fields as
// slack.SlashCommandParse does (the first of repeated keys; a malformed
// form is an error), without reading the request again or building a map
// of the whole form.
func parseSlashCommand(h http.Header, body []byte) (slack.SlashCommand, error) {
	var cmd slack.SlashCommand
	if ct := h.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return cmd, fmt.Errorf("slash command sent as %q, not a form", ct)
		}
	}
	query := string(body)
	if strings.Count(query, "&") >= maxFormFields {
		// Past this net/url refuses the form (its limit depends on
		// GODEBUG); let it decide.
		if _, err := url.ParseQuery(query); err != nil {
			return cmd, fmt.Errorf("read slash command form: %w", err)
		}
	}
	var enterpriseInstall string
	var seen uint16
	// The loop is net/url's parseQuery, keeping only the fields Slack sends.
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if strings.Contains(pair, ";") {
			return cmd, errors.New("read slash command form: invalid semicolon separator in query")
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return cmd, fmt.Errorf("read slash command form: %w", err)
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return cmd, fmt.Errorf("read slash command form: %w", err)
		}
		var dst *string
		var bit uint16
		switch k {
		case "token":
			dst, bit = &cmd.Token, 1<<0
		case "team_id":
			dst, bit = &cmd.TeamID, 1<<1
		case "team_domain":
			dst, bit = &cmd.TeamDomain, 1<<2
		case "enterprise_id":
			dst, bit = &cmd.EnterpriseID, 1<<3
		case "enterprise_name":
			dst, bit = &cmd.EnterpriseName, 1<<4
		case "is_enterprise_install":
			dst, bit = &enterpriseInstall, 1<<5
		case "channel_id":
			dst, bit = &cmd.ChannelID, 1<<6
		case "channel_name":
			dst, bit = &cmd.ChannelName, 1<<7
		case "user_id":
			dst, bit = &cmd.UserID, 1<<8
		case "user_name":
			dst, bit = &cmd.UserName, 1<<9
		case "command":
			dst, bit = &cmd.Command, 1<<10
		case "text":
			dst, bit = &cmd.Text, 1<<11
		case "response_url":
			dst, bit = &cmd.ResponseURL, 1<<12
		case "trigger_id":
			dst, bit = &cmd.TriggerID, 1<<13
		case "api_app_id":
			dst, bit = &cmd.APIAppID, 1<<14
		default:
			continue
		}
		if seen&bit == 0 { // the first value, as url.Values.Get
			seen |= bit
			*dst = v
		}
	}
	cmd.IsEnterpriseInstall = enterpriseInstall == "true"
	return cmd, nil
}

// maxFormFields is net/url's default limit on the fields of a form.
const maxFormFields = 10000

// command runs a slash command and returns the message to acknowledge it
// with, or nil for an empty acknowledgement (the answer then follows through
// the response_url). maxAck, when positive, bounds the acknowledgement's
// encoded size. It returns within the answer budget.
func (a *Adapter) command(ctx context.Context, cmd slack.SlashCommand, maxAck int) *slack.WebhookMessage {
	out, ok := a.commandOutcome(ctx, cmd)
	if !ok {
		return nil
	}
	msg := inlineMessage(out.Reply)
	if maxAck > 0 {
		if b, err := json.Marshal(msg); err != nil || len(b) >= maxAck {
			o := commandOrigin(cmd)
			a.background(func(ctx context.Context) { a.deliver(ctx, o, out) })
			return nil
		}
	}
	a.log.DebugContext(ctx, "slack command answered inline", "command", cmd.Command, "channel", cmd.ChannelID)
	return msg
}

// commandOutcome runs a slash command within the answer budget. It returns
// the outcome to answer inline with, or false when there is nothing to
// answer inline: the command is ignored, opens a form, or is still running
// (its answer then follows through the response_url).
func (a *Adapter) commandOutcome(ctx context.Context, cmd slack.SlashCommand) (bot.Outcome, bool) {
	o := commandOrigin(cmd)
	in := bot.Input{
		User:    bot.User{ID: cmd.UserID, Name: cmd.UserName},
		Channel: bot.Channel{ID: cmd.ChannelID, Name: cmd.ChannelName},
		Text:    o.text,
	}
	out, ok := a.run(in, o)
	if !ok || out.Status == bot.Ignored {
		return bot.Outcome{}, false
	}
	if out.Reply.Form != nil {
		a.background(func(ctx context.Context) { a.openForm(ctx, o, out.Reply) })
		return bot.Outcome{}, false
	}
	return out, true
}

func commandOrigin(cmd slack.SlashCommand) origin {
	return origin{
		channel:     cmd.ChannelID,
		user:        cmd.UserID,
		responseURL: cmd.ResponseURL,
		triggerID:   cmd.TriggerID,
		text:        strings.TrimSpace(cmd.Command + " " + cmd.Text),
	}
}

// inlineMessage is a reply as the body of an acknowledgement, which Slack
// shows only to the user unless response_type is in_channel.
func inlineMessage(r bot.Reply) *slack.WebhookMessage {
	fallback, blocks := Render(r)
	return &slack.WebhookMessage{Text: fallback, Blocks: &slack.Blocks{BlockSet: blocks}, ResponseType: responseType(r)}
}

// responseType is where Slack shows a reply sent as a command's answer.
func responseType(r bot.Reply) string {
	if r.Ephemeral {
		return slack.ResponseTypeEphemeral
	}
	return slack.ResponseTypeInChannel
}

func writeJSON(w http.ResponseWriter, v any) {
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

// bufferPool recycles the buffers inline answers are encoded into, which
// are a few kilobytes each.
type bufferPool struct{ p sync.Pool }

// maxPooledBuffer keeps the rare huge answer's buffer out of the pool.
const maxPooledBuffer = 64 << 10

func (bp *bufferPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 8<<10)
	return &b
}

func (bp *bufferPool) put(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		bp.p.Put(b)
	}
}
