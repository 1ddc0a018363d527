package connector_test

import (
	"reflect"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/internal/specdata"
	_ "github.com/connectors-go/connectors/sources/all"
	"github.com/connectors-go/connectors/sources/dir"
)

// The parity test lives here rather than in sources/all because it needs the internal schema
// data of this package; as an external test package it may import sources/all without a cycle.

// runtimeValues are initial values the original computes when it starts, so they cannot equal
// the dump. dir.directory: the original uses $SYSTEM_DIR or its installation folder; ours uses
// $SYSTEM_DIR, the repository's sample folder, or the working directory (see sources/dir).
var runtimeValues = map[string]map[string]bool{
	dir.ServiceType: {"directory": true},
}

// incrementalExtensions are sources that offer incremental syncs the original does not have
// (cursor-column incremental syncs of the SQL sources, docs/sources/<name>.md): their features
// say incremental_sync enabled, so that Kibana lets users schedule them. Nothing else may differ.
var incrementalExtensions = map[string]bool{"mssql": true, "mysql": true, "postgresql": true}

// TestSchemaParity compares every source registered by sources/all with the original's schema: display name,
// features, and for every field all interface properties (everything except the prose: label,
// tooltip and option labels, which are ours to write).
func TestSchemaParity(t *testing.T) {
	original, from, err := specdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("original schemas from %s", from)
	registered := connector.Registered()
	if len(registered) == 0 {
		t.Fatal("sources/all registers nothing")
	}
	for _, f := range registered {
		t.Run(f.ServiceType, func(t *testing.T) {
			want, ok := original[f.ServiceType]
			if !ok {
				t.Skipf("%q is not one of the original's sources; nothing to compare", f.ServiceType)
			}
			if f.DisplayName != want.Name {
				t.Errorf("display name %q, original %q", f.DisplayName, want.Name)
			}
			gotFeat, _ := specdata.Normalize(f.Features.Object())
			wantFeat, _ := specdata.Normalize(want.Features)
			if incrementalExtensions[f.ServiceType] {
				wf := wantFeat.(map[string]any)
				if wf["incremental_sync"].(map[string]any)["enabled"] != false {
					t.Errorf("incremental_sync is listed as our extension but the original has it")
				}
				wf["incremental_sync"] = map[string]any{"enabled": true}
			}
			if !reflect.DeepEqual(gotFeat, wantFeat) {
				t.Errorf("features\n got %v\nwant %v", gotFeat, wantFeat)
			}
			got := f.DefaultConfiguration()
			for _, key := range specdata.Keys(want.Configuration) {
				if _, ok := got[key]; !ok {
					t.Errorf("field %q of the original is not declared", key)
				}
			}
			for _, key := range specdata.Keys(got) {
				wantProps, ok := want.Configuration[key]
				if !ok {
					t.Errorf("field %q is not in the original", key)
					continue
				}
				gotProps := specdata.StripProse(got[key].(map[string]any))
				wantProps = specdata.StripProse(wantProps)
				if runtimeValues[f.ServiceType][key] {
					delete(gotProps, "value")
					delete(wantProps, "value")
				}
				g, _ := specdata.Normalize(gotProps)
				w, _ := specdata.Normalize(wantProps)
				gm, wm := g.(map[string]any), w.(map[string]any)
				for _, prop := range specdata.Keys(wm) {
					if !reflect.DeepEqual(gm[prop], wm[prop]) {
						t.Errorf("%s.%s = %v, original %v", key, prop, gm[prop], wm[prop])
					}
				}
				for _, prop := range specdata.Keys(gm) {
					if _, ok := wm[prop]; !ok {
						t.Errorf("%s.%s is not a property the original writes", key, prop)
					}
				}
			}
		})
	}
}
