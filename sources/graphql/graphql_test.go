package graphql

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/sources/graphql/graphqltest"
	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

const pagedQuery = `query Users($cursor: String) {
  users(first: 50, after: $cursor) {
    pageInfo { hasNextPage endCursor }
    nodes { id name email address { city } }
  }
}`

func pagedConfig(endpoint string) map[string]any {
	return map[string]any{
		"http_endpoint":            endpoint,
		"graphql_query":            pagedQuery,
		"graphql_object_to_id_map": `{"users.nodes": "id"}`,
		"pagination_model":         CursorPaginate,
		"pagination_key":           "users",
	}
}

func newSource(t *testing.T, cfg map[string]any) *Source {
	t.Helper()
	return sourcetest.OpenValid(t, Factory, cfg, connector.Env{}).(*Source)
}

func collect(t *testing.T, src *Source, req connector.DocsRequest) []connector.Document {
	t.Helper()
	return sourcetest.Collect(t, src, req)
}

func TestAcceptance(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 250})
	defer srv.Close()
	// Unreadable: the pages after the third (users 150 on) keep failing; the 150 before must be
	// indexed and the rest reported.
	failing := func(*testing.T) func() {
		srv.FailPagesAfter(graphqltest.Cursor(149))
		return func() { srv.FailPagesAfter("") }
	}
	connectortest.Run(t, Factory, pagedConfig(srv.Endpoint()),
		connectortest.ExpectDocs(250),
		connectortest.Unreadable(failing, 150),
		connectortest.InvalidConfig(map[string]any{"http_endpoint": "ftp://example.com/graphql"}, "http_endpoint"),
		connectortest.InvalidConfig(map[string]any{"graphql_query": `mutation { touch(id: "user_1") { id } }`}, "graphql_query"),
		connectortest.InvalidConfig(map[string]any{"graphql_object_to_id_map": `{"users.nodes": id}`}, "graphql_object_to_id_map"),
		connectortest.InvalidConfig(map[string]any{"headers": `["X-Not-An-Object"]`}, "headers"),
		connectortest.InvalidConfig(map[string]any{"pagination_key": "people"}, "pagination_key"),
	)
}

// TestGoldenDocuments compares the indexed JSON of every document with what the original indexes
// for the same response: each mapped object verbatim (nested objects and lists included, numbers
// as Python reads them), id from the configured field.
func TestGoldenDocuments(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 10})
	defer srv.Close()
	src := newSource(t, map[string]any{
		"http_endpoint": srv.Endpoint(),
		"graphql_query": `{
  organization(login: "elastic") {
    login name founded
    members(first: 3) {
      nodes { id number name email score active tags address { city zip geo { lat lon } } updatedAt }
    }
  }
}`,
		"graphql_object_to_id_map": `{"organization": "login", "organization.members.nodes": "id"}`,
	})
	if err := src.ValidateConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC().Add(-time.Second)
	docs := collect(t, src, connector.DocsRequest{})
	want := map[string]string{
		"elastic": `{"founded":2012,"login":"elastic","members":{"nodes":[` +
			`{"active":true,"address":null,"email":null,"id":"user_0","name":"Usér 0 名前","number":0,"score":0.5,"tags":["t0","all"],"updatedAt":"2024-01-01T00:00:00Z"},` +
			`{"active":false,"address":{"city":"Zürich","geo":{"lat":47.1,"lon":8.5},"zip":"00001"},"email":"user1@example.com","id":"user_1","name":"Usér 1 名前","number":1,"score":1.5,"tags":["t1","all"],"updatedAt":"2024-01-01T00:01:00Z"},` +
			`{"active":true,"address":{"city":"Zürich","geo":{"lat":47.2,"lon":8.5},"zip":"00002"},"email":"user2@example.com","id":"user_2","name":"Usér 2 名前","number":2,"score":2.5,"tags":["t2","all"],"updatedAt":"2024-01-01T00:02:00Z"}` +
			`]},"name":"Elastic N.V."}`,
		"user_0": `{"active":true,"address":null,"email":null,"name":"Usér 0 名前","number":0,"score":0.5,"tags":["t0","all"],"updatedAt":"2024-01-01T00:00:00Z"}`,
		"user_1": `{"active":false,"address":{"city":"Zürich","geo":{"lat":47.1,"lon":8.5},"zip":"00001"},"email":"user1@example.com","name":"Usér 1 名前","number":1,"score":1.5,"tags":["t1","all"],"updatedAt":"2024-01-01T00:01:00Z"}`,
		"user_2": `{"active":true,"address":{"city":"Zürich","geo":{"lat":47.2,"lon":8.5},"zip":"00002"},"email":"user2@example.com","name":"Usér 2 名前","number":2,"score":2.5,"tags":["t2","all"],"updatedAt":"2024-01-01T00:02:00Z"}`,
	}
	if len(docs) != len(want) {
		t.Fatalf("got %d documents", len(docs))
	}
	order := []string{}
	for _, d := range docs {
		order = append(order, d.ID)
		body, err := connector.MarshalJSON(d.Fields)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != want[d.ID] {
			t.Errorf("%s:\n got %s\nwant %s", d.ID, body, want[d.ID])
		}
		ts, err := connector.ParseTime(d.Timestamp)
		if err != nil || ts.Before(before) {
			t.Errorf("%s: _timestamp %q should be the sync time", d.ID, d.Timestamp)
		}
	}
	// The mapping's order is the order of the documents, as in the original.
	if strings.Join(order, ",") != "elastic,user_0,user_1,user_2" {
		t.Errorf("order %v", order)
	}
}

