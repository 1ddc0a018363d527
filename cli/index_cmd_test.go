package cli

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/estest"
)

func (c *cluster) seed(index string, docs int) {
	c.t.Helper()
	c.do("PUT", "/"+index, nil, nil)
	for i := 0; i < docs; i++ {
		c.do("PUT", fmt.Sprintf("/%s/_doc/%d", index, i), map[string]any{"n": i}, nil)
	}
	c.do("POST", "/"+index+"/_refresh", nil, nil)
}

func (c *cluster) count(index string) int {
	c.t.Helper()
	c.do("POST", "/"+index+"/_refresh", nil, nil)
	var res struct {
		Count int `json:"count"`
	}
	c.do("GET", "/"+index+"/_count", nil, &res)
	return res.Count
}

func TestIndexList(t *testing.T) {
	for _, flavor := range []string{"default", "serverless"} {
		t.Run(flavor, func(t *testing.T) {
			c := newCluster(t, estest.Options{BuildFlavor: flavor})
			inTempDir(t)
			writeCLIConfigFor(t, c, "")
			runIn(t, "", nil, "index", "list").expect(t, 0, "No indices found")

			c.seed("search-b", 3)
			c.seed("search-a", 0)
			r := runIn(t, "", nil, "index", "list")
			r.expect(t, 0, "Showing 2 indices", "Index name", "Number of documents")
			a, b := strings.Index(r.stdout, "search-a"), strings.Index(r.stdout, "search-b")
			if a < 0 || b < a {
				t.Fatalf("indices not listed in order:\n%s", r.stdout)
			}
			count := regexp.MustCompile(`search-b\s*│\s*(\S+)`).FindStringSubmatch(r.stdout)
			want := "3"
			if flavor == "serverless" {
				want = "-" // no _stats there: names only
			}
			if count == nil || count[1] != want {
				t.Fatalf("search-b count %v, want %s:\n%s", count, want, r.stdout)
			}
		})
	}
}

func TestIndexCleanAndDelete(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdin     string
		code      int
		want      string
		wantDocs  int  // documents left in search-x
		wantIndex bool // search-x still exists
	}{
		{"clean with --yes", []string{"clean", "search-x", "--yes"}, "", 0, "The index has been cleaned (4 documents deleted).", 0, true},
		{"clean confirmed", []string{"clean", "search-x"}, "y\n", 0, "The index has been cleaned", 0, true},
		{"clean declined", []string{"clean", "search-x"}, "n\n", 1, "Aborted!", 4, true},
		{"clean without an answer", []string{"clean", "search-x"}, "", 1, "pass --yes", 4, true},
		{"clean missing index", []string{"clean", "nope", "--yes"}, "", 1, "index nope does not exist", 4, true},
		{"delete with --yes", []string{"delete", "search-x", "-y"}, "", 0, "The index has been deleted.", 0, false},
		{"delete confirmed", []string{"delete", "search-x"}, "yes\n", 0, "Are you sure you want to delete index search-x?", 0, false},
		{"delete declined", []string{"delete", "search-x"}, "\n", 1, "Aborted!", 4, true},
		{"delete missing index", []string{"delete", "nope", "--yes"}, "", 1, "index nope does not exist", 4, true},
		{"no index argument", []string{"delete"}, "", 2, "accepts 1 arg", 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, estest.Options{})
			inTempDir(t)
			writeCLIConfigFor(t, c, "")
			c.seed("search-x", 4)
			runIn(t, tt.stdin, nil, append([]string{"index"}, tt.args...)...).expect(t, tt.code, tt.want)
			if got := c.exists("search-x"); got != tt.wantIndex {
				t.Fatalf("index exists: %v, want %v", got, tt.wantIndex)
			}
			if tt.wantIndex {
				if got := c.count("search-x"); got != tt.wantDocs {
					t.Fatalf("%d documents left, want %d", got, tt.wantDocs)
				}
			}
		})
	}
}

func TestIndexListLeavesOutHiddenAndDotIndices(t *testing.T) {
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, "")
	c.seed("search-a", 2)
	c.do("PUT", "/hidden-x", map[string]any{"settings": map[string]any{"index.hidden": true}}, nil)
	c.do("PUT", "/.dotted", nil, nil)
	r := runIn(t, "", nil, "index", "list")
	r.expect(t, 0, "Showing 1 indices", "search-a")
	if strings.Contains(r.stdout, "hidden-x") || strings.Contains(r.stdout, ".dotted") {
		t.Fatalf("hidden or dot indices listed:\n%s", r.stdout)
	}
	runIn(t, "", nil, "index", "list", "--all").expect(t, 0, "search-a", "hidden-x", ".dotted")

	r = runIn(t, "", nil, "index", "list", "-o", "json")
	r.expect(t, 0)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0]["index"] != "search-a" || rows[0]["docs_count"] != float64(2) {
		t.Fatalf("JSON rows %v (%v)", rows, err)
	}
}

// A node without the reindex module has no _delete_by_query (the project's
// Maven-built node is one): index clean then searches and deletes in bulk.
func TestIndexCleanWithoutDeleteByQuery(t *testing.T) {
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, "")
	c.seed("search-x", 2500)
	c.srv.Faults().Add(estest.Fault{Path: "/*/_delete_by_query", Status: 400, ErrorType: "illegal_argument_exception", Reason: "no handler found for uri [/search-x/_delete_by_query] and method [POST]"})
	runIn(t, "", nil, "index", "clean", "search-x", "-y").expect(t, 0, "The index has been cleaned (2500 documents deleted).")
	if n := c.count("search-x"); n != 0 {
		t.Fatalf("%d documents left", n)
	}
}
