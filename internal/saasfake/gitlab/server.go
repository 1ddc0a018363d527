// Package gitlab is a local fake of the GitLab APIs the gitlab source calls: the GraphQL API
// (projects, work items — issues and epics — with their widgets, merge requests, releases) at
// /api/graphql and three REST endpoints (the current user, a repository folder with offset
// pagination, a file). It authenticates bearer tokens and throttles as GitLab does when asked
// (429 with Retry-After and RateLimit-* headers).
//
// GitLab publishes no GraphQL schema file and its REST OpenAPI file is partial, so the answers
// are checked against descriptions written from GitLab's reference pages (apidesc/, see
// apidesc/ORIGIN.md) by [NewValidator].
package gitlab

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	sf "github.com/connectors-go/connectors/internal/saasfake"
)

// Config sizes the data set.
type Config struct {
	Projects      int
	IssuesPerProj int
	MRsPerProj    int
	Releases      int // per project
	Epics         int // per group
	// RootFiles adds that many files to every root folder, so that its listing takes pages.
	RootFiles int
	// BigFirst gives issue 1 and merge request 1 of every project that many discussions (and
	// assignees, reviewers), so that nested lists need more pages.
	BigFirst int
	// EpicsForbidden answers the group epic query with a GraphQL error, as GitLab does for a
	// group whose plan has no epics.
	EpicsForbidden bool
}

// Token is the personal access token the fake accepts.
const Token = "glpat-secretPersonalAccessToken00"

// Fake is the fake GitLab. It is an http.Handler.
type Fake struct {
	Auth   sf.Auth
	Faults sf.Faults

	cfg     Config
	mu      sync.RWMutex
	version int
	schema  *sf.GraphQLSchema
	mux     *http.ServeMux
	handler http.Handler
}

// New builds a fake GitLab serving cfg's data set.
func New(cfg Config) *Fake {
	schema, err := Schema()
	if err != nil {
		panic(err)
	}
	f := &Fake{cfg: cfg, version: 1, schema: schema, mux: http.NewServeMux()}
	f.Auth.AddBearer(Token, -1)
	f.mux.HandleFunc("GET /api/v4/user", f.user)
	f.mux.HandleFunc("GET /api/v4/projects/{id}/repository/tree", f.tree)
	f.mux.HandleFunc("GET /api/v4/projects/{id}/repository/files/{path}", f.file)
	f.mux.HandleFunc("POST /api/graphql", f.graphql)
	f.handler = f.Faults.Middleware(f.Auth.Middleware(f.mux, errorBody), errorBody)
	return f
}

// ServeHTTP answers one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }

// Config returns the fake's configuration.
func (f *Fake) Config() Config { return f.cfg }

// Version is 1, or 2 after Mutate.
func (f *Fake) Version() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.version
}

// Mutate moves the data set to version 2: issues and merge requests n ≡ 1 (mod 20) removed, n ≡
// 2 modified, one of each added; every project's last activity moves and its README.md
// changes.
func (f *Fake) Mutate() {
	f.mu.Lock()
	f.version = 2
	f.mu.Unlock()
}

// Project is project p in the current version.
func (f *Fake) Project(p int) ProjectInfo { return ProjectAt(p, f.cfg.Projects, f.Version()) }

func errorBody(status int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"message": fmt.Sprintf("%d %s", status, http.StatusText(status)), "error": msg})
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"message": msg})
	_, _ = w.Write(b)
}

func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ---- REST ----

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"id": 7, "username": "demo-user", "name": "Demo User", "state": "active", "locked": false,
		"avatar_url": nil, "web_url": base(r) + "/demo-user", "created_at": Time(BaseTime), "bot": false, "public_email": nil})
}

func (f *Fake) projectByID(s string) (ProjectInfo, bool) {
	if id, err := strconv.Atoi(s); err == nil && id >= 1000 && id < 1000+f.cfg.Projects {
		return f.Project(id - 1000), true
	}
	for p := 0; p < f.cfg.Projects; p++ {
		if f.Project(p).FullPath() == s {
			return f.Project(p), true
		}
	}
	return ProjectInfo{}, false
}

