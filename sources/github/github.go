// Package github is the GitHub source (service type github): repositories, pull requests (with
// their comments, reviews, labels, assignees and review requests), issues and Markdown files of
// GitHub.com or GitHub Enterprise Server, read through GraphQL and REST as the original
// connector reads them, with personal access tokens or a GitHub App, advanced rules (issue and
// pull request searches, branches, paths) and document-level security from repository
// collaborators. docs/sources/github.md describes the documents and the differences.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/saasclient"
)

// ServiceType is the connector service type of this source.
const ServiceType = "github"

// Configuration values.
const (
	Cloud        = "github_cloud"
	Server       = "github_server"
	AuthToken    = "personal_access_token"
	AuthApp      = "github_app"
	Organization = "organization"
	Other        = "other"
	wildcard     = "*"
)

// cloudAPI is GitHub.com's API; tests point it elsewhere to exercise the GitHub.com layout.
var cloudAPI = "https://api.github.com"

var dep = func(field string, value any) connector.Dependency {
	return connector.Dependency{Field: field, Value: value}
}

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "GitHub",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true, DocumentLevelSecurity: true, IncrementalSync: true},
	Fields: []connector.Field{
		{Key: "data_source", Label: "GitHub deployment", Order: 1, Display: connector.DisplayDropdown, Value: Server,
			Options: []connector.Option{{Label: "GitHub Cloud", Value: Cloud}, {Label: "GitHub Server", Value: Server}}},
		{Key: "host", Label: "GitHub Enterprise Server URL", Order: 2, DependsOn: []connector.Dependency{dep("data_source", Server)},
			Validations: []connector.Validation{connector.Regex(`^https://.*`)}},
		{Key: "auth_method", Label: "Sign in with", Order: 3, Display: connector.DisplayDropdown, Value: AuthToken,
			Options: []connector.Option{{Label: "Personal access token", Value: AuthToken}, {Label: "GitHub App", Value: AuthApp}}},
		{Key: "token", Label: "Personal access token", Order: 4, Sensitive: true, DependsOn: []connector.Dependency{dep("auth_method", AuthToken)}},
		{Key: "repo_type", Label: "Repository owner", Order: 5, Display: connector.DisplayDropdown, Value: Other,
			Options: []connector.Option{{Label: "Organization", Value: Organization}, {Label: "Other", Value: Other}},
			Tooltip: "Document level security works only with an organization's repositories."},
		{Key: "org_name", Label: "Organization", Order: 6, DependsOn: []connector.Dependency{dep("auth_method", AuthToken), dep("repo_type", Organization)}},
		{Key: "app_id", Label: "GitHub App ID", Order: 7, Type: connector.TypeInt, Display: connector.DisplayNumeric, DependsOn: []connector.Dependency{dep("auth_method", AuthApp)}},
		{Key: "private_key", Label: "GitHub App private key (PEM)", Order: 8, Display: connector.DisplayTextarea, Sensitive: true, DependsOn: []connector.Dependency{dep("auth_method", AuthApp)}},
		{Key: "repositories", Label: "Repositories", Order: 9, Type: connector.TypeList, Display: connector.DisplayTextarea,
			Tooltip: "Comma-separated repositories (name or owner/name), or * for all. Not used when advanced sync rules are set."},
		{Key: "ssl_enabled", Label: "Verify the server's certificate", Order: 10, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false},
		{Key: "ssl_ca", Label: "CA certificate (PEM)", Order: 11, DependsOn: []connector.Dependency{dep("ssl_enabled", true)}},
		{Key: "retry_count", Label: "Retries per failed request", Order: 12, Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, Value: 3, UIRestrictions: []string{connector.UIAdvanced}, Extra: map[string]any{"display_value": 3}},
		{Key: "use_text_extraction_service", Label: "Use the text extraction service", Order: 13, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "Needs a separately deployed Elastic text extraction service, and text extraction turned off in the index's pipeline settings."},
		{Key: "use_document_level_security", Label: "Document level security", Order: 14, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			DependsOn: []connector.Dependency{dep("repo_type", Organization)},
			Tooltip: "Index who may read each private or internal repository (its collaborators who are organization members) and sync " +
				"the members' identities, so that searches only return what the searching user may read on GitHub."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source reads one GitHub.com account set or one GitHub Enterprise Server.
type Source struct {
	dataSource, authMethod, repoType, orgName string
	rawHost                                   string
	rest, graphqlURL                          string
	repos                                     []string
	dls                                       bool
	app                                       *appAuth
	token                                     string
	client                                    *saasclient.Client
	log                                       *slog.Logger

	mu      sync.Mutex
	viewer  string
	members map[string]map[string]bool // org → member node ids
}

// New builds a source from its configuration; it does not contact GitHub.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := &Source{
		dataSource: cfg.String("data_source"),
		authMethod: cfg.String("auth_method"),
		repoType:   cfg.String("repo_type"),
		orgName:    strings.TrimSpace(cfg.String("org_name")),
		rawHost:    strings.TrimSpace(cfg.String("host")),
		token:      strings.TrimSpace(cfg.String("token")),
		log:        env.Log().With("service_type", ServiceType),
		members:    map[string]map[string]bool{},
	}
	for _, r := range cfg.List("repositories") {
		if r = strings.TrimSpace(r); r != "" {
			s.repos = append(s.repos, r)
		}
	}
	s.dls = env.Features.DocumentLevelSecurity && cfg.Bool("use_document_level_security") && s.repoType == Organization
	switch s.dataSource {
	case Cloud:
		s.rest, s.graphqlURL = cloudAPI, cloudAPI+"/graphql"
	case Server:
		base := strings.TrimRight(s.rawHost, "/") + "/api"
		s.rest, s.graphqlURL = base+"/v3", base+"/graphql"
	default:
		return nil, fmt.Errorf("configuration field \"data_source\": %q is not one of %s, %s", s.dataSource, Cloud, Server)
	}
	switch s.repoType {
	case Organization, Other:
	default:
		return nil, fmt.Errorf("configuration field \"repo_type\": %q is not one of %s, %s", s.repoType, Organization, Other)
	}
	switch s.authMethod {
	case AuthToken:
	case AuthApp:
		app, err := newAppAuth(cfg.Int("app_id"), cfg.String("private_key"))
		if err != nil {
			return nil, err
		}
		s.app = app
	default:
		return nil, fmt.Errorf("configuration field \"auth_method\": %q is not one of %s, %s", s.authMethod, AuthToken, AuthApp)
	}
	tlsCfg, err := saasclient.TLSConfig(cfg.Bool("ssl_enabled"), cfg.String("ssl_ca"), "ssl_ca")
	if err != nil {
		return nil, err
	}
	retries, ok := cfg.IntOK("retry_count")
	if !ok || retries < 0 {
		retries = 3
	}
	httpc, conns := saasclient.TrackedHTTP(&http.Transport{
		TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, Proxy: http.ProxyFromEnvironment,
	}, 0)
	s.client = &saasclient.Client{
		HTTP:    httpc,
		Conns:   conns,
		Prepare: s.sign,
		Retries: retries,
		Log:     s.log,
	}
	if s.app != nil {
		s.client.Refresh = s.refreshInstallationToken
	}
	return s, nil
}

