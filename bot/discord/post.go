package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// postData is a message to create, optionally as a reply.
type postData struct {
	Message
	Reference *discordgo.MessageReference `json:"message_reference,omitempty"`
}

// Post sends r to a channel as a new message and returns its id, for Update.
// It waits, as long as ctx allows, for Discord's rate limits, and sends the
// message at most once: only a 429, which Discord did not act on, is
// retried. An error after which the message may exist all the same (a 5xx,
// no answer) has MaybeDelivered() true, as notifier.Poster asks. A reply's
// Form becomes a button anyone can use to open it;
// Ephemeral is ignored, channel messages are always public. An error
// wrapping ErrRateLimited means the limit outlasted ctx or 30 seconds.
func (a *Adapter) Post(ctx context.Context, channelID string, r bot.Reply) (string, error) {
	if a.opts.BotToken == "" {
		return "", errors.New("post to discord: no bot token")
	}
	id, err := a.post(ctx, channelID, a.message(bot.Input{}, bot.Outcome{Status: bot.Answered, Reply: r}), nil)
	if err != nil {
		return "", err
	}
	return id, nil
}

func (a *Adapter) post(ctx context.Context, channelID string, m Message, ref *discordgo.MessageReference) (string, error) {
	if !isSnowflake(channelID) {
		return "", fmt.Errorf("post to discord channel %q: not a channel id", channelID)
	}
	m.Flags = 0
	ep := discordgo.EndpointChannelMessages(channelID)
	body, err := a.session.RequestWithBucketID(http.MethodPost, ep, postData{Message: m, Reference: ref}, ep, discordgo.WithContext(ctx))
	if err != nil {
		maybe := unanswered(err) // before redact, which replaces the error types it reads
		err = fmt.Errorf("post to discord channel %s: %w", channelID, redact(err))
		if maybe {
			return "", &maybeDelivered{err}
		}
		return "", err
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		// Discord accepted the message but its id is unknown.
		return "", &maybeDelivered{fmt.Errorf("post to discord channel %s: response has no message id", channelID)}
	}
	return created.ID, nil
}

// unanswered reports whether a post failed in a way that leaves the
// message possibly created: a 502 or other 5xx (Discord may have acted
// before failing; discordgo reports a 502 it gave up on as a plain error),
// or no answer at all after the request may have gone out. A 4xx, a 429
// that outlasted the wait, a refused connection or a rate-limit wait that
// ctx ended (the limiter reports it as ErrRateLimited) created nothing. It
// reads the error as discordgo returns it, before redact.
func unanswered(err error) bool {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		return rest.Response != nil && rest.Response.StatusCode >= http.StatusInternalServerError
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) || errors.Is(err, ErrRateLimited) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var ue *url.Error
	if !errors.As(err, &ue) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return false // ended before the request was sent
	}
	return true
}

// maybeDelivered is a post error after which the message may be in the
// channel all the same (notifier.MaybeDelivered).
type maybeDelivered struct{ err error }

func (e *maybeDelivered) Error() string        { return e.err.Error() + " (the message may have been posted)" }
func (e *maybeDelivered) Unwrap() error        { return e.err }
func (e *maybeDelivered) MaybeDelivered() bool { return true }

// Update replaces a message sent by Post with r, under the same rate-limit
// rules. Editing is idempotent, so callers may retry it.
func (a *Adapter) Update(ctx context.Context, channelID, messageID string, r bot.Reply) error {
	if a.opts.BotToken == "" {
		return errors.New("update discord message: no bot token")
	}
	if !isSnowflake(channelID) || !isSnowflake(messageID) {
		return fmt.Errorf("update discord message %q in channel %q: not a message id", messageID, channelID)
	}
	m := a.message(bot.Input{}, bot.Outcome{Status: bot.Answered, Reply: r})
	m.Flags = 0
	ep := discordgo.EndpointChannelMessage(channelID, messageID)
	if _, err := a.session.RequestWithBucketID(http.MethodPatch, ep, m, discordgo.EndpointChannelMessage(channelID, ""), discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("update discord message %s in channel %s: %w", messageID, channelID, redact(err))
	}
	return nil
}
