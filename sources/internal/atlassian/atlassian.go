// Package atlassian holds what the jira and confluence sources share, as the original's
// atlassian package does: the deployment and credential settings, the HTTP client set up from
// them and the connector's TLS and retry settings, how client errors name the setting at fault,
// the advanced-rules check (a list of {"query": …} objects), the DLS identity prefixes, and the
// access-control documents built from Atlassian Cloud users.
package atlassian

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/saasclient"
	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// Data center authentication methods (data_center_auth_method).
const (
	AuthBasic = "basic"
	AuthToken = "personal_access_token"
)

// Flavors are a product's data_source values (jira_cloud, jira_server, jira_data_center).
type Flavors struct{ Cloud, Server, DataCenter string }

func dep(field string, value any) connector.Dependency {
	return connector.Dependency{Field: field, Value: value}
}

// AuthFields are the settings of orders 1 to 9, the same in both products: the deployment
// (data_source, defaulting to def) and the credentials each deployment takes. emailTooltip,
// when not empty, explains account_email.
func AuthFields(product string, f Flavors, def, emailTooltip string) []connector.Field {
	return []connector.Field{
		{Key: "data_source", Label: product + " deployment", Order: 1, Display: connector.DisplayDropdown, Value: def,
			Options: []connector.Option{{Label: product + " Cloud", Value: f.Cloud}, {Label: product + " Server", Value: f.Server}, {Label: product + " Data Center", Value: f.DataCenter}}},
		{Key: "username", Label: product + " Server user name", Order: 2, DependsOn: []connector.Dependency{dep("data_source", f.Server)}},
		{Key: "password", Label: product + " Server password", Order: 3, Sensitive: true, DependsOn: []connector.Dependency{dep("data_source", f.Server)}},
		{Key: "data_center_auth_method", Label: product + " Data Center sign-in method", Order: 4, Display: connector.DisplayDropdown, Value: AuthBasic,
			DependsOn: []connector.Dependency{dep("data_source", f.DataCenter)},
			Options:   []connector.Option{{Label: "User name and password", Value: AuthBasic}, {Label: "Personal access token", Value: AuthToken}}},
		{Key: "data_center_username", Label: product + " Data Center user name", Order: 5,
			DependsOn: []connector.Dependency{dep("data_source", f.DataCenter), dep("data_center_auth_method", AuthBasic)}},
		{Key: "data_center_password", Label: product + " Data Center password", Order: 6, Sensitive: true,
			DependsOn: []connector.Dependency{dep("data_source", f.DataCenter), dep("data_center_auth_method", AuthBasic)}},
		{Key: "data_center_personal_access_token", Label: product + " Data Center personal access token", Order: 7, Sensitive: true,
			DependsOn: []connector.Dependency{dep("data_source", f.DataCenter), dep("data_center_auth_method", AuthToken)}},
		{Key: "account_email", Label: product + " Cloud account email", Order: 8, DependsOn: []connector.Dependency{dep("data_source", f.Cloud)},
			Tooltip: emailTooltip},
		{Key: "api_token", Label: product + " Cloud API token", Order: 9, Sensitive: true, DependsOn: []connector.Dependency{dep("data_source", f.Cloud)}},
	}
}

// SiteClient builds the client of a source from AuthFields' settings, ssl_enabled, ssl_ca and
// retry_count (default 3); credField names the credential settings for messages when the site
// refuses them.
func SiteClient(cfg *connector.Config, env connector.Env, f Flavors, log *slog.Logger) (client *saasclient.Client, credField string, err error) {
	var creds Credentials
	switch flavor := cfg.String("data_source"); flavor {
	case f.Cloud:
		creds, credField = Credentials{User: cfg.String("account_email"), Password: cfg.String("api_token")}, `"account_email" and "api_token"`
	case f.Server:
		creds, credField = Credentials{User: cfg.String("username"), Password: cfg.String("password")}, `"username" and "password"`
	case f.DataCenter:
		switch m := cfg.String("data_center_auth_method"); m {
		case AuthToken:
			creds, credField = Credentials{Token: cfg.String("data_center_personal_access_token")}, `"data_center_personal_access_token"`
		case AuthBasic, "":
			creds, credField = Credentials{User: cfg.String("data_center_username"), Password: cfg.String("data_center_password")}, `"data_center_username" and "data_center_password"`
		default:
			return nil, "", fmt.Errorf("configuration field \"data_center_auth_method\": %q is not one of basic, personal_access_token", m)
		}
	default:
		return nil, "", fmt.Errorf("configuration field \"data_source\": %q is not one of %s, %s, %s", flavor, f.Cloud, f.Server, f.DataCenter)
	}
	tlsCfg, err := saasclient.TLSConfig(cfg.Bool("ssl_enabled"), cfg.String("ssl_ca"), "ssl_ca")
	if err != nil {
		return nil, "", err
	}
	retries, ok := cfg.IntOK("retry_count")
	if !ok {
		retries = 3
	}
	client = NewClient(tlsCfg, creds, retries, env)
	client.Log = log
	return client, credField, nil
}

