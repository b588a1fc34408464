// Package notifier tells owning teams what needs their attention. This
// package holds the contract chat adapters implement for it; scheduled
// digests (failing builds, firing alerts, compliance gaps) build on it.
package notifier

import (
	"context"
	"errors"

	"github.com/callboard/callboard/bot"
)

// Poster delivers messages to chat channels and edits them, for digests and
// task progress. Implementations pace themselves to the platform's rate
// limits, wait out 429 answers (respecting ctx) and never deliver a
// message twice. A Post that returns an error delivered nothing, unless
// MaybeDelivered(err) is true: the request reached the platform and no
// answer came back, so the message may be there. A caller that must not
// post twice counts such a message as delivered. The id Post returns (a
// Slack ts, a Discord message id) is what Update takes. Both are safe for
// concurrent use.
type Poster interface {
	Post(ctx context.Context, channelID string, r bot.Reply) (id string, err error)
	Update(ctx context.Context, channelID, id string, r bot.Reply) error
}

// MaybeDelivered reports whether err, from Poster.Post, leaves the message
// possibly delivered. Implementations mark such errors with a method
// MaybeDelivered() bool.
func MaybeDelivered(err error) bool {
	var u interface{ MaybeDelivered() bool }
	return errors.As(err, &u) && u.MaybeDelivered()
}
