// Package jira is the Jira source (service type jira): projects, issues and their attachments
// from Jira Cloud, Server or Data Center, with JQL advanced rules and document-level security
// built from Jira's project permissions, issue security levels and issue restrictions, as the
// original connector does. docs/sources/jira.md describes the documents and the differences.
package jira

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	atl "github.com/connectors-go/connectors/sources/internal/atlassian"
	"github.com/connectors-go/connectors/sources/internal/saasclient"
)

// ServiceType is the connector service type of this source.
const ServiceType = "jira"

// The data_source values.
const (
	Cloud      = "jira_cloud"
	Server     = "jira_server"
	DataCenter = "jira_data_center"
)

const (
	// searchPage is the maxResults of issue searches, the original's FETCH_SIZE.
	searchPage = 100
	// userPage is the maxResults of permission and user listings (the original's 1000).
	userPage = 1000
	// fetchers is how many issues are read at once (the original's MAX_CONCURRENCY).
	fetchers = 5
	// allIssues is the JQL for every issue: Cloud's newer search refuses an empty query.
	allIssues = "key IS NOT EMPTY"
)

// flavors are the data_source values.
var flavors = atl.Flavors{Cloud: Cloud, Server: Server, DataCenter: DataCenter}

func dep(field string, value any) connector.Dependency {
	return connector.Dependency{Field: field, Value: value}
}

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Jira",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true, DocumentLevelSecurity: true, IncrementalSync: true},
	Fields: append(atl.AuthFields("Jira", flavors, Cloud,
		"The email address of the Atlassian account the API token belongs to, for example jane.doe@example.com."),
		[]connector.Field{
			{Key: "jira_url", Label: "Jira URL", Order: 10},
			{Key: "projects", Label: "Project keys", Order: 11, Type: connector.TypeList, Display: connector.DisplayTextarea,
				Tooltip: "Comma-separated project keys, or * for every project. Not used when advanced sync rules are set."},
			{Key: "ssl_enabled", Label: "Verify the server's certificate", Order: 12, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false},
			{Key: "ssl_ca", Label: "CA certificate (PEM)", Order: 13, DependsOn: []connector.Dependency{dep("ssl_enabled", true)}},
			{Key: "retry_count", Label: "Retries per failed request", Order: 14, Type: connector.TypeInt, Display: connector.DisplayNumeric,
				Optional: true, DefaultValue: 3, UIRestrictions: []string{connector.UIAdvanced}},
			{Key: "concurrent_downloads", Label: "Attachments downloaded at once", Order: 15, Type: connector.TypeInt, Display: connector.DisplayNumeric,
				Optional: true, DefaultValue: 100, UIRestrictions: []string{connector.UIAdvanced},
				Validations: []connector.Validation{connector.LessThan(101)}},
			{Key: "use_document_level_security", Label: "Document level security", Order: 16, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
				Tooltip: "Index who may see each project, issue and attachment (from Jira's permissions, issue security levels and restrictions), " +
					"and sync the users' identities, so that searches only return what the searching user may see in Jira. " +
					"On Jira Data Center at most 1000 users are synced."},
			{Key: "use_text_extraction_service", Label: "Use the text extraction service", Order: 17, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
				UIRestrictions: []string{connector.UIAdvanced},
				Tooltip:        "Needs a separately deployed Elastic text extraction service, and text extraction turned off in the index's pipeline settings."},
		}...),
	New: New,
}

func init() { connector.Register(Factory) }

// Source reads one Jira site.
type Source struct {
	flavor    string
	base      string // jira_url with a trailing slash
	projects  []string
	downloads int
	dls       bool
	client    *saasclient.Client
	log       *slog.Logger
	credField string // the field to name when credentials are refused

	mu          sync.Mutex
	projectACL  map[string][]string
	customNames map[string]string
}