// Explain turns a client error into one that names the setting at fault: the credentials
// (credField) for 401 and 403, urlField when site cannot be reached. A refusal of the
// credentials themselves (see [Refused]) becomes a *CredentialsError, which a listing returns
// instead of reporting the part it was reading as incomplete. An error Explain already turned
// into a *CredentialsError is returned as it is.
func Explain(err error, product, credField, urlField, site string) error {
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return err
	}
	fields := "configuration fields " + credField
	if !strings.Contains(credField, " and ") {
		fields = "configuration field " + credField
	}
	switch {
	case saasclient.IsStatus(err, http.StatusUnauthorized):
		return &CredentialsError{Err: fmt.Errorf("%s: %s refused the credentials (check them, and that a token has not expired or been revoked): %w", fields, product, err)}
	case Refused(err):
		return &CredentialsError{Err: fmt.Errorf("%s: %s denied the sign-in (%s: it asks for a CAPTCHA after failed sign-ins; sign in once in a browser, then check the credentials): %w",
			fields, product, seraphReason(err), err)}
	case saasclient.IsStatus(err, http.StatusForbidden):
		return fmt.Errorf("%s: the account lacks a permission %s asked for: %w", fields, product, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("configuration field %q: cannot reach %s: %w", urlField, site, err)
	}
	return err
}

// CredentialsError is the site refusing the configured credentials (made by Explain, naming
// them): every later request would be refused too, so a sync ends with it rather than
// reporting each part it could not read.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string { return e.Err.Error() }
func (e *CredentialsError) Unwrap() error { return e.Err }

// Refused reports an error that refuses the credentials for the whole site rather than one
// item: a 401, or a 403 with which Jira or Confluence (their Seraph sign-in layer) rejects the
// sign-in itself (X-Seraph-LoginReason AUTHENTICATION_DENIED or AUTHENTICATED_FAILED: a CAPTCHA
// is required after failed sign-ins). Any other 403 is a permission on what was asked for (an
// issue, a page, an attachment the account may not read) and is not a refusal; neither is an
// error already explained as something else.
func Refused(err error) bool {
	var ce *CredentialsError
	if errors.As(err, &ce) || saasclient.IsStatus(err, http.StatusUnauthorized) {
		return true
	}
	return seraphReason(err) != ""
}

// seraphReason is the sign-in refusal a 403 carries in X-Seraph-LoginReason, or "".
func seraphReason(err error) string {
	var se *saasclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusForbidden {
		return ""
	}
	for _, v := range se.Header.Values("X-Seraph-LoginReason") {
		for _, reason := range strings.Split(v, ",") {
			switch r := strings.TrimSpace(reason); r {
			case "AUTHENTICATION_DENIED", "AUTHENTICATED_FAILED":
				return "X-Seraph-LoginReason " + r
			}
		}
	}
	return ""
}

// SortedKeys returns the non-empty keys of a set, sorted (access-control lists).
func SortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Credentials are what a request is signed with: basic (user and password or API token) or a
// bearer personal access token.
type Credentials struct {
	User, Password string
	Token          string
}

// Apply signs a request.
func (c Credentials) Apply(r *http.Request) {
	if c.Token != "" {
		r.Header.Set("Authorization", "Bearer "+c.Token)
		return
	}
	r.SetBasicAuth(c.User, c.Password)
}

// NewClient builds the retrying client of a source.
func NewClient(tlsCfg *tls.Config, creds Credentials, retries int, env connector.Env) *saasclient.Client {
	if retries < 0 {
		retries = 0
	}
	httpc, conns := saasclient.TrackedHTTP(&http.Transport{
		TLSClientConfig:     tlsCfg,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		Proxy:               http.ProxyFromEnvironment,
	}, 0)
	return &saasclient.Client{
		HTTP:  httpc,
		Conns: conns,
		Prepare: func(r *http.Request) {
			creds.Apply(r)
			r.Header.Set("Content-Type", "application/json")
		},
		Retries: retries,
		Log:     env.Log(),
	}
}

// ---- advanced rules ----

