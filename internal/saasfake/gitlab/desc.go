package gitlab

import (
	"embed"
	"sync"

	"github.com/connectors-go/connectors/internal/saasfake"
)

//go:embed apidesc/gitlab-rest-subset.yaml apidesc/gitlab-graphql-subset.graphql
var apidesc embed.FS

var (
	descOnce sync.Once
	rest     *saasfake.Description
	schema   *saasfake.GraphQLSchema
	descErr  error
)

func load() {
	data, err := apidesc.ReadFile("apidesc/gitlab-rest-subset.yaml")
	if err != nil {
		descErr = err
		return
	}
	if rest, descErr = saasfake.LoadDescription("GitLab REST v4 (hand-written from the reference pages, apidesc/gitlab-rest-subset.yaml)", data); descErr != nil {
		return
	}
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

// Description is the REST description of the endpoints the fake serves.
func Description() (*saasfake.Description, error) {
	descOnce.Do(load)
	return rest, descErr
}

// Schema is the GraphQL schema the fake answers by.
func Schema() (*saasfake.GraphQLSchema, error) {
	descOnce.Do(load)
	return schema, descErr
}

// NewValidator returns a validator of the fake's answers and the client's GraphQL queries.
func NewValidator() (*saasfake.Validator, error) {
	d, err := Description()
	if err != nil {
		return nil, err
	}
	s, err := Schema()
	if err != nil {
		return nil, err
	}
	return &saasfake.Validator{Descriptions: []*saasfake.Description{d}, GraphQL: []saasfake.GraphQLEndpoint{{Path: "/api/graphql", Schema: s}}}, nil
}
