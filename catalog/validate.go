package catalog

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldType is the JSON-schema type a spec field must have.
type fieldType int

const (
	tString     fieldType = iota // non-empty string
	tAnyString                   // string, may be empty
	tStringList                  // list of non-empty strings
	tObject                      // mapping
	tList                        // list of anything
	tAny
)

// specField describes one spec field of a built-in kind, as the kind's JSON
// schema in @backstage/catalog-model declares it.
type specField struct {
	name     string
	typ      fieldType
	required bool
	enum     []string
	// refKind is the default kind when the field holds entity refs; "-"
	// means the kind must be written out (dependsOn, dependencyOf).
	refKind  string
	relation string // relation emitted on the entity holding the field
}

type kindSchema struct {
	apiVersions []string
	fields      []specField
	// validate runs checks the field table cannot express.
	validate func(p *docParser, spec *yaml.Node)
}

var backstageAPIVersions = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}

var kindSchemas = map[string]kindSchema{
	KindComponent: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "type", typ: tString, required: true},
		{name: "lifecycle", typ: tString, required: true},
		{name: "owner", typ: tString, required: true, refKind: KindGroup, relation: RelOwnedBy},
		{name: "subcomponentOf", typ: tString, refKind: KindComponent, relation: RelPartOf},
		{name: "providesApis", typ: tStringList, refKind: KindAPI, relation: RelProvidesAPI},
		{name: "consumesApis", typ: tStringList, refKind: KindAPI, relation: RelConsumesAPI},
		{name: "dependsOn", typ: tStringList, refKind: "-", relation: RelDependsOn},
		{name: "dependencyOf", typ: tAny, refKind: "-", relation: RelDependencyOf},
		{name: "system", typ: tString, refKind: KindSystem, relation: RelPartOf},
	}},
	KindAPI: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "type", typ: tString, required: true},
		{name: "lifecycle", typ: tString, required: true},
		{name: "owner", typ: tString, required: true, refKind: KindGroup, relation: RelOwnedBy},
		{name: "definition", typ: tString, required: true},
		{name: "system", typ: tString, refKind: KindSystem, relation: RelPartOf},
	}},
	KindResource: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "type", typ: tString, required: true},
		{name: "owner", typ: tString, required: true, refKind: KindGroup, relation: RelOwnedBy},
		{name: "dependsOn", typ: tStringList, refKind: "-", relation: RelDependsOn},
		{name: "dependencyOf", typ: tStringList, refKind: "-", relation: RelDependencyOf},
		{name: "system", typ: tString, refKind: KindSystem, relation: RelPartOf},
	}},
	KindSystem: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "owner", typ: tString, required: true, refKind: KindGroup, relation: RelOwnedBy},
		{name: "domain", typ: tString, refKind: KindDomain, relation: RelPartOf},
		{name: "type", typ: tString},
	}},
	KindDomain: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "owner", typ: tString, required: true, refKind: KindGroup, relation: RelOwnedBy},
		{name: "subdomainOf", typ: tString, refKind: KindDomain, relation: RelPartOf},
		{name: "type", typ: tString},
	}},
	KindGroup: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "type", typ: tString, required: true},
		{name: "profile", typ: tObject},
		{name: "parent", typ: tString, refKind: KindGroup, relation: RelChildOf},
		{name: "children", typ: tStringList, required: true, refKind: KindGroup, relation: RelParentOf},
		{name: "members", typ: tStringList, refKind: KindUser, relation: RelHasMember},
	}, validate: validateProfile},
	KindUser: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "profile", typ: tObject},
		{name: "memberOf", typ: tStringList, required: true, refKind: KindGroup, relation: RelMemberOf},
	}, validate: validateProfile},
	KindLocation: {apiVersions: backstageAPIVersions, fields: []specField{
		{name: "type", typ: tString},
		{name: "target", typ: tString},
		{name: "targets", typ: tStringList},
		{name: "presence", typ: tString, enum: []string{"required", "optional"}},
	}},
	KindTemplate: {apiVersions: []string{"scaffolder.backstage.io/v1beta3"}, fields: []specField{
		{name: "type", typ: tString, required: true},
		{name: "owner", typ: tString, refKind: KindGroup, relation: RelOwnedBy},
		{name: "lifecycle", typ: tString},
		{name: "parameters", typ: tAny},
		{name: "steps", typ: tList, required: true},
		{name: "output", typ: tObject},
	}, validate: validateTemplate},
}

