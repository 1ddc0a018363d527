package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/elastic/go-elasticsearch/v9/esapi"
	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/rules"
)

// connector opens the store and reads connector id from it.
func (e *operatorEnv) connector(ctx context.Context, id string) (*protocol.Store, *protocol.Connector, error) {
	store, err := e.Store(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := getConnector(ctx, store, id)
	if err != nil {
		return nil, nil, err
	}
	return store, c, nil
}

// getConnector reads a connector, naming it when it does not exist.
func getConnector(ctx context.Context, store *protocol.Store, id string) (*protocol.Connector, error) {
	c, err := store.GetConnector(ctx, id)
	if errors.Is(err, protocol.ErrNotFound) || (err == nil && c.Deleted) {
		return nil, fmt.Errorf("connector %s not found (see `connectors connector list`)", id)
	}
	return c, err
}

// writeConnector changes part of a connector: through the _connector API
// endpoint (PUT /_connector/ID/_<endpoint>) in API mode, which validates the
// change as Kibana's edits are validated, else as a partial update of the
// document.
func (e *operatorEnv) writeConnector(ctx context.Context, store *protocol.Store, id, endpoint string, body map[string]any) error {
	var err error
	if store.Mode() == protocol.ModeAPI {
		err = e.client.Request(ctx, http.MethodPut, "/_connector/"+url.PathEscape(id)+"/_"+endpoint, body, nil)
	} else {
		err = store.PatchConnector(ctx, id, body)
	}
	if err != nil {
		return fmt.Errorf("cannot update the %s of connector %s: %w", strings.ReplaceAll(endpoint, "_", " "), id, err)
	}
	return nil
}

// connectorView is a connector as get and list print it in JSON: the
// document with its id, sensitive configuration values hidden.
func connectorView(c *protocol.Connector) (map[string]any, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["id"] = c.ID
	m["configuration"] = redactConfiguration(c.Type(), c.Configuration)
	return m, nil
}

// redactConfiguration hides the values of sensitive fields, those the
// document marks sensitive and those the compiled-in source declares so
// (a document written by hand may lack the flag).
func redactConfiguration(serviceType string, conf map[string]any) map[string]any {
	sensitive := map[string]bool{}
	if f, ok := connector.Lookup(serviceType); ok {
		for _, fd := range f.Fields {
			sensitive[fd.Key] = fd.Sensitive
		}
	}
	out := make(map[string]any, len(conf))
	for k, v := range conf {
		entry, ok := v.(map[string]any)
		if !ok {
			out[k] = v
			continue
		}
		copied := make(map[string]any, len(entry))
		for ek, ev := range entry {
			copied[ek] = ev
		}
		if s, _ := entry["sensitive"].(bool); (s || sensitive[k]) && !isEmptyValue(entry["value"]) {
			copied["value"] = config.RedactedValue
		}
		out[k] = copied
	}
	return out
}

func (a *App) connectorGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "get CONNECTOR_ID",
		Short:             "Show a connector: status, last sync, schedules, pipeline, sync rules and configuration",
		Long:              "Shows a connector. Values of sensitive configuration fields are never printed.\n\n" + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
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
			c, err := getConnector(cmd.Context(), store, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				v, err := connectorView(c)
				if err != nil {
					return err
				}
				return writeJSON(a, v)
			}
			return a.printConnector(c)
		},
	}
}

