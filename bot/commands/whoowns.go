package commands

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// WhoOwns answers "who owns X": the owning team and how to reach it for an
// entity, what a group owns, or what a user's groups own.
func WhoOwns(c Catalog) bot.Command {
	cache := newAnswerCache(20_000)
	contacts := newSnapshotMemo[contactKey, groupContact](50_000)
	return bot.Command{
		Name:    "whoowns",
		Usage:   "NAME|REF",
		Summary: "Who owns a component, API, resource or system, and how to reach them.",
		Help: "Give a name (payments-api) or a ref (component:payments-api, group:payments-team).\n" +
			"For a group: what it owns, directly and through its child groups. For a user: their groups and what those own.",
		MinArgs: 1,
		// Answers come from the in-memory snapshot.
		Quick: true,
		Phrases: []bot.Phrase{
			{Pattern: "who owns {name*}"},
			{Pattern: "who is the owner of {name*}"},
			{Pattern: "who's the owner of {name*}"},
			{Pattern: "who maintains {name*}"},
			{Pattern: "owner of {name*}"},
			{Pattern: "whoowns {name*}"},
			{Pattern: "what does {name*} own", Expand: "{name}"},
		},
		Handler: bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
			ix := c.Index()
			key := answerKey{platform: req.Platform, text: req.Rest(0), shared: req.Shared}
			if r, ok := cache.get(ix, key); ok {
				return r, nil
			}
			r, err := whoOwns(ix, req, contacts)
			if err == nil {
				cache.put(ix, key, r)
			}
			return r, err
		}),
	}
}

func whoOwns(ix *catalog.Index, req bot.Request, contacts *contactMemo) (bot.Reply, error) {
	text := req.Rest(0)
	es, err := resolveOne(ix, "whoowns", text)
	if err != nil {
		return bot.Reply{}, err
	}
	e, others := pickOwned(es)
	if e == nil {
		return ambiguous(ix, text, es), nil
	}
	var reply bot.Reply
	switch e.Kind {
	case catalog.KindGroup:
		reply = groupOwnership(ix, e, req, contacts)
	case catalog.KindUser:
		reply = userOwnership(ix, e)
	default:
		reply = entityOwnership(ix, e, others, req, contacts)
	}
	reply.Ephemeral = true
	if !req.Shared {
		reply.Buttons = append(reply.Buttons, bot.Button{Text: "Share in channel", Action: commandOn("/whoowns", e.Key()), Shared: true})
	}
	return reply, nil
}

// pickOwned chooses one entity among same-named ones: the only one, or a
// component with APIs of the same name and owner (one answer, not a
// question). It returns nil when the user must choose.
func pickOwned(es []*catalog.Entity) (*catalog.Entity, []*catalog.Entity) {
	if len(es) == 1 {
		return es[0], nil
	}
	sortEntities(es)
	first := es[0]
	owner := strings.Join(first.RelationTargets(catalog.RelOwnedBy), ",")
	for _, e := range es[1:] {
		if e.Kind == first.Kind || strings.Join(e.RelationTargets(catalog.RelOwnedBy), ",") != owner || owner == "" {
			return nil, nil
		}
		if e.Kind != catalog.KindAPI && e.Kind != catalog.KindComponent {
			return nil, nil
		}
	}
	return first, es[1:]
}

func ambiguous(ix *catalog.Index, text string, es []*catalog.Entity) bot.Reply {
	sortEntities(es)
	sec := bot.Section{Title: "Which one?"}
	var buttons []bot.Button
	for _, e := range es {
		detail := "owned by " + ownerNames(ix, e)
		if e.Kind == catalog.KindGroup || e.Kind == catalog.KindUser {
			detail = strings.TrimSpace(e.SpecString("type") + " " + kindLabel(e.Kind))
		}
		sec.Items = append(sec.Items, bot.Item{Text: entityLabel(e), Detail: detail})
		if len(buttons) < 5 {
			buttons = append(buttons, bot.Button{Text: refLabel(e.Key()), Action: commandOn("/whoowns", e.Key())})
		}
	}
	return bot.Reply{
		Text:      fmt.Sprintf("%d entities are named %q; say which one you mean with its ref.", len(es), text),
		Sections:  []bot.Section{sec},
		Buttons:   buttons,
		Ephemeral: true,
	}
}

