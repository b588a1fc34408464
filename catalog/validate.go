package catalog

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Validation follows the order Backstage's catalog backend uses for an
// entity read from a file:
//
//  1. the processor output collector checks the envelope (apiVersion,
//     kind, metadata.name) and metadata.annotations;
//  2. the policies: SchemaValidEntityPolicy (Entity and EntityMeta JSON
//     schemas), NoForeignRootFieldsEntityPolicy, FieldFormatEntityPolicy;
//  3. kind validation: some processor must recognise kind and apiVersion,
//     and the kind's JSON schema must accept the entity;
//  4. the Location step (targets ending in a path separator);
//  5. the built-in processors parse every entity ref in the spec;
//  6. the stitcher rejects keys that differ only in case.
//
// Backstage stops at the first failure; here every step runs where it can
// still say something useful, so a document lists all its problems. A
// document is invalid exactly when Backstage would reject it.

// jtype is a set of JSON types a schema allows.
type jtype uint8

const (
	tNull jtype = 1 << iota
	tBool
	tNumber
	tString
	tObject
	tArray
)

// schema is the subset of JSON schema the catalog's kind schemas use.
type schema struct {
	typ      jtype
	nonEmpty bool // minLength 1
	enum     []string
	required []string
	props    []prop
	items    *schema
	addl     *schema // additionalProperties
	// alt is the schema a list must match when typ allows both objects
	// and lists (a oneOf over the two, as Template parameters have).
	alt *schema
}

type prop struct {
	name string
	s    *schema
}

var (
	sString     = &schema{typ: tString, nonEmpty: true}
	sAnyString  = &schema{typ: tString}
	sObject     = &schema{typ: tObject}
	sStringList = &schema{typ: tArray, items: sString}
	sStrOrBool  = &schema{typ: tString | tBool}
	sProfile    = &schema{typ: tObject, props: []prop{
		{"displayName", sString}, {"email", sString}, {"picture", sString},
	}}
	sPermissions = &schema{typ: tObject, props: []prop{
		{"tags", &schema{typ: tArray, items: sAnyString}},
	}}
	sFormDecorators = &schema{typ: tArray, items: &schema{typ: tObject, props: []prop{
		{"id", sAnyString}, {"input", sObject},
	}}}
)

// kindSpec describes a kind the default catalog backend recognises.
type kindSpec struct {
	apiVersions []string
	spec        *schema
	refs        []specField
}

// specField is a spec field that holds entity refs.
type specField struct {
	name string
	// refKind is the kind a ref without one gets; "-" means the kind must
	// be written out (dependsOn, dependencyOf).
	refKind  string
	relation RelationType // relation emitted on the entity holding the field
	// untyped fields are not in the kind's schema, so any value reaches
	// the processor (Component and Resource dependencyOf).
	untyped bool
}

var backstageAPIVersions = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}

const templateAPIVersion = "scaffolder.backstage.io/v1beta3"