func (a *App) printConnector(c *protocol.Connector) error {
	ptr := func(s *string) string { return orDash(s) }
	status := func(s *protocol.JobStatus) string {
		if s == nil {
			return "-"
		}
		return string(*s)
	}
	rows := [][2]string{
		{"ID", c.ID},
		{"Name", dash(c.Name)},
		{"Description", ptr(c.Description)},
		{"Index name", dash(c.Index())},
		{"Service type", dash(c.Type())},
		{"Status", dash(c.Status)},
		{"Error", ptr(c.Error)},
		{"Language", ptr(c.Language)},
		{"Native", yesNo(c.IsNative)},
		{"Last seen", ptr(c.LastSeen)},
		{"Last sync status", status(c.LastSyncStatus)},
		{"Last synced", ptr(c.LastSynced)},
		{"Last sync error", ptr(c.LastSyncError)},
		{"Last access control sync status", status(c.LastAccessControlSyncStatus)},
	}
	for _, t := range []protocol.JobType{protocol.JobFull, protocol.JobIncremental, protocol.JobAccessControl} {
		rows = append(rows, [2]string{"Schedule " + string(t), scheduleText(c.Scheduling.For(t))})
	}
	p := c.EffectivePipeline()
	rows = append(rows,
		[2]string{"Pipeline", fmt.Sprintf("%s (extract_binary_content=%t, reduce_whitespace=%t, run_ml_inference=%t)", p.Name, p.ExtractBinaryContent, p.ReduceWhitespace, p.RunMLInference)},
		[2]string{"API key id", ptr(c.APIKeyID)},
		[2]string{"Sync rules", rulesSummary(c.Filtering)},
	)
	conf := redactConfiguration(c.Type(), c.Configuration)
	keys := make([]string, 0, len(conf))
	for k := range conf {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := fieldOrder(conf[keys[i]]), fieldOrder(conf[keys[j]])
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		v := "-"
		if entry, ok := conf[k].(map[string]any); ok && !isEmptyValue(entry["value"]) {
			v = valueText(entry["value"])
		}
		rows = append(rows, [2]string{"Configuration " + k, v})
	}
	t := newTable(a.Stdout)
	for _, r := range rows {
		if err := t.Append(r[0], r[1]); err != nil {
			return err
		}
	}
	return t.Render()
}

func fieldOrder(v any) float64 {
	if entry, ok := v.(map[string]any); ok {
		if n, ok := entry["order"].(float64); ok {
			return n
		}
	}
	return 1e9
}

func scheduleText(s protocol.Schedule) string {
	state := "off"
	if s.Enabled {
		state = "on"
	}
	if s.Interval == "" {
		return state
	}
	return state + ", " + s.Interval
}

// rulesSummary tells how many basic rules are active besides the default
// one, whether advanced rules are set, and the draft's validation state.
func rulesSummary(raw json.RawMessage) string {
	var entries []rules.Entry
	if len(raw) == 0 || json.Unmarshal(raw, &entries) != nil {
		return "-"
	}
	e := rules.DefaultEntry(entries)
	if e == nil {
		return "-"
	}
	basic := 0
	for i := range e.Active.Rules {
		if !e.Active.Rules[i].IsDefault() {
			basic++
		}
	}
	s := fmt.Sprintf("%d basic rule(s) besides the default", basic)
	if e.Active.HasAdvancedRules() {
		s += ", advanced rules set"
	}
	if st := e.Draft.State(); st != rules.StateValid || !sameRules(e.Active, e.Draft) {
		s += fmt.Sprintf("; draft %s", st)
	}
	return s
}

func sameRules(a, b rules.Filtering) bool {
	ja, _ := json.Marshal(struct {
		R []rules.Rule
		A any
	}{a.Rules, a.AdvancedSnippet.Value})
	jb, _ := json.Marshal(struct {
		R []rules.Rule
		A any
	}{b.Rules, b.AdvancedSnippet.Value})
	return bytes.Equal(ja, jb)
}

type updateOptions struct {
	name, description, indexName, language string
	sets                                   []string
	setStdin                               []string
	fromFile                               string
}

