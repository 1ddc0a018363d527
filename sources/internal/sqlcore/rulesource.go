package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// ValidateAdvancedRules checks a snippet as the original does (its JSON schema, then that every
// table exists), then what the original only finds out during the sync, naming the rule: the
// query must run, its result must have the id columns (the tables' primary keys or
// id_columns) and the cursor column.
func (s *RulesSource) ValidateAdvancedRules(ctx context.Context, snippet any) ([]string, error) {
	rules, msg := CheckRulesSchema(snippet)
	if msg != "" {
		return []string{msg}, nil
	}
	if len(rules) == 0 {
		return nil, nil
	}
	all, err := s.allTables(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, t := range all {
		have[t] = true
	}
	seen := map[string]bool{}
	var missing []string
	for _, r := range rules {
		for _, t := range r.Tables {
			if !have[t] && !seen[t] {
				seen[t] = true
				missing = append(missing, t)
			}
		}
	}
	if len(missing) > 0 {
		return []string{MissingTablesMessage(missing, s.cfg.PythonSetMessages)}, nil
	}
	var problems []string
	for _, r := range rules {
		p, err := s.checkRule(ctx, r)
		if err != nil {
			return nil, err
		}
		if p != "" {
			problems = append(problems, r.Name()+": "+p)
		}
	}
	return problems, nil
}

// checkRule returns what is wrong with one rule ("" when nothing), or an error when the
// database could not be asked.
func (s *RulesSource) checkRule(ctx context.Context, r Rule) (string, error) {
	var cols []string
	err := s.retry(ctx, "describe query", func() error {
		var err error
		cols, err = s.d.Describe(ctx, r.Query)
		return err
	})
	if err != nil {
		if s.d.Classify(err) == ErrTransient || ctx.Err() != nil {
			return "", err
		}
		return "the query cannot run: " + err.Error(), nil
	}
	keyNames, err := s.ruleKey(ctx, r)
	if err != nil {
		var me *missingError
		if errors.As(err, &me) {
			return me.Error(), nil
		}
		return "", err
	}
	if len(keyNames) == 0 {
		return "its tables have no primary key; list the columns that identify a row in id_columns", nil
	}
	names := s.cfg.Layout.FieldNames(r.Tables, cols)
	var absent []string
	for _, k := range keyNames {
		if !contains(names, k) {
			absent = append(absent, k)
		}
	}
	if len(absent) > 0 {
		what := "primary key columns"
		if len(r.IDColumns) > 0 {
			what = "id_columns"
		}
		return fmt.Sprintf("the query's result lacks the %s %s (its columns: %s)", what, strings.Join(absent, ", "), strings.Join(names, ", ")), nil
	}
	if r.CursorColumn != "" && !contains(cols, r.CursorColumn) {
		return fmt.Sprintf("cursor_column %q is not a column of the query's result (its columns: %s)", r.CursorColumn, strings.Join(cols, ", ")), nil
	}
	return "", nil
}

// ruleKey returns the id columns of a rule's rows, from id_columns or the tables' primary keys.
func (s *Source) ruleKey(ctx context.Context, r Rule) ([]string, error) {
	var keys [][]string
	for _, name := range r.Tables {
		t, err := s.table(ctx, name)
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.Key)
	}
	return s.cfg.Layout.RuleKey(r.Tables, keys, r.IDColumns), nil
}

// syncRule runs one custom query and emits a document per row. With a cursor column, it first
// notes the column's largest value (the next incremental sync starts there), and an
// incremental sync reads only the rows at or after the previous sync's value.
func (s *Source) syncRule(ctx context.Context, r Rule, key string, prog *progress, prior map[string]string, incremental bool, emit func(connector.Document) error) error {
	var stamps []Value
	var keys [][]string
	for _, name := range r.Tables {
		t, err := s.table(ctx, name)
		if err != nil {
			return err
		}
		keys = append(keys, t.Key)
		if v := s.lastChangeValue(ctx, t); v != nil {
			stamps = append(stamps, v)
		}
	}
	keyNames := s.cfg.Layout.RuleKey(r.Tables, keys, r.IDColumns)
	if len(keyNames) == 0 {
		return errors.New("its tables have no primary key and the rule has no id_columns, so its rows cannot be given ids")
	}
	stamp := TimestampString(latest(stamps))
	meta := s.cfg.Layout.Meta(r.Tables, true)

	mark := ""
	from := ""
	if r.CursorColumn != "" {
		err := s.retry(ctx, "read cursor", func() error {
			var err error
			mark, err = s.d.MaxCursor(ctx, r.Query, r.CursorColumn)
			return err
		})
		if err != nil {
			return fmt.Errorf("cannot read the largest value of cursor_column %q: %w", r.CursorColumn, err)
		}
		if incremental {
			from = prior[r.Key()]
		}
	}
	emitted := 0
	for attempt := 0; ; attempt++ {
		err := func() (err error) {
			qctx, qcancel := context.WithCancel(ctx)
			defer qcancel()
			var rows Rows
			if from != "" {
				rows, err = s.d.CursorQuery(qctx, r.Query, r.CursorColumn, from)
			} else {
				rows, err = s.d.Query(qctx, r.Query)
			}
			if err != nil {
				return err
			}
			defer closeRows(rows, qcancel, &err)
			b, err := newBuilder(s.cfg.Layout, r.Tables, rows.Columns(), keyNames, meta, stamp, s.cfg.Now)
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				vals, err := rows.Values()
				if err != nil {
					return err
				}
				if err := emit(b.doc(vals)); err != nil {
					return err
				}
				emitted++
			}
			return rows.Err()
		}()
		if err == nil {
			break
		}
		var ee *emitError
		if errors.As(err, &ee) || ctx.Err() != nil {
			return err
		}
		if emitted == 0 && attempt+1 < s.cfg.RetryCount && s.d.Classify(err) == ErrTransient {
			s.log.Warn("Running "+r.Name()+" failed; retrying", "error", err.Error())
			if err := retry.Sleep(ctx, s.backoff(attempt)); err != nil {
				return err
			}
			continue
		}
		return err
	}
	prog.setMark(key, r.Key(), mark)
	return nil
}

// latest is the most recent of several last-change times (the original's max()).
func latest(vals []Value) Value {
	var best Value
	for _, v := range vals {
		if best == nil {
			best = v
			continue
		}
		a, okA := best.(DateTime)
		b, okB := v.(DateTime)
		if okA && okB {
			if b.T.After(a.T) {
				best = v
			}
			continue
		}
		if TimestampString(v) > TimestampString(best) {
			best = v
		}
	}
	return best
}

// IncrementalDocs reads what changed since the previous sync: for every advanced rule with a
// cursor_column, the rows whose cursor value is at or after the largest value the previous
// sync saw; everything else (tables without rules, rules without a cursor column) is read in
// full. Nothing is deleted: the next full sync removes the documents of deleted rows.
func (s *RulesSource) IncrementalDocs(ctx context.Context, req connector.DocsRequest, cursor map[string]any, emit func(connector.Change) error) error {
	return s.run(ctx, req, cursor, true, func(d connector.Document) error {
		return emit(connector.Change{Op: connector.OpIndex, Document: d})
	})
}

// SyncCursor is the largest cursor value of every cursor rule, as of the start of the last
// completed sync.
func (s *RulesSource) SyncCursor() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cursor == nil {
		return nil
	}
	out := make(map[string]any, len(s.cursor))
	for k, v := range s.cursor {
		out[k] = v
	}
	return out
}