func TestNumbersAsPythonReadsThem(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": {"items": [{"id": "a", "int": 3, "neg0": -0, "float": 2.50, "exp": 1e3, "big": 12345678901234567890, "tiny": 1E-7}]}}`)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	src := newSource(t, map[string]any{"http_endpoint": srv.URL, "graphql_query": `{ items { id int neg0 float exp big tiny } }`,
		"graphql_object_to_id_map": `{"items": "id"}`})
	docs := collect(t, src, connector.DocsRequest{})
	body, _ := connector.MarshalJSON(docs[0].Fields)
	if want := `{"big":12345678901234567890,"exp":1000.0,"float":2.5,"int":3,"neg0":0,"tiny":1e-07}`; string(body) != want {
		t.Errorf("got  %s\nwant %s", body, want)
	}
}

// TestThrottling: the server answers some requests 429 with Retry-After; the sync waits as told
// and finishes with every document.
func TestThrottling(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 230, ThrottleEvery: 2, RetryAfter: 1})
	defer srv.Close()
	src := newSource(t, pagedConfig(srv.Endpoint()))
	var mu sync.Mutex
	var waits []time.Duration
	src.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return retry.Sleep(ctx, d)
	}
	start := time.Now()
	docs := collect(t, src, connector.DocsRequest{})
	if len(docs) != 230 {
		t.Fatalf("got %d documents", len(docs))
	}
	if srv.Throttled() == 0 {
		t.Fatal("the server throttled nothing")
	}
	if len(waits) != int(srv.Throttled()) {
		t.Errorf("%d waits for %d throttled requests", len(waits), srv.Throttled())
	}
	for _, w := range waits {
		if w != time.Second {
			t.Errorf("waited %v; the server said Retry-After: 1", w)
		}
	}
	if took := time.Since(start); took < time.Duration(len(waits))*time.Second {
		t.Errorf("took %v for %d waits of 1 s", took, len(waits))
	}
}

func TestGETPaginates(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 120})
	defer srv.Close()
	cfg := pagedConfig(srv.Endpoint())
	cfg["http_method"] = MethodGet
	docs := collect(t, newSource(t, cfg), connector.DocsRequest{})
	if len(docs) != 120 {
		t.Errorf("got %d documents", len(docs))
	}
}

func TestAuthentication(t *testing.T) {
	bearer := graphqltest.Start(graphqltest.Options{Users: 3, Token: "t0ken-value"})
	defer bearer.Close()
	basic := graphqltest.Start(graphqltest.Options{Users: 3, Username: "ada", Password: "pa55-word"})
	defer basic.Close()
	tests := []struct {
		name string
		srv  *graphqltest.Server
		cfg  map[string]any
		want string
	}{
		{"bearer", bearer, map[string]any{"authentication_method": AuthBearer, "token": "t0ken-value"}, ""},
		{"wrong bearer", bearer, map[string]any{"authentication_method": AuthBearer, "token": "other-secret"}, `configuration fields "token": Provided credentials or token do not have the necessary permissions to perform the request.`},
		{"none", bearer, nil, `configuration fields "authentication_method": Provided credentials`},
		{"basic", basic, map[string]any{"authentication_method": AuthBasic, "username": "ada", "password": "pa55-word"}, ""},
		{"wrong basic", basic, map[string]any{"authentication_method": AuthBasic, "username": "ada", "password": "other-secret"}, `configuration fields "username" and "password": Provided credentials`},
		{"headers", bearer, map[string]any{"headers": `{"Authorization": "Bearer t0ken-value"}`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pagedConfig(tt.srv.Endpoint())
			for k, v := range tt.cfg {
				cfg[k] = v
			}
			src := newSource(t, cfg)
			requests := tt.srv.Requests()
			err := src.Ping(context.Background())
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if err != nil {
				if strings.Contains(err.Error(), "other-secret") {
					t.Errorf("the error shows the secret: %v", err)
				}
				if n := tt.srv.Requests() - requests; n != 1 {
					t.Errorf("%d requests: a refused credential is not retried", n)
				}
			}
		})
	}
}