func (a *App) connectorUpdateCommand() *cobra.Command {
	var o updateOptions
	cmd := &cobra.Command{
		Use:   "update CONNECTOR_ID",
		Short: "Change a connector's name, description, index, language or configuration values",
		Long: `Changes a connector. Configuration values are given with --set KEY=VALUE (repeatable),
--set-stdin KEY (the value is read from a line of standard input, for secrets: it stays
out of the shell history) or --from-file (a JSON object of field → value). Values are
converted to the field's type, and the source's own validation runs on the whole
configuration before anything is written; each failure is one line naming the field.
A connector whose configuration was never written by a service gets the source's full
configuration schema with the values given. Its status becomes configured, as when the
configuration is saved in Kibana.

` + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.updateConnector(cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "new name")
	f.StringVar(&o.description, "description", "", "new description")
	f.StringVar(&o.indexName, "index-name", "", "attach another content index (it must not belong to another connector)")
	f.StringVar(&o.language, "index-language", "", "language code of the content, e.g. en")
	f.StringArrayVar(&o.sets, "set", nil, "configuration value KEY=VALUE (repeatable)")
	f.StringArrayVar(&o.setStdin, "set-stdin", nil, "configuration field whose value is read from standard input, one line per field (repeatable)")
	f.StringVar(&o.fromFile, "from-file", "", "JSON file with configuration values, {\"field\": value, ...}")
	return cmd
}

func (a *App) updateConnector(cmd *cobra.Command, id string, o updateOptions) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	flags := cmd.Flags()
	changedAny := false
	for _, n := range []string{"name", "description", "index-name", "index-language", "set", "set-stdin", "from-file"} {
		changedAny = changedAny || flags.Changed(n)
	}
	if !changedAny {
		return usagef("nothing to change: pass --name, --description, --index-name, --index-language, --set, --set-stdin or --from-file")
	}
	values := map[string]any{}
	if o.fromFile != "" {
		raw, err := os.ReadFile(o.fromFile)
		if err != nil {
			return fmt.Errorf("--from-file: %w", err)
		}
		if err := json.Unmarshal(raw, &values); err != nil {
			return fmt.Errorf("--from-file: %s is not a JSON object of field → value: %v", o.fromFile, err)
		}
	}
	for _, kv := range o.sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("--set %q: write KEY=VALUE", kv)
		}
		values[k] = v
	}
	if len(o.setStdin) > 0 {
		p := a.prompter(cmd)
		for _, k := range o.setStdin {
			line, err := p.readLine()
			if err != nil {
				return fmt.Errorf("--set-stdin %s: standard input holds no line for it", k)
			}
			values[k] = line
		}
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
	var changed []string

	if flags.Changed("name") || flags.Changed("description") {
		name, desc := c.Name, c.Description
		if flags.Changed("name") {
			name = o.name
		}
		if flags.Changed("description") {
			desc = &o.description
		}
		body := map[string]any{"name": name}
		if desc != nil {
			body["description"] = *desc
		}
		if err := env.writeConnector(ctx, store, id, "name", body); err != nil {
			return err
		}
		changed = append(changed, "name")
	}
	if flags.Changed("index-name") && o.indexName != c.Index() {
		if err := indexFreeFor(ctx, store, id, o.indexName); err != nil {
			return err
		}
		if err := env.writeConnector(ctx, store, id, "index_name", map[string]any{"index_name": o.indexName}); err != nil {
			return err
		}
		changed = append(changed, "index name")
	}
	if flags.Changed("index-language") {
		// The _connector API has no endpoint for the language; Kibana
		// writes the document too.
		if err := store.PatchConnector(ctx, id, map[string]any{"language": languageValue(o.language)}); err != nil {
			return fmt.Errorf("cannot update the language of connector %s: %w", id, err)
		}
		changed = append(changed, "language")
	}
	if len(values) > 0 {
		keys, err := a.updateConfiguration(ctx, env, store, c, values)
		if err != nil {
			return err
		}
		changed = append(changed, "configuration ("+strings.Join(keys, ", ")+")")
	}
	if asJSON {
		c, err := getConnector(ctx, store, id)
		if err != nil {
			return err
		}
		v, err := connectorView(c)
		if err != nil {
			return err
		}
		return writeJSON(a, v)
	}
	if len(changed) == 0 {
		fmt.Fprintf(a.Stdout, "Connector %s is unchanged.\n", id)
		return nil
	}
	fmt.Fprintf(a.Stdout, "Connector %s updated: %s.\n", id, strings.Join(changed, ", "))
	return nil
}

// indexFreeFor refuses an index another connector uses.
func indexFreeFor(ctx context.Context, store *protocol.Store, id, index string) error {
	if index == "" {
		return usagef("--index-name: give an index name")
	}
	conns, err := store.AllConnectors(ctx)
	if err != nil {
		return fmt.Errorf("cannot list connectors: %w", err)
	}
	for _, other := range conns {
		if !other.Deleted && other.ID != id && other.Index() == index {
			return fmt.Errorf("index %s already belongs to connector %s", index, other.ID)
		}
	}
	return nil
}

