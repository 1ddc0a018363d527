// Package confluence is the Confluence source (service type confluence): spaces, pages, blog
// posts and their attachments from Confluence Cloud, Server or Data Center, with CQL advanced
// rules and document-level security from space permissions and page restrictions, as the
// original connector does. docs/sources/confluence.md describes the documents and the
// differences.
package confluence

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
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	atl "github.com/connectors-go/connectors/sources/internal/atlassian"
	"github.com/connectors-go/connectors/sources/internal/saasclient"
)

// ServiceType is the connector service type of this source.
const ServiceType = "confluence"

// The data_source values.
const (
	Cloud      = "confluence_cloud"
	Server     = "confluence_server"
	DataCenter = "confluence_data_center"
)

// The original's queries.
const (
	spaceQueryCloud   = "limit=100&expand=permissions,history"
	spaceQueryServer  = "limit=100"
	contentQueryCloud = "limit=50&expand=ancestors,children.attachment,history.lastUpdated,body.storage,space,space.permissions," +
		"restrictions.read.restrictions.user,restrictions.read.restrictions.group"
	contentQueryServer = "limit=50&expand=ancestors,children.attachment,history.lastUpdated,body.storage,space," +
		"restrictions.read.restrictions.user,restrictions.read.restrictions.group"
	attachmentQuery = "limit=100&expand=version,history"
	searchQuery     = "limit=100&expand=content.history,content.extensions,content.container,content.space,content.body.storage,space.description,space.history"
	// dcSearchPage is the page size the original assumes for Data Center searches.
	dcSearchPage   = 50
	userPageServer = 1000
	userPageDC     = 200
)

// flavors are the data_source values.
var flavors = atl.Flavors{Cloud: Cloud, Server: Server, DataCenter: DataCenter}

func dep(field string, value any) connector.Dependency {
	return connector.Dependency{Field: field, Value: value}
}

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Confluence",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true, DocumentLevelSecurity: true, IncrementalSync: true},
	Fields: append(atl.AuthFields("Confluence", flavors, Server, ""),
		[]connector.Field{
			{Key: "confluence_url", Label: "Confluence URL", Order: 10},
			{Key: "spaces", Label: "Space keys", Order: 11, Type: connector.TypeList, Display: connector.DisplayTextarea,
				Tooltip: "Comma-separated space keys, or * for every space. Not used when advanced sync rules are set."},
			{Key: "index_labels", Label: "Index labels", Order: 12, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
				Tooltip: "Adds each page's and blog post's labels, at the cost of one more request per item."},
			{Key: "ssl_enabled", Label: "Verify the server's certificate", Order: 13, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false},
			{Key: "ssl_ca", Label: "CA certificate (PEM)", Order: 14, DependsOn: []connector.Dependency{dep("ssl_enabled", true)}},
			{Key: "retry_count", Label: "Retries per failed request", Order: 15, Type: connector.TypeInt, Display: connector.DisplayNumeric,
				Optional: true, DefaultValue: 3, UIRestrictions: []string{connector.UIAdvanced}},
			{Key: "concurrent_downloads", Label: "Attachments downloaded at once", Order: 16, Type: connector.TypeInt, Display: connector.DisplayNumeric,
				Optional: true, DefaultValue: 50, UIRestrictions: []string{connector.UIAdvanced},
				Validations: []connector.Validation{connector.LessThan(51)}},
			{Key: "use_document_level_security", Label: "Document level security", Order: 17, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
				Tooltip: "Index who may see each space, page, blog post and attachment (from space permissions and page restrictions), and sync " +
					"the users' identities, so that searches only return what the searching user may see in Confluence."},
			{Key: "use_text_extraction_service", Label: "Use the text extraction service", Order: 18, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
				UIRestrictions: []string{connector.UIAdvanced},
				Tooltip:        "Needs a separately deployed Elastic text extraction service, and text extraction turned off in the index's pipeline settings."},
		}...),
	New: New,
}

func init() { connector.Register(Factory) }

// Source reads one Confluence site.
type Source struct {
	flavor    string
	site      string // confluence_url without a trailing slash
	host      string // the API root: site, plus /wiki on Cloud
	spaces    []string
	labels    bool
	downloads int
	dls       bool
	client    *saasclient.Client
	log       *slog.Logger
	credField string
	authorKey string
}