// sign adds the current credentials: the personal access token, or the installation token of
// the installation being read.
func (s *Source) sign(r *http.Request) {
	r.Header.Set("Accept", "application/vnd.github+json")
	tok := s.token
	if s.app != nil {
		tok = s.app.current()
	}
	if tok != "" {
		r.Header.Set("Authorization", "token "+tok)
	}
}

// credField names the settings to check when GitHub refuses the credentials.
func (s *Source) credField() string {
	if s.app != nil {
		return `configuration fields "app_id" and "private_key"`
	}
	return `configuration field "token"`
}

// explain turns a client error into one that names the setting at fault, with the original's
// messages where users know them.
func (s *Source) explain(err error) error {
	var se *saasclient.StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusUnauthorized:
			return fmt.Errorf("%s: Your Github token is either expired or revoked. Please check again. (%w)", s.credField(), err)
		case http.StatusForbidden:
			return fmt.Errorf("%s: Provided GitHub token does not have the necessary permissions to perform the request for the URL: %s. (%w)", s.credField(), se.URL, err)
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		field := `"host"`
		if s.dataSource == Cloud {
			field = `"data_source"`
		}
		return fmt.Errorf("configuration field %s: cannot reach GitHub at %s: %w", field, s.rest, err)
	}
	return err
}