// refFields lists, per kind, the spec fields that hold entity refs.
func refFields(kind string) []specField {
	s, ok := kindSchemas[kind]
	if !ok {
		return nil
	}
	var out []specField
	for _, f := range s.fields {
		if f.refKind != "" {
			out = append(out, f)
		}
	}
	return out
}

var rootFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true, "spec": true}

// entity validates a mapping node as an entity and returns it, or nil when
// any error was found.
func (p *docParser) entity(n *yaml.Node) *Entity {
	_, kindN := lookup(n, "kind")
	_, metaN := lookup(n, "metadata")
	if kindN != nil && isString(kindN) {
		p.kind = kindN.Value
	}
	if metaN != nil && metaN.Kind == yaml.MappingNode {
		if _, nameN := lookup(metaN, "name"); nameN != nil && nameN.Kind == yaml.ScalarNode {
			p.name = nameN.Value
		}
	}

	e := &Entity{}
	// Envelope: apiVersion and kind.
	_, avN := lookup(n, "apiVersion")
	switch {
	case avN == nil:
		p.errAt(n, "apiVersion", "apiVersion is missing; use backstage.io/v1alpha1 (or scaffolder.backstage.io/v1beta3 for a Template)")
	case !isString(avN) || avN.Value == "":
		p.errAt(avN, "apiVersion", "apiVersion must be a non-empty string, found %s", describeNode(avN))
	case !validAPIVersion(avN.Value):
		p.errAt(avN, "apiVersion", "apiVersion %q is not valid: expected %s", avN.Value, ruleAPIVersion)
	default:
		e.APIVersion = avN.Value
	}
	switch {
	case kindN == nil:
		p.errAt(n, "kind", "kind is missing; use one of Component, API, Resource, System, Domain, Group, User, Location, Template")
	case !isString(kindN) || kindN.Value == "":
		p.errAt(kindN, "kind", "kind must be a non-empty string, found %s", describeNode(kindN))
	case !validKind(kindN.Value):
		p.errAt(kindN, "kind", "kind %q is not valid: expected %s", kindN.Value, ruleKind)
	default:
		e.Kind = kindN.Value
	}

	// Root fields: only apiVersion, kind, metadata and spec may come from a file.
	for _, pr := range pairs(n) {
		k := scalarKey(pr.key)
		if !rootFields[k] {
			p.errAt(pr.key, k, "unknown root field %q; an entity has only apiVersion, kind, metadata and spec (relations and status are filled in by the catalog)", k)
		}
	}

	// Metadata.
	if metaN == nil {
		p.errAt(n, "metadata", "metadata is missing; every entity needs metadata.name")
	} else if metaN.Kind != yaml.MappingNode {
		p.errAt(metaN, "metadata", "metadata must be a mapping, found %s", describeNode(metaN))
	} else {
		p.metadata(metaN, &e.Metadata)
	}

	// Spec.
	_, specN := lookup(n, "spec")
	if specN != nil && specN.Kind != yaml.MappingNode {
		p.errAt(specN, "spec", "spec must be a mapping, found %s", describeNode(specN))
		specN = nil
	}
	p.caseDuplicates(n, "")

	if e.Kind != "" && e.APIVersion != "" {
		p.kindSpec(n, kindN, avN, specN)
	}
	if p.errors > 0 {
		return nil
	}
	if specN != nil {
		e.Spec, _ = toValue(specN, 0).(map[string]any)
	}
	if e.Metadata.Namespace == "" {
		e.Metadata.Namespace = DefaultNamespace
	}
	e.refPos = p.refPos
	return e
}

