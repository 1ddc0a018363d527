package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/protocol"
)

func (a *App) connectorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connector",
		Short: "Create, list, show, change and delete connectors: configuration, schedules, sync rules, pipeline, API key",
		Long:  "Create, list, show, change and delete connectors, as Kibana does.\n\n" + operatorConfigHelp,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the connectors of the cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listConnectors(cmd)
		},
	})
	cmd.AddCommand(a.connectorCreateCommand(), a.connectorGetCommand(), a.connectorUpdateCommand(), a.connectorDeleteCommand(),
		a.connectorScheduleCommand(), a.connectorRulesCommand(), a.connectorPipelineCommand(), a.connectorAPIKeyCommand())
	return cmd
}

func (a *App) listConnectors(cmd *cobra.Command) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	store, err := env.Store(cmd.Context())
	if err != nil {
		return err
	}
	env.refresh(cmd.Context(), protocol.ConnectorsAlias)
	all, err := store.AllConnectors(cmd.Context())
	if err != nil {
		return fmt.Errorf("cannot list connectors: %w", err)
	}
	var conns []*protocol.Connector
	for _, c := range all {
		if !c.Deleted {
			conns = append(conns, c)
		}
	}
	sort.SliceStable(conns, func(i, j int) bool {
		if conns[i].Index() != conns[j].Index() {
			return conns[i].Index() < conns[j].Index()
		}
		return conns[i].ID < conns[j].ID
	})
	if asJSON {
		views := make([]map[string]any, 0, len(conns))
		for _, c := range conns {
			v, err := connectorView(c)
			if err != nil {
				return err
			}
			views = append(views, v)
		}
		return writeJSON(a, views)
	}
	if len(conns) == 0 {
		fmt.Fprintln(a.Stdout, "No connectors found")
		return nil
	}
	fmt.Fprintf(a.Stdout, "Showing %d connectors\n", len(conns))
	t := newTable(a.Stdout)
	t.Header("ID", "Index name", "Service type", "Status", "Last sync job status")
	for _, c := range conns {
		last := "-"
		if c.LastSyncStatus != nil {
			last = string(*c.LastSyncStatus)
		}
		if err := t.Append(c.ID, dash(c.Index()), dash(c.Type()), dash(c.Status), last); err != nil {
			return err
		}
	}
	return t.Render()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type createOptions struct {
	indexName, serviceType, name, language string
	fromFile, serviceConfig                string
	native, fromIndex, updateConfig        bool
}

