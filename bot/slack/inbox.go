package slack

import (
	"context"
	"strconv"
	"time"

	"github.com/callboard/callboard/bot"
)

// Inbox durably keeps the inputs the adapter has acknowledged and not yet
// answered (see bot.Inbox); bot/boltstore.Inbox implements it.
type Inbox = bot.Inbox

const (
	// resumeWindow is how old an unanswered input may be and still be
	// answered after a restart: a response_url lasts 30 minutes, and an
	// answer much later than that reads as noise.
	resumeWindow = 30 * time.Minute
	// maxRuns is how many times an input's work may start. An input whose
	// work keeps bringing the process down is not tried a fourth time.
	maxRuns = 3
)

// job is an input whose answer is owed after its acknowledgement, as the
// inbox keeps it.
type job = bot.Owed[kept]

// kept is what the router needs to answer an input again and what
// delivery needs to find the conversation: an @-mention or direct message,
// which is filtered (bots, subtypes) and stripped of its mention before the
// router sees it, or an input routed as it is (commands, button presses,
// form submissions).
type kept struct {
	Mention *storedMessage `json:"mention,omitempty"`
	Routed  *storedInput   `json:"routed,omitempty"`
}

type storedMessage struct {
	EventID   string `json:"event_id"`
	Self      string `json:"self,omitempty"`
	Channel   string `json:"channel"`
	User      string `json:"user,omitempty"`
	BotID     string `json:"bot_id,omitempty"`
	Subtype   string `json:"subtype,omitempty"`
	Text      string `json:"text"`
	TS        string `json:"ts,omitempty"`
	Thread    string `json:"thread,omitempty"`
	Addressed bool   `json:"addressed,omitempty"`
}

type storedInput struct {
	User        string            `json:"user"`
	UserName    string            `json:"user_name,omitempty"`
	Channel     string            `json:"channel,omitempty"`
	ChannelName string            `json:"channel_name,omitempty"`
	Text        string            `json:"text"`
	Mention     bool              `json:"mention,omitempty"`
	Shared      bool              `json:"shared,omitempty"`
	Values      map[string]string `json:"values,omitempty"`
	Thread      string            `json:"thread,omitempty"`
	ResponseURL string            `json:"response_url,omitempty"`
}

func (m message) stored() *storedMessage {
	return &storedMessage{m.eventID, m.self, m.channel, m.user, m.botID, m.subtype, m.text, m.ts, m.thread, m.addressed}
}

func (s *storedMessage) message() message {
	return message{s.EventID, s.Self, s.Channel, s.User, s.BotID, s.Subtype, s.Text, s.TS, s.Thread, s.Addressed}
}

func storeInput(in bot.Input, o origin) *storedInput {
	return &storedInput{
		User: in.User.ID, UserName: in.User.Name, Channel: in.Channel.ID, ChannelName: in.Channel.Name,
		Text: in.Text, Mention: in.Mention, Shared: in.Shared, Values: in.Values,
		Thread: o.thread, ResponseURL: o.responseURL,
	}
}

func (s *storedInput) input() (bot.Input, origin) {
	in := bot.Input{
		User:    bot.User{ID: s.User, Name: s.UserName},
		Channel: bot.Channel{ID: s.Channel, Name: s.ChannelName},
		Text:    s.Text, Mention: s.Mention, Shared: s.Shared, Values: s.Values,
	}
	return in, origin{channel: s.Channel, user: s.User, thread: s.Thread, responseURL: s.ResponseURL, text: s.Text}
}

// describe is how notices name the input to its user.
func (k kept) describe() string {
	switch {
	case k.Routed != nil && k.Routed.Text != "":
		return strconv.Quote(k.Routed.Text)
	case k.Mention != nil && k.Mention.message().words() != "":
		return strconv.Quote(k.Mention.message().words())
	}
	return "your request"
}

// origin is where the answer goes.
func (k kept) origin() origin {
	if m := k.Mention; m != nil {
		return origin{channel: m.Channel, user: m.User, thread: m.Thread, text: m.message().words()}
	}
	_, o := k.Routed.input()
	return o
}