// New builds a source from its configuration; it does not contact Jira.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := &Source{
		flavor:     cfg.String("data_source"),
		base:       strings.TrimSuffix(strings.TrimSpace(cfg.String("jira_url")), "/") + "/",
		projects:   cfg.List("projects"),
		downloads:  cfg.Int("concurrent_downloads"),
		dls:        env.Features.DocumentLevelSecurity && cfg.Bool("use_document_level_security"),
		log:        env.Log().With("service_type", ServiceType),
		projectACL: map[string][]string{},
	}
	var err error
	if s.client, s.credField, err = atl.SiteClient(cfg, env, flavors, s.log); err != nil {
		return nil, err
	}
	return s, nil
}

// url joins a path relative to the site.
func (s *Source) url(rel string) string { return s.base + strings.TrimPrefix(rel, "/") }

// explain turns a client error into one that names the setting at fault.
func (s *Source) explain(err error) error {
	return atl.Explain(err, "Jira", s.credField, "jira_url", s.base)
}

// ValidateConfig checks what field validation cannot.
func (s *Source) ValidateConfig(context.Context) error {
	u, err := url.Parse(strings.TrimSuffix(s.base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("configuration field \"jira_url\": %q is not an http(s) URL", strings.TrimSuffix(s.base, "/"))
	}
	if len(s.projects) == 0 {
		return errors.New("configuration field \"projects\": give project keys, or * for every project")
	}
	return nil
}

// Ping reads the signed-in user.
func (s *Source) Ping(ctx context.Context) error {
	var me map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/2/myself"), &me); err != nil {
		return s.explain(err)
	}
	return nil
}

// ValidateAdvancedRules checks the JQL rules' shape, as the original does (JQL itself is checked
// by Jira when the sync runs).
func (s *Source) ValidateAdvancedRules(_ context.Context, rules any) ([]string, error) {
	return atl.ValidateAdvancedRules(rules), nil
}

// MaxConcurrentDownloads is concurrent_downloads.
func (s *Source) MaxConcurrentDownloads() int { return s.downloads }

// Close ends the source's connections.
func (s *Source) Close() error {
	s.client.Close()
	return nil
}

// Docs emits the projects and issues (with attachments) of the configured projects, or the
// issues (with attachments) of each JQL advanced rule.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.loadCustomFields(ctx); err != nil {
		return err
	}
	if req.HasAdvancedRules() {
		if problems := atl.ValidateAdvancedRules(req.AdvancedRules); len(problems) > 0 {
			return fmt.Errorf("advanced sync rules: %s", strings.Join(problems, "; "))
		}
		for _, q := range atl.Queries(req.AdvancedRules) {
			s.log.Info("fetching issues of an advanced rule", "jql", q)
			if err := s.issues(ctx, req, q, emit); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.verifyProjects(ctx); err != nil {
		return err
	}
	if err := s.projectDocs(ctx, req, emit); err != nil {
		return err
	}
	return s.issues(ctx, req, s.projectsJQL(), emit)
}

func (s *Source) wildcard() bool { return len(s.projects) == 1 && s.projects[0] == "*" }

func (s *Source) projectsJQL() string {
	if s.wildcard() {
		return allIssues
	}
	return `project in ("` + strings.Join(s.projects, `","`) + `")`
}

func (s *Source) loadCustomFields(ctx context.Context) error {
	var fields []map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/2/field"), &fields); err != nil {
		return fmt.Errorf("reading Jira's fields: %w", s.explain(err))
	}
	names := map[string]string{}
	for _, f := range fields {
		if custom, _ := f["custom"].(bool); custom {
			names[atl.Str(f, "id")] = atl.Str(f, "name")
		}
	}
	s.customNames = names
	return nil
}

