package atlassian

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/connectors-go/connectors/internal/saasfake"
)

func (f *Fake) routesJira() {
	for _, v := range []string{"2", "3", "latest"} {
		p := "GET /rest/api/" + v
		f.mux.HandleFunc(p+"/myself", f.jiraMyself)
		f.mux.HandleFunc(p+"/project", f.jiraProjects)
		f.mux.HandleFunc(p+"/project/{key}", f.jiraProject)
		f.mux.HandleFunc(p+"/project/{key}/role/{id}", f.jiraProjectRole)
		f.mux.HandleFunc(p+"/field", f.jiraFields)
		f.mux.HandleFunc(p+"/search", f.jiraSearchOffset)
		f.mux.HandleFunc(p+"/issue/{key}", f.jiraIssue)
		f.mux.HandleFunc(p+"/attachment/content/{id}", f.jiraAttachmentContent)
		f.mux.HandleFunc(p+"/users/search", f.usersSearch)
		f.mux.HandleFunc(p+"/user", f.userGet)
		f.mux.HandleFunc(p+"/user/search", f.jiraUserSearch)
		f.mux.HandleFunc(p+"/user/permission/search", f.jiraPermissionSearch)
		f.mux.HandleFunc(p+"/issuesecurityschemes/level/member", f.jiraSecurityMembers)
	}
	f.mux.HandleFunc("GET /rest/api/3/search/jql", f.jiraSearchJQL)
	f.mux.HandleFunc("GET /secure/attachment/{id}/{name}", f.jiraAttachmentContent)
}

func apiVersion(r *http.Request) string {
	rest := strings.TrimPrefix(r.URL.Path, "/rest/api/")
	v, _, _ := strings.Cut(rest, "/")
	return v
}

func avatars(b, kind, id string) map[string]any {
	m := map[string]any{}
	for _, sz := range []string{"16x16", "24x24", "32x32", "48x48"} {
		m[sz] = fmt.Sprintf("%s/secure/%savatar?size=%s&id=%s", b, kind, sz, id)
	}
	return m
}

// userJSON is a user as Jira shows it; expand adds groups and application roles.
func (f *Fake) userJSON(r *http.Request, u UserInfo, expand bool) map[string]any {
	b := base(r)
	cfg := f.Config()
	m := map[string]any{
		"displayName": u.DisplayName,
		"active":      u.Active,
		"timeZone":    "Europe/Oslo",
		"locale":      "en_US",
		"avatarUrls":  avatars(b, "user", strconv.Itoa(u.Index)),
	}
	if cfg.Flavor == Cloud {
		m["self"] = b + "/rest/api/3/user?accountId=" + u.AccountID
		m["accountId"] = u.AccountID
		m["accountType"] = u.AccountType
		m["emailAddress"] = u.Email
	} else {
		m["self"] = b + "/rest/api/2/user?username=" + u.Name
		m["name"] = u.Name
		m["key"] = u.Key
		m["emailAddress"] = u.Email
	}
	if expand {
		g := GroupAt(u.Group)
		m["expand"] = "groups,applicationRoles"
		m["groups"] = map[string]any{"size": 1, "items": []any{map[string]any{
			"name": g.Name, "groupId": g.ID, "self": b + "/rest/api/3/group?groupId=" + g.ID,
		}}}
		m["applicationRoles"] = map[string]any{"size": 1, "items": []any{map[string]any{
			"key": "jira-software", "name": "Jira Software",
		}}}
	}
	return m
}

// userShort is the user object embedded in issues and projects.
func (f *Fake) userShort(r *http.Request, u UserInfo) map[string]any {
	m := f.userJSON(r, u, false)
	delete(m, "locale")
	return m
}

func (f *Fake) jiraMyself(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, f.userJSON(r, UserAt(0), false))
}