// valid reports whether an entry read back is one this version answers.
func (k kept) valid() bool { return (k.Mention == nil) != (k.Routed == nil) }

// accept is firstSeen(key) and, with an inbox, keeping k under id, in one
// step (see bot.Ledger.Accept).
func (a *Adapter) accept(ctx context.Context, key, id string, k kept) (first bool, j *job) {
	if !a.ledger.Keeps() {
		return a.firstSeen(ctx, key), nil
	}
	return a.ledger.Accept(ctx, key, id, k)
}

// Resume answers the inputs that a process before this one acknowledged
// and did not answer, as Options.Inbox kept them. Call it when the router
// can answer (after the catalog's first sync); it does its work once, and
// nothing once Shutdown has begun. The work runs in the background like
// any input's; Resume returns once it has started it.
//
// An input is answered again unless delivery of its answer had started,
// when the answer may already be in the conversation: its user is told
// to ask again if it is not. Inputs older than 30 minutes are dropped
// (logged), and one whose work has started three times is not tried again.
func (a *Adapter) Resume(ctx context.Context) error {
	if !a.ledger.Keeps() || !a.resumed.CompareAndSwap(false, true) {
		return nil
	}
	if ctx.Err() != nil || a.stopping.Load() {
		// Its work would start under a shutdown and count as a run.
		return ctx.Err()
	}
	jobs, err := a.ledger.Left(ctx, func(j *job) bool { return j.Input.valid() })
	if err != nil {
		return err
	}
	now := a.opts.Now()
	// One message may have come as two events (app_mention and
	// message.im), both kept before either reached the message's
	// seen-key, which resumed mentions do not consult: the first stands
	// for both.
	messages := map[string]bool{}
	for _, j := range jobs {
		what := j.Input.describe()
		var message string
		if m := j.Input.Mention; m != nil && m.TS != "" {
			message = m.Channel + ":" + m.TS
		}
		switch {
		case message != "" && messages[message]:
			a.ledger.Done(ctx, j)
			continue
		case message != "":
			messages[message] = true
		}
		switch {
		case now.Sub(j.Received) > resumeWindow:
			a.log.WarnContext(ctx, "slack inbox: input too old to answer after a restart, dropped", "input", j.ID, "received", j.Received)
			a.ledger.Done(ctx, j)
		case j.Sending:
			a.log.WarnContext(ctx, "slack inbox: restarted while sending an answer", "input", j.ID)
			a.notify(j, "Callboard restarted while it was sending its answer to "+what+". If the answer is not above, please ask again.")
		case j.Runs >= maxRuns:
			a.log.ErrorContext(ctx, "slack inbox: input given up after repeated restarts", "input", j.ID, "runs", j.Runs)
			a.notify(j, "Callboard stopped "+strconv.Itoa(j.Runs)+" times while working on "+what+", so it has given up on it. Please ask again, and tell your platform team if this happens again.")
		case a.stopping.Load():
			return nil // the rest is left for the next start, its runs uncounted
		case a.ledger.Take(ctx, j):
			a.log.InfoContext(ctx, "slack inbox: answering an input from before a restart", "input", j.ID, "run", j.Runs)
			a.background(func(ctx context.Context) {
				if m := j.Input.Mention; m != nil {
					a.answerMention(ctx, m.message(), j)
					return
				}
				in, o := j.Input.Routed.input()
				o.job = j
				a.deliverLate(ctx, o, a.handle(ctx, in))
			})
		}
	}
	return nil
}

// notify tells j's user text in place of its answer, and forgets j.
func (a *Adapter) notify(j *job, text string) {
	o := j.Input.origin() // without j: the notice is not itself resumed
	a.background(func(ctx context.Context) {
		defer a.ledger.Done(ctx, j)
		a.deliver(ctx, o, bot.Outcome{Status: bot.Failed, Reply: bot.Reply{Text: text, Ephemeral: true}})
	})
}
