package atlassian

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
)

func get(t *testing.T, ts *TestServer, path string, wantStatus int) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	req.SetBasicAuth(User, Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d, want %d: %s", path, resp.StatusCode, wantStatus, b)
	}
	return b
}

// TestEveryEndpointFollowsTheDescription calls each endpoint the sources use, in every flavour,
// through the validator: any answer outside Atlassian's descriptions fails the test.
func TestEveryEndpointFollowsTheDescription(t *testing.T) {
	for _, fl := range []Flavor{Cloud, Server, DataCenter} {
		t.Run(string(fl), func(t *testing.T) {
			ts := NewTestServer(t, Config{Flavor: fl, Projects: 3, IssuesPerProject: 25, AttachmentsPerIssue: 2,
				Spaces: 2, PagesPerSpace: 23, AttachmentsPerPage: 2, Users: 14, MaxResults: 10})
			paths := []string{
				"/rest/api/2/myself",
				"/rest/api/2/project?expand=description,lead,url",
				"/rest/api/2/project/PRJ2",
				"/rest/api/2/field",
				`/rest/api/2/search?jql=project%20in%20("PRJ1","PRJ3")&fields=*all&maxResults=100&startAt=10`,
				"/rest/api/3/search/jql?jql=key%20IS%20NOT%20EMPTY&fields=*all&maxResults=100",
				"/rest/api/2/issue/PRJ1-5",
				"/rest/api/2/issue/PRJ1-5?fields=security",
				"/rest/api/2/issue/PRJ2-7",
				"/rest/api/2/attachment/content/10000051",
				"/secure/attachment/10000051/PRJ1-5-notes-1.txt",
				"/rest/api/3/users/search?startAt=0",
				"/rest/api/3/user?accountId=" + UserAt(2).AccountID + "&expand=groups,applicationRoles",
				"/rest/api/2/user?username=user2&expand=groups,applicationRoles",
				"/rest/api/latest/user/search?username=''&startAt=0&maxResults=1000",
				"/rest/api/2/user/permission/search?projectKey=PRJ1&permissions=BROWSE&maxResults=1000&startAt=0",
				"/rest/api/2/user/permission/search?issueKey=PRJ1-3&permissions=BROWSE&maxResults=1000&startAt=0",
				"/rest/api/3/project/PRJ1/role/10002",
				"/rest/api/3/issuesecurityschemes/level/member?maxResults=100&startAt=0&levelId=10100&expand=user,group,projectRole",
			}
			pre := ""
			if fl == Cloud {
				pre = "/wiki"
			}
			cq := url.QueryEscape("space in ('SP1') AND type=page")
			paths = append(paths,
				pre+"/rest/api/space?limit=100&expand=permissions,history",
				pre+"/rest/api/content/search?cql="+cq+"&limit=50&expand=ancestors,children.attachment,history.lastUpdated,body.storage,space,space.permissions,restrictions.read.restrictions.user,restrictions.read.restrictions.group",
				pre+"/rest/api/content/1000004/child/attachment?limit=100&expand=version,history",
				pre+"/rest/api/content/1000004/label",
				pre+"/rest/api/content/1000002/restriction/byOperation/read?expand=restrictions.user,restrictions.group",
				pre+"/rest/api/search?cql="+url.QueryEscape("space = SP2")+"&limit=100&expand=content.history,content.extensions,content.container,content.space,content.body.storage,space.description,space.history",
				pre+"/download/attachments/1000004/spec-1000004-1.txt?version=1&api=v2",
			)
			if fl != Cloud {
				paths = append(paths,
					"/rest/api/user/list?limit=200&start=0",
					"/rest/extender/1.0/permission/space/SP1/getSpacePermissionActors/VIEWSPACE",
					"/rest/extender/1.0/user/getUsersWithConfluenceAccess?showExtendedDetails=true&startAt=0&maxResults=1000",
				)
			}
			for _, p := range paths {
				get(t, ts, p, http.StatusOK)
			}
			// Errors as the API sends them.
			get(t, ts, "/rest/api/2/project/NOPE", http.StatusNotFound)
			get(t, ts, "/rest/api/2/issue/PRJ1-999", http.StatusNotFound)
			get(t, ts, "/rest/api/3/search/jql?jql=summary~foo", http.StatusBadRequest)
			if n := ts.Validator.Checked(); n < len(paths) {
				t.Fatalf("validated %d answers, want at least %d", n, len(paths))
			}
		})
	}
}

