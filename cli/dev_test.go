package cli

import (
	"strings"
	"testing"

	_ "github.com/connectors-go/connectors/sources/dir"
)

func TestDevSyncsTheSampleFolder(t *testing.T) {
	r := runApp(t, nil, "connectors", "dev", "--once", "--addr", "127.0.0.1:0", "--dir", "../testdata/sample")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Sync completed: 6 documents indexed into \"search-sample\"", "_search?q=body:*",
		`Not indexed: 1 file(s) of the folder that the pattern "**/*.*" does not match: site/NOEXTENSION`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestDevRefusesAMissingFolder(t *testing.T) {
	r := runApp(t, nil, "connectors", "dev", "--once", "--addr", "127.0.0.1:0", "--dir", "/nonexistent/folder")
	if r.code != 1 || !strings.Contains(r.stderr, "--dir: /nonexistent/folder is not a folder") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

func TestDevPatternTakesEveryFile(t *testing.T) {
	r := runApp(t, nil, "connectors", "dev", "--once", "--addr", "127.0.0.1:0", "--dir", "../testdata/sample", "--pattern", "**/*")
	if r.code != 0 || !strings.Contains(r.stdout, "Sync completed: 7 documents indexed") || strings.Contains(r.stdout, "Not indexed") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
