package gitlab

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/saasfake"
	fake "github.com/connectors-go/connectors/internal/saasfake/gitlab"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

var small = fake.Config{Projects: 5, IssuesPerProj: 6, MRsPerProj: 4, Releases: 3, Epics: 3, RootFiles: 130, BigFirst: 105}

func pointAt(t *testing.T, url string) {
	t.Helper()
	t.Setenv("RUNNING_FTEST", "1")
	t.Setenv("GITLAB_FTEST_HOST", url)
}

// expectedCount follows the original's rules over the fake's data: per project itself, its
// issues, merge requests and releases, its README files (README.md, Readme.rst, README: .html
// and non-README names are skipped; none without a default branch) and, once per group, the
// group's epics.
func expectedCount(cfg fake.Config, version int, only map[string]bool) int {
	n := 0
	groups := map[string]bool{}
	for p := 0; p < cfg.Projects; p++ {
		info := fake.ProjectAt(p, cfg.Projects, version)
		if only != nil && !only[info.FullPath()] {
			continue
		}
		n += 1 + saasfake.Count(version, cfg.IssuesPerProj) + saasfake.Count(version, cfg.MRsPerProj) + cfg.Releases
		if info.RootRef != "" {
			n += 3
		}
		if info.Group != "" && !groups[info.Group] {
			groups[info.Group] = true
			n += cfg.Epics
		}
	}
	return n
}

func TestAcceptance(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	pointAt(t, ts.URL)
	connectortest.Run(t, Factory, map[string]any{"token": fake.Token, "projects": "*"}, connectortest.ExpectDocs(expectedCount(small, 1, nil)),
		connectortest.Unreadable(func(t *testing.T) func() {
			ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/projects/1002/repository/tree"}})
			return func() { ts.Faults.Set(saasfake.FaultConfig{}) }
		}, expectedCount(small, 1, nil)-3))
}

func newSource(t *testing.T, values map[string]any) *Source {
	t.Helper()
	s := sourcetest.Open(t, Factory, values, connector.Env{}).(*Source)
	s.client.BaseDelay = time.Millisecond
	return s
}

