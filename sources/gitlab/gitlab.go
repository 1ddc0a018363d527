// Package gitlab is the GitLab source (service type gitlab): the projects a personal access
// token's user is a member of on GitLab.com, with their issues (work items), merge requests,
// releases, README files and their groups' epics, read through GitLab's GraphQL API and three
// REST endpoints as the original connector reads them. docs/sources/gitlab.md describes the
// documents and the differences.
package gitlab

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/sources/internal/saasclient"
)

// ServiceType is the connector service type of this source.
const ServiceType = "gitlab"

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "GitLab",
	Features:    connector.Features{BasicRules: true},
	Fields: []connector.Field{
		{Key: "token", Label: "Personal access token", Order: 1, Sensitive: true,
			Tooltip: "A GitLab personal access token with the api, read_api and read_repository scopes."},
		{Key: "projects", Label: "Projects", Order: 2, Type: connector.TypeList, Display: connector.DisplayTextarea, Value: []any{},
			Tooltip: "Project paths such as group/project, comma-separated, or * for every project the token's user is a member of."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// baseURL is GitLab.com; the original's functional tests point it at their mock with
// GITLAB_FTEST_HOST when RUNNING_FTEST is set, and so does this source.
func baseURL() string {
	if _, ftest := os.LookupEnv("RUNNING_FTEST"); ftest {
		if h := strings.TrimRight(os.Getenv("GITLAB_FTEST_HOST"), "/"); h != "" {
			return h
		}
	}
	return "https://gitlab.com"
}

// Source reads the projects of one GitLab.com account.
type Source struct {
	base     string
	projects []string
	all      bool
	client   *saasclient.Client
	log      *slog.Logger
}

// New builds a source from its configuration; it does not contact GitLab.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := &Source{base: baseURL(), log: env.Log().With("service_type", ServiceType)}
	for _, p := range cfg.List("projects") {
		if p = strings.TrimSpace(p); p != "" {
			s.projects = append(s.projects, p)
		}
	}
	s.all = len(s.projects) == 0 || contains(s.projects, "*")
	token := strings.TrimSpace(cfg.String("token"))
	httpc, conns := saasclient.TrackedHTTP(&http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, Proxy: http.ProxyFromEnvironment},
		300*time.Second)
	s.client = &saasclient.Client{
		HTTP:    httpc,
		Conns:   conns,
		Prepare: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
		Retries: 3,
		// GitLab.com often sends no rate-limit headers with a 429; the original then waits 60 s.
		DefaultRetryAfter: 60 * time.Second,
		Log:               s.log,
	}
	return s, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// explain names the setting at fault, with the original's wording.
func (s *Source) explain(err error) error {
	var se *saasclient.StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusUnauthorized:
			return fmt.Errorf("configuration field \"token\": Authentication failed: GitLab refused the token (check it has not expired or been revoked): %w", err)
		case http.StatusForbidden:
			return fmt.Errorf("configuration field \"token\": Access forbidden: the token lacks a scope (api, read_api, read_repository): %w", err)
		case http.StatusNotFound:
			//lint:ignore ST1005 the original's message, which users know
			return fmt.Errorf("Resource not found: %w", err)
		}
	}
	return err
}

// GraphQLError is a query GitLab answered with errors.
type GraphQLError struct{ Errors []map[string]any }

func (e *GraphQLError) Error() string {
	b, _ := json.Marshal(e.Errors)
	return "GraphQL errors: " + string(b)
}

