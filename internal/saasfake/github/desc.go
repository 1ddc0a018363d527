package github

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/connectors-go/connectors/internal/saasfake"
)

//go:embed apidesc/api.github.com.trimmed.json apidesc/schema.docs.graphql
var apidesc embed.FS

var (
	descOnce sync.Once
	rest     *saasfake.Description
	schema   *saasfake.GraphQLSchema
	descErr  error
)

// patch amends the published REST description where it is demonstrably narrower than the API;
// each says why, and apidesc/ORIGIN.md lists them.
type patch struct {
	path    []string // JSON object keys from the root
	fn      func(m map[string]any) error
	because string
}

var patches = []patch{
	{
		path: []string{"paths", "/app/installations", "get", "responses", "200", "content", "application/json", "schema", "items", "properties", "account"},
		fn: func(m map[string]any) error {
			all, ok := m["allOf"]
			if !ok {
				return fmt.Errorf("no allOf")
			}
			delete(m, "allOf")
			m["anyOf"] = all
			return nil
		},
		because: "an installation's account is a user or an organization (a simple-user object) or an enterprise; the description " +
			"says allOf(simple-user, enterprise), which would require an organization account to carry an enterprise's name, slug " +
			"and dates, which GitHub's answers (and the examples in the same document) do not",
	},
}

// Patches describes the amendments, for docs and test output.
func Patches() []string {
	var out []string
	for _, p := range patches {
		out = append(out, strings.Join(p.path, ".")+": "+p.because)
	}
	return out
}

func applyPatches(data []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	for _, p := range patches {
		m := doc
		for _, k := range p.path {
			next, ok := m[k].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("patch %s: no object at %q", strings.Join(p.path, "."), k)
			}
			m = next
		}
		if err := p.fn(m); err != nil {
			return nil, fmt.Errorf("patch %s: %w", strings.Join(p.path, "."), err)
		}
	}
	return json.Marshal(doc)
}

func load() {
	data, err := apidesc.ReadFile("apidesc/api.github.com.trimmed.json")
	if err != nil {
		descErr = err
		return
	}
	if data, descErr = applyPatches(data); descErr != nil {
		return
	}
	if rest, descErr = saasfake.LoadDescription("GitHub REST API (api.github.com OpenAPI, trimmed)", data); descErr != nil {
		return
	}
	sdl, err := apidesc.ReadFile("apidesc/schema.docs.graphql")
	if err != nil {
		descErr = err
		return
	}
	if schema, descErr = saasfake.LoadGraphQLSchema("GitHub GraphQL schema (schema.docs.graphql)", string(sdl)); descErr != nil {
		return
	}
	schema.Scalars = map[string]func(any) error{
		"DateTime": saasfake.DateTimeScalar,
		"URI":      saasfake.URIScalar,
	}
}

// Description is GitHub's REST description, trimmed to the operations the fake serves
// (apidesc/ORIGIN.md says how).
func Description() (*saasfake.Description, error) {
	descOnce.Do(load)
	return rest, descErr
}

// Schema is GitHub's public GraphQL schema, loaded once per process (with the amendments its
// Amendments list).
func Schema() (*saasfake.GraphQLSchema, error) {
	descOnce.Do(load)
	return schema, descErr
}

// Rewrites map GitHub Enterprise Server's layout onto GitHub.com's, which the descriptions use:
// the REST API under /api/v3 and GraphQL at /api/graphql.
var Rewrites = []saasfake.Rewrite{
	{Prefix: "/api/v3/", To: "/"},
	{Prefix: "/api/graphql", To: "/graphql"},
}

// NewValidator returns a validator of the fake's answers against GitHub's descriptions.
func NewValidator() (*saasfake.Validator, error) {
	d, err := Description()
	if err != nil {
		return nil, err
	}
	s, err := Schema()
	if err != nil {
		return nil, err
	}
	return &saasfake.Validator{
		Descriptions: []*saasfake.Description{d},
		GraphQL:      []saasfake.GraphQLEndpoint{{Path: "/graphql", Schema: s}},
		Rewrites:     Rewrites,
	}, nil
}
