package gitlab

import (
	"fmt"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// The generated data set, from indices; tests and fixtures compute expected documents from
// these functions.

var (
	BaseTime     = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	ModifiedTime = time.Date(2025, 8, 9, 10, 11, 12, 0, time.UTC)
)

// Time formats as GitLab's GraphQL API does: 2024-05-06T07:08:09Z.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// UserInfo is a GitLab user.
type UserInfo struct {
	Index          int
	Username, Name string
}

var names = []string{"Ada Lovelace", "Grace Hopper", "Zoë Ødegaard", "Jürgen Müller", "明 李", "Olu Adeyemi"}

// UserAt is user u.
func UserAt(u int) UserInfo {
	return UserInfo{Index: u, Username: fmt.Sprintf("user-%d", u), Name: names[u%len(names)]}
}

// Groups are the namespaces projects live in: a group, its subgroup, and a personal namespace
// (no group).
var Groups = []string{"demo-group", "demo-group/sub"}

// ProjectInfo is one project.
type ProjectInfo struct {
	Index        int
	ID           int
	Name, Path   string
	Namespace    string // a group path, or the personal namespace "demo-user"
	Group        string // "" for a personal project
	Description  string // "" for null
	Visibility   string
	Stars, Forks int
	Created      time.Time
	LastActivity *time.Time
	Archived     bool
	RootRef      string // "" for an empty repository
}

// FullPath is namespace/path.
func (p ProjectInfo) FullPath() string { return p.Namespace + "/" + p.Path }

// ProjectAt is project p (0-based) in a version. Every fourth project is personal; the last of
// four or more has an empty repository; every seventh has no last activity.
func ProjectAt(p, projects, version int) ProjectInfo {
	info := ProjectInfo{
		Index: p, ID: 1000 + p, Name: fmt.Sprintf("Project %d", p), Path: fmt.Sprintf("project-%d", p),
		Namespace: Groups[p%2], Group: Groups[p%2], Description: "Project " + words(p, 6),
		Visibility: []string{"public", "private", "internal"}[p%3], Stars: p * 3, Forks: p,
		Created: BaseTime.Add(time.Duration(p) * 24 * time.Hour), Archived: p%5 == 4, RootRef: "main",
	}
	if p%4 == 3 {
		info.Namespace, info.Group = "demo-user", ""
	}
	if p%3 == 2 {
		info.Description = ""
	}
	if p%7 != 6 {
		la := info.Created.Add(48 * time.Hour)
		if version >= 2 {
			la = ModifiedTime
		}
		info.LastActivity = &la
	}
	if projects >= 4 && p == projects-1 {
		info.RootRef = ""
	}
	return info
}

// NoteInfo is one note of a discussion.
type NoteInfo struct {
	ID       string // a global id
	Body     string
	Created  time.Time
	Updated  time.Time
	System   bool
	Author   int // -1 for none (a deleted user)
	Position bool
}

// WorkItemInfo is an issue or an epic; MRInfo shares its notes.
type WorkItemInfo struct {
	N         int
	ID        string
	Type      string // Issue or Epic
	Title     string
	Desc      string // "" for null
	State     string // OPEN, CLOSED
	Created   time.Time
	Updated   time.Time
	Closed    *time.Time
	Author    int
	Assignees []int
	Labels    []string
	// Discussions lists each discussion's note count.
	Discussions []int
	Modified    bool
}

var labelNames = []string{"bug", "feature", "documentation", "priority::high"}

// IssueAt is issue n (1-based) of project p. bigFirst gives issue 1 that many discussions and
// assignees, so that nested lists need more pages.
func IssueAt(p ProjectInfo, n, version, per, bigFirst int) WorkItemInfo {
	w := WorkItemInfo{N: n, Type: "Issue", ID: fmt.Sprintf("gid://gitlab/WorkItem/%d", p.ID*100000+n)}
	w.Created = p.Created.Add(time.Duration(n) * time.Minute)
	w.Updated = w.Created.Add(time.Hour)
	w.Title = fmt.Sprintf("Issue %d of %s: %s", n, p.Path, words(n+p.Index, 5))
	w.Desc = "Steps: " + words(n*3, 12) + ". Zoë — naïve café."
	if n%6 == 5 {
		w.Desc = ""
	}
	w.State = "OPEN"
	if n%3 == 1 {
		w.State = "CLOSED"
		c := w.Created.Add(3 * time.Hour)
		w.Closed, w.Updated = &c, c
	}
	w.Author = n % 4
	if n%9 == 8 {
		w.Author = -1
	}
	for i := 0; i < n%3; i++ {
		w.Assignees = append(w.Assignees, (n+i)%5)
	}
	for i := 0; i < n%4; i++ {
		w.Labels = append(w.Labels, labelNames[(n+i)%len(labelNames)])
	}
	for k := 0; k < n%3; k++ {
		w.Discussions = append(w.Discussions, k%2+1)
	}
	if n == 1 && bigFirst > 0 {
		w.Discussions = nil
		for k := 0; k < bigFirst; k++ {
			w.Discussions = append(w.Discussions, 1)
		}
		for i := 0; i < bigFirst; i++ {
			w.Assignees = append(w.Assignees, i%5)
		}
	}
	if saasfake.Modified(version, per, n) {
		w.Modified = true
		w.Updated = ModifiedTime
		w.Title += " (edited)"
	}
	return w
}

// EpicAt is epic e (1-based) of a group: epic 1 is the parent of the others, and each epic is
// linked to the next.
func EpicAt(group string, e int) WorkItemInfo {
	gi := 0
	if strings.Contains(group, "/") {
		gi = 1
	}
	w := WorkItemInfo{N: e, Type: "Epic", ID: fmt.Sprintf("gid://gitlab/WorkItem/%d", 900000+gi*1000+e)}
	w.Created = BaseTime.Add(time.Duration(e) * time.Hour)
	w.Updated = w.Created.Add(time.Hour)
	w.Title = fmt.Sprintf("Epic %d of %s: %s", e, group, words(e, 4))
	w.Desc = "Goal: " + words(e*5, 8)
	w.State = "OPEN"
	w.Author = e % 4
	w.Labels = []string{labelNames[e%len(labelNames)]}
	w.Discussions = []int{1}
	return w
}

// NoteAt is note j of discussion k of an issue, merge request or epic (owner is its global id).
func NoteAt(owner string, k, j int, created time.Time, diff bool) NoteInfo {
	seed := len(owner) + k*7 + j
	n := NoteInfo{
		ID:      fmt.Sprintf("gid://gitlab/Note/%d", hash(owner)%100000*1000+k*10+j),
		Body:    fmt.Sprintf("Note %d.%d: %s", k, j, words(seed, 6)),
		Created: created.Add(time.Duration(k*10+j+1) * time.Minute), Author: (k + j) % 5,
	}
	n.Updated = n.Created
	if k == 0 && j == 0 {
		n.System = true
		n.Body = "changed the description"
	}
	if k == 2 && j == 0 {
		n.Author = -1
	}
	if diff && k == 1 {
		n.ID = strings.Replace(n.ID, "/Note/", "/DiffNote/", 1)
		n.Position = true
	}
	return n
}

func hash(s string) int {
	h := 0
	for _, c := range s {
		h = h*31 + int(c)
		h &= 0x7fffffff
	}
	return h
}

// MRInfo is one merge request.
type MRInfo struct {
	N           int
	ID          string
	Title       string
	Desc        string
	State       string // opened, merged, closed
	Created     time.Time
	Updated     time.Time
	Merged      *time.Time
	Closed      *time.Time
	Source      string
	Author      int
	Assignees   []int
	Reviewers   []int
	Approvers   []int
	MergeUser   int // -1 for none
	Labels      []string
	Discussions []int
	Modified    bool
}

// MRAt is merge request n of project p.
func MRAt(p ProjectInfo, n, version, per, bigFirst int) MRInfo {
	m := MRInfo{N: n, ID: fmt.Sprintf("gid://gitlab/MergeRequest/%d", p.ID*100000+n), MergeUser: -1}
	m.Created = p.Created.Add(time.Duration(n)*time.Minute + 30*time.Second)
	m.Updated = m.Created.Add(2 * time.Hour)
	m.Title = fmt.Sprintf("Merge request %d of %s: %s", n, p.Path, words(n*2+p.Index, 4))
	m.Desc = "Changes: " + words(n*5, 10)
	if n%5 == 4 {
		m.Desc = ""
	}
	m.Source = fmt.Sprintf("feature/mr-%d", n)
	m.State = "opened"
	switch n % 3 {
	case 1:
		m.State = "merged"
		t := m.Created.Add(90 * time.Minute)
		m.Merged, m.Updated, m.MergeUser = &t, t, (n+1)%5
	case 2:
		if n%4 == 2 {
			m.State = "closed"
			t := m.Created.Add(80 * time.Minute)
			m.Closed, m.Updated = &t, t
		}
	}
	m.Author = (n + 2) % 5
	for i := 0; i < n%2+1; i++ {
		m.Assignees = append(m.Assignees, (n+i)%5)
	}
	m.Reviewers = []int{(n + 3) % 5}
	if m.State == "merged" {
		m.Approvers = []int{(n + 3) % 5, (n + 4) % 5}
	}
	m.Labels = []string{labelNames[n%len(labelNames)]}
	for k := 0; k < n%3+1; k++ {
		m.Discussions = append(m.Discussions, k%2+1)
	}
	if n == 1 && bigFirst > 0 {
		for i := 0; i < bigFirst; i++ {
			m.Reviewers = append(m.Reviewers, i%5)
		}
		for k := 0; k < bigFirst; k++ {
			m.Discussions = append(m.Discussions, 1)
		}
	}
	if saasfake.Modified(version, per, n) {
		m.Modified = true
		m.Updated = ModifiedTime
		m.Title += " (edited)"
	}
	return m
}

// ReleaseInfo is one release.
type ReleaseInfo struct {
	Tag, Name, Desc string
	Created         time.Time
	Released        *time.Time
	Author          int
	CommitSHA       string // "" for none
	Milestones      []string
	Links           []struct{ Name, URL, Type string }
}

// ReleaseAt is release k (1-based) of project p.
func ReleaseAt(p ProjectInfo, k int) ReleaseInfo {
	r := ReleaseInfo{Tag: fmt.Sprintf("v1.%d.0", k), Name: fmt.Sprintf("Release 1.%d", k), Desc: "## Changes\n\n- " + words(k+p.Index, 5),
		Created: p.Created.Add(time.Duration(k) * time.Hour), Author: k % 4}
	if k%4 != 3 {
		t := r.Created.Add(time.Minute)
		r.Released = &t
	}
	if k%5 != 4 {
		r.CommitSHA = fmt.Sprintf("%08x%032x", p.ID, k)
	}
	for i := 0; i < k%3; i++ {
		r.Milestones = append(r.Milestones, fmt.Sprintf("M%d", k+i))
	}
	if k%2 == 1 {
		r.Links = append(r.Links, struct{ Name, URL, Type string }{"binary", fmt.Sprintf("https://downloads.example.com/%s/v1.%d.0.tar.gz", p.Path, k), "PACKAGE"})
	}
	return r
}

// RootFile is an entry of a project's root folder.
type RootFile struct {
	Name, Type string
	Content    string
}

// RootEntries lists a project's root folder: README files in several forms, files that are not
// READMEs, a folder, and extra files to fill pages.
func RootEntries(p ProjectInfo, version, extra int) []RootFile {
	readme := fmt.Sprintf("# %s\n\n%s\n", p.Name, words(p.Index+3, 20))
	if version >= 2 {
		readme += "\nUpdated.\n"
	}
	out := []RootFile{
		{Name: "README.md", Type: "blob", Content: readme},
		{Name: "Readme.rst", Type: "blob", Content: "Title\n=====\n\n" + words(p.Index, 8) + "\n"},
		{Name: "README", Type: "blob", Content: "plain readme\n"},
		{Name: "readme-old.html", Type: "blob", Content: "<p>old</p>"},
		{Name: "CONTRIBUTING.md", Type: "blob", Content: "contribute\n"},
		{Name: "src", Type: "tree"},
	}
	for i := 0; i < extra; i++ {
		out = append(out, RootFile{Name: fmt.Sprintf("file-%03d.go", i), Type: "blob", Content: "package x\n"})
	}
	return out
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
