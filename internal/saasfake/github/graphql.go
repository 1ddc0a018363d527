package github

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	sf "github.com/connectors-go/connectors/internal/saasfake"
)

// The GraphQL objects the fake answers with. Values are written as GitHub writes them (enums in
// capitals, DateTime in UTC with Z); the answers are checked against GitHub's schema, not
// against what the source expects.

type lookup = func(map[string]any) (any, error)

func toInt(v any) (int, bool) {
	switch t := v.(type) {
	case int:
		return t, true
	case int64:
		return int(t), true
	case float64:
		return int(t), true
	case json.Number:
		i, err := t.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func cursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(i)))
}

func fromCursor(s string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:v2:"))
	return n, err == nil
}

// connection pages through total items as GitHub's connections do: first (at most 100) items
// after the cursor, with nodes, edges and pageInfo.
func connection(typ string, total int, item func(i int) any, edge func(i int, node any) map[string]any) lookup {
	return func(args map[string]any) (any, error) {
		first, ok := toInt(args["first"])
		if !ok {
			if _, hasLast := args["last"]; !hasLast {
				return nil, &sf.GQLError{Type: "MISSING_PAGINATION_BOUNDARIES", Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", typ)}
			}
			return nil, fmt.Errorf("the fake pages forwards only")
		}
		if first > 100 || first < 0 {
			return nil, &sf.GQLError{Type: "EXCESSIVE_PAGINATION", Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of 100 records.", first, typ)}
		}
		start := 0
		if a, ok := args["after"].(string); ok && a != "" {
			n, ok := fromCursor(a)
			if !ok {
				return nil, &sf.GQLError{Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", a)}
			}
			start = n + 1
		}
		end := min(start+first, total)
		var nodes, edges []any
		for i := start; i < end; i++ {
			n := item(i)
			nodes = append(nodes, n)
			e := map[string]any{"cursor": cursor(i), "node": n}
			if edge != nil {
				for k, v := range edge(i, n) {
					e[k] = v
				}
			}
			edges = append(edges, sf.Obj(strings.TrimSuffix(typ, "Connection")+"Edge", e))
		}
		if nodes == nil {
			nodes, edges = []any{}, []any{}
		}
		var startC, endC any
		if end > start {
			startC, endC = cursor(start), cursor(end-1)
		}
		return sf.Obj(typ, map[string]any{
			"nodes": nodes, "edges": edges, "totalCount": total,
			"pageInfo": sf.Obj("PageInfo", map[string]any{"hasNextPage": end < total, "hasPreviousPage": start > 0, "startCursor": startC, "endCursor": endC}),
		}), nil
	}
}

func (f *Fake) root(r *http.Request) *sf.GQLObject {
	web := webBase(r)
	return sf.Obj("Query", map[string]any{
		"viewer": f.userObj(web, UserAt(0), f.cfg.Viewer),
		"user": lookup(func(args map[string]any) (any, error) {
			login, _ := args["login"].(string)
			if login == f.cfg.Viewer || login == f.cfg.Owner && f.cfg.OwnerIsUser {
				return f.userObj(web, UserAt(0), login), nil
			}
			return nil, &sf.GQLError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a User with the login of '%s'.", login)}
		}),
		"organization": lookup(func(args map[string]any) (any, error) {
			login, _ := args["login"].(string)
			if login != f.cfg.Owner || f.cfg.OwnerIsUser {
				return nil, &sf.GQLError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to an Organization with the login of '%s'.", login)}
			}
			return f.orgObj(web), nil
		}),
		"repository": lookup(func(args map[string]any) (any, error) {
			owner, _ := args["owner"].(string)
			name, _ := args["name"].(string)
			if repo, ok := f.repoByName(owner, name); ok {
				return f.repoObj(web, repo), nil
			}
			return nil, &sf.GQLError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)}
		}),
		"search": lookup(func(args map[string]any) (any, error) { return f.search(web, args) }),
	})
}

func (f *Fake) repoByName(owner, name string) (RepoInfo, bool) {
	s, ok := strings.CutPrefix(name, "repo-")
	n, err := strconv.Atoi(s)
	if owner != f.cfg.Owner || !ok || err != nil || n < 0 || n >= f.cfg.Repos || strconv.Itoa(n) != s {
		return RepoInfo{}, false
	}
	return f.Repo(n), true
}

// userObj is a User; the viewer and a personal owner are user 0 under their own login.
func (f *Fake) userObj(web string, u UserInfo, login string) *sf.GQLObject {
	if login == "" {
		login = u.Login
	}
	m := map[string]any{
		"id": u.ID, "login": login, "name": u.Name, "email": u.Email, "updatedAt": Time(u.Updated),
		"createdAt": Time(BaseTime), "url": web + "/" + login,
	}
	if login == f.cfg.Owner && f.cfg.OwnerIsUser {
		m["repositories"] = f.reposConnection(web)
	} else {
		m["repositories"] = connection("RepositoryConnection", 0, nil, nil)
	}
	return sf.Obj("User", m)
}

func (f *Fake) orgObj(web string) *sf.GQLObject {
	return sf.Obj("Organization", map[string]any{
		"id": "O_kgDOORG", "login": f.cfg.Owner, "name": "Demo Organization", "url": web + "/" + f.cfg.Owner,
		"repositories": f.reposConnection(web),
		"membersWithRole": connection("OrganizationMemberConnection", f.cfg.Members,
			func(i int) any { return f.userObj(web, UserAt(i), "") },
			func(i int, _ any) map[string]any {
				return map[string]any{"role": []string{"ADMIN", "MEMBER"}[min(i, 1)], "hasTwoFactorEnabled": nil}
			}),
	})
}

func (f *Fake) reposConnection(web string) lookup {
	return connection("RepositoryConnection", f.cfg.Repos, func(i int) any { return f.repoObj(web, f.Repo(i)) }, nil)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (f *Fake) repoObj(web string, repo RepoInfo) *sf.GQLObject {
	v := f.Version()
	var lang, branch any
	if repo.Language != "" {
		lang = sf.Obj("Language", map[string]any{"name": repo.Language, "id": "L_" + repo.Language, "color": "#00ADD8"})
	}
	if repo.DefaultBranch != "" {
		branch = sf.Obj("Ref", map[string]any{"name": repo.DefaultBranch, "id": "REF_" + repo.ID, "prefix": "refs/heads/"})
	}
	issues := sf.Items(v, f.cfg.IssuesPerRepo)
	pulls := sf.Items(v, f.cfg.PullsPerRepo)
	collaborators := []UserInfo{}
	for u := 0; u < f.cfg.Members; u++ {
		if Collaborates(u, repo.Index) {
			collaborators = append(collaborators, UserAt(u))
		}
	}
	collaborators = append(collaborators, Outsider(repo.Index))
	thread := func(n int, pull bool) *sf.GQLObject {
		per := f.cfg.IssuesPerRepo
		if pull {
			per = f.cfg.PullsPerRepo
		}
		return f.threadObj(web, ThreadAt(repo, n, pull, v, per, f.cfg.BigFirst))
	}
	byNumber := func(pull bool) lookup {
		return func(args map[string]any) (any, error) {
			num, _ := toInt(args["number"])
			n, per := num/2, f.cfg.IssuesPerRepo
			if pull {
				n, per = (num+1)/2, f.cfg.PullsPerRepo
			}
			if (num%2 == 1) == pull && sf.Exists(v, per, n) {
				return thread(n, pull), nil
			}
			kind := "Issue"
			if pull {
				kind = "PullRequest"
			}
			return nil, &sf.GQLError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a %s with the number of %d.", kind, num)}
		}
	}
	return sf.Obj("Repository", map[string]any{
		"id": repo.ID, "updatedAt": Time(repo.Updated), "name": repo.Name, "nameWithOwner": repo.FullName(),
		"url": web + "/" + repo.FullName(), "description": nullable(repo.Description), "visibility": repo.Visibility,
		"primaryLanguage": lang, "defaultBranchRef": branch, "isFork": repo.Fork, "stargazerCount": repo.Stars,
		"watchers": lookup(func(map[string]any) (any, error) {
			return sf.Obj("UserConnection", map[string]any{"totalCount": repo.Watchers}), nil
		}),
		"forkCount": repo.Forks, "createdAt": Time(repo.Created), "isArchived": repo.Archived,
		"pullRequests": connection("PullRequestConnection", len(pulls), func(i int) any { return thread(pulls[i], true) }, nil),
		"issues":       connection("IssueConnection", len(issues), func(i int) any { return thread(issues[i], false) }, nil),
		"pullRequest":  byNumber(true),
		"issue":        byNumber(false),
		"collaborators": connection("RepositoryCollaboratorConnection", len(collaborators),
			func(i int) any { return f.userObj(web, collaborators[i], "") },
			func(int, any) map[string]any { return map[string]any{"permission": "WRITE"} }),
	})
}

func (f *Fake) actor(web string, u int) any {
	if u < 0 {
		return nil // a deleted account ("ghost")
	}
	info := UserAt(u)
	return sf.Obj("User", map[string]any{"login": info.Login, "id": info.ID, "url": web + "/" + info.Login})
}

func (f *Fake) threadObj(web string, t ThreadInfo) *sf.GQLObject {
	kind, typ := "issues", "Issue"
	if t.Pull {
		kind, typ = "pull", "PullRequest"
	}
	var closed, merged any
	if t.Closed != nil {
		closed = Time(*t.Closed)
	}
	if t.Merged != nil {
		merged = Time(*t.Merged)
	}
	comment := func(k int) any {
		return sf.Obj("IssueComment", map[string]any{"author": f.actor(web, CommentAuthor(t, k)), "body": CommentBody(t, k)})
	}
	label := func(k int) any {
		n, d := LabelAt(k)
		return sf.Obj("Label", map[string]any{"name": n, "description": nullable(d)})
	}
	assignee := func(k int) any {
		u := UserAt(t.Assignees[k])
		return sf.Obj("User", map[string]any{"login": u.Login})
	}
	m := map[string]any{
		"id": t.ID, "updatedAt": Time(t.Updated), "number": t.Number, "url": fmt.Sprintf("%s/%s/%s/%d", web, t.Repo.FullName(), kind, t.Number),
		"createdAt": Time(t.Created), "closedAt": closed, "title": t.Title, "body": t.Body, "state": t.State,
		"author":    f.actor(web, t.Author),
		"assignees": connection("UserConnection", len(t.Assignees), assignee, nil),
		"labels":    connection("LabelConnection", t.Labels, label, nil),
		"comments":  connection("IssueCommentConnection", t.Comments, comment, nil),
	}
	if t.Pull {
		m["mergedAt"] = merged
		var requests []any
		for _, u := range t.Reviewers {
			info := UserAt(u)
			requests = append(requests, sf.Obj("ReviewRequest", map[string]any{"requestedReviewer": sf.Obj("User", map[string]any{"login": info.Login})}))
		}
		if t.TeamReview {
			requests = append(requests, sf.Obj("ReviewRequest", map[string]any{"requestedReviewer": sf.Obj("Team", map[string]any{"name": "reviewers"})}))
		}
		m["reviewRequests"] = connection("ReviewRequestConnection", len(requests), func(i int) any { return requests[i] }, nil)
		m["reviews"] = connection("PullRequestReviewConnection", t.Reviews, func(k int) any {
			id, author, state, body, comments := ReviewAt(t, k)
			return sf.Obj("PullRequestReview", map[string]any{
				"id": id, "author": f.actor(web, author), "state": state, "body": body,
				"comments": connection("PullRequestReviewCommentConnection", comments, func(c int) any {
					return sf.Obj("PullRequestReviewComment", map[string]any{"body": ReviewCommentBody(t, k, c)})
				}, nil),
			})
		}, nil)
	}
	return sf.Obj(typ, m)
}

// search answers the issue searches advanced rules run: "repo:OWNER/NAME is:pr|is:issue …";
// the other qualifiers the fake understands are is:open and is:closed.
var reRepo = regexp.MustCompile(`(?:^|\s)repo:(\S+)`)

func (f *Fake) search(web string, args map[string]any) (any, error) {
	q, _ := args["query"].(string)
	if args["type"] != "ISSUE" {
		return nil, fmt.Errorf("the fake searches issues only")
	}
	m := reRepo.FindStringSubmatch(q)
	var matches []*sf.GQLObject
	if m != nil {
		owner, name, _ := strings.Cut(m[1], "/")
		if repo, ok := f.repoByName(owner, name); ok {
			v := f.Version()
			fields := strings.Fields(q)
			has := func(s string) bool {
				for _, x := range fields {
					if x == s {
						return true
					}
				}
				return false
			}
			for _, pull := range []bool{true, false} {
				if (pull && has("is:issue")) || (!pull && has("is:pr")) {
					continue
				}
				per := f.cfg.IssuesPerRepo
				if pull {
					per = f.cfg.PullsPerRepo
				}
				for _, n := range sf.Items(v, per) {
					t := ThreadAt(repo, n, pull, v, per, f.cfg.BigFirst)
					if (has("is:open") && t.State != "OPEN") || (has("is:closed") && t.State == "OPEN") {
						continue
					}
					matches = append(matches, f.threadObj(web, t))
				}
			}
		}
	}
	conn, err := connection("SearchResultItemConnection", len(matches), func(i int) any { return matches[i] }, nil)(args)
	if err != nil {
		return nil, err
	}
	return &sf.GQLObject{Type: "SearchResultItemConnection", Fields: func(field string, a map[string]any) (any, error) {
		if field == "issueCount" {
			return len(matches), nil
		}
		return conn.(*sf.GQLObject).Fields(field, a)
	}}, nil
}
