// Package commands holds Callboard's chat commands: platform-neutral handlers
// over the catalog, registered on a bot.Router by main.
package commands

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// Catalog gives handlers the current catalog snapshot. A handler takes it
// once per request so one answer never mixes two snapshots.
type Catalog interface {
	Index() *catalog.Index
}

// PageSize is how many list entries a reply shows before "…and N more".
const PageSize = 10

// Register adds every catalog command to r.
func Register(r *bot.Router, c Catalog, docs DocsOpener) {
	r.Register(WhoOwns(c))
	r.Register(Docs(c, docs))
	r.Register(CatalogCommand(c))
	r.Register(NewService(c))
	r.Register(Help(r))
}

// resolveOne finds the entity a user named, or returns a *bot.UserError with
// did-you-mean suggestions that the user can press.
func resolveOne(ix *catalog.Index, command, text string) ([]*catalog.Entity, error) {
	es, err := ix.Resolve(text)
	if err == nil {
		return es, nil
	}
	if strings.ContainsAny(text, ":/") {
		if _, perr := catalog.ParseRef(text, catalog.KindComponent, catalog.DefaultNamespace); errors.Is(perr, catalog.ErrBadRef) {
			return nil, bot.UsageErrorf("%q is not an entity reference: write a name (payments-api) or kind:name (group:payments-team), optionally with a namespace (component:ops/deployer).", text)
		}
	}
	name := text
	if i := strings.LastIndexAny(name, ":/"); i >= 0 {
		name = name[i+1:]
	}
	sugg := ix.Suggest(name, 3)
	if len(sugg) == 0 {
		return nil, bot.Errorf("I couldn't find %q in the catalog, and nothing is named like it. Try /catalog search with a word from its name or description.", text)
	}
	reply := bot.Reply{Text: fmt.Sprintf("I couldn't find %q in the catalog. Did you mean %s?", text, orList(sugg))}
	for _, s := range sugg {
		reply.Buttons = append(reply.Buttons, bot.Button{Text: s, Action: "/" + command + " " + s})
	}
	return nil, &bot.UserError{Message: reply.Text, Reply: &reply}
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// kindLabel is how a kind reads in a sentence.
func kindLabel(kind string) string {
	// The known kinds are spelt out: lowering them allocated on every answer.
	switch kind {
	case catalog.KindAPI:
		return "API"
	case catalog.KindComponent:
		return "component"
	case catalog.KindResource:
		return "resource"
	case catalog.KindSystem:
		return "system"
	case catalog.KindDomain:
		return "domain"
	case catalog.KindGroup:
		return "group"
	case catalog.KindUser:
		return "user"
	case catalog.KindLocation:
		return "location"
	case catalog.KindTemplate:
		return "template"
	default:
		return strings.ToLower(kind)
	}
}

// refLabel shows a key as a person would write it.
func refLabel(key string) string {
	kind, rest := refParts(key)
	return kind + ":" + rest
}

// refParts splits refLabel(key) at its colon. Callers join the parts with
// their own text in one concatenation, which allocates once.
func refParts(key string) (kind, rest string) {
	kind = catalog.KindOfKey(key)
	rest = strings.TrimPrefix(key, kind+":")
	return kind, strings.TrimPrefix(rest, catalog.DefaultNamespace+"/")
}

// commandOn is the command line that runs command on the entity with key,
// as a button's action: "/docs component:payments-api".
func commandOn(command, key string) string {
	kind, rest := refParts(key)
	return command + " " + kind + ":" + rest
}

// entityLabel is "Title (kind:name)".
func entityLabel(e *catalog.Entity) string {
	kind, rest := refParts(e.Key())
	if name := e.DisplayName(); name != e.Metadata.Name {
		return name + " (" + kind + ":" + rest + ")"
	}
	return kind + ":" + rest
}

// page cuts a list for a reply and returns the section's Total.
func page[T any](list []T, pageNo int) ([]T, int) {
	start := (pageNo - 1) * PageSize
	if start >= len(list) {
		return nil, len(list)
	}
	end := min(start+PageSize, len(list))
	total := 0
	if end < len(list) || start > 0 {
		total = len(list) - start
	}
	return list[start:end], total
}

// pageFlag removes a trailing "--page N" from args.
func pageFlag(args []string) ([]string, int, error) {
	for i := 0; i < len(args); i++ {
		if args[i] == "--page" || args[i] == "-p" {
			if i+1 >= len(args) {
				return nil, 0, bot.UsageErrorf("--page needs a number")
			}
			n, err := strconv.Atoi(args[i+1])
			if err != nil || n < 1 {
				return nil, 0, bot.UsageErrorf("--page %q is not a page number (1, 2, …)", args[i+1])
			}
			return append(append([]string(nil), args[:i]...), args[i+2:]...), n, nil
		}
	}
	return args, 1, nil
}

func sortEntities(es []*catalog.Entity) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Kind != es[j].Kind {
			return kindOrder(es[i].Kind) < kindOrder(es[j].Kind)
		}
		return es[i].Key() < es[j].Key()
	})
}

func kindOrder(k string) int {
	for i, x := range []string{catalog.KindComponent, catalog.KindAPI, catalog.KindResource, catalog.KindSystem, catalog.KindDomain, catalog.KindGroup, catalog.KindUser, catalog.KindTemplate, catalog.KindLocation} {
		if x == k {
			return i
		}
	}
	return 99
}

// chatUserID returns the user's id on the platform the reply is for.
func chatUserID(u *catalog.Entity, platform string) string {
	switch platform {
	case "slack":
		return u.Annotation(catalog.AnnotationSlackUserID)
	case "discord":
		return u.Annotation(catalog.AnnotationDiscordUserID)
	}
	return ""
}

// groupChannel returns the id of a group's chat channel on a platform.
func groupChannel(g *catalog.Entity, platform string) string {
	switch platform {
	case "discord":
		return g.Annotation(catalog.AnnotationDiscordChannelID)
	default:
		return g.Annotation(catalog.AnnotationSlackNotify)
	}
}

func repoURL(e *catalog.Entity) string {
	if slug := e.Annotation(catalog.AnnotationProjectSlug); slug != "" {
		return "https://github.com/" + slug
	}
	if src := e.Annotation(catalog.AnnotationSourceLocation); strings.HasPrefix(src, "url:") {
		return strings.TrimPrefix(src, "url:")
	}
	return ""
}
