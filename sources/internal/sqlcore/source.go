package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// Defaults shared by the SQL sources.
const (
	// DefaultConcurrency is how many tables (or custom queries) are read at the same time.
	DefaultConcurrency = 4
	// checkpointRows is how many rows of a table pass between two checkpoints.
	checkpointRows = 1000
)

// RetryBase is the first pause before retrying a failed query (the original's 2 s); the pause
// doubles with every attempt. Tests lower it.
var RetryBase = 2 * time.Second

// Config is what a source package gives the core.
type Config struct {
	Dialect Dialect
	Layout  Layout

	// Tables is the `tables` setting ("*" alone means every table).
	Tables []string
	// FetchSize is the number of rows per page (fetch_size).
	FetchSize int
	// RetryCount is the number of attempts for a query that fails for a transient reason
	// (retry_count).
	RetryCount int
	// Concurrency bounds the tables read at once (DefaultConcurrency when 0).
	Concurrency int

	// PingFailure is the original's ping message ("Can't connect to Postgresql on db1."),
	// which our error extends with the cause.
	PingFailure string
	// Scope describes where tables are looked up, for messages ("schema \"public\" of
	// database \"app\"").
	Scope string
	// MissingTables formats the error for configured tables that do not exist; nil uses a
	// message naming the tables field.
	MissingTables func(missing []string) error
	// ValidateTables makes ValidateConfig check the configured tables, as the original MySQL
	// source does.
	ValidateTables bool
	// SkipTable leaves tables out of wildcard listings (the original's SQL Server source
	// skips a system table of msdb).
	SkipTable func(name string) bool
	// PythonSetMessages words the missing-tables message of advanced rules as a Python set
	// (PostgreSQL, SQL Server) rather than a list (MySQL).
	PythonSetMessages bool

	Log *slog.Logger
	// Now and RetryBase are for tests.
	Now       func() time.Time
	RetryBase time.Duration
}

// Source is a SQL source without advanced rules (Oracle).
type Source struct {
	cfg Config
	d   Dialect
	log *slog.Logger

	rules bool // advanced rules and cursors are supported

	mu     sync.Mutex
	cursor map[string]any
}

// RulesSource is a SQL source with advanced rules (custom queries) and cursor-column
// incremental syncs.
type RulesSource struct{ *Source }

var (
	_ connector.Source                 = (*Source)(nil)
	_ connector.ConfigValidator        = (*Source)(nil)
	_ connector.AdvancedRulesValidator = (*RulesSource)(nil)
	_ connector.IncrementalSource      = (*RulesSource)(nil)
)

// NewSource builds a source without advanced rules.
func NewSource(cfg Config) *Source {
	if cfg.FetchSize <= 0 {
		cfg.FetchSize = 50
	}
	if cfg.RetryCount <= 0 {
		cfg.RetryCount = 1
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = RetryBase
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{cfg: cfg, d: cfg.Dialect, log: log}
}

// NewRulesSource builds a source with advanced rules.
func NewRulesSource(cfg Config) *RulesSource {
	s := NewSource(cfg)
	s.rules = true
	return &RulesSource{s}
}

// Ping connects and runs a trivial query.
func (s *Source) Ping(ctx context.Context) error {
	err := s.retry(ctx, "ping", func() error { return s.d.Ping(ctx) })
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %w", s.cfg.PingFailure, err)
	}
	return nil
}

// ValidateConfig connects and checks that the database (and schema) exist, and for MySQL that
// the configured tables do.
func (s *Source) ValidateConfig(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if err := s.retry(ctx, "check database", func() error { return s.d.CheckScope(ctx) }); err != nil {
		return err
	}
	if s.cfg.ValidateTables {
		return s.checkConfiguredTables(ctx)
	}
	return nil
}

// Close releases the connections.
func (s *Source) Close() error { return s.d.Close() }

func (s *Source) wildcard() bool {
	return len(s.cfg.Tables) == 1 && s.cfg.Tables[0] == "*"
}

