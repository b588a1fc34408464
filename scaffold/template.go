// Package scaffold reads Backstage software templates
// (scaffolder.backstage.io/v1beta3) and turns their parameters into forms
// and validated values. It knows the catalog's value types and no SDK.
package scaffold

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/callboard/callboard/catalog"
)

// Template is the part of a Template entity a chat form needs.
type Template struct {
	Ref         string // canonical key, template:default/go-grpc
	Name        string
	Title       string
	Description string
	Owner       string
	Parameters  []Parameter
	Steps       []Step
}

// Parameter is one input of the template's parameter pages.
type Parameter struct {
	Name        string
	Title       string
	Description string
	Type        string // JSON Schema type: string, number, boolean, …
	Required    bool
	Pattern     string
	Enum        []string
	Default     string
	UIField     string // ui:field, e.g. OwnerPicker, RepoUrlPicker
	Page        int    // 0-based parameter page
	PageTitle   string
}

// Step is one action of the template.
type Step struct {
	ID     string
	Name   string
	Action string
}

// FromEntity reads a Template entity. It returns an error naming the field
// when the parameters cannot be understood.
func FromEntity(e *catalog.Entity) (Template, error) {
	if e.Kind != catalog.KindTemplate {
		return Template{}, fmt.Errorf("read template %s: it is a %s, not a Template", e.Ref().Short(), e.Kind)
	}
	t := Template{
		Ref: e.Key(), Name: e.Metadata.Name, Title: e.DisplayName(),
		Description: e.Metadata.Description, Owner: e.SpecString("owner"),
	}
	var pages []map[string]any
	switch p := e.Spec.Value("parameters").(type) {
	case map[string]any:
		pages = []map[string]any{p}
	case []any:
		for i, x := range p {
			m, ok := x.(map[string]any)
			if !ok {
				return Template{}, fmt.Errorf("read template %s: spec.parameters[%d] is not a mapping", t.Name, i)
			}
			pages = append(pages, m)
		}
	}
	for i, page := range pages {
		required := map[string]bool{}
		if req, ok := page["required"].([]any); ok {
			for _, r := range req {
				if s, ok := r.(string); ok {
					required[s] = true
				}
			}
		}
		pageTitle, _ := page["title"].(string)
		props, _ := page["properties"].(map[string]any)
		names := orderedKeys(page, props)
		for _, name := range names {
			spec, _ := props[name].(map[string]any)
			p := Parameter{Name: name, Required: required[name], Page: i, PageTitle: pageTitle}
			p.Title, _ = spec["title"].(string)
			if p.Title == "" {
				p.Title = name
			}
			p.Description, _ = spec["description"].(string)
			p.Type, _ = spec["type"].(string)
			p.Pattern, _ = spec["pattern"].(string)
			p.UIField, _ = spec["ui:field"].(string)
			if d, ok := spec["default"]; ok && d != nil {
				p.Default = fmt.Sprint(d)
			}
			if enum, ok := spec["enum"].([]any); ok {
				for _, v := range enum {
					p.Enum = append(p.Enum, fmt.Sprint(v))
				}
			}
			if p.Pattern != "" {
				if _, err := regexp.Compile(p.Pattern); err != nil {
					return Template{}, fmt.Errorf("read template %s: spec.parameters[%d].properties.%s.pattern %q: %v", t.Name, i, name, p.Pattern, err)
				}
			}
			t.Parameters = append(t.Parameters, p)
		}
	}
	if steps, ok := e.Spec.Value("steps").([]any); ok {
		for _, s := range steps {
			m, _ := s.(map[string]any)
			st := Step{}
			st.ID, _ = m["id"].(string)
			st.Name, _ = m["name"].(string)
			st.Action, _ = m["action"].(string)
			t.Steps = append(t.Steps, st)
		}
	}
	return t, nil
}

// orderedKeys returns a page's property names in ui:order when given, else
// sorted (YAML mappings decode without their order).
func orderedKeys(page, props map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	if order, ok := page["ui:order"].([]any); ok {
		for _, o := range order {
			if s, ok := o.(string); ok && props[s] != nil && !seen[s] {
				out = append(out, s)
				seen[s] = true
			}
		}
	}
	var rest []string
	for k := range props {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Slice(rest, func(i, j int) bool {
		// Required-looking identity fields first: name, then the others.
		if (rest[i] == "name") != (rest[j] == "name") {
			return rest[i] == "name"
		}
		return rest[i] < rest[j]
	})
	return append(out, rest...)
}

// Validate checks submitted values against the parameters and returns a
// message per invalid field, empty when all are valid.
func (t Template) Validate(values map[string]string) map[string]string {
	errs := map[string]string{}
	for _, p := range t.Parameters {
		v := strings.TrimSpace(values[p.Name])
		if v == "" {
			if p.Required {
				errs[p.Name] = p.Title + " is required."
			}
			continue
		}
		if len(p.Enum) > 0 && !contains(p.Enum, v) {
			errs[p.Name] = fmt.Sprintf("%s must be one of %s.", p.Title, strings.Join(p.Enum, ", "))
			continue
		}
		if p.Pattern != "" {
			re, err := regexp.Compile(p.Pattern)
			if err == nil && !re.MatchString(v) {
				errs[p.Name] = fmt.Sprintf("%s %q does not match %s.", p.Title, v, p.Pattern)
			}
		}
		switch p.Type {
		case "number":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				errs[p.Name] = fmt.Sprintf("%s must be a number.", p.Title)
			}
		case "integer":
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				errs[p.Name] = fmt.Sprintf("%s must be a whole number.", p.Title)
			}
		}
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