func (p *docParser) metadata(m *yaml.Node, md *Metadata) {
	_, nameN := lookup(m, "name")
	switch {
	case nameN == nil:
		p.errAt(m, "metadata.name", "metadata.name is missing: %s", ruleObjectName)
	case !isString(nameN):
		p.errAt(nameN, "metadata.name", "metadata.name must be a string, found %s; quote it if it is a number", describeNode(nameN))
	case !validObjectName(nameN.Value):
		p.errAt(nameN, "metadata.name", "metadata.name %q is not valid: %s", nameN.Value, ruleObjectName)
	default:
		md.Name = nameN.Value
	}
	if _, nsN := lookup(m, "namespace"); nsN != nil {
		switch {
		case !isString(nsN):
			p.errAt(nsN, "metadata.namespace", "metadata.namespace must be a string, found %s", describeNode(nsN))
		case !validDNSLabel(nsN.Value):
			p.errAt(nsN, "metadata.namespace", "metadata.namespace %q is not valid: %s", nsN.Value, ruleNamespace)
		default:
			md.Namespace = nsN.Value
		}
	}
	for _, f := range []string{"uid", "etag"} {
		if _, v := lookup(m, f); v != nil && (!isString(v) || v.Value == "") {
			p.errAt(v, "metadata."+f, "metadata.%s must be a non-empty string, found %s", f, describeNode(v))
		}
	}
	if _, v := lookup(m, "title"); v != nil {
		if !isString(v) || v.Value == "" {
			p.errAt(v, "metadata.title", "metadata.title must be a non-empty string, found %s", describeNode(v))
		} else {
			md.Title = v.Value
		}
	}
	if _, v := lookup(m, "description"); v != nil {
		if !isString(v) {
			p.errAt(v, "metadata.description", "metadata.description must be a string, found %s", describeNode(v))
		} else {
			md.Description = v.Value
		}
	}
	md.Labels = p.stringMap(m, "labels", true)
	md.Annotations = p.stringMap(m, "annotations", false)
	if _, v := lookup(m, "tags"); v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errAt(v, "metadata.tags", "metadata.tags must be a list of strings, found %s", describeNode(v))
		} else {
			for i, t := range v.Content {
				t = resolveAlias(t)
				field := "metadata.tags[" + itoa(i) + "]"
				switch {
				case !isString(t) || t.Value == "":
					p.errAt(t, field, "tag must be a non-empty string, found %s", describeNode(t))
				case !validTag(t.Value):
					p.errAt(t, field, "tag %q is not valid: %s", t.Value, ruleTag)
				default:
					md.Tags = append(md.Tags, t.Value)
				}
			}
		}
	}
	if _, v := lookup(m, "links"); v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errAt(v, "metadata.links", "metadata.links must be a list of {url, title}, found %s", describeNode(v))
		} else {
			for i, l := range v.Content {
				if link, ok := p.link(resolveAlias(l), "metadata.links["+itoa(i)+"]"); ok {
					md.Links = append(md.Links, link)
				}
			}
		}
	}
}

func (p *docParser) link(n *yaml.Node, field string) (Link, bool) {
	if n.Kind != yaml.MappingNode {
		p.errAt(n, field, "a link must be a mapping with url and optional title, icon and type, found %s", describeNode(n))
		return Link{}, false
	}
	var l Link
	ok := true
	_, u := lookup(n, "url")
	switch {
	case u == nil:
		p.errAt(n, field+".url", "link url is missing")
		ok = false
	case !isString(u) || u.Value == "":
		p.errAt(u, field+".url", "link url must be a non-empty string, found %s", describeNode(u))
		ok = false
	case !validURL(u.Value):
		p.errAt(u, field+".url", "link url %q is not valid: expected an absolute URL such as https://example.com/path", u.Value)
		ok = false
	default:
		l.URL = u.Value
	}
	for _, f := range []string{"title", "icon", "type"} {
		if _, v := lookup(n, f); v != nil {
			if !isString(v) || v.Value == "" {
				p.errAt(v, field+"."+f, "link %s must be a non-empty string, found %s", f, describeNode(v))
				ok = false
				continue
			}
			switch f {
			case "title":
				l.Title = v.Value
			case "icon":
				l.Icon = v.Value
			case "type":
				l.Type = v.Value
			}
		}
	}
	return l, ok
}

