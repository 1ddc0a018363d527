package atlassian

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/connectors-go/connectors/internal/saasfake"
)

func (f *Fake) routesConfluence() {
	for _, pre := range []string{"/wiki", ""} {
		p := "GET " + pre + "/rest/api"
		f.mux.HandleFunc(p+"/space", f.confSpaces)
		f.mux.HandleFunc(p+"/content/search", f.confContentSearch)
		f.mux.HandleFunc(p+"/content/{id}/child/attachment", f.confAttachments)
		f.mux.HandleFunc(p+"/content/{id}/label", f.confLabels)
		f.mux.HandleFunc(p+"/content/{id}/restriction/byOperation/{op}", f.confRestriction)
		f.mux.HandleFunc(p+"/search", f.confSearch)
		f.mux.HandleFunc("GET "+pre+"/download/attachments/{id}/{name}", f.confDownload)
	}
	f.mux.HandleFunc("GET /rest/api/user/list", f.confDCUsers)
	f.mux.HandleFunc("GET /rest/extender/1.0/permission/space/{key}/getSpacePermissionActors/{perm}", f.extenderSpacePermission)
	f.mux.HandleFunc("GET /rest/extender/1.0/user/getUsersWithConfluenceAccess", f.extenderUsers)
}

// wiki is the prefix Confluence's links are relative to: /wiki on Cloud, nothing elsewhere.
func wiki(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/wiki/") {
		return "/wiki"
	}
	return ""
}

func (f *Fake) confUser(u UserInfo) map[string]any {
	m := map[string]any{
		"type":           "known",
		"displayName":    u.DisplayName,
		"profilePicture": map[string]any{"path": "/wiki/aa-avatar/" + strconv.Itoa(u.Index), "width": 48, "height": 48, "isDefault": false},
		"_expandable":    map[string]any{"operations": "", "personalSpace": ""},
		"_links":         map[string]any{},
	}
	if f.Config().Flavor == Cloud {
		m["accountId"] = u.AccountID
		m["accountType"] = u.AccountType
		m["email"] = u.Email
		m["publicName"] = u.DisplayName
		m["isExternalCollaborator"] = false
	} else {
		m["username"] = u.Name
		m["userKey"] = u.Key
	}
	return m
}

func confGroup(g GroupInfo) map[string]any {
	return map[string]any{"type": "group", "name": g.Name, "id": g.ID, "_links": map[string]any{}}
}

func userArray(users []map[string]any) map[string]any {
	res := make([]any, len(users))
	for i, u := range users {
		res[i] = u
	}
	return map[string]any{"results": res, "start": 0, "limit": 200, "size": len(res)}
}

func groupArray(groups []int) map[string]any {
	res := []any{}
	for _, g := range groups {
		res = append(res, confGroup(GroupAt(g)))
	}
	return map[string]any{"results": res, "start": 0, "limit": 200, "size": len(res)}
}

// SpacePermissionSpec is one permission of every space: which users and groups hold which
// operation on which target type.
type SpacePermissionSpec struct {
	Operation, TargetType string
	Users, Groups         []int
}

// SpacePermissions are the permissions every space has (Cloud's expand=permissions).
var SpacePermissions = []SpacePermissionSpec{
	{"read", "space", []int{0, 1, 2, 3, 5}, []int{0}},
	{"administer", "space", []int{4}, nil},
	{"create", "page", []int{7}, []int{2}},
	{"delete", "comment", []int{8}, nil},
}

func (f *Fake) spacePermissions() []any {
	var out []any
	for i, p := range SpacePermissions {
		var us []map[string]any
		for _, u := range p.Users {
			if u < f.Config().Users {
				us = append(us, f.confUser(UserAt(u)))
			}
		}
		out = append(out, map[string]any{
			"id":               i + 1,
			"subjects":         map[string]any{"user": userArray(us), "group": groupArray(p.Groups)},
			"operation":        map[string]any{"operation": p.Operation, "targetType": p.TargetType},
			"anonymousAccess":  false,
			"unlicensedAccess": false,
		})
	}
	return out
}