var kindSpecs = map[string]kindSpec{
	KindComponent: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"type", "lifecycle", "owner"},
		props: []prop{
			{"type", sString}, {"lifecycle", sString}, {"owner", sString}, {"system", sString},
			{"subcomponentOf", sString}, {"providesApis", sStringList}, {"consumesApis", sStringList},
			{"dependsOn", sStringList},
		}}, []specField{
		{name: "owner", refKind: KindGroup, relation: RelOwnedBy},
		{name: "subcomponentOf", refKind: KindComponent, relation: RelPartOf},
		{name: "providesApis", refKind: KindAPI, relation: RelProvidesAPI},
		{name: "consumesApis", refKind: KindAPI, relation: RelConsumesAPI},
		{name: "dependsOn", refKind: "-", relation: RelDependsOn},
		{name: "dependencyOf", refKind: "-", relation: RelDependencyOf, untyped: true},
		{name: "system", refKind: KindSystem, relation: RelPartOf},
	}},
	KindAPI: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"type", "lifecycle", "owner", "definition"},
		props: []prop{
			{"type", sString}, {"lifecycle", sString}, {"owner", sString}, {"system", sString},
			{"definition", sString},
		}}, []specField{
		{name: "owner", refKind: KindGroup, relation: RelOwnedBy},
		{name: "system", refKind: KindSystem, relation: RelPartOf},
	}},
	KindResource: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"type", "owner"},
		props: []prop{
			{"type", sString}, {"owner", sString}, {"dependsOn", sStringList}, {"system", sString},
		}}, []specField{
		{name: "owner", refKind: KindGroup, relation: RelOwnedBy},
		{name: "dependsOn", refKind: "-", relation: RelDependsOn},
		{name: "dependencyOf", refKind: "-", relation: RelDependencyOf, untyped: true},
		{name: "system", refKind: KindSystem, relation: RelPartOf},
	}},
	KindSystem: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"owner"},
		props:    []prop{{"owner", sString}, {"domain", sString}, {"type", sString}},
	}, []specField{
		{name: "owner", refKind: KindGroup, relation: RelOwnedBy},
		{name: "domain", refKind: KindDomain, relation: RelPartOf},
	}},
	KindDomain: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"owner"},
		props:    []prop{{"owner", sString}, {"subdomainOf", sString}, {"type", sString}},
	}, []specField{
		{name: "owner", refKind: KindGroup, relation: RelOwnedBy},
		{name: "subdomainOf", refKind: KindDomain, relation: RelPartOf},
	}},
	KindGroup: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"type", "children"},
		props: []prop{
			{"type", sString}, {"profile", sProfile}, {"parent", sString},
			{"children", sStringList}, {"members", sStringList},
		}}, []specField{
		{name: "parent", refKind: KindGroup, relation: RelChildOf},
		{name: "children", refKind: KindGroup, relation: RelParentOf},
		{name: "members", refKind: KindUser, relation: RelHasMember},
	}},
	KindUser: {backstageAPIVersions, &schema{typ: tObject,
		required: []string{"memberOf"},
		props:    []prop{{"profile", sProfile}, {"memberOf", sStringList}},
	}, []specField{
		{name: "memberOf", refKind: KindGroup, relation: RelMemberOf},
	}},
	KindLocation: {backstageAPIVersions, &schema{typ: tObject,
		props: []prop{
			{"type", sString}, {"target", sString}, {"targets", sStringList},
			{"presence", &schema{typ: tString, enum: []string{"required", "optional"}}},
		}}, nil},
	KindTemplate: {[]string{templateAPIVersion}, &schema{typ: tObject,
		required: []string{"type", "steps"},
		props: []prop{
			{"type", sString}, {"owner", sString}, {"lifecycle", sString},
			{"parameters", &schema{typ: tObject | tArray,
				props: []prop{{"backstage:permissions", sPermissions}},
				alt: &schema{typ: tArray, items: &schema{typ: tObject, props: []prop{
					{"when", sStrOrBool}, {"backstage:permissions", sPermissions},
				}}},
			}},
			{"secrets", &schema{typ: tObject, props: []prop{{"schema", sObject}}}},
			{"presentation", &schema{typ: tObject, props: []prop{
				{"buttonLabels", &schema{typ: tObject, props: []prop{
					{"backButtonText", sAnyString}, {"createButtonText", sAnyString}, {"reviewButtonText", sAnyString},
				}}},
			}}},
			{"EXPERIMENTAL_recovery", &schema{typ: tObject, props: []prop{{"EXPERIMENTAL_strategy", sAnyString}}}},
			{"formDecorators", sFormDecorators},
			{"EXPERIMENTAL_formDecorators", sFormDecorators},
			{"steps", &schema{typ: tArray, items: &schema{typ: tObject,
				required: []string{"action"},
				props: []prop{
					{"id", sAnyString}, {"name", sAnyString}, {"action", sAnyString}, {"input", sObject},
					{"if", sStrOrBool}, {"backstage:permissions", sPermissions},
				}}}},
			{"output", &schema{typ: tObject,
				props: []prop{
					{"links", &schema{typ: tArray, items: &schema{typ: tObject, props: []prop{
						{"if", sStrOrBool}, {"url", sString}, {"entityRef", sString}, {"title", sString}, {"icon", sString},
					}}}},
					{"text", &schema{typ: tArray, items: &schema{typ: tObject, props: []prop{
						{"if", sStrOrBool}, {"title", sString}, {"icon", sString}, {"content", sAnyString},
					}}}},
				},
				addl: sAnyString,
			}},
		}}, []specField{
		{name: "owner", refKind: KindGroup, relation: RelOwnedBy},
	}},
}

// refFields lists, per kind, the spec fields that hold entity refs.
func refFields(kind string) []specField { return kindSpecs[kind].refs }

var rootFields = [...]string{"apiVersion", "kind", "metadata", "spec"}

// entity validates a mapping node as an entity and returns it, or nil when
// any error was found.
func (p *docParser) entity(n *yaml.Node) *Entity {
	_, avN := p.get(n, "apiVersion")
	_, kindN := p.get(n, "kind")
	metaK, metaN := p.get(n, "metadata")
	specK, specN := p.get(n, "spec")
	if kindN != nil && p.rawKind(kindN) == vString {
		p.kind = kindN.Value
	}
	var nameN *yaml.Node
	if metaN != nil && metaN.Kind == yaml.MappingNode {
		_, nameN = p.get(metaN, "name")
		if nameN != nil && p.rawKind(nameN) == vString {
			p.name = nameN.Value
		}
	}

	// 1. Envelope, as the output collector checks it before anything else.
	envelopeOK := p.envelope(n, avN, kindN, metaN, nameN)

	// 2. Root fields: the Entity schema and NoForeignRootFieldsEntityPolicy.
	p.each(n, func(name string, key, _ *yaml.Node) {
		for _, f := range rootFields {
			if name == f {
				return
			}
		}
		hint := ""
		switch {
		case name == "relations" || name == "status":
			hint = " (relations and status are filled in by the catalog)"
		case slices.ContainsFunc(rootFields[:], func(f string) bool { return strings.EqualFold(f, name) }):
			hint = " (field names are case-sensitive)"
		}
		p.errAt(key, name, "unknown root field %q: an entity has only apiVersion, kind, metadata and spec%s", name, hint)
	})
	if specN != nil && p.jsonKind(specN) != vObject {
		p.errAt(specN, "spec", "spec must be a mapping, found %s", p.describe(specN))
		specN = nil
	}

	// Metadata schema and field formats.
	var md Metadata
	if metaN != nil && metaN.Kind == yaml.MappingNode {
		p.metadata(metaN, &md)
	}
	if envelopeOK {
		if av := avN.Value; !validAPIVersion(av) {
			p.errAt(avN, "apiVersion", "apiVersion is not valid: %s; found %q", ruleAPIVersion, av)
			envelopeOK = false
		}
		if k := kindN.Value; !validKind(k) {
			p.errAt(kindN, "kind", "kind is not valid: %s; found %q", ruleKind, k)
			envelopeOK = false
		}
	}

	// 3–5. Kind, spec, Location targets and refs.
	if envelopeOK {
		p.kindSpec(n, kindN, avN, specK, specN)
	}

	// 6. Keys that differ only in case.
	p.caseKeys(n, metaK, metaN)

	if p.errors > 0 {
		return nil
	}
	e := &Entity{APIVersion: avN.Value, Kind: kindN.Value, Metadata: md}
	if specN != nil {
		e.Spec = p.specOf(specN)
	}
	if e.Metadata.Namespace == "" {
		e.Metadata.Namespace = DefaultNamespace
	}
	// The key is built once, here, in the parsing worker, into the
	// scratch's slab: the loader, Relate, the store and the index all look
	// entities up by it.
	var key [96]byte
	e.key = p.sc.keepKey(e.Ref().appendKey(key[:0]))
	// Positions were collected in the scratch's buffer; the entity keeps
	// them packed, in the document's slab.
	if len(p.refPos) > 0 {
		packed := packRefPositions(p.sc.refPacked[:0], p.refPos)
		e.refPos = p.sc.keep(packed)
		p.sc.refPacked = packed[:0]
	}
	p.sc.refPos = p.refPos[:0]
	return e
}