// gqlError is one GraphQL error as GitHub reports it.
type gqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path,omitempty"`
}

// GraphQLError is a query GitHub answered with errors.
type GraphQLError struct{ Errors []gqlError }

func (e *GraphQLError) Error() string {
	b, _ := json.Marshal(e.Errors)
	return "Error while executing query. Exception: " + string(b)
}

// graphql runs a query. GitHub's GraphQL rate limit answers 200 with a RATE_LIMITED error: then
// it waits until the limit resets (read from GET /rate_limit, as the original does) and tries
// again. Errors whose type is in ignore are not errors: their fields are null in the data.
func (s *Source) graphql(ctx context.Context, query string, vars map[string]any, ignore ...string) (map[string]any, error) {
	for attempt := 0; ; attempt++ {
		var out struct {
			Data   map[string]any `json:"data"`
			Errors []gqlError     `json:"errors"`
		}
		body := map[string]any{"query": query}
		if len(vars) > 0 {
			body["variables"] = vars
		}
		if err := s.client.PostJSON(ctx, s.graphqlURL, body, &out); err != nil {
			return nil, s.explain(err)
		}
		if len(out.Errors) == 0 {
			return out.Data, nil
		}
		limited := false
		var kept []gqlError
		for _, e := range out.Errors {
			if strings.EqualFold(e.Type, "RATE_LIMITED") {
				limited = true
			}
			if !contains(ignore, e.Type) {
				kept = append(kept, e)
			}
		}
		if limited && attempt < 10 {
			if err := s.waitForGraphQLReset(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if len(kept) == 0 {
			return out.Data, nil
		}
		return out.Data, &GraphQLError{Errors: kept}
	}
}

// waitForGraphQLReset sleeps until GitHub's GraphQL rate limit resets.
func (s *Source) waitForGraphQLReset(ctx context.Context) error {
	var rl struct {
		Resources struct {
			GraphQL struct {
				Reset int64 `json:"reset"`
			} `json:"graphql"`
		} `json:"resources"`
	}
	wait := 30 * time.Second
	if err := s.client.GetJSON(ctx, s.rest+"/rate_limit", &rl); err == nil && rl.Resources.GraphQL.Reset > 0 {
		wait = time.Until(time.Unix(rl.Resources.GraphQL.Reset, 0))
	} else if ctx.Err() != nil {
		return ctx.Err()
	}
	wait = min(max(wait, 0), 15*time.Minute) + 500*time.Millisecond
	s.log.Info("GitHub's GraphQL rate limit is used up; waiting for it to reset", "wait", wait.String())
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// paginate runs a query page by page, following the connection at keys (pageInfo.endCursor
// into $cursor), and passes each page's data to each.
func (s *Source) paginate(ctx context.Context, query string, vars map[string]any, keys []string, each func(data map[string]any) error) error {
	v := map[string]any{}
	for k, x := range vars {
		v[k] = x
	}
	for {
		data, err := s.graphql(ctx, query, v)
		if err != nil {
			return err
		}
		if err := each(data); err != nil {
			return err
		}
		pi, _ := get(data, append(append([]string(nil), keys...), "pageInfo")...).(map[string]any)
		if next, _ := pi["hasNextPage"].(bool); !next {
			return nil
		}
		v["cursor"] = pi["endCursor"]
	}
}

// JSON walkers, shared with the other GraphQL source (saasclient).
var (
	get  = saasclient.Get
	str  = saasclient.Str
	list = saasclient.List
)

// ValidateConfig checks what field validation cannot, and then GitHub itself, as the original
// does: the token's scopes and that the configured repositories can be read.
func (s *Source) ValidateConfig(ctx context.Context) error {
	if s.dataSource == Server {
		u, err := url.Parse(s.rawHost)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("configuration field \"host\": %q is not an https:// URL", s.rawHost)
		}
	}
	if len(s.repos) == 0 {
		return errors.New(`configuration field "repositories": give repositories (name or owner/name), or * for all`)
	}
	if s.authMethod == AuthToken && s.repoType == Organization && s.orgName == "" {
		return errors.New(`configuration field "org_name": give the organization whose repositories to sync`)
	}
	if err := s.checkScopes(ctx); err != nil {
		return err
	}
	if contains(s.repos, wildcard) {
		return nil
	}
	bad, err := s.invalidRepos(ctx, s.repos)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		//lint:ignore ST1005 the original's message, which users know
		return fmt.Errorf("configuration field \"repositories\": Inaccessible repositories '%s'.", strings.Join(bad, ", "))
	}
	return nil
}

// checkScopes reads a personal access token's scopes (X-OAuth-Scopes of a HEAD on the GraphQL
// endpoint) and requires repo, user and read:org (write:org and admin:org include read:org).
func (s *Source) checkScopes(ctx context.Context) error {
	if s.authMethod != AuthToken {
		return nil
	}
	resp, err := s.client.Do(ctx, http.MethodHead, s.graphqlURL, nil, nil)
	if err != nil {
		return s.explain(err)
	}
	resp.Body.Close()
	scopes := map[string]bool{}
	for _, sc := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			scopes[sc] = true
		}
	}
	if scopes["write:org"] || scopes["admin:org"] {
		scopes["read:org"] = true
	}
	if !scopes["repo"] || !scopes["user"] || !scopes["read:org"] {
		//lint:ignore ST1005 the original's message, which users know
		return errors.New(`configuration field "token": Configured token does not have required rights to fetch the content. Required scopes are 'repo', 'user', and 'read:org'.`)
	}
	if len(scopes) > 3 {
		s.log.Warn("The provided token has higher privileges than required. It is advisable to run the connector with least privileged token. Required scopes are 'repo', 'user', and 'read:org'.")
	}
	return nil
}

