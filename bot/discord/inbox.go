package discord

import (
	"context"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/callboard/callboard/bot"
)

// Inbox durably keeps the inputs the adapter has acknowledged and not yet
// answered (see bot.Inbox); bot/boltstore.Inbox implements it.
type Inbox = bot.Inbox

const (
	// interactionResumeWindow is how old a deferred interaction may be and
	// still be answered after a restart: its token lasts 15 minutes, and
	// the work needs some of them.
	interactionResumeWindow = 14 * time.Minute
	// mentionResumeWindow is the same for a mention, whose reply needs no
	// token: an answer much later than half an hour reads as noise.
	mentionResumeWindow = 30 * time.Minute
	// maxRuns is how many times an input's work may start. An input whose
	// work keeps bringing the process down is not tried a fourth time.
	maxRuns = 3
)

// job is an input whose answer is owed after its acknowledgement, as the
// inbox keeps it.
type job = bot.Owed[kept]

// kept is an input as the router saw it and where its answer goes: the
// deferred interaction's original response, which its token edits (an
// edit is idempotent, so it is made again after any crash), or, for a
// mention, a reply to the message (a new message, so not sent twice).
type kept struct {
	Input       storedInput        `json:"routed"`
	Interaction *storedInteraction `json:"interaction,omitempty"`
	Reply       *storedReply       `json:"reply,omitempty"`
}

type storedInput struct {
	User     string            `json:"user"`
	UserName string            `json:"user_name,omitempty"`
	Channel  string            `json:"channel,omitempty"`
	Text     string            `json:"text"`
	Mention  bool              `json:"mention,omitempty"`
	Shared   bool              `json:"shared,omitempty"`
	Values   map[string]string `json:"values,omitempty"`
}

type storedInteraction struct {
	ID    string `json:"id"`
	AppID string `json:"app_id"`
	Token string `json:"token"`
}

type storedReply struct {
	MessageID string `json:"message_id"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id,omitempty"`
}

func storeInput(in bot.Input) storedInput {
	return storedInput{User: in.User.ID, UserName: in.User.Name, Channel: in.Channel.ID, Text: in.Text,
		Mention: in.Mention, Shared: in.Shared, Values: in.Values}
}

func (s storedInput) input() bot.Input {
	return bot.Input{Platform: Platform, User: bot.User{ID: s.User, Name: s.UserName}, Channel: bot.Channel{ID: s.Channel},
		Text: s.Text, Mention: s.Mention, Shared: s.Shared, Values: s.Values}
}

func (s *storedInteraction) interaction() *discordgo.Interaction {
	return &discordgo.Interaction{ID: s.ID, AppID: s.AppID, Token: s.Token}
}

func (r *storedReply) reference() *discordgo.MessageReference {
	fail := false
	return &discordgo.MessageReference{MessageID: r.MessageID, ChannelID: r.ChannelID, GuildID: r.GuildID, FailIfNotExists: &fail}
}

// valid reports whether an entry read back is one this version answers.
func (k kept) valid() bool {
	return (k.Interaction == nil) != (k.Reply == nil) && k.Input.User != ""
}

// cutShort reports whether Shutdown's deadline has cut short the work or
// the delivery for j: every context of the adapter's work derives from
// a.life, so nothing more can be sent, and j is left in the inbox for the
// next process (an edit is idempotent; a mention marked as sending gets
// its note). Work that finished just as the deadline passed is run again
// there: routed commands only read.
func (a *Adapter) cutShort(j *job) bool {
	if j == nil || a.life.Err() == nil {
		return false
	}
	a.log.Info("discord input cut short by shutdown, left for the next start", "input", j.ID)
	return true
}

// Resume answers the inputs that a process before this one acknowledged
// and did not answer, as Options.Inbox kept them. Call it when the router
// can answer (after the catalog's first sync); it does its work once, and
// nothing once Shutdown has begun. The work runs in the background like
// any input's; Resume returns once it has started it.
//
// A deferred interaction is answered again, by editing its original
// response, while its token lasts (14 minutes). A mention is answered
// again unless its reply had started to be posted, when the reply may
// already be there: a short note asks its author to ask again if not.
// Mentions older than 30 minutes are dropped (logged), and an input whose
// work has started three times is not tried again.
func (a *Adapter) Resume(ctx context.Context) error {
	if !a.ledger.Keeps() || !a.resumed.CompareAndSwap(false, true) {
		return nil
	}
	if ctx.Err() != nil || a.shuttingDown() {
		return ctx.Err() // its work would start under a shutdown and count as a run
	}
	jobs, err := a.ledger.Left(ctx, func(j *job) bool { return j.Input.valid() })
	if err != nil {
		return err
	}
	now := a.now()
	for _, j := range jobs {
		what := "your request"
		if t := j.Input.Input.Text; t != "" {
			what = strconv.Quote(t)
		}
		window := mentionResumeWindow
		if j.Input.Interaction != nil {
			window = interactionResumeWindow
		}
		switch {
		case now.Sub(j.Received) > window:
			a.log.WarnContext(ctx, "discord inbox: input too old to answer after a restart, dropped", "input", j.ID, "received", j.Received)
			a.ledger.Done(ctx, j)
		case j.Sending && j.Input.Reply != nil:
			a.log.WarnContext(ctx, "discord inbox: restarted while posting a reply", "input", j.ID)
			a.resumeWith(j, bot.Reply{Text: "Callboard restarted while it was posting its answer to " + what + ". If the answer is not here, please ask again."})
		case j.Runs >= maxRuns:
			a.log.ErrorContext(ctx, "discord inbox: input given up after repeated restarts", "input", j.ID, "runs", j.Runs)
			a.resumeWith(j, bot.Reply{Text: "Callboard stopped " + strconv.Itoa(j.Runs) + " times while working on " + what + ", so it has given up on it. Please ask again, and tell your platform team if this happens again.", Ephemeral: true})
		case a.shuttingDown():
			return nil // the rest is left for the next start, its runs uncounted
		case a.ledger.Take(ctx, j):
			a.log.InfoContext(ctx, "discord inbox: answering an input from before a restart", "input", j.ID, "run", j.Runs)
			in := j.Input.Input.input()
			if j.Input.Interaction != nil {
				a.answerLater(j.Input.Interaction.interaction(), in, j, j.Received.Add(interactionResumeWindow).Sub(now))
			} else {
				a.reply(in, j.Input.Reply, j)
			}
		}
	}
	return nil
}

func (a *Adapter) shuttingDown() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closing
}

// resumeWith answers j with r in place of its answer, and forgets j.
func (a *Adapter) resumeWith(j *job, r bot.Reply) {
	a.spawn(func() {
		ctx, cancel := context.WithTimeout(a.life, deliveryTimeout)
		defer cancel()
		in := j.Input.Input.input()
		msg := a.message(in, bot.Outcome{Status: bot.Failed, Reply: r})
		var err error
		if i := j.Input.Interaction; i != nil {
			err = a.editOriginal(ctx, i.interaction(), msg)
		} else {
			_, err = a.post(ctx, j.Input.Reply.ChannelID, msg, j.Input.Reply.reference())
		}
		if err != nil {
			a.log.Error("discord notice after a restart failed", "input", j.ID, "err", err)
		}
		if a.cutShort(j) {
			return
		}
		a.ledger.Done(ctx, j)
	})
}
