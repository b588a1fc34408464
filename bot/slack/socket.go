package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Run serves commands, interactions and events over Socket Mode until ctx
// is done, for deployments without a public URL. It needs Options.AppToken.
// slack-go reconnects when Slack sends "disconnect" or the connection drops;
// Run returns nil once ctx is cancelled, or the error that ended the
// connection for good (such as an invalid token).
func (a *Adapter) Run(ctx context.Context) error {
	if !strings.HasPrefix(string(a.opts.AppToken), "xapp-") {
		return errors.New("slack: Socket Mode needs Options.AppToken, an app-level token (xapp-…)")
	}
	client := socketmode.New(a.api,
		socketmode.OptionLog(slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case evt := <-client.Events:
			a.socketEvent(ctx, client, evt)
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		}
	}
}

// acker sends a Socket Mode acknowledgement; *socketmode.Client.AckCtx
// is one.
type acker func(ctx context.Context, envelopeID string, payload any) error

func (a *Adapter) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.log.InfoContext(ctx, "slack socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth,
		socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		a.log.WarnContext(ctx, "slack socket mode trouble", "event", string(evt.Type), "detail", fmt.Sprint(evt.Data))
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		// Each envelope gets its own goroutine: a command may take the
		// whole answer budget before its acknowledgement.
		a.work.Go(func() { a.envelope(ctx, client.AckCtx, evt) })
	default:
		a.log.DebugContext(ctx, "slack socket mode event", "event", string(evt.Type))
	}
}

// envelope acknowledges one Socket Mode request, with an answer when one is
// ready within the budget, and processes it once however often Slack
// delivers it.
func (a *Adapter) envelope(ctx context.Context, ack acker, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	id := evt.Request.EnvelopeID
	var payload any
	if data, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
		// Seen by its event id, and kept in the inbox, in one step before
		// the acknowledgement (see Inbox): a seen envelope id written
		// first would drop the redelivery of an event a crash lost.
		a.event(ctx, data)
	} else if a.firstSeen(ctx, "envelope:"+id) {
		switch data := evt.Data.(type) {
		case slack.SlashCommand:
			if msg := a.command(ctx, data, maxAckPayload); msg != nil {
				payload = msg
			}
		case slack.InteractionCallback:
			if resp := a.interaction(ctx, data); resp != nil {
				payload = resp
			}
		}
	}
	if payload != nil {
		if b, err := json.Marshal(payload); err != nil || len(b) >= maxAckPayload {
			a.log.WarnContext(ctx, "slack acknowledgement too large, sent empty", "envelope", id, "bytes", len(b))
			payload = nil
		}
	}
	if err := ack(ctx, id, payload); err != nil {
		a.log.ErrorContext(ctx, "slack socket mode acknowledgement failed", "envelope", id, "err", err)
	}
}