func (f *Fake) spaceJSON(r *http.Request, s SpaceInfo, expand string) map[string]any {
	b := base(r) + wiki(r)
	m := map[string]any{
		"id": s.ID, "key": s.Key, "name": s.Name, "type": "global", "status": "current",
		"_expandable": map[string]any{"settings": "", "metadata": "", "operations": "", "lookAndFeel": "", "theme": "", "homepage": ""},
		"_links":      map[string]any{"webui": "/spaces/" + s.Key, "self": b + "/rest/api/space/" + s.Key},
	}
	if strings.Contains(expand, "history") && f.Config().Flavor == Cloud {
		m["history"] = map[string]any{"createdDate": ConfluenceTime(BaseTime.Add(-24 * 60 * 60e9)), "createdBy": f.confUser(UserAt(s.Index % 5))}
	}
	if strings.Contains(expand, "permissions") {
		m["permissions"] = f.spacePermissions()
	}
	return m
}

func (f *Fake) confSpaces(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cfg := f.Config()
	start, _ := strconv.Atoi(q.Get("start"))
	limit := 25
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	if limit > cfg.MaxResults {
		limit = cfg.MaxResults
	}
	res := []any{}
	for s := start; s < cfg.Spaces && len(res) < limit; s++ {
		res = append(res, f.spaceJSON(r, SpaceAt(s), q.Get("expand")))
	}
	links := map[string]any{"base": base(r) + wiki(r), "context": wiki(r), "self": base(r) + r.URL.Path}
	if start+len(res) < cfg.Spaces {
		nq := cloneQuery(q)
		nq.Set("start", strconv.Itoa(start+len(res)))
		nq.Set("limit", strconv.Itoa(limit))
		links["next"] = "/rest/api/space?" + nq.Encode()
	}
	writeJSON(w, map[string]any{"results": res, "start": start, "limit": limit, "size": len(res), "_links": links})
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// ---- CQL ----

// cqlQuery is what the fake understands of CQL: AND-ed clauses on space and type.
type cqlQuery struct {
	spaces []int    // nil: every space
	types  []string // nil: every type (space, page, blogpost, attachment)
}

var (
	reCQLSpaceIn = regexp.MustCompile(`(?i)^space\s+in\s*\(([^)]*)\)$`)
	reCQLSpaceEq = regexp.MustCompile(`(?i)^space\s*=\s*("[^"]*"|'[^']*'|[A-Za-z0-9_~]+)$`)
	reCQLTypeIn  = regexp.MustCompile(`(?i)^type\s+in\s*\(([^)]*)\)$`)
	reCQLTypeEq  = regexp.MustCompile(`(?i)^type\s*=\s*("[^"]*"|'[^']*'|[A-Za-z]+)$`)
	reCQLAnd     = regexp.MustCompile(`(?i)\s+and\s+`)
)

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.Trim(strings.TrimSpace(p), `"'`); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (f *Fake) parseCQL(cql string) (cqlQuery, error) {
	var q cqlQuery
	cql = reOrderBy.ReplaceAllString(strings.TrimSpace(cql), "")
	if cql == "" {
		return q, fmt.Errorf("CQL query is required")
	}
	for _, clause := range reCQLAnd.Split(cql, -1) {
		clause = strings.TrimSpace(clause)
		var keys, types []string
		switch {
		case reCQLSpaceIn.MatchString(clause):
			keys = splitList(reCQLSpaceIn.FindStringSubmatch(clause)[1])
		case reCQLSpaceEq.MatchString(clause):
			keys = splitList(reCQLSpaceEq.FindStringSubmatch(clause)[1])
		case reCQLTypeIn.MatchString(clause):
			types = splitList(reCQLTypeIn.FindStringSubmatch(clause)[1])
		case reCQLTypeEq.MatchString(clause):
			types = splitList(reCQLTypeEq.FindStringSubmatch(clause)[1])
		default:
			//lint:ignore ST1005 the message is the vendor's (or the original's) own text, which users know
			return q, fmt.Errorf("Could not parse cql : %s", cql)
		}
		for _, k := range keys {
			s, ok := SpaceByKey(k)
			if ok && s < f.Config().Spaces {
				q.spaces = append(q.spaces, s)
			}
		}
		if keys != nil && q.spaces == nil {
			q.spaces = []int{} // only unknown spaces: nothing matches
		}
		for _, t := range types {
			q.types = append(q.types, strings.ToLower(t))
		}
	}
	return q, nil
}

func (q cqlQuery) wants(typ string) bool {
	if q.types == nil {
		return true
	}
	for _, t := range q.types {
		if t == typ {
			return true
		}
	}
	return false
}

func (q cqlQuery) spaceList(n int) []int {
	if q.spaces != nil {
		return q.spaces
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// cqlItem is one search result in order: a space, a page or blog post, or an attachment of one.
type cqlItem struct {
	space   int
	content *ContentInfo
	att     int // attachment index, -1 for the content itself
}

// walkCQL calls fn for every matching item from offset start until fn returns false; it
// returns the total number of matching items (counted to the end only when count is set).
func (f *Fake) walkCQL(q cqlQuery, start int, fn func(cqlItem) bool) {
	cfg, version := f.Config(), f.Version()
	i := 0
	visit := func(it cqlItem) bool {
		if i < start {
			i++
			return true
		}
		i++
		return fn(it)
	}
	for _, s := range q.spaceList(cfg.Spaces) {
		if q.wants("space") && !visit(cqlItem{space: s, att: -1}) {
			return
		}
		for n := 1; n <= cfg.PagesPerSpace+1; n++ {
			if !saasfake.Exists(version, cfg.PagesPerSpace, n) {
				continue
			}
			for _, typ := range []string{"page", "blogpost"} {
				c := ContentAt(s, n, typ, version, cfg.PagesPerSpace)
				if q.wants(typ) && !visit(cqlItem{space: s, content: &c, att: -1}) {
					return
				}
				if q.wants("attachment") {
					for k := 0; k < cfg.AttachmentsPerPage; k++ {
						if !visit(cqlItem{space: s, content: &c, att: k}) {
							return
						}
					}
				}
			}
		}
	}
}

// contentJSON is a page or blog post with the expansions the sources ask for.
func (f *Fake) contentJSON(r *http.Request, c ContentInfo, expand string) map[string]any {
	cfg := f.Config()
	b := base(r) + wiki(r)
	has := func(e string) bool {
		for _, x := range strings.Split(expand, ",") {
			if x == e || strings.HasPrefix(x, e+".") {
				return true
			}
		}
		return false
	}
	version := 1
	if c.Modified {
		version = 2
	}
	m := map[string]any{
		"id": c.ID, "type": c.Type, "status": "current", "title": c.Title,
		"_expandable": map[string]any{"container": "", "metadata": "", "operations": "", "version": ""},
		"_links": map[string]any{
			"webui":  fmt.Sprintf("/spaces/%s/pages/%s/%s", c.Space.Key, c.ID, url.PathEscape(strings.ReplaceAll(c.Title, " ", "+"))),
			"self":   b + "/rest/api/content/" + c.ID,
			"tinyui": "/x/" + c.ID,
		},
	}
	if has("space") {
		m["space"] = f.spaceJSON(r, c.Space, strings.ReplaceAll(expand, "space.", ""))
	}
	if has("history") {
		m["history"] = map[string]any{
			"latest": true, "createdBy": f.confUser(UserAt(c.Author % cfg.Users)), "createdDate": ConfluenceTime(c.Created),
			"lastUpdated": map[string]any{"by": f.confUser(UserAt(c.Author % cfg.Users)), "when": ConfluenceTime(c.Updated), "number": version, "minorEdit": false, "message": ""},
		}
	}
	if has("ancestors") {
		anc := []any{}
		if c.Parent > 0 {
			p := ContentAt(c.Space.Index, c.Parent, "page", f.Version(), cfg.PagesPerSpace)
			anc = append(anc, map[string]any{"id": p.ID, "type": "page", "status": "current", "title": p.Title,
				"_expandable": map[string]any{}, "_links": map[string]any{"webui": "/spaces/" + p.Space.Key + "/pages/" + p.ID}})
		}
		m["ancestors"] = anc
	}
	if has("children") {
		m["children"] = map[string]any{
			"attachment": map[string]any{"results": []any{}, "start": 0, "limit": 25, "size": cfg.AttachmentsPerPage,
				"_links": map[string]any{"self": b + "/rest/api/content/" + c.ID + "/child/attachment"}},
			"_expandable": map[string]any{"comment": "", "page": ""},
			"_links":      map[string]any{},
		}
	}
	if has("body") {
		m["body"] = map[string]any{
			"storage":     map[string]any{"value": c.Body, "representation": "storage", "_expandable": map[string]any{"content": "/rest/api/content/" + c.ID}},
			"_expandable": map[string]any{"view": "", "export_view": ""},
		}
	}
	if has("restrictions") {
		m["restrictions"] = map[string]any{"read": f.restrictionJSON(r, c)}
	}
	return m
}

func (f *Fake) restrictionJSON(r *http.Request, c ContentInfo) map[string]any {
	var us []map[string]any
	for _, u := range c.ReadUsers {
		if u < f.Config().Users {
			us = append(us, f.confUser(UserAt(u)))
		}
	}
	return map[string]any{
		"operation":    "read",
		"restrictions": map[string]any{"user": userArray(us), "group": groupArray(c.ReadGroups)},
		"_expandable":  map[string]any{"content": "/rest/api/content/" + c.ID},
		"_links":       map[string]any{"self": base(r) + wiki(r) + "/rest/api/content/" + c.ID + "/restriction/byOperation/read"},
	}
}

// ReadRestrictions returns the content's own restrictions (users and groups by index).
func ReadRestrictions(c ContentInfo) (users, groups []int) { return c.ReadUsers, c.ReadGroups }

// cursor encodes an offset as Confluence's opaque cursors look.
func cursor(off int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(off)))
}

func fromCursor(q url.Values) (int, error) {
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || !strings.HasPrefix(string(b), "offset:") {
			return 0, fmt.Errorf("invalid cursor")
		}
		return strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	}
	if s := q.Get("start"); s != "" {
		return strconv.Atoi(s)
	}
	return 0, nil
}

