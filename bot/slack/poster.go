package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

// maxAttempts bounds the calls made for one post, the first included.
const maxAttempts = 4

// Post posts r in channelID and returns the message's ts for Update.
// Ephemeral and Form are ignored: a digest or progress message has no one
// user to show it to.
//
// Posts to one channel are spaced by Options.PostInterval. A call Slack
// refused with 429 is retried after its Retry-After, and one refused with a
// 5xx after a short backoff, up to 4 calls in all; nothing else is retried,
// so a message Slack accepted is never posted twice. Waits end when ctx does.
// An error after which the message may have been posted all the same (the
// request went out and no answer came back) has MaybeDelivered() true, as
// notifier.Poster asks.
func (a *Adapter) Post(ctx context.Context, channelID string, r bot.Reply) (string, error) {
	fallback, blocks := Render(r)
	ts, err := a.postMessage(ctx, channelID, "", fallback, blocks)
	if err != nil {
		err = fmt.Errorf("post to %s: %w", channelID, err)
		if unanswered(err) {
			return "", &maybeDelivered{err}
		}
		return "", err
	}
	return ts, nil
}

// unanswered reports whether a call failed without an answer from Slack
// after its request may have been sent: not an HTTP status, not a Slack
// error, not a refused connection, not a wait that ctx ended.
func unanswered(err error) bool {
	if _, ok := errors.AsType[slack.StatusCodeError](err); ok {
		return false
	}
	if _, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return false
	}
	if _, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return false
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
		return false
	}
	var ue *url.Error
	return errors.As(err, &ue) // the HTTP round trip itself failed
}

// maybeDelivered is a post error after which the message may be in the
// channel all the same.
type maybeDelivered struct{ err error }

func (e *maybeDelivered) Error() string        { return e.err.Error() + " (the message may have been posted)" }
func (e *maybeDelivered) Unwrap() error        { return e.err }
func (e *maybeDelivered) MaybeDelivered() bool { return true }

// Update replaces the message ts in channelID with r, paced and retried as
// Post is.
func (a *Adapter) Update(ctx context.Context, channelID, ts string, r bot.Reply) error {
	fallback, blocks := Render(r)
	err := a.paced(ctx, channelID, func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, channelID, ts,
			slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return fmt.Errorf("update %s in %s: %w", ts, channelID, err)
	}
	return nil
}

func (a *Adapter) postMessage(ctx context.Context, channelID, thread, fallback string, blocks []slack.Block) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	var ts string
	err := a.paced(ctx, channelID, func(ctx context.Context) error {
		var err error
		_, ts, err = a.api.PostMessageContext(ctx, channelID, opts...)
		return err
	})
	return ts, err
}

func (a *Adapter) postEphemeral(ctx context.Context, channelID, userID, thread, fallback string, blocks []slack.Block) error {
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	return a.paced(ctx, channelID, func(ctx context.Context) error {
		_, err := a.api.PostEphemeralContext(ctx, channelID, userID, opts...)
		return err
	})
}

// paced makes call in channelID's turn and retries it while Slack says it
// did not accept it.
func (a *Adapter) paced(ctx context.Context, channelID string, call func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if err := a.pacer.wait(ctx, channelID); err != nil {
			return err
		}
		err := call(ctx)
		wait, retry := retryDelay(err, attempt)
		if !retry || attempt == maxAttempts {
			return err
		}
		a.log.WarnContext(ctx, "slack refused a post, retrying",
			"channel", channelID, "attempt", attempt, "wait", wait, "err", err)
		a.pacer.hold(channelID, a.opts.Now().Add(wait))
	}
}

// retryDelay says whether a refused call may be repeated and after how
// long. Only 429 and 5xx answers are retried, taken to mean that Slack did
// not accept the message; a 200 with ok:false, or a transport error after
// which the message may or may not have been accepted, is final.
func retryDelay(err error, attempt int) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return max(rl.RetryAfter, time.Second), true
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok && sc.Code >= http.StatusInternalServerError {
		return time.Second << (attempt - 1), true
	}
	return 0, false
}

// pacer spaces calls per channel: each channel has a next free time, and a
// caller takes the slot and waits for it.
type pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next map[string]time.Time
}

// maxPacedChannels is the map size above which slots in the past are swept.
const maxPacedChannels = 1000

func newPacer(interval time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	return &pacer{interval: interval, now: now, sleep: sleep, next: map[string]time.Time{}}
}

// wait takes channel's next slot and sleeps until it.
func (p *pacer) wait(ctx context.Context, channel string) error {
	p.mu.Lock()
	now := p.now()
	at := p.next[channel]
	if at.Before(now) {
		at = now
	}
	p.next[channel] = at.Add(p.interval)
	if len(p.next) > maxPacedChannels {
		for c, t := range p.next {
			if t.Before(now) {
				delete(p.next, c)
			}
		}
	}
	p.mu.Unlock()
	return p.sleep(ctx, at.Sub(now))
}

// hold keeps channel's next slot from coming before until.
func (p *pacer) hold(channel string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next[channel].Before(until) {
		p.next[channel] = until
	}
}