func (f *Fake) projectJSON(r *http.Request, p ProjectInfo) map[string]any {
	b := base(r)
	return map[string]any{
		"expand":         "description,lead,issueTypes,url,projectKeys,permissions,insight",
		"self":           b + "/rest/api/2/project/" + p.ID,
		"id":             p.ID,
		"key":            p.Key,
		"name":           p.Name,
		"description":    "Work of " + p.Name + ": " + words(p.Index, 8),
		"lead":           f.userShort(r, UserAt(p.LeadUser)),
		"avatarUrls":     avatars(b, "project", p.ID),
		"projectTypeKey": "software",
		"simplified":     false,
		"style":          "classic",
		"isPrivate":      false,
		"properties":     map[string]any{},
	}
}

func (f *Fake) jiraProjects(w http.ResponseWriter, r *http.Request) {
	cfg := f.Config()
	out := make([]any, 0, cfg.Projects)
	for p := 0; p < cfg.Projects; p++ {
		out = append(out, f.projectJSON(r, ProjectAt(p)))
	}
	writeJSON(w, out)
}

func (f *Fake) project(key string) (ProjectInfo, bool) {
	p, ok := ProjectByKey(key)
	if !ok {
		if id, err := strconv.Atoi(key); err == nil {
			p, ok = id-10000, true
		}
	}
	if !ok || p < 0 || p >= f.Config().Projects {
		return ProjectInfo{}, false
	}
	return ProjectAt(p), true
}

func (f *Fake) jiraProject(w http.ResponseWriter, r *http.Request) {
	p, ok := f.project(r.PathValue("key"))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", r.PathValue("key")))
		return
	}
	writeJSON(w, f.projectJSON(r, p))
}

func (f *Fake) jiraFields(w http.ResponseWriter, r *http.Request) {
	system := []struct{ id, name, typ string }{
		{"summary", "Summary", "string"}, {"description", "Description", "string"}, {"issuetype", "Issue Type", "issuetype"},
		{"project", "Project", "project"}, {"created", "Created", "datetime"}, {"updated", "Updated", "datetime"},
		{"status", "Status", "status"}, {"priority", "Priority", "priority"}, {"labels", "Labels", "array"},
		{"attachment", "Attachment", "array"}, {"security", "Security Level", "securitylevel"},
		{"reporter", "Reporter", "user"}, {"assignee", "Assignee", "user"},
	}
	var out []any
	for _, s := range system {
		out = append(out, map[string]any{
			"id": s.id, "key": s.id, "name": s.name, "custom": false, "orderable": true, "navigable": true,
			"searchable": true, "clauseNames": []string{s.id}, "schema": map[string]any{"type": s.typ, "system": s.id},
		})
	}
	types := []string{"number", "string", "string"}
	for i, c := range CustomFields {
		id, _ := strconv.Atoi(strings.TrimPrefix(c.ID, "customfield_"))
		out = append(out, map[string]any{
			"id": c.ID, "key": c.ID, "name": c.Name, "custom": true, "orderable": true, "navigable": true,
			"searchable": true, "clauseNames": []string{fmt.Sprintf("cf[%d]", id), c.Name},
			"schema": map[string]any{"type": types[i], "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield", "customId": id},
		})
	}
	writeJSON(w, out)
}

// issueRef is one issue of a search, in order.
type issueRef struct{ p, n int }

// jqlProjects parses the JQL forms the sources send: "key IS NOT EMPTY", "project in (…)",
// "project = X", optionally followed by ORDER BY. nil projects means every project.
var (
	reAll     = regexp.MustCompile(`(?i)^\s*key\s+is\s+not\s+empty\s*$`)
	reIn      = regexp.MustCompile(`(?i)^\s*project\s+in\s*\(([^)]*)\)\s*$`)
	reEq      = regexp.MustCompile(`(?i)^\s*project\s*=\s*("[^"]*"|'[^']*'|[A-Za-z0-9_]+)\s*$`)
	reOrderBy = regexp.MustCompile(`(?i)\s+order\s+by\s+.*$`)
)