// New builds a source from its configuration; it does not contact Confluence.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := &Source{
		flavor:    cfg.String("data_source"),
		site:      strings.TrimSuffix(strings.TrimSpace(cfg.String("confluence_url")), "/"),
		spaces:    cfg.List("spaces"),
		labels:    cfg.Bool("index_labels"),
		downloads: cfg.Int("concurrent_downloads"),
		dls:       env.Features.DocumentLevelSecurity && cfg.Bool("use_document_level_security"),
		log:       env.Log().With("service_type", ServiceType),
		authorKey: "publicName",
	}
	s.host = s.site
	switch s.flavor {
	case Cloud:
		s.host += "/wiki"
	case DataCenter:
		s.authorKey = "username"
	}
	var err error
	if s.client, s.credField, err = atl.SiteClient(cfg, env, flavors, s.log); err != nil {
		return nil, err
	}
	return s, nil
}

// api joins a path (with or without its leading slash) to the API root.
func (s *Source) api(rel string) string { return s.host + "/" + strings.TrimPrefix(rel, "/") }

// explain turns a client error into one that names the setting at fault.
func (s *Source) explain(err error) error {
	return atl.Explain(err, "Confluence", s.credField, "confluence_url", s.site)
}

// Ping lists one space.
func (s *Source) Ping(ctx context.Context) error {
	var page map[string]any
	if err := s.client.GetJSON(ctx, s.api("rest/api/space?limit=1"), &page); err != nil {
		return s.explain(err)
	}
	return nil
}

func (s *Source) wildcard() bool { return len(s.spaces) == 1 && s.spaces[0] == "*" }

func (s *Source) spaceQuery() string {
	if s.flavor == Cloud {
		return spaceQueryCloud
	}
	return spaceQueryServer
}

// ValidateConfig checks the URL, that Confluence answers, and that every configured space
// exists, as the original does.
func (s *Source) ValidateConfig(ctx context.Context) error {
	u, err := url.Parse(s.site)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("configuration field \"confluence_url\": %q is not an http(s) URL", s.site)
	}
	if len(s.spaces) == 0 {
		return errors.New("configuration field \"spaces\": give space keys, or * for every space")
	}
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if s.wildcard() {
		return nil
	}
	var keys []string
	if err := s.paginate(ctx, "rest/api/space?"+s.spaceQuery(), func(page map[string]any) error {
		for _, sp := range atl.List(page, "results") {
			keys = append(keys, atl.Str(sp, "key"))
		}
		return nil
	}); err != nil {
		return s.explain(err)
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	var missing []string
	for _, k := range s.spaces {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("configuration field \"spaces\": Spaces '%s' are not available. Available spaces are: '%s'",
			strings.Join(missing, ", "), strings.Join(keys, ", "))
	}
	return nil
}

// ValidateAdvancedRules checks the CQL rules' shape, as the original does.
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

// paginate follows _links.next (relative to the API root) from a first path.
func (s *Source) paginate(ctx context.Context, first string, each func(map[string]any) error) error {
	u := s.api(first)
	for {
		var page map[string]any
		if err := s.client.GetJSON(ctx, u, &page); err != nil {
			return err
		}
		if err := each(page); err != nil {
			return err
		}
		next := atl.Str(page, "_links", "next")
		if next == "" {
			return nil
		}
		u = s.api(next)
	}
}

// emitErr marks an error returned by emit, which ends the sync instead of being reported as an
// incomplete listing.
type emitErr struct{ err error }

func (e *emitErr) Error() string { return e.err.Error() }
func (e *emitErr) Unwrap() error { return e.err }

func emitting(emit func(connector.Document) error, d connector.Document) error {
	if err := emit(d); err != nil {
		return &emitErr{connector.DocError(d.ID, err)}
	}
	return nil
}

func fatal(ctx context.Context, err error) bool {
	var ee *emitErr
	return ctx.Err() != nil || errors.As(err, &ee)
}

// refused returns the error that ends the sync when err is the site refusing the credentials
// (atl.Refused: every later request would be refused too), else nil: a listing that fails
// otherwise is reported as incomplete and the sync goes on.
func (s *Source) refused(err error) error {
	if atl.Refused(err) {
		return s.explain(err)
	}
	return nil
}

