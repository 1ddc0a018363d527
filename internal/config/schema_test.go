package config

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// -update rewrites the generated parts of the documentation
// (make docs runs it).
var update = flag.Bool("update", os.Getenv("UPDATE_DOCS") != "", "rewrite the generated configuration reference in docs/configuration.md")

const (
	referenceDoc   = "../../docs/configuration.md"
	referenceBegin = "<!-- BEGIN GENERATED: the configuration reference, from internal/config/schema.go (make docs) -->"
	referenceEnd   = "<!-- END GENERATED -->"
)

func TestSchemaDocumentsEveryKey(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Schema() {
		seen[k.Path] = true
		if k.Doc == "" {
			t.Errorf("configuration key %s has no description: add it to keyDocs in internal/config/schema.go", k.Path)
		}
		if k.Type == "" {
			t.Errorf("configuration key %s has no type", k.Path)
		}
	}
	for path := range keyDocs {
		if !seen[path] {
			t.Errorf("keyDocs describes %s, which is not a configuration key", path)
		}
	}
}

// TestReferenceIsCurrent fails when docs/configuration.md's generated
// reference differs from the schema; go test -update (make docs) rewrites it.
func TestReferenceIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(referenceDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	b, e := strings.Index(doc, referenceBegin), strings.Index(doc, referenceEnd)
	if b < 0 || e < b {
		t.Fatalf("%s lacks the markers %q … %q around the generated reference", referenceDoc, referenceBegin, referenceEnd)
	}
	want := referenceBegin + "\n\n" + Reference() + "\n"
	got := doc[b:e]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(referenceDoc, []byte(doc[:b]+want+doc[e:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the reference in %s", referenceDoc)
		return
	}
	t.Errorf("the configuration reference in %s is stale: run `make docs` (go test ./internal/config -run TestReferenceIsCurrent -update)", referenceDoc)
}

var (
	inlineCode = regexp.MustCompile("`([^`\n]+)`")
	dottedKey  = regexp.MustCompile(`^[a-z_]+(\[\d*\])?(\.[a-z_]+(\[\d*\])?)*$`)
	fileName   = regexp.MustCompile(`\.(go|md|ya?ml|json|py|sh|txt|toml|log|csv|html|xml|pdf|env|jar|pid|out|tmp)$`)
)

// TestDocsNameOnlyKnownKeys checks every configuration key the
// documentation mentions: inline `dotted.keys` (alone, or before `: ` or
// `=` and a value) that start with a top-level key or with a section name
// that looks like one but is not (wrongSections), and every key of a
// ```yaml block (a config.yml snippet; blocks of other YAML files are
// fenced as ```yaml <what it is>).
func TestDocsNameOnlyKnownKeys(t *testing.T) {
	top := map[string]bool{}
	for _, k := range TopLevelKeys() {
		top[k] = true
	}
	files, _ := filepath.Glob("../../docs/*.md")
	more, _ := filepath.Glob("../../docs/*/*.md")
	files = append(append(files, more...), "../../README.md")
	checked := 0
	for _, f := range files {
		for _, ref := range configKeysIn(t, f, top) {
			checked++
			if !KnownKey(ref.key) {
				t.Errorf("%s:%d names configuration key %q, which does not exist (see internal/config/schema.go)", ref.file, ref.line, ref.key)
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d configuration keys found in the documentation: is the scan broken?", checked)
	}
}

// wrongSections are first segments that read like a section of config.yml
// but are none: `extraction.mode` for service.extraction_mode, say. A dotted
// name starting with one is always a wrong configuration key. Other dotted
// names (`metadata.incomplete_listing`, `docs.count`, `log.level`) are not
// configuration and are not checked.
var wrongSections = map[string]bool{"extraction": true}

// inlineConfigKey returns the configuration key an inline code span names,
// if it names one: a dotted key, alone or followed by `: value` or
// `=value`, whose first segment is a top-level key or a wrong section.
func inlineConfigKey(code string, top map[string]bool) (string, bool) {
	tok := strings.SplitN(code, ":", 2)[0]
	if k, _, ok := strings.Cut(tok, "="); ok && !strings.ContainsAny(k, " \t") {
		tok = k
	}
	tok = strings.TrimSuffix(tok, "*")
	if !dottedKey.MatchString(tok) || fileName.MatchString(tok) || !strings.Contains(tok, ".") || ecsFields[tok] {
		return "", false
	}
	first := strings.SplitN(strings.SplitN(tok, ".", 2)[0], "[", 2)[0]
	return tok, top[first] || wrongSections[first]
}

// ecsFields are log fields (ECS JSON) whose names start like a
// configuration section; the documentation names them too.
var ecsFields = map[string]bool{"service.type": true, "service.version": true, "service.name": true, "service.node.name": true}

type keyRef struct {
	file string
	line int
	key  string
}

func configKeysIn(t *testing.T, path string, top map[string]bool) []keyRef {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rel := strings.TrimPrefix(path, "../../")
	var out []keyRef
	var block strings.Builder
	inFence, isConfig, blockStart := false, false, 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if !inFence {
				info := strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
				inFence, isConfig, blockStart = true, info == "yaml" || info == "yml", n
				block.Reset()
				continue
			}
			inFence = false
			if isConfig {
				for _, k := range yamlKeys(t, rel, blockStart, block.String()) {
					out = append(out, keyRef{rel, blockStart, k})
				}
			}
			continue
		}
		if inFence {
			block.WriteString(line + "\n")
			continue
		}
		for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
			if key, ok := inlineConfigKey(m[1], top); ok {
				out = append(out, keyRef{rel, n, key})
			}
		}
	}
	return out
}

// yamlKeys lists the dotted paths of a config.yml snippet's keys.
func yamlKeys(t *testing.T, file string, line int, text string) []string {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Errorf("%s:%d: a ```yaml block is read as a config.yml snippet and does not parse (%v); fence other YAML as ```yaml <kind>", file, line, err)
		return nil
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				out = append(out, p)
				if !strings.HasPrefix(p, "sources.") && !strings.HasPrefix(p, "elasticsearch.headers.") {
					walk(p, sub)
				}
			}
		case []any:
			for _, item := range x {
				walk(prefix+"[]", item)
			}
		}
	}
	walk("", doc)
	sort.Strings(out)
	return out
}

