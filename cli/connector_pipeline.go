package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
)

func (a *App) connectorPipelineCommand() *cobra.Command {
	var p protocol.Pipeline
	cmd := &cobra.Command{
		Use:   "pipeline CONNECTOR_ID",
		Short: "Show or change the ingest pipeline settings of a connector",
		Long: `Shows the ingest pipeline a connector's documents go through and its three switches, or
changes them: --name (the pipeline, search-default-ingestion unless set),
--extract-binary-content (whether files are downloaded and their content extracted),
--reduce-whitespace and --run-ml-inference (read by the pipeline). The settings are
copied into each new sync job, so they apply from the next sync.

` + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.connectorPipeline(cmd, args[0], p)
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Name, "name", "", "ingest pipeline name")
	f.BoolVar(&p.ExtractBinaryContent, "extract-binary-content", true, "download files and extract their content")
	f.BoolVar(&p.ReduceWhitespace, "reduce-whitespace", true, "let the pipeline collapse white space")
	f.BoolVar(&p.RunMLInference, "run-ml-inference", true, "let the pipeline run its inference processors")
	return cmd
}

func (a *App) connectorPipeline(cmd *cobra.Command, id string, given protocol.Pipeline) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	store, c, err := env.connector(ctx, id)
	if err != nil {
		return err
	}
	p := c.EffectivePipeline()
	flags := cmd.Flags()
	changed := false
	if flags.Changed("name") {
		if strings.TrimSpace(given.Name) == "" {
			return usagef("--name: give a pipeline name")
		}
		p.Name, changed = given.Name, true
	}
	if flags.Changed("extract-binary-content") {
		p.ExtractBinaryContent, changed = given.ExtractBinaryContent, true
	}
	if flags.Changed("reduce-whitespace") {
		p.ReduceWhitespace, changed = given.ReduceWhitespace, true
	}
	if flags.Changed("run-ml-inference") {
		p.RunMLInference, changed = given.RunMLInference, true
	}
	if changed {
		body := map[string]any{"pipeline": map[string]any{
			"name": p.Name, "extract_binary_content": p.ExtractBinaryContent,
			"reduce_whitespace": p.ReduceWhitespace, "run_ml_inference": p.RunMLInference,
		}}
		if err := env.writeConnector(ctx, store, id, "pipeline", body); err != nil {
			return err
		}
		if exists, err := env.pipelineExists(ctx, p.Name); err == nil && !exists {
			fmt.Fprintf(a.Stderr, "Warning: ingest pipeline %s does not exist on this cluster; syncs will fail until it does.\n", p.Name)
		}
	}
	if asJSON {
		return writeJSON(a, map[string]any{"connector_id": id, "pipeline": p})
	}
	if changed {
		fmt.Fprintf(a.Stdout, "The pipeline settings of connector %s have been updated; they apply from the next sync.\n", id)
	}
	t := newTable(a.Stdout)
	for _, r := range [][2]string{
		{"Pipeline", p.Name},
		{"extract_binary_content", fmt.Sprint(p.ExtractBinaryContent)},
		{"reduce_whitespace", fmt.Sprint(p.ReduceWhitespace)},
		{"run_ml_inference", fmt.Sprint(p.RunMLInference)},
	} {
		if err := t.Append(r[0], r[1]); err != nil {
			return err
		}
	}
	return t.Render()
}

func (e *operatorEnv) pipelineExists(ctx context.Context, name string) (bool, error) {
	err := e.client.Request(ctx, http.MethodGet, "/_ingest/pipeline/"+url.PathEscape(name), nil, nil)
	switch {
	case err == nil:
		return true, nil
	case es.IsNotFound(err):
		return false, nil
	}
	return false, err
}

func (a *App) connectorAPIKeyCommand() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "api-key CONNECTOR_ID",
		Short: "Create an API key for a connector, scoped as Kibana scopes one, and print the config.yml entry",
		Long: `Creates an Elasticsearch API key for a connector with the privileges Kibana gives one:
cluster monitor and manage_connector; all on the connector's index, its access-control
index (.search-acl-filter-INDEX) and the connector indices (.elastic-connectors*). The
key is recorded on the connector (api_key_id; for a native connector it is also stored
as a connector secret), the connector's previous key is invalidated unless --keep-old,
and the encoded key is printed with the connectors entry to paste into the service's
config.yml. It is shown this once: Elasticsearch keeps only its hash.

The CLI must sign in with a user name and password: Elasticsearch does not let an API
key create another key with privileges of its own.

` + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.connectorNewAPIKey(cmd, args[0], keep)
		},
	}
	cmd.Flags().BoolVar(&keep, "keep-old", false, "do not invalidate the connector's previous API key")
	return cmd
}

func (a *App) connectorNewAPIKey(cmd *cobra.Command, id string, keep bool) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	if env.usesAPIKey() {
		return fmt.Errorf("the CLI signs in with an API key, and Elasticsearch lets only users create API keys with privileges: sign in with a user name and password (connectors login --method basic, or -c with a config.yml that has them)")
	}
	ctx := cmd.Context()
	store, c, err := env.connector(ctx, id)
	if err != nil {
		return err
	}
	if c.Index() == "" {
		return fmt.Errorf("connector %s has no index yet: attach one first (connectors connector update %s --index-name NAME)", id, id)
	}
	res := &createdConnector{id: c.ID, name: c.Name, serviceType: c.Type(), index: c.Index()}
	old := ""
	if c.APIKeyID != nil {
		old = *c.APIKeyID
	}
	if err := env.createConnectorAPIKey(ctx, store, res, c.IsNative); err != nil {
		if res.apiKey == "" {
			return err
		}
		// The key exists: it must still be shown, or it is lost.
		fmt.Fprintf(a.Stderr, "Warning: %v\n", err)
	}
	invalidated := false
	if old != "" && old != res.apiKeyID && !keep {
		if err := env.client.Request(ctx, http.MethodDelete, "/_security/api_key", map[string]any{"ids": []string{old}}, nil); err != nil {
			fmt.Fprintf(a.Stderr, "Could not invalidate the previous API key %s: %v\n", old, err)
		} else {
			invalidated = true
		}
	}
	entry := map[string]any{"connector_id": c.ID, "service_type": c.Type(), "api_key": res.apiKey}
	if asJSON {
		out := map[string]any{"connector_id": c.ID, "id": res.apiKeyID, "encoded": res.apiKey, "config": map[string]any{"connectors": []any{entry}}}
		if res.secretID != "" {
			out["secret_id"] = res.secretID
		}
		if invalidated {
			out["invalidated"] = old
		}
		return writeJSON(a, out)
	}
	block, err := yaml.Marshal(map[string]any{"connectors": []any{entry}})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "API key %s created for connector %s (index %s).\n", res.apiKeyID, c.ID, c.Index())
	if invalidated {
		fmt.Fprintf(a.Stdout, "The previous key %s has been invalidated.\n", old)
	}
	if res.secretID != "" {
		fmt.Fprintf(a.Stdout, "Stored as connector secret %s.\n", res.secretID)
	}
	fmt.Fprintf(a.Stdout, "Add this entry to the connectors list of the service's config.yml (the key is shown only this once):\n\n%s", block)
	return nil
}