func run(t *testing.T, s *Source) (*sourcetest.Collected, error) {
	t.Helper()
	return sourcetest.Run(s, nil)
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := connector.MarshalJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := connector.MarshalJSON(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func username(u int) (any, any) {
	if u < 0 {
		return nil, nil
	}
	return fake.UserAt(u).Username, fake.UserAt(u).Name
}

func names(us []int) []any {
	out := []any{}
	for _, u := range us {
		out = append(out, fake.UserAt(u).Username)
	}
	return out
}

func strs(l []string) []any {
	out := []any{}
	for _, s := range l {
		out = append(out, s)
	}
	return out
}

// expectedNotes flattens the fake's discussions as the original does.
func expectedNotes(owner string, counts []int, created time.Time, diff bool) []any {
	out := []any{}
	for k, c := range counts {
		for j := 0; j < c; j++ {
			n := fake.NoteAt(owner, k, j, created, diff)
			au, an := username(n.Author)
			note := map[string]any{"id": n.ID, "body": n.Body, "created_at": fake.Time(n.Created), "updated_at": fake.Time(n.Updated), "system": n.System, "author": au, "author_name": an}
			if n.Position {
				note["position"] = map[string]any{"new_line": 10 + k, "old_line": nil, "new_path": "src/main.go", "old_path": "src/main.go", "position_type": "text"}
			}
			out = append(out, note)
		}
	}
	return out
}

// TestDocuments checks each kind of document field by field against the fake's data and the
// original's rules: a project, an issue whose discussions and assignees need more pages, a
// merge request (more reviewers and discussions, diff notes with positions), a release, an
// epic with its hierarchy and linked item, a README with its content.
func TestDocuments(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	pointAt(t, ts.URL)
	s := newSource(t, map[string]any{"token": fake.Token, "projects": "*"})
	c, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := expectedCount(small, 1, nil); len(c.Docs) != want || len(c.Incomplete) > 0 {
		t.Fatalf("%d documents (want %d), incomplete %v", len(c.Docs), want, c.Incomplete)
	}
	web := ts.URL
	p := ts.Project(1)
	pd := c.Docs["project_1001"]
	if pd.Timestamp != fake.Time(*p.LastActivity) {
		t.Errorf("project timestamp %s", pd.Timestamp)
	}
	sameJSON(t, "project", pd.Fields, map[string]any{"type": "Project", "name": p.Name, "path": p.Path, "full_path": p.FullPath(),
		"description": nullable(p.Description), "visibility": p.Visibility, "star_count": p.Stars, "forks_count": p.Forks,
		"created_at": fake.Time(p.Created), "last_activity_at": fake.Time(*p.LastActivity), "archived": p.Archived, "default_branch": "main",
		"web_url": web + "/" + p.FullPath()})

	is := fake.IssueAt(p, 1, 1, small.IssuesPerProj, small.BigFirst)
	au, an := username(is.Author)
	var closed any
	if is.Closed != nil {
		closed = fake.Time(*is.Closed)
	}
	sameJSON(t, "issue", c.Docs["issue_1001_1"].Fields, map[string]any{"type": "Issue", "iid": 1, "title": is.Title, "description": nullable(is.Desc),
		"state": is.State, "created_at": fake.Time(is.Created), "updated_at": fake.Time(is.Updated), "closed_at": closed,
		"web_url": web + "/" + p.FullPath() + "/-/issues/1", "author": au, "author_name": an, "assignees": names(is.Assignees),
		"labels": strs(is.Labels), "notes": expectedNotes(is.ID, is.Discussions, is.Created, false), "project_id": "1001", "project_path": p.FullPath()})

	mr := fake.MRAt(p, 1, 1, small.MRsPerProj, small.BigFirst)
	au, an = username(mr.Author)
	mu, _ := username(mr.MergeUser)
	sameJSON(t, "merge request", c.Docs["mr_1001_1"].Fields, map[string]any{"type": "Merge Request", "project_id": "1001", "project_path": p.FullPath(),
		"iid": 1, "title": mr.Title, "description": nullable(mr.Desc), "state": mr.State, "created_at": fake.Time(mr.Created), "updated_at": fake.Time(mr.Updated),
		"merged_at": fake.Time(*mr.Merged), "closed_at": nil, "web_url": web + "/" + p.FullPath() + "/-/merge_requests/1", "source_branch": mr.Source,
		"target_branch": "main", "author": au, "author_name": an, "assignees": names(mr.Assignees), "reviewers": names(mr.Reviewers),
		"approved_by": names(mr.Approvers), "merged_by": mu, "labels": strs(mr.Labels), "notes": expectedNotes(mr.ID, mr.Discussions, mr.Created, true)})

	r := fake.ReleaseAt(p, 1)
	au, an = username(r.Author)
	rel := c.Docs["release_1001_v1.1.0"]
	sameJSON(t, "release", rel.Fields, map[string]any{"type": "Release", "project_id": "1001", "project_path": p.FullPath(), "tag_name": "v1.1.0",
		"name": r.Name, "description": r.Desc, "created_at": fake.Time(r.Created), "released_at": fake.Time(*r.Released), "author": au, "author_name": an,
		"milestones": strs(r.Milestones), "asset_count": len(r.Links) + 4, "commit_sha": r.CommitSHA, "commit_title": "Release v1.1.0",
		"asset_links": []any{map[string]any{"name": "binary", "url": r.Links[0].URL, "type": "PACKAGE"}}})
	if rel.Timestamp != fake.Time(*r.Released) {
		t.Errorf("release timestamp %s", rel.Timestamp)
	}
	if r3 := c.Docs["release_1001_v1.3.0"]; r3.Timestamp != fake.Time(fake.ReleaseAt(p, 3).Created) {
		t.Errorf("an unreleased release is stamped with its creation: %s", r3.Timestamp)
	}

	g := "demo-group/sub"
	e := fake.EpicAt(g, 2)
	parent, next := fake.EpicAt(g, 1), fake.EpicAt(g, 3)
	au, an = username(e.Author)
	sameJSON(t, "epic", c.Docs["epic_demo-group_sub_2"].Fields, map[string]any{"type": "Epic", "iid": 2, "title": e.Title, "description": e.Desc,
		"state": "OPEN", "created_at": fake.Time(e.Created), "updated_at": fake.Time(e.Updated), "closed_at": nil,
		"web_url": web + "/groups/" + g + "/-/epics/2", "author": au, "author_name": an, "assignees": []any{}, "labels": strs(e.Labels),
		"notes": expectedNotes(e.ID, e.Discussions, e.Created, false), "group_id": "demo-group_sub", "group_path": g,
		"parent_epic_iid": 1, "parent_epic_title": parent.Title, "children_count": 0, "children": []any{}, "linked_items_count": 1,
		"linked_items": []any{map[string]any{"link_id": "gid://gitlab/WorkItems::RelatedWorkItemLink/2", "link_type": "relates_to",
			"link_created_at": fake.Time(e.Created), "link_updated_at": fake.Time(e.Updated), "work_item_id": next.ID, "work_item_iid": 3, "work_item_title": next.Title}}})

	readme := c.Docs["file_1001_Readme.rst"]
	sameJSON(t, "readme", readme.Fields, map[string]any{"type": "File", "project_id": "1001", "project_path": p.FullPath(), "file_path": "Readme.rst",
		"file_name": "Readme.rst", "extension": ".rst", "web_url": web + "/" + p.FullPath() + "/-/blob/main/Readme.rst"})
	b := sourcetest.Content(t, readme)
	if want := fake.RootEntries(p, 1, 0)[1].Content; b != want {
		t.Errorf("README content %q", b)
	}
	if d := c.Docs["file_1001_README"]; d.Content != nil || d.Fields["extension"] != "" {
		t.Errorf("a README without extension has no content to extract: %+v", d)
	}
}

// TestConfiguredProjects syncs two projects by path; validation names the inaccessible ones.
func TestConfiguredProjects(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	pointAt(t, ts.URL)
	only := map[string]bool{ts.Project(0).FullPath(): true, ts.Project(3).FullPath(): true}
	s := newSource(t, map[string]any{"token": fake.Token, "projects": ts.Project(0).FullPath() + "," + ts.Project(3).FullPath()})
	if err := s.ValidateConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := run(t, s)
	if err != nil || len(c.Docs) != expectedCount(small, 1, only) {
		t.Fatalf("%v: %d documents, want %d", err, len(c.Docs), expectedCount(small, 1, only))
	}
	bad := newSource(t, map[string]any{"token": fake.Token, "projects": "nope/x," + ts.Project(0).FullPath() + ",a/b"})
	err = bad.ValidateConfig(context.Background())
	if err == nil || !strings.Contains(err.Error(), "The following projects are not accessible: a/b, nope/x. Please check the project paths") {
		t.Errorf("validation: %v", err)
	}
	err = newSource(t, map[string]any{"token": "glpat-wrong", "projects": "*"}).ValidateConfig(context.Background())
	if err == nil || !strings.Contains(err.Error(), `configuration field "token": Failed to authenticate with GitLab`) || strings.Contains(err.Error(), "glpat-") {
		t.Errorf("bad token: %v", err)
	}
}

// TestThrottling: 429s with Retry-After and 503s slow the sync down; every document arrives.
func TestThrottling(t *testing.T) {
	cfg := fake.Config{Projects: 3, IssuesPerProj: 3, MRsPerProj: 2, Releases: 1, Epics: 1}
	ts := fake.NewTestServer(t, cfg)
	pointAt(t, ts.URL)
	ts.Faults.Set(saasfake.FaultConfig{ThrottleEvery: 5, RetryAfter: 0, ServerErrorEvery: 7})
	s := newSource(t, map[string]any{"token": fake.Token, "projects": "*"})
	c, err := run(t, s)
	if err != nil || len(c.Incomplete) > 0 {
		t.Fatalf("%v %v", err, c.Incomplete)
	}
	if len(c.Docs) != expectedCount(cfg, 1, nil) || ts.Faults.Throttled() == 0 || ts.Faults.Failed() == 0 {
		t.Errorf("%d documents (want %d), throttled %d, failed %d", len(c.Docs), expectedCount(cfg, 1, nil), ts.Faults.Throttled(), ts.Faults.Failed())
	}
}

// TestEpicsForbidden: a group without epics (GitLab Free) answers the epic query with an error,
// which is logged as the original does; nothing is reported missing.
func TestEpicsForbidden(t *testing.T) {
	cfg := fake.Config{Projects: 2, IssuesPerProj: 2, MRsPerProj: 1, Releases: 1, Epics: 2, EpicsForbidden: true}
	ts := fake.NewTestServer(t, cfg)
	pointAt(t, ts.URL)
	c, err := run(t, newSource(t, map[string]any{"token": fake.Token, "projects": "*"}))
	if err != nil || len(c.Incomplete) > 0 {
		t.Fatalf("%v %v", err, c.Incomplete)
	}
	if want := expectedCount(cfg, 1, nil) - 2*cfg.Epics; len(c.Docs) != want {
		t.Errorf("%d documents, want %d", len(c.Docs), want)
	}
}

// TestPartsThatKeepFailing: a project's README folder that keeps failing is reported; the rest
// arrives.
func TestPartsThatKeepFailing(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	pointAt(t, ts.URL)
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/projects/1000/repository/tree"}})
	c, err := run(t, newSource(t, map[string]any{"token": fake.Token, "projects": "*"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Incomplete) != 1 || !strings.Contains(c.Incomplete[0], "GitLab README files of demo-group/project-0") {
		t.Errorf("incomplete %v", c.Incomplete)
	}
	if want := expectedCount(small, 1, nil) - 3; len(c.Docs) != want {
		t.Errorf("%d documents, want %d", len(c.Docs), want)
	}
}

// TestExpiredTokenStopsTheSync: a token that expires in the middle of a sync ends it with an
// error naming the token setting, at the first 401, instead of one incomplete report per part
// (the same behaviour the jira and confluence sources are held to).
func TestExpiredTokenStopsTheSync(t *testing.T) {
	for _, uses := range []int{1, 4, 9} {
		ts := fake.NewTestServer(t, small)
		pointAt(t, ts.URL)
		ts.Auth.AddBearer("glpat-shortLivedToken000000000", uses)
		c, err := run(t, newSource(t, map[string]any{"token": "glpat-shortLivedToken000000000", "projects": "*"}))
		sourcetest.CheckError(t, fmt.Sprintf("token good for %d requests", uses), err,
			`configuration field "token": Authentication failed: GitLab refused the token`, "glpat-shortLived")
		if len(c.Incomplete) > 0 {
			t.Errorf("token good for %d requests: %d incomplete parts instead of the end of the sync: %v", uses, len(c.Incomplete), c.Incomplete)
		}
		if wasted := ts.Faults.Requests() - int64(uses); wasted != 1 {
			t.Errorf("token good for %d requests: %d requests after it expired, want 1", uses, wasted)
		}
	}
}

func TestBaseURLOverride(t *testing.T) {
	t.Setenv("GITLAB_FTEST_HOST", "http://127.0.0.1:1")
	if got := baseURL(); got != "https://gitlab.com" {
		t.Errorf("without RUNNING_FTEST: %s", got)
	}
	t.Setenv("RUNNING_FTEST", "")
	if got := baseURL(); got != "http://127.0.0.1:1" {
		t.Errorf("with RUNNING_FTEST: %s", got)
	}
}

func TestFieldsDoc(t *testing.T) { fielddoc.Check(t, Factory, "../../docs/sources/gitlab.md") }
