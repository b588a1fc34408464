// Package catalogtest generates large, realistic Backstage organisations on
// disk for tests and benchmarks of the catalog and of everything built on it
// (the bot's router, the HTTP handlers), as net/http/httptest serves tests of
// net/http.
package catalogtest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// GeneratorVersion changes whenever GenerateOrg writes different files for
// the same size; GenerateOrgCached keys its folders by it.
const GeneratorVersion = 1

// KnownComponent is the name of a Component every generated organisation
// has, in folder components/KnownComponent, owned by a Group.
const KnownComponent = "payments-api"

// RootFile is the root Location of a generated organisation, relative to
// its folder: give filepath.Join(dir, RootFile) to catalog.Loader.Roots.
const RootFile = "catalog-info.yaml"

// orgDocsPerFile bounds the documents of each file under org/.
const orgDocsPerFile = 1000

const seed = 0x63616c6c626f6172 // "callboar"

// Stats describes a generated organisation.
type Stats struct {
	Components int            `json:"components"`
	Entities   int            `json:"entities"` // Location included
	Kinds      map[string]int `json:"kinds"`    // entities by kind, as spelled in the files
	// Files and Bytes count every file written; the Descriptor counts only
	// the YAML descriptor files a catalog reads.
	Files           int   `json:"files"`
	Bytes           int64 `json:"bytes"`
	DescriptorFiles int   `json:"descriptorFiles"`
	DescriptorBytes int64 `json:"descriptorBytes"`
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.DescriptorFiles += o.DescriptorFiles
	s.DescriptorBytes += o.DescriptorBytes
}

// GenerateOrg writes an organisation of the given number of components
// under dir, which it creates if needed and which should be empty. The same
// size always gives the same files (names, refs and text come from a fixed
// seed); only the absolute paths depend on dir.
//
// The layout is the one the example organisation uses: a root Location
// (RootFile) whose targets are ./org/*.yaml (domains, systems, groups and
// users, at most 1,000 documents per file) and the glob
// ./components/*/catalog-info.yaml. Each component folder holds one
// Component with, on average, 0.4 APIs and 0.35 Resources in the same
// multi-document catalog-info.yaml, and TechDocs: mkdocs.yml, docs/index.md
// and docs/runbook.md. There is one Group per 20 components in a
// business-unit / product-area / team hierarchy and one User per 10
// components, so 10,000 components make about 19,000 entities.
//
// Every document is valid and every reference resolves: loading the
// organisation reports no problems at all.
func GenerateOrg(dir string, components int) (Stats, error) {
	if components < 1 {
		return Stats{}, fmt.Errorf("generate organisation: %d components; need at least 1", components)
	}
	o := plan(components)
	st := Stats{Components: components, Kinds: map[string]int{}}
	w := &writer{dir: dir}
	if err := os.MkdirAll(filepath.Join(dir, "org"), 0o755); err != nil {
		return Stats{}, fmt.Errorf("generate organisation: %w", err)
	}
	w.descriptor(RootFile, rootLocation())
	st.Kinds["Location"]++
	writeOrgFiles(w, "domains", o.domains, func(b *strings.Builder, i int) { o.domainDoc(b, i) })
	writeOrgFiles(w, "systems", o.systems, func(b *strings.Builder, i int) { o.systemDoc(b, i) })
	writeOrgFiles(w, "groups", o.groups, func(b *strings.Builder, i int) { o.groupDoc(b, i) })
	writeOrgFiles(w, "users", o.users, func(b *strings.Builder, i int) { o.userDoc(b, i) })
	if w.err != nil {
		return Stats{}, fmt.Errorf("generate organisation: %w", w.err)
	}
	st.add(w.stats)
	st.Kinds["Domain"] += len(o.domains)
	st.Kinds["System"] += len(o.systems)
	st.Kinds["Group"] += len(o.groups)
	st.Kinds["User"] += len(o.users)

	// Component folders are independent: each takes its text from its own
	// random stream, so writing them in parallel stays deterministic.
	workers := runtime.GOMAXPROCS(0)
	writers := make([]*writer, workers)
	var wg sync.WaitGroup
	for k := range workers {
		writers[k] = &writer{dir: dir}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cw := writers[k]
			for i := k; i < len(o.components) && cw.err == nil; i += workers {
				o.writeComponent(cw, i)
			}
		}()
	}
	wg.Wait()
	for _, cw := range writers {
		if cw.err != nil {
			return Stats{}, fmt.Errorf("generate organisation: %w", cw.err)
		}
		st.add(cw.stats)
	}
	for _, c := range o.components {
		st.Kinds["Component"]++
		st.Kinds["API"] += len(c.apis)
		st.Kinds["Resource"] += len(c.resources)
	}
	for _, n := range st.Kinds {
		st.Entities += n
	}
	return st, nil
}