// TestPagination follows each listing to its end and counts what it saw.
func TestPagination(t *testing.T) {
	ts := NewTestServer(t, Config{Projects: 3, IssuesPerProject: 25, Spaces: 2, PagesPerSpace: 23, AttachmentsPerPage: 1, MaxResults: 7})
	// Jira Cloud cursor.
	seen := 0
	path := "/rest/api/3/search/jql?jql=key%20IS%20NOT%20EMPTY&maxResults=100"
	for {
		var page struct {
			Issues []struct{ Key string }
			Next   string `json:"nextPageToken"`
			IsLast bool
		}
		if err := json.Unmarshal(get(t, ts, path, 200), &page); err != nil {
			t.Fatal(err)
		}
		seen += len(page.Issues)
		if page.Next == "" {
			break
		}
		path = "/rest/api/3/search/jql?jql=key%20IS%20NOT%20EMPTY&maxResults=100&nextPageToken=" + page.Next
	}
	if seen != 75 {
		t.Errorf("cursor search: %d issues, want 75", seen)
	}
	// Confluence _links.next, relative to /wiki.
	seen = 0
	path = "/wiki/rest/api/content/search?cql=" + url.QueryEscape("space in ('SP1','SP2') AND type=blogpost") + "&limit=50"
	for path != "" {
		var page struct {
			Results []struct{ ID string }
			Links   struct{ Next string } `json:"_links"`
		}
		if err := json.Unmarshal(get(t, ts, path, 200), &page); err != nil {
			t.Fatal(err)
		}
		seen += len(page.Results)
		path = ""
		if page.Links.Next != "" {
			path = "/wiki" + page.Links.Next
		}
	}
	if seen != 46 {
		t.Errorf("content search: %d blog posts, want 46", seen)
	}
	// After Mutate: 1 in 20 removed, one added per collection.
	ts.Mutate()
	var res struct{ Total int }
	if err := json.Unmarshal(get(t, ts, "/rest/api/2/search?jql=project=PRJ1&startAt=0", 200), &res); err != nil {
		t.Fatal(err)
	}
	if want := saasfake.Count(2, 25); res.Total != want || want != 24 {
		t.Errorf("after Mutate: total %d, want %d (25 - 2 removed + 1 added)", res.Total, want)
	}
}

// TestValidatorCatchesADriftingFake shows the validation failing: answers that leave the
// description (a wrong type, a missing required property, an undeclared endpoint) are
// violations, each named with the schema's complaint.
func TestValidatorCatchesADriftingFake(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	drifting := http.NewServeMux()
	drifting.HandleFunc("/rest/api/3/search/jql", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"issues":[{"key":42}],"isLast":true}`) // key must be a string
	})
	drifting.HandleFunc("/wiki/rest/api/space", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"results":[]}`) // no _links, size, start, limit
	})
	drifting.HandleFunc("/rest/api/3/made-up", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	})
	srv := http.Handler(v.Middleware(drifting))
	for _, p := range []string{"/rest/api/3/search/jql?jql=x", "/wiki/rest/api/space", "/rest/api/3/made-up"} {
		rec := &respRecorder{h: http.Header{}}
		req, _ := http.NewRequest("GET", "http://fake"+p, nil)
		srv.ServeHTTP(rec, req)
	}
	viols := v.Violations()
	if len(viols) != 3 {
		t.Fatalf("%d violations, want 3: %v", len(viols), viols)
	}
	for i, want := range []string{`"/issues/0/key": value must be a string`, `property "_links" is missing`, "no published description has GET /rest/api/3/made-up"} {
		if !strings.Contains(viols[i].Problem, want) {
			t.Errorf("violation %d = %q, want it to say %q", i, viols[i].Problem, want)
		}
	}
}

type respRecorder struct {
	h    http.Header
	code int
}

func (r *respRecorder) Header() http.Header         { return r.h }
func (r *respRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *respRecorder) WriteHeader(c int)           { r.code = c }

// TestFaults checks the injected behaviour: 429 with Retry-After and rate-limit headers every
// Nth request, expired tokens, and paths that always fail.
func TestFaults(t *testing.T) {
	ts := NewTestServer(t, Config{Projects: 2, IssuesPerProject: 3})
	ts.Faults.Set(saasfake.FaultConfig{ThrottleEvery: 3, RetryAfter: 2, RateLimit: 100, FailPaths: []string{"/project/PRJ2"}})
	statuses := []int{}
	var retryAfter, limit string
	for i := 0; i < 6; i++ {
		req, _ := http.NewRequest("GET", ts.URL+"/rest/api/2/myself", nil)
		req.SetBasicAuth(User, Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 {
			retryAfter = resp.Header.Get("Retry-After")
		}
		limit = resp.Header.Get("X-RateLimit-Limit")
	}
	if want := []int{200, 200, 429, 200, 200, 429}; !equalInts(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if retryAfter != "2" || limit != "100" {
		t.Errorf("Retry-After %q, X-RateLimit-Limit %q", retryAfter, limit)
	}
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/project/PRJ2"}})
	get(t, ts, "/rest/api/2/project/PRJ2", http.StatusInternalServerError)

	// An expiring personal access token.
	ts.Auth.AddBearer("short-lived", 1)
	codes := []int{}
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("GET", ts.URL+"/rest/api/2/myself", nil)
		req.Header.Set("Authorization", "Bearer short-lived")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if !equalInts(codes, []int{200, 401}) {
		t.Errorf("expiring token: %v, want [200 401]", codes)
	}

	// A password (API token) revoked after two requests, then a user locked behind a CAPTCHA.
	ts.Auth.AddBasicUses("short@example.com", "pw", 2)
	basic := func(user, pass string) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+"/rest/api/2/myself", nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	codes = codes[:0]
	for i := 0; i < 3; i++ {
		codes = append(codes, basic("short@example.com", "pw").StatusCode)
	}
	if !equalInts(codes, []int{200, 200, 401}) {
		t.Errorf("expiring password: %v, want [200 200 401]", codes)
	}
	ts.Auth.Lock(User)
	if resp := basic(User, Password); resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Seraph-LoginReason") != "AUTHENTICATION_DENIED" {
		t.Errorf("locked user: %d %v", resp.StatusCode, resp.Header)
	}
	ts.Auth.AddBasic(User, Password)

	// A path the account may not read.
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/issue/PRJ1-2"}, FailStatus: http.StatusForbidden})
	get(t, ts, "/rest/api/2/issue/PRJ1-2", http.StatusForbidden)
	get(t, ts, "/rest/api/2/issue/PRJ1-3", http.StatusOK)
	_ = time.Second
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
