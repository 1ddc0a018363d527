package saasfake

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testSDL = `
schema { query: Query }
scalar DateTime
enum Visibility { PUBLIC PRIVATE }
interface Node { id: ID! }
type Repo implements Node { id: ID! name: String! stars: Int! visibility: Visibility! updatedAt: DateTime! owner: Owner }
type User implements Node { id: ID! login: String! }
type Org implements Node { id: ID! login: String! members: Int! }
union Owner = User | Org
type Query {
  repo(name: String!): Repo
  repo2(name: String!): Repo
  nodes: [Node]!
  
  repo(name: String!): Repo
}
`

func testSchema(t *testing.T) *GraphQLSchema {
	t.Helper()
	s, err := LoadGraphQLSchema("test", testSDL)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Amendments) != 1 || !strings.Contains(s.Amendments[0], "Query.repo is declared twice") {
		t.Fatalf("amendments %v", s.Amendments)
	}
	s.Scalars = map[string]func(any) error{"DateTime": DateTimeScalar}
	return s
}

func TestGraphQLExecuteAndCheck(t *testing.T) {
	s := testSchema(t)
	good := Obj("Repo", map[string]any{"id": "R_1", "name": "demo", "stars": 3, "visibility": "PUBLIC", "updatedAt": "2024-01-02T03:04:05Z",
		"owner": Obj("Org", map[string]any{"id": "O_1", "login": "acme", "members": 2})})
	bad := Obj("Repo", map[string]any{"id": "R_2", "name": "demo", "stars": "3", "visibility": "Public", "updatedAt": "yesterday", "owner": nil})
	root := Obj("Query", map[string]any{
		"repo": func(args map[string]any) (any, error) {
			switch args["name"] {
			case "good":
				return good, nil
			case "bad":
				return bad, nil
			}
			return nil, &GQLError{Type: "NOT_FOUND", Message: "Could not resolve to a Repository with the name '" + args["name"].(string) + "'."}
		},
	})
	run := func(query string, vars string) (*Operation, []byte) {
		t.Helper()
		op, errs := s.Prepare([]byte(`{"query":` + quote(query) + `,"variables":` + vars + `}`))
		if errs != nil {
			t.Fatalf("%s: %v", query, errs)
		}
		return op, s.Execute(op, root)
	}
	q := `query($n: String!) { r: repo(name: $n) { __typename id name stars visibility updatedAt owner { ... on Org { login members } ... on User { login } } } }`
	op, body := run(q, `{"n":"good"}`)
	if want := `{"data":{"r":{"__typename":"Repo","id":"R_1","name":"demo","stars":3,"visibility":"PUBLIC","updatedAt":"2024-01-02T03:04:05Z","owner":{"login":"acme","members":2}}}}`; strings.TrimSpace(string(body)) != want {
		t.Fatalf("answer %s\nwant   %s", body, want)
	}
	if err := s.CheckAnswer(op, body); err != nil {
		t.Fatalf("good answer refused: %v", err)
	}
	// Not found: a null and an error with GitHub's type.
	op, body = run(q, `{"n":"gone"}`)
	if err := s.CheckAnswer(op, body); err != nil || !bytes.Contains(body, []byte(`"type":"NOT_FOUND"`)) {
		t.Fatalf("not found: %v %s", err, body)
	}
	// Wrong types from the fake's resolvers are caught, each one.
	for _, tc := range []struct{ sel, want string }{
		{"stars", `want an Int, got a string`},
		{"visibility", `Public is not a value of enum Visibility`},
		{"updatedAt", `"yesterday" is not an ISO-8601 date-time`},
	} {
		op, body := run(`query { repo(name: "bad") { `+tc.sel+` } }`, `{}`)
		if err := s.CheckAnswer(op, body); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.sel, err, tc.want)
		}
	}
	// Keys the query did not select, and missing ones.
	op, _ = run(`query { repo(name: "good") { id } }`, `{}`)
	for body, want := range map[string]string{
		`{"data":{"repo":{"id":"R_1","name":"x"}}}`: "keys the query did not select: name",
		`{"data":{"repo":{}}}`:                      `lacks the selected field "id"`,
		`{"data":{"repo":{"id":null}}}`:             "null for non-null type ID!",
		`{"repo":{}}`:                               `top-level key "repo"`,
	} {
		if err := s.CheckAnswer(op, []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

func TestGraphQLRequestValidation(t *testing.T) {
	s := testSchema(t)
	for body, want := range map[string]string{
		`{"query":"{ repo(name: \"x\") { nope } }"}`:                                   `Cannot query field "nope"`,
		`{"query":"query($n: String!) { repo(name: $n) { id } }"}`:                     `must be defined`,
		`{"query":"query($n: String!) { repo(name: $n) { id } }","variables":{"n":5}}`: `cannot use`,
		`{"query":""}`: "no query",
	} {
		if _, errs := s.Prepare([]byte(body)); errs == nil || !strings.Contains(errs.Error(), want) {
			t.Errorf("%s: %v, want %q", body, errs, want)
		}
	}
}

// TestValidatorGraphQLEndpoint: through the middleware, a query outside the schema and an answer
// outside it are both violations.
func TestValidatorGraphQLEndpoint(t *testing.T) {
	s := testSchema(t)
	v := &Validator{GraphQL: []GraphQLEndpoint{{Path: "/graphql", Schema: s}}}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"repo":{"id":1}}}`)) // id must be a string
	}))
	for _, q := range []string{`{"query":"{ repo(name: \"a\") { id } }"}`, `{"query":"{ repo { id } }"}`} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/graphql", strings.NewReader(q)))
	}
	viols := v.Violations()
	if len(viols) != 2 || !strings.Contains(viols[0].Problem, "want a string (ID)") || !strings.Contains(viols[1].Problem, "does not validate") {
		t.Fatalf("violations %v", viols)
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
