package atlassian

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/connectors-go/connectors/internal/saasfake"
)

//go:embed apidesc/*.json apidesc/*.yaml
var apidesc embed.FS

// patch amends a published description where it is demonstrably incomplete: the API answers
// with more than the document allows. Each patch says why; apidesc/ORIGIN.md lists them too.
type patch struct {
	doc     string   // file under apidesc/
	path    []string // JSON object keys from the root
	value   any      // set at path
	because string
}

var patches = []patch{
	{
		doc:   "jira-platform-v3.json",
		path:  []string{"components", "schemas", "IssueBean", "properties", "fields", "additionalProperties"},
		value: map[string]any{"nullable": true},
		because: "Jira sends null for unset fields (assignee, security, empty custom fields); the document's empty schema {} " +
			"is read as non-nullable under OpenAPI 3.0",
	},
	{
		doc:   "jira-platform-v3.json",
		path:  []string{"components", "schemas", "PermissionHolder", "properties", "user"},
		value: map[string]any{"$ref": "#/components/schemas/User"},
		because: "GET /rest/api/3/issuesecurityschemes/level/member?expand=user returns the expanded user in holder.user " +
			"(Atlassian's reference page for the endpoint shows it), which the schema's additionalProperties: false forbids",
	},
	{
		doc:     "jira-platform-v3.json",
		path:    []string{"components", "schemas", "PermissionHolder", "properties", "group"},
		value:   map[string]any{"$ref": "#/components/schemas/GroupName"},
		because: "as above for expand=group (holder.group)",
	},
	{
		doc:     "jira-platform-v3.json",
		path:    []string{"components", "schemas", "PermissionHolder", "properties", "projectRole"},
		value:   map[string]any{"$ref": "#/components/schemas/ProjectRole"},
		because: "as above for expand=projectRole (holder.projectRole)",
	},
}

// Patches describes the amendments made to the published documents, for docs and test output.
func Patches() []string {
	var out []string
	for _, p := range patches {
		out = append(out, fmt.Sprintf("%s: %s: %s", p.doc, strings.Join(p.path, "."), p.because))
	}
	return out
}

var (
	descOnce sync.Once
	descs    []*saasfake.Description
	descErr  error
)

// Descriptions loads the API descriptions the fake is checked against, once per process
// (parsing Jira's 2.4 MB document takes a second or two): the hand-written one, Jira Cloud
// platform v3 and Confluence Cloud v1.
func Descriptions() ([]*saasfake.Description, error) {
	descOnce.Do(func() {
		for _, d := range []struct{ file, name string }{
			{"handwritten.yaml", "hand-written Atlassian endpoints (apidesc/handwritten.yaml)"},
			{"jira-platform-v3.json", "Jira Cloud platform REST v3 OpenAPI"},
			{"confluence-cloud-v1.json", "Confluence Cloud REST v1 OpenAPI"},
		} {
			data, err := apidesc.ReadFile("apidesc/" + d.file)
			if err != nil {
				descErr = err
				return
			}
			if data, err = applyPatches(d.file, data); err != nil {
				descErr = err
				return
			}
			desc, err := saasfake.LoadDescription(d.name, data)
			if err != nil {
				descErr = err
				return
			}
			descs = append(descs, desc)
		}
	})
	return descs, descErr
}

func applyPatches(file string, data []byte) ([]byte, error) {
	var mine []patch
	for _, p := range patches {
		if p.doc == file {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return data, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, p := range mine {
		m := doc
		for _, k := range p.path[:len(p.path)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: patch path %s: no object at %q", file, strings.Join(p.path, "."), k)
			}
			m = next
		}
		m[p.path[len(p.path)-1]] = p.value
	}
	return json.Marshal(doc)
}

// Rewrites map the paths of API flavours onto the documents: Jira's /rest/api/2 and
// /rest/api/latest are the operations of /rest/api/3 (Atlassian: "both versions offer the same
// collection of operations"; they differ in rich-text fields, which the schemas leave open), and
// a Confluence Server/Data Center path is the Cloud path without /wiki.
var Rewrites = []saasfake.Rewrite{
	{Prefix: "/rest/api/2/", To: "/rest/api/3/"},
	{Prefix: "/rest/api/latest/", To: "/rest/api/3/"},
	{Prefix: "/rest/api/3/", To: "/rest/api/3/"},
	{Prefix: "/rest/api/", To: "/wiki/rest/api/"},
	{Prefix: "/download/", To: "/wiki/download/"},
}

// NewValidator returns a validator of the fake's answers against Atlassian's descriptions.
func NewValidator() (*saasfake.Validator, error) {
	d, err := Descriptions()
	if err != nil {
		return nil, err
	}
	return &saasfake.Validator{Descriptions: d, Rewrites: Rewrites}, nil
}