// tree lists the root folder (the only one the source reads), with GitLab's offset pagination:
// per_page at most 100 (20 by default), X-Next-Page and a Link header.
func (f *Fake) tree(w http.ResponseWriter, r *http.Request) {
	p, ok := f.projectByID(r.PathValue("id"))
	q := r.URL.Query()
	if !ok || p.RootRef == "" {
		writeError(w, http.StatusNotFound, "404 Tree Not Found")
		return
	}
	if ref := q.Get("ref"); ref != "" && ref != p.RootRef {
		writeError(w, http.StatusNotFound, "404 Tree Not Found")
		return
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 20
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	var entries []any
	if path := strings.Trim(q.Get("path"), "/"); path == "" {
		for i, e := range RootEntries(p, f.Version(), f.cfg.RootFiles) {
			mode := "100644"
			if e.Type == "tree" {
				mode = "040000"
			}
			entries = append(entries, map[string]any{"id": fmt.Sprintf("%040x", p.ID*1000+i), "name": e.Name, "type": e.Type, "path": e.Name, "mode": mode})
		}
	}
	total := len(entries)
	start, end := min((page-1)*per, total), min(page*per, total)
	w.Header().Set("X-Page", strconv.Itoa(page))
	w.Header().Set("X-Per-Page", strconv.Itoa(per))
	w.Header().Set("X-Next-Page", "")
	if end < total {
		w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(page+1))
		nq.Set("per_page", strconv.Itoa(per))
		next.RawQuery = nq.Encode()
		w.Header().Set("Link", `<`+base(r)+next.RequestURI()+`>; rel="next"`)
	}
	out := entries[start:end]
	if out == nil {
		out = []any{}
	}
	writeJSON(w, out)
}

func (f *Fake) file(w http.ResponseWriter, r *http.Request) {
	p, ok := f.projectByID(r.PathValue("id"))
	path, _ := url.PathUnescape(r.PathValue("path"))
	if !ok || p.RootRef == "" || r.URL.Query().Get("ref") != p.RootRef {
		writeError(w, http.StatusNotFound, "404 File Not Found")
		return
	}
	for i, e := range RootEntries(p, f.Version(), f.cfg.RootFiles) {
		if e.Name == path && e.Type == "blob" {
			writeJSON(w, map[string]any{"file_name": e.Name, "file_path": e.Name, "size": len(e.Content), "encoding": "base64",
				"content": base64.StdEncoding.EncodeToString([]byte(e.Content)), "content_sha256": fmt.Sprintf("%064x", i),
				"ref": p.RootRef, "blob_id": fmt.Sprintf("%040x", p.ID*1000+i), "commit_id": fmt.Sprintf("%040x", p.ID),
				"last_commit_id": fmt.Sprintf("%040x", p.ID), "execute_filemode": false})
			return
		}
	}
	writeError(w, http.StatusNotFound, "404 File Not Found")
}

// ---- GraphQL ----