// writer writes files under dir and counts them; the first error sticks.
type writer struct {
	dir   string
	stats Stats
	err   error
}

func (w *writer) file(rel, content string, descriptor bool) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.err = err
		return
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.err = err
		return
	}
	w.stats.Files++
	w.stats.Bytes += int64(len(content))
	if descriptor {
		w.stats.DescriptorFiles++
		w.stats.DescriptorBytes += int64(len(content))
	}
}

func (w *writer) descriptor(rel, content string) { w.file(rel, content, true) }

func writeOrgFiles[T any](w *writer, name string, items []T, doc func(b *strings.Builder, i int)) {
	for start, n := 0, 0; start < len(items); start, n = start+orgDocsPerFile, n+1 {
		var b strings.Builder
		fmt.Fprintf(&b, "# Generated organisation: %s %d-%d.\n", name, start+1, min(start+orgDocsPerFile, len(items)))
		for i := start; i < min(start+orgDocsPerFile, len(items)); i++ {
			if i > start {
				b.WriteString("---\n")
			}
			doc(&b, i)
		}
		w.descriptor(fmt.Sprintf("org/%s-%03d.yaml", name, n), b.String())
	}
}

func rootLocation() string {
	return `# Root of the generated Acme organisation. Register this one file and the
# catalog reaches every other descriptor below it.
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: acme-generated-org
  description: Root location of a generated organisation for benchmarks.
spec:
  type: file
  targets:
    - ./org/*.yaml
    - ./components/*/catalog-info.yaml
`
}

// The organisation is planned in memory first, so that every reference in
// the files can point at an entity that exists.

type org struct {
	domains    []domain
	systems    []system
	groups     []group
	users      []user
	components []component
	apis       []string // every API name, for consumesApis
	resources  []string // every Resource name, for shared dependencies
	teams      []int    // indexes of groups of type team
}

type domain struct {
	name, word string
	owner      int // group
	parent     int // -1 or domain
}

type system struct {
	name   string
	domain int
	owner  int // group
}

type group struct {
	name, typ, display string
	parent             int // -1 for the root
	children           []int
	word               string
	channel            string
}

type user struct {
	name, first, last string
	groups            []int
	role              string
}

type component struct {
	name      string
	role      string
	system    int
	owner     string // as written in spec.owner
	ownerTeam int    // group whose channel the docs name
	apis      []string
	apiTypes  []string
	resources []string
	resTypes  []string
}

