// Package specdata gives tests the original service's per-source configuration schemas.
//
// The normative dump (sources-config.json) lives outside the repository, in the project's shared
// spec folder, and includes the original's labels and tooltips, which are its prose and are not
// ours to copy. The repository therefore commits a stripped copy (interface data only: keys,
// types, values, orders, dependencies, options, validations, features, display names) under
// connector/testdata/, and tests use it when the shared folder is absent, as on a fresh clone in
// CI. When the shared folder is present, tests also check the committed copy still matches it.
package specdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// EnvSpecDir overrides where the shared spec folder is looked for.
const EnvSpecDir = "CONNECTORS_SPEC_DIR"

// SpecFile is the name of the original's schema dump.
const SpecFile = "sources-config.json"

// CommittedRel is the committed stripped copy, relative to the repository root.
const CommittedRel = "connector/testdata/sources-config.json"

// Source is one service type's schema.
type Source struct {
	Name          string                    `json:"name"`
	Features      map[string]any            `json:"features"`
	Configuration map[string]map[string]any `json:"configuration"`
}

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedSpecPath finds the original's full dump: $CONNECTORS_SPEC_DIR/sources-config.json, else
// shared/spec/sources-config.json in the repository root's parent or any further ancestor
// (worktrees live one level deeper than the main checkout). ok is false when none exists.
func SharedSpecPath() (path string, ok bool) {
	if d := os.Getenv(EnvSpecDir); d != "" {
		p := filepath.Join(d, SpecFile)
		_, err := os.Stat(p)
		return p, err == nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", false
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "spec", SpecFile)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

// Strip turns the original's dump into the committed form: per service type only name, features
// and configuration, and every field without label, tooltip and option labels. Numbers keep their JSON text.
// The output is indented JSON with sorted keys, ending in a newline.
func Strip(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var all map[string]map[string]any
	if err := dec.Decode(&all); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", SpecFile, err)
	}
	out := make(map[string]any, len(all))
	for st, src := range all {
		conf, _ := src["configuration"].(map[string]any)
		stripped := make(map[string]any, len(conf))
		for key, v := range conf {
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: configuration field %q is not an object", st, key)
			}
			p := make(map[string]any, len(props))
			for k, x := range props {
				switch k {
				case "label", "tooltip":
					continue
				case "options":
					x = stripOptionLabels(x)
				}
				p[k] = x
			}
			stripped[key] = p
		}
		out[st] = map[string]any{
			"name":          src["name"],
			"features":      src["features"],
			"configuration": stripped,
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// stripOptionLabels keeps only the values of dropdown options; their labels are prose too.
func stripOptionLabels(v any) any {
	opts, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(opts))
	for i, o := range opts {
		m, ok := o.(map[string]any)
		if !ok {
			out[i] = o
			continue
		}
		c := make(map[string]any, len(m))
		for k, x := range m {
			if k != "label" {
				c[k] = x
			}
		}
		out[i] = c
	}
	return out
}

// StripProse removes what Strip removes from one rendered field object (label, tooltip, option
// labels), so a field rendered by our code can be compared with the committed copy.
func StripProse(props map[string]any) map[string]any {
	out := make(map[string]any, len(props))
	for k, x := range props {
		switch k {
		case "label", "tooltip":
			continue
		case "options":
			x = stripOptionLabels(x)
		}
		out[k] = x
	}
	return out
}

// Parse decodes the stripped (or full) form, keeping numbers as json.Number.
func Parse(raw []byte) (map[string]Source, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]Source
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadCommitted reads and parses the committed stripped copy.
func LoadCommitted() (map[string]Source, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(root, CommittedRel))
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}

// Load returns the schemas from the shared dump when it exists, else from the committed copy,
// with a description of which one was used.
func Load() (map[string]Source, string, error) {
	if p, ok := SharedSpecPath(); ok {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		s, err := Parse(raw)
		return s, p, err
	}
	s, err := LoadCommitted()
	return s, CommittedRel, err
}

// Keys returns the map's keys sorted.
func Keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Normalize round-trips a value through JSON with UseNumber so values built in Go (ints,
// []string) compare equal to decoded ones.
func Normalize(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}