// Ping reads the signed-in user (a token) or the app (a GitHub App).
func (s *Source) Ping(ctx context.Context) error {
	if s.app != nil {
		var app map[string]any
		if err := s.appGet(ctx, s.rest+"/app", &app); err != nil {
			return err
		}
		return nil
	}
	_, err := s.viewerLogin(ctx)
	return err
}

func (s *Source) viewerLogin(ctx context.Context) (string, error) {
	s.mu.Lock()
	v := s.viewer
	s.mu.Unlock()
	if v != "" || s.app != nil {
		return v, nil
	}
	data, err := s.graphql(ctx, viewerQuery, nil)
	if err != nil {
		return "", err
	}
	v = str(data, "viewer", "login")
	s.mu.Lock()
	s.viewer = v
	s.mu.Unlock()
	return v, nil
}

// Close ends the source's connections.
func (s *Source) Close() error {
	s.client.Close()
	return nil
}

// fullName gives a configured repository its owner: as written when it has one, else the
// organization (repo_type organization) or the token's user.
func (s *Source) fullName(ctx context.Context, name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if s.repoType == Organization {
		return s.orgName + "/" + name, nil
	}
	login, err := s.viewerLogin(ctx)
	return login + "/" + name, err
}

// invalidRepos lists the configured repositories GitHub does not let the credentials read,
// looking them up 15 per query.
func (s *Source) invalidRepos(ctx context.Context, names []string) ([]string, error) {
	var bad []string
	byOwner := map[string][]string{}
	var owners []string
	for _, n := range names {
		if n == wildcard {
			continue
		}
		if s.app != nil && len(strings.Split(n, "/")) != 2 {
			bad = append(bad, n) // an app needs OWNER/REPO: it may be installed on several accounts
			continue
		}
		full, err := s.fullName(ctx, n)
		if err != nil {
			return nil, err
		}
		owner, _, _ := strings.Cut(full, "/")
		if _, ok := byOwner[owner]; !ok {
			owners = append(owners, owner)
		}
		byOwner[owner] = append(byOwner[owner], full)
	}
	for _, owner := range owners {
		if s.app != nil {
			ok, err := s.useOwner(ctx, owner)
			if err != nil {
				return nil, err
			}
			if !ok {
				bad = append(bad, byOwner[owner]...)
				continue
			}
		}
		found, err := s.lookupRepos(ctx, byOwner[owner])
		if err != nil {
			return nil, err
		}
		for _, n := range byOwner[owner] {
			if found[n] == nil {
				bad = append(bad, n)
			}
		}
	}
	return bad, nil
}