// Docs emits the configured spaces with their blog posts, pages and attachments, or the results
// of each CQL advanced rule.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if req.HasAdvancedRules() {
		if problems := atl.ValidateAdvancedRules(req.AdvancedRules); len(problems) > 0 {
			return fmt.Errorf("advanced sync rules: %s", strings.Join(problems, "; "))
		}
		for _, q := range atl.Queries(req.AdvancedRules) {
			if err := s.search(ctx, req, q, emit); err != nil {
				return err
			}
		}
		return nil
	}
	want := map[string]bool{}
	for _, k := range s.spaces {
		want[k] = true
	}
	err := s.paginate(ctx, "rest/api/space?"+s.spaceQuery(), func(page map[string]any) error {
		for _, sp := range atl.List(page, "results") {
			space, _ := sp.(map[string]any)
			if !s.wildcard() && !want[atl.Str(space, "key")] {
				continue
			}
			if err := s.space(ctx, req, space, emit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if fatal(ctx, err) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errors.Unwrap(err)
		}
		if stop := s.refused(err); stop != nil {
			return stop
		}
		req.ReportIncomplete("Confluence spaces", s.explain(err))
	}
	return nil
}

// space emits a space and its content.
func (s *Source) space(ctx context.Context, req connector.DocsRequest, space map[string]any, emit func(connector.Document) error) error {
	key := atl.Str(space, "key")
	doc := connector.Document{
		ID:        atl.Str(space, "id"),
		Timestamp: connector.FormatTime(time.Now()),
		Fields: map[string]any{
			"type":  "Space",
			"title": atl.Get(space, "name"),
			"url":   s.host + atl.Str(space, "_links", "webui"),
			"key":   key,
		},
	}
	if s.flavor == Cloud {
		doc.Fields["createdDate"] = atl.Get(space, "history", "createdDate")
		doc.Fields["author"] = atl.Get(space, "history", "createdBy", s.authorKey)
	}
	if s.dls {
		acl, err := s.spaceAccess(ctx, space, "space")
		if err != nil {
			return err
		}
		doc.AllowAccessControl = acl
	}
	if err := emitting(emit, doc); err != nil {
		return err
	}
	q := s.contentQuery()
	for _, typ := range []string{"blogpost", "page"} {
		cql := url.QueryEscape("space in ('" + key + "') AND type=" + typ)
		err := s.paginate(ctx, "rest/api/content/search?cql="+cql+"&"+q, func(page map[string]any) error {
			for _, c := range atl.List(page, "results") {
				content, _ := c.(map[string]any)
				if err := s.content(ctx, req, content, typ, emit); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			if fatal(ctx, err) {
				return err
			}
			if stop := s.refused(err); stop != nil {
				return stop
			}
			req.ReportIncomplete(fmt.Sprintf("Confluence %ss of space %s", typ, key), s.explain(err))
		}
	}
	return nil
}

func (s *Source) contentQuery() string {
	if s.flavor == Cloud {
		return contentQueryCloud
	}
	return contentQueryServer
}

// content emits a page or blog post, then its attachments.
func (s *Source) content(ctx context.Context, req connector.DocsRequest, c map[string]any, target string, emit func(connector.Document) error) error {
	id := atl.Str(c, "id")
	ancestors := []any{}
	for _, a := range atl.List(c, "ancestors") {
		ancestors = append(ancestors, map[string]any{"title": atl.Get(a, "title")})
	}
	var body any
	if v, ok := atl.Get(c, "body", "storage", "value").(string); ok {
		body = htmlToText(v)
	}
	typ := atl.Str(c, "type")
	doc := connector.Document{
		ID:        id,
		Timestamp: atl.Str(c, "history", "lastUpdated", "when"),
		Fields: map[string]any{
			"type":        typ,
			"title":       atl.Get(c, "title"),
			"ancestors":   ancestors,
			"space":       atl.Get(c, "space", "name"),
			"body":        body,
			"url":         s.host + atl.Str(c, "_links", "webui"),
			"author":      atl.Get(c, "history", "createdBy", s.authorKey),
			"createdDate": atl.Get(c, "history", "createdDate"),
		},
	}
	if s.labels {
		var page map[string]any
		if err := s.client.GetJSON(ctx, s.api("rest/api/content/"+url.PathEscape(id)+"/label"), &page); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if stop := s.refused(err); stop != nil {
				return stop
			}
			req.ReportIncomplete("labels of Confluence content "+id, s.explain(err))
			return nil
		}
		labels := []any{}
		for _, l := range atl.List(page, "results") {
			labels = append(labels, atl.Get(l, "name"))
		}
		doc.Fields["labels"] = labels
	}
	var acl []string
	if s.dls {
		var err error
		if acl, err = s.contentAccess(ctx, c, target); err != nil {
			return err
		}
		doc.AllowAccessControl = acl
	}
	if err := emitting(emit, doc); err != nil {
		return err
	}
	n, _ := strconv.Atoi(atl.Str(c, "children", "attachment", "size"))
	if n == 0 {
		return nil
	}
	title, _ := doc.Fields["title"].(string)
	err := s.paginate(ctx, "rest/api/content/"+url.PathEscape(id)+"/child/attachment?"+attachmentQuery, func(page map[string]any) error {
		for _, a := range atl.List(page, "results") {
			att, _ := a.(map[string]any)
			stamp := atl.Str(att, "version", "when")
			if stamp == "" {
				stamp = connector.FormatTime(time.Now())
			}
			size := atl.Get(att, "extensions", "fileSize")
			if size == nil {
				size = 0
			}
			adoc := connector.Document{
				ID:        atl.Str(att, "id"),
				Timestamp: stamp,
				Fields: map[string]any{
					"type":        atl.Get(att, "type"),
					"title":       atl.Get(att, "title"),
					"space":       doc.Fields["space"],
					typ:           title,
					"size":        size,
					"url":         s.host + atl.Str(att, "_links", "webui"),
					"createdDate": atl.Get(att, "history", "createdDate"),
				},
			}
			if s.dls {
				adoc.AllowAccessControl = acl
			}
			s.attachContent(&adoc, atl.Str(att, "title"), atl.Str(att, "extensions", "fileSize"), atl.Str(att, "_links", "download"))
			if err := emitting(emit, adoc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if fatal(ctx, err) {
			return err
		}
		if stop := s.refused(err); stop != nil {
			return stop
		}
		// A 403 here is a permission on this item's attachments: the rest of the sync goes on.
		req.ReportIncomplete("attachments of Confluence content "+id, s.explain(err))
	}
	return nil
}

// attachContent makes an attachment's content downloadable from its download link.
func (s *Source) attachContent(d *connector.Document, name, size, link string) {
	n, _ := strconv.ParseInt(size, 10, 64)
	if n <= 0 || link == "" || !extract.Supported(name) {
		return
	}
	u := s.api(link)
	d.Content = &connector.Content{Name: name, Size: n, Open: func(ctx context.Context) (io.ReadCloser, error) {
		resp, err := s.client.Get(ctx, u)
		if err != nil {
			return nil, s.explain(err)
		}
		return resp.Body, nil
	}}
}

// search emits the results of one CQL query (spaces, pages, blog posts, attachments).
func (s *Source) search(ctx context.Context, req connector.DocsRequest, cql string, emit func(connector.Document) error) error {
	each := func(page map[string]any) error {
		for _, r := range atl.List(page, "results") {
			if err := s.searchResult(r.(map[string]any), emit); err != nil {
				return err
			}
		}
		return nil
	}
	q := "rest/api/search?cql=" + url.QueryEscape(cql) + "&" + searchQuery
	var err error
	if s.flavor == DataCenter {
		for start := 0; err == nil; start += dcSearchPage {
			var page map[string]any
			if err = s.client.GetJSON(ctx, s.api(q+"&start="+strconv.Itoa(start)), &page); err != nil {
				break
			}
			if err = each(page); err != nil || len(atl.List(page, "results")) < dcSearchPage {
				break
			}
		}
	} else {
		err = s.paginate(ctx, q, each)
	}
	if err != nil {
		if fatal(ctx, err) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errors.Unwrap(err)
		}
		if stop := s.refused(err); stop != nil {
			return stop
		}
		req.ReportIncomplete("Confluence search "+cql, s.explain(err))
	}
	return nil
}

func (s *Source) searchResult(r map[string]any, emit func(connector.Document) error) error {
	details, _ := r["space"].(map[string]any)
	if details == nil {
		details, _ = r["content"].(map[string]any)
	}
	if atl.Str(details, "type") == "attachment" && atl.Get(details, "container", "title") == nil {
		return nil
	}
	var body any
	if v, ok := atl.Get(details, "body", "storage", "value").(string); ok {
		body = htmlToText(v)
	}
	entity := atl.Str(r, "entityType")
	fields := map[string]any{
		"title": atl.Get(r, "title"),
		"body":  body,
		"type":  atl.Get(r, "entityType"),
		"url":   s.host + atl.Str(r, "url"),
	}
	doc := connector.Document{ID: atl.Str(details, "id"), Timestamp: atl.Str(r, "lastModified"), Fields: fields}
	if entity == "space" && s.flavor == Cloud {
		fields["author"] = atl.Get(r, "space", "history", "createdBy", s.authorKey)
		fields["createdDate"] = atl.Get(r, "space", "history", "createdDate")
	}
	if entity == "content" {
		fields["type"] = atl.Get(details, "type")
		fields["space"] = atl.Get(details, "space", "name")
		fields["author"] = atl.Get(r, "content", "history", "createdBy", s.authorKey)
		fields["createdDate"] = atl.Get(r, "content", "history", "createdDate")
		if atl.Str(details, "type") == "attachment" {
			fields["size"] = atl.Get(details, "extensions", "fileSize")
			fields[atl.Str(details, "container", "type")] = atl.Get(details, "container", "title")
			delete(fields, "body")
			s.attachContent(&doc, atl.Str(details, "title"), atl.Str(details, "extensions", "fileSize"), atl.Str(details, "_links", "download"))
		}
	}
	return emitting(emit, doc)
}

// ---- document-level security ----

// permissionAccess is the original's reading of Cloud space permissions for a target type: a
// permission counts when it targets that type, targets the space, or is a read.
func permissionAccess(perms []any, target string) []string {
	acl := map[string]bool{}
	for _, p := range perms {
		tt, op := atl.Str(p, "operation", "targetType"), atl.Str(p, "operation", "operation")
		if tt != target && tt != "space" && op != "read" {
			continue
		}
		for id := range cloudIdentities(atl.Get(p, "subjects")) {
			acl[id] = true
		}
	}
	return atl.SortedKeys(acl)
}

// cloudIdentities reads users (Atlassian accounts) and groups of a subjects or restrictions
// object.
func cloudIdentities(v any) map[string]bool {
	out := map[string]bool{}
	items := append(atl.List(v, "user", "results"), atl.List(v, "group", "results")...)
	for _, it := range items {
		switch atl.Str(it, "type") {
		case "known":
			if atl.Str(it, "accountType") == "atlassian" {
				out[atl.AccountID(atl.Str(it, "accountId"))] = true
			}
		case "group":
			out[atl.GroupID(atl.Str(it, "id"))] = true
		}
	}
	return out
}

// serverIdentities reads users (by user name) and groups (by name), Server and Data Center.
func serverIdentities(v any) map[string]bool {
	out := map[string]bool{}
	items := append(atl.List(v, "user", "results"), atl.List(v, "group", "results")...)
	for _, it := range items {
		switch atl.Str(it, "type") {
		case "known":
			out[atl.User(atl.Str(it, "username"))] = true
		case "group":
			out[atl.Group(atl.Str(it, "name"))] = true
		}
	}
	return out
}

func (s *Source) identities(v any) map[string]bool {
	if s.flavor == Cloud {
		return cloudIdentities(v)
	}
	return serverIdentities(v)
}

// spaceAccess is who may see a space's items: Cloud's expanded space permissions, or on Server
// and Data Center the Extender app's VIEWSPACE actors (nobody when the app does not answer, as
// the original).
func (s *Source) spaceAccess(ctx context.Context, space map[string]any, target string) ([]string, error) {
	if s.flavor == Cloud {
		return permissionAccess(atl.List(space, "permissions"), target), nil
	}
	key := atl.Str(space, "key")
	var perm map[string]any
	u := s.api("rest/extender/1.0/permission/space/" + url.PathEscape(key) + "/getSpacePermissionActors/VIEWSPACE")
	if err := s.client.GetJSON(ctx, u, &perm); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if stop := s.refused(err); stop != nil {
			return nil, stop
		}
		s.log.Warn("cannot read space permissions; is the Extender for Confluence app installed? The space's items get no identities",
			"space", key, "error", err.Error())
		return []string{}, nil
	}
	acl := map[string]bool{}
	for _, u := range atl.List(perm, "permissions", "VIEWSPACE", "users") {
		if name, _ := u.(string); name != "" {
			acl[atl.User(name)] = true
		}
	}
	for _, g := range atl.List(perm, "permissions", "VIEWSPACE", "groups") {
		if name, _ := g.(string); name != "" {
			acl[atl.Group(name)] = true
		}
	}
	return atl.SortedKeys(acl), nil
}

// contentAccess is who may see a page or blog post: the intersection of the read restrictions of
// the item and of its ancestors that have any; the space's when none has; nobody when an
// ancestor's restrictions cannot be read (fail closed, as the original).
func (s *Source) contentAccess(ctx context.Context, c map[string]any, target string) ([]string, error) {
	var layers []map[string]bool
	if own := s.identities(atl.Get(c, "restrictions", "read", "restrictions")); len(own) > 0 {
		layers = append(layers, own)
	}
	for _, a := range atl.List(c, "ancestors") {
		id := atl.Str(a, "id")
		if id == "" {
			continue
		}
		var r map[string]any
		u := s.api("rest/api/content/" + url.PathEscape(id) + "/restriction/byOperation/read?expand=restrictions.user,restrictions.group")
		if err := s.client.GetJSON(ctx, u, &r); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if saasclient.IsStatus(err, http.StatusNotFound) {
				continue
			}
			if stop := s.refused(err); stop != nil {
				return nil, stop
			}
			s.log.Warn("cannot read an ancestor's restrictions; the item gets no identities", "content", atl.Str(c, "id"), "ancestor", id, "error", err.Error())
			return []string{}, nil
		}
		if ids := s.identities(atl.Get(r, "restrictions")); len(ids) > 0 {
			layers = append(layers, ids)
		}
	}
	if len(layers) == 0 {
		space, _ := c["space"].(map[string]any)
		return s.spaceAccess(ctx, space, target)
	}
	acl := map[string]bool{}
	for id := range layers[0] {
		in := true
		for _, l := range layers[1:] {
			if !l[id] {
				in = false
				break
			}
		}
		if in {
			acl[id] = true
		}
	}
	return atl.SortedKeys(acl), nil
}

// AccessControl emits one identity document per user: Cloud's site users (the Jira user
// listing at the site root), Data Center's user list, or Server's users through the Extender
// app.
func (s *Source) AccessControl(ctx context.Context, emit func(connector.Document) error) error {
	if !s.dls {
		s.log.Warn("document level security is not enabled; no access control documents to sync")
		return nil
	}
	if s.flavor == Cloud {
		return s.explain(atl.CloudUsers(ctx, s.client, s.site, emit))
	}
	path, key, limit := "rest/extender/1.0/user/getUsersWithConfluenceAccess?showExtendedDetails=true&startAt=%d&maxResults=%d", "users", userPageServer
	if s.flavor == DataCenter {
		path, key, limit = "rest/api/user/list?limit=%[2]d&start=%[1]d", "results", userPageDC
	}
	for start := 0; ; start += limit {
		var page map[string]any
		if err := s.client.GetJSON(ctx, s.site+"/"+fmt.Sprintf(path, start, limit), &page); err != nil {
			return fmt.Errorf("listing Confluence's users: %w", s.explain(err))
		}
		users := atl.List(page, key)
		if len(users) == 0 {
			return nil
		}
		for _, u := range users {
			var doc connector.Document
			if s.flavor == DataCenter {
				doc = dcUserDocument(u)
			} else {
				doc = serverUserDocument(u)
			}
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// dcUserDocument: _id user key, identities account id, user name and display name.
func dcUserDocument(u any) connector.Document {
	id := atl.Str(u, "userKey")
	acct, name, display := atl.AccountID(id), atl.Name(atl.Str(u, "username")), atl.Name(atl.Str(u, "displayName"))
	return connector.Document{ID: id, Fields: connector.AccessControlFields(map[string]any{
		"account_id": nilIfEmpty(acct), "username": nilIfEmpty(name), "display_name": nilIfEmpty(display),
	}, []string{acct, name, display})}
}

// serverUserDocument: _id user key (or name), identities account id, email and full name.
func serverUserDocument(u any) connector.Document {
	id := atl.Str(u, "key")
	if id == "" {
		id = atl.Str(u, "name")
	}
	acct, email, name := atl.AccountID(id), atl.Email(atl.Str(u, "email")), atl.Name(atl.Str(u, "fullName"))
	return connector.Document{ID: id, Fields: connector.AccessControlFields(map[string]any{
		"account_id": nilIfEmpty(acct), "display_name": nilIfEmpty(name), "email_address": nilIfEmpty(email),
	}, []string{acct, email, name})}
}

var (
	_ connector.ConfigValidator            = (*Source)(nil)
	_ connector.AdvancedRulesValidator     = (*Source)(nil)
	_ connector.AccessControlSource        = (*Source)(nil)
	_ connector.DownloadConcurrencyLimiter = (*Source)(nil)
)
