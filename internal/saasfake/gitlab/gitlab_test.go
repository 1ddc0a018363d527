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

// TestValidatorCatchesADriftingFake: an answer outside the descriptions is caught for REST (by
// GitLab's published description, by a supplement to it, by the hand-written one, and an
// endpoint none of them has) and for GraphQL, and so is a query outside the schema.
func TestValidatorCatchesADriftingFake(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	answer := func(path, body string, header ...string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		})
	}
	answer("/api/v4/projects/1/repository/tree", `[{"id":"a","name":"README.md","type":"blob","path":"README.md","mode":100644}]`) // mode is a string
	answer("/api/v4/projects/2/repository/tree", `{"id":"a","name":"README.md","type":"blob","path":"README.md","mode":"100644"}`) // a list, not one entry
	answer("/api/v4/projects/3/repository/tree", `[]`, "X-Next-Page", "two")                                                       // a page number
	answer("/api/v4/projects/1/repository/files/README.md", `{"file_name":"README.md","file_path":"README.md","size":1,"encoding":"base64"}`)
	answer("/api/v4/user", `{"id":"7","username":"u","name":"U","state":"active","web_url":"http://x/u"}`) // id is an integer
	answer("/api/v4/projects/1/repository/blobs/a", `{}`)
	answer("/api/graphql", `{"data":{"project":{"mergeRequests":{"nodes":[{"iid":7}]}}}}`) // iid is a String
	h := v.Middleware(mux)
	for _, r := range []struct{ method, path, body, want string }{
		{"GET", "/api/v4/projects/1/repository/tree", "", `GitLab's openapi_v2.yaml`},
		{"GET", "/api/v4/projects/2/repository/tree", "", `value must be an array`},
		{"GET", "/api/v4/projects/3/repository/tree", "", `string doesn't match the regular expression "^[0-9]*$"`},
		{"GET", "/api/v4/projects/1/repository/files/README.md?ref=main", "", `property "content" is missing`},
		{"GET", "/api/v4/user", "", `hand-written from the reference page`},
		{"GET", "/api/v4/projects/1/repository/blobs/a", "", `no published description has GET /api/v4/projects/1/repository/blobs/a`},
		{"POST", "/api/graphql", `{"query":"{ project(fullPath: \"a/b\") { mergeRequests(first: 1) { nodes { iid } } } }"}`, "want a string (String)"},
		{"POST", "/api/graphql", `{"query":"{ project(fullPath: \"a/b\") { mergeRequests(first: 1) { nodes { mergedBy { username } } } } }"}`, `Cannot query field "mergedBy"`},
	} {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			before := len(v.Violations())
			req, _ := http.NewRequest(r.method, "http://fake"+r.path, strings.NewReader(r.body))
			h.ServeHTTP(&nopWriter{h: http.Header{}}, req)
			viols := v.Violations()[before:]
			if len(viols) != 1 {
				t.Fatalf("%d violations, want 1: %v", len(viols), viols)
			}
			if !strings.Contains(viols[0].Problem, r.want) {
				t.Errorf("violation %q, want it to contain %q", viols[0].Problem, r.want)
			}
		})
	}
	// The first answer is refused by GitLab's own text: mode is a string in API_Entities_TreeObject.
	if vs := v.Violations(); len(vs) == 0 || !strings.Contains(vs[0].Problem, `value must be a string`) {
		t.Errorf("the published description's complaint about mode: %v", vs)
	}
}

type nopWriter struct{ h http.Header }

func (n *nopWriter) Header() http.Header         { return n.h }
func (n *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (n *nopWriter) WriteHeader(int)             {}
