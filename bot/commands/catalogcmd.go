package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// CatalogCommand answers /catalog search|show|owned-by|deps.
func CatalogCommand(c Catalog) bot.Command {
	return bot.Command{
		Name:    "catalog",
		Usage:   "search TEXT | show REF | owned-by GROUP | deps REF",
		Summary: "Search the catalog, show an entity, list what a team owns, or show dependencies.",
		Help: "/catalog search TEXT — names, titles, descriptions and tags (add --page N for more)\n" +
			"/catalog show REF — one entity with its relations\n" +
			"/catalog owned-by GROUP — what a group owns, with its child groups (--page N)\n" +
			"/catalog deps REF — what it depends on and what depends on it, two levels each way",
		MinArgs: 1,
		Phrases: []bot.Phrase{
			{Pattern: "search for {text*}", Expand: "search {text}"},
			{Pattern: "search {text*}", Expand: "search {text}"},
			{Pattern: "find {text*}", Expand: "search {text}"},
			{Pattern: "show me {ref*}", Expand: "show {ref}"},
			{Pattern: "show {ref*}", Expand: "show {ref}"},
			{Pattern: "what is {ref*}", Expand: "show {ref}"},
			{Pattern: "what does {group*} own", Expand: "owned-by {group}"},
			{Pattern: "owned by {group*}", Expand: "owned-by {group}"},
			{Pattern: "what does {ref*} depend on", Expand: "deps {ref}"},
			{Pattern: "what depends on {ref*}", Expand: "deps {ref}"},
			{Pattern: "dependencies of {ref*}", Expand: "deps {ref}"},
			{Pattern: "deps of {ref*}", Expand: "deps {ref}"},
			{Pattern: "deps {ref*}", Expand: "deps {ref}"},
		},
		Handler: bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
			ix := c.Index()
			args, pageNo, err := pageFlag(req.Args[1:])
			if err != nil {
				return bot.Reply{}, err
			}
			rest := strings.Join(args, " ")
			sub := strings.ToLower(req.Arg(0))
			if rest == "" && sub != "" {
				return bot.Reply{}, bot.UsageErrorf("/catalog %s needs an argument.", sub)
			}
			switch sub {
			case "search", "find":
				return search(ix, rest, pageNo)
			case "show":
				return show(ix, rest)
			case "owned-by", "ownedby", "owns":
				return ownedBy(ix, rest, pageNo)
			case "deps", "dependencies":
				return deps(ix, rest)
			}
			return bot.Reply{}, bot.UsageErrorf("/catalog has no subcommand %q; use search, show, owned-by or deps.", req.Arg(0))
		}),
	}
}

func search(ix *catalog.Index, text string, pageNo int) (bot.Reply, error) {
	hits, total := ix.Search(text, pageNo*PageSize)
	if total == 0 {
		msg := fmt.Sprintf("Nothing in the catalog matches %q.", text)
		if s := ix.Suggest(text, 3); len(s) > 0 {
			msg += " Did you mean " + orList(s) + "?"
		}
		return bot.Reply{}, bot.Errorf("%s", msg)
	}
	start := (pageNo - 1) * PageSize
	if start >= len(hits) {
		return bot.Reply{}, bot.Errorf("There are only %d results for %q; page %d is past the end.", total, text, pageNo)
	}
	sec := bot.Section{Title: fmt.Sprintf("%d results for %q", total, text)}
	for _, h := range hits[start:] {
		sec.Items = append(sec.Items, bot.Item{Text: entityLabel(h.Entity), Detail: summary(h.Entity)})
	}
	if total > start+len(sec.Items) {
		sec.Total = total - start
		sec.MoreAction = fmt.Sprintf("/catalog search %s --page %d", text, pageNo+1)
	}
	return bot.Reply{Sections: []bot.Section{sec}, Ephemeral: true}, nil
}