func plan(n int) *org {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	o := &org{}
	names := newNamer()

	nd := min(max(n/250, 2), len(domainWords))
	ns := max(nd, n/100)
	ng := max(3, (n+10)/20)
	nu := max(4, n/10)

	// Groups: engineering → product areas → teams, a few teams nested in
	// teams.
	areas := max(1, ng/20)
	o.groups = append(o.groups, group{name: names.take("engineering"), typ: "business-unit", display: "Acme Engineering", parent: -1, word: "engineering"})
	for i := range areas {
		w := domainWords[i%len(domainWords)]
		nm := names.take(w + "-" + areaWords[(i/len(domainWords))%len(areaWords)])
		o.groups = append(o.groups, group{name: nm, typ: "product-area", display: titleCase(nm), parent: 0, word: w})
	}
	for i := 0; len(o.groups) < ng; i++ {
		parent := 1 + i%areas
		if i%10 == 9 && len(o.teams) > 0 {
			parent = o.teams[r.IntN(len(o.teams))]
		}
		w := o.groups[parent].word
		if r.IntN(4) == 0 {
			w = domainWords[r.IntN(len(domainWords))]
		}
		nm := names.take(w + "-" + teamWords[r.IntN(len(teamWords))])
		typ := "team"
		if parent > areas {
			typ = "sub-team"
		}
		o.teams = append(o.teams, len(o.groups))
		o.groups = append(o.groups, group{name: nm, typ: typ, display: titleCase(nm), parent: parent, word: w})
	}
	if len(o.teams) == 0 {
		o.teams = []int{0}
	}
	for i := range o.groups {
		g := &o.groups[i]
		g.channel = fmt.Sprintf("C%02d%s", i%100, randUpper(r, 8))
		if g.parent >= 0 {
			o.groups[g.parent].children = append(o.groups[g.parent].children, i)
		}
	}

	// Domains belong to product areas; systems to domains and teams.
	for i := range nd {
		d := domain{name: names.take(domainWords[i]), word: domainWords[i], owner: 1 + i%areas, parent: -1}
		if i >= 10 && r.IntN(5) == 0 {
			d.parent = r.IntN(10)
		}
		o.domains = append(o.domains, d)
	}
	for i := range ns {
		d := i % nd
		nm := names.take(o.domains[d].word + "-" + systemWords[(i/nd)%len(systemWords)])
		o.systems = append(o.systems, system{name: nm, domain: d, owner: o.teams[r.IntN(len(o.teams))]})
	}

	// Users: everyone in a team (so every team has members), some in two
	// groups, managers in areas.
	for i := range nu {
		f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		u := user{name: names.take(strings.ToLower(f + "." + l)), first: f, last: l}
		team := o.teams[i%len(o.teams)]
		u.groups = []int{team}
		u.role = roles[r.IntN(len(roles))]
		switch x := r.IntN(20); {
		case x == 0:
			u.groups = []int{1 + r.IntN(areas)}
			u.role = "Engineering Manager"
		case x < 4:
			if other := o.teams[r.IntN(len(o.teams))]; other != team {
				u.groups = append(u.groups, other)
			}
		}
		o.users = append(o.users, u)
	}

	// Components, their APIs and resources. The first is KnownComponent.
	counters := map[string]int{}
	for i := range n {
		s := r.IntN(ns)
		if i == 0 {
			s = 0 // payments-* system
		}
		word := o.domains[o.systems[s].domain].word
		role := roleWords[r.IntN(len(roleWords))]
		var nm string
		if i == 0 {
			nm = names.take(KnownComponent)
			role = "api"
		} else {
			base := word + "-" + role
			for {
				counters[base]++
				if nm = fmt.Sprintf("%s-%03d", base, counters[base]); !names.taken(nm) {
					break
				}
			}
			names.take(nm)
		}
		c := component{name: nm, role: role, system: s}
		switch x := r.IntN(20); {
		case x == 0 && i != 0:
			u := o.users[r.IntN(len(o.users))]
			c.owner = "user:" + u.name
			c.ownerTeam = u.groups[0]
		case x < 13:
			c.ownerTeam = o.systems[s].owner
			c.owner = ownerRef(r, o.groups[c.ownerTeam].name)
		default:
			c.ownerTeam = o.teams[r.IntN(len(o.teams))]
			c.owner = ownerRef(r, o.groups[c.ownerTeam].name)
		}
		napi := 0
		if x := r.IntN(100); x < 30 || i == 0 {
			napi = 1
			if x < 10 {
				napi = 2
			}
		}
		for k := range napi {
			t := apiTypes[(r.IntN(len(apiTypes))+k)%len(apiTypes)]
			an := names.take(nm + "-" + apiSuffix[t])
			c.apis = append(c.apis, an)
			c.apiTypes = append(c.apiTypes, t)
			o.apis = append(o.apis, an)
		}
		nres := 0
		if x := r.IntN(100); x < 30 {
			nres = 1
			if x < 5 {
				nres = 2
			}
		}
		for k := range nres {
			t := resourceTypes[(r.IntN(len(resourceTypes))+k)%len(resourceTypes)]
			rn := names.take(nm + "-" + resourceSuffix[t])
			c.resources = append(c.resources, rn)
			c.resTypes = append(c.resTypes, t)
			o.resources = append(o.resources, rn)
		}
		o.components = append(o.components, c)
	}
	return o
}

