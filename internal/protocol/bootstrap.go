package protocol

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/sysindex"
)

// BootstrapOptions configure EnsureSystemIndices.
type BootstrapOptions struct {
	// Major is the cluster's major version: it picks the mapping flavour of
	// indices the service creates itself (strict root from 9).
	Major int
	// Serverless clusters manage the connector indices themselves.
	Serverless bool
	Log        *slog.Logger
}

// IndexProblemError says that existing connector indices cannot serve the
// protocol. Waiting does not fix it, so preflight does not retry it.
type IndexProblemError struct {
	Problems []string
	// Indices names what to delete to start afresh.
	Indices []string
}

func (e *IndexProblemError) Error() string {
	return fmt.Sprintf("the connector indices cannot be used: %s. They were probably created without the connector mappings "+
		"(by a write made before they existed, or by an older version of this service). If they hold nothing you need, "+
		"delete them (DELETE /%s) and start again: the service then creates them with the right mappings, settings and aliases. "+
		"Otherwise reindex their documents into indices created that way",
		strings.Join(e.Problems, "; "), strings.Join(e.Indices, ","))
}

// EnsureSystemIndices makes the connector and sync-job indices usable.
//
// On a cluster with the ent-search module (it answers GET /_connector),
// Elasticsearch owns them: a missing index is created with an empty body
// so that its templates apply, as the original does, and Elasticsearch 9
// refusing that (they are system indices it creates on first use) is
// fine. On a cluster without the module nothing would give them their
// mappings and aliases, so they are created with the module's own
// definitions (package sysindex), and the default ingest pipeline too.
//
// Either way, existing indices are then checked: a concrete index where an
// alias belongs, or a field the service searches on mapped with the wrong
// type, is an *IndexProblemError instead of a silent stall.
func EnsureSystemIndices(ctx context.Context, c *es.Client, opts BootstrapOptions) error {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	managed, err := clusterHasEntSearch(ctx, c)
	if err != nil {
		return err
	}
	for _, idx := range sysindex.Indices {
		if err := createIfMissing(ctx, c, idx, managed, opts, log); err != nil {
			return err
		}
	}
	if err := checkSystemIndices(ctx, c, managed, log); err != nil {
		return err
	}
	if !managed {
		return ensureDefaultPipeline(ctx, c, log)
	}
	return nil
}

// clusterHasEntSearch probes GET /_connector: a cluster without the module
// reads the path as an index name (400) or has no route (404/405/410).
// Refused credentials or privileges leave the question open; the module is
// then assumed, and Elasticsearch keeps managing its indices.
func clusterHasEntSearch(ctx context.Context, c *es.Client) (bool, error) {
	err := c.Request(ctx, http.MethodGet, "/_connector?size=0", nil, nil)
	switch es.StatusOf(err) {
	case 0:
		if err != nil {
			return false, fmt.Errorf("cannot tell whether Elasticsearch has the ent-search module: %w", err)
		}
		return true, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return true, nil
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return false, nil
	}
	return false, fmt.Errorf("cannot tell whether Elasticsearch has the ent-search module: %w", err)
}

func createIfMissing(ctx context.Context, c *es.Client, idx string, managed bool, opts BootstrapOptions, log *slog.Logger) error {
	err := c.Request(ctx, http.MethodHead, "/"+idx+"?expand_wildcards=all", nil, nil)
	if err == nil {
		return nil
	}
	if !es.IsNotFound(err) {
		return fmt.Errorf("cannot check system index %s: %w", idx, err)
	}
	var body any
	if !managed {
		body = sysindex.CreateBody(idx, opts.Major)
	}
	err = c.Request(ctx, http.MethodPut, "/"+idx, body, nil)
	switch s := es.StatusOf(err); {
	case err == nil:
		if !managed {
			log.Info("Created a connector system index with the ent-search module's mappings and alias (this cluster lacks the module)",
				"index", idx, "alias", sysindex.AliasOf(idx))
		}
		return nil
	case s == http.StatusBadRequest && strings.Contains(err.Error(), "already_exists"):
		return nil // another instance won the race
	case managed && (opts.Major >= 9 || opts.Serverless) && (s == http.StatusBadRequest || s == http.StatusForbidden):
		log.Info("Elasticsearch manages this system index itself; it will be created on first use", "index", idx)
		return nil
	}
	return fmt.Errorf("cannot create system index %s: %w", idx, err)
}

// indexInfo is one entry of a GET /<indices> answer.
type indexInfo struct {
	Aliases  map[string]any `json:"aliases"`
	Mappings map[string]any `json:"mappings"`
}

