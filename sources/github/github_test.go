package github

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/saasfake"
	fake "github.com/connectors-go/connectors/internal/saasfake/github"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

var small = fake.Config{Repos: 4, IssuesPerRepo: 5, PullsPerRepo: 4, FilesPerRepo: 8, Members: 6, BigFirst: 105}

func serverConfig(url string) map[string]any {
	return map[string]any{"data_source": Server, "host": url, "auth_method": AuthToken, "token": fake.Token,
		"repo_type": Organization, "org_name": "demo_org", "repositories": "*"}
}

// expectedCount is what a sync of every repository produces, from the fake's data functions
// and the original's rules: per repository itself, its pull requests and issues, and its
// Markdown/reStructuredText files when it has a default branch.
func expectedCount(cfg fake.Config, version int, skipFilesOf int) int {
	n := 0
	for r := 0; r < cfg.Repos; r++ {
		repo := fake.RepoAt("demo_org", r, cfg.Repos)
		n += 1 + saasfake.Count(version, cfg.PullsPerRepo) + saasfake.Count(version, cfg.IssuesPerRepo)
		if repo.DefaultBranch == "" || r == skipFilesOf {
			continue
		}
		for _, i := range saasfake.Items(version, cfg.FilesPerRepo) {
			if fake.FileAt(repo, i, version, cfg.FilesPerRepo).Indexed() {
				n++
			}
		}
	}
	return n
}

func TestAcceptance(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	connectortest.Run(t, Factory, serverConfig(ts.URL), connectortest.ExpectDocs(expectedCount(small, 1, -1)),
		connectortest.InvalidConfig(map[string]any{"host": "http://plain.example"}, "host"),
		connectortest.Unreadable(func(t *testing.T) func() {
			ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/repos/demo_org/repo-2/git/trees"}})
			return func() { ts.Faults.Set(saasfake.FaultConfig{}) }
		}, expectedCount(small, 1, 2)))
}

func newSource(t *testing.T, values map[string]any, features connector.Features) *Source {
	t.Helper()
	s := sourcetest.Open(t, Factory, values, connector.Env{Features: features}).(*Source)
	s.client.BaseDelay = time.Millisecond
	return s
}