// stringMap validates labels or annotations: keys by the prefixed-name rule,
// values strings (labels: empty or an object name).
func (p *docParser) stringMap(m *yaml.Node, key string, label bool) map[string]string {
	_, v := lookup(m, key)
	if v == nil {
		return nil
	}
	field := "metadata." + key
	if v.Kind != yaml.MappingNode {
		p.errAt(v, field, "%s must be a mapping of strings to strings, found %s", field, describeNode(v))
		return nil
	}
	out := make(map[string]string, len(v.Content)/2)
	for _, pr := range pairs(v) {
		k := scalarKey(pr.key)
		f := field + "." + k
		if !validPrefixedName(k) {
			p.errAt(pr.key, f, "%s key %q is not valid: expected %s", strings.TrimSuffix(key, "s"), k, ruleKey)
		}
		if !isString(pr.value) {
			p.errAt(pr.value, f, "%s %q must have a string value, found %s; quote it", strings.TrimSuffix(key, "s"), k, describeNode(pr.value))
			continue
		}
		if label && pr.value.Value != "" && !validObjectName(pr.value.Value) {
			p.errAt(pr.value, f, "label %q value %q is not valid: expected empty or %s", k, pr.value.Value, ruleObjectName)
			continue
		}
		out[k] = pr.value.Value
	}
	return out
}

// caseDuplicates rejects mapping keys that differ only by case anywhere in
// the entity, as Backstage does.
func (p *docParser) caseDuplicates(n *yaml.Node, path string) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		var seen map[string]string
		for _, pr := range pairs(n) {
			k := scalarKey(pr.key)
			lk := strings.ToLower(k)
			if seen == nil {
				seen = make(map[string]string, len(n.Content)/2)
			}
			if prev, dup := seen[lk]; dup && prev != k {
				p.errAt(pr.key, joinPath(path, k), "key %q differs from key %q only by case; Backstage rejects entities with such duplicate keys", k, prev)
			} else {
				seen[lk] = k
			}
			p.caseDuplicates(pr.value, joinPath(path, k))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.caseDuplicates(c, path+"["+itoa(i)+"]")
		}
	}
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// kindSpec checks the kind and apiVersion are a known pair and the spec has
// the fields the kind's schema requires.
func (p *docParser) kindSpec(n, kindN, avN, spec *yaml.Node) {
	kind, av := kindN.Value, avN.Value
	schema, known := kindSchemas[kind]
	if !known {
		for k := range kindSchemas {
			if strings.EqualFold(k, kind) {
				p.errAt(kindN, "kind", "kind %q is not recognized: kinds are case-sensitive, write %q", kind, k)
				return
			}
		}
		p.errAt(kindN, "kind", "kind %q with apiVersion %q is not recognized: use one of Component, API, Resource, System, Domain, Group, User, Location (backstage.io/v1alpha1) or Template (scaffolder.backstage.io/v1beta3)", kind, av)
		return
	}
	if !contains(schema.apiVersions, av) {
		p.errAt(avN, "apiVersion", "apiVersion %q is not recognized for kind %s: use %s", av, kind, strings.Join(schema.apiVersions, " or "))
		return
	}
	if spec == nil {
		p.errAt(n, "spec", "spec is missing; a %s needs %s", kind, requiredList(schema))
		return
	}
	for _, f := range schema.fields {
		_, v := lookup(spec, f.name)
		field := "spec." + f.name
		if v == nil {
			if f.required {
				p.errAt(spec, field, "%s is missing; a %s needs %s", field, kind, requiredList(schema))
			}
			continue
		}
		p.checkType(v, field, f)
		if len(f.enum) > 0 && isString(v) && !contains(f.enum, v.Value) {
			p.errAt(v, field, "%s %q is not valid: use %s", field, v.Value, strings.Join(f.enum, " or "))
		}
		if f.refKind != "" {
			p.checkRefs(v, field, f)
		}
	}
	if schema.validate != nil {
		schema.validate(p, spec)
	}
}

