// Command apitrim cuts a vendor's OpenAPI 3 document down to the operations a fake serves and
// every component they reference (transitively), so that a description too large to keep in the
// repository (GitHub's is about 13 MB) can be kept as test data whose provenance is checkable:
// anyone can run the same command on the same published file and get the same bytes.
//
//	go run ./tools/apitrim -in api.github.com.json -out trimmed.json -strip x-octokit \
//	    -op 'GET /repos/{owner}/{repo}/commits' -op 'GET /app' ...
//
// Operations keep everything they hold (parameters, responses, examples); path-level parameters
// are kept with them. -strip removes extension keys an intermediary added (the npm package
// @octokit/openapi adds x-octokit to GitHub's document). The output is indented JSON with
// sorted keys.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	in := flag.String("in", "", "the published OpenAPI 3 document (JSON)")
	out := flag.String("out", "", "where to write the trimmed document")
	var ops, strip multi
	flag.Var(&ops, "op", "an operation to keep, as 'METHOD /path' (repeat)")
	flag.Var(&strip, "strip", "an extension key to remove everywhere (repeat)")
	flag.Parse()
	if *in == "" || *out == "" || len(ops) == 0 {
		fmt.Fprintln(os.Stderr, "usage: apitrim -in doc.json -out trimmed.json -op 'GET /path' [-op ...] [-strip x-key]")
		os.Exit(2)
	}
	if err := run(*in, *out, ops, strip); err != nil {
		fmt.Fprintln(os.Stderr, "apitrim:", err)
		os.Exit(1)
	}
}

func run(in, out string, ops, strip []string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	b, err := Trim(raw, ops, strip)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// Trim returns the trimmed document.
func Trim(raw []byte, ops, strip []string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading the document: %w", err)
	}
	for _, k := range strip {
		stripKey(doc, k)
	}
	paths, _ := doc["paths"].(map[string]any)
	keptPaths := map[string]any{}
	for _, o := range ops {
		method, path, ok := strings.Cut(strings.TrimSpace(o), " ")
		if !ok {
			return nil, fmt.Errorf("operation %q is not 'METHOD /path'", o)
		}
		item, ok := paths[path].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the document has no path %s", path)
		}
		m := strings.ToLower(method)
		op, ok := item[m]
		if !ok {
			return nil, fmt.Errorf("the document has no %s %s", method, path)
		}
		kept, _ := keptPaths[path].(map[string]any)
		if kept == nil {
			kept = map[string]any{}
			for k, v := range item {
				if k == "parameters" || k == "summary" || k == "description" || k == "servers" {
					kept[k] = v
				}
			}
			keptPaths[path] = kept
		}
		kept[m] = op
	}
	// Walk references from the kept operations until no new component turns up.
	comps, _ := doc["components"].(map[string]any)
	keptComps := map[string]map[string]any{}
	queue := []any{keptPaths}
	for len(queue) > 0 {
		node := queue[0]
		queue = queue[1:]
		for _, ref := range refs(node) {
			section, name, ok := parseRef(ref)
			if !ok {
				return nil, fmt.Errorf("unsupported reference %q", ref)
			}
			if keptComps[section] == nil {
				keptComps[section] = map[string]any{}
			}
			if _, done := keptComps[section][name]; done {
				continue
			}
			sec, _ := comps[section].(map[string]any)
			target, ok := sec[name]
			if !ok {
				return nil, fmt.Errorf("dangling reference %q", ref)
			}
			keptComps[section][name] = target
			queue = append(queue, target)
		}
	}
	outDoc := map[string]any{"paths": keptPaths}
	for _, k := range []string{"openapi", "info", "servers", "externalDocs"} {
		if v, ok := doc[k]; ok {
			outDoc[k] = v
		}
	}
	if sec, ok := comps["securitySchemes"]; ok {
		if keptComps["securitySchemes"] == nil {
			keptComps["securitySchemes"] = map[string]any{}
		}
		for k, v := range sec.(map[string]any) {
			keptComps["securitySchemes"][k] = v
		}
	}
	c := map[string]any{}
	for k, v := range keptComps {
		c[k] = v
	}
	outDoc["components"] = c
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(outDoc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func stripKey(node any, key string) {
	switch t := node.(type) {
	case map[string]any:
		delete(t, key)
		for _, v := range t {
			stripKey(v, key)
		}
	case []any:
		for _, v := range t {
			stripKey(v, key)
		}
	}
}

// refs lists the $ref values under node, sorted so that the walk is deterministic.
func refs(node any) []string {
	var out []string
	var walk func(any)
	walk = func(n any) {
		switch t := n.(type) {
		case map[string]any:
			if r, ok := t["$ref"].(string); ok {
				out = append(out, r)
			}
			for _, v := range t {
				walk(v)
			}
		case []any:
			for _, v := range t {
				walk(v)
			}
		}
	}
	walk(node)
	sort.Strings(out)
	return out
}

func parseRef(ref string) (section, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	section, name, ok = strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return "", "", false
	}
	return section, strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~"), true
}