func ownerNames(ix *catalog.Index, e *catalog.Entity) string {
	var names []string
	for _, o := range ix.Owners(e) {
		if oe, ok := ix.Get(o); ok {
			names = append(names, entityLabel(oe))
		} else {
			names = append(names, refLabel(o)+" (not in the catalog)")
		}
	}
	if len(names) == 0 {
		return "nobody"
	}
	return strings.Join(names, ", ")
}

func entityOwnership(ix *catalog.Index, e *catalog.Entity, same []*catalog.Entity, req bot.Request, contacts *contactMemo) bot.Reply {
	reply := bot.Reply{
		Title: e.DisplayName() + " (" + kindLabel(e.Kind) + ")",
		Text:  e.Metadata.Description,
	}
	// Fields and links are gathered on the stack, with room for the usual
	// owner, parent group, system, domain, lifecycle and on-call fields
	// and the five links, and copied out at their final length.
	var fieldBuf [8]bot.Field
	var linkBuf [5]bot.Link
	fields, links := fieldBuf[:0], linkBuf[:0]
	owners := ix.Owners(e)
	if len(owners) == 0 {
		reply.Text = strings.TrimSpace(reply.Text + "\nNo owner is recorded for " + refLabel(e.Key()) + ".")
	}
	for _, o := range owners {
		oe, ok := ix.Get(o)
		if !ok {
			fields = append(fields, bot.Field{Name: "Owner", Value: refLabel(o)})
			reply.Text = strings.TrimSpace(reply.Text + "\n" + fmt.Sprintf("The owner %s is not in the catalog: check spec.owner in %s.", refLabel(o), e.Origin.File))
			continue
		}
		if oe.Kind == catalog.KindGroup {
			gc := contactOf(ix, oe, req, contacts)
			fields = append(fields, gc.owner)
			if gc.parent != nil {
				fields = append(fields, *gc.parent)
			}
			reply.Sections = appendShared(reply.Sections, gc.sections)
		} else {
			fields = append(fields, bot.Field{Name: "Owner", Value: entityLabel(oe)})
			addUserContact(oe, &reply, req)
		}
	}
	for _, p := range ix.Related(e, catalog.RelPartOf) {
		label := "System"
		if p.Kind == catalog.KindComponent {
			label = "Part of"
		}
		fields = append(fields, bot.Field{Name: label, Value: entityLabel(p)})
		if p.Kind == catalog.KindSystem {
			for _, d := range ix.Related(p, catalog.RelPartOf) {
				fields = append(fields, bot.Field{Name: "Domain", Value: entityLabel(d)})
			}
		}
	}
	if lc := e.SpecString("lifecycle"); lc != "" {
		fields = append(fields, bot.Field{Name: "Lifecycle", Value: lc})
	}
	if id := e.Annotation(catalog.AnnotationPagerDutyServiceID); id != "" {
		fields = append(fields, bot.Field{Name: "On call", Value: "PagerDuty service " + id})
		links = append(links, bot.Link{Text: "PagerDuty", URL: pagerDutyURL(e, id)})
	}
	if u := repoURL(e); u != "" {
		links = append(links, bot.Link{Text: "Repository", URL: u})
	}
	for _, l := range e.Metadata.Links {
		if len(links) >= 5 {
			break
		}
		if !hasLink(links, l.URL) {
			title := l.Title
			if title == "" {
				title = l.URL
			}
			links = append(links, bot.Link{Text: title, URL: l.URL})
		}
	}
	// No fields or links read as none, not as an empty list.
	reply.Fields = cloneOrNil(fields)
	reply.Links = cloneOrNil(links)
	if e.Annotation(catalog.AnnotationTechDocsRef) != "" {
		// Room for the "Share in channel" button whoOwns adds.
		reply.Buttons = append(make([]bot.Button, 0, 2), bot.Button{Text: "Docs", Action: commandOn("/docs", e.Key())})
	}
	for _, s := range same {
		reply.Footer = strings.TrimSpace(reply.Footer + " " + fmt.Sprintf("The %s %s has the same owner.", kindLabel(s.Kind), refLabel(s.Key())))
	}
	return reply
}