// envelope checks what the processor output collector checks: apiVersion
// and kind non-empty strings, metadata a mapping with a non-empty string
// name, namespace a non-empty string when present. Values are checked as
// the yaml package built them, before the JSON round trip.
func (p *docParser) envelope(root, avN, kindN, metaN, nameN *yaml.Node) bool {
	ok := true
	switch {
	case avN == nil:
		p.errAt(root, "apiVersion", "apiVersion is missing: use backstage.io/v1alpha1 (scaffolder.backstage.io/v1beta3 for a Template)")
		ok = false
	case p.rawKind(avN) != vString || avN.Value == "":
		p.errAt(avN, "apiVersion", "apiVersion must be a non-empty string such as backstage.io/v1alpha1, found %s", p.describe(avN))
		ok = false
	}
	switch {
	case kindN == nil:
		p.errAt(root, "kind", "kind is missing: use one of Component, API, Resource, System, Domain, Group, User, Location, Template")
		ok = false
	case p.rawKind(kindN) != vString || kindN.Value == "":
		p.errAt(kindN, "kind", "kind must be a non-empty string such as Component, found %s", p.describe(kindN))
		ok = false
	}
	switch {
	case metaN == nil:
		p.errAt(root, "metadata", "metadata is missing: every entity needs metadata.name")
		return false
	case metaN.Kind != yaml.MappingNode:
		p.errAt(metaN, "metadata", "metadata must be a mapping, found %s", p.describe(metaN))
		return false
	}
	metaK, _ := p.get(root, "metadata")
	switch {
	case nameN == nil:
		p.errAt(metaK, "metadata.name", "metadata.name is missing: %s", ruleObjectName)
		ok = false
	case p.rawKind(nameN) != vString:
		p.errAt(nameN, "metadata.name", "metadata.name must be a string, found %s; quote it if it is a number", p.describe(nameN))
		ok = false
	case nameN.Value == "":
		p.errAt(nameN, "metadata.name", "metadata.name must not be empty: %s", ruleObjectName)
		ok = false
	}
	if _, ns := p.get(metaN, "namespace"); ns != nil {
		switch {
		case p.rawKind(ns) != vString:
			p.errAt(ns, "metadata.namespace", "metadata.namespace must be a string, found %s", p.describe(ns))
			ok = false
		case ns.Value == "":
			p.errAt(ns, "metadata.namespace", "metadata.namespace must not be empty: %s", ruleNamespace)
			ok = false
		}
	}
	if _, a := p.get(metaN, "annotations"); a != nil && !p.falsyRaw(a) && a.Kind != yaml.MappingNode {
		p.errAt(a, "metadata.annotations", "metadata.annotations must be a mapping of strings to strings, found %s", p.describe(a))
	}
	return ok
}

// falsyRaw reports whether a value is falsy in JavaScript as the yaml
// package built it (null, false, 0, NaN, "").
func (p *docParser) falsyRaw(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	k, f := p.scalar(n)
	switch k {
	case vNull:
		return true
	case vBool, vNumber:
		return f == 0 || f != f
	case vString:
		return n.Value == ""
	}
	return false
}

// falsy is falsyRaw for the stored (JSON) value.
func (p *docParser) falsy(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n != nil && n.Kind == yaml.ScalarNode && p.jsonKind(n) == vNull {
		return true
	}
	return p.falsyRaw(n)
}