// verifyProjects fails the sync when a configured project does not exist, as the original does.
func (s *Source) verifyProjects(ctx context.Context) error {
	if s.wildcard() {
		return nil
	}
	var all []map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/2/project"), &all); err != nil {
		//lint:ignore ST1005 the message is the vendor's (or the original's) own text, which users know
		return fmt.Errorf("Unable to verify projects: %v. Error: %w", pyList(s.projects), s.explain(err))
	}
	have := map[string]bool{}
	for _, p := range all {
		have[atl.Str(p, "key")] = true
	}
	var missing []string
	for _, k := range s.projects {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("configuration field \"projects\": Unable to verify projects: %s. Error: Configured unavailable projects: %s",
			pyList(s.projects), strings.Join(missing, ", "))
	}
	return nil
}

// pyList writes a list of strings as Python prints it, for messages users know.
func pyList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// projectDocs emits one document per project. The timestamp is the sync's time in the Jira
// user's time zone, as the original writes it.
func (s *Source) projectDocs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	var me map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/2/myself"), &me); err != nil {
		return s.explain(err)
	}
	stamp := isoNow(atl.Str(me, "timeZone"))
	one := func(p map[string]any) error {
		doc := connector.Document{
			ID:        "project-" + atl.Str(p, "id"),
			Timestamp: stamp,
			Fields:    map[string]any{"Key": atl.Str(p, "key"), "Type": "Project", "Project": p},
		}
		if s.dls {
			acl, err := s.projectAccess(ctx, atl.Str(p, "key"))
			if err != nil {
				return err
			}
			doc.AllowAccessControl = acl
		}
		if err := emit(doc); err != nil {
			return connector.DocError(doc.ID, err)
		}
		return nil
	}
	if s.wildcard() {
		var all []map[string]any
		if err := s.client.GetJSON(ctx, s.url("rest/api/2/project?expand=description,lead,url"), &all); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if atl.Refused(err) {
				return s.explain(err)
			}
			req.ReportIncomplete("Jira projects", s.explain(err))
			return nil
		}
		for _, p := range all {
			if err := one(p); err != nil {
				return err
			}
		}
		return nil
	}
	for _, key := range s.projects {
		var p map[string]any
		if err := s.client.GetJSON(ctx, s.url("rest/api/2/project/"+url.PathEscape(key)), &p); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if atl.Refused(err) {
				return s.explain(err)
			}
			req.ReportIncomplete("Jira project "+key, s.explain(err))
			continue
		}
		if err := one(p); err != nil {
			return err
		}
	}
	return nil
}

// isoNow is Python's datetime.now(tz).isoformat() in the named zone (UTC when unknown).
func isoNow(zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	t := time.Now().In(loc).Truncate(time.Microsecond)
	layout := "2006-01-02T15:04:05.000000-07:00"
	if t.Nanosecond() == 0 {
		layout = "2006-01-02T15:04:05-07:00"
	}
	return t.Format(layout)
}

