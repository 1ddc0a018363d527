package github

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// The generated data set. Everything derives from indices, so the tests and ftest fixtures can
// compute what the source must produce from these functions.

// Base times: items are created a minute apart from BaseTime; version 2 modifies some at
// ModifiedTime.
var (
	BaseTime     = time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	ModifiedTime = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
)

// Time formats a time as GitHub does (ISO-8601, UTC, seconds): 2024-03-04T05:06:07Z.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// UserInfo is a GitHub user (an organization member, a collaborator, an author).
type UserInfo struct {
	Index     int
	ID, Login string
	Name      string
	Email     string // "" when the user keeps it private (GitHub answers "")
	Updated   time.Time
}

var names = []string{"Ada Lovelace", "Grace Hopper", "Linus Torvalds", "Zoë Ødegaard", "Jürgen Müller", "明 李", "Olu Adeyemi", "Søren Kierkegaard", "Ana María"}

// UserAt is user u (0-based).
func UserAt(u int) UserInfo {
	email := fmt.Sprintf("user%d@example.com", u)
	if u%4 == 3 {
		email = ""
	}
	return UserInfo{
		Index: u, ID: fmt.Sprintf("U_kgDOB%07d", u), Login: fmt.Sprintf("user-%d", u),
		Name: names[u%len(names)], Email: email, Updated: BaseTime.Add(time.Duration(u) * time.Hour),
	}
}

// Outsider is the outside collaborator of repository r: not an organization member.
func Outsider(r int) UserInfo {
	return UserInfo{Index: -1, ID: fmt.Sprintf("U_kgDOX%07d", r), Login: fmt.Sprintf("outsider-%d", r), Name: "Outside Collaborator", Email: "outsider@example.org", Updated: BaseTime}
}

// RepoInfo is one repository.
type RepoInfo struct {
	Index         int
	ID            string
	Owner, Name   string
	Visibility    string // PUBLIC, PRIVATE, INTERNAL
	Language      string // "" for none
	Description   string // "" for null
	DefaultBranch string // "" for an empty repository (no default branch)
	Fork          bool
	Stars, Forks  int
	Watchers      int
	Archived      bool
	Created       time.Time
	Updated       time.Time
}

// FullName is owner/name.
func (r RepoInfo) FullName() string { return r.Owner + "/" + r.Name }

// RepoAt is repository r (0-based) of owner. Repository 0 is public, the others alternate
// private and internal; every fifth has no description; the last of four or more is empty
// (no default branch, so no files).
func RepoAt(owner string, r, repos int) RepoInfo {
	info := RepoInfo{
		Index: r, ID: fmt.Sprintf("R_kgDOH%07d", r), Owner: owner, Name: fmt.Sprintf("repo-%d", r),
		Visibility: []string{"PRIVATE", "INTERNAL"}[r%2], Language: []string{"Go", "Python", ""}[r%3],
		Description: fmt.Sprintf("Repository %d: %s", r, words(r, 6)), DefaultBranch: "main",
		Fork: r%4 == 3, Stars: r * 7, Forks: r * 2, Watchers: r + 1, Archived: r%5 == 4,
		Created: BaseTime.Add(time.Duration(r) * 24 * time.Hour),
	}
	info.Updated = info.Created.Add(36 * time.Hour)
	if r == 0 {
		info.Visibility = "PUBLIC"
	}
	if r%5 == 2 {
		info.Description = ""
	}
	if r == 1 {
		info.DefaultBranch = "develop"
	}
	if repos >= 4 && r == repos-1 {
		info.DefaultBranch = ""
	}
	return info
}

// Members of repository r's collaborators: org members u with (u+r)%3 != 2, and its outsider.
func Collaborates(u, r int) bool { return (u+r)%3 != 2 }

// ThreadInfo is an issue or a pull request (they share numbers in a repository: issue n is
// number 2n, pull request n is number 2n-1, as GitHub numbers both in one sequence).
type ThreadInfo struct {
	Repo     RepoInfo
	N        int // 1-based within its kind
	Pull     bool
	ID       string
	Number   int
	Title    string
	Body     string
	State    string // OPEN, CLOSED (issues); OPEN, CLOSED, MERGED (pull requests)
	Author   int    // user index, -1 for a deleted account (author null)
	Created  time.Time
	Updated  time.Time
	Closed   *time.Time
	Merged   *time.Time
	Modified bool
	// Comments, labels, assignees and review requests (user indices); reviews.
	Comments   int
	Labels     int
	Assignees  []int
	Reviewers  []int
	TeamReview bool // a review request of a team (no User fragment: an empty object)
	Reviews    int
}

