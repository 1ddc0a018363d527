// Package graphql is the generic GraphQL source (service type graphql): it runs one configured
// query against a GraphQL endpoint and indexes the objects found at configured paths of the
// response, one document per object, following a cursor-paginated connection when asked to.
//
// It behaves like the original: the same settings, requests (POST with query and variables, or
// GET), documents (the object verbatim, with the configured field as id) and validation messages;
// see docs/sources/graphql.md for where it deliberately differs.
package graphql

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/conntrack"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// ServiceType is the connector service type of this source.
const ServiceType = "graphql"

// Setting values.
const (
	MethodGet      = "get"
	MethodPost     = "post"
	AuthNone       = "none"
	AuthBasic      = "basic"
	AuthBearer     = "bearer"
	NoPagination   = "no_pagination"
	CursorPaginate = "cursor_pagination"
)

// DefaultTimeout is connection_timeout's default, in seconds.
const DefaultTimeout = 300

// Factory declares the source with the original's configuration fields.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "GraphQL",
	Features:    connector.Features{BasicRules: true},
	Fields: []connector.Field{
		{Key: "http_endpoint", Label: "GraphQL endpoint URL", Order: 1,
			Tooltip: "The URL the queries are sent to, e.g. https://api.example.com/graphql."},
		{Key: "http_method", Label: "HTTP method", Order: 2, Display: connector.DisplayDropdown, Value: MethodPost,
			Options: []connector.Option{{Label: "GET", Value: MethodGet}, {Label: "POST", Value: MethodPost}},
			Tooltip: "POST sends the query and its variables as JSON; GET sends them in the URL."},
		{Key: "authentication_method", Label: "Authentication", Order: 3, Display: connector.DisplayDropdown, Value: AuthNone,
			Options: []connector.Option{{Label: "None", Value: AuthNone}, {Label: "Basic (user name and password)", Value: AuthBasic}, {Label: "Bearer token", Value: AuthBearer}}},
		{Key: "username", Label: "Username", Order: 4,
			DependsOn: []connector.Dependency{{Field: "authentication_method", Value: AuthBasic}}},
		{Key: "password", Label: "Password", Order: 5, Sensitive: true,
			DependsOn: []connector.Dependency{{Field: "authentication_method", Value: AuthBasic}}},
		{Key: "token", Label: "Bearer token", Order: 6, Sensitive: true,
			DependsOn: []connector.Dependency{{Field: "authentication_method", Value: AuthBearer}},
			Tooltip:   "Sent as Authorization: Bearer <token>."},
		{Key: "graphql_query", Label: "GraphQL query", Order: 7, Display: connector.DisplayTextarea,
			Tooltip: "One query operation (mutations and subscriptions are refused). For cursor pagination, give the paginated field an after: $variable argument and select pageInfo { hasNextPage endCursor }."},
		{Key: "graphql_variables", Label: "Query variables (JSON)", Order: 8, Display: connector.DisplayTextarea, Optional: true,
			DependsOn: []connector.Dependency{{Field: "http_method", Value: MethodPost}},
			Tooltip:   `A JSON object of the query's variables, e.g. {"login": "elastic", "first": 100}.`},
		{Key: "graphql_object_to_id_map", Label: "Objects to index and their id fields (JSON)", Order: 9, Display: connector.DisplayTextarea,
			Tooltip: `A JSON object whose keys are paths in the response (dot-separated, from the root of "data") to an object or a list of objects, each indexed as a document, and whose values name the field of those objects that holds a unique string id. Example: {"organization.users.nodes": "id"}.`},
		{Key: "headers", Label: "Extra HTTP headers (JSON)", Order: 10, Optional: true,
			Tooltip: `A JSON object of headers sent with every request, e.g. {"X-Api-Version": "2"}.`},
		{Key: "pagination_model", Label: "Pagination", Order: 11, Display: connector.DisplayDropdown, Value: NoPagination,
			Options: []connector.Option{{Label: "None: one request", Value: NoPagination}, {Label: "Cursor-based (Relay connections)", Value: CursorPaginate}},
			Tooltip: "Cursor-based: the query is repeated with its after variable set to the previous page's pageInfo.endCursor until pageInfo.hasNextPage is false."},
		{Key: "pagination_key", Label: "Paginated field (path)", Order: 12,
			DependsOn: []connector.Dependency{{Field: "pagination_model", Value: CursorPaginate}},
			Tooltip:   "Dot-separated path from the root of the response to the paginated connection, the object that holds pageInfo, e.g. organization.users."},
		{Key: "connection_timeout", Label: "Request timeout (seconds)", Order: 13, Type: connector.TypeInt,
			Display: connector.DisplayNumeric, Optional: true, DefaultValue: DefaultTimeout,
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "How long one request may take, from connecting to reading the whole response."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source runs one query.
type Source struct {
	endpoint, method, auth string
	username, password     string
	token                  string
	query                  string
	variablesText          string
	idMapText              string
	headersText            string
	pagination             string
	paginationKey          string
	timeout                time.Duration
	log                    *slog.Logger

	client *http.Client
	conns  *conntrack.Tracker // every connection of client, closed at Close

	// now and sleep are replaced by tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// New builds a source from a converted configuration; it sends nothing.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	timeout := cfg.Int("connection_timeout")
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	conns := &conntrack.Tracker{}
	return &Source{
		endpoint:      strings.TrimSpace(cfg.String("http_endpoint")),
		method:        strings.ToLower(strings.TrimSpace(cfg.String("http_method"))),
		auth:          strings.ToLower(strings.TrimSpace(cfg.String("authentication_method"))),
		username:      cfg.String("username"),
		password:      cfg.String("password"),
		token:         cfg.String("token"),
		query:         cfg.String("graphql_query"),
		variablesText: cfg.String("graphql_variables"),
		idMapText:     cfg.String("graphql_object_to_id_map"),
		headersText:   cfg.String("headers"),
		pagination:    cfg.String("pagination_model"),
		paginationKey: strings.TrimSpace(cfg.String("pagination_key")),
		timeout:       time.Duration(timeout) * time.Second,
		log:           env.Log().With("service_type", ServiceType),
		// An own transport, so that Close drops its idle connections.
		conns: conns,
		client: &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4, DialContext: conns.Dial(nil),
			TLSHandshakeTimeout: 30 * time.Second, ResponseHeaderTimeout: 0}},
		now:   time.Now,
		sleep: retry.Sleep,
	}, nil
}

var _ connector.ConfigValidator = (*Source)(nil)

// ValidateConfig checks everything the original checks before a sync: the endpoint, that the
// query parses and only reads, the JSON settings, that the mapped objects and their id fields and
// the paginated field are selected by the query, and (earlier than the original, which finds out
// during the sync) that a paginated query has its after variable and pageInfo.
func (s *Source) ValidateConfig(context.Context) error {
	_, err := s.plan()
	return err
}

// Ping runs the original's introspection query.
func (s *Source) Ping(ctx context.Context) error {
	p, err := s.requestPlan()
	if err != nil {
		return err
	}
	_, err = s.execute(ctx, p, pingQuery, nil)
	return err
}

// pingQuery asks for the name of the query type, which every GraphQL server answers.
const pingQuery = `
{
  __schema {
    queryType {
      name
    }
  }
}
`

// Close ends the source's connections.
func (s *Source) Close() error {
	s.client.CloseIdleConnections()
	s.conns.Close()
	return nil
}

func fieldErr(key, format string, args ...any) error {
	return fmt.Errorf("configuration field %q: %s", key, fmt.Sprintf(format, args...))
}