// metadata checks the EntityMeta schema and the field formats, and fills
// md with what is valid.
func (p *docParser) metadata(m *yaml.Node, md *Metadata) {
	if _, n := p.get(m, "name"); n != nil && p.rawKind(n) == vString && n.Value != "" {
		if validObjectName(n.Value) {
			md.Name = n.Value
		} else {
			p.errAt(n, "metadata.name", "metadata.name is not valid: %s", ruleObjectName)
		}
	}
	if _, n := p.get(m, "namespace"); n != nil && p.rawKind(n) == vString && n.Value != "" {
		if validDNSLabel(n.Value) {
			md.Namespace = n.Value
		} else {
			p.errAt(n, "metadata.namespace", "metadata.namespace is not valid: %s; found %q", ruleNamespace, n.Value)
		}
	}
	for _, f := range [...]string{"uid", "etag", "title"} {
		_, n := p.get(m, f)
		if n == nil {
			continue
		}
		if !p.isString(n) || p.str(n) == "" {
			p.errAt(n, "metadata."+f, "metadata.%s must be a non-empty string, found %s", f, p.describe(n))
		} else if f == "title" {
			md.Title = p.str(n)
		}
	}
	if _, n := p.get(m, "description"); n != nil {
		if !p.isString(n) {
			p.errAt(n, "metadata.description", "metadata.description must be a string, found %s", p.describe(n))
		} else {
			md.Description = p.str(n)
		}
	}
	md.Labels = p.stringMap(m, "labels")
	md.Annotations = p.stringMap(m, "annotations")
	if _, v := p.get(m, "tags"); v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errAt(v, "metadata.tags", "metadata.tags must be a list of tags, found %s", p.describe(v))
		} else {
			if len(v.Content) > 0 {
				md.Tags = make([]string, 0, len(v.Content))
			}
			for i, t := range v.Content {
				t = resolveAlias(t)
				// The field's name is built only for a message.
				field := func() string { return "metadata.tags[" + strconv.Itoa(i) + "]" }
				switch {
				case !p.isString(t) || p.str(t) == "":
					p.errAt(t, field(), "%s must be a non-empty string, found %s", field(), p.describe(t))
				case !validTag(p.str(t)):
					p.errAt(t, field(), "%s is not valid: %s; found %q", field(), ruleTag, p.str(t))
				default:
					md.Tags = append(md.Tags, p.str(t))
				}
			}
		}
	}
	if _, v := p.get(m, "links"); v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errAt(v, "metadata.links", "metadata.links must be a list of {url, title, icon, type}, found %s", p.describe(v))
		} else {
			if len(v.Content) > 0 {
				md.Links = make([]Link, 0, len(v.Content))
			}
			for i, l := range v.Content {
				if link, ok := p.link(resolveAlias(l), i); ok {
					md.Links = append(md.Links, link)
				}
			}
		}
	}
}

// link checks metadata.links[i]. The field's name is built only for a
// message.
func (p *docParser) link(n *yaml.Node, i int) (Link, bool) {
	field := func() string { return "metadata.links[" + strconv.Itoa(i) + "]" }
	if n.Kind != yaml.MappingNode {
		p.errAt(n, field(), "%s must be a mapping with url and optional title, icon and type, found %s", field(), p.describe(n))
		return Link{}, false
	}
	var l Link
	ok := true
	_, u := p.get(n, "url")
	switch {
	case u == nil:
		p.errAt(n, field()+".url", "%s.url is missing: a link needs an absolute URL such as https://example.com/docs", field())
		ok = false
	case !p.isString(u) || p.str(u) == "":
		p.errAt(u, field()+".url", "%s.url must be a non-empty string, found %s", field(), p.describe(u))
		ok = false
	case !validURL(p.str(u)):
		p.errAt(u, field()+".url", "%s.url is not valid: %s; found %q", field(), ruleURL, p.str(u))
		ok = false
	default:
		l.URL = p.str(u)
	}
	for _, f := range [...]string{"title", "icon", "type"} {
		_, v := p.get(n, f)
		if v == nil {
			continue
		}
		if !p.isString(v) || p.str(v) == "" {
			p.errAt(v, field()+"."+f, "%s.%s must be a non-empty string, found %s", field(), f, p.describe(v))
			ok = false
			continue
		}
		s := p.str(v)
		if f != "type" && jsTrim(s) == "" {
			p.errAt(v, field()+"."+f, "%s.%s is not valid: it must contain more than white space", field(), f)
			ok = false
			continue
		}
		switch f {
		case "title":
			l.Title = s
		case "icon":
			l.Icon = s
		case "type":
			l.Type = s
		}
	}
	return l, ok
}

// stringMap validates labels or annotations: a mapping whose keys are
// [dns-subdomain/]name and whose values are strings (label values: empty
// or a name). A falsy annotations value is valid: the catalog replaces it
// with its own annotations.
func (p *docParser) stringMap(m *yaml.Node, key string) KeyValues {
	_, v := p.get(m, key)
	if v == nil {
		return nil
	}
	label := key == "labels"
	field := "metadata." + key
	if !label && p.falsyRaw(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		if label {
			p.errAt(v, field, "%s must be a mapping of strings to strings, found %s", field, p.describe(v))
		}
		return nil // annotations: reported with the envelope
	}
	p.sc.pairs = p.sc.pairs[:0]
	if !p.special[v] {
		for i := 0; i+1 < len(v.Content); i += 2 {
			p.stringMapEntry(key, v.Content[i].Value, v.Content[i], resolveAlias(v.Content[i+1]))
		}
	} else {
		p.each(v, func(k string, kn, val *yaml.Node) { p.stringMapEntry(key, k, kn, val) })
	}
	return p.keyValues(p.sc.pairs, !label)
}

// stringMapEntry checks one entry of metadata.labels or .annotations (key)
// and appends it to p.sc.pairs when it is kept.
func (p *docParser) stringMapEntry(key, k string, kn, val *yaml.Node) {
	label := key == "labels"
	if !label && (k == AnnotationManagedByLocation || k == AnnotationManagedByOriginLocation) {
		return // the catalog sets these, whatever the file says
	}
	// The field's name is built only for a message.
	f := func() string { return "metadata." + key + "." + k }
	what := strings.TrimSuffix(key, "s")
	keyOK := validPrefixedName(k)
	if !keyOK {
		p.errAt(kn, f(), "%s key is not valid: %s; found %q", what, ruleKey, k)
	}
	if !p.isString(val) {
		p.errAt(val, f(), "%s %q must have a string value, found %s; quote it", what, k, p.describe(val))
		return
	}
	s := p.str(val)
	if label && s != "" && !validObjectName(s) {
		p.errAt(val, f(), "label %q value is not valid: empty or %s; found %q", k, ruleObjectName, s)
		return
	}
	if keyOK {
		p.sc.pairs = append(p.sc.pairs, KeyValue{k, s})
	}
}