// ThreadAt is issue (or pull request) n of repository r in a version. bigFirst gives the first
// issue and pull request that many comments (and reviews), so that nested lists need more pages.
func ThreadAt(repo RepoInfo, n int, pull bool, version, per, bigFirst int) ThreadInfo {
	t := ThreadInfo{Repo: repo, N: n, Pull: pull}
	kind := "I_kwDOI"
	t.Number = 2 * n
	if pull {
		kind = "PR_kwDOP"
		t.Number = 2*n - 1
	}
	t.ID = fmt.Sprintf("%s%03d%05d", kind, repo.Index, n)
	t.Created = repo.Created.Add(time.Duration(t.Number) * time.Minute)
	t.Updated = t.Created.Add(2 * time.Hour)
	label := "Issue"
	if pull {
		label = "Pull request"
	}
	t.Title = fmt.Sprintf("%s %d of %s: %s", label, n, repo.Name, words(n+repo.Index, 5))
	t.Body = fmt.Sprintf("Steps: %s.\n\nCafé ✓ — naïve résumé.", words(n*3+repo.Index, 15))
	if n%7 == 4 {
		t.Body = ""
	}
	t.State = "OPEN"
	switch {
	case n%3 == 1:
		t.State = "CLOSED"
		c := t.Created.Add(5 * time.Hour)
		t.Closed = &c
		t.Updated = c
	case pull && n%3 == 2:
		t.State = "MERGED"
		c := t.Created.Add(4 * time.Hour)
		t.Closed, t.Merged = &c, &c
		t.Updated = c
	}
	t.Author = n % 5
	if n%11 == 10 {
		t.Author = -1
	}
	t.Comments = n % 4
	t.Labels = n % 3
	for i := 0; i < n%3; i++ {
		t.Assignees = append(t.Assignees, (n+i)%5)
	}
	if pull {
		t.Reviews = n % 3
		if n%2 == 0 {
			t.Reviewers = []int{(n + 1) % 5}
		}
		t.TeamReview = n%4 == 1
	}
	if n == 1 && bigFirst > 0 {
		t.Comments = bigFirst
		t.Labels = 3
		if pull {
			t.Reviews = bigFirst/2 + 1
		}
	}
	if saasfake.Modified(version, per, n) {
		t.Modified = true
		t.Updated = ModifiedTime
		t.Title += " (edited)"
		t.Body += "\n\nEdited after review."
	}
	return t
}

// CommentBody is comment k of a thread.
func CommentBody(t ThreadInfo, k int) string {
	return fmt.Sprintf("Comment %d on #%d: %s", k, t.Number, words(k+t.Number, 6))
}

// CommentAuthor is the user index of comment k, -1 for a deleted account.
func CommentAuthor(t ThreadInfo, k int) int {
	if k == 2 {
		return -1
	}
	return (k + t.N) % 5
}

// LabelAt is label k of a thread: name and description ("" for null).
func LabelAt(k int) (name, desc string) {
	l := []struct{ n, d string }{{"bug", "Something isn't working"}, {"documentation", ""}, {"good first issue", "Good for newcomers"}}
	return l[k%3].n, l[k%3].d
}

// ReviewAt is review k of a pull request: its id, author, state, body and comment count.
func ReviewAt(t ThreadInfo, k int) (id string, author int, state, body string, comments int) {
	id = fmt.Sprintf("PRR_kwDOR%03d%05d%03d", t.Repo.Index, t.N, k)
	author = (k + 2) % 5
	state = []string{"APPROVED", "COMMENTED", "CHANGES_REQUESTED"}[k%3]
	body = fmt.Sprintf("Review %d: %s", k, words(k+t.N, 4))
	if k%3 == 1 {
		body = ""
	}
	return id, author, state, body, k % 3
}

// ReviewCommentBody is comment c of review k.
func ReviewCommentBody(t ThreadInfo, k, c int) string {
	return fmt.Sprintf("Line note %d.%d: %s", k, c, words(k*10+c, 3))
}

// FileInfo is one file (tree entry) of a repository's default branch.
type FileInfo struct {
	N        int
	Path     string
	Content  string
	SHA      string
	Modified bool
	Updated  time.Time // the last commit touching it
}

// Name is the last path element.
func (f FileInfo) Name() string { return f.Path[strings.LastIndexByte(f.Path, '/')+1:] }

// Indexed says whether the source indexes the file: a .md, .markdown or .rst name, any case.
func (f FileInfo) Indexed() bool {
	n := strings.ToLower(f.Name())
	return strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".markdown") || strings.HasSuffix(n, ".rst")
}

// Dirs are the folders files live in; they are tree entries of type "tree".
var Dirs = []string{"docs", "guides", "guides/sub"}

// FileAt is file n (1-based) of repository r. File 1 is README.md, file 3 has a non-ASCII name;
// the others cycle through extensions the source indexes and others it skips.
func FileAt(repo RepoInfo, n, version, per int) FileInfo {
	exts := []string{".md", ".rst", ".go", ".MD", ".markdown", ".txt"}
	dir := []string{"docs", "guides/sub"}[n%2]
	f := FileInfo{N: n, Path: fmt.Sprintf("%s/page-%d%s", dir, n, exts[n%len(exts)])}
	switch n {
	case 1:
		f.Path = "README.md"
	case 3:
		f.Path = "docs/Über die Suche.md"
	}
	f.Updated = repo.Created.Add(time.Duration(n) * time.Minute)
	f.Content = fmt.Sprintf("# %s\n\n%s\n\nZoë & team — naïve café.\n", f.Path, words(n*5+repo.Index, 30))
	if saasfake.Modified(version, per, n) {
		f.Modified = true
		f.Updated = ModifiedTime
		f.Content += "\nEdited after review.\n"
	}
	sum := sha1.Sum([]byte(f.Content))
	f.SHA = hex.EncodeToString(sum[:])
	return f
}

// Base64 encodes content as GitHub's blob API does: base64 with a line break every 60 characters.
func Base64(content string) string {
	s := base64.StdEncoding.EncodeToString([]byte(content))
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
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
