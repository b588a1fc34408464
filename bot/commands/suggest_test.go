package commands

import (
	"context"
	"reflect"
	"testing"
)

func TestSuggester_Suggest(t *testing.T) {
	s := NewSuggester(loadCatalog(t, "../../examples/org/catalog-info.yaml"))
	tests := []struct {
		kind, prefix string
		limit        int
		want         []string
	}{
		{"template", "", 25, []string{"go-grpc", "python-worker"}},
		{"component", "payments-a", 25, []string{"payments-api"}},
		{"group", "pay", 25, []string{"payments-team", "payments-platform"}},
		{"component", "paymnts-api", 25, []string{"payments-api"}},
		{"entity", "", 3, nil},
	}
	for _, tt := range tests {
		got := s.Suggest(context.Background(), tt.kind, tt.prefix, tt.limit)
		if tt.want == nil {
			if len(got) != tt.limit {
				t.Errorf("Suggest(%q, %q, %d) = %d names, want %d", tt.kind, tt.prefix, tt.limit, len(got), tt.limit)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Suggest(%q, %q) = %q, want %q", tt.kind, tt.prefix, got, tt.want)
		}
	}
}