// summary is a short line about an entity for lists.
func summary(e *catalog.Entity) string {
	parts := []string{kindLabel(e.Kind)}
	if t := e.SpecString("type"); t != "" {
		parts[0] = t + " " + parts[0]
	}
	if o := e.SpecString("owner"); o != "" {
		parts = append(parts, "owner "+o)
	}
	if d := e.Metadata.Description; d != "" {
		parts = append(parts, truncateRunes(d, 80))
	}
	return strings.Join(parts, " · ")
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func show(ix *catalog.Index, text string) (bot.Reply, error) {
	es, err := resolveOne(ix, "catalog show", text)
	if err != nil {
		return bot.Reply{}, err
	}
	if len(es) > 1 {
		r := ambiguous(ix, text, es)
		for i := range r.Buttons {
			r.Buttons[i].Action = strings.Replace(r.Buttons[i].Action, "/whoowns ", "/catalog show ", 1)
		}
		return r, nil
	}
	e := es[0]
	reply := bot.Reply{
		Title: fmt.Sprintf("%s (%s)", e.DisplayName(), kindLabel(e.Kind)),
		Text:  e.Metadata.Description,
		Fields: []bot.Field{
			{Name: "Ref", Value: e.Ref().Short()},
		},
		Ephemeral: true,
	}
	for _, k := range []string{"type", "lifecycle", "owner", "system", "domain", "parent"} {
		if v := e.SpecString(k); v != "" {
			reply.Fields = append(reply.Fields, bot.Field{Name: strings.ToUpper(k[:1]) + k[1:], Value: v})
		}
	}
	if len(e.Metadata.Tags) > 0 {
		reply.Fields = append(reply.Fields, bot.Field{Name: "Tags", Value: strings.Join(e.Metadata.Tags, ", ")})
	}
	byType := map[catalog.RelationType][]bot.Item{}
	var types []catalog.RelationType
	for _, r := range e.Relations {
		if _, ok := byType[r.Type]; !ok {
			types = append(types, r.Type)
		}
		it := bot.Item{Text: refLabel(r.TargetRef)}
		if _, ok := ix.Get(r.TargetRef); !ok {
			it.Detail = "not in the catalog"
		}
		byType[r.Type] = append(byType[r.Type], it)
	}
	slices.Sort(types) // types order as their names do
	for _, t := range types {
		reply.Sections = append(reply.Sections, listSection(t.String(), byType[t], ""))
	}
	if u := repoURL(e); u != "" {
		reply.Links = append(reply.Links, bot.Link{Text: "Repository", URL: u})
	}
	for _, l := range e.Metadata.Links {
		title := l.Title
		if title == "" {
			title = l.URL
		}
		reply.Links = append(reply.Links, bot.Link{Text: title, URL: l.URL})
	}
	reply.Footer = fmt.Sprintf("Defined in %s", e.Origin.File)
	return reply, nil
}

func ownedBy(ix *catalog.Index, text string, pageNo int) (bot.Reply, error) {
	if !strings.Contains(text, ":") {
		if _, ok := ix.Get("group:default/" + text); ok {
			text = "group:" + text
		}
	}
	es, err := resolveOne(ix, "catalog owned-by", text)
	if err != nil {
		return bot.Reply{}, err
	}
	var owner *catalog.Entity
	for _, e := range es {
		if e.Kind == catalog.KindGroup || e.Kind == catalog.KindUser {
			owner = e
			break
		}
	}
	if owner == nil {
		return bot.Reply{}, bot.Errorf("%s is a %s, not a group or user; try /whoowns %s.", text, kindLabel(es[0].Kind), text)
	}
	owned := sortedOwned(ix.ByOwnerTransitive(owner.Key()))
	var items []bot.Item
	for _, o := range owned {
		it := bot.Item{Text: entityLabel(o.Entity), Detail: summary(o.Entity)}
		if o.Via != owner.Key() {
			it.Detail += " · via " + refLabel(o.Via)
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return bot.Reply{Text: fmt.Sprintf("%s owns nothing in the catalog, directly or through child groups.", entityLabel(owner)), Ephemeral: true}, nil
	}
	shown, total := page(items, pageNo)
	if len(shown) == 0 {
		return bot.Reply{}, bot.Errorf("%s owns %d entities; page %d is past the end.", entityLabel(owner), len(items), pageNo)
	}
	sec := bot.Section{Title: fmt.Sprintf("%s owns %d entities", entityLabel(owner), len(items)), Items: shown}
	if (pageNo-1)*PageSize+len(shown) < len(items) {
		sec.Total = total
		sec.MoreAction = fmt.Sprintf("/catalog owned-by %s --page %d", refLabel(owner.Key()), pageNo+1)
	}
	return bot.Reply{Sections: []bot.Section{sec}, Ephemeral: true}, nil
}

// deps shows two levels of dependencies each way, APIs included: what e
// depends on or consumes, and what depends on it or consumes the APIs it
// provides.
func deps(ix *catalog.Index, text string) (bot.Reply, error) {
	es, err := resolveOne(ix, "catalog deps", text)
	if err != nil {
		return bot.Reply{}, err
	}
	e, _ := pickOwned(es)
	if e == nil {
		return ambiguous(ix, text, es), nil
	}
	reply := bot.Reply{Title: fmt.Sprintf("Dependencies of %s", entityLabel(e)), Ephemeral: true}
	down := dependencyItems(ix, e, downstream)
	up := dependencyItems(ix, e, upstream)
	reply.Sections = append(reply.Sections,
		listSection("Depends on", down, ""),
		listSection("Depended on by", up, ""))
	if provided := ix.Related(e, catalog.RelProvidesAPI); len(provided) > 0 {
		var items []bot.Item
		for _, a := range provided {
			items = append(items, bot.Item{Text: refLabel(a.Key()), Detail: a.SpecString("type")})
		}
		reply.Sections = append(reply.Sections, listSection("Provides APIs", items, ""))
	}
	if len(down) == 0 && len(up) == 0 {
		reply.Text = fmt.Sprintf("%s has no recorded dependencies in either direction.", entityLabel(e))
	}
	return reply, nil
}

type direction int

const (
	downstream direction = iota // what e needs
	upstream                    // what needs e
)

// neighbours returns the entities next to e in one direction with the
// relation that links them.
func neighbours(ix *catalog.Index, e *catalog.Entity, d direction) ([]*catalog.Entity, []string) {
	var out []*catalog.Entity
	var via []string
	add := func(rel catalog.RelationType, label string) {
		for _, t := range ix.Related(e, rel) {
			out = append(out, t)
			via = append(via, label)
		}
	}
	if d == downstream {
		add(catalog.RelDependsOn, "depends on")
		add(catalog.RelConsumesAPI, "consumes API")
		if e.Kind == catalog.KindAPI {
			add(catalog.RelAPIProvidedBy, "provided by")
		}
		return out, via
	}
	add(catalog.RelDependencyOf, "dependency of")
	add(catalog.RelAPIConsumedBy, "consumed by")
	for _, api := range ix.Related(e, catalog.RelProvidesAPI) {
		for _, c := range ix.Related(api, catalog.RelAPIConsumedBy) {
			out = append(out, c)
			via = append(via, "consumes "+refLabel(api.Key()))
		}
	}
	return out, via
}

func dependencyItems(ix *catalog.Index, e *catalog.Entity, d direction) []bot.Item {
	first, via := neighbours(ix, e, d)
	var items []bot.Item
	seen := map[string]bool{e.Key(): true}
	for i, n := range first {
		if seen[n.Key()] {
			continue
		}
		seen[n.Key()] = true
		it := bot.Item{Text: refLabel(n.Key()), Detail: via[i]}
		second, _ := neighbours(ix, n, d)
		var names []string
		for _, s := range second {
			if s.Key() != e.Key() && !contains(names, refLabel(s.Key())) {
				names = append(names, refLabel(s.Key()))
			}
		}
		if len(names) > 0 {
			arrow := " → "
			if d == upstream {
				arrow = " ← "
			}
			it.Detail += arrow + strings.Join(limitStrings(names, 5), ", ")
		}
		items = append(items, it)
	}
	return items
}

func limitStrings(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