func TestValidation(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 1})
	defer srv.Close()
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"ok", nil, ""},
		{"localhost is a valid endpoint", map[string]any{"http_endpoint": "http://localhost:1/graphql"}, ""},
		{"endpoint", map[string]any{"http_endpoint": "graphql.example.com"}, `configuration field "http_endpoint": GraphQL HTTP endpoint is not a valid URL.`},
		{"syntax", map[string]any{"graphql_query": `{ users { `}, `configuration field "graphql_query": Failed to parse GraphQL query. Error: `},
		{"mutation", map[string]any{"graphql_query": `mutation { touch(id: "x") { id } }`}, `configuration field "graphql_query": The configured query is either invalid or a mutation which is not supported by the connector.`},
		{"subscription", map[string]any{"graphql_query": `subscription { users { nodes { id } } }`}, `The configured query is either invalid or a mutation which is not supported by the connector.`},
		{"headers", map[string]any{"headers": `{"a": `}, `configuration field "headers": GraphQL Headers must be in valid JSON format. Exception: `},
		{"header value", map[string]any{"headers": `{"a": {"b": 1}}`}, `configuration field "headers": the value of header "a" must be a string`},
		{"variables", map[string]any{"graphql_variables": `[1]`}, `configuration field "graphql_variables": GraphQL Variables must be in valid JSON format. Exception: expected a JSON object`},
		{"map not JSON", map[string]any{"graphql_object_to_id_map": `{'users.nodes': 'id'}`}, `configuration field "graphql_object_to_id_map": GraphQL Objects to ID mapping must be in valid JSON format. Exception: `},
		{"empty map", map[string]any{"graphql_object_to_id_map": `{}`}, `GraphQL Objects to ID mapping field is not configured.`},
		{"path not in query", map[string]any{"graphql_object_to_id_map": `{"users.items": "id"}`}, `configuration field "graphql_object_to_id_map": users.items is not present in the query.`},
		{"id not in query", map[string]any{"graphql_object_to_id_map": `{"users.nodes": "number"}`}, `configuration field "graphql_object_to_id_map": number is not present in the query.`},
		{"pagination key", map[string]any{"pagination_key": "organization.members"}, `configuration field "pagination_key": organization.members is not present in the query.`},
		{"no after", map[string]any{"graphql_query": `{ users(first: 5) { pageInfo { hasNextPage endCursor } nodes { id } } }`},
			`Pagination is enabled but 'pageInfo' not found. Please include 'pageInfo' field inside 'users' and 'after' argument in 'users'.`},
		{"no pageInfo", map[string]any{"graphql_query": `query($c: String) { users(after: $c) { nodes { id } } }`},
			`Pagination is enabled but 'pageInfo' not found. Please include 'pageInfo' field inside 'users' and 'after' argument in 'users'.`},
		{"no endCursor", map[string]any{"graphql_query": `query($c: String) { users(after: $c) { pageInfo { hasNextPage } nodes { id } } }`},
			`Pagination is enabled but the query is missing 'pageInfo'. Please include 'pageInfo { hasNextPage endCursor }' in the query to support pagination.`},
		{"literal after", map[string]any{"graphql_query": `{ users(after: "MA==") { pageInfo { hasNextPage endCursor } nodes { id } } }`},
			`Pagination is enabled but the 'after' argument of 'users' is not a variable`},
		{"fragments and aliases", map[string]any{
			"graphql_query": `query($c: String) { people: users(after: $c) { ...Page } }
fragment Page on UserConnection { pageInfo { hasNextPage endCursor } nodes { ... on User { id } } }`,
			"graphql_object_to_id_map": `{"people.nodes": "id"}`, "pagination_key": "people"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pagedConfig(srv.Endpoint())
			for k, v := range tt.cfg {
				cfg[k] = v
			}
			err := newSource(t, cfg).ValidateConfig(context.Background())
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v\nwant %q", err, tt.want)
			}
		})
	}
}

