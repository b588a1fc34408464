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
	ack := a.acks.get()
	ack.writeAck(out.Reply, nil, &a.sections)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// A known length spares the answer chunked encoding, which net/http
	// uses for bodies over 2 KB written without one.
	h.Set("Content-Length", strconv.Itoa(len(ack.out)))
	_, _ = w.Write(ack.out)
	a.acks.put(ack) // Write has copied the answer
	a.log.DebugContext(r.Context(), "slack command answered inline", "command", cmd.Command, "channel", cmd.ChannelID)
}

// parseSlashCommand reads a slash command from a verified request body,
// which Slack sends form-encoded. It reads the fields as
// slack.SlashCommandParse does (the first of repeated keys; a malformed
// form is an error), without reading the request again or building a map
// of the whole form. The values it keeps are copied into one string: they
// share nothing with body, a pooled buffer, and cost one allocation.
func parseSlashCommand(h http.Header, body []byte) (slack.SlashCommand, error) {
	if ct := h.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return slack.SlashCommand{}, fmt.Errorf("slash command sent as %q, not a form", ct)
		}
	}
	if bytes.Count(body, []byte("&")) >= maxFormFields {
		// Past this net/url refuses the form (its limit depends on
		// GODEBUG); let it decide.
		if _, err := url.ParseQuery(string(body)); err != nil {
			return slack.SlashCommand{}, fmt.Errorf("read slash command form: %w", err)
		}
	}
	// The loop is net/url's parseQuery, keeping only the fields Slack
	// sends, unescaped into buf: on the stack unless the form is large.
	var stack [1024]byte
	buf := stack[:0]
	var spans slashSpans
	var seen uint32
	for rest := body; len(rest) > 0; {
		var pair []byte
		pair, rest, _ = bytes.Cut(rest, []byte("&"))
		if bytes.IndexByte(pair, ';') >= 0 {
			return slack.SlashCommand{}, errors.New("read slash command form: invalid semicolon separator in query")
		}
		if len(pair) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(pair, []byte("="))
		mark := len(buf)
		var err error
		if buf, err = appendQueryUnescaped(buf, k); err != nil {
			return slack.SlashCommand{}, fmt.Errorf("read slash command form: %w", err)
		}
		field := slashField(buf[mark:])
		if buf, err = appendQueryUnescaped(buf[:mark], v); err != nil {
			return slack.SlashCommand{}, fmt.Errorf("read slash command form: %w", err)
		}
		if field < 0 || seen&(1<<field) != 0 { // the first value, as url.Values.Get
			buf = buf[:mark]
			continue
		}
		seen |= 1 << field
		spans[field].start, spans[field].end = mark, len(buf)
	}
	return spans.command(string(buf)), nil
}

// slashSpans are where in the unescaped values each field's value is.
type slashSpans [numSlashFields]struct{ start, end int }

// command is the slash command whose values are values.
func (spans *slashSpans) command(values string) slack.SlashCommand {
	get := func(field int) string { return values[spans[field].start:spans[field].end] }
	return slack.SlashCommand{
		Token:               get(slashToken),
		TeamID:              get(slashTeamID),
		TeamDomain:          get(slashTeamDomain),
		EnterpriseID:        get(slashEnterpriseID),
		EnterpriseName:      get(slashEnterpriseName),
		IsEnterpriseInstall: get(slashIsEnterpriseInstall) == "true",
		ChannelID:           get(slashChannelID),
		ChannelName:         get(slashChannelName),
		UserID:              get(slashUserID),
		UserName:            get(slashUserName),
		Command:             get(slashCommandName),
		Text:                get(slashText),
		ResponseURL:         get(slashResponseURL),
		TriggerID:           get(slashTriggerID),
		APIAppID:            get(slashAPIAppID),
	}
}

// The form fields of a slash command that parseSlashCommand keeps.
const (
	slashToken = iota
	slashTeamID
	slashTeamDomain
	slashEnterpriseID
	slashEnterpriseName
	slashIsEnterpriseInstall
	slashChannelID
	slashChannelName
	slashUserID
	slashUserName
	slashCommandName
	slashText
	slashResponseURL
	slashTriggerID
	slashAPIAppID
	numSlashFields
)

// slashField returns the field a form key names, or -1 for one
// parseSlashCommand does not keep.
func slashField(key []byte) int {
	switch string(key) { // no copy: the conversion is only compared
	case "token":
		return slashToken
	case "team_id":
		return slashTeamID
	case "team_domain":
		return slashTeamDomain
	case "enterprise_id":
		return slashEnterpriseID
	case "enterprise_name":
		return slashEnterpriseName
	case "is_enterprise_install":
		return slashIsEnterpriseInstall
	case "channel_id":
		return slashChannelID
	case "channel_name":
		return slashChannelName
	case "user_id":
		return slashUserID
	case "user_name":
		return slashUserName
	case "command":
		return slashCommandName
	case "text":
		return slashText
	case "response_url":
		return slashResponseURL
	case "trigger_id":
		return slashTriggerID
	case "api_app_id":
		return slashAPIAppID
	}
	return -1
}

// appendQueryUnescaped appends url.QueryUnescape(string(s)) to dst, or
// returns the error it returns.
func appendQueryUnescaped(dst, s []byte) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				_, err := url.QueryUnescape(string(s)) // its error, word for word
				return dst, err
			}
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
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
	out, ok := a.run(in, &o)
	if !ok || out.Status == bot.Ignored {
		return bot.Outcome{}, false
	}
	if out.Reply.Form != nil {
		a.openFormLater(o, out.Reply)
		return bot.Outcome{}, false
	}
	if id, _ := o.hold.view(); id != "" {
		a.releaseHoldLater(o)
	}
	return out, true
}

// openFormLater opens r's form after the acknowledgement. The closure
// captures a copy made only here: capturing the caller's outcome moved it
// to the heap on every command.
func (a *Adapter) openFormLater(o origin, r bot.Reply) {
	a.background(func(ctx context.Context) { a.openForm(ctx, o, r) })
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
