package slack

import (
	"context"
	"fmt"
	"sync"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// modalHold is the place a command's form opens in when the command has
// slow work to do first: bot.HoldForm opens a placeholder modal with the
// user's trigger, which lasts three seconds, and the form replaces it with
// views.update when it comes (see openForm). It is safe for concurrent use.
type modalHold struct {
	api     *slack.Client
	trigger string

	mu     sync.Mutex
	id     string // the placeholder's view id, once open
	hash   string
	failed bool
}

// mayHold gives o a hold when its command could use one: it came with a
// trigger and a response_url (a slash command or a button press; a modal
// submission answers through its own response) and views.open is possible.
func (a *Adapter) mayHold(o *origin) {
	if o.triggerID != "" && o.responseURL != "" && a.opts.BotToken != "" {
		o.hold = &modalHold{api: a.api, trigger: o.triggerID}
	}
}

// holding returns ctx carrying o's hold for bot.HoldForm.
func (o origin) holding(ctx context.Context) context.Context {
	if o.hold == nil {
		return ctx
	}
	return bot.WithFormHolder(ctx, o.hold)
}

// HoldForm opens the placeholder, once.
func (h *modalHold) HoldForm(ctx context.Context, title string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.id != "" || h.failed {
		return nil
	}
	resp, err := h.api.OpenViewContext(ctx, h.trigger, placeholderView(title))
	if err != nil {
		h.failed = true // the trigger may be spent: the form opens as without a hold
		return fmt.Errorf("hold a modal for %q: %w", title, err)
	}
	h.id, h.hash = resp.ID, resp.Hash
	return nil
}

// view returns the open placeholder's id and hash, or "" when none is open.
func (h *modalHold) view() (id, hash string) {
	if h == nil {
		return "", ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.id, h.hash
}

func placeholderView(title string) slack.ModalViewRequest {
	if title == "" {
		title = "Callboard"
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: formCallbackID,
		Title:      plainText(cut(title, maxViewTitle)),
		Close:      plainText("Cancel"),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{section("Loading…")}},
	}
}

// releaseHold replaces a placeholder that no form came for with note, so
// that the user is not left looking at "Loading…".
func (a *Adapter) releaseHold(ctx context.Context, o origin, note string) {
	id, hash := o.hold.view()
	if id == "" {
		return
	}
	view := placeholderView("Callboard")
	view.Blocks = slack.Blocks{BlockSet: []slack.Block{section(escape(note))}}
	if _, err := a.api.UpdateViewContext(ctx, view, "", hash, id); err != nil {
		a.log.WarnContext(ctx, "slack held modal not released", "channel", o.channel, "user", o.user, "err", err)
	}
}

// releaseHoldLater releases o's hold after an inline answer. The closure
// captures a copy made only here, off the path of commands without one.
func (a *Adapter) releaseHoldLater(o origin) {
	a.background(func(ctx context.Context) { a.releaseHold(ctx, o, "The answer is in the conversation.") })
}