// checkSystemIndices reads every .elastic-connectors* index in one call and
// reports what would make the service stall. A missing alias on a well
// mapped index the service created itself is repaired instead.
func checkSystemIndices(ctx context.Context, c *es.Client, managed bool, log *slog.Logger) error {
	var got map[string]indexInfo
	err := c.Request(ctx, http.MethodGet, "/.elastic-connectors*?expand_wildcards=all&filter_path=*.aliases,*.mappings", nil, &got)
	switch s := es.StatusOf(err); {
	case err == nil:
	case s == http.StatusBadRequest || s == http.StatusUnauthorized || s == http.StatusForbidden:
		log.Warn("Cannot read the connector indices' mappings, so they are not checked", "error", err.Error())
		return nil
	default:
		return fmt.Errorf("cannot read the connector indices: %w", err)
	}
	var problems, culprits []string
	for _, idx := range sysindex.Indices {
		alias := sysindex.AliasOf(idx)
		if _, ok := got[alias]; ok {
			problems = append(problems, fmt.Sprintf("%s is a concrete index, where the alias of %s belongs", alias, idx))
			culprits = append(culprits, alias)
		}
		// The index the alias points at is the one in use (normally idx).
		target := ""
		names := make([]string, 0, len(got))
		for name := range got {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if _, ok := got[name].Aliases[alias]; ok {
				target = name
				break
			}
		}
		if target == "" {
			if _, ok := got[idx]; !ok {
				continue // not created yet: Elasticsearch creates it on first use
			}
			target = idx
		}
		if p := sysindex.CheckMapping(idx, got[target].Mappings); len(p) > 0 {
			problems = append(problems, target+": "+strings.Join(p, ", "))
			culprits = append(culprits, target)
			continue
		}
		if _, ok := got[target].Aliases[alias]; ok {
			continue
		}
		if managed {
			problems = append(problems, fmt.Sprintf("%s has no alias %s", target, alias))
			culprits = append(culprits, target)
			continue
		}
		if _, clash := got[alias]; clash {
			continue // reported above; the alias cannot be added while that index exists
		}
		add := map[string]any{"actions": []any{map[string]any{"add": map[string]any{"index": target, "alias": alias, "is_hidden": true}}}}
		if err := c.Request(ctx, http.MethodPost, "/_aliases", add, nil); err != nil {
			return fmt.Errorf("cannot add alias %s to %s: %w", alias, target, err)
		}
		log.Info("Added the missing alias to a connector system index", "index", target, "alias", alias)
	}
	if len(problems) > 0 {
		return &IndexProblemError{Problems: problems, Indices: dedupe(culprits)}
	}
	return nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// ensureDefaultPipeline gives a cluster without the ent-search module the
// search-default-ingestion pipeline that connectors name by default. When
// the node lacks the processors or the scripting its conditions need, a
// reduced pipeline is installed instead, with a warning saying what
// documents will carry; it is replaced by the full one at a later start on
// a cluster that can run it.
func ensureDefaultPipeline(ctx context.Context, c *es.Client, log *slog.Logger) error {
	path := "/_ingest/pipeline/" + sysindex.DefaultPipeline
	var existing map[string]struct {
		Meta map[string]any `json:"_meta"`
	}
	err := c.Request(ctx, http.MethodGet, path, nil, &existing)
	switch {
	case err == nil:
		if p, ok := existing[sysindex.DefaultPipeline]; !ok || p.Meta["reduced"] != true {
			return nil // there, and not our stop-gap: leave it alone
		}
	case !es.IsNotFound(err):
		return fmt.Errorf("cannot read ingest pipeline %s: %w", sysindex.DefaultPipeline, err)
	}
	full := c.Request(ctx, http.MethodPut, path, sysindex.DefaultPipelineBody(), nil)
	if full == nil {
		log.Info("Installed the default ingest pipeline of the ent-search module (this cluster lacks the module)", "pipeline", sysindex.DefaultPipeline)
		return nil
	}
	if es.StatusOf(full) != http.StatusBadRequest {
		return fmt.Errorf("cannot install ingest pipeline %s: %w", sysindex.DefaultPipeline, full)
	}
	if err == nil {
		return nil // the reduced one stays until the cluster can run the full one
	}
	var nodes struct {
		Nodes map[string]struct {
			Ingest struct {
				Processors []struct {
					Type string `json:"type"`
				} `json:"processors"`
			} `json:"ingest"`
		} `json:"nodes"`
	}
	if err := c.Request(ctx, http.MethodGet, "/_nodes/ingest?filter_path=nodes.*.ingest.processors.type", nil, &nodes); err != nil {
		return fmt.Errorf("cannot list the ingest processors of the cluster: %w", err)
	}
	hasRemove := len(nodes.Nodes) > 0
	for _, n := range nodes.Nodes {
		found := false
		for _, p := range n.Ingest.Processors {
			found = found || p.Type == "remove"
		}
		hasRemove = hasRemove && found
	}
	reduced := sysindex.ReducedPipelineBody(hasRemove, full.Error())
	if err := c.Request(ctx, http.MethodPut, path, reduced, nil); err != nil {
		return fmt.Errorf("cannot install ingest pipeline %s: %w", sysindex.DefaultPipeline, err)
	}
	kept := "the control fields _extract_binary_content, _reduce_whitespace and _run_ml_inference stay in the documents"
	if hasRemove {
		kept = "the control fields are removed"
	}
	log.Warn("Installed a reduced default ingest pipeline: this cluster cannot run the full one, so body text is not extracted, "+
		"whitespace is not reduced by Elasticsearch, and "+kept,
		"pipeline", sysindex.DefaultPipeline, "refused_with", full.Error())
	return nil
}