func (s *Source) configuredTables() []string {
	var out []string
	for _, t := range s.cfg.Tables {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// allTables lists every table of the scope, sorted.
func (s *Source) allTables(ctx context.Context) ([]string, error) {
	var tables []string
	err := s.retry(ctx, "list tables", func() error {
		var err error
		tables, err = s.d.Tables(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list the tables of %s: %w", s.cfg.Scope, err)
	}
	sort.Strings(tables)
	return tables, nil
}

// checkConfiguredTables fails, naming them, when configured tables do not exist.
func (s *Source) checkConfiguredTables(ctx context.Context) error {
	if s.wildcard() {
		return nil
	}
	all, err := s.allTables(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, t := range all {
		have[t] = true
	}
	var missing []string
	for _, t := range s.configuredTables() {
		if !have[t] {
			// Names may resolve case-insensitively (Oracle, SQL Server): ask the database.
			if _, err := s.d.Table(ctx, t); err == nil {
				continue
			}
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if s.cfg.MissingTables != nil {
		return s.cfg.MissingTables(missing)
	}
	return FieldErr("tables", nil, "%s has no table %s (tables are case-sensitive; use * for all)",
		s.cfg.Scope, strings.Join(quoteAll(missing), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// Docs streams every row of the configured tables, or of the advanced rules' queries.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	return s.run(ctx, req, nil, false, emit)
}

// run is a full (incremental false) or incremental sync.
func (s *Source) run(ctx context.Context, req connector.DocsRequest, cursor map[string]any, incremental bool, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var rules []Rule
	if s.rules && req.HasAdvancedRules() {
		var msg string
		rules, msg = CheckRulesSchema(req.AdvancedRules)
		if msg != "" {
			return fmt.Errorf("advanced sync rules: %s", msg)
		}
	}
	var units []unit
	if len(rules) > 0 {
		for _, r := range rules {
			units = append(units, unit{key: fmt.Sprintf("r:%d:%s", r.Index, r.Key()), rule: &r})
		}
	} else {
		tables, err := s.tablesToSync(ctx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			units = append(units, unit{key: "t:" + t, table: t})
		}
		if len(units) == 0 {
			s.log.Warn("No tables to sync in " + s.cfg.Scope)
		}
	}
	prog := newProgress(req, units)
	prior := priorMarks(cursor)
	em := func(d connector.Document) error {
		if err := emit(d); err != nil {
			return &emitError{connector.DocError(d.ID, err)}
		}
		return nil
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Concurrency)
	for i := range units {
		u := units[i]
		if prog.skip(u.key) {
			continue
		}
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			var err error
			if u.rule != nil {
				err = s.syncRule(gctx, *u.rule, u.key, prog, prior, incremental, em)
			} else {
				err = s.syncTable(gctx, u.table, u.key, prog, em)
			}
			return s.settle(gctx, req, u, prog, err)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.cursor = prog.cursor(rules, prior)
	s.mu.Unlock()
	return nil
}

// settle decides what a unit's error means: emit failures, cancellation and persistent
// connection problems end the job; anything else makes that part incomplete (nothing it held
// is deleted) and the job goes on.
func (s *Source) settle(ctx context.Context, req connector.DocsRequest, u unit, prog *progress, err error) error {
	if err == nil {
		prog.finish(u.key)
		return nil
	}
	var ee *emitError
	if errors.As(err, &ee) {
		return ee.err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	scope := u.scope()
	if s.d.Classify(err) == ErrTransient {
		return fmt.Errorf("%s: %w", scope, err)
	}
	s.log.Warn("Could not read "+scope+"; nothing it held is deleted by this sync", "error", err.Error())
	req.ReportIncomplete(scope, err)
	return nil
}

// tablesToSync is the sorted list of tables of a sync without advanced rules.
func (s *Source) tablesToSync(ctx context.Context) ([]string, error) {
	if !s.wildcard() {
		if err := s.checkConfiguredTables(ctx); err != nil {
			return nil, err
		}
		return sortedCopy(s.configuredTables()), nil
	}
	all, err := s.allTables(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range all {
		if s.cfg.SkipTable != nil && s.cfg.SkipTable(t) {
			s.log.Debug("Skipping table " + t)
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// syncTable reads one table page by page (fetch_size rows, keyset pagination on its primary
// key) and emits a document per row.
func (s *Source) syncTable(ctx context.Context, name, key string, prog *progress, emit func(connector.Document) error) error {
	t, err := s.table(ctx, name)
	if err != nil {
		return err
	}
	if len(t.Key) == 0 {
		s.log.Warn(fmt.Sprintf("Skipping table %q of %s: it has no primary key. Give it one to index it in the next sync.", name, s.cfg.Scope))
		return nil
	}
	stamp := s.lastChange(ctx, t)
	tables := []string{name}
	keyNames := s.cfg.Layout.TableKey(name, t.Key)
	meta := s.cfg.Layout.Meta(tables, false)
	after := prog.position(key)
	var b *builder
	limit := s.cfg.FetchSize
	attempt := 0
	emitted := 0
	for {
		n := 0
		err := func() (err error) {
			qctx, qcancel := context.WithCancel(ctx)
			defer qcancel()
			rows, err := s.d.ReadTable(qctx, t, after, limit)
			if err != nil {
				return err
			}
			defer closeRows(rows, qcancel, &err)
			if b == nil {
				if b, err = newBuilder(s.cfg.Layout, tables, rows.Columns(), keyNames, meta, stamp, s.cfg.Now); err != nil {
					return err
				}
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
				n++
				emitted++
				after = rows.Position()
				prog.advance(key, after, false)
			}
			return rows.Err()
		}()
		if err != nil {
			var ee *emitError
			if errors.As(err, &ee) || ctx.Err() != nil {
				return err
			}
			// A page can be read again from the last emitted row; a whole-table read only if
			// nothing was emitted yet.
			canRetry := t.Keyset || emitted == 0
			if canRetry && s.d.Classify(err) == ErrTransient && attempt+1 < s.cfg.RetryCount {
				s.log.Warn(fmt.Sprintf("Reading table %q failed; retrying", name), "error", err.Error())
				if err := retry.Sleep(ctx, s.backoff(attempt)); err != nil {
					return err
				}
				attempt++
				continue
			}
			return err
		}
		attempt = 0
		prog.advance(key, after, true)
		if !t.Keyset || n < limit {
			return nil
		}
	}
}

// closeRows closes a result; when reading it failed, the statement is cancelled first, so that
// the server stops it and the driver does not read the rest of it.
func closeRows(rows Rows, cancel context.CancelFunc, err *error) {
	if *err != nil {
		cancel()
	}
	rows.Close()
}

// table describes a table, retrying transient failures; a table that does not exist is an
// ErrMissing error.
func (s *Source) table(ctx context.Context, name string) (*Table, error) {
	var t *Table
	err := s.retry(ctx, "describe table "+name, func() error {
		var err error
		t, err = s.d.Table(ctx, name)
		return err
	})
	if errors.Is(err, ErrNoTable) {
		return nil, &missingError{fmt.Errorf("table %q does not exist in %s or is not visible to the configured user", name, s.cfg.Scope)}
	}
	return t, err
}

// lastChange is the table's _timestamp as the original computes it, "" when the database
// cannot tell (documents then get the time they are read, as in the original).
func (s *Source) lastChange(ctx context.Context, t *Table) string {
	v, err := s.d.LastChange(ctx, t)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Debug(fmt.Sprintf("No last change time for table %q", t.Name), "error", err.Error())
		}
		return ""
	}
	return TimestampString(v)
}

// lastChangeValue is lastChange's value, for comparing several tables.
func (s *Source) lastChangeValue(ctx context.Context, t *Table) Value {
	v, err := s.d.LastChange(ctx, t)
	if err != nil {
		return nil
	}
	return v
}

func (s *Source) retry(ctx context.Context, what string, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || ctx.Err() != nil || attempt+1 >= s.cfg.RetryCount || s.d.Classify(err) != ErrTransient {
			return err
		}
		s.log.Warn(fmt.Sprintf("%s failed; retrying", what), "error", err.Error(), "attempt", attempt+1)
		if err := retry.Sleep(ctx, s.backoff(attempt)); err != nil {
			return err
		}
	}
}

// backoff is exponential from RetryBase (2 s, as the original), capped at a minute, with
// jitter so that parallel readers do not retry in step.
func (s *Source) backoff(attempt int) time.Duration {
	return retry.Backoff(attempt, s.cfg.RetryBase, time.Minute)
}

// emitError marks a failure of emit, which ends the sync.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

// missingError is a table that does not exist.
type missingError struct{ err error }

func (e *missingError) Error() string { return e.err.Error() }
func (e *missingError) Unwrap() error { return e.err }

// unit is a table or a rule: what is read (and retried, checkpointed, reported) as a whole.
type unit struct {
	key   string
	table string
	rule  *Rule
}

func (u unit) scope() string {
	if u.rule != nil {
		return u.rule.Name()
	}
	return fmt.Sprintf("table %q", u.table)
}