// TestInlineConfigKey: which inline code spans the documentation check
// reads as configuration keys.
func TestInlineConfigKey(t *testing.T) {
	top := map[string]bool{}
	for _, k := range TopLevelKeys() {
		top[k] = true
	}
	for code, want := range map[string]string{
		"service.extraction_mode":            "service.extraction_mode",
		"service.extraction_mode: local":     "service.extraction_mode",
		"elasticsearch.bulk.chunk_size=99":   "elasticsearch.bulk.chunk_size",
		"connectors[0].api_key":              "connectors[0].api_key",
		"extraction_service.host":            "extraction_service.host",
		"extraction.mode":                    "extraction.mode", // not a section: must be checked, and fail
		"extraction.local.pdf_workers":       "extraction.local.pdf_workers",
		"metadata.incomplete_listing":        "",
		"docs.count":                         "",
		"log.level":                          "",
		"service.type":                       "", // an ECS log field
		"config.yml":                         "",
		"service.log":                        "",
		"docker run -e elasticsearch.host=x": "",
		"extraction":                         "",
	} {
		got, ok := inlineConfigKey(code, top)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("inlineConfigKey(%q) = %q, want %q", code, got, want)
		}
	}
	if KnownKey("extraction.mode") || KnownKey("extraction.local.pdf_workers") {
		t.Error("a wrong section is a known key")
	}
}

func TestKnownKey(t *testing.T) {
	for key, want := range map[string]bool{
		"elasticsearch.host":          true,
		"elasticsearch.bulk":          true,
		"connectors[0].api_key":       true,
		"connectors[].connector_id":   true,
		"elasticsearch.headers.X-Foo": true,
		"sources.mysql":               true,
		"extraction.mode":             false,
		"service.extraction":          false,
		"elasticsearch.hosts":         false,
	} {
		if got := KnownKey(key); got != want {
			t.Errorf("KnownKey(%q) = %v, want %v", key, got, want)
		}
	}
}
