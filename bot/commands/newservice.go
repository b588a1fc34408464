package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
	"github.com/callboard/callboard/scaffold"
)

// NewService answers /new-service: it lists the catalog's templates, opens a
// form for one, and checks a submitted form against the template's
// parameters. Values can also be given inline as name=value arguments, which
// is how the terminal adapter submits.
//
// Running the template's steps (fetch, publish to GitHub, register) is not
// part of this command yet: a valid submission is answered with the plan.
func NewService(c Catalog) bot.Command {
	return bot.Command{
		Name:    "new-service",
		Usage:   "[TEMPLATE] [name=value…]",
		Summary: "Start a new service from a software template.",
		Help:    "/new-service lists the templates; /new-service go-grpc opens its form.",
		Phrases: []bot.Phrase{
			{Pattern: "new service from {template}"},
			{Pattern: "create a new service from {template}"},
			{Pattern: "new service"},
			{Pattern: "templates", Expand: ""},
		},
		Handler: bot.HandlerFunc(func(ctx context.Context, req bot.Request) (bot.Reply, error) {
			ix := c.Index()
			if req.Arg(0) == "" {
				return listTemplates(ix)
			}
			e, ok := findTemplate(ix, req.Arg(0))
			if !ok {
				var names []string
				for _, t := range ix.OfKind(catalog.KindTemplate) {
					names = append(names, t.Metadata.Name)
				}
				return bot.Reply{}, bot.Errorf("There is no template %q. Templates: %s.", req.Arg(0), strings.Join(names, ", "))
			}
			t, err := scaffold.FromEntity(e)
			if err != nil {
				return bot.Reply{}, err
			}
			values, submitted := inlineValues(req)
			if !submitted {
				return templateForm(t), nil
			}
			if errs := t.Validate(values); len(errs) > 0 {
				return bot.Reply{}, bot.Errorf("Please fix: %s", joinErrors(t, errs))
			}
			return plan(t, values), nil
		}),
	}
}

func findTemplate(ix *catalog.Index, name string) (*catalog.Entity, bool) {
	if e, ok := ix.Get("template:default/" + strings.ToLower(name)); ok {
		return e, true
	}
	for _, e := range ix.ByName(name) {
		if e.Kind == catalog.KindTemplate {
			return e, true
		}
	}
	return nil, false
}

func listTemplates(ix *catalog.Index) (bot.Reply, error) {
	ts := ix.OfKind(catalog.KindTemplate)
	if len(ts) == 0 {
		return bot.Reply{}, bot.Errorf("The catalog has no software templates (kind: Template).")
	}
	sec := bot.Section{Title: "Templates"}
	var buttons []bot.Button
	for _, t := range ts {
		sec.Items = append(sec.Items, bot.Item{Text: entityLabel(t), Detail: t.Metadata.Description})
		if len(buttons) < 5 {
			buttons = append(buttons, bot.Button{Text: t.Metadata.Name, Action: "/new-service " + t.Metadata.Name, Style: "primary"})
		}
	}
	return bot.Reply{Title: "Start a new service", Sections: []bot.Section{sec}, Buttons: buttons, Ephemeral: true}, nil
}

func templateForm(t scaffold.Template) bot.Reply {
	f := &bot.Form{Title: "New: " + t.Title, SubmitLabel: "Create", SubmitAction: "/new-service " + t.Name + " --submit"}
	for _, p := range t.Parameters {
		ff := bot.FormField{Name: p.Name, Label: p.Title, Hint: p.Description, Default: p.Default, Required: p.Required, Options: p.Enum}
		switch p.UIField {
		case "OwnerPicker":
			ff.Placeholder = "group:your-team"
		case "RepoUrlPicker":
			ff.Placeholder = "github.com?owner=acme&repo=my-service"
		case "EntityPicker":
			ff.Placeholder = "kind:name"
		}
		if p.Pattern != "" && ff.Hint == "" {
			ff.Hint = "Must match " + p.Pattern
		}
		f.Fields = append(f.Fields, ff)
	}
	var usage []string
	for _, p := range t.Parameters {
		usage = append(usage, p.Name+"=…")
	}
	return bot.Reply{
		Title:     t.Title,
		Text:      t.Description,
		Form:      f,
		Footer:    "In a terminal: /new-service " + t.Name + " " + strings.Join(usage, " "),
		Ephemeral: true,
	}
}

// inlineValues merges name=value arguments into the submitted values and
// reports whether the request is a submission.
func inlineValues(req bot.Request) (map[string]string, bool) {
	values := map[string]string{}
	for k, v := range req.Values {
		values[k] = v
	}
	submitted := len(req.Values) > 0
	for _, a := range req.Args[1:] {
		if a == "--submit" {
			submitted = true
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok && k != "" {
			values[k] = v
			submitted = true
		}
	}
	return values, submitted
}

func joinErrors(t scaffold.Template, errs map[string]string) string {
	var out []string
	for _, p := range t.Parameters {
		if m, ok := errs[p.Name]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, " ")
}

func plan(t scaffold.Template, values map[string]string) bot.Reply {
	var fields []bot.Field
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fields = append(fields, bot.Field{Name: k, Value: values[k]})
	}
	steps := bot.Section{Title: "Steps"}
	for _, s := range t.Steps {
		name := s.Name
		if name == "" {
			name = s.ID
		}
		steps.Items = append(steps.Items, bot.Item{Text: name, Detail: s.Action})
	}
	return bot.Reply{
		Title:     fmt.Sprintf("%s: ready to create %s", t.Title, values["name"]),
		Text:      "The values are valid for this template. Running the steps (publishing to GitHub and registering in the catalog) is not enabled on this Callboard yet, so nothing was created.",
		Fields:    fields,
		Sections:  []bot.Section{steps},
		Ephemeral: true,
	}
}
