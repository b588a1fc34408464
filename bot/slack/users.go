package slack

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/callboard/callboard/bot"
)

const (
	// userTTL is how long a users.info answer is trusted.
	userTTL = time.Hour
	// userFailureTTL keeps a failing lookup from being repeated on every
	// message, e.g. while users.info is rate limited.
	userFailureTTL = time.Minute
	// maxCachedUsers bounds the cache; a workspace rarely has more people
	// talking to the bot within an hour.
	maxCachedUsers = 10000
	// userLookupTimeout keeps a slow users.info from eating the answer budget.
	userLookupTimeout = time.Second
)

// userDirectory fills in users' emails (and names) from users.info, which
// the router needs to map Slack users to catalog users by email. It needs
// the users:read.email scope.
type userDirectory struct {
	api *slack.Client
	now func() time.Time
	// disabled skips lookups when there is no bot token to make them with.
	disabled bool

	mu      sync.Mutex
	entries map[string]userEntry
}

type userEntry struct {
	name, email string
	expires     time.Time
}

func newUserDirectory(api *slack.Client, now func() time.Time, enabled bool) *userDirectory {
	return &userDirectory{api: api, now: now, entries: map[string]userEntry{}, disabled: !enabled}
}

// complete returns u with Email (and Name, when empty) filled in. On error
// it returns u unchanged and the error, which the caller logs.
func (d *userDirectory) complete(ctx context.Context, u bot.User) (bot.User, error) {
	if u.ID == "" || u.Email != "" || d.disabled {
		return u, nil
	}
	e, err := d.lookup(ctx, u.ID)
	if err != nil {
		return u, err
	}
	u.Email = e.email
	if u.Name == "" {
		u.Name = e.name
	}
	return u, nil
}

func (d *userDirectory) lookup(ctx context.Context, id string) (userEntry, error) {
	now := d.now()
	d.mu.Lock()
	e, ok := d.entries[id]
	d.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e, nil
	}

	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	info, err := d.api.GetUserInfoContext(ctx, id)
	if err != nil {
		// Remember the failure briefly with whatever was known before.
		e.expires = now.Add(userFailureTTL)
		d.store(id, e, now)
		return userEntry{}, fmt.Errorf("users.info %s: %w", id, err)
	}
	e = userEntry{email: strings.TrimSpace(info.Profile.Email), name: displayName(info), expires: now.Add(userTTL)}
	d.store(id, e, now)
	return e, nil
}

func (d *userDirectory) store(id string, e userEntry, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.entries[id]; !ok && len(d.entries) >= maxCachedUsers {
		for k, old := range d.entries {
			if !now.Before(old.expires) {
				delete(d.entries, k)
			}
		}
		// Still full: drop arbitrary entries; they are only a cache.
		for k := range d.entries {
			if len(d.entries) < maxCachedUsers {
				break
			}
			delete(d.entries, k)
		}
	}
	d.entries[id] = e
}

func displayName(u *slack.User) string {
	for _, n := range []string{u.Profile.DisplayName, u.RealName, u.Profile.RealName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}