func (s *Source) graphql(ctx context.Context, query string, vars map[string]any) (map[string]any, error) {
	var out struct {
		Data   map[string]any   `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	body := map[string]any{"query": query}
	if len(vars) > 0 {
		body["variables"] = vars
	}
	if err := s.client.PostJSON(ctx, s.base+"/api/graphql", body, &out); err != nil {
		return nil, s.explain(err)
	}
	if len(out.Errors) > 0 {
		return out.Data, &GraphQLError{Errors: out.Errors}
	}
	return out.Data, nil
}

// paginate follows the connection at keys.
func (s *Source) paginate(ctx context.Context, query string, vars map[string]any, keys []string, each func(conn map[string]any) error) error {
	v := map[string]any{}
	for k, x := range vars {
		v[k] = x
	}
	for {
		data, err := s.graphql(ctx, query, v)
		if err != nil {
			return err
		}
		conn, _ := get(data, keys...).(map[string]any)
		if conn == nil {
			return nil // the parent is gone or not visible
		}
		if err := each(conn); err != nil {
			return err
		}
		if next, _ := get(conn, "pageInfo", "hasNextPage").(bool); !next {
			return nil
		}
		v["cursor"] = get(conn, "pageInfo", "endCursor")
	}
}

// JSON walkers, shared with the other GraphQL source (saasclient).
var (
	get  = saasclient.Get
	str  = saasclient.Str
	list = saasclient.List
)

// extractID is the last segment of a global id: gid://gitlab/Project/123 → 123.
func extractID(gid string) string { return gid[strings.LastIndexByte(gid, '/')+1:] }

// iid turns GitLab's String iid into the integer the original's models make of it.
func iid(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return s
}

// Ping reads the token's user.
func (s *Source) Ping(ctx context.Context) error {
	var me map[string]any
	if err := s.client.GetJSON(ctx, s.base+"/api/v4/user", &me); err != nil {
		//lint:ignore ST1005 the original's message, which users know
		return fmt.Errorf("Failed to connect to GitLab: %w", s.explain(err))
	}
	return nil
}

// ValidateConfig checks the token and that the configured projects can be read, 50 per query.
func (s *Source) ValidateConfig(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("configuration field \"token\": Failed to authenticate with GitLab: %w", err)
	}
	if s.all {
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i < len(s.projects); i += validateBatch {
		batch := s.projects[i:min(i+validateBatch, len(s.projects))]
		paths := make([]any, len(batch))
		for j, p := range batch {
			paths[j] = p
		}
		data, err := s.graphql(ctx, validateProjectsQuery, map[string]any{"projectPaths": paths})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("could not check a batch of projects", "error", err.Error())
			continue
		}
		for _, n := range list(data, "projects", "nodes") {
			seen[str(n, "fullPath")] = true
		}
	}
	var bad []string
	for _, p := range s.projects {
		if !seen[p] {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		//lint:ignore ST1005 the original's message, which users know
		return fmt.Errorf("configuration field \"projects\": The following projects are not accessible: %s. Please check the project paths and ensure your token has access.", strings.Join(bad, ", "))
	}
	return nil
}

// Close ends the source's connections.
func (s *Source) Close() error {
	s.client.Close()
	return nil
}

// isStop reports an error that ends the sync rather than a part of it.
func isStop(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if saasclient.IsStatus(err, http.StatusUnauthorized) {
		return true
	}
	var de *connector.DocumentError
	return errors.As(err, &de)
}

// Docs emits, for every project the token's user is a member of (and that is configured), the
// project, its issues, merge requests and releases, its group's epics (once per group) and its
// README files.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	resume := req.Checkpoint
	skipUntil, _ := resume["last_project"].(string)
	seenGroups := map[string]bool{}
	done := 0
	err := s.paginate(ctx, projectsQuery, nil, []string{"projects"}, func(conn map[string]any) error {
		for _, n := range list(conn, "nodes") {
			p, _ := n.(map[string]any)
			path := str(p, "fullPath")
			if p == nil || (!s.all && !contains(s.projects, path)) {
				continue
			}
			if g := str(p, "group", "fullPath"); g != "" && skipUntil != "" {
				seenGroups[g] = true // its epics were synced before the checkpoint
			}
			if skipUntil != "" {
				if path == skipUntil {
					skipUntil = ""
				}
				continue
			}
			if err := s.project(ctx, req, p, seenGroups, emit); err != nil {
				return err
			}
			done++
			req.SaveCheckpoint(map[string]any{"last_project": path})
		}
		return nil
	})
	if err != nil {
		if isStop(ctx, err) {
			return err
		}
		req.ReportIncomplete("GitLab projects", err)
	}
	return nil
}

func (s *Source) project(ctx context.Context, req connector.DocsRequest, p map[string]any, seenGroups map[string]bool, emit func(connector.Document) error) error {
	path := str(p, "fullPath")
	pid := extractID(str(p, "id"))
	s.log.Info("syncing project", "project", path)
	doc := projectDoc(p)
	if err := emit(doc); err != nil {
		return connector.DocError(doc.ID, err)
	}
	part := func(scope string, err error) error {
		if err == nil {
			return nil
		}
		if isStop(ctx, err) {
			return err
		}
		req.ReportIncomplete(scope, err)
		return nil
	}
	if err := part("GitLab issues of "+path, s.workItems(ctx, false, path, pid, "ISSUE", emit)); err != nil {
		return err
	}
	if err := part("GitLab merge requests of "+path, s.mergeRequests(ctx, path, pid, emit)); err != nil {
		return err
	}
	if err := part("GitLab releases of "+path, s.releases(ctx, path, pid, emit)); err != nil {
		return err
	}
	if g := str(p, "group", "fullPath"); g != "" && !seenGroups[g] {
		seenGroups[g] = true
		err := s.workItems(ctx, true, g, "", "EPIC", emit)
		var gerr *GraphQLError
		if errors.As(err, &gerr) {
			// Epics need GitLab Premium; a group without them answers with an error, which the
			// original only logs.
			s.log.Warn("could not read the group's epics", "group", g, "error", err.Error())
			err = nil
		}
		if err := part("GitLab epics of "+g, err); err != nil {
			return err
		}
	}
	return part("GitLab README files of "+path, s.readmes(ctx, p, pid, emit))
}

// projectDoc is a project's document, with the original's field names. The original also puts
// the numeric id in "id", which its sink then overwrites with the _id ("project_<id>"); the
// service writes that here, so the index holds the same.
func projectDoc(p map[string]any) connector.Document {
	pid := extractID(str(p, "id"))
	ts := str(p, "lastActivityAt")
	if ts == "" {
		ts = str(p, "createdAt")
	}
	return connector.Document{ID: "project_" + pid, Timestamp: ts, Fields: map[string]any{
		"type": "Project", "name": get(p, "name"), "path": get(p, "path"), "full_path": get(p, "fullPath"),
		"description": get(p, "description"), "visibility": get(p, "visibility"), "star_count": get(p, "starCount"),
		"forks_count": get(p, "forksCount"), "created_at": get(p, "createdAt"), "last_activity_at": get(p, "lastActivityAt"),
		"archived": get(p, "archived"), "default_branch": get(p, "repository", "rootRef"), "web_url": get(p, "webUrl"),
	}}
}

func usernames(nodes []any, key string) []any {
	out := []any{}
	for _, n := range nodes {
		out = append(out, get(n, key))
	}
	return out
}

func user(v any) (username, name any) {
	if v == nil {
		return nil, nil
	}
	return get(v, "username"), get(v, "name")
}

// notes flattens discussions into the original's note objects. Notes past a discussion's first
// page are not read (see docs/sources/gitlab.md).
func (s *Source) notes(discussions []any) []any {
	out := []any{}
	for _, d := range discussions {
		for _, n := range list(d, "notes", "nodes") {
			au, an := user(get(n, "author"))
			note := map[string]any{"id": get(n, "id"), "body": get(n, "body"), "created_at": get(n, "createdAt"),
				"updated_at": get(n, "updatedAt"), "system": get(n, "system"), "author": au, "author_name": an}
			if pos, ok := get(n, "position").(map[string]any); ok && pos != nil {
				note["position"] = map[string]any{"new_line": pos["newLine"], "old_line": pos["oldLine"], "new_path": pos["newPath"],
					"old_path": pos["oldPath"], "position_type": pos["positionType"]}
			}
			out = append(out, note)
		}
		if next, _ := get(d, "notes", "pageInfo", "hasNextPage").(bool); next {
			s.log.Warn("a discussion has more notes than its first page; the rest are not indexed", "discussion", str(d, "id"))
		}
	}
	return out
}

// more reads the further pages of a nested list, appending their nodes.
func (s *Source) more(ctx context.Context, conn any, query string, vars map[string]any, keys []string, pick func(data map[string]any) any) ([]any, error) {
	nodes := list(conn, "nodes")
	if nodes == nil {
		nodes = []any{}
	}
	next, _ := get(conn, "pageInfo", "hasNextPage").(bool)
	cur := get(conn, "pageInfo", "endCursor")
	for next && cur != nil {
		v := map[string]any{"cursor": cur}
		for k, x := range vars {
			v[k] = x
		}
		data, err := s.graphql(ctx, query, v)
		if err != nil {
			return nil, err
		}
		c := pick(data)
		if c == nil {
			break
		}
		nodes = append(nodes, list(c, "nodes")...)
		next, _ = get(c, "pageInfo", "hasNextPage").(bool)
		cur = get(c, "pageInfo", "endCursor")
	}
	return nodes, nil
}

// widget finds a work item's widget by type name.
func widget(item any, typ string) map[string]any {
	for _, w := range list(item, "widgets") {
		if str(w, "__typename") == typ {
			m, _ := w.(map[string]any)
			return m
		}
	}
	return nil
}

// workItems emits a project's issues (group false) or a group's epics.
func (s *Source) workItems(ctx context.Context, group bool, parentPath, pid, typ string, emit func(connector.Document) error) error {
	parentVar := "projectPath"
	parentKey := "project"
	if group {
		parentVar, parentKey = "groupPath", "group"
	}
	return s.paginate(ctx, workItemsQuery(group), map[string]any{parentVar: parentPath, "types": []any{typ}}, []string{parentKey, "workItems"}, func(conn map[string]any) error {
		for _, item := range list(conn, "nodes") {
			doc, err := s.workItemDoc(ctx, group, parentPath, pid, typ, item)
			if err != nil {
				return err
			}
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
		return nil
	})
}

func (s *Source) workItemDoc(ctx context.Context, group bool, parentPath, pid, typ string, item any) (connector.Document, error) {
	parentVar, parentKey := "projectPath", "project"
	if group {
		parentVar, parentKey = "groupPath", "group"
	}
	vars := map[string]any{parentVar: parentPath, "iid": str(item, "iid"), "workItemType": typ}
	pickWidget := func(w, field string) func(map[string]any) any {
		return func(data map[string]any) any {
			items := list(data, parentKey, "workItems", "nodes")
			if len(items) == 0 {
				return nil
			}
			if wd := widget(items[0], w); wd != nil {
				return wd[field]
			}
			return nil
		}
	}
	lists := map[string][]any{}
	for _, f := range []struct{ widget, field string }{
		{"WorkItemWidgetAssignees", "assignees"}, {"WorkItemWidgetLabels", "labels"}, {"WorkItemWidgetNotes", "discussions"},
	} {
		var conn any
		if w := widget(item, f.widget); w != nil {
			conn = w[f.field]
		}
		nodes, err := s.more(ctx, conn, workItemFieldQuery(group, f.widget, f.field), vars, nil, pickWidget(f.widget, f.field))
		if err != nil {
			return connector.Document{}, fmt.Errorf("reading more %s of %s #%s: %w", f.field, parentPath, str(item, "iid"), err)
		}
		lists[f.field] = nodes
	}
	typeName := str(item, "workItemType", "name")
	parentID := pid
	if group {
		parentID = strings.ReplaceAll(parentPath, "/", "_")
	}
	au, an := user(get(item, "author"))
	var desc any
	if w := widget(item, "WorkItemWidgetDescription"); w != nil {
		desc = w["description"]
	}
	labels := []any{}
	for _, l := range lists["labels"] {
		labels = append(labels, get(l, "title"))
	}
	fields := map[string]any{
		"type": typeName, "iid": iid(get(item, "iid")), "title": get(item, "title"), "description": desc, "state": get(item, "state"),
		"created_at": get(item, "createdAt"), "updated_at": get(item, "updatedAt"), "closed_at": get(item, "closedAt"),
		"web_url": get(item, "webUrl"), "author": au, "author_name": an,
		"assignees": usernames(lists["assignees"], "username"), "labels": labels, "notes": s.notes(lists["discussions"]),
	}
	if group {
		fields["group_id"], fields["group_path"] = parentID, parentPath
	} else {
		fields["project_id"], fields["project_path"] = parentID, parentPath
	}
	if h := widget(item, "WorkItemWidgetHierarchy"); h != nil {
		if p, ok := h["parent"].(map[string]any); ok && p != nil {
			fields["parent_epic_iid"], fields["parent_epic_title"] = iid(p["iid"]), p["title"]
		}
		children := []any{}
		for _, c := range list(h, "children", "nodes") {
			children = append(children, map[string]any{"id": get(c, "id"), "iid": iid(get(c, "iid")), "title": get(c, "title")})
		}
		fields["children_count"], fields["children"] = len(children), children
	}
	if l := widget(item, "WorkItemWidgetLinkedItems"); l != nil {
		items := []any{}
		for _, it := range list(l, "linkedItems", "nodes") {
			items = append(items, map[string]any{"link_id": get(it, "linkId"), "link_type": get(it, "linkType"), "link_created_at": get(it, "linkCreatedAt"),
				"link_updated_at": get(it, "linkUpdatedAt"), "work_item_id": get(it, "workItem", "id"), "work_item_iid": iid(get(it, "workItem", "iid")),
				"work_item_title": get(it, "workItem", "title")})
		}
		fields["linked_items_count"], fields["linked_items"] = len(items), items
	}
	id := fmt.Sprintf("%s_%s_%s", strings.ReplaceAll(strings.ToLower(typeName), " ", "_"), parentID, str(item, "iid"))
	return connector.Document{ID: id, Timestamp: str(item, "updatedAt"), Fields: fields}, nil
}

// mergeRequests emits a project's merge requests, reading the further pages of their lists.
func (s *Source) mergeRequests(ctx context.Context, path, pid string, emit func(connector.Document) error) error {
	return s.paginate(ctx, mergeRequestsQuery, map[string]any{"projectPath": path}, []string{"project", "mergeRequests"}, func(conn map[string]any) error {
		for _, mr := range list(conn, "nodes") {
			vars := map[string]any{"projectPath": path, "iid": str(mr, "iid")}
			lists := map[string][]any{}
			for _, f := range []string{"assignees", "labels", "discussions", "reviewers", "approvedBy"} {
				nodes, err := s.more(ctx, get(mr, f), mrFieldQuery(f), vars, nil, func(data map[string]any) any { return get(data, "project", "mergeRequest", f) })
				if err != nil {
					return fmt.Errorf("reading more %s of merge request !%s of %s: %w", f, str(mr, "iid"), path, err)
				}
				lists[f] = nodes
			}
			au, an := user(get(mr, "author"))
			mu, _ := user(get(mr, "mergeUser"))
			labels := []any{}
			for _, l := range lists["labels"] {
				labels = append(labels, get(l, "title"))
			}
			doc := connector.Document{ID: fmt.Sprintf("mr_%s_%s", pid, str(mr, "iid")), Timestamp: str(mr, "updatedAt"), Fields: map[string]any{
				"type": "Merge Request", "project_id": pid, "project_path": path, "iid": iid(get(mr, "iid")), "title": get(mr, "title"),
				"description": get(mr, "description"), "state": get(mr, "state"), "created_at": get(mr, "createdAt"), "updated_at": get(mr, "updatedAt"),
				"merged_at": get(mr, "mergedAt"), "closed_at": get(mr, "closedAt"), "web_url": get(mr, "webUrl"),
				"source_branch": get(mr, "sourceBranch"), "target_branch": get(mr, "targetBranch"), "author": au, "author_name": an,
				"assignees": usernames(lists["assignees"], "username"), "reviewers": usernames(lists["reviewers"], "username"),
				"approved_by": usernames(lists["approvedBy"], "username"), "merged_by": mu, "labels": labels,
				"notes": s.notes(lists["discussions"]),
			}}
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
		return nil
	})
}

// releases emits a project's releases.
func (s *Source) releases(ctx context.Context, path, pid string, emit func(connector.Document) error) error {
	return s.paginate(ctx, releasesQuery, map[string]any{"projectPath": path}, []string{"project", "releases"}, func(conn map[string]any) error {
		for _, r := range list(conn, "nodes") {
			ts := str(r, "releasedAt")
			if ts == "" {
				ts = str(r, "createdAt")
			}
			au, an := user(get(r, "author"))
			milestones := []any{}
			for _, m := range list(r, "milestones", "nodes") {
				milestones = append(milestones, get(m, "title"))
			}
			fields := map[string]any{
				"type": "Release", "project_id": pid, "project_path": path, "tag_name": get(r, "tagName"), "name": get(r, "name"),
				"description": get(r, "description"), "created_at": get(r, "createdAt"), "released_at": get(r, "releasedAt"),
				"author": au, "author_name": an, "milestones": milestones, "asset_count": get(r, "assets", "count"),
			}
			if c, ok := get(r, "commit").(map[string]any); ok && c != nil {
				fields["commit_sha"], fields["commit_title"] = c["sha"], c["title"]
			}
			if links := list(r, "assets", "links", "nodes"); len(links) > 0 {
				var out []any
				for _, l := range links {
					out = append(out, map[string]any{"name": get(l, "name"), "url": get(l, "url"), "type": get(l, "linkType")})
				}
				fields["asset_links"] = out
			}
			doc := connector.Document{ID: fmt.Sprintf("release_%s_%s", pid, str(r, "tagName")), Timestamp: ts, Fields: fields}
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
		return nil
	})
}

var readmeExtensions = []string{".md", ".rst", ".txt", ""}

var reNextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// readmes emits the README files of a project's root folder (any case; .md, .rst, .txt or no
// extension), whose content is downloaded lazily. The folder is read page by page.
func (s *Source) readmes(ctx context.Context, p map[string]any, pid string, emit func(connector.Document) error) error {
	branch := str(p, "repository", "rootRef")
	if branch == "" {
		return nil
	}
	ts := str(p, "lastActivityAt")
	if ts == "" {
		ts = str(p, "createdAt")
	}
	q := url.Values{"ref": {branch}, "path": {"/"}, "recursive": {"false"}, "per_page": {"100"}}
	next := fmt.Sprintf("%s/api/v4/projects/%s/repository/tree?%s", s.base, pid, q.Encode())
	for next != "" {
		resp, err := s.client.Get(ctx, next)
		if err != nil {
			if saasclient.IsStatus(err, http.StatusNotFound) {
				return nil // an empty repository has no tree, as the original finds
			}
			return s.explain(err)
		}
		var items []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("reading the root folder of %s: %w", str(p, "fullPath"), err)
		}
		next = ""
		if m := reNextLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			next = m[1]
		} else if n := resp.Header.Get("X-Next-Page"); n != "" {
			q.Set("page", n)
			next = fmt.Sprintf("%s/api/v4/projects/%s/repository/tree?%s", s.base, pid, q.Encode())
		}
		for _, it := range items {
			if str(it, "type") != "blob" {
				continue
			}
			name := str(it, "name")
			lower := strings.ToLower(name)
			if !strings.HasPrefix(lower, "readme") {
				continue
			}
			ext := ""
			if i := strings.LastIndexByte(lower, '.'); i >= 0 {
				ext = lower[i:]
			}
			if !contains(readmeExtensions, ext) {
				continue
			}
			path := str(it, "path")
			doc := connector.Document{ID: fmt.Sprintf("file_%s_%s", pid, path), Timestamp: ts, Fields: map[string]any{
				"type": "File", "project_id": pid, "project_path": str(p, "fullPath"), "file_path": path, "file_name": name,
				"extension": ext, "web_url": fmt.Sprintf("%s/-/blob/%s/%s", str(p, "webUrl"), branch, path),
			}}
			if extract.Supported(name) {
				doc.Content = &connector.Content{Name: name, Size: -1, Open: s.opener(pid, path, branch)}
			}
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
	}
	return nil
}

func (s *Source) opener(pid, path, ref string) func(ctx context.Context) (io.ReadCloser, error) {
	u := fmt.Sprintf("%s/api/v4/projects/%s/repository/files/%s?ref=%s", s.base, pid, url.PathEscape(path), url.QueryEscape(ref))
	return func(ctx context.Context) (io.ReadCloser, error) {
		var f struct {
			Content string `json:"content"`
		}
		if err := s.client.GetJSON(ctx, u, &f); err != nil {
			return nil, s.explain(err)
		}
		b, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			return nil, fmt.Errorf("decoding %s of project %s: %w", path, pid, err)
		}
		return io.NopCloser(strings.NewReader(string(b))), nil
	}
}

var _ connector.ConfigValidator = (*Source)(nil)