func (f *Fake) limitOf(q url.Values, def int) int {
	limit := def
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	if c := f.Config().MaxResults; limit > c {
		limit = c
	}
	return limit
}

func (f *Fake) confContentSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cq, err := f.parseCQL(q.Get("cql"))
	if err != nil {
		confluenceError(w, http.StatusBadRequest, err.Error())
		return
	}
	start, err := fromCursor(q)
	if err != nil {
		confluenceError(w, http.StatusBadRequest, err.Error())
		return
	}
	// content/search returns pages and blog posts only.
	if cq.types == nil {
		cq.types = []string{"page", "blogpost"}
	}
	limit := f.limitOf(q, 25)
	res := []any{}
	more := false
	f.walkCQL(cq, start, func(it cqlItem) bool {
		if it.content == nil || it.att >= 0 {
			return true
		}
		if len(res) == limit {
			more = true
			return false
		}
		res = append(res, f.contentJSON(r, *it.content, q.Get("expand")))
		return true
	})
	links := map[string]any{"base": base(r) + wiki(r), "context": wiki(r), "self": base(r) + r.URL.Path + "?" + r.URL.RawQuery}
	if more {
		nq := cloneQuery(q)
		nq.Del("start")
		nq.Set("cursor", cursor(start+len(res)))
		nq.Set("next", "true")
		links["next"] = "/rest/api/content/search?" + nq.Encode()
	}
	writeJSON(w, map[string]any{"results": res, "start": start, "limit": limit, "size": len(res), "_links": links})
}