func run(t *testing.T, s *Source, rules any) (*sourcetest.Collected, error) {
	t.Helper()
	return sourcetest.Run(s, rules)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := connector.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := jsonOf(t, got), jsonOf(t, want)
	if g != w {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func login(u int) any {
	if u < 0 {
		return nil
	}
	return map[string]any{"login": fake.UserAt(u).Login}
}

// expectedThread is a pull request's or an issue's document as the original builds it, from
// the fake's data: the GraphQL node's fields with the nested lists flattened under the
// original's names (labels of later pages have no description: the original's query for them
// selects none).
func expectedThread(web string, th fake.ThreadInfo, withAuthor bool) map[string]any {
	kind := "issues"
	if th.Pull {
		kind = "pull"
	}
	d := map[string]any{
		"number": th.Number, "url": web + "/" + th.Repo.FullName() + "/" + kind + "/" + itoa(th.Number),
		"createdAt": fake.Time(th.Created), "closedAt": nil, "title": th.Title, "body": th.Body, "state": th.State,
	}
	if withAuthor {
		d["author"] = login(th.Author)
	}
	if th.Closed != nil {
		d["closedAt"] = fake.Time(*th.Closed)
	}
	comments := []any{}
	for k := 0; k < th.Comments; k++ {
		comments = append(comments, map[string]any{"author": login(fake.CommentAuthor(th, k)), "body": fake.CommentBody(th, k)})
	}
	labels := []any{}
	for k := 0; k < th.Labels; k++ {
		n, desc := fake.LabelAt(k)
		labels = append(labels, map[string]any{"name": n, "description": nullable(desc)})
	}
	assignees := []any{}
	for _, u := range th.Assignees {
		assignees = append(assignees, map[string]any{"login": fake.UserAt(u).Login})
	}
	d["issue_comments"], d["labels_field"], d["assignees_list"] = comments, labels, assignees
	d["type"] = "Issue"
	if th.Pull {
		d["type"] = "Pull request"
		d["mergedAt"] = nil
		if th.Merged != nil {
			d["mergedAt"] = fake.Time(*th.Merged)
		}
		reqs := []any{}
		for _, u := range th.Reviewers {
			reqs = append(reqs, map[string]any{"requestedReviewer": map[string]any{"login": fake.UserAt(u).Login}})
		}
		if th.TeamReview {
			reqs = append(reqs, map[string]any{"requestedReviewer": map[string]any{}})
		}
		d["requested_reviewers"] = reqs
		reviews := []any{}
		for k := 0; k < th.Reviews; k++ {
			_, author, state, body, nc := fake.ReviewAt(th, k)
			cs := []any{}
			for c := 0; c < nc; c++ {
				cs = append(cs, map[string]any{"body": fake.ReviewCommentBody(th, k, c)})
			}
			reviews = append(reviews, map[string]any{"author": fake.UserAt(author).Login, "body": body, "state": state, "comments": cs})
		}
		d["reviews_comments"] = reviews
	}
	return d
}

// TestDocuments checks documents field by field against the fake's data set: a repository, a
// pull request and an issue whose nested lists need more pages, a merged pull request with a
// team review request and a deleted author, a file with a non-ASCII name and its content.
func TestDocuments(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	s := newSource(t, serverConfig(ts.URL), connector.Features{})
	c, err := run(t, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != expectedCount(small, 1, -1) || len(c.Incomplete) > 0 {
		t.Fatalf("%d documents (want %d), incomplete %v", len(c.Docs), expectedCount(small, 1, -1), c.Incomplete)
	}
	web := ts.URL
	repo := ts.Repo(1)
	d := c.Docs[repo.ID]
	if d.Timestamp != fake.Time(repo.Updated) || d.AllowAccessControl != nil {
		t.Errorf("repository: %q %v", d.Timestamp, d.AllowAccessControl)
	}
	sameJSON(t, "repository", d.Fields, map[string]any{
		"name": repo.Name, "nameWithOwner": "demo_org/repo-1", "url": web + "/demo_org/repo-1", "description": nullable(repo.Description),
		"visibility": repo.Visibility, "primaryLanguage": map[string]any{"name": repo.Language}, "defaultBranchRef": map[string]any{"name": "develop"},
		"isFork": repo.Fork, "stargazerCount": repo.Stars, "watchers": map[string]any{"totalCount": repo.Watchers}, "forkCount": repo.Forks,
		"createdAt": fake.Time(repo.Created), "isArchived": repo.Archived, "type": "Repository",
	})
	for _, th := range []fake.ThreadInfo{
		fake.ThreadAt(repo, 1, true, 1, small.PullsPerRepo, small.BigFirst),   // 105 comments, 53 reviews: more pages
		fake.ThreadAt(repo, 1, false, 1, small.IssuesPerRepo, small.BigFirst), // 105 comments
		fake.ThreadAt(repo, 2, true, 1, small.PullsPerRepo, small.BigFirst),   // merged, a reviewer
		fake.ThreadAt(ts.Repo(0), 4, false, 1, small.IssuesPerRepo, small.BigFirst),
	} {
		got, ok := c.Docs[th.ID]
		if !ok {
			t.Fatalf("no document %s", th.ID)
		}
		if got.Timestamp != fake.Time(th.Updated) {
			t.Errorf("%s: timestamp %s", th.ID, got.Timestamp)
		}
		sameJSON(t, th.ID, got.Fields, expectedThread(web, th, true))
	}
	f := fake.FileAt(repo, 3, 1, small.FilesPerRepo)
	fd, ok := c.Docs["demo_org/repo-1/"+f.Path]
	if !ok {
		t.Fatalf("no document for %s", f.Path)
	}
	sameJSON(t, "file", fd.Fields, map[string]any{"name": "Über die Suche.md", "size": len(f.Content), "type": "blob", "path": f.Path, "mode": "100644", "extension": ".md"})
	if fd.Timestamp != fake.Time(f.Updated) || fd.Content == nil || fd.Content.Size != int64(len(f.Content)) {
		t.Fatalf("file %+v", fd)
	}
	b := sourcetest.Content(t, fd)
	if b != f.Content {
		t.Errorf("content %q", b)
	}
	// .MD counts (case-insensitive), .go and .txt do not; the empty repository has no files.
	if _, ok := c.Docs["demo_org/repo-1/"+fake.FileAt(repo, 4, 1, 8).Path]; !ok {
		t.Error("a .MD file is missing")
	}
	if _, ok := c.Docs["demo_org/repo-1/"+fake.FileAt(repo, 2, 1, 8).Path]; ok {
		t.Error("a .go file was indexed")
	}
}

// TestDocumentLevelSecurity: private and internal repositories and what is in them carry their
// collaborators who are organization members (never the outside collaborator); the public one
// carries nothing; identity documents are the members, hidden emails as "email:".
func TestDocumentLevelSecurity(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	values := serverConfig(ts.URL)
	values["use_document_level_security"] = true
	s := newSource(t, values, connector.Features{DocumentLevelSecurity: true})
	c, err := run(t, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < small.Repos; r++ {
		repo := ts.Repo(r)
		var want []string
		if repo.Visibility != "PUBLIC" {
			want = []string{}
			for u := 0; u < small.Members; u++ {
				if !fake.Collaborates(u, r) {
					continue
				}
				info := fake.UserAt(u)
				want = append(want, "user_id:"+info.ID, "username:"+info.Login)
				if info.Email != "" {
					want = append(want, "email:"+info.Email)
				}
			}
			sort.Strings(want)
		}
		th := fake.ThreadAt(repo, 3, false, 1, small.IssuesPerRepo, 0)
		for _, id := range []string{repo.ID, th.ID} {
			if got := c.Docs[id].AllowAccessControl; jsonOf(t, got) != jsonOf(t, want) {
				t.Errorf("repo %d, %s: acl %v, want %v", r, id, got, want)
			}
		}
	}
	var ids []connector.Document
	if err := s.AccessControl(context.Background(), func(d connector.Document) error { ids = append(ids, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != small.Members {
		t.Fatalf("%d identity documents", len(ids))
	}
	u := fake.UserAt(3) // hidden email
	d := ids[3]
	sameJSON(t, "identity", map[string]any{"id": d.ID, "identity": d.Fields["identity"], "created_at": d.Fields["created_at"],
		"access": get(d.Fields, "query", "template", "params", "access_control")},
		map[string]any{"id": u.ID, "identity": map[string]any{"user_id": "user_id:" + u.ID, "user_name": "username:" + u.Login, "email": "email:"},
			"created_at": fake.Time(u.Updated), "access": []any{"user_id:" + u.ID, "username:" + u.Login, "email:"}})
}

// TestGitHubApp syncs with a GitHub App whose installation tokens expire every few requests:
// tokens are renewed on 401 and every document arrives; the suspended and other-kind
// installations are skipped.
func TestGitHubApp(t *testing.T) {
	cfg := small
	cfg.InstallationTokenUses = 7
	ts := fake.NewTestServer(t, cfg)
	s := newSource(t, map[string]any{"data_source": Server, "host": ts.URL, "auth_method": AuthApp, "app_id": 4242,
		"private_key": ts.AppPrivateKeyPEM(), "repo_type": Organization, "repositories": "*"}, connector.Features{})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := run(t, s, nil)
	if err != nil || len(c.Incomplete) > 0 {
		t.Fatalf("%v %v", err, c.Incomplete)
	}
	if len(c.Docs) != expectedCount(cfg, 1, -1) {
		t.Errorf("%d documents, want %d", len(c.Docs), expectedCount(cfg, 1, -1))
	}
	if ts.InstallationTokensMade() < 3 {
		t.Errorf("%d installation tokens: expected renewals", ts.InstallationTokensMade())
	}
	// Configured repositories must be OWNER/REPO with the app installed on OWNER.
	s2 := newSource(t, map[string]any{"data_source": Server, "host": ts.URL, "auth_method": AuthApp, "app_id": 4242,
		"private_key": ts.AppPrivateKeyPEM(), "repo_type": Organization, "repositories": "repo-1,demo_org/repo-2,elsewhere/x"}, connector.Features{})
	err = s2.ValidateConfig(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Inaccessible repositories 'repo-1, elsewhere/x'.") {
		t.Errorf("validation: %v", err)
	}
	if _, err := New(mustConfig(t, map[string]any{"auth_method": AuthApp, "app_id": 1, "private_key": "not a key", "host": "https://x"}), connector.Env{}); err == nil ||
		!strings.Contains(err.Error(), `"private_key"`) || strings.Contains(err.Error(), "not a key") {
		t.Errorf("bad key: %v", err)
	}
}

func mustConfig(t *testing.T, values map[string]any) *connector.Config {
	t.Helper()
	stored := Factory.DefaultConfiguration()
	for k, v := range values {
		stored[k].(map[string]any)["value"] = v
	}
	cfg, err := Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestThrottling: GitHub's primary rate limit on REST and GraphQL (403, X-RateLimit-Remaining:
// 0), GraphQL's RATE_LIMITED answers and transient 503s slow the sync down; every document
// still arrives and nothing is reported missing.
func TestThrottling(t *testing.T) {
	cfg := fake.Config{Repos: 2, IssuesPerRepo: 3, PullsPerRepo: 3, FilesPerRepo: 6, GraphQLRateLimitEvery: 3}
	ts := fake.NewTestServer(t, cfg)
	ts.Faults.Set(saasfake.FaultConfig{ThrottleEvery: 6, ThrottleStatus: 403, EpochReset: true, RetryAfter: 0, ServerErrorEvery: 7})
	s := newSource(t, serverConfig(ts.URL), connector.Features{})
	c, err := run(t, s, nil)
	if err != nil || len(c.Incomplete) > 0 {
		t.Fatalf("%v %v", err, c.Incomplete)
	}
	if len(c.Docs) != expectedCount(cfg, 1, -1) {
		t.Errorf("%d documents, want %d", len(c.Docs), expectedCount(cfg, 1, -1))
	}
	if ts.Faults.Throttled() == 0 || ts.GraphQLRateLimited() == 0 || ts.Faults.Failed() == 0 {
		t.Errorf("throttled %d, rate limited %d, failed %d: the storm did not happen", ts.Faults.Throttled(), ts.GraphQLRateLimited(), ts.Faults.Failed())
	}
}

// TestPartsThatKeepFailing: a repository whose tree keeps failing is reported and the rest is
// synced.
func TestPartsThatKeepFailing(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/repos/demo_org/repo-0/git/trees"}})
	s := newSource(t, serverConfig(ts.URL), connector.Features{})
	c, err := run(t, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Incomplete) != 1 || !strings.Contains(c.Incomplete[0], "GitHub files of demo_org/repo-0 (branch main)") {
		t.Errorf("incomplete %v", c.Incomplete)
	}
	if len(c.Docs) != expectedCount(small, 1, 0) {
		t.Errorf("%d documents, want %d", len(c.Docs), expectedCount(small, 1, 0))
	}
}

func TestAdvancedRulesValidation(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	s := newSource(t, serverConfig(ts.URL), connector.Features{AdvancedRules: true})
	for _, tc := range []struct {
		rules string
		want  string
	}{
		{`{"repository": "x"}`, "data must be array"},
		{`["x"]`, "data[0] must be object"},
		{`[{"repository": "demo_org/repo-1"}]`, "data[0] must contain ['repository', 'filter'] properties"},
		{`[{"repository": "", "filter": {"pr": "x"}}]`, "data[0].repository must be longer than or equal to 1 characters"},
		{`[{"repository": "a/b", "filter": {}}]`, "data[0].filter must contain at least 1 properties"},
		{`[{"repository": "a/b", "filter": {"pr": 3}}]`, "data[0].filter.pr must be string"},
		{`[{"repository": "a/b", "filter": {"commit": "x"}}]`, "data[0].filter must not contain {'commit'} properties"},
		{`[{"repository": "a/b", "filter": {"pr": "x"}, "extra": 1}]`, "data[0] must not contain {'extra'} properties"},
		{`[{"repository": "demo_org/repo-1", "filter": {"pr": "is:open"}}, {"repository": "demo_org/nope", "filter": {"branch": "main"}}]`, "Inaccessible repositories 'demo_org/nope'."},
		{`[{"repository": "demo_org/repo-1", "filter": {"pr": "is:open", "path": "docs"}}]`, ""},
		{`[]`, ""},
	} {
		var rules any
		if err := json.Unmarshal([]byte(tc.rules), &rules); err != nil {
			t.Fatal(err)
		}
		got, err := s.ValidateAdvancedRules(context.Background(), rules)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "; ") != tc.want {
			t.Errorf("%s: %v, want %q", tc.rules, got, tc.want)
		}
	}
}

// TestAdvancedRules runs a rule of each kind: searches of open pull requests and closed issues
// (the repository is added to the query), another branch's tree, a folder's files.
func TestAdvancedRules(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	s := newSource(t, serverConfig(ts.URL), connector.Features{AdvancedRules: true})
	var rules any
	_ = json.Unmarshal([]byte(`[{"repository": "demo_org/repo-1", "filter": {"pr": "is:open", "issue": "is:closed", "path": "docs"}},
		{"repository": "demo_org/repo-0", "filter": {"branch": "release", "issue": "is:pr is:open"}}]`), &rules)
	c, err := run(t, s, rules)
	if err != nil || len(c.Incomplete) > 0 {
		t.Fatalf("%v %v", err, c.Incomplete)
	}
	want := map[string]bool{ts.Repo(0).ID: true, ts.Repo(1).ID: true}
	repo1 := ts.Repo(1)
	for n := 1; n <= small.PullsPerRepo; n++ {
		if th := fake.ThreadAt(repo1, n, true, 1, small.PullsPerRepo, small.BigFirst); th.State == "OPEN" {
			want[th.ID] = true
		}
	}
	for n := 1; n <= small.IssuesPerRepo; n++ {
		if th := fake.ThreadAt(repo1, n, false, 1, small.IssuesPerRepo, small.BigFirst); th.State != "OPEN" {
			want[th.ID] = true
		}
	}
	for n := 1; n <= small.FilesPerRepo; n++ {
		f := fake.FileAt(repo1, n, 1, small.FilesPerRepo)
		if f.Indexed() && strings.HasPrefix(f.Path, "docs/") && !strings.Contains(f.Path[5:], "/") {
			want["demo_org/repo-1/"+f.Path] = true
		}
		if f0 := fake.FileAt(ts.Repo(0), n, 1, small.FilesPerRepo); f0.Indexed() {
			want["demo_org/repo-0/"+f0.Path] = true
		}
	}
	var got, missing []string
	for id := range c.Docs {
		if !want[id] {
			got = append(got, id)
		}
	}
	for id := range want {
		if _, ok := c.Docs[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(got) > 0 || len(missing) > 0 {
		t.Errorf("unexpected %v, missing %v", got, missing)
	}
	// A search result has no author; a path file has no mode and type "file".
	th := fake.ThreadAt(repo1, 3, true, 1, small.PullsPerRepo, small.BigFirst)
	sameJSON(t, "searched pull request", c.Docs[th.ID].Fields, expectedThread(ts.URL, th, false))
	f := fake.FileAt(repo1, 3, 1, small.FilesPerRepo)
	sameJSON(t, "path file", c.Docs["demo_org/repo-1/"+f.Path].Fields,
		map[string]any{"name": "Über die Suche.md", "size": len(f.Content), "type": "file", "path": f.Path, "extension": ".md"})
}

func TestValidateConfig(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	for _, tc := range []struct {
		values map[string]any
		want   string
	}{
		{map[string]any{}, ""},
		{map[string]any{"token": fake.BadScopeTok}, `configuration field "token": Configured token does not have required rights`},
		{map[string]any{"token": "ghp_wrong"}, `configuration field "token": Your Github token is either expired or revoked`},
		{map[string]any{"repositories": "repo-1,demo_org/repo-2,repo-77,other/x"}, `configuration field "repositories": Inaccessible repositories 'demo_org/repo-77, other/x'.`},
	} {
		values := serverConfig(ts.URL)
		for k, v := range tc.values {
			values[k] = v
		}
		err := newSource(t, values, connector.Features{}).ValidateConfig(context.Background())
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: %v, want %q", tc.values, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "ghp_") {
			t.Errorf("the token leaks into %v", err)
		}
	}
}

// TestCloudLayout points the GitHub.com base at the fake: REST without /api/v3, GraphQL at
// /graphql; configured repositories of the token's user.
func TestCloudLayout(t *testing.T) {
	cfg := fake.Config{Owner: "demo_user", OwnerIsUser: true, Repos: 2, IssuesPerRepo: 2, PullsPerRepo: 2, FilesPerRepo: 4}
	ts := fake.NewTestServer(t, cfg)
	old := cloudAPI
	cloudAPI = ts.URL
	t.Cleanup(func() { cloudAPI = old })
	s := newSource(t, map[string]any{"data_source": Cloud, "auth_method": AuthToken, "token": fake.Token, "repo_type": Other, "repositories": "repo-1, demo_user/repo-1, repo-0"}, connector.Features{})
	if err := s.ValidateConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := run(t, s, nil)
	if err != nil || len(c.Incomplete) > 0 {
		t.Fatalf("%v %v", err, c.Incomplete)
	}
	if _, ok := c.Docs[ts.Repo(1).ID]; !ok || len(c.Docs) < 6 {
		t.Errorf("%d documents", len(c.Docs))
	}
}

func TestFieldsDoc(t *testing.T) { fielddoc.Check(t, Factory, "../../docs/sources/github.md") }
