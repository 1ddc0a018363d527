package estest

import (
	"net/url"
	"testing"
)

// TestSplitPathKeepsEscapedSlashes: a document id holding "/" (GitHub files are
// owner/repo/path) is sent as %2F and must stay one segment.
func TestSplitPathKeepsEscapedSlashes(t *testing.T) {
	u, _ := url.Parse("http://x/search-github/_doc/demo_org%2Frepo-0%2FREADME.md")
	got := splitPath(u.EscapedPath())
	if len(got) != 3 || got[2] != "demo_org/repo-0/README.md" {
		t.Fatalf("%q", got)
	}
}