// updateConfiguration merges values into the connector's configuration
// (over the source's schema), validates the result with the source's rules
// and writes it. It returns the keys changed.
func (a *App) updateConfiguration(ctx context.Context, env *operatorEnv, store *protocol.Store, c *protocol.Connector, values map[string]any) ([]string, error) {
	f, ok := connector.Lookup(c.Type())
	if !ok {
		return nil, fmt.Errorf("connector %s has service type %q, which is not compiled into this binary: its configuration cannot be checked (see `connectors source list`)", c.ID, c.Type())
	}
	var unknown, keys []string
	for k := range values {
		keys = append(keys, k)
		if !hasField(f, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(keys)
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, usagef("%s are not configuration fields of %s (fields: %s)", strings.Join(unknown, ", "), f.ServiceType, strings.Join(fieldKeys(f), ", "))
	}
	conf := f.DefaultConfiguration()
	for k, v := range c.Configuration {
		stored, ok := v.(map[string]any)
		if entry, known := conf[k].(map[string]any); known && ok {
			entry["value"] = stored["value"]
		}
	}
	for k, v := range values {
		conf[k].(map[string]any)["value"] = v
	}
	if _, err := f.NewConfig(conf); err != nil {
		return nil, err
	}
	conf, err := typedConfiguration(f, conf)
	if err != nil {
		return nil, err
	}
	if err := a.validateConfiguration(f, conf); err != nil {
		return nil, err
	}
	if store.Mode() == protocol.ModeAPI {
		err = env.writeConnector(ctx, store, c.ID, "configuration", map[string]any{"configuration": conf})
	} else {
		err = env.writeConnector(ctx, store, c.ID, "configuration", map[string]any{"configuration": conf, "status": protocol.StatusConfigured})
	}
	return keys, err
}

func (a *App) connectorDeleteCommand() *cobra.Command {
	var yes, jobs, index bool
	cmd := &cobra.Command{
		Use:   "delete CONNECTOR_ID",
		Short: "Delete a connector, and optionally its sync jobs and its index",
		Long: `Deletes a connector: with the _connector API (DELETE /_connector/ID, which Elasticsearch 9
turns into a soft delete that Kibana and the service both honour), else by removing its
document. --delete-sync-jobs also removes its sync jobs; --delete-index also removes its
content index and its access-control index. Asks for confirmation unless --yes.

` + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.deleteConnector(cmd, args[0], yes, jobs, index)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&jobs, "delete-sync-jobs", false, "delete the connector's sync jobs too")
	cmd.Flags().BoolVar(&index, "delete-index", false, "delete the connector's content and access-control indices too")
	return cmd
}

func (a *App) deleteConnector(cmd *cobra.Command, id string, yes, withJobs, withIndex bool) error {
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
	if !yes {
		q := fmt.Sprintf("Are you sure you want to delete connector %s (%s)", id, dash(c.Name))
		if withJobs {
			q += ", its sync jobs"
		}
		if withIndex && c.Index() != "" {
			q += " and index " + c.Index()
		}
		ok, err := a.prompter(cmd).confirm(q + "?")
		if err != nil {
			return err
		}
		if !ok {
			return a.aborted()
		}
	}
	running, err := store.ListJobs(ctx, protocol.JobQuery{ConnectorIDs: []string{id}, Statuses: []protocol.JobStatus{protocol.JobInProgress, protocol.JobCanceling}})
	if err == nil && len(running) > 0 {
		fmt.Fprintf(a.Stderr, "Note: sync job %s of this connector is %s; its worker stops when it sees the connector is gone.\n", running[0].ID, running[0].Status)
	}
	var jobsDeleted int64
	if store.Mode() == protocol.ModeAPI {
		err = env.client.Request(ctx, http.MethodDelete, "/_connector/"+url.PathEscape(id)+"?delete_sync_jobs="+strconv.FormatBool(withJobs), nil, nil)
	} else {
		err = env.client.Request(ctx, http.MethodDelete, "/"+protocol.ConnectorsAlias+"/_doc/"+url.PathEscape(id)+"?refresh=true", nil, nil)
		if err == nil && withJobs {
			jobsDeleted, err = env.deleteByQuery(ctx, protocol.JobsAlias, map[string]any{"term": map[string]any{"connector.id": id}})
		}
	}
	if err != nil {
		return fmt.Errorf("cannot delete connector %s: %w", id, err)
	}
	// With -o json the outcome is one document at the end; the messages
	// are for text only.
	text := func(format string, args ...any) {
		if !asJSON {
			fmt.Fprintf(a.Stdout, format, args...)
		}
	}
	view := map[string]any{"connector_id": id, "deleted": true, "sync_jobs_deleted": withJobs}
	text("The connector %s has been deleted.\n", id)
	if withJobs && store.Mode() == protocol.ModeIndex {
		// The _connector API does not say how many it deleted.
		view["sync_jobs_deleted_count"] = jobsDeleted
		text("%d sync jobs deleted.\n", jobsDeleted)
	}
	if withIndex && c.Index() != "" {
		for _, idx := range []string{c.Index(), protocol.ACLIndexPrefix + c.Index()} {
			if err := env.client.Request(ctx, http.MethodDelete, "/"+url.PathEscape(idx)+"?ignore_unavailable=true", nil, nil); err != nil {
				return fmt.Errorf("the connector was deleted, but not index %s: %w", idx, err)
			}
		}
		view["index_deleted"] = c.Index()
		text("Index %s has been deleted.\n", c.Index())
	}
	if asJSON {
		return writeJSON(a, view)
	}
	return nil
}

// deleteByQuery deletes the documents a query matches and returns how many:
// _delete_by_query where the cluster has it, else (a node without the
// reindex module answers "no handler found") search and bulk deletes.
func (e *operatorEnv) deleteByQuery(ctx context.Context, index string, query map[string]any) (int64, error) {
	var res struct {
		Deleted int64 `json:"deleted"`
	}
	// Only what a refresh made searchable is matched: a job created a
	// moment ago must not survive its connector.
	if err := e.client.Request(ctx, http.MethodPost, "/"+url.PathEscape(index)+"/_refresh?ignore_unavailable=true", nil, nil); err != nil {
		e.log.Debug("Refresh before deleting failed", "index", index, "error", err.Error())
	}
	body := map[string]any{"query": query}
	err := e.client.Request(ctx, http.MethodPost, "/"+url.PathEscape(index)+"/_delete_by_query?ignore_unavailable=true&conflicts=proceed&refresh=true", body, &res)
	if err == nil || !noHandler(err) {
		return res.Deleted, err
	}
	e.log.Debug("No _delete_by_query on this cluster; deleting by search and bulk", "index", index)
	var total int64
	// Each round deletes what one search finds; a refresh makes the next
	// search see the remainder. The bound only stops a runaway loop.
	for round := 0; round < 100000; round++ {
		var hits struct {
			Hits struct {
				Hits []struct {
					Index string `json:"_index"`
					ID    string `json:"_id"`
				} `json:"hits"`
			} `json:"hits"`
		}
		search := map[string]any{"query": query, "size": 1000, "_source": false}
		if err := e.client.Request(ctx, http.MethodPost, "/"+url.PathEscape(index)+"/_search?ignore_unavailable=true", search, &hits); err != nil {
			return total, err
		}
		if len(hits.Hits.Hits) == 0 {
			return total, nil
		}
		var nd bytes.Buffer
		for _, h := range hits.Hits.Hits {
			line, _ := json.Marshal(map[string]any{"delete": map[string]any{"_index": h.Index, "_id": h.ID}})
			nd.Write(line)
			nd.WriteByte('\n')
		}
		var out struct {
			Errors bool `json:"errors"`
			Items  []map[string]struct {
				Status int `json:"status"`
			} `json:"items"`
		}
		if err := e.client.Do(ctx, esapi.BulkRequest{Body: bytes.NewReader(nd.Bytes()), Refresh: "true"}, &out); err != nil {
			return total, err
		}
		deleted := 0
		for _, item := range out.Items {
			for _, r := range item {
				if r.Status < 300 {
					deleted++
				}
			}
		}
		if deleted == 0 {
			return total, fmt.Errorf("documents of %s could not be deleted", index)
		}
		total += int64(deleted)
	}
	return total, nil
}

// noHandler recognises an API the cluster does not have.
func noHandler(err error) bool {
	s := es.StatusOf(err)
	return (s == http.StatusBadRequest || s == http.StatusMethodNotAllowed || s == http.StatusNotFound) && strings.Contains(err.Error(), "no handler found") ||
		s == http.StatusMethodNotAllowed
}
