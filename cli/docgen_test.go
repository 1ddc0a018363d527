package cli

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// -update rewrites the generated command reference (make docs runs it).
var updateDocs = flag.Bool("update", os.Getenv("UPDATE_DOCS") != "", "rewrite the generated command reference in docs/cli.md")

const (
	cliDoc   = "../docs/cli.md"
	cliBegin = "<!-- BEGIN GENERATED: the command reference, from the cobra command tree (make docs) -->"
	cliEnd   = "<!-- END GENERATED -->"
)

// TestCommandReferenceIsCurrent fails when docs/cli.md's command reference
// differs from the command tree; go test -update (make docs) rewrites it.
func TestCommandReferenceIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	b, e := strings.Index(doc, cliBegin), strings.Index(doc, cliEnd)
	if b < 0 || e < b {
		t.Fatalf("%s lacks the markers %q … %q around the generated reference", cliDoc, cliBegin, cliEnd)
	}
	want := cliBegin + "\n\n" + CommandReference() + "\n"
	if doc[b:e] == want {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(cliDoc, []byte(doc[:b]+want+doc[e:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the command reference in %s", cliDoc)
		return
	}
	t.Errorf("the command reference in %s is stale: run `make docs` (go test ./cli -run TestCommandReferenceIsCurrent -update)", cliDoc)
}

func TestCommandReferenceCoversEveryCommand(t *testing.T) {
	ref := CommandReference()
	for _, cmd := range []string{"connectors connector get", "connectors connector schedule", "connectors connector rules", "connectors connector api-key",
		"connectors job wait", "connectors completion bash", "connectors config validate", "connectors index list"} {
		if !strings.Contains(ref, "### `"+cmd+"`") {
			t.Errorf("the reference lacks %s", cmd)
		}
	}
	if !strings.Contains(ref, "| `-o`, `--output` | `text` |") {
		t.Error("the global flags are missing")
	}
}