// keyValues returns the pairs as a KeyValues: sorted, a key given twice
// keeping its last value as a map would. Annotations get room for the
// three location annotations the loader adds.
func (p *docParser) keyValues(pairs []KeyValue, annotations bool) KeyValues {
	if len(pairs) == 0 && !annotations {
		return nil
	}
	slices.SortStableFunc(pairs, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	room := 0
	if annotations {
		room = 3
	}
	out := make(KeyValues, 0, len(pairs)+room)
	for i, kv := range pairs {
		if i+1 < len(pairs) && pairs[i+1].Key == kv.Key {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// kindSpec runs the kind validation, the Location step and the ref checks.
func (p *docParser) kindSpec(root, kindN, avN, specK, spec *yaml.Node) {
	kind, av := kindN.Value, avN.Value
	ks, known := kindSpecs[kind]
	if !known || !contains(ks.apiVersions, av) {
		p.unrecognized(kindN, avN, kind, av, known, ks)
		return
	}
	if specK == nil {
		p.errAt(root, "spec", "spec is missing: a %s needs a spec mapping%s", kind, requiredHint(ks.spec))
		return
	}
	if spec == nil {
		return // not a mapping: reported already
	}
	before := p.errors
	p.sc.fields = append(p.sc.fields[:0], fieldSeg{name: "spec"})
	p.validate(spec, ks.spec, specK)
	if p.errors != before {
		return
	}
	if kind == KindLocation {
		p.locationTargets(spec)
	}
	p.checkRefs(spec, ks.refs)
}

func (p *docParser) unrecognized(kindN, avN *yaml.Node, kind, av string, known bool, ks kindSpec) {
	if known {
		p.errAt(avN, "apiVersion", "apiVersion %q is not one Backstage accepts for a %s: use %s", av, kind, strings.Join(ks.apiVersions, " or "))
		return
	}
	for k := range kindSpecs {
		if strings.EqualFold(k, kind) {
			p.errAt(kindN, "kind", "kind %q is not recognized: kinds are case-sensitive, write %q", kind, k)
			return
		}
	}
	p.errAt(kindN, "kind", "kind %q with apiVersion %q is not recognized by the catalog: use Component, API, Resource, System, Domain, Group, User or Location (backstage.io/v1alpha1), or Template (%s)", kind, av, templateAPIVersion)
}

func requiredHint(s *schema) string {
	if len(s.required) == 0 {
		return " (it may be empty: spec: {})"
	}
	return " with " + strings.Join(prefixAll("spec.", s.required), ", ")
}

func prefixAll(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// fieldSeg is one step of the path of the field being validated: a name,
// or a list index when name is "".
type fieldSeg struct {
	name  string
	index int
}

// field renders the path of the field being validated; it is built only
// for a problem.
func (p *docParser) field() string {
	var b strings.Builder
	for i, s := range p.sc.fields {
		switch {
		case s.name == "":
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case i > 0:
			b.WriteString("." + s.name)
		default:
			b.WriteString(s.name)
		}
	}
	return b.String()
}

// validate checks n, the field at the path p.sc.fields, against a schema;
// key locates problems about missing fields.
func (p *docParser) validate(n *yaml.Node, s *schema, key *yaml.Node) {
	n = resolveAlias(n)
	k := p.jsonKind(n)
	if s.alt != nil && k == vArray {
		s = s.alt
	}
	if !s.allows(k) {
		field := p.field()
		p.errAt(n, field, "%s must be %s, found %s", field, s.describe(), p.describe(n))
		return
	}
	depth := len(p.sc.fields)
	switch k {
	case vString:
		v := p.str(n)
		if s.nonEmpty && v == "" {
			field := p.field()
			p.errAt(n, field, "%s must not be empty", field)
		}
		if s.enum != nil && !contains(s.enum, v) {
			field := p.field()
			p.errAt(n, field, "%s is not valid: use %s; found %q", field, strings.Join(s.enum, " or "), v)
		}
	case vObject:
		if n.Kind != yaml.MappingNode {
			return
		}
		at := key
		if at == nil {
			at = n
		}
		for _, r := range s.required {
			if k, _ := p.get(n, r); k == nil {
				field := p.field()
				p.errAt(at, field+"."+r, "%s.%s is missing%s", field, r, requiredHint2(field, s))
			}
		}
		for _, pr := range s.props {
			if pk, v := p.get(n, pr.name); pk != nil {
				p.sc.fields = append(p.sc.fields[:depth], fieldSeg{name: pr.name})
				p.validate(v, pr.s, pk)
			}
		}
		if s.addl != nil {
			p.each(n, func(name string, kn, v *yaml.Node) {
				for _, pr := range s.props {
					if pr.name == name {
						return
					}
				}
				p.sc.fields = append(p.sc.fields[:depth], fieldSeg{name: name})
				p.validate(v, s.addl, kn)
			})
		}
	case vArray:
		if s.items == nil {
			return
		}
		for i, c := range n.Content {
			p.sc.fields = append(p.sc.fields[:depth], fieldSeg{index: i})
			p.validate(c, s.items, nil)
		}
	}
	p.sc.fields = p.sc.fields[:depth]
}

func requiredHint2(field string, s *schema) string {
	if len(s.required) < 2 {
		return ""
	}
	return " (" + field + " needs " + strings.Join(s.required, ", ") + ")"
}

func (s *schema) allows(k vkind) bool {
	var t jtype
	switch k {
	case vNull:
		t = tNull
	case vBool:
		t = tBool
	case vNumber:
		t = tNumber
	case vString:
		t = tString
	case vObject:
		t = tObject
	case vArray:
		t = tArray
	}
	return s.typ&t != 0
}

func (s *schema) describe() string {
	switch {
	case s.typ == tString && s.nonEmpty:
		return "a non-empty string"
	case s.typ == tString:
		return "a string"
	case s.typ == tObject:
		return "a mapping"
	case s.typ == tArray && s.items == sString:
		return "a list of non-empty strings"
	case s.typ == tArray && s.items != nil && s.items.typ == tObject:
		return "a list of mappings"
	case s.typ == tArray:
		return "a list"
	case s.typ == tString|tBool:
		return "a string or a boolean"
	case s.typ == tObject|tArray:
		return "a mapping or a list of mappings"
	}
	return "another type"
}

// locationTargets applies the Location step: a file location's target
// must not end with a path separator. It records where targets are, for
// the loader's messages.
func (p *docParser) locationTargets(spec *yaml.Node) {
	typ := "file"
	if _, t := p.get(spec, "type"); t != nil {
		typ = p.str(t)
	}
	check := func(n *yaml.Node, at specRef) {
		p.setRefPos(at, n)
		if typ == "file" && strings.HasSuffix(p.str(n), "/") {
			field := at.String()
			p.errAt(n, field, "%s is not valid: a file location's target must name a file or a glob, not end with \"/\"; found %q", field, p.str(n))
		}
	}
	if _, t := p.get(spec, "target"); t != nil && !p.falsy(t) {
		check(t, specRef{"target", -1})
	}
	if _, ts := p.get(spec, "targets"); ts != nil && ts.Kind == yaml.SequenceNode {
		for i, t := range ts.Content {
			check(resolveAlias(t), specRef{"targets", i})
		}
	}
}

func (p *docParser) setRefPos(at specRef, n *yaml.Node) {
	field, ok := refField(at.name)
	if !ok {
		return // not a field messages can name; see refFieldNames
	}
	pos := p.pos(n)
	p.refPos = append(p.refPos, refPos{field, int32(at.index), int32(pos.line), int32(pos.col)})
}

// checkRefs parses every entity ref of the spec as the built-in processors
// do when they emit relations: a falsy field is skipped, a list is taken
// item by item (one level deep), and each item must be a ref.
func (p *docParser) checkRefs(spec *yaml.Node, refs []specField) {
	for _, f := range refs {
		_, v := p.get(spec, f.name)
		if v == nil || p.falsy(v) {
			continue
		}
		defKind := f.refKind
		if defKind == "-" {
			defKind = ""
		}
		if v.Kind == yaml.SequenceNode {
			for i, c := range v.Content {
				p.checkRef(resolveAlias(c), specRef{f.name, i}, defKind)
			}
			continue
		}
		p.checkRef(v, specRef{f.name, -1}, defKind)
	}
}

func (p *docParser) checkRef(n *yaml.Node, at specRef, defKind string) {
	if p.falsy(n) {
		field := at.String()
		p.errAt(n, field, "%s must not be empty: it must be an entity ref such as %s", field, refExample(defKind))
		return
	}
	// The field's name is built only for a message: most refs are fine.
	field := at.String
	switch p.jsonKind(n) {
	case vString:
		if _, err := ParseRef(p.str(n), defKind, DefaultNamespace); err != nil {
			p.errAt(n, field(), "%s is not valid: %s", field(), strings.TrimPrefix(err.Error(), ErrBadRef.Error()+": "))
			return
		}
		p.setRefPos(at, n)
	case vObject:
		// A compound ref {kind, namespace, name}.
		_, kind := p.get(n, "kind")
		_, ns := p.get(n, "namespace")
		_, name := p.get(n, "name")
		switch {
		case kind == nil || p.falsy(kind):
			if defKind == "" {
				p.errAt(n, field(), "%s is not valid: the ref has no kind; write it as kind:[namespace/]name, e.g. %s", field(), refExample(""))
				return
			}
		case !p.isString(kind):
			p.errAt(kind, field()+".kind", "%s.kind must be a string, found %s", field(), p.describe(kind))
			return
		}
		if ns != nil && p.jsonKind(ns) != vNull && (!p.isString(ns) || p.str(ns) == "") {
			p.errAt(ns, field()+".namespace", "%s.namespace must be a non-empty string, found %s", field(), p.describe(ns))
			return
		}
		if name == nil || !p.isString(name) || p.str(name) == "" {
			where := name
			if where == nil {
				where = n
			}
			p.errAt(where, field()+".name", "%s.name must be a non-empty string, found %s", field(), p.describe(name))
			return
		}
	default:
		if defKind != "" {
			return // the kind's schema reported the type
		}
		p.errAt(n, field(), "%s is not valid: an entity ref is a string such as %s, found %s", field(), refExample(""), p.describe(n))
	}
}

func refExample(defKind string) string {
	if defKind == "" {
		return "component:my-service or resource:default/my-db"
	}
	return strings.ToLower(defKind) + ":default/my-" + strings.ToLower(defKind)
}

// Keys that differ only in case. Backstage's stitcher flattens the entity
// into search keys (a.b.c for every scalar; list items at the list's path,
// and string items also as path.item) and refuses an entity whose keys
// would collide once lowercased.

// keySet collects an entity's search keys; it is reused across documents.
type keySet struct {
	path  []byte
	buf   []byte
	lower []byte
	ents  []keyEnt
	first map[uint64]int32 // lowercase key hash: first entry
	items map[uint64]int32 // the same for list-item keys

	fast   fastTable // maybeCaseKeys' keys
	unsure bool
}

type keyEnt struct {
	start, end   int32  // the key in buf
	lstart, lend int32  // the lowercased key in lower
	hash         uint64 // of the lowercased key
	item         bool   // a list item's path.item key
	added        bool   // a key the catalog adds, not one from the file
	node         *yaml.Node
}

func (ks *keySet) reset() {
	ks.path, ks.buf, ks.lower, ks.ents = ks.path[:0], ks.buf[:0], ks.lower[:0], ks.ents[:0]
}

func (ks *keySet) add(key []byte, item bool, node *yaml.Node) {
	start := int32(len(ks.buf))
	ks.buf = append(ks.buf, key...)
	lstart := int32(len(ks.lower))
	ks.lower = appendJSLower(ks.lower, key)
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range ks.lower[lstart:] {
		h = (h ^ uint64(c)) * 1099511628211
	}
	ks.ents = append(ks.ents, keyEnt{start: start, end: int32(len(ks.buf)), lstart: lstart, lend: int32(len(ks.lower)), hash: h, item: item, node: node})
}

func (ks *keySet) exact(e *keyEnt) []byte { return ks.buf[e.start:e.end] }
func (ks *keySet) low(e *keyEnt) []byte   { return ks.lower[e.lstart:e.lend] }

var searchSkip = [...]string{"attachments", "relations", "status", "metadata.name", "metadata.namespace", "metadata.uid", "metadata.etag"}

func (p *docParser) caseKeys(root, metaK, metaN *yaml.Node) {
	if !p.maybeCaseKeys(root) {
		return
	}
	ks := &p.sc.keys
	ks.reset()
	p.visitKeys(ks, root, root, 0)
	for _, k := range catalogKeys {
		ks.add([]byte(k), false, metaK)
		ks.ents[len(ks.ents)-1].added = true
	}
	first, second, ok := ks.collision()
	if ok {
		return
	}
	if second.added {
		// Point at the file's key, not at one the catalog adds.
		first, second = second, first
	}
	a, b := string(ks.exact(&first)), string(ks.exact(&second))
	at := second.node
	if at == nil {
		at = root
	}
	why := ""
	switch {
	case first.added:
		why = " (the catalog sets " + a + " itself)"
	case first.item || second.item:
		why = " (a list's string items count as keys: tags [java] makes the key tags.java)"
	}
	p.errAt(at, b, "%s differs from %s only in case: Backstage rejects entities whose keys differ only in case%s", b, a, why)
}

// catalogKeys are search keys every entity has, whatever its file says.
var catalogKeys = [...]string{"metadata.name", "metadata.namespace", "metadata.uid",
	"metadata.annotations." + AnnotationManagedByLocation,
	"metadata.annotations." + AnnotationManagedByOriginLocation}

// Fast check: hashes of each key and of its lowercase form, carried along
// the path so that no key is copied or hashed twice. Equal lowercase
// hashes with different key hashes send the entity to the exact check.

type keyHash struct{ exact, lower uint64 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (h keyHash) add(s string) keyHash {
	for i := 0; i < len(s); i++ {
		c := s[i]
		h.exact = (h.exact ^ uint64(c)) * fnvPrime
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h.lower = (h.lower ^ uint64(c)) * fnvPrime
	}
	return h
}

// maybeCaseKeys reports whether the entity may have keys that differ only
// in case. It is exact when it says no, up to 64-bit hash collisions.
func (p *docParser) maybeCaseKeys(root *yaml.Node) bool {
	ks := &p.sc.keys
	ks.fast.reset()
	ks.unsure = false
	for _, k := range catalogKeys {
		p.fastKey(keyHash{fnvOffset, fnvOffset}.add(k), false)
	}
	p.fastVisit(root, "", keyHash{fnvOffset, fnvOffset}, 0, true)
	return ks.unsure
}

// fastKey records a key's hashes. The first key with a lowercase form
// sets its hash, later ones must have the same; of the list items with one
// lowercase form only the first counts, as in visitKeys.
func (p *docParser) fastKey(h keyHash, item bool) {
	ks := &p.sc.keys
	t := &ks.fast
	if t.used >= len(t.slots)*3/4 {
		ks.unsure = true // too many keys for the table: let the exact check decide
		return
	}
	for i := h.lower; ; i++ {
		s := &t.slots[i%uint64(len(t.slots))]
		if s.gen != t.gen {
			*s = fastSlot{lower: h.lower, exact: h.exact, gen: t.gen, item: item}
			t.used++
			return
		}
		if s.lower != h.lower {
			continue
		}
		if item {
			if s.item {
				return
			}
			s.item = true
		}
		if s.exact != h.exact {
			ks.unsure = true
		}
		return
	}
}

// fastTable is an open-addressing table from lowercase key hashes to key
// hashes, emptied for each entity by a generation count: two Go maps
// cleared and filled per entity were most of the check.
type fastTable struct {
	slots [256]fastSlot
	gen   uint32
	used  int
}

type fastSlot struct {
	lower, exact uint64
	gen          uint32 // the slot is in use when it is the table's
	item         bool   // a list item with this lowercase form was seen
}

func (t *fastTable) reset() {
	t.gen++
	if t.gen == 0 { // wrapped: old generations could look current
		clear(t.slots[:])
		t.gen = 1
	}
	t.used = 0
}

// fastVisit mirrors visitKeys. path is the key so far as far as it
// matters for the keys the stitcher skips; root is true at the top.
func (p *docParser) fastVisit(n *yaml.Node, path string, h keyHash, depth int, root bool) {
	ks := &p.sc.keys
	if ks.unsure {
		return
	}
	n = resolveAlias(n)
	if n == nil || depth > 10000 {
		return
	}
	switch p.jsonKind(n) {
	case vObject:
		if n.Kind != yaml.MappingNode {
			p.fastKey(h.add(".type"), false)
			p.fastKey(h.add(".data"), false)
			return
		}
		visit := func(name string, _, v *yaml.Node) {
			if !isASCIIString(name) {
				ks.unsure = true
				return
			}
			sub := path
			switch {
			case root:
				sub = name
				if slices.Contains(searchSkip[:], name) {
					return
				}
			case depth == 1 && path == "metadata":
				for _, s := range searchSkip {
					if rest, ok := strings.CutPrefix(s, "metadata."); ok && rest == name {
						return
					}
				}
				// Below metadata only annotations are told apart (see
				// the default case); other paths need no string.
				sub = "metadata.*"
				if name == "annotations" {
					sub = "metadata.annotations"
				}
			}
			hh := h
			if !root {
				hh = hh.add(".")
			}
			p.fastVisit(v, sub, hh.add(name), depth+1, false)
		}
		if p.special[n] {
			p.each(n, visit)
		} else {
			for i := 0; i+1 < len(n.Content); i += 2 {
				visit(n.Content[i].Value, n.Content[i], n.Content[i+1])
			}
		}
	case vArray:
		for _, c := range n.Content {
			p.fastVisit(c, path, h, depth+1, false)
			if c := resolveAlias(c); c != nil && p.jsonKind(c) == vString {
				s := p.str(c)
				if !isASCIIString(s) {
					ks.unsure = true
					return
				}
				p.fastKey(h.add(".").add(s), true)
			}
		}
	default:
		if depth == 2 && path == "metadata.annotations" {
			return
		}
		p.fastKey(h, false)
	}
}

// visitKeys adds the search keys of n at ks.path, as the stitcher's
// traverse does. It leaves ks.path as it found it.
func (p *docParser) visitKeys(ks *keySet, n, at *yaml.Node, depth int) {
	n0 := len(ks.path)
	for _, s := range searchSkip {
		if string(ks.path) == s {
			return
		}
	}
	n = resolveAlias(n)
	if n == nil || depth > 10000 {
		return
	}
	switch p.jsonKind(n) {
	case vObject:
		if n.Kind != yaml.MappingNode { // binary data: {type, data}
			ks.add(append(ks.path, ".type"...), false, at)
			ks.add(append(ks.path[:n0], ".data"...), false, at)
			return
		}
		visit := func(name string, key, v *yaml.Node) {
			if n0 > 0 {
				ks.path = append(ks.path[:n0], '.')
			}
			ks.path = append(ks.path, name...)
			p.visitKeys(ks, v, key, depth+1)
			ks.path = ks.path[:n0]
		}
		if p.special[n] {
			p.each(n, visit)
		} else {
			for i := 0; i+1 < len(n.Content); i += 2 {
				visit(n.Content[i].Value, n.Content[i], n.Content[i+1])
			}
		}
	case vArray:
		for _, c := range n.Content {
			p.visitKeys(ks, c, at, depth+1)
			if c := resolveAlias(c); c != nil && p.jsonKind(c) == vString {
				ks.path = append(append(ks.path, '.'), p.str(c)...)
				ks.add(ks.path, true, c)
				ks.path = ks.path[:n0]
			}
		}
	default:
		if depth == 2 && string(ks.path) == "metadata.annotations" {
			return // a falsy annotations value: the catalog replaces it
		}
		ks.add(ks.path, false, at)
	}
}

// collision reports a pair of keys that differ but lowercase the same,
// after dropping list-item keys whose lowercase form an earlier list-item
// key had, as the stitcher does. ok means there is none.
func (ks *keySet) collision() (first, second keyEnt, ok bool) {
	if ks.first == nil {
		ks.first = make(map[uint64]int32)
		ks.items = make(map[uint64]int32)
	}
	if len(ks.first) > 1024 {
		ks.first, ks.items = make(map[uint64]int32), make(map[uint64]int32)
	}
	clear(ks.first)
	clear(ks.items)
	for i := range ks.ents {
		e := &ks.ents[i]
		if e.item {
			if j, seen := ks.items[e.hash]; seen && bytes.Equal(ks.low(&ks.ents[j]), ks.low(e)) {
				continue // never added
			} else if !seen {
				ks.items[e.hash] = int32(i)
			}
		}
		j, seen := ks.first[e.hash]
		if !seen {
			ks.first[e.hash] = int32(i)
			continue
		}
		f := &ks.ents[j]
		if !bytes.Equal(ks.low(f), ks.low(e)) {
			return ks.slowCollision()
		}
		if !bytes.Equal(ks.exact(f), ks.exact(e)) {
			return *f, *e, false
		}
	}
	return keyEnt{}, keyEnt{}, true
}

// slowCollision is collision without hashes, for the rare hash clash.
func (ks *keySet) slowCollision() (first, second keyEnt, ok bool) {
	kept := make([]int, 0, len(ks.ents))
outer:
	for i := range ks.ents {
		e := &ks.ents[i]
		if e.item {
			for _, j := range kept {
				if ks.ents[j].item && bytes.Equal(ks.low(&ks.ents[j]), ks.low(e)) {
					continue outer
				}
			}
		}
		for _, j := range kept {
			f := &ks.ents[j]
			if bytes.Equal(ks.low(f), ks.low(e)) && !bytes.Equal(ks.exact(f), ks.exact(e)) {
				return *f, *e, false
			}
		}
		kept = append(kept, i)
	}
	return keyEnt{}, keyEnt{}, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