// lookupRepos finds repositories by owner/name, batchSize per query; a missing one is nil.
func (s *Source) lookupRepos(ctx context.Context, names []string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for i := 0; i < len(names); i += batchSize {
		batch := names[i:min(i+batchSize, len(names))]
		vars := map[string]any{}
		for j, n := range batch {
			owner, repo, _ := strings.Cut(n, "/")
			vars[fmt.Sprintf("repo%d_owner", j)] = owner
			vars[fmt.Sprintf("repo%d_name", j)] = repo
		}
		data, err := s.graphql(ctx, batchRepoQuery(len(batch)), vars, "NOT_FOUND")
		if err != nil {
			return nil, err
		}
		for j, n := range batch {
			r, _ := data[fmt.Sprintf("repo%d", j)].(map[string]any)
			out[n] = r
		}
	}
	return out, nil
}

// ---- documents ----

// repoDoc turns a repository node into its document: the node's fields, with id and updatedAt
// becoming _id and _timestamp.
func repoDoc(node map[string]any) connector.Document {
	fields := make(map[string]any, len(node)+1)
	for k, v := range node {
		if k != "id" && k != "updatedAt" {
			fields[k] = v
		}
	}
	fields["type"] = "Repository"
	return connector.Document{ID: str(node, "id"), Timestamp: str(node, "updatedAt"), Fields: fields}
}

// owners lists the accounts whose repositories are read: the app's installations of the right
// kind, or the organization, or the token's user.
func (s *Source) owners(ctx context.Context) ([]string, error) {
	if s.app != nil {
		inst, err := s.installations(ctx)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, i := range inst {
			out = append(out, i.login)
		}
		return out, nil
	}
	if s.repoType == Organization {
		return []string{s.orgName}, nil
	}
	login, err := s.viewerLogin(ctx)
	if err != nil {
		return nil, err
	}
	return []string{login}, nil
}