func (f *Fake) jqlProjects(jql string) ([]int, error) {
	q := reOrderBy.ReplaceAllString(jql, "")
	var keys []string
	switch {
	case reAll.MatchString(q):
		return nil, nil
	case reIn.MatchString(q):
		for _, k := range strings.Split(reIn.FindStringSubmatch(q)[1], ",") {
			keys = append(keys, strings.Trim(strings.TrimSpace(k), `"'`))
		}
	case reEq.MatchString(q):
		keys = []string{strings.Trim(reEq.FindStringSubmatch(q)[1], `"'`)}
	default:
		//lint:ignore ST1005 the message is the vendor's (or the original's) own text, which users know
		return nil, fmt.Errorf("Error in the JQL Query: the fake understands only 'key IS NOT EMPTY', 'project in (...)' and 'project = X' (got %q).", jql)
	}
	var out []int
	for _, k := range keys {
		p, ok := f.project(k)
		if !ok {
			//lint:ignore ST1005 the message is the vendor's (or the original's) own text, which users know
			return nil, fmt.Errorf("The value '%s' does not exist for the field 'project'.", k)
		}
		out = append(out, p.Index)
	}
	return out, nil
}

// searchIssues lists the issues of projects (nil: all) from offset start, at most max.
func (f *Fake) searchIssues(projects []int, start, max int) (refs []issueRef, total int) {
	cfg, version := f.Config(), f.Version()
	if projects == nil {
		for p := 0; p < cfg.Projects; p++ {
			projects = append(projects, p)
		}
	}
	i := 0
	for _, p := range projects {
		for n := 1; n <= cfg.IssuesPerProject+1; n++ {
			if !saasfake.Exists(version, cfg.IssuesPerProject, n) {
				continue
			}
			if i >= start && len(refs) < max {
				refs = append(refs, issueRef{p, n})
			}
			i++
		}
	}
	return refs, i
}

func (f *Fake) pageSize(r *http.Request, def int) int {
	m := def
	if v, err := strconv.Atoi(r.URL.Query().Get("maxResults")); err == nil && v > 0 {
		m = v
	}
	if c := f.Config().MaxResults; m > c {
		m = c
	}
	return m
}

func (f *Fake) jiraSearchJQL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	projects, err := f.jqlProjects(q.Get("jql"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	start := 0
	if tok := q.Get("nextPageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err == nil {
			start, err = strconv.Atoi(string(b))
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "The nextPageToken is invalid.")
			return
		}
	}
	max := f.pageSize(r, 50)
	refs, total := f.searchIssues(projects, start, max)
	issues := make([]any, 0, len(refs))
	for _, ref := range refs {
		issues = append(issues, f.issueJSON(r, ref.p, ref.n, "3", ""))
	}
	out := map[string]any{"issues": issues, "isLast": start+len(refs) >= total}
	if start+len(refs) < total {
		out["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start + len(refs))))
	}
	writeJSON(w, out)
}