func (f *Fake) content(id string) (ContentInfo, bool) {
	s, n, typ, ok := contentByID(id)
	cfg := f.Config()
	if !ok || s < 0 || s >= cfg.Spaces || !saasfake.Exists(f.Version(), cfg.PagesPerSpace, n) {
		return ContentInfo{}, false
	}
	return ContentAt(s, n, typ, f.Version(), cfg.PagesPerSpace), true
}

func (f *Fake) attachmentJSON(r *http.Request, c ContentInfo, k int) map[string]any {
	a := ContentAttachment(c, k)
	b := base(r) + wiki(r)
	author := f.confUser(UserAt(c.Author % f.Config().Users))
	return map[string]any{
		"id": a.ID, "type": "attachment", "status": "current", "title": a.Filename,
		"version":    map[string]any{"by": author, "when": ConfluenceTime(a.Created), "number": 1, "minorEdit": false, "message": ""},
		"history":    map[string]any{"latest": true, "createdBy": author, "createdDate": ConfluenceTime(a.Created)},
		"extensions": map[string]any{"mediaType": "text/plain", "fileSize": len(a.Content), "comment": ""},
		"metadata":   map[string]any{"mediaType": "text/plain"},
		"container": map[string]any{"id": c.ID, "type": c.Type, "status": "current", "title": c.Title,
			"_expandable": map[string]any{}, "_links": map[string]any{"webui": fmt.Sprintf("/spaces/%s/pages/%s", c.Space.Key, c.ID)}},
		"_expandable": map[string]any{"space": "", "ancestors": ""},
		"_links": map[string]any{
			"webui":    fmt.Sprintf("/pages/viewpageattachments.action?pageId=%s&preview=%%2F%s%%2F%s", c.ID, c.ID, a.Filename),
			"download": fmt.Sprintf("/download/attachments/%s/%s?version=1&modificationDate=%d&api=v2", c.ID, a.Filename, a.Created.UnixMilli()),
			"self":     b + "/rest/api/content/" + a.ID,
		},
	}
}