func ownerRef(r *rand.Rand, group string) string {
	switch r.IntN(3) {
	case 0:
		return group
	case 1:
		return "group:" + group
	}
	return "group:default/" + group
}

// namer hands out names unique across all kinds, so a bare name resolves
// to one entity.
type namer struct{ used map[string]bool }

func newNamer() *namer { return &namer{used: map[string]bool{}} }

func (n *namer) taken(s string) bool { return n.used[s] }

// take returns s, or s-2, s-3… when s is taken, and marks it used.
func (n *namer) take(s string) string {
	nm := s
	for k := 2; n.used[nm]; k++ {
		nm = fmt.Sprintf("%s-%d", s, k)
	}
	n.used[nm] = true
	return nm
}

// Documents. Free text is always single-quoted; names and refs are plain.

func (o *org) domainDoc(b *strings.Builder, i int) {
	d := o.domains[i]
	r := rand.New(rand.NewPCG(seed^0xd0, uint64(i)))
	fmt.Fprintf(b, "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: %s\n  title: %s\n", d.name, quote(titleCase(d.name)))
	fmt.Fprintf(b, "  description: %s\n", quote(fmt.Sprintf("Everything about %s at Acme: %s.", d.word, sentenceLower(r))))
	b.WriteString("  tags:\n    - fintech\nspec:\n")
	fmt.Fprintf(b, "  owner: group:%s\n", o.groups[d.owner].name)
	if d.parent >= 0 {
		fmt.Fprintf(b, "  subdomainOf: %s\n", o.domains[d.parent].name)
	}
	b.WriteString("  type: product-area\n")
}

func (o *org) systemDoc(b *strings.Builder, i int) {
	s := o.systems[i]
	r := rand.New(rand.NewPCG(seed^0x5e, uint64(i)))
	fmt.Fprintf(b, "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: %s\n  title: %s\n", s.name, quote(titleCase(s.name)))
	fmt.Fprintf(b, "  description: %s\n", quote(sentence(r)))
	fmt.Fprintf(b, "  annotations:\n    github.com/project-slug: acme/%s\n", s.name)
	fmt.Fprintf(b, "  tags:\n    - %s\nspec:\n  owner: %s\n  domain: domain:%s\n  type: product\n", o.domains[s.domain].word, o.groups[s.owner].name, o.domains[s.domain].name)
}

func (o *org) groupDoc(b *strings.Builder, i int) {
	g := o.groups[i]
	r := rand.New(rand.NewPCG(seed^0x9e, uint64(i)))
	fmt.Fprintf(b, "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: %s\n", g.name)
	fmt.Fprintf(b, "  description: %s\n", quote(fmt.Sprintf("%s: %s", g.display, sentenceLower(r))))
	fmt.Fprintf(b, "  annotations:\n    slack.com/bot-notify: %s\n    discord.com/channel-id: \"%d\"\n    github.com/team-slug: acme/%s\n",
		g.channel, 1180000000000000000+int64(i), g.name)
	fmt.Fprintf(b, "  links:\n    - url: https://acme.slack.com/archives/%s\n      title: %s\n      icon: chat\n", g.channel, quote("#"+g.name+" on Slack"))
	fmt.Fprintf(b, "spec:\n  type: %s\n  profile:\n    displayName: %s\n    email: %s@acme.example\n", g.typ, quote(g.display), g.name)
	if g.parent >= 0 {
		fmt.Fprintf(b, "  parent: %s\n", o.groups[g.parent].name)
	}
	if len(g.children) == 0 {
		b.WriteString("  children: []\n")
		return
	}
	b.WriteString("  children:\n")
	for _, c := range g.children {
		fmt.Fprintf(b, "    - group:%s\n", o.groups[c].name)
	}
}

