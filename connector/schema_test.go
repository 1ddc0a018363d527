package connector_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/internal/specdata"
)

var update = flag.Bool("update", false, "rewrite connector/testdata/sources-config.json from the shared spec")

// TestCommittedSchemaCopy keeps the committed, stripped schema dump in step with the shared
// original. Without the shared folder (a fresh clone) there is nothing to compare against.
func TestCommittedSchemaCopy(t *testing.T) {
	shared, ok := specdata.SharedSpecPath()
	if !ok {
		if *update {
			t.Fatalf("-update needs the shared spec folder; set %s", specdata.EnvSpecDir)
		}
		t.Skipf("shared spec folder not found (set %s to check the committed copy)", specdata.EnvSpecDir)
	}
	raw, err := os.ReadFile(shared)
	if err != nil {
		t.Fatal(err)
	}
	want, err := specdata.Strip(raw)
	if err != nil {
		t.Fatal(err)
	}
	root, err := specdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, specdata.CommittedRel)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with %s; run scripts/gen-schema-testdata.sh", specdata.CommittedRel, shared)
	}
	if bytes.Contains(got, []byte(`"label"`)) || bytes.Contains(got, []byte(`"tooltip"`)) {
		t.Fatal("committed copy still contains labels or tooltips")
	}
}

// TestOriginalFieldsRoundTrip parses every field of every original source and renders it again:
// the rendering must reproduce the stored object exactly (minus the stripped prose).
func TestOriginalFieldsRoundTrip(t *testing.T) {
	sources, err := specdata.LoadCommitted()
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) != 31 {
		t.Fatalf("expected the 31 original sources, got %d", len(sources))
	}
	n := 0
	for _, st := range specdata.Keys(sources) {
		for _, key := range specdata.Keys(sources[st].Configuration) {
			props := sources[st].Configuration[key]
			f, err := connector.FieldFromProperties(key, props)
			if err != nil {
				t.Fatalf("%s.%s: %v", st, key, err)
			}
			got := specdata.StripProse(f.Properties())
			gotN, err := specdata.Normalize(got)
			if err != nil {
				t.Fatal(err)
			}
			wantN, err := specdata.Normalize(props)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotN, wantN) {
				t.Errorf("%s.%s:\n got %v\nwant %v", st, key, gotN, wantN)
			}
			n++
		}
	}
	if n != 277 {
		t.Errorf("round-tripped %d fields, the original has 277", n)
	}
}

// TestOriginalSchemasAreValid makes sure Factory.Validate accepts every original declaration, so
// porting a source never requires bending its schema.
func TestOriginalSchemasAreValid(t *testing.T) {
	sources, err := specdata.LoadCommitted()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range specdata.Keys(sources) {
		src := sources[st]
		f := connector.Factory{
			ServiceType: st,
			DisplayName: src.Name,
			Features:    connector.ParseFeatures(src.Features),
			New:         func(*connector.Config, connector.Env) (connector.Source, error) { return nil, nil },
		}
		for _, key := range specdata.Keys(src.Configuration) {
			fd, err := connector.FieldFromProperties(key, src.Configuration[key])
			if err != nil {
				t.Fatal(err)
			}
			f.Fields = append(f.Fields, fd)
		}
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", st, err)
		}
		gotFeat, _ := specdata.Normalize(f.Features.Object())
		wantFeat, _ := specdata.Normalize(src.Features)
		if !reflect.DeepEqual(gotFeat, wantFeat) {
			t.Errorf("%s: features round trip\n got %v\nwant %v", st, gotFeat, wantFeat)
		}
		// The default configuration must convert and validate cleanly where the original's
		// does: fields that are required and start empty are expected to fail as "cannot be
		// empty", nothing else.
		cfg, err := f.NewConfig(f.DefaultConfiguration())
		if err != nil {
			t.Errorf("%s: default configuration does not convert: %v", st, err)
			continue
		}
		if err := cfg.MissingFields(); err != nil {
			t.Errorf("%s: %v", st, err)
		}
	}
}