// issues lists the issues of a JQL query and emits each (read in full) with its attachments,
// reading up to five issues at once. A page of the search that still fails after retries is
// reported as an incomplete listing and ends this query's listing. Credentials the site refuses
// (atl.Refused), on the search or on an issue, end the sync at once: every later request would
// be refused too.
func (s *Source) issues(ctx context.Context, req connector.DocsRequest, jql string, emit func(connector.Document) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	keys := make(chan string)
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel(err) })
	}
	for i := 0; i < fetchers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range keys {
				if err := s.issue(ctx, req, key, emit); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	listErr := s.searchKeys(ctx, jql, func(key string) error {
		select {
		case keys <- key:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	if listErr != nil && atl.Refused(listErr) {
		fail(s.explain(listErr)) // stops the fetchers' requests under way
	}
	close(keys)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if listErr != nil {
		if errors.Is(listErr, context.Canceled) || errors.Is(listErr, context.DeadlineExceeded) {
			return listErr
		}
		req.ReportIncomplete("Jira issues matching "+jql, s.explain(listErr))
	}
	return nil
}

// searchKeys pages through a JQL search: Cloud's cursor-based search/jql, or the offset-based
// search of Server and Data Center.
func (s *Source) searchKeys(ctx context.Context, jql string, each func(string) error) error {
	q := url.QueryEscape(jql)
	if s.flavor == Cloud {
		next := ""
		for {
			u := s.url(fmt.Sprintf("rest/api/3/search/jql?jql=%s&fields=*all&maxResults=%d", q, searchPage))
			if next != "" {
				u += "&nextPageToken=" + url.QueryEscape(next)
			}
			var page struct {
				Issues []struct {
					Key string `json:"key"`
				} `json:"issues"`
				NextPageToken string `json:"nextPageToken"`
			}
			if err := s.client.GetJSON(ctx, u, &page); err != nil {
				return err
			}
			for _, is := range page.Issues {
				if is.Key != "" {
					if err := each(is.Key); err != nil {
						return err
					}
				}
			}
			if page.NextPageToken == "" {
				return nil
			}
			next = page.NextPageToken
		}
	}
	for start := 0; ; {
		u := s.url(fmt.Sprintf("rest/api/2/search?jql=%s&fields=*all&maxResults=%d&startAt=%d", q, searchPage, start))
		var page struct {
			Total  int `json:"total"`
			Issues []struct {
				Key string `json:"key"`
			} `json:"issues"`
		}
		if err := s.client.GetJSON(ctx, u, &page); err != nil {
			return err
		}
		for _, is := range page.Issues {
			if is.Key != "" {
				if err := each(is.Key); err != nil {
					return err
				}
			}
		}
		// Advance by what came back: Jira may answer with fewer than maxResults.
		start += len(page.Issues)
		if len(page.Issues) == 0 || start >= page.Total {
			return nil
		}
	}
}

// issue reads one issue and emits it and its attachments.
func (s *Source) issue(ctx context.Context, req connector.DocsRequest, key string, emit func(connector.Document) error) error {
	var is map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/2/issue/"+url.PathEscape(key)), &is); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if saasclient.IsStatus(err, http.StatusNotFound) {
			s.log.Info("issue gone since the search listed it", "issue", key)
			return nil
		}
		if atl.Refused(err) {
			return s.explain(err)
		}
		// A 403 here is a permission on this issue: the rest of the sync goes on.
		req.ReportIncomplete("Jira issue "+key, s.explain(err))
		return nil
	}
	fields, _ := is["fields"].(map[string]any)
	issueFields := make(map[string]any, len(fields))
	custom := map[string]any{}
	for k, v := range fields {
		if name, ok := s.customNames[k]; ok {
			if name != "" {
				custom[name] = v
			}
			continue
		}
		issueFields[k] = v
	}
	issueKey := atl.Str(is, "key")
	doc := connector.Document{
		ID:        atl.Str(fields, "project", "name") + "-" + issueKey,
		Timestamp: atl.Str(fields, "updated"),
		Fields: map[string]any{
			"Key":           issueKey,
			"Type":          atl.Str(fields, "issuetype", "name"),
			"Issue":         issueFields,
			"Custom_Fields": custom,
		},
	}
	var acl []string
	if s.dls {
		var err error
		if acl, err = s.issueAccess(ctx, issueKey, fields); err != nil {
			return err
		}
		doc.AllowAccessControl = acl
	}
	if err := emit(doc); err != nil {
		return connector.DocError(doc.ID, err)
	}
	for _, a := range atl.List(fields, "attachment") {
		att, _ := a.(map[string]any)
		if att == nil {
			continue
		}
		id, name := atl.Str(att, "id"), atl.Str(att, "filename")
		adoc := connector.Document{
			ID:        issueKey + "-" + id,
			Timestamp: atl.Str(att, "created"),
			Fields:    map[string]any{"title": name, "Type": "Attachment", "issue": issueKey, "size": att["size"]},
		}
		if s.dls {
			adoc.AllowAccessControl = acl
		}
		size, _ := strconv.ParseInt(atl.Str(att, "size"), 10, 64)
		if size > 0 && extract.Supported(name) {
			adoc.Content = &connector.Content{Name: name, Size: size, Open: s.opener(id, name)}
		}
		if err := emit(adoc); err != nil {
			return connector.DocError(adoc.ID, err)
		}
	}
	return nil
}

// opener downloads an attachment: Cloud's attachment content endpoint, or Server's file link.
func (s *Source) opener(id, name string) func(ctx context.Context) (io.ReadCloser, error) {
	u := s.url("rest/api/2/attachment/content/" + url.PathEscape(id))
	if s.flavor != Cloud {
		u = s.url("secure/attachment/" + url.PathEscape(id) + "/" + url.PathEscape(name))
	}
	return func(ctx context.Context) (io.ReadCloser, error) {
		resp, err := s.client.Get(ctx, u)
		if err != nil {
			return nil, s.explain(err)
		}
		return resp.Body, nil
	}
}

// ---- document-level security ----

// permittedUsers pages through the users holding BROWSE on a project or an issue (query is
// projectKey=… or issueKey=…) and adds their identities.
func (s *Source) permittedUsers(ctx context.Context, query string, acl map[string]bool) error {
	for start := 0; ; start += userPage {
		var users []map[string]any
		u := s.url(fmt.Sprintf("rest/api/2/user/permission/search?%s&permissions=BROWSE&maxResults=%d&startAt=%d", query, userPage, start))
		if err := s.client.GetJSON(ctx, u, &users); err != nil {
			return fmt.Errorf("reading who may browse (%s): %w", query, s.explain(err))
		}
		if len(users) == 0 {
			return nil
		}
		for _, u := range users {
			switch {
			case s.flavor == Cloud && atl.Str(u, "accountType") == "atlassian":
				acl[atl.AccountID(atl.Str(u, "accountId"))] = true
				acl[atl.Name(atl.Str(u, "displayName"))] = true
			case s.flavor != Cloud:
				acl[atl.AccountID(atl.Str(u, "name"))] = true
				acl[atl.Name(atl.Str(u, "displayName"))] = true
			}
		}
	}
}

// projectAccess is who may browse a project, cached for the sync.
func (s *Source) projectAccess(ctx context.Context, key string) ([]string, error) {
	s.mu.Lock()
	acl, ok := s.projectACL[key]
	s.mu.Unlock()
	if ok {
		return acl, nil
	}
	set := map[string]bool{}
	if err := s.permittedUsers(ctx, "projectKey="+url.QueryEscape(key), set); err != nil {
		return nil, err
	}
	acl = atl.SortedKeys(set)
	s.mu.Lock()
	s.projectACL[key] = acl
	s.mu.Unlock()
	return acl, nil
}

// roleMembers adds the users and groups of a project role.
func (s *Source) roleMembers(ctx context.Context, projectKey, roleID string, acl map[string]bool) error {
	var role map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/3/project/"+url.PathEscape(projectKey)+"/role/"+url.PathEscape(roleID)), &role); err != nil {
		return fmt.Errorf("reading role %s of project %s: %w", roleID, projectKey, s.explain(err))
	}
	for _, a := range atl.List(role, "actors") {
		switch {
		case atl.Get(a, "actorUser") != nil:
			acl[atl.AccountID(atl.Str(a, "actorUser", "accountId"))] = true
			acl[atl.Name(atl.Str(a, "displayName"))] = true
		case atl.Get(a, "actorGroup") != nil:
			acl[atl.GroupID(atl.Str(a, "actorGroup", "groupId"))] = true
		}
	}
	return nil
}

