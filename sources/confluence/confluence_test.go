package confluence

import (
	"context"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/saasfake"
	fake "github.com/connectors-go/connectors/internal/saasfake/atlassian"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

var small = fake.Config{Spaces: 2, PagesPerSpace: 12, AttachmentsPerPage: 1, Users: 10, MaxResults: 5}

// 2 spaces + 2×12 pages + 2×12 blog posts + as many attachments.
const smallDocs = 2 + 48 + 48

func cloudConfig(url string) map[string]any {
	return map[string]any{"data_source": Cloud, "confluence_url": url, "account_email": fake.User, "api_token": fake.Password, "spaces": "*"}
}

func TestAcceptance(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	connectortest.Run(t, Factory, cloudConfig(ts.URL), connectortest.ExpectDocs(smallDocs),
		connectortest.InvalidConfig(map[string]any{"spaces": "SP1,NOPE"}, "spaces"))
}

func TestAcceptanceServer(t *testing.T) {
	ts := fake.NewTestServer(t, fake.Config{Flavor: fake.Server, Spaces: 2, PagesPerSpace: 6, AttachmentsPerPage: 1, MaxResults: 4})
	connectortest.Run(t, Factory, map[string]any{
		"data_source": Server, "username": fake.User, "password": fake.Password, "confluence_url": ts.URL, "spaces": "SP2",
	}, connectortest.ExpectDocs(1+12+12))
}

func open(t *testing.T, values map[string]any, features connector.Features) *Source {
	t.Helper()
	s := sourcetest.Open(t, Factory, values, connector.Env{Features: features}).(*Source)
	s.client.BaseDelay = time.Millisecond
	return s
}

func run(t *testing.T, values map[string]any, features connector.Features, rules any) (*sourcetest.Collected, error) {
	t.Helper()
	return sourcetest.Run(open(t, values, features), rules)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := connector.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDocuments(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	cfg := cloudConfig(ts.URL)
	cfg["index_labels"] = true
	c, err := run(t, cfg, connector.Features{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != smallDocs || len(c.Incomplete) > 0 {
		t.Fatalf("%d documents (want %d), incomplete %v", len(c.Docs), smallDocs, c.Incomplete)
	}
	p := fake.ContentAt(1, 4, "page", 1, small.PagesPerSpace)
	parent := fake.ContentAt(1, 1, "page", 1, small.PagesPerSpace)
	d := c.Docs[p.ID]
	author := fake.UserAt(p.Author)
	want := `{"ancestors":[{"title":"` + parent.Title + `"}],"author":"` + author.DisplayName + `","body":"` + p.Title +
		`\n` + strings.SplitN(strings.SplitN(p.Body, "<p>", 2)[1], "</p>", 2)[0] +
		`\nOwner: \nZoë\n & team — naïve café.\n` + strings.SplitN(strings.SplitN(p.Body, "<li>", 2)[1], "</li>", 2)[0] + `\nsecond","createdDate":"` +
		fake.ConfluenceTime(p.Created) + `","labels":["fake","topic-0"],"space":"Space 2","title":"` + p.Title + `","type":"page","url":"` +
		ts.URL + `/wiki/spaces/SP2/pages/` + p.ID + `/` + strings.ReplaceAll(p.Title, " ", "+") + `"}`
	if got := jsonOf(t, d.Fields); got != strings.ReplaceAll(want, "+", "+") && !sameJSONModuloEscapes(got, want) {
		t.Errorf("page fields\n got %s\nwant %s", got, want)
	}
	if d.Timestamp != fake.ConfluenceTime(p.Updated) {
		t.Errorf("page timestamp %q", d.Timestamp)
	}
	a := fake.ContentAttachment(p, 0)
	ad := c.Docs[a.ID]
	if got, want := jsonOf(t, ad.Fields["page"]), jsonOf(t, p.Title); got != want {
		t.Errorf("attachment's page field %s, want %s", got, want)
	}
	if ad.Fields["size"] != any(nil) && jsonOf(t, ad.Fields["size"]) != strconv.Itoa(len(a.Content)) || ad.Fields["type"] != "attachment" || ad.Timestamp != fake.ConfluenceTime(a.Created) {
		t.Errorf("attachment %v %s", ad.Fields, ad.Timestamp)
	}
	b := sourcetest.Content(t, ad)
	if b != a.Content {
		t.Errorf("content %q", b)
	}
	sp := c.Docs["100001"]
	if sp.Fields["type"] != "Space" || sp.Fields["key"] != "SP2" || sp.Fields["url"] != ts.URL+"/wiki/spaces/SP2" || sp.Fields["author"] != fake.UserAt(1).DisplayName {
		t.Errorf("space %v", sp.Fields)
	}
}

// sameJSONModuloEscapes compares two JSON texts allowing for the escaping of + in URLs.
func sameJSONModuloEscapes(a, b string) bool { return strings.ReplaceAll(a, `\u002b`, "+") == b }

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"<p>Hello <b>world</b></p>", "Hello \nworld"},
		{"<p>a</p><!-- c --><script>x()</script><p>b &amp; c</p>", "a\nb & c"},
		{`<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Note</p></ac:rich-text-body></ac:structured-macro>`, "Note"},
	} {
		if got := htmlToText(tc.in); got != tc.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDocumentLevelSecurity(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	cfg := cloudConfig(ts.URL)
	cfg["use_document_level_security"] = true
	c, err := run(t, cfg, connector.Features{DocumentLevelSecurity: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	acct := func(us ...int) []string {
		var out []string
		for _, u := range us {
			if info := fake.UserAt(u); info.AccountType == "atlassian" {
				out = append(out, "account_id:"+info.AccountID)
			}
		}
		return out
	}
	group := func(g int) string { return "group_id:" + fake.GroupAt(g).ID }
	// Space: every space-targeted or read permission.
	var space []string
	for _, p := range fake.SpacePermissions {
		if p.TargetType == "space" || p.Operation == "read" || p.TargetType == "page" {
			_ = p
		}
	}
	spaceFor := func(target string) []string {
		set := map[string]bool{}
		for _, p := range fake.SpacePermissions {
			if p.TargetType != target && p.TargetType != "space" && p.Operation != "read" {
				continue
			}
			for _, id := range acct(p.Users...) {
				set[id] = true
			}
			for _, g := range p.Groups {
				set[group(g)] = true
			}
		}
		space = space[:0]
		for id := range set {
			space = append(space, id)
		}
		sort.Strings(space)
		return append([]string(nil), space...)
	}
	check := func(id string, want []string) {
		t.Helper()
		if got := c.Docs[id].AllowAccessControl; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: _allow_access_control\n got %v\nwant %v", id, got, want)
		}
	}
	check("100000", spaceFor("space"))
	// A blog post without restrictions: the space's permissions for blog posts.
	bp := fake.ContentAt(0, 2, "blogpost", 1, small.PagesPerSpace)
	check(bp.ID, spaceFor("blogpost"))
	// Page 1 is restricted to users 0-2 and group 1.
	p1 := fake.ContentAt(0, 1, "page", 1, small.PagesPerSpace)
	own := append(acct(p1.ReadUsers...), group(1))
	sort.Strings(own)
	check(p1.ID, own)
	// Page 2 sits under page 1 and has no restriction of its own: page 1's.
	check(fake.ContentAt(0, 2, "page", 1, small.PagesPerSpace).ID, own)
	// Page 3 is restricted to users 1 and 3 and group 1, under page 1: the intersection.
	p3 := fake.ContentAt(0, 3, "page", 1, small.PagesPerSpace)
	inter := append(acct(1), group(1))
	sort.Strings(inter)
	check(p3.ID, inter)
	check(fake.ContentAttachment(p3, 0).ID, inter)
}

func TestAccessControlDocumentsDataCenter(t *testing.T) {
	ts := fake.NewTestServer(t, fake.Config{Flavor: fake.DataCenter, Spaces: 1, PagesPerSpace: 2, Users: 5})
	s := open(t, map[string]any{"data_source": DataCenter, "data_center_username": fake.User, "data_center_password": fake.Password,
		"confluence_url": ts.URL, "spaces": "*", "use_document_level_security": true}, connector.Features{DocumentLevelSecurity: true})
	var docs []connector.Document
	if err := s.AccessControl(context.Background(), func(d connector.Document) error { docs = append(docs, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 5 {
		t.Fatalf("%d documents", len(docs))
	}
	u := fake.UserAt(3)
	want := `{"account_id":"account_id:` + u.Key + `","display_name":"name:` + strings.ReplaceAll(u.DisplayName, " ", "-") + `","username":"name:` + u.Name + `"}`
	if docs[3].ID != u.Key || jsonOf(t, docs[3].Fields["identity"]) != want {
		t.Errorf("%s %s\nwant %s", docs[3].ID, jsonOf(t, docs[3].Fields["identity"]), want)
	}
}

func TestThrottlingAndFailures(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	ts.Faults.Set(saasfake.FaultConfig{ThrottleEvery: 5, RetryAfter: 0, ServerErrorEvery: 9})
	c, err := run(t, cloudConfig(ts.URL), connector.Features{}, nil)
	if err != nil || len(c.Docs) != smallDocs || len(c.Incomplete) > 0 {
		t.Fatalf("under throttling: %v, %d documents, incomplete %v", err, len(c.Docs), c.Incomplete)
	}
	if ts.Faults.Throttled() == 0 || ts.Faults.Failed() == 0 {
		t.Fatal("no faults were injected")
	}
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"type%3Dblogpost"}})
	c, err = run(t, cloudConfig(ts.URL), connector.Features{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Incomplete) != 2 || !strings.Contains(c.Incomplete[0], "Confluence blogposts of space SP1") {
		t.Errorf("incomplete %v", c.Incomplete)
	}
	if len(c.Docs) != smallDocs-48 {
		t.Errorf("%d documents", len(c.Docs))
	}

	// A page whose attachments the account may not read (403 without a refusal of the sign-in)
	// is that listing's incomplete report, not the end of the sync.
	p := fake.ContentAt(1, 4, "page", 1, small.PagesPerSpace)
	ts.Faults.Set(saasfake.FaultConfig{FailPaths: []string{"/content/" + p.ID + "/child/attachment"}, FailStatus: 403})
	c, err = run(t, cloudConfig(ts.URL), connector.Features{}, nil)
	if err != nil {
		t.Fatalf("a 403 on one page's attachments ended the sync: %v", err)
	}
	if len(c.Incomplete) != 1 || !strings.Contains(c.Incomplete[0], "attachments of Confluence content "+p.ID) || len(c.Docs) != smallDocs-1 {
		t.Errorf("%d documents, incomplete %v", len(c.Docs), c.Incomplete)
	}
}

// TestExpiredCredentialsStopTheSync: credentials that stop working in the middle of a sync (an
// API token revoked, a password changed, a personal access token expired) end the sync with an
// error naming the credential settings of the flavour at the first refusal, instead of one
// incomplete report per listing; Confluence is read one request at a time, so exactly one
// request is refused.
func TestExpiredCredentialsStopTheSync(t *testing.T) {
	const uses = 6 // spaces, a content search page, then attachment listings
	for _, tc := range []struct {
		name   string
		flavor fake.Flavor
		config map[string]any
		expire func(a *saasfake.Auth)
		fields string
	}{
		{"cloud", fake.Cloud,
			map[string]any{"data_source": Cloud, "account_email": "short@example.com", "api_token": "short-lived-api-token"},
			func(a *saasfake.Auth) { a.AddBasicUses("short@example.com", "short-lived-api-token", uses) },
			`configuration fields "account_email" and "api_token"`},
		{"server", fake.Server,
			map[string]any{"data_source": Server, "username": "short", "password": "short-lived-password"},
			func(a *saasfake.Auth) { a.AddBasicUses("short", "short-lived-password", uses) },
			`configuration fields "username" and "password"`},
		{"data center token", fake.DataCenter,
			map[string]any{"data_source": DataCenter, "data_center_auth_method": "personal_access_token", "data_center_personal_access_token": "short-lived-pat"},
			func(a *saasfake.Auth) { a.AddBearer("short-lived-pat", uses) },
			`configuration field "data_center_personal_access_token"`},
		{"data center basic", fake.DataCenter,
			map[string]any{"data_source": DataCenter, "data_center_auth_method": "basic", "data_center_username": "short", "data_center_password": "short-lived-password"},
			func(a *saasfake.Auth) { a.AddBasicUses("short", "short-lived-password", uses) },
			`configuration fields "data_center_username" and "data_center_password"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small
			cfg.Flavor = tc.flavor
			ts := fake.NewTestServer(t, cfg)
			tc.expire(&ts.Auth)
			tc.config["confluence_url"], tc.config["spaces"] = ts.URL, "*"
			c, err := run(t, tc.config, connector.Features{}, nil)
			sourcetest.CheckError(t, "sync with expiring credentials", err, tc.fields, "short-lived")
			if err != nil && !strings.Contains(err.Error(), "Confluence refused the credentials") {
				t.Errorf("the error does not say the credentials were refused: %v", err)
			}
			if len(c.Incomplete) > 0 {
				t.Errorf("refused credentials reported as %d incomplete parts instead of ending the sync: %v", len(c.Incomplete), c.Incomplete)
			}
			if wasted := ts.Faults.Requests() - uses; wasted != 1 {
				t.Errorf("%d requests after the credentials expired, want 1", wasted)
			}
		})
	}
}

// TestLockedAccountStopsTheSync: a 403 that refuses the sign-in itself (Confluence wants a
// CAPTCHA after failed sign-ins: X-Seraph-LoginReason: AUTHENTICATION_DENIED) ends the sync like
// a 401; a 403 on one page's attachments stays an incomplete report (TestThrottlingAndFailures).
func TestLockedAccountStopsTheSync(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	s := open(t, cloudConfig(ts.URL), connector.Features{})
	var incomplete []string
	n := 0
	req := connector.DocsRequest{OnIncomplete: func(scope string, cause error) { incomplete = append(incomplete, scope+": "+cause.Error()) }}
	err := s.Docs(context.Background(), req, func(connector.Document) error {
		if n++; n == 5 {
			ts.Auth.Lock(fake.User)
		}
		return nil
	})
	sourcetest.CheckError(t, "sync of a locked account", err, `configuration fields "account_email" and "api_token"`, fake.Password)
	if err != nil && !strings.Contains(err.Error(), "Confluence denied the sign-in") {
		t.Errorf("the error does not say the sign-in was denied: %v", err)
	}
	if len(incomplete) > 0 {
		t.Errorf("a locked account reported as %d incomplete parts instead of ending the sync: %v", len(incomplete), incomplete)
	}
}

func TestAdvancedRules(t *testing.T) {
	ts := fake.NewTestServer(t, small)
	c, err := run(t, cloudConfig(ts.URL), connector.Features{}, []any{map[string]any{"query": "space = SP1 AND type = blogpost"}})
	if err != nil || len(c.Docs) != 12 {
		t.Fatalf("%v, %d documents", err, len(c.Docs))
	}
	bp := fake.ContentAt(0, 5, "blogpost", 1, small.PagesPerSpace)
	d := c.Docs[bp.ID]
	if d.Fields["type"] != "blogpost" || d.Fields["space"] != "Space 1" || d.Timestamp != fake.ConfluenceTime(bp.Updated) {
		t.Errorf("%v %s", d.Fields, d.Timestamp)
	}
	// Attachments come with their container's title under the container's type.
	c, err = run(t, cloudConfig(ts.URL), connector.Features{}, []any{map[string]any{"query": "space = SP2 AND type = attachment"}})
	if err != nil || len(c.Docs) != 24 {
		t.Fatalf("%v, %d documents", err, len(c.Docs))
	}
	p := fake.ContentAt(1, 3, "page", 1, small.PagesPerSpace)
	a := c.Docs[fake.ContentAttachment(p, 0).ID]
	if a.Fields["page"] != p.Title || a.Content == nil {
		t.Errorf("attachment %v", a.Fields)
	}
	if _, has := a.Fields["body"]; has {
		t.Error("attachment result keeps a body")
	}
}

func TestFieldsDoc(t *testing.T) { fielddoc.Check(t, Factory, "../../docs/sources/confluence.md") }
