package commands

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callboard/callboard/bot"
	"github.com/callboard/callboard/catalog"
)

// syntheticCatalog builds an organisation of about n entities in memory:
// a group hierarchy with members, and components with APIs, owned by the
// teams. It skips files so the benchmarks measure only answering.
func syntheticCatalog(n int) *catalog.Catalog {
	words := []string{"payments", "ledger", "checkout", "fraud", "search", "orders", "billing", "identity", "shipping", "catalog", "pricing", "notify"}
	suffixes := []string{"api", "service", "worker", "web", "job", "gateway"}
	var es []*catalog.Entity
	add := func(kind, name string, spec map[string]any, ann map[string]string) {
		es = append(es, &catalog.Entity{
			APIVersion: "backstage.io/v1alpha1", Kind: kind,
			Metadata: catalog.Metadata{Name: name, Namespace: "default", Title: name, Description: "The " + name + " of Acme.", Annotations: catalog.KeyValuesOf(ann), Tags: []string{"go"}},
			Spec:     catalog.MustSpec(spec),
			Origin:   catalog.Origin{File: "synthetic.yaml", Line: int32(len(es) + 1)},
		})
	}
	teams := n / 40
	add(catalog.KindGroup, "engineering", map[string]any{"type": "business-unit", "children": []any{}}, nil)
	for t := 0; t < teams; t++ {
		add(catalog.KindGroup, fmt.Sprintf("team-%05d", t), map[string]any{"type": "team", "parent": "engineering", "children": []any{},
			"profile": map[string]any{"email": fmt.Sprintf("team-%05d@acme.example", t)}}, map[string]string{catalog.AnnotationSlackNotify: fmt.Sprintf("C%08d", t)})
		for u := 0; u < 3; u++ {
			name := fmt.Sprintf("user-%05d-%d", t, u)
			add(catalog.KindUser, name, map[string]any{"memberOf": []any{fmt.Sprintf("team-%05d", t)},
				"profile": map[string]any{"displayName": name, "email": name + "@acme.example"}},
				map[string]string{catalog.AnnotationSlackUserID: fmt.Sprintf("U%08d%d", t, u)})
		}
	}
	for i := 0; len(es) < n; i++ {
		name := fmt.Sprintf("%s-%s-%05d", words[i%len(words)], suffixes[(i/len(words))%len(suffixes)], i)
		owner := fmt.Sprintf("team-%05d", i%teams)
		spec := map[string]any{"type": "service", "lifecycle": "production", "owner": owner}
		if i%3 == 0 {
			spec["providesApis"] = []any{name + "-api"}
			add(catalog.KindAPI, name+"-api", map[string]any{"type": "openapi", "lifecycle": "production", "owner": owner, "definition": "openapi: 3.0.0"}, nil)
		}
		add(catalog.KindComponent, name, spec, map[string]string{catalog.AnnotationProjectSlug: "acme/" + name, catalog.AnnotationPagerDutyServiceID: "P" + fmt.Sprint(i)})
	}
	problems := catalog.Relate(es)
	c := catalog.NewCatalog()
	c.Swap(catalog.NewIndex(es, problems, time.Now()))
	return c
}

func benchRouter(c *catalog.Catalog) *bot.Router {
	r := bot.NewRouter(bot.RouterOptions{Identifier: NewIdentity(c), Authorizer: NewAccess(nil, c)})
	Register(r, c, nil)
	return r
}

// BenchmarkWhoOwns measures /whoowns through the router (parse, identify,
// authorize, resolve, answer) on a 150,000-entity catalog, on one goroutine
// so that answers/s is per core.
func BenchmarkWhoOwns(b *testing.B) {
	c := syntheticCatalog(150_000)
	r := benchRouter(c)
	var names []string
	for _, e := range c.Index().OfKind(catalog.KindComponent) {
		names = append(names, e.Metadata.Name)
		if len(names) == 4096 {
			break
		}
	}
	ctx := context.Background()
	user := bot.User{ID: "U000000010"}
	b.Run("exact", func(b *testing.B) {
		inputs := make([]bot.Input, len(names))
		for i, n := range names {
			inputs[i] = bot.Input{Platform: "slack", User: user, Channel: bot.Channel{ID: "C1"}, Text: "/whoowns " + n}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if o := r.Handle(ctx, inputs[i%len(inputs)]); o.Status != bot.Answered {
				b.Fatalf("Handle(%q) = %v: %s", inputs[i%len(inputs)].Text, o.Status, o.Reply.Text)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s/core")
	})
	b.Run("exact-uncached", func(b *testing.B) {
		// Every component in turn: far more names than the answer cache
		// holds, so each answer is computed.
		var all []bot.Input
		for _, e := range c.Index().OfKind(catalog.KindComponent) {
			all = append(all, bot.Input{Platform: "slack", User: user, Channel: bot.Channel{ID: "C1"}, Text: "/whoowns " + e.Metadata.Name})
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if o := r.Handle(ctx, all[i%len(all)]); o.Status != bot.Answered {
				b.Fatalf("Handle(%q) = %v", all[i%len(all)].Text, o.Status)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s/core")
	})
	b.Run("did-you-mean", func(b *testing.B) {
		inputs := make([]bot.Input, len(names))
		for i, n := range names {
			miss := n[:3] + n[4:] // drop a letter: "paymnts-api-00012"
			inputs[i] = bot.Input{Platform: "slack", User: user, Channel: bot.Channel{ID: "C1"}, Text: "/whoowns " + miss}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			o := r.Handle(ctx, inputs[i%len(inputs)])
			if o.Status != bot.Failed || len(o.Reply.Buttons) == 0 {
				b.Fatalf("Handle(%q) = %v %q, want did-you-mean suggestions", inputs[i%len(inputs)].Text, o.Status, o.Reply.Text)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/miss")
	})
}
