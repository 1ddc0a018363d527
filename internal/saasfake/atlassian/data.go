package atlassian

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// The generated data set. Everything derives from indices; the tests and ftest fixtures use these
// functions to know what the sources must produce.

// Base times: items are created from these, a minute apart; the modified items of version 2 are
// updated at ModifiedTime.
var (
	BaseTime     = time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	ModifiedTime = time.Date(2025, 6, 7, 8, 9, 10, 500_000_000, time.UTC)
)

// JiraTime formats a time as Jira does: 2024-03-04T05:06:07.000+0000.
func JiraTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// ConfluenceTime formats a time as Confluence does: 2024-03-04T05:06:07.000Z.
func ConfluenceTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ---- users and groups ----

// UserInfo is one user of the site.
type UserInfo struct {
	Index       int
	AccountID   string // Cloud
	Name, Key   string // Server and Data Center
	DisplayName string
	Email       string
	Active      bool
	AccountType string // atlassian, app, customer
	Group       int    // index of the user's group
}

var firstNames = []string{"Ada", "Grace", "Linus", "Zoë", "Jürgen", "Ming", "Olu", "Søren", "Ana María", "Ken", "Priya", "Tomás"}

// UserAt is user u.
func UserAt(u int) UserInfo {
	acct := "atlassian"
	if u%6 == 5 {
		acct = "app"
	}
	name := firstNames[u%len(firstNames)]
	if u >= len(firstNames) {
		name += " " + strconv.Itoa(u)
	}
	return UserInfo{
		Index:       u,
		AccountID:   fmt.Sprintf("5b10ac8d82e05b22cc7d%04x", u),
		Name:        fmt.Sprintf("user%d", u),
		Key:         fmt.Sprintf("JIRAUSER%d", 10000+u),
		DisplayName: name + " Example",
		Email:       fmt.Sprintf("user%d@example.com", u),
		Active:      u%7 != 6,
		AccountType: acct,
		Group:       u % 3,
	}
}

// GroupInfo is one group.
type GroupInfo struct {
	ID, Name string
}

// GroupAt is group g (0..2).
func GroupAt(g int) GroupInfo {
	names := []string{"site-users", "developers", "admins"}
	return GroupInfo{ID: fmt.Sprintf("0c011f85-69ed-49c4-a801-%012d", g+1), Name: names[g%3]}
}

// ---- Jira ----

// ProjectInfo is one Jira project.
type ProjectInfo struct {
	Index    int
	ID, Key  string
	Name     string
	LeadUser int
}

// ProjectAt is project p (0-based).
func ProjectAt(p int) ProjectInfo {
	return ProjectInfo{Index: p, ID: strconv.Itoa(10000 + p), Key: fmt.Sprintf("PRJ%d", p+1), Name: fmt.Sprintf("Project %d", p+1), LeadUser: p % 3}
}