func TestResponseProblems(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 5})
	defer srv.Close()
	tests := []struct {
		name  string
		query string
		idMap string
		want  string
	}{
		{"GraphQL errors", `{ users { nodes { id nope } } }`, `{"users.nodes": "id"}`, `Error while executing query. Exception: Cannot query field "nope" on type "User".`},
		{"null object", `{ organization(login: "nobody") { members { nodes { id } } } }`, `{"organization.members.nodes": "id"}`, `organization is null in the response, so organization.members.nodes cannot be read.`},
		{"list on the path", `{ users { edges { node { id } } } }`, `{"users.edges.node": "id"}`, `Found list while processing GraphQL Objects List. Please check the query and provide path upto dictionary.`},
		{"id not a string", `{ users { nodes { id number } } }`, `{"users.nodes": "number"}`, `configuration field "graphql_object_to_id_map": 1 is not a string.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, map[string]any{"http_endpoint": srv.Endpoint(), "graphql_query": tt.query, "graphql_object_to_id_map": tt.idMap})
			err := src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant %q", err, tt.want)
			}
		})
	}
	// Objects whose id is missing or empty are skipped, the others indexed.
	src := newSource(t, map[string]any{"http_endpoint": srv.Endpoint(), "graphql_query": `{ users { nodes { email } } }`,
		"graphql_object_to_id_map": `{"users.nodes": "email"}`})
	docs := collect(t, src, connector.DocsRequest{})
	if len(docs) != 3 || docs[0].ID != "user1@example.com" {
		t.Errorf("got %v", docs)
	}
}

// TestFailingPageIsReported: a page that still fails after retries ends the listing with a
// report instead of a success, keeping what came before.
func TestFailingPageIsReported(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 200})
	defer srv.Close()
	src := newSource(t, pagedConfig(srv.Endpoint()))
	src.sleep = func(context.Context, time.Duration) error { return nil }
	var scopes []string
	seen := 0
	err := src.Docs(context.Background(), connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		scopes = append(scopes, scope+": "+cause.Error())
	}}, func(d connector.Document) error {
		seen++
		if seen == 50 {
			srv.FailNext(attempts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 50 || len(scopes) != 1 || !strings.Contains(scopes[0], `GraphQL pages of users after cursor "NDk="`) || !strings.Contains(scopes[0], "HTTP 500") {
		t.Errorf("seen %d, reported %v", seen, scopes)
	}
	// A first page that fails is an error: nothing could be read at all.
	srv.FailNext(attempts)
	err = src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("first page: %v", err)
	}
	// A short outage is retried through.
	srv.FailNext(2)
	if docs := collect(t, src, connector.DocsRequest{}); len(docs) != 200 {
		t.Errorf("after a short outage: %d documents", len(docs))
	}
}

func TestResumeFromCheckpoint(t *testing.T) {
	srv := graphqltest.Start(graphqltest.Options{Users: 175})
	defer srv.Close()
	src := newSource(t, pagedConfig(srv.Endpoint()))
	var checkpoints []map[string]any
	docs := collect(t, src, connector.DocsRequest{OnCheckpoint: func(cp map[string]any) { checkpoints = append(checkpoints, cp) }})
	if len(docs) != 175 || len(checkpoints) != 3 {
		t.Fatalf("%d documents, checkpoints %v", len(docs), checkpoints)
	}
	resumed := collect(t, newSource(t, pagedConfig(srv.Endpoint())), connector.DocsRequest{Checkpoint: checkpoints[1]})
	if len(resumed) != 75 || resumed[0].ID != "user_100" {
		t.Errorf("resumed with %v: %d documents from %s", checkpoints[1], len(resumed), resumed[0].ID)
	}
}

func TestRepeatedCursorStops(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": {"users": {"pageInfo": {"hasNextPage": true, "endCursor": "same"}, "nodes": [{"id": "a"}]}}}`)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	src := newSource(t, pagedConfig(srv.URL))
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `returned the same endCursor "same" twice`) {
		t.Errorf("got %v", err)
	}
}

// TestCancelDuringSlowResponse: cancellation interrupts a request the server takes long to answer.
func TestCancelDuringSlowResponse(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release)
	src := newSource(t, pagedConfig(srv.URL))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := src.Docs(ctx, connector.DocsRequest{}, func(connector.Document) error { return nil })
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("got %v after %v", err, time.Since(start))
	}
}

func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release)
	src := newSource(t, pagedConfig(srv.URL))
	src.timeout = 50 * time.Millisecond
	src.sleep = func(context.Context, time.Duration) error { return nil }
	err := src.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"connection_timeout"`) {
		t.Errorf("got %v", err)
	}
}
