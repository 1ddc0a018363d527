package jira

import (
	"context"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/saasfake"
	fake "github.com/connectors-go/connectors/internal/saasfake/atlassian"
	atl "github.com/connectors-go/connectors/sources/internal/atlassian"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

var small = fake.Config{Projects: 3, IssuesPerProject: 12, AttachmentsPerIssue: 1, Users: 14, MaxResults: 5}

func cloudConfig(url string) map[string]any {
	return map[string]any{"data_source": Cloud, "jira_url": url, "account_email": fake.User, "api_token": fake.Password, "projects": "*"}
}

// docsOf: 3 projects + 3×12 issues + 3×12 attachments.
const smallDocs = 3 + 36 + 36

func TestAcceptance(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	connectortest.Run(t, Factory, cloudConfig(ts.URL), connectortest.ExpectDocs(smallDocs),
		connectortest.InvalidConfig(map[string]any{"jira_url": "ftp://x"}, "jira_url"))
}

func TestAcceptanceDataCenterToken(t *testing.T) {
	ts := fake.NewTestServer(t, fake.Config{Flavor: fake.DataCenter, Projects: 2, IssuesPerProject: 7, AttachmentsPerIssue: 1, MaxResults: 3})
	connectortest.Run(t, Factory, map[string]any{
		"data_source": DataCenter, "data_center_auth_method": "personal_access_token",
		"data_center_personal_access_token": fake.Token, "jira_url": ts.URL + "/", "projects": "PRJ1,PRJ2",
	}, connectortest.ExpectDocs(2+14+14))
}

func run(t *testing.T, values map[string]any, features connector.Features, rules any) (*sourcetest.Collected, *Source, error) {
	t.Helper()
	s := sourcetest.Open(t, Factory, values, connector.Env{Features: features}).(*Source)
	s.client.BaseDelay = time.Millisecond
	c, err := sourcetest.Run(s, rules)
	return c, s, err
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := connector.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocuments checks documents field by field against the fake's data set, computed from the
// original's rules: ids, timestamps, the raw issue fields without custom fields, custom fields by
// display name (a float stays a float), attachments and their content.
func TestDocuments(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	c, _, err := run(t, cloudConfig(ts.URL), connector.Features{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != smallDocs || len(c.Incomplete) > 0 {
		t.Fatalf("%d documents (want %d), incomplete %v", len(c.Docs), smallDocs, c.Incomplete)
	}
	is := fake.IssueAt(1, 7, 1, small.IssuesPerProject)
	d, ok := c.Docs["Project 2-PRJ2-7"]
	if !ok {
		t.Fatal("no document Project 2-PRJ2-7")
	}
	if d.Timestamp != fake.JiraTime(is.Updated) || d.AllowAccessControl != nil {
		t.Errorf("timestamp %q, acl %v", d.Timestamp, d.AllowAccessControl)
	}
	issue := d.Fields["Issue"].(map[string]any)
	for _, k := range []string{"customfield_10010", "customfield_10011", "customfield_10012"} {
		if _, has := issue[k]; has {
			t.Errorf("Issue keeps custom field %s", k)
		}
	}
	if issue["summary"] != is.Summary || issue["description"] != is.Desc || d.Fields["Key"] != "PRJ2-7" || d.Fields["Type"] != is.Type {
		t.Errorf("issue fields: %v", jsonOf(t, d.Fields)[:300])
	}
	if got, want := jsonOf(t, d.Fields["Custom_Fields"]), `{"Sprint goal":null,"Story Points":`+is.StoryPoints+`,"Team":"`+is.Team+`"}`; got != want {
		t.Errorf("Custom_Fields %s, want %s", got, want)
	}
	att := fake.IssueAttachment(is, 0)
	a := c.Docs["PRJ2-7-"+att.ID]
	if got, want := jsonOf(t, a.Fields), `{"Type":"Attachment","issue":"PRJ2-7","size":`+strconv.Itoa(len(att.Content))+`,"title":"`+att.Filename+`"}`; got != want {
		t.Errorf("attachment fields %s, want %s", got, want)
	}
	if a.Timestamp != fake.JiraTime(att.Created) || a.Content == nil || a.Content.Size != int64(len(att.Content)) {
		t.Fatalf("attachment %+v", a)
	}
	body := sourcetest.Content(t, a)
	if body != att.Content {
		t.Errorf("content %q", body)
	}
	p := c.Docs["project-10001"]
	if p.Fields["Key"] != "PRJ2" || p.Fields["Type"] != "Project" || atl.Str(p.Fields["Project"], "name") != "Project 2" {
		t.Errorf("project %v", p.Fields)
	}
	// The project's timestamp is now, in the user's zone (Europe/Oslo: +01:00 or +02:00).
	if !strings.HasSuffix(p.Timestamp, "+01:00") && !strings.HasSuffix(p.Timestamp, "+02:00") {
		t.Errorf("project timestamp %q is not in the Jira user's time zone", p.Timestamp)
	}
}

// TestDocumentLevelSecurity checks the access lists the original computes, per case.
func TestDocumentLevelSecurity(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	cfg := cloudConfig(ts.URL)
	cfg["use_document_level_security"] = true
	c, _, err := run(t, cfg, connector.Features{DocumentLevelSecurity: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	user := func(u int) []string {
		info := fake.UserAt(u)
		return []string{"account_id:" + info.AccountID, "name:" + strings.ReplaceAll(info.DisplayName, " ", "-")}
	}
	// Project 2 (p=1): its browsers, Atlassian accounts only.
	var project []string
	for u := 0; u < small.Users; u++ {
		if fake.Browses(u, 1, 0) && fake.UserAt(u).AccountType == "atlassian" {
			project = append(project, user(u)...)
		}
	}
	sort.Strings(project)
	check := func(id string, want []string) {
		t.Helper()
		got := c.Docs[id].AllowAccessControl
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: _allow_access_control\n got %v\nwant %v", id, got, want)
		}
	}
	check("project-10001", project)
	check("Project 2-PRJ2-1", project) // no security level, no restriction
	// PRJ2-7 is restricted to role 10002: its users and its group.
	us, g := fake.RoleMembers(small.Users)
	var role []string
	for _, u := range us {
		role = append(role, user(u)...)
	}
	role = append(role, "group_id:"+fake.GroupAt(g).ID)
	sort.Strings(role)
	check("Project 2-PRJ2-7", role)
	// PRJ2-5 has security level 10100: its active Atlassian users, its group, and role 10002 (not 10003).
	sl, sg := fake.SecurityLevelUsers(small.Users)
	set := map[string]bool{"group_id:" + fake.GroupAt(sg).ID: true}
	for _, u := range sl {
		if info := fake.UserAt(u); info.Active && info.AccountType == "atlassian" {
			for _, id := range user(u) {
				set[id] = true
			}
		}
	}
	for _, id := range role {
		set[id] = true
	}
	var level []string
	for id := range set {
		level = append(level, id)
	}
	sort.Strings(level)
	check("Project 2-PRJ2-5", level)
	// Attachments inherit their issue's list.
	is := fake.IssueAt(1, 5, 1, small.IssuesPerProject)
	check("PRJ2-5-"+fake.IssueAttachment(is, 0).ID, level)
}

// TestAccessControlDocuments checks the identity documents: active Atlassian accounts only,
// with groups and application roles.
func TestAccessControlDocuments(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	cfg := cloudConfig(ts.URL)
	cfg["use_document_level_security"] = true
	stored := Factory.DefaultConfiguration()
	for k, v := range cfg {
		stored[k].(map[string]any)["value"] = v
	}
	conf, _ := Factory.NewConfig(stored)
	src, _ := New(conf, connector.Env{Features: connector.Features{DocumentLevelSecurity: true}})
	defer src.Close()
	var docs []connector.Document
	if err := src.(*Source).AccessControl(context.Background(), func(d connector.Document) error { docs = append(docs, d); return nil }); err != nil {
		t.Fatal(err)
	}
	want := 0
	for u := 0; u < small.Users; u++ {
		if info := fake.UserAt(u); info.Active && info.AccountType == "atlassian" {
			want++
		}
	}
	if len(docs) != want {
		t.Fatalf("%d identity documents, want %d", len(docs), want)
	}
	u := fake.UserAt(1)
	var d connector.Document
	for _, x := range docs {
		if x.ID == u.AccountID {
			d = x
		}
	}
	identity := jsonOf(t, d.Fields["identity"])
	wantIdentity := `{"account_id":"account_id:` + u.AccountID + `","display_name":"name:` + strings.ReplaceAll(u.DisplayName, " ", "-") +
		`","email_address":"email_address:` + u.Email + `","locale":"locale:en_US"}`
	if identity != wantIdentity {
		t.Errorf("identity %s\nwant %s", identity, wantIdentity)
	}
	params := jsonOf(t, d.Fields["query"].(map[string]any)["template"].(map[string]any)["params"])
	if want := `{"access_control":["account_id:` + u.AccountID + `","group_id:` + fake.GroupAt(u.Group).ID + `","role_key:jira-software"]}`; params != want {
		t.Errorf("params %s\nwant %s", params, want)
	}
	if d.Fields["query"].(map[string]any)["template"].(map[string]any)["source"] != connector.DLSQuery {
		t.Error("the query template is not the original's")
	}
}

// TestThrottlingAndFailures: a storm of 429s and 503s slows the sync down but every document
// arrives; a project whose listing keeps failing is reported, not silently skipped.
func TestThrottlingAndFailures(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	ts.Faults.Set(saasfake.FaultConfig{ThrottleEvery: 4, RetryAfter: 0, ServerErrorEvery: 7, RateLimit: 500})
	c, _, err := run(t, cloudConfig(ts.URL), connector.Features{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != smallDocs || len(c.Incomplete) != 0 {
		t.Fatalf("under throttling: %d documents (want %d), incomplete %v", len(c.Docs), smallDocs, c.Incomplete)
	}
	if ts.Faults.Throttled() == 0 || ts.Faults.Failed() == 0 {
		t.Fatal("no faults were injected")
	}

	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/rest/api/2/project/PRJ2", "/rest/api/2/issue/PRJ3-4"}})
	cfg := cloudConfig(ts.URL)
	cfg["projects"] = "PRJ1,PRJ2,PRJ3"
	c, _, err = run(t, cfg, connector.Features{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Incomplete) != 2 || !strings.Contains(c.Incomplete[0]+c.Incomplete[1], "Jira project PRJ2") ||
		!strings.Contains(c.Incomplete[0]+c.Incomplete[1], "Jira issue PRJ3-4") {
		t.Errorf("incomplete %v", c.Incomplete)
	}
	if _, ok := c.Docs["project-10001"]; ok || len(c.Docs) != smallDocs-1-2 {
		t.Errorf("%d documents", len(c.Docs))
	}

	// An issue the account may not read (403 without a refusal of the sign-in) is that issue's
	// incomplete report, not the end of the sync.
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/rest/api/2/issue/PRJ3-4"}, FailStatus: 403})
	c, _, err = run(t, cloudConfig(ts.URL), connector.Features{}, nil)
	if err != nil {
		t.Fatalf("a 403 on one issue ended the sync: %v", err)
	}
	if len(c.Incomplete) != 1 || !strings.Contains(c.Incomplete[0], "Jira issue PRJ3-4") || len(c.Docs) != smallDocs-2 {
		t.Errorf("%d documents, incomplete %v", len(c.Docs), c.Incomplete)
	}
}

func TestAdvancedRules(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	rules := []any{map[string]any{"query": "project = PRJ3"}}
	c, _, err := run(t, cloudConfig(ts.URL), connector.Features{}, rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != 24 {
		t.Errorf("%d documents for project = PRJ3, want 12 issues and 12 attachments", len(c.Docs))
	}
	for id := range c.Docs {
		if strings.HasPrefix(id, "project-") {
			t.Errorf("advanced rules index no projects, got %s", id)
		}
	}
	for _, tc := range []struct {
		rules any
		want  string
	}{
		{map[string]any{}, "data must be array"},
		{[]any{map[string]any{}}, "data[0] must contain ['query'] properties"},
		{[]any{map[string]any{"query": ""}}, "data[0].query must be longer than or equal to 1 characters"},
		{[]any{map[string]any{"query": 3}}, "data[0].query must be string"},
		{[]any{map[string]any{"query": "x", "other": 1}}, "data[0] must not contain {'other'} properties"},
	} {
		got, _ := (&Source{}).ValidateAdvancedRules(context.Background(), tc.rules)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%v: %v, want %q", tc.rules, got, tc.want)
		}
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	cfg := cloudConfig(ts.URL)
	cfg["api_token"] = "not-the-token-8d1f"
	stored := Factory.DefaultConfiguration()
	for k, v := range cfg {
		stored[k].(map[string]any)["value"] = v
	}
	conf, _ := Factory.NewConfig(stored)
	src, _ := New(conf, connector.Env{})
	defer src.Close()
	err := src.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"account_email" and "api_token"`) || strings.Contains(err.Error(), "not-the-token-8d1f") {
		t.Errorf("ping with a wrong token: %v", err)
	}
	cfg = cloudConfig(ts.URL)
	cfg["projects"] = "PRJ1,NOPE,ALSO"
	_, _, err = run(t, cfg, connector.Features{}, nil)
	if err == nil || !strings.Contains(err.Error(), "Configured unavailable projects: NOPE, ALSO") {
		t.Errorf("unknown projects: %v", err)
	}
}

// TestExpiredCredentialsStopTheSync: credentials that stop working in the middle of a sync (an
// API token revoked, a password changed, a personal access token expired) end the sync with an
// error naming the credential settings of the flavour, as soon as Jira refuses them: no issue is
// reported incomplete one by one, and at most the requests already under way when the first
// refusal arrived (the fetchers and a search page) are wasted.
func TestExpiredCredentialsStopTheSync(t *testing.T) {
	const uses = 8 // fields, myself, projects, a search page, then issues
	for _, tc := range []struct {
		name   string
		flavor fake.Flavor
		config func(url string) map[string]any
		expire func(a *saasfake.Auth)
		fields string
	}{
		{"cloud", fake.Cloud,
			func(url string) map[string]any {
				return map[string]any{"data_source": Cloud, "jira_url": url, "account_email": "short@example.com", "api_token": "short-lived-api-token", "projects": "*"}
			},
			func(a *saasfake.Auth) { a.AddBasicUses("short@example.com", "short-lived-api-token", uses) },
			`configuration fields "account_email" and "api_token"`},
		{"server", fake.Server,
			func(url string) map[string]any {
				return map[string]any{"data_source": Server, "jira_url": url, "username": "short", "password": "short-lived-password", "projects": "*"}
			},
			func(a *saasfake.Auth) { a.AddBasicUses("short", "short-lived-password", uses) },
			`configuration fields "username" and "password"`},
		{"data center token", fake.DataCenter,
			func(url string) map[string]any {
				return map[string]any{"data_source": DataCenter, "data_center_auth_method": "personal_access_token",
					"data_center_personal_access_token": "short-lived-pat", "jira_url": url, "projects": "PRJ1,PRJ2,PRJ3"}
			},
			func(a *saasfake.Auth) { a.AddBearer("short-lived-pat", uses) },
			`configuration field "data_center_personal_access_token"`},
		{"data center basic", fake.DataCenter,
			func(url string) map[string]any {
				return map[string]any{"data_source": DataCenter, "data_center_auth_method": "basic",
					"data_center_username": "short", "data_center_password": "short-lived-password", "jira_url": url, "projects": "*"}
			},
			func(a *saasfake.Auth) { a.AddBasicUses("short", "short-lived-password", uses) },
			`configuration fields "data_center_username" and "data_center_password"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small
			cfg.Flavor = tc.flavor
			ts := fake.NewTestServer(t, cfg)
			tc.expire(&ts.Auth)
			c, _, err := run(t, tc.config(ts.URL), connector.Features{}, nil)
			sourcetest.CheckError(t, "sync with expiring credentials", err, tc.fields, "short-lived")
			if err != nil && !strings.Contains(err.Error(), "Jira refused the credentials") {
				t.Errorf("the error does not say the credentials were refused: %v", err)
			}
			if len(c.Incomplete) > 0 {
				t.Errorf("refused credentials reported as %d incomplete parts instead of ending the sync: %v", len(c.Incomplete), c.Incomplete)
			}
			if wasted := ts.Faults.Requests() - uses; wasted < 1 || wasted > fetchers+1 {
				t.Errorf("%d requests after the credentials expired, want 1 to %d", wasted, fetchers+1)
			}
		})
	}
}

// TestLockedAccountStopsTheSync: a 403 that refuses the sign-in itself (Jira wants a CAPTCHA
// after failed sign-ins: X-Seraph-LoginReason: AUTHENTICATION_DENIED) ends the sync like a 401;
// a 403 on one issue stays that issue's incomplete report (TestThrottlingAndFailures).
func TestLockedAccountStopsTheSync(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	s := sourcetest.Open(t, Factory, cloudConfig(ts.URL), connector.Env{}).(*Source)
	s.client.BaseDelay = time.Millisecond
	var incomplete []string
	var mu sync.Mutex
	n := 0
	req := connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		mu.Lock()
		defer mu.Unlock()
		incomplete = append(incomplete, scope+": "+cause.Error())
	}}
	err := s.Docs(context.Background(), req, func(connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 5 {
			ts.Auth.Lock(fake.User)
		}
		return nil
	})
	sourcetest.CheckError(t, "sync of a locked account", err, `configuration fields "account_email" and "api_token"`, fake.Password)
	if err != nil && !strings.Contains(err.Error(), "Jira denied the sign-in") {
		t.Errorf("the error does not say why the sign-in was denied: %v", err)
	}
	if len(incomplete) > 0 {
		t.Errorf("a locked account reported as %d incomplete parts instead of ending the sync: %v", len(incomplete), incomplete)
	}
}

func TestFieldsDoc(t *testing.T) { fielddoc.Check(t, Factory, "../../docs/sources/jira.md") }
