package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/catalog/techdocs"
)

// DocsOpener reads an entity's docs; techdocs.Open is the real one.
type DocsOpener func(e *catalog.Entity) (*techdocs.Site, error)

// Docs answers /docs NAME [QUERY]: the entity's docs pages, or the sections
// that answer the query (e.g. "rollback" finds the runbook's Rollback).
func Docs(c Catalog, open DocsOpener) bot.Command {
	return bot.Command{
		Name:    "docs",
		Usage:   "NAME [QUERY]",
		Summary: "An entity's docs, or the part of them that answers a question.",
		Help:    "/docs payments-api lists its pages; /docs payments-api rollback shows the sections about rollback.",
		MinArgs: 1,
		Phrases: []bot.Phrase{
			{Pattern: "docs for {name} about {q*}"},
			{Pattern: "docs for {name} on {q*}"},
			{Pattern: "docs for {name}"},
			{Pattern: "where are the docs for {name}"},
			{Pattern: "where are the docs of {name}"},
			{Pattern: "runbook for {name}", Expand: "{name} runbook"},
			{Pattern: "how do i {q*} {name}", Expand: "{name} {q}"},
			{Pattern: "docs {name} {q*}"},
			{Pattern: "docs {name}"},
		},
		Handler: bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
			ix := c.Index()
			es, err := resolveOne(ix, "docs", req.Arg(0))
			if err != nil {
				return bot.Reply{}, err
			}
			e, _ := pickOwned(es)
			if e == nil {
				return ambiguous(ix, req.Arg(0), es), nil
			}
			site, err := open(e)
			if errors.Is(err, techdocs.ErrNoDocs) {
				return bot.Reply{}, bot.Errorf("%s has no docs I can read (it needs a backstage.io/techdocs-ref: dir:… annotation and a docs folder next to its catalog-info.yaml).", entityLabel(e))
			}
			if err != nil {
				return bot.Reply{}, err
			}
			if q := req.Rest(1); q != "" {
				return docsAnswer(e, site, q)
			}
			return docsIndex(e, site), nil
		}),
	}
}

func docsIndex(e *catalog.Entity, site *techdocs.Site) bot.Reply {
	name := site.Name
	if name == "" {
		name = e.DisplayName()
	}
	reply := bot.Reply{Title: "Docs: " + name, Ephemeral: true}
	if len(site.Pages) > 0 && len(site.Pages[0].Sections) > 0 {
		reply.Text = truncateRunes(firstParagraph(site.Pages[0].Sections), 500)
	}
	sec := bot.Section{Title: "Pages"}
	for _, p := range site.Pages {
		var heads []string
		for _, s := range p.Sections {
			if s.Level == 2 {
				heads = append(heads, s.Heading)
			}
		}
		sec.Items = append(sec.Items, bot.Item{Text: p.Title, Detail: strings.Join(limitStrings(heads, 6), " · ")})
	}
	reply.Sections = []bot.Section{sec}
	reply.Footer = fmt.Sprintf("Ask /docs %s TOPIC for a section, e.g. /docs %s rollback.", e.Metadata.Name, e.Metadata.Name)
	return reply
}

func firstParagraph(secs []techdocs.Section) string {
	for _, s := range secs {
		if t := strings.TrimSpace(s.Text); t != "" {
			p, _, _ := strings.Cut(t, "\n\n")
			return p
		}
	}
	return ""
}

func docsAnswer(e *catalog.Entity, site *techdocs.Site, q string) (bot.Reply, error) {
	hits := site.Search(q, 3)
	if len(hits) == 0 {
		var titles []string
		for _, p := range site.Pages {
			titles = append(titles, p.Title)
		}
		return bot.Reply{}, bot.Errorf("The docs of %s don't mention %q. Pages: %s.", e.Metadata.Name, q, strings.Join(titles, ", "))
	}
	reply := bot.Reply{Title: fmt.Sprintf("%s docs: %s", e.Metadata.Name, q), Ephemeral: true}
	for _, h := range hits {
		reply.Sections = append(reply.Sections, bot.Section{
			Title: h.Section.Heading + " (" + h.Section.Page + ")",
			Text:  truncateRunes(h.Section.Text, 1200),
		})
	}
	reply.Footer = fmt.Sprintf("From the docs of %s; /docs %s lists every page.", e.Metadata.Name, e.Metadata.Name)
	return reply, nil
}