func (a *App) connectorCreateCommand() *cobra.Command {
	var o createOptions
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a connector, its index and an API key for it",
		Long: `Creates a connector for a compiled-in source: asks for whatever the flags do not give
(index name, source, name, language, then each configuration field in order, skipping
fields whose depends_on does not hold), validates the configuration with the source's
rules, creates the index (unless --from-index), the connector (through the _connector API
when the cluster has it) and an API key limited to that index.

With --from-file the configuration comes from a JSON object of field → value and nothing
is asked about it; fields it leaves out keep their defaults. When standard input ends,
remaining questions take their defaults, so the command can run without a terminal.
When standard input is not a terminal, the questions are not printed: the answers are
read from it one a line all the same, and a required value that neither a flag nor the
input gives fails naming its flag (--index-name, --service-type).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.createConnector(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.indexName, "index-name", "", "content index of the connector (asked when absent)")
	f.StringVar(&o.serviceType, "service-type", "", "source of the connector, e.g. dir (see 'connectors source list'; asked when absent)")
	f.StringVar(&o.name, "name", "", "connector name (asked when absent; default: the index name)")
	f.StringVar(&o.language, "index-language", "", "language code of the content, e.g. en (asked when absent; default en)")
	f.StringVar(&o.fromFile, "from-file", "", "JSON file with the configuration values, {\"field\": value, ...}")
	f.BoolVar(&o.fromIndex, "from-index", false, "use an index that already exists instead of creating one")
	f.BoolVar(&o.native, "native", false, "create an Elastic-managed (native) connector; its API key is stored as a connector secret")
	f.BoolVar(&o.updateConfig, "update-config", false, "add the connector to the connectors list of the service's config.yml")
	f.StringVar(&o.serviceConfig, "connector-service-config", "config.yml", "the service's config.yml, for --update-config")
	_ = cmd.RegisterFlagCompletionFunc("service-type", completeServiceTypes)
	return cmd
}

// createdConnector is what createConnector reports.
type createdConnector struct {
	id, name, serviceType, index string
	apiKeyID, apiKey, secretID   string
}

func (a *App) createConnector(cmd *cobra.Command, o createOptions) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	var fileValues map[string]any
	if o.fromFile != "" {
		raw, err := os.ReadFile(o.fromFile)
		if err != nil {
			return fmt.Errorf("--from-file: %w", err)
		}
		if err := json.Unmarshal(raw, &fileValues); err != nil {
			return fmt.Errorf("--from-file: %s is not a JSON object of field → value: %v", o.fromFile, err)
		}
	}
	if o.updateConfig && !o.native {
		if _, err := os.Stat(o.serviceConfig); err != nil {
			return fmt.Errorf("--update-config: cannot use %s: %w", o.serviceConfig, errors.Unwrap(err))
		}
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	p := a.prompter(cmd)
	// Without a terminal the answers still come from standard input, one a
	// line, but no question is written.
	p.quiet = !a.stdinIsTerminal(cmd)

	f, err := a.chooseSource(p, o.serviceType)
	if err != nil {
		return err
	}
	index := o.indexName
	if index == "" {
		if index, err = p.ask("Index name", ""); err != nil {
			return err
		}
		if index == "" {
			return usagef("no index name given (pass --index-name)")
		}
	}
	store, err := env.Store(ctx)
	if err != nil {
		return err
	}
	if store.Mode() == protocol.ModeIndex {
		if err := env.ensureSystemIndices(ctx); err != nil {
			return err
		}
	}
	if err := checkIndexFree(ctx, env, store, index, o.fromIndex); err != nil {
		return err
	}
	name := o.name
	if name == "" {
		if name, err = p.ask("Connector name", index); err != nil {
			return err
		}
	}
	language := o.language
	if !cmd.Flags().Changed("index-language") {
		if language, err = p.ask("Index language", "en"); err != nil {
			return err
		}
	}

	conf, err := buildConfiguration(f, fileValues, o.fromFile, p)
	if err != nil {
		return err
	}
	if err := a.validateConfiguration(f, conf); err != nil {
		return err
	}

	createdIndex := false
	if !o.fromIndex {
		if err := env.client.Request(ctx, http.MethodPut, "/"+url.PathEscape(index), nil, nil); err != nil {
			return fmt.Errorf("cannot create index %s: %w", index, err)
		}
		createdIndex = true
	}
	res := &createdConnector{name: name, serviceType: f.ServiceType, index: index}
	if store.Mode() == protocol.ModeAPI {
		res.id, err = createThroughAPI(ctx, env, f, index, name, language, o.native, conf)
	} else {
		res.id, err = createDirectly(ctx, env, f, index, name, language, o.native, conf)
	}
	if err != nil {
		if createdIndex {
			// Leave nothing half-made behind: the index was only for this connector.
			_ = env.client.Request(context.WithoutCancel(ctx), http.MethodDelete, "/"+url.PathEscape(index), nil, nil)
		}
		return err
	}
	a.connectorAPIKey(ctx, env, store, res, o.native)

	saved := ""
	if o.updateConfig && !o.native {
		entry := map[string]string{"connector_id": res.id, "service_type": res.serviceType}
		if res.apiKey != "" {
			entry["api_key"] = res.apiKey
		}
		if err := appendConnectorEntry(o.serviceConfig, entry); err != nil {
			fmt.Fprintf(a.Stderr, "The connector was created, but %s was not updated: %v\n", o.serviceConfig, err)
		} else {
			saved = o.serviceConfig
		}
	} else if o.updateConfig {
		fmt.Fprintln(a.Stderr, "Not adding a native connector to config.yml: Elastic runs native connectors, not this service.")
	}

	shown := "none"
	switch {
	case res.apiKey == "":
	case res.secretID != "":
		shown = "stored as connector secret " + res.secretID
	case saved != "":
		shown = "saved in " + saved
	default:
		// Nowhere else to find it: this is the one time it can be shown.
		shown = res.apiKey
	}
	if asJSON {
		out := map[string]any{"id": res.id, "name": res.name, "service_type": res.serviceType, "index_name": res.index, "api_key_id": nilIfEmpty(res.apiKeyID)}
		switch {
		case res.secretID != "":
			out["api_key_secret_id"] = res.secretID
		case res.apiKey != "" && saved == "":
			out["api_key"] = res.apiKey
		}
		if saved != "" {
			out["config_updated"] = saved
		}
		return writeJSON(a, out)
	}
	fmt.Fprintf(a.Stdout, "Connector (name: %s, ID: %s, service_type: %s, api_key: %s) has been created!\n", res.name, res.id, res.serviceType, shown)
	if saved != "" {
		fmt.Fprintf(a.Stdout, "New connector has been added to %s\n", saved)
	}
	return nil
}

// chooseSource resolves --service-type, or offers the compiled-in sources.
func (a *App) chooseSource(p *prompter, serviceType string) (connector.Factory, error) {
	known := connector.Registered()
	names := make([]string, len(known))
	for i, f := range known {
		names[i] = f.ServiceType
	}
	if serviceType == "" {
		if !p.quiet {
			fmt.Fprintln(p.out, "Sources:")
			for i, f := range known {
				fmt.Fprintf(p.out, "  %2d. %s (%s)\n", i+1, f.ServiceType, f.DisplayName)
			}
		}
		answer, err := p.ask("Service type (number or name)", "")
		if err != nil {
			return connector.Factory{}, err
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(known) {
			return known[n-1], nil
		}
		if answer == "" {
			return connector.Factory{}, usagef("no service type given (pass --service-type)")
		}
		serviceType = answer
	}
	f, ok := connector.Lookup(serviceType)
	if !ok {
		return connector.Factory{}, usagef("--service-type: unknown service type %q (this build has: %s)", serviceType, strings.Join(names, ", "))
	}
	return f, nil
}

// checkIndexFree applies the original's rules: the index must not belong to
// a connector, and must exist exactly when --from-index says so.
func checkIndexFree(ctx context.Context, env *operatorEnv, store *protocol.Store, index string, fromIndex bool) error {
	conns, err := store.AllConnectors(ctx)
	if err != nil {
		return fmt.Errorf("cannot list connectors: %w", err)
	}
	for _, c := range conns {
		if !c.Deleted && c.Index() == index {
			return message(fmt.Sprintf("This index is already a connector. (connector %s uses %s)", c.ID, index))
		}
	}
	exists, err := env.indexExists(ctx, url.PathEscape(index))
	if err != nil {
		return err
	}
	switch {
	case exists && !fromIndex:
		return message(fmt.Sprintf("Index for %s already exists. Include the flag --from-index to create a connector for an existing index.", index))
	case !exists && fromIndex:
		return message("The flag --from-index was provided but index doesn't exist.")
	}
	return nil
}

// buildConfiguration fills the source's configuration from the file, or by
// asking for each relevant field in order.
func buildConfiguration(f connector.Factory, fileValues map[string]any, file string, p *prompter) (map[string]any, error) {
	if file != "" {
		var unknown []string
		for k := range fileValues {
			if !hasField(f, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, fmt.Errorf("--from-file: %s has keys that are not configuration fields of %s: %s (fields: %s)", file, f.ServiceType, strings.Join(unknown, ", "), strings.Join(fieldKeys(f), ", "))
		}
		conf, err := f.ConfigurationWith(fileValues)
		if err != nil {
			return nil, err
		}
		return typedConfiguration(f, conf)
	}
	conf := f.DefaultConfiguration()
	fields := append([]connector.Field(nil), f.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
	asked := map[string]bool{}
	// An answer can make an earlier field relevant (depends_on), so go
	// round until no new field qualifies.
	for progressed := true; progressed; {
		progressed = false
		for _, fd := range fields {
			if asked[fd.Key] {
				continue
			}
			cur, err := f.NewConfig(conf)
			if err != nil {
				return nil, err
			}
			if !cur.DependenciesHold(fd.Key) {
				continue
			}
			asked[fd.Key], progressed = true, true
			if err := askField(f, fd, conf, p); err != nil {
				return nil, err
			}
		}
	}
	return typedConfiguration(f, conf)
}

// askField asks for one field until the answer converts to its type.
func askField(f connector.Factory, fd connector.Field, conf map[string]any, p *prompter) error {
	entry := conf[fd.Key].(map[string]any)
	label := fd.EffectiveLabel()
	if len(fd.Options) > 0 {
		opts := make([]string, len(fd.Options))
		for i, o := range fd.Options {
			opts[i] = fmt.Sprint(o.Value)
		}
		label += " (" + strings.Join(opts, ", ") + ")"
	}
	if !fd.Required() {
		label += " (optional)"
	}
	for attempt := 1; ; attempt++ {
		var answer any
		if fd.Sensitive {
			s, ok, err := p.secret(label, !isEmptyValue(entry["value"]))
			if err != nil {
				return err
			}
			if !ok {
				return nil // keep the current value
			}
			answer = s
		} else {
			s, err := p.ask(label, valueText(entry["value"]))
			if err != nil {
				return err
			}
			answer = s
		}
		old := entry["value"]
		entry["value"] = answer
		if _, err := f.NewConfig(conf); err != nil {
			entry["value"] = old
			if p.eof || attempt >= 3 {
				return err
			}
			fmt.Fprintf(p.out, "%v; try again\n", err)
			continue
		}
		return nil
	}
}

// typedConfiguration stores numbers and booleans as such (answers arrive
// as text) and lists as the comma-separated text Kibana writes, which the
// _connector API accepts where it refuses arrays.
func typedConfiguration(f connector.Factory, conf map[string]any) (map[string]any, error) {
	cfg, err := f.NewConfig(conf)
	if err != nil {
		return nil, err
	}
	for _, fd := range f.Fields {
		entry := conf[fd.Key].(map[string]any)
		raw := entry["value"]
		if fd.EffectiveType() == connector.TypeList {
			if _, isText := raw.(string); !isText && raw != nil {
				if isEmptyValue(raw) || reflect.ValueOf(raw).Kind() == reflect.Slice && reflect.ValueOf(raw).Len() == 0 {
					entry["value"] = ""
				} else {
					entry["value"] = strings.Join(cfg.List(fd.Key), ",")
				}
			}
			continue
		}
		if isEmptyValue(raw) {
			continue
		}
		switch fd.EffectiveType() {
		case connector.TypeInt, connector.TypeFloat, connector.TypeBool:
			if v := cfg.Value(fd.Key); v != nil {
				entry["value"] = v
			}
		case connector.TypeStr:
			if _, isText := raw.(string); !isText {
				entry["value"] = cfg.String(fd.Key)
			}
		}
	}
	return conf, nil
}

// validateConfiguration runs the source's field validation before anything
// is written, printing one line per field at fault.
func (a *App) validateConfiguration(f connector.Factory, conf map[string]any) error {
	cfg, err := f.NewConfig(conf)
	if err != nil {
		return err
	}
	err = cfg.Validate()
	if err == nil {
		return nil
	}
	var verr *connector.ValidationError
	var ferr *connector.FieldError
	switch {
	case errors.As(err, &verr):
		fmt.Fprintf(a.Stderr, "The configuration of %s is not valid:\n", f.ServiceType)
		for _, fe := range verr.Errors {
			fmt.Fprintf(a.Stderr, "  %s: %s\n", fe.Key, fe.Message)
		}
		return &exitError{code: ExitError}
	case errors.As(err, &ferr):
		return fmt.Errorf("configuration field %s: %s", ferr.Key, ferr.Message)
	}
	return err
}

func hasField(f connector.Factory, key string) bool {
	for _, fd := range f.Fields {
		if fd.Key == key {
			return true
		}
	}
	return false
}

func fieldKeys(f connector.Factory) []string {
	keys := make([]string, len(f.Fields))
	for i, fd := range f.Fields {
		keys[i] = fd.Key
	}
	return keys
}

func isEmptyValue(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	}
	return false
}

func valueText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// defaultScheduling is what a new connector gets: every schedule off.
func defaultScheduling() map[string]any {
	off := func() map[string]any { return map[string]any{"enabled": false, "interval": "0 0 0 * * ?"} }
	return map[string]any{"access_control": off(), "full": off(), "incremental": off()}
}

func defaultPipeline() map[string]any {
	p := protocol.DefaultPipeline
	return map[string]any{"name": p.Name, "extract_binary_content": p.ExtractBinaryContent, "reduce_whitespace": p.ReduceWhitespace, "run_ml_inference": p.RunMLInference}
}

func languageValue(l string) any {
	if l == "" {
		return nil
	}
	return strings.ToLower(l)
}

// createThroughAPI makes the connector with the _connector API, the way
// Kibana does: create, then configuration, features, scheduling, pipeline.
func createThroughAPI(ctx context.Context, env *operatorEnv, f connector.Factory, index, name, language string, native bool, conf map[string]any) (string, error) {
	id := newID()
	base := "/_connector/" + url.PathEscape(id)
	body := map[string]any{"index_name": index, "name": name, "service_type": f.ServiceType, "is_native": native}
	if l := languageValue(language); l != nil {
		body["language"] = l
	}
	if err := env.client.Request(ctx, http.MethodPut, base, body, nil); err != nil {
		return "", fmt.Errorf("cannot create the connector: %w", err)
	}
	steps := []struct {
		path string
		body map[string]any
	}{
		{"/_configuration", map[string]any{"configuration": conf}},
		{"/_features", map[string]any{"features": f.Features.Object()}},
		{"/_scheduling", map[string]any{"scheduling": defaultScheduling()}},
		{"/_pipeline", map[string]any{"pipeline": defaultPipeline()}},
	}
	for _, s := range steps {
		if err := env.client.Request(ctx, http.MethodPut, base+s.path, s.body, nil); err != nil {
			_ = env.client.Request(context.WithoutCancel(ctx), http.MethodDelete, base+"?hard=true", nil, nil)
			return "", fmt.Errorf("cannot set up connector %s (%s): %w", id, strings.TrimPrefix(s.path, "/_"), err)
		}
	}
	return id, nil
}

// createDirectly indexes the connector document for clusters without the
// _connector API (service-spec §4.4).
func createDirectly(ctx context.Context, env *operatorEnv, f connector.Factory, index, name, language string, native bool, conf map[string]any) (string, error) {
	now := protocol.Now()
	rules := func() map[string]any {
		return map[string]any{
			"advanced_snippet": map[string]any{"created_at": now, "updated_at": now, "value": map[string]any{}},
			"rules": []any{map[string]any{
				"id": "DEFAULT", "order": 0, "policy": "include", "field": "_", "rule": "regex", "value": ".*",
				"created_at": now, "updated_at": now,
			}},
			"validation": map[string]any{"state": "valid", "errors": []any{}},
		}
	}
	doc := map[string]any{
		"api_key_id":                            nil,
		"api_key_secret_id":                     nil,
		"configuration":                         conf,
		"custom_scheduling":                     map[string]any{},
		"deleted":                               false,
		"error":                                 nil,
		"features":                              f.Features.Object(),
		"filtering":                             []any{map[string]any{"domain": "DEFAULT", "active": rules(), "draft": rules()}},
		"index_name":                            index,
		"is_native":                             native,
		"language":                              languageValue(language),
		"last_access_control_sync_error":        nil,
		"last_access_control_sync_scheduled_at": nil,
		"last_access_control_sync_status":       nil,
		"last_deleted_document_count":           0,
		"last_incremental_sync_scheduled_at":    nil,
		"last_indexed_document_count":           0,
		"last_seen":                             nil,
		"last_sync_error":                       nil,
		"last_sync_scheduled_at":                nil,
		"last_sync_status":                      nil,
		"last_synced":                           nil,
		"name":                                  name,
		"pipeline":                              defaultPipeline(),
		"scheduling":                            defaultScheduling(),
		"service_type":                          f.ServiceType,
		"status":                                protocol.StatusConfigured,
		"sync_now":                              false,
	}
	id := newID()
	if err := env.client.Request(ctx, http.MethodPut, "/"+protocol.ConnectorsAlias+"/_create/"+id+"?refresh=true", doc, nil); err != nil {
		return "", fmt.Errorf("cannot create the connector: %w", err)
	}
	return id, nil
}

// connectorAPIKey creates the new connector's API key. Problems are
// reported, not fatal: the connector works with the service's own
// credentials too.
func (a *App) connectorAPIKey(ctx context.Context, env *operatorEnv, store *protocol.Store, res *createdConnector, native bool) {
	if env.usesAPIKey() {
		fmt.Fprintln(a.Stderr, "Not creating an API key for the connector: the CLI signs in with an API key, and Elasticsearch lets only users create keys with their own privileges. The service will write with its own credentials.")
		return
	}
	if err := env.createConnectorAPIKey(ctx, store, res, native); err != nil {
		fmt.Fprintln(a.Stderr, err)
	}
}

// createConnectorAPIKey creates an API key scoped as Kibana scopes a
// connector's (its index, its access-control index and the connector
// indices) and records it on the connector; a native connector's key is also
// stored as a connector secret.
func (e *operatorEnv) createConnectorAPIKey(ctx context.Context, store *protocol.Store, res *createdConnector, native bool) error {
	role := res.index + "-connector-role"
	body := map[string]any{
		"name": res.index + "-connector",
		"role_descriptors": map[string]any{
			role: map[string]any{
				"cluster": []string{"monitor", "manage_connector"},
				"index": []any{map[string]any{
					"names":      []string{res.index, protocol.ACLIndexPrefix + res.index, ".elastic-connectors*"},
					"privileges": []string{"all"},
				}},
			},
		},
		"metadata": map[string]any{"created_by": "Connectors CLI", "connector_id": res.id},
	}
	var key struct {
		ID      string `json:"id"`
		Encoded string `json:"encoded"`
	}
	if err := e.client.Request(ctx, http.MethodPut, "/_security/api_key", body, &key); err != nil {
		return fmt.Errorf("could not create an API key for connector %s: %w", res.id, err)
	}
	res.apiKeyID, res.apiKey = key.ID, key.Encoded
	attach := map[string]any{"api_key_id": key.ID}
	var problems []string
	if native {
		var secret struct {
			ID string `json:"id"`
		}
		if err := e.client.Request(ctx, http.MethodPost, "/_connector/_secret", map[string]any{"value": key.Encoded}, &secret); err != nil {
			problems = append(problems, fmt.Sprintf("could not store the API key as a connector secret: %v", err))
		} else {
			res.secretID = secret.ID
			attach["api_key_secret_id"] = secret.ID
		}
	}
	if err := e.writeConnector(ctx, store, res.id, "api_key_id", attach); err != nil {
		problems = append(problems, fmt.Sprintf("could not record the API key on the connector: %v", err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("API key %s was created, but %s", key.ID, strings.Join(problems, "; "))
	}
	return nil
}

// appendConnectorEntry adds an entry to the connectors list of a service
// config.yml. It edits the YAML tree, so comments, ${VAR} references and
// key order survive (the original re-wrote the whole file).
func appendConnectorEntry(path string, entry map[string]string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("cannot parse %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		*root = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: the top level is not a mapping", path)
	}
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, k := range []string{"connector_id", "service_type", "api_key"} {
		if v, ok := entry[k]; ok {
			item.Content = append(item.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.DoubleQuotedStyle})
		}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "connectors" {
			list = root.Content[i+1]
			break
		}
	}
	switch {
	case list == nil:
		root.Content = append(root.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "connectors"},
			&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	case list.Kind == yaml.SequenceNode:
		list.Style = 0 // a flow-style [] becomes a block list
		list.Content = append(list.Content, item)
	case list.Kind == yaml.ScalarNode && list.Tag == "!!null":
		*list = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}, HeadComment: list.HeadComment, LineComment: list.LineComment}
	default:
		return fmt.Errorf("%s: connectors is not a list", path)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), st.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