func (f *Fake) confAttachments(w http.ResponseWriter, r *http.Request) {
	c, ok := f.content(r.PathValue("id"))
	if !ok {
		confluenceError(w, http.StatusNotFound, "No content found with id: "+r.PathValue("id"))
		return
	}
	q := r.URL.Query()
	start, err := fromCursor(q)
	if err != nil {
		confluenceError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := f.limitOf(q, 25)
	n := f.Config().AttachmentsPerPage
	res := []any{}
	for k := start; k < n && len(res) < limit; k++ {
		res = append(res, f.attachmentJSON(r, c, k))
	}
	links := map[string]any{"base": base(r) + wiki(r), "context": wiki(r)}
	if start+len(res) < n {
		nq := cloneQuery(q)
		nq.Del("cursor")
		nq.Set("start", strconv.Itoa(start+len(res)))
		links["next"] = "/rest/api/content/" + c.ID + "/child/attachment?" + nq.Encode()
	}
	writeJSON(w, map[string]any{"results": res, "start": start, "limit": limit, "size": len(res), "_links": links})
}

// Labels of a page or blog post.
func Labels(c ContentInfo) []string {
	return []string{"fake", "topic-" + strconv.Itoa(c.N%4)}
}

func (f *Fake) confLabels(w http.ResponseWriter, r *http.Request) {
	c, ok := f.content(r.PathValue("id"))
	if !ok {
		confluenceError(w, http.StatusNotFound, "No content found with id: "+r.PathValue("id"))
		return
	}
	res := []any{}
	for i, l := range Labels(c) {
		res = append(res, map[string]any{"prefix": "global", "name": l, "id": strconv.Itoa(5000 + i), "label": l})
	}
	writeJSON(w, map[string]any{"results": res, "start": 0, "limit": 200, "size": len(res), "_links": map[string]any{}})
}

func (f *Fake) confRestriction(w http.ResponseWriter, r *http.Request) {
	c, ok := f.content(r.PathValue("id"))
	if !ok || r.PathValue("op") != "read" {
		confluenceError(w, http.StatusNotFound, "No content found with id: "+r.PathValue("id"))
		return
	}
	writeJSON(w, f.restrictionJSON(r, c))
}

func (f *Fake) confSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cq, err := f.parseCQL(q.Get("cql"))
	if err != nil {
		confluenceError(w, http.StatusBadRequest, err.Error())
		return
	}
	start, err := fromCursor(q)
	if err != nil {
		confluenceError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := f.limitOf(q, 25)
	expand := q.Get("expand")
	var contentExpand, spaceExpand []string
	for _, e := range strings.Split(expand, ",") {
		if x, ok := strings.CutPrefix(e, "content."); ok {
			contentExpand = append(contentExpand, x)
		}
		if x, ok := strings.CutPrefix(e, "space."); ok {
			spaceExpand = append(spaceExpand, x)
		}
	}
	res := []any{}
	more := false
	total := 0
	f.walkCQL(cq, start, func(it cqlItem) bool {
		if len(res) == limit {
			more = true
			return false
		}
		res = append(res, f.searchResult(r, it, strings.Join(contentExpand, ","), strings.Join(spaceExpand, ",")))
		return true
	})
	f.walkCQL(cq, 0, func(cqlItem) bool { total++; return true })
	links := map[string]any{"base": base(r) + wiki(r), "context": wiki(r)}
	if more {
		nq := cloneQuery(q)
		nq.Del("start")
		nq.Set("cursor", cursor(start+len(res)))
		nq.Set("next", "true")
		links["next"] = "/rest/api/search?" + nq.Encode()
	}
	writeJSON(w, map[string]any{
		"results": res, "start": start, "limit": limit, "size": len(res), "totalSize": total,
		"cqlQuery": q.Get("cql"), "searchDuration": 12, "_links": links,
	})
}

func (f *Fake) searchResult(r *http.Request, it cqlItem, contentExpand, spaceExpand string) map[string]any {
	m := map[string]any{"excerpt": "", "breadcrumbs": []any{}, "score": 1.5}
	switch {
	case it.content == nil:
		s := SpaceAt(it.space)
		m["space"] = f.spaceJSON(r, s, spaceExpand)
		m["title"] = s.Name
		m["url"] = "/spaces/" + s.Key
		m["entityType"] = "space"
		m["iconCssClass"] = "aui-icon space-avatar"
		m["lastModified"] = ConfluenceTime(BaseTime)
		m["friendlyLastModified"] = "Mar 04, 2024"
	case it.att >= 0:
		c := *it.content
		a := f.attachmentJSON(r, c, it.att)
		if strings.Contains(contentExpand, "space") {
			a["space"] = f.spaceJSON(r, c.Space, "")
		}
		m["content"] = a
		m["title"] = a["title"]
		m["url"] = a["_links"].(map[string]any)["webui"]
		m["entityType"] = "content"
		m["iconCssClass"] = "icon-file-text"
		m["lastModified"] = ConfluenceTime(ContentAttachment(c, it.att).Created)
		m["friendlyLastModified"] = "Mar 04, 2024"
		m["resultGlobalContainer"] = map[string]any{"title": c.Space.Name, "displayUrl": "/spaces/" + c.Space.Key}
	default:
		c := *it.content
		cj := f.contentJSON(r, c, contentExpand)
		m["content"] = cj
		m["title"] = c.Title
		m["url"] = cj["_links"].(map[string]any)["webui"]
		m["entityType"] = "content"
		m["iconCssClass"] = "aui-icon content-type-" + c.Type
		m["lastModified"] = ConfluenceTime(c.Updated)
		m["friendlyLastModified"] = "Mar 04, 2024"
		m["resultGlobalContainer"] = map[string]any{"title": c.Space.Name, "displayUrl": "/spaces/" + c.Space.Key}
	}
	return m
}

func (f *Fake) confDownload(w http.ResponseWriter, r *http.Request) {
	c, ok := f.content(r.PathValue("id"))
	if ok {
		for k := 0; k < f.Config().AttachmentsPerPage; k++ {
			a := ContentAttachment(c, k)
			if a.Filename == r.PathValue("name") {
				w.Header().Set("Content-Type", "text/plain")
				w.Header().Set("Content-Length", strconv.Itoa(len(a.Content)))
				_, _ = w.Write([]byte(a.Content))
				return
			}
		}
	}
	confluenceError(w, http.StatusNotFound, "Attachment not found")
}

// ---- Server and Data Center users and permissions ----

func (f *Fake) confDCUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	limit := 200
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 && v < limit {
		limit = v
	}
	res := []any{}
	for u := start; u < f.Config().Users && len(res) < limit; u++ {
		res = append(res, f.confUser(UserAt(u)))
	}
	writeJSON(w, map[string]any{"results": res, "start": start, "limit": limit, "size": len(res), "_links": map[string]any{}})
}

