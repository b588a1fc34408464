package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

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
// retried. A reply's Form becomes a button anyone can use to open it;
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
		return "", fmt.Errorf("post to discord channel %s: %w", channelID, redact(err))
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		return "", fmt.Errorf("post to discord channel %s: response has no message id", channelID)
	}
	return created.ID, nil
}

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
