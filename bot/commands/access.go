package commands

import (
	"context"
	"slices"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// AccessRule allows some principals to run some commands. A command that no
// rule names is open to everyone; a command some rule names is open only to
// the principals of the rules that name it.
type AccessRule struct {
	Commands []string
	// Templates limits /new-service for the named templates the same way.
	Templates []string
	// Users are "platform:ID" (slack:U024BE7LH) or catalog user refs.
	Users []string
	// Groups are catalog group refs; members of child groups count.
	Groups []string
	// Channels are "platform:ID".
	Channels []string
}

// Access is a bot.Authorizer over access rules and the catalog's groups.
// It keys on immutable platform ids and catalog refs, never display names.
type Access struct {
	rules   []AccessRule
	catalog Catalog
}

var _ bot.Authorizer = (*Access)(nil)

// NewAccess returns an Authorizer for the rules.
func NewAccess(rules []AccessRule, c Catalog) *Access {
	return &Access{rules: rules, catalog: c}
}

// Authorize allows req when no rule names its command or any rule naming it
// allows the user, one of their catalog groups, or the channel.
func (a *Access) Authorize(ctx context.Context, req bot.Request) error {
	var named []AccessRule
	template := ""
	if req.Command == "new-service" && !strings.HasPrefix(req.Arg(0), "-") {
		template = req.Arg(0)
	}
	for _, r := range a.rules {
		names := slices.ContainsFunc(r.Commands, func(c string) bool { return strings.EqualFold(strings.TrimPrefix(c, "/"), req.Command) })
		if template != "" {
			names = names || slices.ContainsFunc(r.Templates, func(t string) bool { return strings.EqualFold(t, template) })
		}
		if names {
			named = append(named, r)
		}
	}
	if len(named) == 0 {
		return nil
	}
	ix := a.catalog.Index()
	userGroups := map[string]bool{}
	if req.CatalogUser != "" {
		if u, ok := ix.Get(req.CatalogUser); ok {
			for _, g := range u.RelationTargets(catalog.RelMemberOf) {
				userGroups[g] = true
				for _, anc := range ix.Ancestors(g) {
					userGroups[anc] = true
				}
			}
		}
	}
	platformUser := req.Platform + ":" + req.User.ID
	platformChannel := req.Platform + ":" + req.Channel.ID
	var who []string
	for _, r := range named {
		for _, u := range r.Users {
			if u == platformUser || req.CatalogUser != "" && refKey(u, catalog.KindUser) == strings.ToLower(req.CatalogUser) {
				return nil
			}
		}
		for _, g := range r.Groups {
			if userGroups[refKey(g, catalog.KindGroup)] {
				return nil
			}
			who = append(who, "members of "+refLabel(refKey(g, catalog.KindGroup)))
		}
		for _, ch := range r.Channels {
			if ch == platformChannel {
				return nil
			}
		}
		if len(r.Channels) > 0 {
			who = append(who, "some channels")
		}
		if len(r.Users) > 0 {
			who = append(who, "some named people")
		}
	}
	if template != "" {
		return &bot.DeniedError{Command: req.Command + " " + template, Who: orList(dedupe(who))}
	}
	return &bot.DeniedError{Command: req.Command, Who: orList(dedupe(who))}
}

func refKey(s, defaultKind string) string {
	r, err := catalog.ParseRef(s, defaultKind, catalog.DefaultNamespace)
	if err != nil {
		return strings.ToLower(s)
	}
	return r.Key()
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Identity maps chat users to catalog Users by the platform's user-id
// annotation (slack.com/user-id, discord.com/user-id) or, failing that, by
// profile email.
type Identity struct {
	catalog Catalog
}

var _ bot.Identifier = (*Identity)(nil)

// NewIdentity returns an Identifier over the catalog.
func NewIdentity(c Catalog) *Identity { return &Identity{catalog: c} }

// Identify returns the catalog user's key, or "".
func (id *Identity) Identify(ctx context.Context, platform string, u bot.User) string {
	ix := id.catalog.Index()
	var key string
	switch platform {
	case "slack":
		key = catalog.AnnotationSlackUserID
	case "discord":
		key = catalog.AnnotationDiscordUserID
	}
	if key != "" && u.ID != "" {
		for _, e := range ix.ByAnnotation(key, u.ID) {
			if e.Kind == catalog.KindUser {
				return e.Key()
			}
		}
	}
	if u.Email != "" {
		for _, e := range ix.ByEmail(u.Email) {
			if e.Kind == catalog.KindUser {
				return e.Key()
			}
		}
	}
	return ""
}
