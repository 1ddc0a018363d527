package gitlab

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/internal/saasfake"
)

//go:embed apidesc/openapi_v2.excerpt.yaml apidesc/handwritten.yaml apidesc/gitlab-graphql-subset.graphql
var apidesc embed.FS

const (
	treePath = "/api/v4/projects/{id}/repository/tree"
	filePath = "/api/v4/projects/{id}/repository/files/{file_path}"
)

// supplement amends GitLab's published description, once converted to OpenAPI 3, where it is
// silent or narrower than what GitLab sends. The excerpt file itself stays GitLab's text; each
// supplement says why it is needed, and apidesc/ORIGIN.md lists them too.
type supplement struct {
	path    []string // JSON object keys from the root of the converted document
	value   any      // set at path
	because string
}

var supplements = []supplement{
	{
		path: []string{"paths", treePath, "get", "responses", "200", "content", "application/json", "schema"},
		value: map[string]any{
			"type":  "array",
			"items": map[string]any{"$ref": "#/components/schemas/API_Entities_TreeObject"},
		},
		because: "GitLab answers a JSON array of tree entries (the example on the reference page, " +
			"docs.gitlab.com/api/repositories/#list-repository-tree, is one); the published file declares a single " +
			"API_Entities_TreeObject, which no answer of GitLab's matches",
	},
	{
		path: []string{"paths", treePath, "get", "responses", "200", "headers"},
		value: map[string]any{
			"X-Page":      map[string]any{"schema": map[string]any{"type": "integer", "minimum": 1}},
			"X-Per-Page":  map[string]any{"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 100}},
			"X-Next-Page": map[string]any{"schema": map[string]any{"type": "string", "pattern": "^[0-9]*$"}},
			"Link":        map[string]any{"schema": map[string]any{"type": "string"}},
		},
		because: "GitLab's offset-pagination headers (docs.gitlab.com/api/rest/#pagination: X-Next-Page is empty on the " +
			"last page), which the source follows to read a large folder; the published file declares no response headers",
	},
	{
		path: []string{"paths", filePath, "get", "responses", "200", "content"},
		value: map[string]any{"application/json": map[string]any{"schema": map[string]any{
			"type": "object",
			"required": []any{"file_name", "file_path", "size", "encoding", "content", "content_sha256", "ref",
				"blob_id", "commit_id", "last_commit_id"},
			"properties": map[string]any{
				"file_name":        map[string]any{"type": "string"},
				"file_path":        map[string]any{"type": "string"},
				"size":             map[string]any{"type": "integer"},
				"encoding":         map[string]any{"type": "string", "enum": []any{"base64"}},
				"content":          map[string]any{"type": "string"},
				"content_sha256":   map[string]any{"type": "string"},
				"ref":              map[string]any{"type": "string"},
				"blob_id":          map[string]any{"type": "string"},
				"commit_id":        map[string]any{"type": "string"},
				"last_commit_id":   map[string]any{"type": "string"},
				"execute_filemode": map[string]any{"type": "boolean"},
			},
		}}},
		because: "the published file declares no body for this answer, so any body would pass; the fields are those " +
			"of the reference page (docs.gitlab.com/api/repository_files/#get-file-from-repository), and the source " +
			"reads content from it",
	},
}

// Supplements describes the amendments made to the published description, for docs and test
// output.
func Supplements() []string {
	var out []string
	for _, s := range supplements {
		out = append(out, strings.Join(s.path, ".")+": "+s.because)
	}
	return out
}

var (
	descOnce sync.Once
	descs    []*saasfake.Description
	schema   *saasfake.GraphQLSchema
	descErr  error
)

// loadPublished converts the excerpt of GitLab's Swagger 2.0 file to OpenAPI 3 with kin-openapi's
// openapi2conv and applies the supplements.
func loadPublished() (*saasfake.Description, error) {
	const file = "apidesc/openapi_v2.excerpt.yaml"
	raw, err := apidesc.ReadFile(file)
	if err != nil {
		return nil, err
	}
	// openapi2.T reads JSON; the YAML is turned into the same tree first.
	var tree any
	if err := yaml.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	j, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var v2 openapi2.T
	if err := json.Unmarshal(j, &v2); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, fmt.Errorf("%s: converting to OpenAPI 3: %w", file, err)
	}
	if j, err = json.Marshal(v3); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(j, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, s := range supplements {
		if err := s.apply(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	if j, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	return saasfake.LoadDescription("GitLab REST v4 (GitLab's openapi_v2.yaml, excerpt in apidesc/openapi_v2.excerpt.yaml, with desc.go's supplements)", j)
}

func (s supplement) apply(doc map[string]any) error {
	m := doc
	for _, k := range s.path[:len(s.path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return fmt.Errorf("supplement %s: no object at %q", strings.Join(s.path, "."), k)
		}
		m = next
	}
	m[s.path[len(s.path)-1]] = s.value
	return nil
}

func load() {
	published, err := loadPublished()
	if err != nil {
		descErr = err
		return
	}
	data, err := apidesc.ReadFile("apidesc/handwritten.yaml")
	if err != nil {
		descErr = err
		return
	}
	handwritten, err := saasfake.LoadDescription("GitLab REST v4 GET /api/v4/user (hand-written from the reference page, apidesc/handwritten.yaml)", data)
	if err != nil {
		descErr = err
		return
	}
	descs = []*saasfake.Description{published, handwritten}
	sdl, err := apidesc.ReadFile("apidesc/gitlab-graphql-subset.graphql")
	if err != nil {
		descErr = err
		return
	}
	if schema, descErr = saasfake.LoadGraphQLSchema("GitLab GraphQL (hand-written from the reference, apidesc/gitlab-graphql-subset.graphql)", string(sdl)); descErr != nil {
		return
	}
	schema.Scalars = map[string]func(any) error{"Time": saasfake.DateTimeScalar}
}

// Descriptions are the REST descriptions the fake's answers are checked against, in order: the
// excerpt of GitLab's published file (with the supplements), then the hand-written description
// of the endpoint that file lacks.
func Descriptions() ([]*saasfake.Description, error) {
	descOnce.Do(load)
	return descs, descErr
}

// Schema is the GraphQL schema the fake answers by.
func Schema() (*saasfake.GraphQLSchema, error) {
	descOnce.Do(load)
	return schema, descErr
}

// NewValidator returns a validator of the fake's answers and the client's GraphQL queries.
func NewValidator() (*saasfake.Validator, error) {
	d, err := Descriptions()
	if err != nil {
		return nil, err
	}
	s, err := Schema()
	if err != nil {
		return nil, err
	}
	return &saasfake.Validator{Descriptions: d, GraphQL: []saasfake.GraphQLEndpoint{{Path: "/api/graphql", Schema: s}}}, nil
}
