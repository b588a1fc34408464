// Package notifier tells owning teams what needs their attention. This
// package holds the contract chat adapters implement for it; scheduled
// digests (failing builds, firing alerts, compliance gaps) build on it.
package notifier

import (
	"context"

	"github.com/callboard/callboard/bot"
)

// Poster delivers messages to chat channels and edits them, for digests and
// task progress. Implementations pace themselves to the platform's rate
// limits, wait out 429 answers (respecting ctx) and never deliver a
// message twice: a Post that returns an error delivered nothing. The id
// Post returns (a Slack ts, a Discord message id) is what Update takes. Both
// are safe for concurrent use.
type Poster interface {
	Post(ctx context.Context, channelID string, r bot.Reply) (id string, err error)
	Update(ctx context.Context, channelID, id string, r bot.Reply) error
}