func (f *Fake) jiraSearchOffset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	projects, err := f.jqlProjects(q.Get("jql"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	start, _ := strconv.Atoi(q.Get("startAt"))
	max := f.pageSize(r, 50)
	refs, total := f.searchIssues(projects, start, max)
	issues := make([]any, 0, len(refs))
	for _, ref := range refs {
		issues = append(issues, f.issueJSON(r, ref.p, ref.n, apiVersion(r), ""))
	}
	writeJSON(w, map[string]any{"expand": "schema,names", "startAt": start, "maxResults": max, "total": total, "issues": issues})
}

func (f *Fake) jiraIssue(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	p, n, ok := issueByKey(key)
	cfg := f.Config()
	if !ok || p >= cfg.Projects || !saasfake.Exists(f.Version(), cfg.IssuesPerProject, n) {
		writeError(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	writeJSON(w, f.issueJSON(r, p, n, apiVersion(r), r.URL.Query().Get("fields")))
}

// issueJSON is an issue as the API version shows it; fields = "security" limits the fields.
func (f *Fake) issueJSON(r *http.Request, p, n int, apiV, fields string) map[string]any {
	cfg := f.Config()
	is := IssueAt(p, n, f.Version(), cfg.IssuesPerProject)
	b := base(r)
	if apiV == "latest" {
		apiV = "2"
	}
	var security any
	if is.Security != "" {
		security = map[string]any{"self": b + "/rest/api/2/securitylevel/" + is.Security, "id": is.Security, "description": "Staff only", "name": "Internal"}
	}
	out := map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     is.ID,
		"self":   b + "/rest/api/" + apiV + "/issue/" + is.ID,
		"key":    is.Key,
	}
	if fields == "security" {
		out["fields"] = map[string]any{"security": security}
		return out
	}
	var desc any = is.Desc
	if apiV == "3" {
		desc = map[string]any{"type": "doc", "version": 1, "content": []any{map[string]any{
			"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": is.Desc}},
		}}}
	}
	atts := make([]any, 0, cfg.AttachmentsPerIssue)
	for k := 0; k < cfg.AttachmentsPerIssue; k++ {
		a := IssueAttachment(is, k)
		atts = append(atts, map[string]any{
			"self":     b + "/rest/api/2/attachment/" + a.ID,
			"id":       a.ID,
			"filename": a.Filename,
			"author":   f.userShort(r, UserAt(n%cfg.Users)),
			"created":  JiraTime(a.Created),
			"size":     len(a.Content),
			"mimeType": "text/plain",
			"content":  b + "/rest/api/2/attachment/content/" + a.ID,
		})
	}
	restr := map[string]any{"issuerestrictions": map[string]any{}, "shouldDisplay": false}
	if is.RestrictedToRole != "" {
		restr = map[string]any{"issuerestrictions": map[string]any{"projectrole": []any{
			map[string]any{"restrictionType": "projectrole", "restrictionValue": is.RestrictedToRole},
		}}, "shouldDisplay": true}
	}
	pr := is.Project
	fl := map[string]any{
		"summary":     is.Summary,
		"description": desc,
		"issuetype": map[string]any{"self": b + "/rest/api/2/issuetype/1000" + strconv.Itoa(n%3), "id": "1000" + strconv.Itoa(n%3),
			"description": "", "iconUrl": b + "/images/icons/issuetypes/task.svg", "name": is.Type, "subtask": false, "hierarchyLevel": 0},
		"project": map[string]any{"self": b + "/rest/api/2/project/" + pr.ID, "id": pr.ID, "key": pr.Key, "name": pr.Name,
			"projectTypeKey": "software", "simplified": false, "avatarUrls": avatars(b, "project", pr.ID)},
		"created": JiraTime(is.Created),
		"updated": JiraTime(is.Updated),
		"status": map[string]any{"self": b + "/rest/api/2/status/10000", "description": "", "iconUrl": b + "/", "name": "To Do", "id": "10000",
			"statusCategory": map[string]any{"self": b + "/rest/api/2/statuscategory/2", "id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"}},
		"priority":          map[string]any{"self": b + "/rest/api/2/priority/3", "iconUrl": b + "/images/icons/priorities/medium.svg", "name": "Medium", "id": "3"},
		"labels":            []string{"fake", "group-" + strconv.Itoa(n%3)},
		"attachment":        atts,
		"issuerestriction":  restr,
		"security":          security,
		"reporter":          f.userShort(r, UserAt(n%cfg.Users)),
		"assignee":          nil,
		"customfield_10010": json.Number(is.StoryPoints),
		"customfield_10011": is.Team,
		"customfield_10012": nil,
	}
	out["fields"] = fl
	return out
}

