package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// messageKeyPrefix starts the Dedup key of a gateway message. The
// "discord:" namespace keeps it apart from other adapters' keys in a shared
// store (Slack's start with "event:", "message:" or "envelope:").
const messageKeyPrefix = "discord:message:"

// RunGateway connects to Discord's gateway with the bot token and serves
// interactions and mentions until ctx is done, then disconnects and returns
// nil; call Shutdown afterwards to wait for answers still in flight. Use it
// when Callboard has no public URL; an application must not have an
// Interactions Endpoint URL set as well, or Discord sends interactions there
// instead.
func (a *Adapter) RunGateway(ctx context.Context) error {
	if a.opts.BotToken == "" {
		return errors.New("run discord gateway: no bot token")
	}
	if a.opts.Dedup == nil {
		return errors.New("run discord gateway: no Options.Dedup to answer redelivered messages once")
	}
	removes := []func(){
		a.session.AddHandler(a.onInteractionCreate),
		a.session.AddHandler(a.onMessageCreate),
	}
	defer func() {
		for _, remove := range removes {
			remove()
		}
	}()
	if err := a.session.Open(); err != nil {
		return fmt.Errorf("open discord gateway: %w", redact(err))
	}
	a.log.InfoContext(ctx, "discord gateway connected")
	<-ctx.Done()
	if err := a.session.Close(); err != nil {
		return fmt.Errorf("close discord gateway: %w", err)
	}
	return nil
}

func (a *Adapter) onInteractionCreate(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	a.interact(ic.Interaction, a.gatewayResponder(ic.Interaction))
}

// onMessageCreate answers a message that mentions the bot, or any direct
// message, by posting the reply in the same channel as a reply to it.
// Messages from bots are ignored, and a redelivered message is answered
// once (see firstSeen). Ephemeral replies cannot be ephemeral here and are posted as is.
func (a *Adapter) onMessageCreate(s *discordgo.Session, m *discordgo.MessageCreate) {
	if m == nil || m.Message == nil || m.Author == nil || m.Author.Bot {
		return
	}
	botID := a.opts.AppID
	if s != nil && s.State != nil && s.State.User != nil {
		botID = s.State.User.ID
	}
	if botID == "" || m.Author.ID == botID {
		return
	}
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			mentioned = true
			break
		}
	}
	if !mentioned && m.GuildID != "" {
		return
	}
	nick := ""
	if m.Member != nil {
		nick = m.Member.Nick
	}
	in := bot.Input{
		Platform: Platform,
		User:     bot.User{ID: m.Author.ID, Name: displayName(m.Author, nick)},
		Channel:  bot.Channel{ID: m.ChannelID},
		Text:     stripMention(m.Content, botID),
		Mention:  true,
	}
	key := messageKeyPrefix + m.ChannelID + ":" + m.ID
	to := &storedReply{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID}
	var j *job
	if a.ledger.Keeps() {
		// Seen and kept in one step (see Inbox).
		var first bool
		if first, j = a.ledger.Accept(a.life, key, key, kept{Input: storeInput(in), Reply: to}); !first {
			return
		}
	} else if !a.firstSeen(key) {
		return
	}
	a.reply(in, to, j) // when Shutdown has begun, j is left for the next start
}

// reply answers a mention with a reply to its message, in the background,
// and forgets j once it is posted. It reports false, doing nothing, once
// Shutdown has begun.
func (a *Adapter) reply(in bot.Input, to *storedReply, j *job) bool {
	return a.spawn(func() {
		ctx, cancel := context.WithTimeout(a.life, mentionTimeout)
		defer cancel()
		out := a.handle(ctx, in)
		if a.cutShort(j) {
			return
		}
		if out.Status != bot.Ignored {
			a.ledger.Sending(ctx, j)
			if _, err := a.post(ctx, to.ChannelID, a.message(in, out), to.reference()); err != nil {
				a.log.Error("discord mention reply failed", "channel", to.ChannelID, "user", in.User.ID, "err", err)
				if a.cutShort(j) {
					return // marked as sending: the next process posts a note
				}
			}
		}
		a.ledger.Done(ctx, j)
	})
}

// stripMention removes mentions of botID (<@id> and <@!id>) and tidies the
// spaces left behind.
func stripMention(text, botID string) string {
	text = strings.ReplaceAll(text, "<@"+botID+">", " ")
	text = strings.ReplaceAll(text, "<@!"+botID+">", " ")
	return strings.Join(strings.Fields(text), " ")
}

// firstSeen records key in Options.Dedup and reports whether it had not
// been seen before. When the store fails it reports true, as the Slack
// adapter does: a rare double answer beats a lost one. Without a Dedup,
// which only handlers driven directly can lack since RunGateway refuses to
// start without one, every delivery is new.
func (a *Adapter) firstSeen(key string) bool {
	if a.opts.Dedup == nil {
		return true
	}
	first, err := a.opts.Dedup.FirstSeen(key, a.now())
	if err != nil {
		a.log.Error("discord dedup unavailable, answering anyway", "key", key, "err", err)
		return true
	}
	return first
}
