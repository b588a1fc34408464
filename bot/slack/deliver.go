package slack

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// origin is where an input came from and the ways its answer can reach the
// user.
type origin struct {
	channel string
	user    string
	// thread is the ts of the thread to answer in (mentions in threads).
	thread string
	// responseURL answers a command or button press; empty for events and
	// modal submissions.
	responseURL string
	// triggerID opens a modal within 3 seconds of the user's action.
	triggerID string
	// text is the input's command line, which an "Open form" button runs
	// again when a form cannot be opened at once.
	text string
	// hold is the modal the input's command may open before slow work
	// (bot.HoldForm); nil when it cannot have one.
	hold *modalHold
	// job is the input as the inbox keeps it until it is answered; nil
	// when it is not kept.
	job *job
}

// handle runs the router with the user's email filled in.
func (a *Adapter) handle(ctx context.Context, in bot.Input) bot.Outcome {
	in.Platform = "slack"
	u, err := a.users.complete(ctx, in.User)
	if err != nil {
		a.log.WarnContext(ctx, "slack user lookup failed", "user", in.User.ID, "err", err)
	}
	in.User = u
	return a.router.Handle(ctx, in)
}

// run hands in to the router in the background. When the router answers
// within the answer budget, run returns the outcome for the caller to
// deliver; otherwise it returns false and the outcome is delivered to o
// when it comes. An input the router can answer quickly (see
// QuickRouter) runs in the caller's goroutine instead: no goroutine, timer
// and context per command. Otherwise the command may hold a modal for its
// form (bot.HoldForm), which run records in o for the caller's delivery.
func (a *Adapter) run(in bot.Input, o *origin) (bot.Outcome, bool) {
	if a.quick != nil && a.quick.Quick(in) {
		return a.handle(a.base, in), true
	}
	a.mayHold(o)
	late := *o
	h := &handoff{out: make(chan bot.Outcome, 1), recorded: make(chan *job, 1)}
	a.background(func(ctx context.Context) {
		out := a.handle(late.holding(ctx), in)
		if !h.offer(out) {
			late.job = <-h.recorded
			a.deliverLate(ctx, late, out)
		}
	})
	timer := time.NewTimer(a.opts.AnswerBudget)
	defer timer.Stop()
	select {
	case out := <-h.out:
		return out, true
	case <-timer.C:
		out, ok := h.giveUp()
		if !ok {
			// Answered later: kept in the inbox before the
			// acknowledgement says so.
			h.recorded <- a.ledger.Record(a.base, lateID(o), kept{Routed: storeInput(in, *o)})
		}
		return out, ok
	}
}

// lateID is the inbox id of a command or form answered after its
// acknowledgement: its trigger, which Slack makes for every command,
// press and submission, else a fresh id.
func lateID(o *origin) string {
	if o.triggerID != "" {
		return "trigger:" + o.triggerID
	}
	return "late:" + rand.Text()
}

// handoff passes an outcome from the router's goroutine to the waiting
// acknowledgement, unless the acknowledgement has stopped waiting: exactly
// one side delivers.
type handoff struct {
	mu   sync.Mutex
	late bool
	out  chan bot.Outcome
	// recorded passes the late input's inbox entry (or nil) to the
	// router's goroutine, which delivers only once it is recorded.
	recorded chan *job
}

// offer hands out over and reports whether the waiter will deliver it.
func (h *handoff) offer(out bot.Outcome) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.late {
		return false
	}
	h.out <- out
	return true
}

// giveUp stops waiting, returning an outcome offered just before.
func (h *handoff) giveUp() (bot.Outcome, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.late = true
	select {
	case out := <-h.out:
		return out, true
	default:
		return bot.Outcome{}, false
	}
}

// deliver sends an outcome that was not answered in the acknowledgement.
func (a *Adapter) deliver(ctx context.Context, o origin, out bot.Outcome) {
	switch {
	case out.Status == bot.Ignored:
		a.releaseHold(ctx, o, "Nothing to show.")
	case out.Reply.Form != nil:
		a.openForm(ctx, o, out.Reply)
	default:
		a.releaseHold(ctx, o, "The answer is in the conversation.")
		a.send(ctx, o, out.Reply, nil)
	}
}

// openForm opens the reply's form as a modal. Without a usable trigger
// (mentions have none; it expires after 3 seconds and serves once) it
// posts the reply with an "Open form" button, whose press brings a fresh
// trigger. When the modal cannot open for another reason (no bot token, a
// view Slack refuses) a button would only lead back here: the user is told
// why instead.
func (a *Adapter) openForm(ctx context.Context, o origin, r bot.Reply) {
	form := *r.Form
	r.Form = nil
	r.Ephemeral = true
	if a.opts.BotToken == "" {
		r.Text = strings.TrimSpace(r.Text + "\n\nThis form opens in a Slack modal, which needs Callboard's bot token " +
			"(slack.bot_token or SLACK_BOT_TOKEN); ask the people who run Callboard to set it.")
		a.send(ctx, o, r, nil)
		return
	}
	// A form Slack cannot be sent would fail the same way after a button
	// press: it is refused before anything else.
	view, err := formView(form, r.Text, formState{Action: form.SubmitAction, Channel: o.channel, Thread: o.thread})
	if err != nil {
		a.refuseForm(ctx, o, form.Title, "opened", err)
		return
	}
	if id, hash := o.hold.view(); id != "" {
		// The trigger went to the placeholder: the form replaces it.
		if _, err := a.api.UpdateViewContext(ctx, view, "", hash, id); err != nil {
			a.refuseForm(ctx, o, form.Title, "shown", err)
		}
		return
	}
	if o.triggerID != "" {
		_, err := a.api.OpenViewContext(ctx, o.triggerID, view)
		if err == nil {
			return
		}
		if !triggerSpent(err) {
			a.refuseForm(ctx, o, form.Title, "opened", err)
			return
		}
		a.log.WarnContext(ctx, "slack modal not opened in time, offering a button", "channel", o.channel, "user", o.user, "err", err)
	}
	label := strings.TrimSpace(form.Title)
	if label == "" {
		label = "Open form"
	}
	if r.Text == "" {
		r.Text = "Press the button to fill in the form."
	}
	a.send(ctx, o, r, &bot.Button{Text: label, Action: o.text, Style: "primary"})
}