// ExtenderViewers are the users and groups the Extender plugin names for a space's VIEWSPACE.
func ExtenderViewers(s int) (users []int, groups []int) {
	return []int{0, 1, (s % 5) + 2}, []int{1}
}

func (f *Fake) extenderSpacePermission(w http.ResponseWriter, r *http.Request) {
	s, ok := SpaceByKey(r.PathValue("key"))
	if !ok || s >= f.Config().Spaces {
		writeError(w, http.StatusNotFound, "Space not found")
		return
	}
	us, gs := ExtenderViewers(s)
	var users, groups []string
	for _, u := range us {
		users = append(users, UserAt(u).Name)
	}
	for _, g := range gs {
		groups = append(groups, GroupAt(g).Name)
	}
	writeJSON(w, map[string]any{"permissions": map[string]any{r.PathValue("perm"): map[string]any{"users": users, "groups": groups}}})
}

func (f *Fake) extenderUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startAt"))
	max := 1000
	if v, err := strconv.Atoi(q.Get("maxResults")); err == nil && v > 0 && v < max {
		max = v
	}
	res := []any{}
	for u := start; u < f.Config().Users && len(res) < max; u++ {
		info := UserAt(u)
		res = append(res, map[string]any{"name": info.Name, "key": info.Key, "fullName": info.DisplayName, "email": info.Email, "active": info.Active})
	}
	writeJSON(w, map[string]any{"users": res, "total": f.Config().Users})
}