// ProjectByKey finds a project's index from its key.
func ProjectByKey(key string) (int, bool) {
	s, ok := strings.CutPrefix(key, "PRJ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n - 1, true
}

// IssueInfo is one Jira issue.
type IssueInfo struct {
	Project  ProjectInfo
	N        int
	ID, Key  string
	Summary  string
	Desc     string
	Type     string
	Created  time.Time
	Updated  time.Time
	Modified bool
	// Security is the issue security level's id, "" when none (Cloud DLS).
	Security string
	// RestrictedToRole is the project role an issue restriction names, "" when none.
	RestrictedToRole string
	StoryPoints      string // a JSON number with a fraction, as Jira sends floats
	Team             string
}

// IssueAt is issue n (1-based) of project p in a data set version.
func IssueAt(p, n, version, per int) IssueInfo {
	pr := ProjectAt(p)
	created := BaseTime.Add(time.Duration(p*1000+n) * time.Minute)
	is := IssueInfo{
		Project: pr, N: n,
		ID:      strconv.Itoa((p+1)*1_000_000 + n),
		Key:     fmt.Sprintf("%s-%d", pr.Key, n),
		Type:    []string{"Task", "Bug", "Story"}[n%3],
		Created: created, Updated: created.Add(time.Hour),
		StoryPoints: strconv.Itoa(n%8) + ".5",
		Team:        []string{"Platform", "Søk & Indeks", "検索チーム"}[n%3],
	}
	is.Summary = fmt.Sprintf("Issue %s: %s", is.Key, words(n, 6))
	is.Desc = "Steps to reproduce: " + words(n*7, 20) + "."
	if saasfake.Modified(version, per, n) {
		is.Modified = true
		is.Updated = ModifiedTime
		is.Summary += " (edited)"
		is.Desc += " Edited after review."
	}
	if n%10 == 5 {
		is.Security = "10100"
	}
	if n%10 == 7 {
		is.RestrictedToRole = "10002"
	}
	return is
}

// AttachmentInfo is one attachment of an issue or a Confluence page.
type AttachmentInfo struct {
	ID       string
	Filename string
	Content  string
	Created  time.Time
}

// IssueAttachment is attachment k of an issue.
func IssueAttachment(is IssueInfo, k int) AttachmentInfo {
	id, _ := strconv.Atoi(is.ID)
	return AttachmentInfo{
		ID:       strconv.Itoa(id*10 + k),
		Filename: fmt.Sprintf("%s-notes-%d.txt", is.Key, k),
		Content:  fmt.Sprintf("Attachment %d of %s. %s.", k, is.Key, words(id+k, 12)),
		Created:  is.Created.Add(time.Duration(k+1) * time.Second),
	}
}

// issueByKey parses PRJ<p>-<n>.
func issueByKey(key string) (p, n int, ok bool) {
	pk, num, found := strings.Cut(key, "-")
	if !found {
		return 0, 0, false
	}
	p, ok = ProjectByKey(pk)
	if !ok {
		return 0, 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return 0, 0, false
	}
	return p, n, true
}

// Custom fields: id → display name.
var CustomFields = []struct{ ID, Name string }{
	{"customfield_10010", "Story Points"},
	{"customfield_10011", "Team"},
	{"customfield_10012", "Sprint goal"},
}

// ---- Confluence ----

// SpaceInfo is one Confluence space.
type SpaceInfo struct {
	Index int
	ID    int64
	Key   string
	Name  string
}

// SpaceAt is space s (0-based).
func SpaceAt(s int) SpaceInfo {
	return SpaceInfo{Index: s, ID: int64(100000 + s), Key: fmt.Sprintf("SP%d", s+1), Name: fmt.Sprintf("Space %d", s+1)}
}

// SpaceByKey finds a space's index from its key.
func SpaceByKey(key string) (int, bool) {
	s, ok := strings.CutPrefix(key, "SP")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n - 1, true
}

// ContentInfo is one page or blog post.
type ContentInfo struct {
	Space    SpaceInfo
	N        int
	Type     string // page or blogpost
	ID       string
	Title    string
	Body     string // storage format (XHTML)
	Created  time.Time
	Updated  time.Time
	Modified bool
	Author   int // user index
	// Parent is the page this one sits under (its only ancestor), 0 for none.
	Parent int
	// ReadUsers and ReadGroups are the content's own read restrictions (user and group
	// indices), empty when it has none.
	ReadUsers, ReadGroups []int
}

// ContentAt is page (or blog post) n of space s.
func ContentAt(s, n int, typ string, version, per int) ContentInfo {
	sp := SpaceAt(s)
	off := 0
	if typ == "blogpost" {
		off = 1
	}
	created := BaseTime.Add(time.Duration(s*1000+n*2+off) * time.Minute)
	c := ContentInfo{
		Space: sp, N: n, Type: typ,
		ID:      strconv.FormatInt(int64(s+1)*1_000_000+int64(n*2+off), 10),
		Created: created, Updated: created.Add(2 * time.Hour),
		Author: n % 5,
	}
	label := "Page"
	if typ == "blogpost" {
		label = "Blog post"
	}
	c.Title = fmt.Sprintf("%s %d-%d: %s", label, s+1, n, words(n+off, 4))
	c.Body = fmt.Sprintf("<h1>%s</h1><p>%s</p><p>Owner: <strong>Zoë</strong> &amp; team — naïve café.</p><ul><li>%s</li><li>second</li></ul>",
		c.Title, words(n*3+off, 25), words(n+11, 3))
	if saasfake.Modified(version, per, n) {
		c.Modified = true
		c.Updated = ModifiedTime
		c.Title += " (edited)"
		c.Body += "<p>Edited after review.</p>"
	}
	if typ == "page" && n > 1 {
		c.Parent = 1
	}
	switch {
	case typ == "page" && n == 1:
		c.ReadUsers, c.ReadGroups = []int{0, 1, 2}, []int{1}
	case n%10 == 3:
		c.ReadUsers, c.ReadGroups = []int{1, 3}, []int{1}
	}
	return c
}

// contentByID parses a content id back to its space, number and type.
func contentByID(id string) (s, n int, typ string, ok bool) {
	v, err := strconv.ParseInt(id, 10, 64)
	if err != nil || v < 1_000_000 {
		return 0, 0, "", false
	}
	s = int(v/1_000_000) - 1
	rest := int(v % 1_000_000)
	n = rest / 2
	typ = "page"
	if rest%2 == 1 {
		typ = "blogpost"
	}
	return s, n, typ, n >= 1
}

// ContentAttachment is attachment k of a page or blog post.
func ContentAttachment(c ContentInfo, k int) AttachmentInfo {
	id, _ := strconv.ParseInt(c.ID, 10, 64)
	return AttachmentInfo{
		ID:       "att" + strconv.FormatInt(id*10+int64(k), 10),
		Filename: fmt.Sprintf("spec-%s-%d.txt", c.ID, k),
		Content:  fmt.Sprintf("Attachment %d of %s. %s.", k, c.Title, words(int(id%100000)+k, 12)),
		Created:  c.Created.Add(time.Duration(k+1) * time.Second),
	}
}

// words is a deterministic run of n words chosen by seed.
func words(seed, n int) string {
	vocab := [...]string{"index", "search", "query", "shard", "replica", "mapping", "token", "sync", "connector",
		"document", "field", "cluster", "node", "bulk", "pipeline", "filter", "score", "vector", "alias", "snapshot"}
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	out := make([]string, n)
	for i := range out {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		out[i] = vocab[(x*0x2545F4914F6CDD1D>>33)%uint64(len(vocab))]
	}
	return strings.Join(out, " ")
}