// Docs emits the repositories with their pull requests, issues and files, or what the advanced
// rules select.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if req.HasAdvancedRules() {
		if problems := validateRulesShape(req.AdvancedRules); len(problems) > 0 {
			return fmt.Errorf("advanced sync rules: %s", strings.Join(problems, "; "))
		}
		return s.ruleDocs(ctx, req, emit)
	}
	resume := checkpointOf(req.Checkpoint)
	done := 0
	seen := map[string]bool{}
	skipping := resume.done > 0
	handle := func(node map[string]any) error {
		name := str(node, "nameWithOwner")
		if seen[name] {
			return nil
		}
		seen[name] = true
		done++
		if skipping {
			if done < resume.done {
				return nil
			}
			skipping = false
			if done == resume.done && name == resume.last {
				return nil
			}
			// The listing changed since the checkpoint (this is not the repository it named):
			// read this one; the ones skipped before it are caught up by the next sync, and a
			// resumed job deletes nothing.
		}
		if err := s.repository(ctx, req, node, emit); err != nil {
			return err
		}
		req.SaveCheckpoint(map[string]any{"repos_done": done, "last_repo": name})
		return nil
	}
	if contains(s.repos, wildcard) {
		owners, err := s.owners(ctx)
		if err != nil {
			return err
		}
		for _, owner := range owners {
			if s.app != nil {
				if _, err := s.useOwner(ctx, owner); err != nil {
					return err
				}
			}
			query, vars, keys := userReposQuery, map[string]any{"login": owner}, []string{"user", "repositories"}
			if s.repoType == Organization {
				query, vars, keys = orgReposQuery, map[string]any{"orgName": owner}, []string{"organization", "repositories"}
			}
			err := s.paginate(ctx, query, vars, keys, func(data map[string]any) error {
				for _, n := range list(data, append(keys, "nodes")...) {
					if node, ok := n.(map[string]any); ok {
						if err := handle(node); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				if isStop(ctx, err) {
					return err
				}
				req.ReportIncomplete("GitHub repositories of "+owner, err)
			}
		}
		return nil
	}
	for _, name := range s.repos {
		node, err := s.configuredRepo(ctx, name)
		if err != nil {
			if isStop(ctx, err) {
				return err
			}
			var nf *notFound
			if errors.As(err, &nf) {
				return err
			}
			req.ReportIncomplete("GitHub repository "+name, err)
			continue
		}
		if err := handle(node); err != nil {
			return err
		}
	}
	return nil
}

type notFound struct{ name string }

func (e *notFound) Error() string {
	return fmt.Sprintf("configuration field \"repositories\": Inaccessible repositories '%s'.", e.name)
}

// isStop reports an error that ends the sync: cancellation, emit failing, credentials refused.
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

// configuredRepo reads one configured repository (switching to its owner's installation for an
// app).
func (s *Source) configuredRepo(ctx context.Context, name string) (map[string]any, error) {
	full, err := s.fullName(ctx, name)
	if err != nil {
		return nil, err
	}
	if s.app != nil {
		owner, _, _ := strings.Cut(full, "/")
		ok, err := s.useOwner(ctx, owner)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &notFound{name: full}
		}
	}
	found, err := s.lookupRepos(ctx, []string{full})
	if err != nil {
		return nil, err
	}
	if found[full] == nil {
		return nil, &notFound{name: full}
	}
	return found[full], nil
}

type checkpoint struct {
	done int
	last string
}

func checkpointOf(m map[string]any) checkpoint {
	if m == nil {
		return checkpoint{}
	}
	var c checkpoint
	switch v := m["repos_done"].(type) {
	case float64:
		c.done = int(v)
	case int:
		c.done = v
	case json.Number:
		n, _ := v.Int64()
		c.done = int(n)
	}
	c.last, _ = m["last_repo"].(string)
	return c
}

// repository emits a repository and everything in it. A part whose listing fails after
// retries is reported and the rest goes on.
func (s *Source) repository(ctx context.Context, req connector.DocsRequest, node map[string]any, emit func(connector.Document) error) error {
	name := str(node, "nameWithOwner")
	owner, repo, _ := strings.Cut(name, "/")
	var acl []string
	if s.dls && !strings.EqualFold(str(node, "visibility"), "public") {
		var err error
		if acl, err = s.collaborators(ctx, owner, repo); err != nil {
			if isStop(ctx, err) {
				return err
			}
			// Without the access list nothing of the repository can be indexed safely.
			req.ReportIncomplete("GitHub repository "+name+" (collaborators)", err)
			return nil
		}
	}
	withACL := func(d connector.Document) connector.Document {
		if acl != nil {
			d.AllowAccessControl = acl
		}
		return d
	}
	doc := withACL(repoDoc(node))
	if err := emit(doc); err != nil {
		return connector.DocError(doc.ID, err)
	}
	vars := map[string]any{"owner": owner, "name": repo}
	if err := s.threads(ctx, req, name, pullRequestsQuery, vars, []string{"repository", "pullRequests"}, true, withACL, emit); err != nil {
		return err
	}
	if err := s.threads(ctx, req, name, issuesQuery, vars, []string{"repository", "issues"}, false, withACL, emit); err != nil {
		return err
	}
	if branch := str(node, "defaultBranchRef", "name"); branch != "" {
		return s.treeFiles(ctx, req, name, branch, withACL, emit)
	}
	return nil
}

// threads emits the pull requests (pull) or issues of a listing or a search.
func (s *Source) threads(ctx context.Context, req connector.DocsRequest, repoName, query string, vars map[string]any, keys []string, pull bool,
	withACL func(connector.Document) connector.Document, emit func(connector.Document) error) error {
	owner, repo, _ := strings.Cut(repoName, "/")
	kind := "issues"
	if pull {
		kind = "pull requests"
	}
	err := s.paginate(ctx, query, vars, keys, func(data map[string]any) error {
		for _, n := range list(data, append(keys, "nodes")...) {
			node, ok := n.(map[string]any)
			if !ok || len(node) == 0 {
				continue
			}
			doc, err := s.threadDoc(ctx, owner, repo, node, pull)
			if err != nil {
				if isStop(ctx, err) {
					return err
				}
				req.ReportIncomplete(fmt.Sprintf("GitHub %s #%v of %s", strings.TrimSuffix(kind, "s"), node["number"], repoName), err)
				continue
			}
			doc = withACL(doc)
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		if isStop(ctx, err) {
			return err
		}
		req.ReportIncomplete("GitHub "+kind+" of "+repoName, err)
	}
	return nil
}

// threadDoc builds a pull request's or an issue's document as the original does, reading the
// further pages of its nested lists.
func (s *Source) threadDoc(ctx context.Context, owner, repo string, node map[string]any, pull bool) (connector.Document, error) {
	fields := map[string]any{}
	for k, v := range node {
		fields[k] = v
	}
	id, ts := str(node, "id"), str(node, "updatedAt")
	delete(fields, "id")
	delete(fields, "updatedAt")
	nodesOf := func(k string) []any {
		l := list(node, k, "nodes")
		if l == nil && get(node, k, "nodes") == nil && get(node, k) == nil {
			return nil
		}
		if l == nil {
			l = []any{}
		}
		return l
	}
	setList := func(key string, l []any) {
		if l == nil {
			fields[key] = nil
		} else {
			fields[key] = l
		}
	}
	objectType, nested := "issue", []string{"comments", "labels", "assignees"}
	esField := map[string]string{"comments": "issue_comments", "labels": "labels_field", "assignees": "assignees_list", "reviewRequests": "requested_reviewers", "reviews": "reviews_comments"}
	if pull {
		objectType, nested = "pullRequest", []string{"comments", "reviewRequests", "labels", "assignees", "reviews"}
		fields["type"] = "Pull request"
		reviews := []any{}
		for _, r := range list(node, "reviews", "nodes") {
			reviews = append(reviews, reviewDoc(r))
		}
		fields["reviews_comments"] = reviews
		setList("requested_reviewers", nodesOf("reviewRequests"))
	} else {
		fields["type"] = "Issue"
	}
	setList("issue_comments", nodesOf("comments"))
	setList("labels_field", nodesOf("labels"))
	setList("assignees_list", nodesOf("assignees"))
	for _, f := range nested {
		if next, _ := get(node, f, "pageInfo", "hasNextPage").(bool); next {
			vars := map[string]any{"owner": owner, "name": repo, "number": node["number"], "cursor": get(node, f, "pageInfo", "endCursor")}
			keys := []string{"repository", objectType, f}
			acc, _ := fields[esField[f]].([]any)
			err := s.paginate(ctx, remainingQuery(objectType, f), vars, keys, func(data map[string]any) error {
				for _, n := range list(data, append(keys, "nodes")...) {
					if f == "reviews" {
						n = reviewDoc(n)
					}
					acc = append(acc, n)
				}
				return nil
			})
			if err != nil {
				return connector.Document{}, fmt.Errorf("reading more %s: %w", f, err)
			}
			fields[esField[f]] = acc
		}
		delete(fields, f)
	}
	return connector.Document{ID: id, Timestamp: ts, Fields: fields}, nil
}

// reviewDoc is a review as the original keeps it: the author's login (null for a deleted
// account), body, state and the first page of its comments.
func reviewDoc(r any) any {
	var author any
	if login, ok := get(r, "author", "login").(string); ok {
		author = login
	}
	var comments any
	if c := get(r, "comments"); c != nil {
		comments = get(c, "nodes")
	}
	return map[string]any{"author": author, "body": get(r, "body"), "state": get(r, "state"), "comments": comments}
}

// ---- document-level security ----

// orgMembers is the set of an organization's member ids, read once per sync.
func (s *Source) orgMembers(ctx context.Context, org string) (map[string]bool, error) {
	s.mu.Lock()
	m, ok := s.members[org]
	s.mu.Unlock()
	if ok {
		return m, nil
	}
	m = map[string]bool{}
	err := s.paginate(ctx, orgMembersQuery, map[string]any{"orgName": org}, []string{"organization", "membersWithRole"}, func(data map[string]any) error {
		for _, e := range list(data, "organization", "membersWithRole", "edges") {
			if id := str(e, "node", "id"); id != "" {
				m[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.members[org] = m
	s.mu.Unlock()
	return m, nil
}

// collaborators is who may read a repository: its collaborators who are organization members,
// as user_id:, username: and email: identities (sorted; the original's order is a set's).
func (s *Source) collaborators(ctx context.Context, owner, repo string) ([]string, error) {
	members, err := s.orgMembers(ctx, owner)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	err = s.paginate(ctx, collaboratorsQuery, map[string]any{"orgName": owner, "repoName": repo}, []string{"repository", "collaborators"}, func(data map[string]any) error {
		for _, e := range list(data, "repository", "collaborators", "edges") {
			id := str(e, "node", "id")
			if !members[id] {
				continue
			}
			set["user_id:"+id] = true
			if l := str(e, "node", "login"); l != "" {
				set["username:"+l] = true
			}
			if m := str(e, "node", "email"); m != "" {
				set["email:"+m] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// AccessControl emits one identity document per member of the organizations read.
func (s *Source) AccessControl(ctx context.Context, emit func(connector.Document) error) error {
	if !s.dls {
		s.log.Warn("document level security is not enabled; no access control documents to sync")
		return nil
	}
	owners, err := s.owners(ctx)
	if err != nil {
		return err
	}
	for _, org := range owners {
		if s.app != nil {
			if _, err := s.useOwner(ctx, org); err != nil {
				return err
			}
		}
		err := s.paginate(ctx, orgMembersQuery, map[string]any{"orgName": org}, []string{"organization", "membersWithRole"}, func(data map[string]any) error {
			for _, e := range list(data, "organization", "membersWithRole", "edges") {
				doc := memberDoc(get(e, "node"))
				if doc.ID == "" {
					continue
				}
				if err := emit(doc); err != nil {
					return connector.DocError(doc.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("listing the members of %s: %w", org, err)
		}
	}
	return nil
}

// memberDoc is a member's identity document. A hidden email is "" on GitHub, and the original
// writes it as "email:" in the identity and its access list; so does this.
func memberDoc(user any) connector.Document {
	id, login, email := str(user, "id"), str(user, "login"), str(user, "email")
	ident := func(prefix, v string) any {
		if get(user, map[string]string{"user_id": "id", "username": "login", "email": "email"}[prefix]) == nil {
			return nil
		}
		return prefix + ":" + v
	}
	identity := map[string]any{"user_id": ident("user_id", id), "user_name": ident("username", login), "email": ident("email", email)}
	var access []string
	for _, k := range []string{"user_id", "user_name", "email"} {
		if v, ok := identity[k].(string); ok {
			access = append(access, v)
		}
	}
	fields := connector.AccessControlFields(identity, access)
	fields["created_at"] = get(user, "updatedAt")
	return connector.Document{ID: id, Fields: fields}
}

// MaxConcurrentDownloads keeps content downloads polite: GitHub's secondary rate limits count
// concurrent requests.
func (s *Source) MaxConcurrentDownloads() int { return 10 }

var (
	_ connector.ConfigValidator            = (*Source)(nil)
	_ connector.AdvancedRulesValidator     = (*Source)(nil)
	_ connector.AccessControlSource        = (*Source)(nil)
	_ connector.DownloadConcurrencyLimiter = (*Source)(nil)
)

func asNotFound(err error, target **notFound) bool { return errors.As(err, target) }