func (f *Fake) jiraAttachmentContent(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	cfg := f.Config()
	if err == nil {
		issueID, k := id/10, id%10
		p, n := issueID/1_000_000-1, issueID%1_000_000
		if p >= 0 && p < cfg.Projects && k < cfg.AttachmentsPerIssue && saasfake.Exists(f.Version(), cfg.IssuesPerProject, n) {
			a := IssueAttachment(IssueAt(p, n, f.Version(), cfg.IssuesPerProject), k)
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", strconv.Itoa(len(a.Content)))
			_, _ = w.Write([]byte(a.Content))
			return
		}
	}
	writeError(w, http.StatusNotFound, "The attachment does not exist.")
}

// ---- users and permissions ----

func (f *Fake) pageOf(r *http.Request, def int) (start, max int) {
	q := r.URL.Query()
	start, _ = strconv.Atoi(q.Get("startAt"))
	max = def
	if v, err := strconv.Atoi(q.Get("maxResults")); err == nil && v > 0 {
		max = v
	}
	return start, max
}

// usersSearch is Cloud's /rest/api/3/users/search: every user, 50 a page by default.
func (f *Fake) usersSearch(w http.ResponseWriter, r *http.Request) {
	start, max := f.pageOf(r, 50)
	if max > 1000 {
		max = 1000
	}
	out := []any{}
	for u := start; u < f.Config().Users && len(out) < max; u++ {
		out = append(out, f.userJSON(r, UserAt(u), false))
	}
	writeJSON(w, out)
}

// jiraUserSearch is Server/Data Center's /rest/api/2/user/search?username=…
func (f *Fake) jiraUserSearch(w http.ResponseWriter, r *http.Request) {
	start, max := f.pageOf(r, 50)
	if max > 1000 {
		max = 1000
	}
	pat := strings.Trim(r.URL.Query().Get("username"), "'\"")
	out := []any{}
	for u, seen := 0, 0; u < f.Config().Users && len(out) < max; u++ {
		info := UserAt(u)
		if pat != "" && pat != "." && !strings.Contains(info.Name, pat) {
			continue
		}
		if seen >= start {
			out = append(out, f.userJSON(r, info, false))
		}
		seen++
	}
	writeJSON(w, out)
}

func (f *Fake) userGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for u := 0; u < f.Config().Users; u++ {
		info := UserAt(u)
		if (q.Get("accountId") != "" && q.Get("accountId") == info.AccountID) ||
			(q.Get("username") != "" && q.Get("username") == info.Name) ||
			(q.Get("key") != "" && q.Get("key") == info.Key) {
			writeJSON(w, f.userJSON(r, info, strings.Contains(q.Get("expand"), "groups")))
			return
		}
	}
	writeError(w, http.StatusNotFound, "The user does not exist.")
}

// Browses says whether user u may browse project p (issue n: 0 for the project itself).
func Browses(u, p, n int) bool {
	if (u+p)%4 == 3 {
		return false
	}
	return n == 0 || (u+n)%5 != 0
}

func (f *Fake) jiraPermissionSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var p, n int
	switch {
	case q.Get("projectKey") != "":
		pr, ok := f.project(q.Get("projectKey"))
		if !ok {
			writeError(w, http.StatusNotFound, "No project could be found with key '"+q.Get("projectKey")+"'.")
			return
		}
		p = pr.Index
	case q.Get("issueKey") != "":
		var ok bool
		p, n, ok = issueByKey(q.Get("issueKey"))
		if !ok || p >= f.Config().Projects {
			writeError(w, http.StatusNotFound, "Issue does not exist.")
			return
		}
	default:
		writeError(w, http.StatusBadRequest, "A project key or an issue key is required.")
		return
	}
	start, max := f.pageOf(r, 50)
	out := []any{}
	for u, seen := 0, 0; u < f.Config().Users && len(out) < max; u++ {
		if !Browses(u, p, n) {
			continue
		}
		if seen >= start {
			out = append(out, f.userJSON(r, UserAt(u), false))
		}
		seen++
	}
	writeJSON(w, out)
}

