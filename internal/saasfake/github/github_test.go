package github

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
)

func do(t *testing.T, ts *TestServer, method, path, auth string, body any, want int) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.URL+path, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsInsecure()}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

func gql(t *testing.T, ts *TestServer, prefix, query string, vars map[string]any) map[string]any {
	t.Helper()
	b := do(t, ts, "POST", prefix+"/graphql", "token "+Token, map[string]any{"query": query, "variables": vars}, 200)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Queries of the shapes the github source sends (sources/github/query.go has the real ones; the
// source's own tests run them all against this fake).
const repoFields = `id updatedAt name nameWithOwner url description visibility primaryLanguage { name } defaultBranchRef { name } isFork stargazerCount watchers { totalCount } forkCount createdAt isArchived`

var queries = []struct {
	q    string
	vars map[string]any
}{
	{`query { viewer { login } }`, nil},
	{`query ($login: String!, $cursor: String) { user(login: $login) { repositories(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { ` + repoFields + ` } } } }`, map[string]any{"login": "demo_user"}},
	{`query ($orgName: String!, $cursor: String) { organization(login: $orgName) { repositories(first: 2, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { ` + repoFields + ` } } } }`, map[string]any{"orgName": "demo_org", "cursor": cursor(0)}},
	{`query ($r0_owner: String!, $r0_name: String!, $r1_owner: String!, $r1_name: String!) { repo0: repository(owner: $r0_owner, name: $r0_name) { ` + repoFields + ` } repo1: repository(owner: $r1_owner, name: $r1_name) { id } }`,
		map[string]any{"r0_owner": "demo_org", "r0_name": "repo-1", "r1_owner": "demo_org", "r1_name": "nope"}},
	{`query ($owner: String!, $name: String!, $cursor: String) { repository(owner: $owner, name: $name) { pullRequests(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } nodes {
		id updatedAt number url createdAt closedAt title body state mergedAt author { login }
		assignees(first: 100) { pageInfo { hasNextPage endCursor } nodes { login } }
		labels(first: 100) { pageInfo { hasNextPage endCursor } nodes { name description } }
		reviewRequests(first: 100) { pageInfo { hasNextPage endCursor } nodes { requestedReviewer { ... on User { login } } } }
		comments(first: 100) { pageInfo { hasNextPage endCursor } nodes { author { login } body } }
		reviews(first: 45) { pageInfo { hasNextPage endCursor } nodes { id author { login } state body comments(first: 100) { pageInfo { hasNextPage endCursor } nodes { body } } } } } } } }`,
		map[string]any{"owner": "demo_org", "name": "repo-1"}},
	{`query ($owner: String!, $name: String!, $number: Int!, $cursor: String) { repository(owner: $owner, name: $name) { issue(number: $number) { comments(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { author { login } body } } } } }`,
		map[string]any{"owner": "demo_org", "name": "repo-0", "number": 2, "cursor": cursor(99)}},
	{`query ($filter_query: String!, $cursor: String) { search(query: $filter_query, type: ISSUE, first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { ... on Issue { id number title } ... on PullRequest { id number mergedAt } } } }`,
		map[string]any{"filter_query": "repo:demo_org/repo-0 is:open"}},
	{`query ($orgName: String!, $cursor: String) { organization(login: $orgName) { membersWithRole(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } edges { node { id login name email updatedAt } } } } }`, map[string]any{"orgName": "demo_org"}},
	{`query ($orgName: String!, $repoName: String!, $cursor: String) { repository(owner: $orgName, name: $repoName) { collaborators(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } edges { node { id login email } } } } }`, map[string]any{"orgName": "demo_org", "repoName": "repo-2"}},
}

// TestEveryEndpointFollowsTheDescription calls every endpoint and query shape the source uses,
// in both layouts, through the validator.
func TestEveryEndpointFollowsTheDescription(t *testing.T) {
	ts := NewTestServer(t, Config{Repos: 4, IssuesPerRepo: 5, PullsPerRepo: 4, FilesPerRepo: 8, BigFirst: 105})
	for _, prefix := range []string{"", "/api"} {
		rest := map[string]string{"": "", "/api": "/api/v3"}[prefix]
		for _, q := range queries {
			out := gql(t, ts, prefix, q.q, q.vars)
			if _, bad := out["errors"]; bad && !strings.Contains(q.q, "repo1:") {
				t.Errorf("%s: %v", q.q[:40], out["errors"])
			}
		}
		repo := ts.Repo(1)
		tree := do(t, ts, "GET", rest+"/repos/demo_org/repo-1/git/trees/develop?recursive=1", "token "+Token, nil, 200)
		var tr struct {
			Tree []struct{ Path, Type, URL string }
		}
		_ = json.Unmarshal(tree, &tr)
		if len(tr.Tree) != len(Dirs)+8 {
			t.Fatalf("tree has %d entries", len(tr.Tree))
		}
		blobURL := tr.Tree[len(Dirs)+2].URL // file 3, the non-ASCII name
		blob := do(t, ts, "GET", strings.TrimPrefix(blobURL, ts.URL), "token "+Token, nil, 200)
		var b struct{ Content string }
		_ = json.Unmarshal(blob, &b)
		raw, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(b.Content, "\n", ""))
		if want := FileAt(repo, 3, 1, 8); string(raw) != want.Content {
			t.Errorf("blob of %s: %q", want.Path, raw)
		}
		do(t, ts, "GET", rest+"/repos/demo_org/repo-1/commits?path=docs/page-2.go", "token "+Token, nil, 200)
		do(t, ts, "GET", rest+"/repos/demo_org/repo-1/contents/docs", "token "+Token, nil, 200)
		do(t, ts, "GET", rest+"/repos/demo_org/repo-1/contents/README.md", "token "+Token, nil, 200)
		do(t, ts, "GET", rest+"/rate_limit", "token "+Token, nil, 200)
		do(t, ts, "GET", rest+"/repos/demo_org/repo-9/git/trees/main?recursive=1", "token "+Token, nil, 404)
		do(t, ts, "GET", rest+"/repos/demo_org/repo-1/git/trees/main?recursive=1", "token "+Token, nil, 404) // repo-1's branch is develop
	}
	if ts.Validator.Checked() < 2*(len(queries)+8) {
		t.Errorf("validated %d answers", ts.Validator.Checked())
	}
}

// TestGitHubApp goes through the app flow: a JWT for /app and the installations (two pages, by
// the Link header), an installation token that expires after its uses.
func TestGitHubApp(t *testing.T) {
	ts := NewTestServer(t, Config{Repos: 2, IssuesPerRepo: 1, InstallationTokenUses: 2})
	jwt := signJWT(t, ts.AppPrivateKeyPEM(), "4242", time.Now())
	do(t, ts, "GET", "/app", "Bearer "+jwt, nil, 200)
	do(t, ts, "GET", "/app", "Bearer "+signJWT(t, ts.AppPrivateKeyPEM(), "7", time.Now()), nil, 401)
	do(t, ts, "GET", "/app", "token "+Token, nil, 401)
	req, _ := http.NewRequest("GET", ts.URL+"/api/v3/app/installations", nil)
	req.Header.Set("Authorization", "Bearer "+jwt)
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tlsInsecure()}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("no next link: %q", resp.Header.Get("Link"))
	}
	do(t, ts, "GET", "/app/installations?per_page=2&page=2", "Bearer "+jwt, nil, 200)
	var tok struct{ Token string }
	_ = json.Unmarshal(do(t, ts, "POST", "/app/installations/1001/access_tokens", "Bearer "+jwt, map[string]any{}, 201), &tok)
	do(t, ts, "POST", "/app/installations/1002/access_tokens", "Bearer "+jwt, map[string]any{}, 403) // suspended
	for i := 0; i < 2; i++ {
		do(t, ts, "GET", "/rate_limit", "token "+tok.Token, nil, 200)
	}
	do(t, ts, "GET", "/rate_limit", "token "+tok.Token, nil, 401) // expired
}