// cloneOrNil copies s to a slice of its length, or returns nil when it is
// empty.
func cloneOrNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func hasLink(ls []bot.Link, url string) bool {
	for _, l := range ls {
		if l.URL == url {
			return true
		}
	}
	return false
}

// pagerDutyURL prefers a PagerDuty link the entity lists, whose subdomain
// is the company's, over the generic service-directory address.
func pagerDutyURL(e *catalog.Entity, id string) string {
	for _, l := range e.Metadata.Links {
		if strings.Contains(l.URL, "pagerduty.com") && strings.Contains(l.URL, id) {
			return l.URL
		}
	}
	return "https://app.pagerduty.com/service-directory/" + id
}

// groupContact is the part of an answer that says how to reach a team; it
// is the same for every entity the team owns, so it is computed once per
// snapshot and platform.
type groupContact struct {
	owner  bot.Field // the team as the owner of what it owns
	parent *bot.Field
	// sections is the contact section alone, shared by the answers that
	// show it: its capacity is its length, so appending to it copies.
	sections []bot.Section
}

type contactKey struct{ group, platform string }

type contactMemo = snapshotMemo[contactKey, groupContact]

func addGroupContact(ix *catalog.Index, g *catalog.Entity, reply *bot.Reply, req bot.Request, contacts *contactMemo) {
	addContact(contactOf(ix, g, req, contacts), reply)
}

func contactOf(ix *catalog.Index, g *catalog.Entity, req bot.Request, contacts *contactMemo) groupContact {
	return contacts.get(ix, contactKey{g.Key(), req.Platform}, func() groupContact { return newGroupContact(ix, g, req) })
}

func addContact(gc groupContact, reply *bot.Reply) {
	if gc.parent != nil {
		reply.Fields = append(reply.Fields, *gc.parent)
	}
	reply.Sections = appendShared(reply.Sections, gc.sections)
}

// appendShared appends shared, a slice that answers share, to s: it is s
// itself when s is empty, sparing a copy per answer.
func appendShared(s, shared []bot.Section) []bot.Section {
	if len(s) == 0 {
		return shared
	}
	return append(s, shared...)
}

func newGroupContact(ix *catalog.Index, g *catalog.Entity, req bot.Request) groupContact {
	gc := groupContact{owner: bot.Field{Name: "Owner", Value: entityLabel(g)}}
	if parents := ix.Ancestors(g.Key()); len(parents) > 0 {
		if p, ok := ix.Get(parents[0]); ok {
			gc.parent = &bot.Field{Name: "Parent group", Value: entityLabel(p)}
		}
	}
	contact := bot.Section{Title: "Contact " + g.DisplayName()}
	if email := g.ProfileField("email"); email != "" {
		contact.Items = append(contact.Items, bot.Item{Text: email, URL: "mailto:" + email, Detail: "team email"})
	}
	if ch := groupChannel(g, req.Platform); ch != "" {
		contact.Items = append(contact.Items, bot.Item{Text: "team channel", ChatChannelID: ch})
	}
	members := ix.Members(g)
	sortEntities(members)
	shown, total := page(members, 1)
	for _, m := range shown {
		contact.Items = append(contact.Items, memberItem(m, req))
	}
	if total > 0 {
		contact.Total = total + len(contact.Items) - len(shown)
		contact.MoreAction = commandOn("/catalog show", g.Key())
	}
	if len(contact.Items) == 0 {
		contact.Text = "The group lists no email, channel or members."
	}
	// Full capacity: a later append by a caller copies rather than writing
	// into the shared array.
	contact.Items = contact.Items[:len(contact.Items):len(contact.Items)]
	gc.sections = []bot.Section{contact}
	return gc
}