// RoleMembers are the users (by index) and the group of project role 10002 ("Developers").
func RoleMembers(users int) (us []int, group int) {
	for u := 0; u < users; u++ {
		if u%3 == 1 {
			us = append(us, u)
		}
	}
	return us, 1
}

func (f *Fake) jiraProjectRole(w http.ResponseWriter, r *http.Request) {
	p, ok := f.project(r.PathValue("key"))
	id := r.PathValue("id")
	if !ok || (id != "10002" && id != "10003") {
		writeError(w, http.StatusNotFound, "The project role does not exist.")
		return
	}
	b := base(r)
	var actors []any
	if id == "10002" {
		us, g := RoleMembers(f.Config().Users)
		for i, u := range us {
			info := UserAt(u)
			a := map[string]any{"id": 20000 + i, "displayName": info.DisplayName, "type": "atlassian-user-role-actor"}
			if f.Config().Flavor == Cloud {
				a["actorUser"] = map[string]any{"accountId": info.AccountID}
			} else {
				a["name"] = info.Name
			}
			actors = append(actors, a)
		}
		gi := GroupAt(g)
		actors = append(actors, map[string]any{"id": 29999, "displayName": gi.Name, "type": "atlassian-group-role-actor", "name": gi.Name,
			"actorGroup": map[string]any{"name": gi.Name, "displayName": gi.Name, "groupId": gi.ID}})
	}
	idn, _ := strconv.Atoi(id)
	writeJSON(w, map[string]any{
		"self": b + "/rest/api/3/project/" + p.ID + "/role/" + id, "name": roleName(id), "id": idn,
		"description": "Members of " + roleName(id), "actors": actors,
	})
}

func roleName(id string) string {
	if id == "10003" {
		return "atlassian-addons-project-access"
	}
	return "Developers"
}

// SecurityLevelUsers are the users (by index) and the group of issue security level 10100;
// the level also names project roles 10002 and 10003.
func SecurityLevelUsers(users int) (us []int, group int) {
	for u := 0; u < users; u++ {
		if u%4 == 0 {
			us = append(us, u)
		}
	}
	return us, 2
}

func (f *Fake) jiraSecurityMembers(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("levelId") != "10100" {
		writeJSON(w, map[string]any{"startAt": 0, "maxResults": 50, "total": 0, "isLast": true, "values": []any{}})
		return
	}
	b := base(r)
	us, g := SecurityLevelUsers(f.Config().Users)
	var values []any
	member := func(holder map[string]any) {
		values = append(values, map[string]any{"id": strconv.Itoa(30000 + len(values)), "issueSecurityLevelId": "10100", "issueSecuritySchemeId": "10000", "holder": holder})
	}
	for _, u := range us {
		info := UserAt(u)
		member(map[string]any{"type": "user", "parameter": info.AccountID, "value": info.AccountID, "expand": "user", "user": f.userJSON(r, info, false)})
	}
	gi := GroupAt(g)
	member(map[string]any{"type": "group", "parameter": gi.Name, "value": gi.ID, "expand": "group",
		"group": map[string]any{"name": gi.Name, "groupId": gi.ID, "self": b + "/rest/api/3/group?groupId=" + gi.ID}})
	for _, id := range []int{10002, 10003} {
		member(map[string]any{"type": "projectRole", "parameter": strconv.Itoa(id), "value": strconv.Itoa(id), "expand": "projectRole",
			"projectRole": map[string]any{"self": b + "/rest/api/3/role/" + strconv.Itoa(id), "name": roleName(strconv.Itoa(id)), "id": id}})
	}
	start, max := f.pageOf(r, 50)
	total := len(values)
	if start > total {
		start = total
	}
	end := start + max
	if end > total {
		end = total
	}
	writeJSON(w, map[string]any{"startAt": start, "maxResults": max, "total": total, "isLast": end >= total, "values": values[start:end]})
}