// TestThrottlingAsGitHubDoes: the primary rate limit as 403 with X-RateLimit-Remaining: 0 and an
// epoch reset, and GraphQL's RATE_LIMITED error.
func TestThrottlingAsGitHubDoes(t *testing.T) {
	ts := NewTestServer(t, Config{Repos: 1, GraphQLRateLimitEvery: 2})
	ts.Faults.Set(saasfake.FaultConfig{ThrottleEvery: 2, ThrottleStatus: 403, EpochReset: true, RetryAfter: 1})
	do(t, ts, "GET", "/rate_limit", "token "+Token, nil, 200)
	do(t, ts, "GET", "/rate_limit", "token "+Token, nil, 403)
	ts.Faults.Set(saasfake.FaultConfig{})
	gql(t, ts, "", `{ viewer { login } }`, nil)
	out := gql(t, ts, "", `{ viewer { login } }`, nil)
	if !strings.Contains(fmt.Sprint(out["errors"]), "RATE_LIMITED") {
		t.Errorf("second query: %v", out)
	}
}

// TestValidatorCatchesADriftingFake: an answer outside GitHub's descriptions is caught, for REST
// and GraphQL, and a query outside the schema too.
func TestValidatorCatchesADriftingFake(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/repos/o/r/git/trees/main", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sha":"x","tree":[{"path":"a.md","type":"blob"}]}`) // no truncated, no mode
	})
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"viewer":{"login":"octocat","id":"U_1"}}}`) // id not selected
	})
	h := v.Middleware(mux)
	for _, r := range []*http.Request{
		mustReq("GET", "/repos/o/r/git/trees/main", ""),
		mustReq("POST", "/graphql", `{"query":"{ viewer { login } }"}`),
		mustReq("POST", "/api/graphql", `{"query":"{ viewer { loginName } }"}`),
	} {
		h.ServeHTTP(&nopWriter{h: http.Header{}}, r)
	}
	viols := v.Violations()
	if len(viols) != 3 {
		t.Fatalf("%d violations: %v", len(viols), viols)
	}
	for i, want := range []string{`property "truncated" is missing`, "keys the query did not select: id", `Cannot query field "loginName"`} {
		if !strings.Contains(viols[i].Problem, want) {
			t.Errorf("violation %d: %s, want %q", i, viols[i].Problem, want)
		}
	}
}

func TestSchemaAmendments(t *testing.T) {
	s, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Amendments {
		t.Log(a)
	}
	if len(s.Amendments) == 0 || len(s.Amendments) > 10 {
		t.Errorf("%d amendments of GitHub's schema: expected the few duplicated field declarations", len(s.Amendments))
	}
}

type nopWriter struct{ h http.Header }

func (n *nopWriter) Header() http.Header         { return n.h }
func (n *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (n *nopWriter) WriteHeader(int)             {}

func mustReq(method, path, body string) *http.Request {
	r, _ := http.NewRequest(method, "http://fake"+path, strings.NewReader(body))
	return r
}

// signJWT makes an app token as GitHub's docs describe it.
func signJWT(t *testing.T, keyPEM, iss string, now time.Time) string {
	t.Helper()
	blk, _ := pem.Decode([]byte(keyPEM))
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	head := enc(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims := enc(map[string]any{"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix(), "iss": iss})
	sum := sha256.Sum256([]byte(head + "." + claims))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return head + "." + claims + "." + base64.RawURLEncoding.EncodeToString(sig)
}
