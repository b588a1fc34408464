package scaffold

import (
	"context"
	"reflect"
	"testing"

	"github.com/callboard/callboard/catalog"
)

func exampleTemplate(t *testing.T, name string) Template {
	t.Helper()
	c := catalog.NewCatalog()
	s := catalog.NewSyncer(&catalog.Loader{Roots: []string{"../examples/org/catalog-info.yaml"}}, c, catalog.SyncerOptions{})
	if _, err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Index().Get("template:default/" + name)
	if !ok {
		t.Fatalf("template %s not in the example org", name)
	}
	tpl, err := FromEntity(e)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestFromEntity(t *testing.T) {
	tpl := exampleTemplate(t, "go-grpc")
	if tpl.Title != "Go gRPC service" || tpl.Owner == "" {
		t.Errorf("template = %+v", tpl)
	}
	var names []string
	for _, p := range tpl.Parameters {
		names = append(names, p.Name)
	}
	if len(names) == 0 || names[0] != "name" {
		t.Errorf("parameter order = %q, want name first", names)
	}
	var actions []string
	for _, s := range tpl.Steps {
		actions = append(actions, s.Action)
	}
	if want := []string{"fetch:template", "publish:github", "catalog:register"}; !reflect.DeepEqual(actions, want) {
		t.Errorf("steps = %q, want %q", actions, want)
	}
	if _, err := FromEntity(&catalog.Entity{Kind: catalog.KindComponent, Metadata: catalog.Metadata{Name: "x"}}); err == nil {
		t.Error("FromEntity(Component) succeeded")
	}
}

func TestTemplate_Validate(t *testing.T) {
	tpl := Template{Parameters: []Parameter{
		{Name: "name", Title: "Name", Required: true, Pattern: "^[a-z][a-z0-9-]*$"},
		{Name: "tier", Title: "Tier", Enum: []string{"1", "2", "3"}},
		{Name: "port", Title: "Port", Type: "integer"},
	}}
	tests := []struct {
		values map[string]string
		want   []string // fields with errors
	}{
		{map[string]string{"name": "orders"}, nil},
		{map[string]string{}, []string{"name"}},
		{map[string]string{"name": "Orders"}, []string{"name"}},
		{map[string]string{"name": "a", "tier": "9", "port": "x"}, []string{"port", "tier"}},
		{map[string]string{"name": "a", "tier": "2", "port": "8080"}, nil},
		{map[string]string{"name": "a", "port": "12abc"}, []string{"port"}},
		{map[string]string{"name": "a", "port": "1.5"}, []string{"port"}},
	}
	for _, tt := range tests {
		errs := tpl.Validate(tt.values)
		var got []string
		for _, f := range []string{"name", "port", "tier"} {
			if _, ok := errs[f]; ok {
				got = append(got, f)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Validate(%v) errors on %q, want %q (%v)", tt.values, got, tt.want, errs)
		}
	}
}
