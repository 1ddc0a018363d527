package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/internal/es"
)

func (a *App) indexCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "List, clean and delete Elasticsearch indices",
		Long:  "List, clean and delete Elasticsearch indices.\n\n" + operatorConfigHelp,
	}
	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the indices with their document counts",
		Long: `Lists the indices with their number of documents (primary shards). Hidden indices and
those whose name starts with a dot (the connector indices, system indices) are left out
unless --all is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.operator(cmd)
			if err != nil {
				return err
			}
			return a.listIndices(cmd.Context(), env, all)
		},
	}
	list.Flags().BoolVar(&all, "all", false, "include hidden indices and those whose name starts with a dot")
	cmd.AddCommand(list)
	var yesClean, yesDelete bool
	clean := &cobra.Command{
		Use:   "clean INDEX",
		Short: "Delete every document of an index, keeping the index",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeIndex(cmd, args[0], yesClean, false)
		},
	}
	clean.Flags().BoolVarP(&yesClean, "yes", "y", false, "do not ask for confirmation")
	del := &cobra.Command{
		Use:   "delete INDEX",
		Short: "Delete an index",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeIndex(cmd, args[0], yesDelete, true)
		},
	}
	del.Flags().BoolVarP(&yesDelete, "yes", "y", false, "do not ask for confirmation")
	cmd.AddCommand(clean, del)
	return cmd
}

type indexRow struct {
	name  string
	count string
}

func (a *App) listIndices(ctx context.Context, env *operatorEnv, all bool) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	expand := "open"
	if all {
		expand = "all"
	}
	var rows []indexRow
	var stats struct {
		Indices map[string]struct {
			Primaries struct {
				Docs struct {
					Count int64 `json:"count"`
				} `json:"docs"`
			} `json:"primaries"`
		} `json:"indices"`
	}
	err = env.client.Request(ctx, http.MethodGet, "/*/_stats?expand_wildcards="+expand, nil, &stats)
	switch {
	case err == nil:
		for name, s := range stats.Indices {
			rows = append(rows, indexRow{name, strconv.FormatInt(s.Primaries.Docs.Count, 10)})
		}
	case isAPINotAvailable(err):
		// Serverless has no _stats: list the names without counts.
		var indices map[string]any
		if err := env.client.Request(ctx, http.MethodGet, "/*?expand_wildcards="+expand, nil, &indices); err != nil {
			return fmt.Errorf("cannot list indices: %w", err)
		}
		for name := range indices {
			rows = append(rows, indexRow{name, "-"})
		}
	default:
		return fmt.Errorf("cannot list indices: %w", err)
	}
	if !all {
		// A bare cluster's connector indices are ordinary indices whose
		// names start with a dot: not the user's data either.
		kept := rows[:0]
		for _, r := range rows {
			if !strings.HasPrefix(r.name, ".") {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	if asJSON {
		out := make([]map[string]any, len(rows))
		for i, r := range rows {
			var count any
			if n, err := strconv.ParseInt(r.count, 10, 64); err == nil {
				count = n
			}
			out[i] = map[string]any{"index": r.name, "docs_count": count}
		}
		return writeJSON(a, out)
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.Stdout, "No indices found")
		return nil
	}
	fmt.Fprintf(a.Stdout, "Showing %d indices\n", len(rows))
	t := newTable(a.Stdout)
	t.Header("Index name", "Number of documents")
	for _, r := range rows {
		if err := t.Append(r.name, r.count); err != nil {
			return err
		}
	}
	return t.Render()
}

func isAPINotAvailable(err error) bool {
	var e *es.Error
	return errors.As(err, &e) && e.Type == "api_not_available_exception"
}

// changeIndex is index clean (delete) and index delete (delete true).
func (a *App) changeIndex(cmd *cobra.Command, index string, yes, remove bool) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	// The original reports success for an index that does not exist
	// (ignore_unavailable); say so instead.
	exists, err := env.indexExists(ctx, url.PathEscape(index))
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("index %s does not exist", index)
	}
	if !yes {
		q := fmt.Sprintf("Are you sure you want to delete every document of index %s?", index)
		if remove {
			q = fmt.Sprintf("Are you sure you want to delete index %s?", index)
		}
		ok, err := a.prompter(cmd).confirm(q)
		if err != nil {
			return err
		}
		if !ok {
			return a.aborted()
		}
	}
	path := "/" + url.PathEscape(index)
	if remove {
		if err := env.client.Request(ctx, http.MethodDelete, path+"?ignore_unavailable=true", nil, nil); err != nil {
			return fmt.Errorf("cannot delete index %s: %w", index, err)
		}
		if asJSON {
			return writeJSON(a, map[string]any{"index": index, "deleted": true})
		}
		fmt.Fprintln(a.Stdout, "The index has been deleted.")
		return nil
	}
	deleted, err := env.deleteByQuery(ctx, index, map[string]any{"match_all": map[string]any{}})
	if err != nil {
		return fmt.Errorf("cannot clean index %s: %w", index, err)
	}
	if asJSON {
		return writeJSON(a, map[string]any{"index": index, "documents_deleted": deleted})
	}
	fmt.Fprintf(a.Stdout, "The index has been cleaned (%d documents deleted).\n", deleted)
	return nil
}