// issueAccess is who may see an issue: the members of the project roles an issue restriction
// names; else on Cloud the members of its security level (the project's browsers when it has
// none); on Server and Data Center who may browse the issue.
func (s *Source) issueAccess(ctx context.Context, key string, fields map[string]any) ([]string, error) {
	projectKey := atl.Str(fields, "project", "key")
	acl := map[string]bool{}
	if roles := atl.List(fields, "issuerestriction", "issuerestrictions", "projectrole"); len(roles) > 0 {
		for _, r := range roles {
			if err := s.roleMembers(ctx, projectKey, atl.Str(r, "restrictionValue"), acl); err != nil {
				return nil, err
			}
		}
		return atl.SortedKeys(acl), nil
	}
	if s.flavor != Cloud {
		if err := s.permittedUsers(ctx, "issueKey="+url.QueryEscape(key), acl); err != nil {
			return nil, err
		}
		return atl.SortedKeys(acl), nil
	}
	var sec map[string]any
	if err := s.client.GetJSON(ctx, s.url("rest/api/2/issue/"+url.PathEscape(key)+"?fields=security"), &sec); err != nil {
		return nil, fmt.Errorf("reading the security level of issue %s: %w", key, s.explain(err))
	}
	level := atl.Str(sec, "fields", "security", "id")
	if level == "" {
		return s.projectAccess(ctx, projectKey)
	}
	for start := 0; ; {
		var page struct {
			Total  int              `json:"total"`
			Values []map[string]any `json:"values"`
		}
		u := s.url(fmt.Sprintf("rest/api/3/issuesecurityschemes/level/member?maxResults=%d&startAt=%d&levelId=%s&expand=user,group,projectRole",
			searchPage, start, url.QueryEscape(level)))
		if err := s.client.GetJSON(ctx, u, &page); err != nil {
			return nil, fmt.Errorf("reading the members of security level %s (issue %s): %w", level, key, s.explain(err))
		}
		for _, m := range page.Values {
			holder, _ := m["holder"].(map[string]any)
			switch atl.Str(holder, "type") {
			case "user":
				user, _ := holder["user"].(map[string]any)
				if atl.IsActiveUser(user, true) {
					acl[atl.AccountID(atl.Str(user, "accountId"))] = true
					acl[atl.Name(atl.Str(user, "displayName"))] = true
				}
			case "group":
				acl[atl.GroupID(atl.Str(holder, "group", "groupId"))] = true
			case "projectRole":
				// atlassian-addons-project-access (10003) grants apps, not people.
				if id := atl.Str(holder, "projectRole", "id"); id != "" && id != "10003" {
					if err := s.roleMembers(ctx, projectKey, id, acl); err != nil {
						return nil, err
					}
				}
			}
		}
		start += len(page.Values)
		if len(page.Values) == 0 || start >= page.Total {
			break
		}
	}
	return atl.SortedKeys(acl), nil
}