// rulesSchema is the original's JSON schema for the advanced rules: an array of objects with
// exactly one non-empty string "query".
var rulesSchema = &schemacheck.Schema{
	Type: []string{"array"},
	Items: &schemacheck.Schema{
		Type:         []string{"object"},
		Required:     []string{"query"},
		Properties:   []schemacheck.Property{{Name: "query", Schema: &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}}},
		NoAdditional: true,
	},
}

// ValidateAdvancedRules checks an advanced rules snippet against rulesSchema, with
// fastjsonschema's message for the first problem.
func ValidateAdvancedRules(rules any) []string {
	if msg := rulesSchema.Validate(rules); msg != "" {
		return []string{msg}
	}
	return nil
}

// Queries returns the queries of valid advanced rules.
func Queries(rules any) []string {
	var out []string
	list, _ := rules.([]any)
	for _, item := range list {
		if obj, ok := item.(map[string]any); ok {
			if s, ok := obj["query"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// ---- identities ----

// Identity prefixes, as the original writes them.
func AccountID(id string) string { return connector.PrefixIdentity("account_id", id) }
func GroupID(id string) string   { return connector.PrefixIdentity("group_id", id) }
func RoleKey(k string) string    { return connector.PrefixIdentity("role_key", k) }
func Email(e string) string      { return connector.PrefixIdentity("email_address", e) }
func Locale(l string) string     { return connector.PrefixIdentity("locale", l) }
func User(u string) string       { return connector.PrefixIdentity("user", u) }
func Group(g string) string      { return connector.PrefixIdentity("group", g) }

// Name is the display-name identity: spaces become dashes.
func Name(n string) string {
	return connector.PrefixIdentity("name", strings.ReplaceAll(n, " ", "-"))
}

// Str reads a string at a path of object keys in decoded JSON; numbers are written as JSON
// writes them. A missing or null value gives "".
func Str(v any, path ...string) string {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Get reads a value at a path of object keys.
func Get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// List reads an array at a path.
func List(v any, path ...string) []any {
	l, _ := Get(v, path...).([]any)
	return l
}

// IsActiveUser is the original's filter of the user listings: a profile link, active, and on
// Cloud an Atlassian account (not an app or a customer).
func IsActiveUser(user map[string]any, cloud bool) bool {
	if Str(user, "self") == "" {
		return false
	}
	if active, _ := user["active"].(bool); !active {
		return false
	}
	return !cloud || Str(user, "accountType") == "atlassian"
}

// UserDocument is the access-control document of an Atlassian user fetched with
// expand=groups,applicationRoles: id = account id (Cloud) or name (Server), the identity, and
// the user's account id, groups and application roles as identities.
func UserDocument(user map[string]any) connector.Document {
	id := Str(user, "accountId")
	if id == "" {
		id = Str(user, "name")
	}
	acct := AccountID(id)
	groups := map[string]bool{}
	for _, g := range List(user, "groups", "items") {
		groups[GroupID(Str(g, "groupId"))] = true
	}
	roles := map[string]bool{}
	for _, r := range List(user, "applicationRoles", "items") {
		roles[RoleKey(Str(r, "key"))] = true
	}
	access := []string{acct}
	access = append(access, sortedKeys(groups)...)
	access = append(access, sortedKeys(roles)...)
	identity := map[string]any{
		"account_id":    nilIfEmpty(acct),
		"display_name":  nilIfEmpty(Name(Str(user, "displayName"))),
		"email_address": nilIfEmpty(Email(Str(user, "emailAddress"))),
		"locale":        nilIfEmpty(Locale(Str(user, "locale"))),
	}
	return connector.Document{ID: id, Fields: connector.AccessControlFields(identity, access)}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// CloudUsers lists the users of an Atlassian Cloud site (site/rest/api/3/users/search, 50 a
// page until an empty page), keeps the active Atlassian accounts and emits each one's
// access-control document, fetched from its profile link with groups and application roles.
func CloudUsers(ctx context.Context, c *saasclient.Client, site string, emit func(connector.Document) error) error {
	const page = 50
	for start := 0; ; start += page {
		var users []map[string]any
		if err := c.GetJSON(ctx, strings.TrimSuffix(site, "/")+"/rest/api/3/users/search?startAt="+strconv.Itoa(start), &users); err != nil {
			return fmt.Errorf("listing the site's users: %w", err)
		}
		if len(users) == 0 {
			return nil
		}
		for _, u := range users {
			if !IsActiveUser(u, true) {
				continue
			}
			var full map[string]any
			if err := c.GetJSON(ctx, Str(u, "self")+"&expand=groups,applicationRoles", &full); err != nil {
				return fmt.Errorf("reading user %s: %w", Str(u, "accountId"), err)
			}
			doc := UserDocument(full)
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
		}
	}
}
