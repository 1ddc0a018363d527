package gitlab

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func call(t *testing.T, ts *TestServer, method, path string, body any, want int) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp, b
}

// TestRESTEndpoints calls the REST endpoints through the validator and follows the tree's
// offset pagination (X-Next-Page) to its end.
func TestRESTEndpoints(t *testing.T) {
	ts := NewTestServer(t, Config{Projects: 2, RootFiles: 45})
	call(t, ts, "GET", "/api/v4/user", nil, 200)
	seen, page := 0, "1"
	for page != "" {
		resp, b := call(t, ts, "GET", "/api/v4/projects/1000/repository/tree?ref=main&path=%2F&recursive=false&per_page=20&page="+page, nil, 200)
		var items []map[string]any
		_ = json.Unmarshal(b, &items)
		seen += len(items)
		page = resp.Header.Get("X-Next-Page")
	}
	if want := len(RootEntries(ProjectAt(0, 2, 1), 1, 45)); seen != want {
		t.Errorf("%d entries, want %d", seen, want)
	}
	call(t, ts, "GET", "/api/v4/projects/1000/repository/files/README.md?ref=main", nil, 200)
	call(t, ts, "GET", "/api/v4/projects/1000/repository/files/nope.md?ref=main", nil, 404)
	req, _ := http.NewRequest("GET", ts.URL+"/api/v4/user", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
}

// TestValidatorCatchesADriftingFake: an answer outside the descriptions is caught for REST and
// GraphQL, and so is a query outside the schema.
func TestValidatorCatchesADriftingFake(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v4/projects/1/repository/tree", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id":"a","name":"README.md","type":"file","path":"README.md","mode":"100644"}]`) // type is blob or tree
	})
	mux.HandleFunc("/api/graphql", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"project":{"mergeRequests":{"nodes":[{"iid":7}]}}}}`) // iid is a String
	})
	h := v.Middleware(mux)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v4/projects/1/repository/tree", ""},
		{"POST", "/api/graphql", `{"query":"{ project(fullPath: \"a/b\") { mergeRequests(first: 1) { nodes { iid } } } }"}`},
		{"POST", "/api/graphql", `{"query":"{ project(fullPath: \"a/b\") { mergeRequests(first: 1) { nodes { mergedBy { username } } } } }"}`},
	} {
		req, _ := http.NewRequest(r.method, "http://fake"+r.path, strings.NewReader(r.body))
		h.ServeHTTP(&nopWriter{h: http.Header{}}, req)
	}
	viols := v.Violations()
	if len(viols) != 3 {
		t.Fatalf("%d violations: %v", len(viols), viols)
	}
	for i, want := range []string{`value is not one of the allowed values ["tree","blob","commit"]`, "want a string (String)", `Cannot query field "mergedBy"`} {
		if !strings.Contains(viols[i].Problem, want) {
			t.Errorf("violation %d: %s, want %q", i, viols[i].Problem, want)
		}
	}
}

type nopWriter struct{ h http.Header }

func (n *nopWriter) Header() http.Header         { return n.h }
func (n *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (n *nopWriter) WriteHeader(int)             {}
