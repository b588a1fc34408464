package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/callboard/callboard/bot"
)

// Inbox durably keeps the inputs the adapter has acknowledged and not yet
// answered, so that a process killed while working on one answers it when
// it starts again (see Adapter.Resume): Slack never sends an acknowledged
// input twice. Accept records a delivery key in the Deduper's seen-set and,
// if the key is new, the entry, in one step, and reports whether the key
// was new; Put and Done write one entry. Each returns once the change is
// on disk. Pending calls f with every entry, whose bytes are valid only
// during the call. bot/boltstore.Inbox implements it.
type Inbox interface {
	Accept(key string, now time.Time, id string, entry []byte) (bool, error)
	Put(id string, entry []byte) error
	Done(id string) error
	Pending(f func(id string, entry []byte)) error
}

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
// inbox keeps it: what the router needs to answer it again and what
// delivery needs to find the conversation.
type job struct {
	id       string
	Received time.Time `json:"received"`
	// Process is the adapter working on it (Adapter.process): Resume
	// leaves the inputs of its own process alone.
	Process string `json:"process"`
	// Runs is how many times its work has started.
	Runs int `json:"runs"`
	// Sending is set when delivery of the answer starts: after a crash
	// the answer may already be in the conversation, and is not sent again.
	Sending bool `json:"sending,omitempty"`

	// Mention is the message of an @-mention or direct message, which is
	// filtered (bots, subtypes) and stripped of its mention before the
	// router sees it; nil for other inputs.
	Mention *storedMessage `json:"mention,omitempty"`
	// Input is the router's input for commands and button presses.
	Input *storedInput `json:"input,omitempty"`
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
func (j *job) describe() string {
	switch {
	case j.Input != nil && j.Input.Text != "":
		return strconv.Quote(j.Input.Text)
	case j.Mention != nil && j.Mention.message().words() != "":
		return strconv.Quote(j.Mention.message().words())
	}
	return "your request"
}

// origin is where the job's answer goes.
func (j *job) origin() origin {
	if j.Mention != nil {
		m := j.Mention
		return origin{channel: m.Channel, user: m.User, thread: m.Thread, text: m.message().words(), job: j}
	}
	_, o := j.Input.input()
	o.job = j
	return o
}

// record keeps j in the inbox before its input is acknowledged and returns
// it, or nil when there is no inbox or it failed: the input is then
// answered all the same, only not after a crash.
func (a *Adapter) record(ctx context.Context, j job) *job {
	if a.opts.Inbox == nil {
		return nil
	}
	j.Received, j.Runs, j.Process = a.opts.Now(), 1, a.process
	if err := a.putJob(&j); err != nil {
		a.log.ErrorContext(ctx, "slack inbox unavailable: this input is not answered after a crash", "input", j.id, "err", err)
		return nil
	}
	return &j
}

// accept is firstSeen(key) and record(j) in one step, so that a crash
// between the two cannot drop the input's redelivery unanswered. first is
// false for a delivery seen before.
func (a *Adapter) accept(ctx context.Context, key string, j job) (first bool, kept *job) {
	if a.opts.Inbox == nil {
		return a.firstSeen(ctx, key), nil
	}
	j.Received, j.Runs, j.Process = a.opts.Now(), 1, a.process
	b, err := json.Marshal(j)
	if err == nil {
		first, err = a.opts.Inbox.Accept(key, j.Received, j.id, b)
	}
	if err != nil {
		// As with the seen-set alone: a rare double answer beats a lost one.
		a.log.ErrorContext(ctx, "slack inbox unavailable, processing anyway: this input is not answered after a crash", "input", j.id, "err", err)
		return true, nil
	}
	if !first {
		return false, nil
	}
	return true, &j
}

func (a *Adapter) putJob(j *job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return a.opts.Inbox.Put(j.id, b)
}

// sending marks j's delivery as started.
func (a *Adapter) sending(ctx context.Context, j *job) {
	if j == nil || j.Sending {
		return
	}
	j.Sending = true
	if err := a.putJob(j); err != nil {
		a.log.ErrorContext(ctx, "slack inbox: delivery not marked; after a crash this answer may be sent twice", "input", j.id, "err", err)
	}
}

// finish forgets j: its answer has been delivered, or never will be.
func (a *Adapter) finish(ctx context.Context, j *job) {
	if j == nil {
		return
	}
	if err := a.opts.Inbox.Done(j.id); err != nil {
		a.log.ErrorContext(ctx, "slack inbox: answered input not forgotten; it may be answered again after a restart", "input", j.id, "err", err)
	}
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
	if a.opts.Inbox == nil || !a.resumed.CompareAndSwap(false, true) {
		return nil
	}
	if ctx.Err() != nil || a.stopping.Load() {
		// Its work would start under a shutdown and count as a run.
		return ctx.Err()
	}
	var jobs []*job
	var unreadable []string
	err := a.opts.Inbox.Pending(func(id string, entry []byte) {
		j := &job{}
		if err := json.Unmarshal(entry, j); err != nil || (j.Mention == nil) == (j.Input == nil) {
			unreadable = append(unreadable, id)
			return
		}
		if j.Process == a.process {
			return // this process's own, acknowledged since it started
		}
		j.id = id
		jobs = append(jobs, j)
	})
	if err != nil {
		return err
	}
	for _, id := range unreadable {
		a.log.ErrorContext(ctx, "slack inbox: unreadable entry dropped", "input", id)
		a.finish(ctx, &job{id: id})
	}
	slices.SortFunc(jobs, func(x, y *job) int { return cmp.Or(x.Received.Compare(y.Received), cmp.Compare(x.id, y.id)) })
	now := a.opts.Now()
	// One message may have come as two events (app_mention and
	// message.im), both kept before either reached the message's
	// seen-key, which resumed mentions do not consult: the first stands
	// for both.
	messages := map[string]bool{}
	for _, j := range jobs {
		what := j.describe()
		var message string
		if m := j.Mention; m != nil && m.TS != "" {
			message = m.Channel + ":" + m.TS
		}
		switch {
		case message != "" && messages[message]:
			a.finish(ctx, j)
			continue
		case message != "":
			messages[message] = true
		}
		switch {
		case now.Sub(j.Received) > resumeWindow:
			a.log.WarnContext(ctx, "slack inbox: input too old to answer after a restart, dropped", "input", j.id, "received", j.Received)
			a.finish(ctx, j)
		case j.Sending:
			a.log.WarnContext(ctx, "slack inbox: restarted while sending an answer", "input", j.id)
			a.notify(j, "Callboard restarted while it was sending its answer to "+what+". If the answer is not above, please ask again.")
		case j.Runs >= maxRuns:
			a.log.ErrorContext(ctx, "slack inbox: input given up after repeated restarts", "input", j.id, "runs", j.Runs)
			a.notify(j, "Callboard stopped "+strconv.Itoa(j.Runs)+" times while working on "+what+", so it has given up on it. Please ask again, and tell your platform team if this happens again.")
		default:
			j.Runs, j.Process = j.Runs+1, a.process
			if err := a.putJob(j); err != nil {
				a.log.ErrorContext(ctx, "slack inbox: input from before a restart left for the next start", "input", j.id, "err", err)
				continue
			}
			a.log.InfoContext(ctx, "slack inbox: answering an input from before a restart", "input", j.id, "run", j.Runs)
			a.background(func(ctx context.Context) {
				if j.Mention != nil {
					a.answerMention(ctx, j.Mention.message(), j)
					return
				}
				in, o := j.Input.input()
				o.job = j
				a.deliverLate(ctx, o, a.handle(ctx, in))
			})
		}
	}
	return nil
}

// notify tells j's user text in place of its answer, and forgets j.
func (a *Adapter) notify(j *job, text string) {
	o := j.origin()
	o.job = nil // the notice is not itself resumed
	a.background(func(ctx context.Context) {
		defer a.finish(ctx, j)
		a.deliver(ctx, o, bot.Outcome{Status: bot.Failed, Reply: bot.Reply{Text: text, Ephemeral: true}})
	})
}