func memberItem(m *catalog.Entity, req bot.Request) bot.Item {
	it := bot.Item{Text: m.DisplayName(), ChatUserID: chatUserID(m, req.Platform)}
	if email := m.ProfileField("email"); email != "" {
		it.Detail = email
	}
	return it
}

func addUserContact(u *catalog.Entity, reply *bot.Reply, req bot.Request) {
	reply.Sections = append(reply.Sections, bot.Section{Title: "Contact", Items: []bot.Item{memberItem(u, req)}})
}

func groupOwnership(ix *catalog.Index, g *catalog.Entity, req bot.Request, contacts *contactMemo) bot.Reply {
	reply := bot.Reply{Title: fmt.Sprintf("%s (group)", g.DisplayName()), Text: g.Metadata.Description}
	if t := g.SpecString("type"); t != "" {
		reply.Fields = append(reply.Fields, bot.Field{Name: "Type", Value: t})
	}
	addGroupContact(ix, g, &reply, req, contacts)
	owned := sortedOwned(ix.ByOwnerTransitive(g.Key()))
	var direct, viaChildren []bot.Item
	for _, o := range owned {
		if o.Entity.Kind == catalog.KindLocation {
			continue
		}
		it := bot.Item{Text: refLabel(o.Entity.Key()), Detail: o.Entity.SpecString("type")}
		if o.Via == g.Key() {
			direct = append(direct, it)
			continue
		}
		it.Detail = strings.TrimSpace(it.Detail + " · via " + refLabel(o.Via))
		viaChildren = append(viaChildren, it)
	}
	reply.Sections = append(reply.Sections, listSection("Owns directly", direct, "/catalog owned-by "+refLabel(g.Key())))
	if len(viaChildren) > 0 {
		reply.Sections = append(reply.Sections, listSection("Owns through child groups and members", viaChildren, "/catalog owned-by "+refLabel(g.Key())))
	}
	if len(direct)+len(viaChildren) == 0 {
		reply.Text = strings.TrimSpace(reply.Text + "\n" + g.DisplayName() + " owns nothing in the catalog.")
	}
	return reply
}

func userOwnership(ix *catalog.Index, u *catalog.Entity) bot.Reply {
	reply := bot.Reply{Title: fmt.Sprintf("%s (user)", u.DisplayName())}
	if email := u.ProfileField("email"); email != "" {
		reply.Fields = append(reply.Fields, bot.Field{Name: "Email", Value: email})
	}
	var groups []bot.Item
	for _, g := range ix.GroupsOf(u) {
		groups = append(groups, bot.Item{Text: entityLabel(g)})
	}
	if len(groups) > 0 {
		reply.Sections = append(reply.Sections, listSection("Member of", groups, ""))
	}
	var owned []bot.Item
	for _, o := range sortedOwned(ix.ByOwnerTransitive(u.Key())) {
		it := bot.Item{Text: refLabel(o.Entity.Key()), Detail: o.Entity.SpecString("type")}
		if o.Via != u.Key() {
			it.Detail = strings.TrimSpace(it.Detail + " · via " + refLabel(o.Via))
		}
		owned = append(owned, it)
	}
	if len(owned) == 0 {
		reply.Text = u.DisplayName() + " and their groups own nothing in the catalog."
	} else {
		reply.Sections = append(reply.Sections, listSection("Owns, with their groups", owned, "/catalog owned-by "+refLabel(u.Key())))
	}
	return reply
}

func listSection(title string, items []bot.Item, more string) bot.Section {
	shown, total := page(items, 1)
	s := bot.Section{Title: title, Items: shown}
	if total > 0 {
		s.Total = total
		s.MoreAction = more
	}
	return s
}

// sortedOwned orders owned entities by kind (components first), then by
// whether they are owned directly, then by ref.
func sortedOwned(owned []catalog.Owned) []catalog.Owned {
	sort.SliceStable(owned, func(i, j int) bool {
		a, b := owned[i].Entity, owned[j].Entity
		if ka, kb := kindOrder(a.Kind), kindOrder(b.Kind); ka != kb {
			return ka < kb
		}
		return a.Key() < b.Key()
	})
	return owned
}