func (p *docParser) checkType(v *yaml.Node, field string, f specField) {
	switch f.typ {
	case tString:
		if !isString(v) || v.Value == "" {
			p.errAt(v, field, "%s must be a non-empty string, found %s", field, describeNode(v))
		}
	case tAnyString:
		if !isString(v) {
			p.errAt(v, field, "%s must be a string, found %s", field, describeNode(v))
		}
	case tStringList:
		if v.Kind != yaml.SequenceNode {
			p.errAt(v, field, "%s must be a list of strings, found %s", field, describeNode(v))
			return
		}
		for i, c := range v.Content {
			c = resolveAlias(c)
			if !isString(c) || c.Value == "" {
				p.errAt(c, field+"["+itoa(i)+"]", "%s[%d] must be a non-empty string, found %s", field, i, describeNode(c))
			}
		}
	case tObject:
		if v.Kind != yaml.MappingNode {
			p.errAt(v, field, "%s must be a mapping, found %s", field, describeNode(v))
		}
	case tList:
		if v.Kind != yaml.SequenceNode {
			p.errAt(v, field, "%s must be a list, found %s", field, describeNode(v))
		}
	}
}

// checkRefs parses every ref a field holds, as Backstage's built-in
// processor does when it emits relations.
func (p *docParser) checkRefs(v *yaml.Node, field string, f specField) {
	defKind := f.refKind
	if defKind == "-" {
		defKind = ""
	}
	check := func(n *yaml.Node, fld string) {
		if !isString(n) || n.Value == "" {
			return // reported by checkType
		}
		if _, err := ParseRef(n.Value, defKind, "x"); err != nil {
			p.errAt(n, fld, "%s: %s", fld, strings.TrimPrefix(err.Error(), ErrBadRef.Error()+": "))
			return
		}
		if p.refPos == nil {
			p.refPos = make(map[string]position, 4)
		}
		p.refPos[fld] = position{n.Line + p.lineOff, n.Column}
	}
	if v.Kind == yaml.SequenceNode {
		for i, c := range v.Content {
			check(resolveAlias(c), field+"["+itoa(i)+"]")
		}
		return
	}
	check(v, field)
}

func validateProfile(p *docParser, spec *yaml.Node) {
	_, prof := lookup(spec, "profile")
	if prof == nil || prof.Kind != yaml.MappingNode {
		return
	}
	for _, f := range []string{"displayName", "email", "picture"} {
		if _, v := lookup(prof, f); v != nil && (!isString(v) || v.Value == "") {
			p.errAt(v, "spec.profile."+f, "spec.profile.%s must be a non-empty string, found %s", f, describeNode(v))
		}
	}
}

func validateTemplate(p *docParser, spec *yaml.Node) {
	_, steps := lookup(spec, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return
	}
	for i, s := range steps.Content {
		s = resolveAlias(s)
		field := "spec.steps[" + itoa(i) + "]"
		if s.Kind != yaml.MappingNode {
			p.errAt(s, field, "%s must be a mapping with an action, found %s", field, describeNode(s))
			continue
		}
		_, a := lookup(s, "action")
		if a == nil {
			p.errAt(s, field+".action", "%s.action is missing: name the action to run, e.g. fetch:template", field)
		} else if !isString(a) {
			p.errAt(a, field+".action", "%s.action must be a string, found %s", field, describeNode(a))
		}
	}
}

func requiredList(s kindSchema) string {
	var names []string
	for _, f := range s.fields {
		if f.required {
			names = append(names, "spec."+f.name)
		}
	}
	if len(names) == 0 {
		return "a spec mapping (it may be empty)"
	}
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