// AccessControl emits one identity document per active user: Cloud's site users, or Server and
// Data Center's user search (at most the first 1000, as the original).
func (s *Source) AccessControl(ctx context.Context, emit func(connector.Document) error) error {
	if !s.dls {
		s.log.Warn("document level security is not enabled; no access control documents to sync")
		return nil
	}
	if s.flavor == Cloud {
		return s.explain(atl.CloudUsers(ctx, s.client, strings.TrimSuffix(s.base, "/"), emit))
	}
	for start := 0; ; start += userPage {
		var users []map[string]any
		u := s.url(fmt.Sprintf("rest/api/latest/user/search?username=''&startAt=%d&maxResults=%d", start, userPage))
		if err := s.client.GetJSON(ctx, u, &users); err != nil {
			return fmt.Errorf("listing Jira's users: %w", s.explain(err))
		}
		if len(users) == 0 {
			return nil
		}
		for _, u := range users {
			if !atl.IsActiveUser(u, false) {
				continue
			}
			var full map[string]any
			if err := s.client.GetJSON(ctx, atl.Str(u, "self")+"&expand=groups,applicationRoles", &full); err != nil {
				return fmt.Errorf("reading user %s: %w", atl.Str(u, "name"), s.explain(err))
			}
			doc := atl.UserDocument(full)
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
	}
}

var (
	_ connector.ConfigValidator            = (*Source)(nil)
	_ connector.AdvancedRulesValidator     = (*Source)(nil)
	_ connector.AccessControlSource        = (*Source)(nil)
	_ connector.DownloadConcurrencyLimiter = (*Source)(nil)
)