func (o *org) userDoc(b *strings.Builder, i int) {
	u := o.users[i]
	r := rand.New(rand.NewPCG(seed^0x05e7, uint64(i)))
	fmt.Fprintf(b, "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: %s\n", u.name)
	fmt.Fprintf(b, "  description: %s\n", quote(u.role+", "+o.groups[u.groups[0]].display))
	fmt.Fprintf(b, "  annotations:\n    slack.com/user-id: U%s\n    discord.com/user-id: \"%d\"\n    github.com/user-login: %s\n",
		randUpper(r, 10), 1190000000000000000+int64(i), strings.ReplaceAll(u.name, ".", "-"))
	fmt.Fprintf(b, "spec:\n  profile:\n    displayName: %s\n    email: %s@acme.example\n  memberOf:\n", quote(titleCase(u.first)+" "+titleCase(u.last)), u.name)
	for _, g := range u.groups {
		fmt.Fprintf(b, "    - %s\n", o.groups[g].name)
	}
}

func (o *org) writeComponent(w *writer, i int) {
	c := o.components[i]
	r := rand.New(rand.NewPCG(seed^0xc0, uint64(i)))
	sys := o.systems[c.system]
	team := o.groups[c.ownerTeam]
	title := titleCase(c.name)
	desc := componentDescription(r, c)
	lang := languages[r.IntN(len(languages))]
	pd := ""
	if r.IntN(3) == 0 {
		pd = "P" + randUpper(r, 6)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s and what it provides.\n", title)
	fmt.Fprintf(&b, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n  title: %s\n  description: %s\n", c.name, quote(title), quote(desc))
	tier := 1 + r.IntN(3)
	fmt.Fprintf(&b, "  labels:\n    tier: \"%d\"\n", tier)
	fmt.Fprintf(&b, "  annotations:\n    github.com/project-slug: acme/%s\n    backstage.io/techdocs-ref: dir:.\n", c.name)
	if pd != "" {
		fmt.Fprintf(&b, "    pagerduty.com/service-id: %s\n", pd)
	}
	if c.role != "sdk" && c.role != "cli" {
		fmt.Fprintf(&b, "    backstage.io/kubernetes-id: %s\n", c.name)
	}
	fmt.Fprintf(&b, "  tags:\n    - %s\n    - tier-%d\n", lang.tag, tier)
	for _, t := range pickN(r, extraTags, r.IntN(3)) {
		fmt.Fprintf(&b, "    - %s\n", t)
	}
	fmt.Fprintf(&b, "  links:\n    - url: https://github.com/acme/%s\n      title: Repository\n      icon: github\n", c.name)
	fmt.Fprintf(&b, "    - url: https://grafana.acme.example/d/%s/%s-overview\n      title: %s\n      icon: dashboard\n", randLower(r, 6), c.name, quote(title+" - golden signals"))
	if pd != "" {
		fmt.Fprintf(&b, "    - url: https://acme.pagerduty.com/service-directory/%s\n      title: PagerDuty\n      icon: alert\n", pd)
	}
	fmt.Fprintf(&b, "spec:\n  type: %s\n  lifecycle: %s\n  owner: %s\n", componentType(c.role), lifecycle(r), c.owner)
	if i == 0 || r.IntN(20) != 0 {
		fmt.Fprintf(&b, "  system: %s\n", sys.name)
	}
	if i > 0 && r.IntN(33) == 0 {
		fmt.Fprintf(&b, "  subcomponentOf: component:%s\n", o.components[r.IntN(i)].name)
	}
	if len(c.apis) > 0 {
		b.WriteString("  providesApis:\n")
		for _, a := range c.apis {
			fmt.Fprintf(&b, "    - api:%s\n", a)
		}
	}
	var consumes []string
	if len(o.apis) > 0 {
		for range r.IntN(4) {
			a := o.apis[r.IntN(len(o.apis))]
			if !contains(c.apis, a) && !contains(consumes, a) {
				consumes = append(consumes, a)
			}
		}
	}
	if len(consumes) > 0 {
		b.WriteString("  consumesApis:\n")
		for k, a := range consumes {
			if k%2 == 1 {
				fmt.Fprintf(&b, "    - api:default/%s\n", a)
			} else {
				fmt.Fprintf(&b, "    - api:%s\n", a)
			}
		}
	}
	var deps []string
	for _, res := range c.resources {
		deps = append(deps, "resource:"+res)
	}
	for range r.IntN(3) {
		if d := o.components[r.IntN(len(o.components))].name; d != c.name && !contains(deps, "component:"+d) {
			deps = append(deps, "component:"+d)
		}
	}
	if len(o.resources) > 0 && r.IntN(5) == 0 {
		if d := "resource:" + o.resources[r.IntN(len(o.resources))]; !contains(deps, d) {
			deps = append(deps, d)
		}
	}
	if len(deps) > 0 {
		b.WriteString("  dependsOn:\n")
		for _, d := range deps {
			fmt.Fprintf(&b, "    - %s\n", d)
		}
	}
	for k, a := range c.apis {
		b.WriteString("---\n")
		o.apiDoc(&b, r, c, a, c.apiTypes[k])
	}
	for k, res := range c.resources {
		b.WriteString("---\n")
		o.resourceDoc(&b, r, c, res, c.resTypes[k])
	}
	dir := "components/" + c.name + "/"
	w.descriptor(dir+"catalog-info.yaml", b.String())
	w.file(dir+"mkdocs.yml", mkdocs(c, title, desc), false)
	w.file(dir+"docs/index.md", o.indexDoc(r, c, title, desc, lang.name, team, deps, consumes), false)
	w.file(dir+"docs/runbook.md", runbook(r, c, title, team, pd), false)
}

func (o *org) apiDoc(b *strings.Builder, r *rand.Rand, c component, name, typ string) {
	sys := o.systems[c.system]
	fmt.Fprintf(b, "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: %s\n  title: %s\n", name, quote(titleCase(name)))
	fmt.Fprintf(b, "  description: %s\n", quote(fmt.Sprintf("%s API of %s. %s", strings.ToUpper(apiSuffix[typ]), c.name, sentence(r))))
	fmt.Fprintf(b, "  tags:\n    - %s\n    - %s\n", apiSuffix[typ], []string{"public", "internal", "partner"}[r.IntN(3)])
	fmt.Fprintf(b, "  annotations:\n    github.com/project-slug: acme/%s\n", c.name)
	fmt.Fprintf(b, "spec:\n  type: %s\n  lifecycle: %s\n  owner: %s\n  system: system:%s\n", typ, lifecycle(r), c.owner, sys.name)
	b.WriteString("  definition: |\n")
	for _, l := range strings.Split(apiDefinition(r, name, typ), "\n") {
		if l != "" {
			b.WriteString("    ")
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
}

func (o *org) resourceDoc(b *strings.Builder, r *rand.Rand, c component, name, typ string) {
	sys := o.systems[c.system]
	fmt.Fprintf(b, "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: %s\n  title: %s\n", name, quote(titleCase(name)))
	fmt.Fprintf(b, "  description: %s\n", quote(fmt.Sprintf("%s used by %s. %s", resourceDesc[typ], c.name, sentence(r))))
	fmt.Fprintf(b, "  tags:\n    - %s\n", resourceSuffix[typ])
	fmt.Fprintf(b, "  annotations:\n    github.com/project-slug: acme/%s\n", c.name)
	fmt.Fprintf(b, "spec:\n  type: %s\n  owner: %s\n  system: %s\n", typ, c.owner, sys.name)
}

func mkdocs(c component, title, desc string) string {
	return fmt.Sprintf(`site_name: %s
site_description: %s
repo_url: https://github.com/acme/%s
edit_uri: edit/main/docs/

nav:
  - Overview: index.md
  - Runbook: runbook.md

plugins:
  - techdocs-core
`, c.name, quote(title+" - "+desc), c.name)
}

func (o *org) indexDoc(r *rand.Rand, c component, title, desc, lang string, team group, deps, consumes []string) string {
	sys := o.systems[c.system]
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n> %s\n\n", title, desc)
	for range 1 + r.IntN(3) {
		b.WriteString(paragraph(r, c.name))
		b.WriteString("\n\n")
	}
	b.WriteString("## At a glance\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Owner | `%s` |\n| System | `%s` (domain `%s`) |\n| Language | %s |\n", c.owner, sys.name, o.domains[sys.domain].name, lang)
	fmt.Fprintf(&b, "| Repository | https://github.com/acme/%s |\n| Team channel | #%s (`%s`) |\n\n", c.name, team.name, team.channel)
	if len(c.apis)+len(consumes)+len(deps) > 0 {
		b.WriteString("## Dependencies\n\n")
		if len(c.apis) > 0 {
			fmt.Fprintf(&b, "- Provides APIs: `%s`\n", strings.Join(c.apis, "`, `"))
		}
		if len(consumes) > 0 {
			fmt.Fprintf(&b, "- Consumes APIs: `%s`\n", strings.Join(consumes, "`, `"))
		}
		if len(deps) > 0 {
			fmt.Fprintf(&b, "- Depends on: `%s`\n", strings.Join(deps, "`, `"))
		}
		b.WriteString("\n")
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "## Running locally\n\n```bash\ngit clone git@github.com:acme/%s.git && cd %s\nmake deps-up\nmake run\n```\n\n", c.name, c.name)
	}
	b.WriteString("On-call procedures are in the [runbook](runbook.md).\n")
	return b.String()
}

func runbook(r *rand.Rand, c component, title string, team group, pd string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s runbook\n\n", title)
	if pd != "" {
		fmt.Fprintf(&b, "Primary on-call: PagerDuty service `%s` (%s rotation). ", pd, team.name)
	}
	fmt.Fprintf(&b, "Team channel: #%s.\n\n## Alerts\n\n", team.name)
	camel := strings.ReplaceAll(titleCase(c.name), " ", "")
	for _, a := range pickN(r, alerts, 1+r.IntN(3)) {
		fmt.Fprintf(&b, "### %s%s\n\n**Meaning:** %s\n\n", camel, a.name, a.meaning)
		for k, s := range pickN(r, steps, 2+r.IntN(3)) {
			fmt.Fprintf(&b, "%d. %s\n", k+1, strings.ReplaceAll(s, "{name}", c.name))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Rollback\n\n1. Confirm the bad release: `argocd app history %s-prod`.\n2. Roll back: `argocd app rollback %s-prod <HISTORY_ID>`.\n3. Post in #deploys and open a revert PR.\n", c.name, c.name)
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "\n## Escalation\n\n1. Primary on-call, then the secondary after 10 minutes.\n2. %s\n", paragraph(r, c.name))
	}
	return b.String()
}

func apiDefinition(r *rand.Rand, name, typ string) string {
	var b strings.Builder
	switch typ {
	case "openapi":
		fmt.Fprintf(&b, "openapi: 3.0.3\ninfo:\n  title: %s\n  version: 1.%d.0\npaths:\n", name, r.IntN(20))
		for _, res := range pickN(r, nouns, 1+r.IntN(3)) {
			fmt.Fprintf(&b, "  /v1/%s:\n    get:\n      summary: List %s\n      responses:\n        '200':\n          description: OK\n    post:\n      summary: Create %s\n      responses:\n        '201':\n          description: Created\n", res, res, res)
		}
	case "grpc":
		fmt.Fprintf(&b, "syntax = \"proto3\";\npackage acme.%s.v1;\n\nservice %s {\n", strings.ReplaceAll(name, "-", "_"), strings.ReplaceAll(titleCase(name), " ", ""))
		for _, res := range pickN(r, nouns, 1+r.IntN(3)) {
			n := strings.ToUpper(res[:1]) + res[1:]
			fmt.Fprintf(&b, "  rpc Get%s(Get%sRequest) returns (%s);\n", n, n, n)
		}
		b.WriteString("}\n")
	case "asyncapi":
		fmt.Fprintf(&b, "asyncapi: 2.6.0\ninfo:\n  title: %s\n  version: 1.%d.0\nchannels:\n", name, r.IntN(20))
		for _, res := range pickN(r, nouns, 1+r.IntN(2)) {
			fmt.Fprintf(&b, "  %s.%s.v1:\n    subscribe:\n      message:\n        payload:\n          type: object\n", name, res)
		}
	default:
		b.WriteString("type Query {\n")
		for _, res := range pickN(r, nouns, 1+r.IntN(3)) {
			fmt.Fprintf(&b, "  %s(id: ID!): %s\n", res, strings.ToUpper(res[:1])+res[1:])
		}
		b.WriteString("}\n")
	}
	return b.String()
}

func componentDescription(r *rand.Rand, c component) string {
	switch c.role {
	case "sdk", "cli":
		return fmt.Sprintf("%s for %s. %s", roleDesc[c.role], strings.SplitN(c.name, "-", 2)[0], sentence(r))
	}
	return fmt.Sprintf("%s that %s. %s", roleDesc[c.role], sentenceLower(r), sentence(r))
}

func componentType(role string) string {
	switch role {
	case "web", "ui", "bff":
		return "website"
	case "sdk", "cli":
		return "library"
	}
	return "service"
}

func lifecycle(r *rand.Rand) string {
	switch x := r.IntN(10); {
	case x < 7:
		return "production"
	case x < 9:
		return "experimental"
	}
	return "deprecated"
}

func sentence(r *rand.Rand) string {
	s := sentenceLower(r)
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func sentenceLower(r *rand.Rand) string {
	return fmt.Sprintf("%s %s %s %s", verbs[r.IntN(len(verbs))], adjectives[r.IntN(len(adjectives))], nouns[r.IntN(len(nouns))], tails[r.IntN(len(tails))])
}

func paragraph(r *rand.Rand, name string) string {
	parts := make([]string, 0, 6)
	parts = append(parts, fmt.Sprintf("%s %s.", name, sentenceLower(r)))
	for range 1 + r.IntN(5) {
		parts = append(parts, sentence(r))
	}
	return strings.Join(parts, " ")
}

func titleCase(name string) string {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '.' || r == '_' })
	for i, p := range parts {
		switch p {
		case "api", "ui", "sdk", "cli", "bff", "sre", "kyc", "db", "grpc", "rest":
			parts[i] = strings.ToUpper(p)
		default:
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

// quote writes s as a single-quoted YAML scalar.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func randUpper(r *rand.Rand, n int) string {
	const chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randLower(r *rand.Rand, n int) string { return strings.ToLower(randUpper(r, n)) }

func pickN[T any](r *rand.Rand, list []T, n int) []T {
	n = min(n, len(list))
	idx := r.Perm(len(list))[:n]
	out := make([]T, n)
	for i, j := range idx {
		out[i] = list[j]
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