func (f *Fake) graphql(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad request")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	op, errs := f.schema.Prepare(body)
	if errs != nil {
		_, _ = w.Write(sf.RequestErrors(errs))
		return
	}
	_, _ = w.Write(f.schema.Execute(op, f.root(base(r))))
}

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
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"id":"%d"}`, i)))
}

func fromCursor(s string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	var c struct{ ID string }
	if json.Unmarshal(b, &c) != nil {
		return 0, false
	}
	n, err := strconv.Atoi(c.ID)
	return n, err == nil
}

// connection pages as GitLab's connections do: first items (at most 100, GitLab's maximum page
// size; 100 when not given) after the cursor.
func connection(typ string, total int, item func(i int) any) lookup {
	return func(args map[string]any) (any, error) {
		first, ok := toInt(args["first"])
		if !ok || first > 100 {
			first = 100
		}
		start := 0
		if a, ok := args["after"].(string); ok && a != "" {
			n, ok := fromCursor(a)
			if !ok {
				return nil, &sf.GQLError{Message: "Please provide a valid cursor"}
			}
			start = n + 1
		}
		end := min(start+max(first, 0), total)
		nodes, edges := []any{}, []any{}
		for i := start; i < end; i++ {
			n := item(i)
			nodes = append(nodes, n)
			edges = append(edges, sf.Obj(strings.TrimSuffix(typ, "Connection")+"Edge", map[string]any{"cursor": cursor(i), "node": n}))
		}
		var sc, ec any
		if end > start {
			sc, ec = cursor(start), cursor(end-1)
		}
		return sf.Obj(typ, map[string]any{
			"nodes": nodes, "edges": edges, "count": total,
			"pageInfo": sf.Obj("PageInfo", map[string]any{"hasNextPage": end < total, "hasPreviousPage": start > 0, "startCursor": sc, "endCursor": ec}),
		}), nil
	}
}

func userObj(typ string, web string, u int) any {
	if u < 0 {
		return nil
	}
	info := UserAt(u)
	return sf.Obj(typ, map[string]any{"id": fmt.Sprintf("gid://gitlab/User/%d", 100+u), "username": info.Username, "name": info.Name, "webUrl": web + "/" + info.Username})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (f *Fake) root(web string) *sf.GQLObject {
	return sf.Obj("Query", map[string]any{
		"currentUser": userObj("UserCore", web, 0),
		"projects": lookup(func(args map[string]any) (any, error) {
			var list []ProjectInfo
			paths, hasPaths := args["fullPaths"].([]any)
			for p := 0; p < f.cfg.Projects; p++ {
				info := f.Project(p)
				if hasPaths {
					found := false
					for _, x := range paths {
						found = found || x == info.FullPath()
					}
					if !found {
						continue
					}
				}
				list = append(list, info)
			}
			return connection("ProjectConnection", len(list), func(i int) any { return f.projectObj(web, list[i]) })(args)
		}),
		"project": lookup(func(args map[string]any) (any, error) {
			for p := 0; p < f.cfg.Projects; p++ {
				if info := f.Project(p); info.FullPath() == args["fullPath"] {
					return f.projectObj(web, info), nil
				}
			}
			return nil, nil // GitLab answers null for a project it cannot show
		}),
		"group": lookup(func(args map[string]any) (any, error) {
			path := fmt.Sprint(args["fullPath"])
			for _, g := range Groups {
				if g == path {
					return f.groupObj(web, g), nil
				}
			}
			return nil, nil
		}),
	})
}

func (f *Fake) groupObj(web, g string) *sf.GQLObject {
	return sf.Obj("Group", map[string]any{
		"id": fmt.Sprintf("gid://gitlab/Group/%d", 50+strings.Count(g, "/")), "name": g[strings.LastIndexByte(g, '/')+1:], "fullPath": g, "webUrl": web + "/groups/" + g,
		"workItems": lookup(func(args map[string]any) (any, error) {
			if f.cfg.EpicsForbidden {
				return nil, &sf.GQLError{Message: "The resource that you are attempting to access does not exist or you don't have permission to perform this action"}
			}
			if !wantsType(args, "EPIC") {
				return connection("WorkItemConnection", 0, nil)(args)
			}
			epics := f.cfg.Epics
			if iid, ok := args["iid"].(string); ok {
				n, _ := strconv.Atoi(iid)
				if n < 1 || n > epics {
					return connection("WorkItemConnection", 0, nil)(args)
				}
				return connection("WorkItemConnection", 1, func(int) any { return f.workItemObj(web, g, EpicAt(g, n), false, true) })(args)
			}
			return connection("WorkItemConnection", epics, func(i int) any { return f.workItemObj(web, g, EpicAt(g, i+1), false, true) })(args)
		}),
	})
}

func wantsType(args map[string]any, t string) bool {
	types, ok := args["types"].([]any)
	if !ok {
		return true
	}
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

func (f *Fake) projectObj(web string, p ProjectInfo) *sf.GQLObject {
	v := f.Version()
	var group, repo, la any
	if p.Group != "" {
		group = f.groupObj(web, p.Group)
	}
	repo = sf.Obj("Repository", map[string]any{"rootRef": nullable(p.RootRef), "empty": p.RootRef == "", "exists": true})
	if p.LastActivity != nil {
		la = Time(*p.LastActivity)
	}
	issues := sf.Items(v, f.cfg.IssuesPerProj)
	mrs := sf.Items(v, f.cfg.MRsPerProj)
	issue := func(n int) WorkItemInfo { return IssueAt(p, n, v, f.cfg.IssuesPerProj, f.cfg.BigFirst) }
	mr := func(n int) MRInfo { return MRAt(p, n, v, f.cfg.MRsPerProj, f.cfg.BigFirst) }
	return sf.Obj("Project", map[string]any{
		"id": fmt.Sprintf("gid://gitlab/Project/%d", p.ID), "name": p.Name, "path": p.Path, "fullPath": p.FullPath(),
		"description": nullable(p.Description), "visibility": p.Visibility, "starCount": p.Stars, "forksCount": p.Forks,
		"createdAt": Time(p.Created), "lastActivityAt": la, "archived": p.Archived, "webUrl": web + "/" + p.FullPath(),
		"repository": repo, "group": group,
		"workItems": lookup(func(args map[string]any) (any, error) {
			if !wantsType(args, "ISSUE") {
				return connection("WorkItemConnection", 0, nil)(args)
			}
			list := issues
			if iid, ok := args["iid"].(string); ok {
				n, _ := strconv.Atoi(iid)
				list = nil
				if sf.Exists(v, f.cfg.IssuesPerProj, n) {
					list = []int{n}
				}
			}
			return connection("WorkItemConnection", len(list), func(i int) any { return f.workItemObj(web, p.FullPath(), issue(list[i]), true, false) })(args)
		}),
		"mergeRequests": connection("MergeRequestConnection", len(mrs), func(i int) any { return f.mrObj(web, p, mr(mrs[i])) }),
		"mergeRequest": lookup(func(args map[string]any) (any, error) {
			n, _ := strconv.Atoi(fmt.Sprint(args["iid"]))
			if !sf.Exists(v, f.cfg.MRsPerProj, n) {
				return nil, nil
			}
			return f.mrObj(web, p, mr(n)), nil
		}),
		"releases": connection("ReleaseConnection", f.cfg.Releases, func(i int) any { return f.releaseObj(web, p, ReleaseAt(p, f.cfg.Releases-i)) }),
	})
}

func (f *Fake) discussionsOf(web, owner string, counts []int, w WorkItemInfo, diff bool) lookup {
	return connection("DiscussionConnection", len(counts), func(k int) any {
		notes := counts[k]
		return sf.Obj("Discussion", map[string]any{
			"id": fmt.Sprintf("gid://gitlab/Discussion/%040x", hash(owner)*100+k), "createdAt": Time(w.Created), "resolved": false,
			"notes": connection("NoteConnection", notes, func(j int) any {
				n := NoteAt(owner, k, j, w.Created, diff)
				var pos any
				if n.Position {
					pos = sf.Obj("DiffPosition", map[string]any{"filePath": "src/main.go", "newLine": 10 + k, "oldLine": nil, "newPath": "src/main.go", "oldPath": "src/main.go", "positionType": "text"})
				}
				return sf.Obj("Note", map[string]any{"id": n.ID, "body": n.Body, "createdAt": Time(n.Created), "updatedAt": Time(n.Updated),
					"system": n.System, "internal": false, "author": userObj("UserCore", web, n.Author), "position": pos})
			}),
		})
	})
}

func labelsOf(names []string) lookup {
	return connection("LabelConnection", len(names), func(i int) any {
		return sf.Obj("Label", map[string]any{"id": fmt.Sprintf("gid://gitlab/ProjectLabel/%d", hash(names[i])%1000), "title": names[i], "color": "#428BCA", "description": nil})
	})
}

func usersOf(typ, web string, users []int) lookup {
	return connection(typ+"Connection", len(users), func(i int) any { return userObj(typ, web, users[i]) })
}

func (f *Fake) workItemObj(web, parent string, w WorkItemInfo, inProject, epic bool) *sf.GQLObject {
	var closed any
	if w.Closed != nil {
		closed = Time(*w.Closed)
	}
	kind := "issues"
	if epic {
		kind = "epics"
	}
	prefix := web + "/" + parent
	if epic {
		prefix = web + "/groups/" + parent
	}
	widgets := []any{
		sf.Obj("WorkItemWidgetAssignees", map[string]any{"type": "ASSIGNEES", "allowsMultipleAssignees": true, "assignees": usersOf("UserCore", web, w.Assignees)}),
		sf.Obj("WorkItemWidgetDescription", map[string]any{"type": "DESCRIPTION", "description": nullable(w.Desc), "edited": false}),
		sf.Obj("WorkItemWidgetLabels", map[string]any{"type": "LABELS", "allowsScopedLabels": true, "labels": labelsOf(w.Labels)}),
		sf.Obj("WorkItemWidgetMilestone", map[string]any{"type": "MILESTONE", "milestone": nil}),
		sf.Obj("WorkItemWidgetNotes", map[string]any{"type": "NOTES", "discussions": f.discussionsOf(web, w.ID, w.Discussions, w, false)}),
		sf.Obj("WorkItemWidgetStartAndDueDate", map[string]any{"type": "START_AND_DUE_DATE", "dueDate": nil, "startDate": nil}),
	}
	if epic {
		var parentObj any
		if w.N > 1 {
			p := EpicAt(parent, 1)
			parentObj = sf.Obj("WorkItem", map[string]any{"id": p.ID, "iid": strconv.Itoa(p.N), "title": p.Title})
		}
		var children []WorkItemInfo
		if w.N == 1 {
			for e := 2; e <= f.cfg.Epics; e++ {
				children = append(children, EpicAt(parent, e))
			}
		}
		widgets = append(widgets,
			sf.Obj("WorkItemWidgetHierarchy", map[string]any{"type": "HIERARCHY", "hasParent": w.N > 1, "hasChildren": len(children) > 0, "parent": parentObj,
				"children": connection("WorkItemConnection", len(children), func(i int) any {
					c := children[i]
					return sf.Obj("WorkItem", map[string]any{"id": c.ID, "iid": strconv.Itoa(c.N), "title": c.Title})
				})}),
			sf.Obj("WorkItemWidgetLinkedItems", map[string]any{"type": "LINKED_ITEMS", "linkedItems": connection("LinkedWorkItemTypeConnection", min(1, f.cfg.Epics-w.N), func(int) any {
				o := EpicAt(parent, w.N+1)
				return sf.Obj("LinkedWorkItemType", map[string]any{"linkId": fmt.Sprintf("gid://gitlab/WorkItems::RelatedWorkItemLink/%d", w.N), "linkType": "relates_to",
					"linkCreatedAt": Time(w.Created), "linkUpdatedAt": Time(w.Updated),
					"workItem": sf.Obj("WorkItem", map[string]any{"id": o.ID, "iid": strconv.Itoa(o.N), "title": o.Title})})
			})}),
		)
	}
	return sf.Obj("WorkItem", map[string]any{
		"id": w.ID, "iid": strconv.Itoa(w.N), "title": w.Title, "state": w.State, "createdAt": Time(w.Created), "updatedAt": Time(w.Updated),
		"closedAt": closed, "webUrl": fmt.Sprintf("%s/-/%s/%d", prefix, kind, w.N), "author": userObj("UserCore", web, w.Author),
		"workItemType": sf.Obj("WorkItemType", map[string]any{"id": "gid://gitlab/WorkItems::Type/1", "name": w.Type}),
		"widgets":      widgets,
	})
}

func (f *Fake) mrObj(web string, p ProjectInfo, m MRInfo) *sf.GQLObject {
	var merged, closed any
	if m.Merged != nil {
		merged = Time(*m.Merged)
	}
	if m.Closed != nil {
		closed = Time(*m.Closed)
	}
	asWork := WorkItemInfo{Created: m.Created}
	return sf.Obj("MergeRequest", map[string]any{
		"id": m.ID, "iid": strconv.Itoa(m.N), "title": m.Title, "description": nullable(m.Desc), "state": m.State,
		"createdAt": Time(m.Created), "updatedAt": Time(m.Updated), "mergedAt": merged, "closedAt": closed,
		"webUrl": fmt.Sprintf("%s/%s/-/merge_requests/%d", web, p.FullPath(), m.N), "sourceBranch": m.Source, "targetBranch": "main",
		"author": userObj("MergeRequestAuthor", web, m.Author), "mergeUser": userObj("UserCore", web, m.MergeUser),
		"userNotesCount": len(m.Discussions),
		"assignees":      usersOf("MergeRequestAssignee", web, m.Assignees),
		"reviewers":      usersOf("MergeRequestReviewer", web, m.Reviewers),
		"approvedBy":     usersOf("UserCore", web, m.Approvers),
		"labels":         labelsOf(m.Labels),
		"discussions":    f.discussionsOf(web, m.ID, m.Discussions, asWork, true),
	})
}

func (f *Fake) releaseObj(web string, p ProjectInfo, r ReleaseInfo) *sf.GQLObject {
	var released, commit any
	if r.Released != nil {
		released = Time(*r.Released)
	}
	if r.CommitSHA != "" {
		commit = sf.Obj("Commit", map[string]any{"id": "gid://gitlab/CommitPresenter/" + r.CommitSHA, "sha": r.CommitSHA, "title": "Release " + r.Tag, "message": "Release " + r.Tag + "\n"})
	}
	return sf.Obj("Release", map[string]any{
		"tagName": r.Tag, "name": r.Name, "description": r.Desc, "createdAt": Time(r.Created), "releasedAt": released,
		"author": userObj("UserCore", web, r.Author), "commit": commit,
		"milestones": connection("MilestoneConnection", len(r.Milestones), func(i int) any {
			return sf.Obj("Milestone", map[string]any{"id": fmt.Sprintf("gid://gitlab/Milestone/%d", i+1), "title": r.Milestones[i]})
		}),
		"assets": sf.Obj("ReleaseAssets", map[string]any{"count": len(r.Links) + 4, // GitLab counts the four source archives
			"links": connection("ReleaseAssetLinkConnection", len(r.Links), func(i int) any {
				l := r.Links[i]
				return sf.Obj("ReleaseAssetLink", map[string]any{"id": fmt.Sprintf("gid://gitlab/Releases::Link/%d", i+1), "name": l.Name, "url": l.URL, "linkType": l.Type, "directAssetUrl": l.URL})
			})}),
	})
}
