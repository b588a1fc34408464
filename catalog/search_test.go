package catalog_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/callboard/callboard/catalog"
)

type searchEntity struct {
	kind, name, title, desc string
	tags                    []string
}

func searchIndex(specs ...searchEntity) *catalog.Index {
	var es []*catalog.Entity
	for _, s := range specs {
		es = append(es, &catalog.Entity{
			APIVersion: "backstage.io/v1alpha1",
			Kind:       s.kind,
			Metadata: catalog.Metadata{
				Name: s.name, Namespace: catalog.DefaultNamespace,
				Title: s.title, Description: s.desc, Tags: s.tags,
			},
		})
	}
	return catalog.NewIndex(es, nil, time.Time{})
}

func searchFixture() *catalog.Index {
	return searchIndex(
		searchEntity{kind: catalog.KindGroup, name: "payments", desc: "The payments team."},
		searchEntity{kind: catalog.KindComponent, name: "payments-api", desc: "Takes card payments."},
		searchEntity{kind: catalog.KindAPI, name: "payments-api", desc: "REST interface of the payments service."},
		searchEntity{kind: catalog.KindComponent, name: "payments-worker", desc: "Background jobs."},
		searchEntity{kind: catalog.KindAPI, name: "checkout-rest", title: "Payments REST API"},
		searchEntity{kind: catalog.KindComponent, name: "payment-links", title: "Payment links"},
		searchEntity{kind: catalog.KindComponent, name: "fraud-scoring", tags: []string{"payments", "ml"}},
		searchEntity{kind: catalog.KindComponent, name: "ledger", desc: "Books every Payments transaction."},
		searchEntity{kind: catalog.KindComponent, name: "api-gateway", desc: "Routes requests to the payments API."},
		searchEntity{kind: catalog.KindComponent, name: "Billing-Service", desc: "Invoices."},
	)
}

func TestIndex_Search(t *testing.T) {
	ix := searchFixture()
	tests := []struct {
		name      string
		query     string
		limit     int
		want      []string
		wantTotal int
	}{
		{
			name:  "exact name first, then names, titles, tags, descriptions",
			query: "payments",
			want: []string{
				"group:default/payments",
				"component:default/payments-api", "component:default/payments-worker", "api:default/payments-api",
				"api:default/checkout-rest",
				"component:default/fraud-scoring",
				"component:default/api-gateway", "component:default/ledger",
			},
			wantTotal: 8,
		},
		{
			name:  "every word must match",
			query: "payments api",
			want: []string{
				"component:default/payments-api", "api:default/payments-api",
				"component:default/api-gateway", "api:default/checkout-rest",
			},
			wantTotal: 4,
		},
		{
			name:  "exact name wins over a better word score",
			query: "Payments-API",
			want: []string{
				"component:default/payments-api", "api:default/payments-api",
				"component:default/api-gateway", "api:default/checkout-rest",
			},
			wantTotal: 4,
		},
		{
			name:      "last word may be a prefix",
			query:     "payments wor",
			want:      []string{"component:default/payments-worker"},
			wantTotal: 1,
		},
		{
			name:  "a whole word outranks a prefix",
			query: "payment",
			want: []string{
				"component:default/payment-links",
				"component:default/payments-api", "component:default/payments-worker", "api:default/payments-api",
				"group:default/payments",
				"api:default/checkout-rest",
				"component:default/fraud-scoring",
				"component:default/api-gateway", "component:default/ledger",
			},
			wantTotal: 9,
		},
		{
			name:  "only the last word may be a prefix",
			query: "paym api",
		},
		{
			name:      "description only",
			query:     "invoices",
			want:      []string{"component:default/billing-service"},
			wantTotal: 1,
		},
		{
			name:      "mixed case name",
			query:     "billing",
			want:      []string{"component:default/billing-service"},
			wantTotal: 1,
		},
		{
			name:      "limit keeps the best and counts all",
			query:     "payments",
			limit:     3,
			want:      []string{"group:default/payments", "component:default/payments-api", "component:default/payments-worker"},
			wantTotal: 8,
		},
		{
			name:  "no match",
			query: "zebra",
		},
		{
			name:  "one word matches, the other does not",
			query: "payments zebra",
		},
		{
			name:  "empty query",
			query: "  -- ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, total := ix.Search(tt.query, tt.limit)
			var got []string
			for _, h := range hits {
				got = append(got, h.Entity.Key())
			}
			if !slices.Equal(got, tt.want) || total != tt.wantTotal {
				t.Errorf("Search(%q, %d) = %v, %d; want %v, %d", tt.query, tt.limit, got, total, tt.want, tt.wantTotal)
			}
			if !slices.IsSortedFunc(hits, func(a, b catalog.Hit) int { return b.Score - a.Score }) {
				t.Errorf("Search(%q, %d) scores are not in descending order: %v", tt.query, tt.limit, hits)
			}
		})
	}
}