// refuseForm tells the user why a form was not opened (or shown, in the
// placeholder it was held in, which then says so too) and logs the
// details for the people who run Callboard.
func (a *Adapter) refuseForm(ctx context.Context, o origin, title, verb string, err error) {
	a.log.ErrorContext(ctx, "slack form not "+verb, "channel", o.channel, "user", o.user, "form", title, "err", err)
	sorry := "Sorry, the form " + strconv.Quote(title) + " could not be " + verb + " in Slack (" +
		slackErrorCode(err) + "). The people who run Callboard can find the details in its logs."
	a.releaseHold(ctx, o, sorry) // a held placeholder must not say "Loading…" forever
	a.send(ctx, o, bot.Reply{Text: sorry, Ephemeral: true}, nil)
}

// triggerSpent reports whether views.open failed only because its trigger
// could no longer be used, which a fresh trigger from a button press cures.
// A rate limit counts: the trigger will have expired by the time it lifts.
func triggerSpent(err error) bool {
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch se.Err {
		case "expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id":
			return true
		}
	}
	if _, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return true
	}
	// A timeout or cancellation: the 3 seconds have passed by now.
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// slackErrorCode says in a few words why Slack did not show a form: the
// error code of a Slack API error ("invalid_arguments"), the HTTP status it
// answered, or what went wrong on our side. It is shown to users.
func slackErrorCode(err error) string {
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok && se.Err != "" {
		return se.Err
	}
	if _, ok := errors.AsType[*formTooLarge](err); ok {
		return "the form is too large"
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok {
		return "HTTP " + strconv.Itoa(sc.Code)
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return "no answer from Slack"
	}
	return "the form could not be built"
}

// send posts a reply: through the response_url while it lasts, else with
// chat.postEphemeral or chat.postMessage.
func (a *Adapter) send(ctx context.Context, o origin, r bot.Reply, rerun *bot.Button) {
	fallback, blocks := render(r, rerun, &a.sections)
	if o.responseURL != "" && a.hooks.take(o.responseURL) {
		responseType := slack.ResponseTypeInChannel
		if r.Ephemeral {
			responseType = slack.ResponseTypeEphemeral
		}
		err := slack.PostWebhookCustomHTTPContext(ctx, o.responseURL, a.hookClient, &slack.WebhookMessage{
			Text:         fallback,
			Blocks:       &slack.Blocks{BlockSet: blocks},
			ResponseType: responseType,
		})
		if err == nil {
			return
		}
		_, refused := errors.AsType[slack.StatusCodeError](err)
		_, limited := errors.AsType[*slack.RateLimitedError](err)
		if !refused && !limited {
			// The answer may have arrived; posting again could show it twice.
			a.log.ErrorContext(ctx, "slack response_url failed", "channel", o.channel, "err", err)
			return
		}
		a.log.WarnContext(ctx, "slack response_url refused, posting instead", "channel", o.channel, "err", err)
	}

	var err error
	switch {
	case o.channel == "":
		// No channel (a modal opened from nowhere): write to the user's DM.
		_, err = a.postMessage(ctx, o.user, "", fallback, blocks)
	case r.Ephemeral && o.user != "" && !isDirect(o.channel):
		err = a.postEphemeral(ctx, o.channel, o.user, o.thread, fallback, blocks)
	default:
		_, err = a.postMessage(ctx, o.channel, o.thread, fallback, blocks)
	}
	if err != nil {
		a.log.ErrorContext(ctx, "slack reply not delivered", "channel", o.channel, "user", o.user, "err", err)
	}
}

// isDirect reports whether channel is a direct message, where an ephemeral
// reply would only hide the answer from its one reader's history.
func isDirect(channel string) bool { return strings.HasPrefix(channel, "D") }

// responseURLs counts the uses of each response_url: Slack accepts five
// within thirty minutes.
type responseURLs struct {
	now func() time.Time

	mu   sync.Mutex
	uses map[string]*urlUses
}

type urlUses struct {
	first time.Time
	n     int
}

const (
	maxResponseURLUses = 5
	responseURLLife    = 30 * time.Minute
)

func newResponseURLs(now func() time.Time) *responseURLs {
	return &responseURLs{now: now, uses: map[string]*urlUses{}}
}

// take reports whether url may be used once more, counting the use.
func (r *responseURLs) take(url string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	// Expired entries are kept a while longer so that a late reuse is
	// still refused rather than counted afresh.
	for u, use := range r.uses {
		if now.Sub(use.first) >= 2*responseURLLife {
			delete(r.uses, u)
		}
	}
	use, ok := r.uses[url]
	if !ok {
		use = &urlUses{first: now}
		r.uses[url] = use
	}
	if use.n >= maxResponseURLUses || now.Sub(use.first) >= responseURLLife {
		return false
	}
	use.n++
	return true
}