func TestIndex_Suggest(t *testing.T) {
	ix := searchIndex(
		searchEntity{kind: catalog.KindComponent, name: "payments-api"},
		searchEntity{kind: catalog.KindAPI, name: "payments-api"},
		searchEntity{kind: catalog.KindComponent, name: "payments-worker"},
		searchEntity{kind: catalog.KindAPI, name: "payments-rest"},
		searchEntity{kind: catalog.KindComponent, name: "Billing-Service"},
		searchEntity{kind: catalog.KindComponent, name: "card"},
		searchEntity{kind: catalog.KindComponent, name: "carts"},
		searchEntity{kind: catalog.KindComponent, name: "cartography-service"},
		searchEntity{kind: catalog.KindComponent, name: "ledger"},
	)
	tests := []struct {
		name string
		n    int
		want []string
	}{
		{"paymnts-api", 5, []string{"payments-api"}},
		{"PAYMNTS-API", 5, []string{"payments-api"}},
		{"paymetns-api", 5, []string{"payments-api"}},
		{"payments-apii", 5, []string{"payments-api"}},
		{"billing-servce", 3, []string{"Billing-Service"}},
		{"ledgr", 3, []string{"ledger"}},
		// Close misspellings first, nearest and shortest first, then names
		// starting with the text.
		{"cart", 5, []string{"card", "carts", "cartography-service"}},
		{"payments", 5, []string{"payments-api", "payments-rest", "payments-worker"}},
		{"payments", 2, []string{"payments-api", "payments-rest"}},
		{"cart", 1, []string{"card"}},
		{"zebra-crossing", 5, nil},
		{"ledger-service-api", 5, nil},
		{"qqq", 5, nil},
		{"ledger", 5, nil}, // the name itself is not a suggestion
		{"", 5, nil},
		{"paymnts-api", 0, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.name, tt.n), func(t *testing.T) {
			if got := ix.Suggest(tt.name, tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("Suggest(%q, %d) = %v, want %v", tt.name, tt.n, got, tt.want)
			}
		})
	}
}

// TestIndex_SuggestFindsEveryNearName checks Suggest's trigram filter
// against the edit distance it promises: every name one edit from a query
// of four or more characters, or two edits from one of eight or more, is
// suggested.
func TestIndex_SuggestFindsEveryNearName(t *testing.T) {
	names := []string{"ledger", "payments-api", "kyc-service", "risk-ops-console", "fx", "api", "ab12", "notification-service"}
	var specs []searchEntity
	for _, n := range names {
		specs = append(specs, searchEntity{kind: catalog.KindComponent, name: n})
	}
	ix := searchIndex(specs...)
	for _, name := range names {
		one, two := nearby(name)
		check := func(q string, minLen int) {
			if len(q) < minLen || slices.Contains(names, q) {
				return
			}
			if got := ix.Suggest(q, len(names)); !slices.Contains(got, name) {
				t.Errorf("Suggest(%q, %d) = %v, want it to include %q", q, len(names), got, name)
			}
		}
		for _, q := range one {
			check(q, 4)
		}
		for _, q := range two {
			check(q, 8)
		}
	}
}

// nearby returns strings one edit from s (deleting a byte, or inserting or
// substituting an 'x') and strings two edits from it (two such edits, or
// swapping neighbours).
func nearby(s string) (one, two []string) {
	edit := func(s string) []string {
		var out []string
		for i := 0; i <= len(s); i++ {
			out = append(out, s[:i]+"x"+s[i:])
			if i < len(s) {
				out = append(out, s[:i]+s[i+1:], s[:i]+"x"+s[i+1:])
			}
		}
		return out
	}
	one = edit(s)
	for _, e := range one {
		two = append(two, edit(e)...)
	}
	for i := 0; i+1 < len(s); i++ {
		two = append(two, s[:i]+s[i+1:i+2]+s[i:i+1]+s[i+2:])
	}
	return one, two
}
