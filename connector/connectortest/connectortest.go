// Package connectortest is the acceptance suite every data source must pass, ours and users'.
//
// Call [Run] from a test with the source's factory and a configuration under which the source
// works in the test environment (a temporary directory, a local server, a mock):
//
//	func TestAcceptance(t *testing.T) {
//		connectortest.Run(t, mysource.Factory, map[string]any{"host": srv.URL},
//			connectortest.ExpectDocs(3))
//	}
//
// The suite checks the declaration (a schema Kibana can render), configuration handling
// (missing and invalid values are rejected with errors naming the field, secrets never printed),
// and the runtime contract the sync engine relies on: Ping works, every document has an id and a
// timestamp, content can be opened and read within a size cap, emit errors and cancellation stop
// Docs promptly with the right error, a stopped sync never reports success, a source that cannot
// read part of its data says so instead of silently listing less (see [Unreadable]), and Close
// leaves no goroutines behind. Time limits are generous failure bounds, not performance
// measurements.
//
// Subtests create sources one after another and count goroutines, so do not run Run in parallel
// with other tests of the same package.
package connectortest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

// Option adjusts the suite.
type Option func(*options)

type options struct {
	expectedDocs        int
	cancelTimeout       time.Duration
	syncTimeout         time.Duration
	settleTimeout       time.Duration
	maxFileSize         int64
	allowDuplicateOrder bool
	skipRerun           bool
	logger              *slog.Logger
	invalid             []invalidCase
	unreadable          *unreadableCase
}

type unreadableCase struct {
	breakData func(t *testing.T) (restore func())
	remaining int
}

type invalidCase struct {
	values  map[string]any
	wantKey string
}

// ExpectDocs makes the suite check that a full sync yields exactly n documents.
func ExpectDocs(n int) Option { return func(o *options) { o.expectedDocs = n } }

// CancelTimeout bounds how long Docs may take to return after its context is cancelled or emit
// fails (default 10s).
func CancelTimeout(d time.Duration) Option { return func(o *options) { o.cancelTimeout = d } }

// SyncTimeout bounds a whole full sync of the test data (default 2m), so a hanging source fails
// instead of blocking the test binary.
func SyncTimeout(d time.Duration) Option { return func(o *options) { o.syncTimeout = d } }

// SettleTimeout bounds how long the goroutine count may take to return to its baseline after
// Close (default 5s).
func SettleTimeout(d time.Duration) Option { return func(o *options) { o.settleTimeout = d } }

// MaxFileSize sets Env.MaxFileSize and the cap used when reading content (default 10 MiB).
func MaxFileSize(n int64) Option { return func(o *options) { o.maxFileSize = n } }

// AllowDuplicateOrder accepts fields sharing an order, for sources that must mirror an original
// schema that has them (sharepoint_server). Kibana then orders those fields arbitrarily.
func AllowDuplicateOrder() Option { return func(o *options) { o.allowDuplicateOrder = true } }

// SkipRerun disables the check that a second full sync yields the same document ids, for
// sources whose test data changes between runs.
func SkipRerun() Option { return func(o *options) { o.skipRerun = true } }

// WithLogger passes a logger to the sources the suite creates (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Unreadable adds the partial-listing check, which every source whose data can be partly
// unreadable should use. breakData makes part of the test data unreadable to the source — a
// folder without read permission, a table the test user may not select from, a page the mock
// server keeps failing — and returns a function that undoes it. With the data broken, a full sync
// must:
//
//   - report what it could not read through [connector.DocsRequest.ReportIncomplete], at least
//     once, with a non-empty scope and a non-nil cause;
//   - still emit the other documents: exactly remaining of them, all with ids of the complete
//     sync;
//   - return nil (the service then indexes what was read and deletes nothing).
//
// A source that silently lists less fails the check: the service would delete the documents it
// did not see.
func Unreadable(breakData func(t *testing.T) (restore func()), remaining int) Option {
	return func(o *options) { o.unreadable = &unreadableCase{breakData: breakData, remaining: remaining} }
}

// InvalidConfig adds a configuration (values over the working one) that the source must reject,
// from NewConfig, Config.Validate or its ConfigValidator, with an error naming wantKey (the key or
// the field's label). Use it for checks beyond the declared validations.
func InvalidConfig(values map[string]any, wantKey string) Option {
	return func(o *options) { o.invalid = append(o.invalid, invalidCase{values: values, wantKey: wantKey}) }
}

// suite is one Run.
type suite struct {
	f      connector.Factory
	values map[string]any
	o      options

	mu        sync.Mutex
	recorders []*recorder // every emit handed out, checked for late calls at the end
}

// Run executes the acceptance suite for a factory. cfg holds configuration values by key, laid
// over the factory's default configuration (a map value replaces the whole stored field object);
// with it the source must ping successfully and sync its test data.
func Run(t *testing.T, f connector.Factory, cfg map[string]any, opts ...Option) {
	t.Helper()
	s := &suite{f: f, values: cfg, o: options{
		expectedDocs:  -1,
		cancelTimeout: 10 * time.Second,
		syncTimeout:   2 * time.Minute,
		settleTimeout: 5 * time.Second,
		maxFileSize:   connector.DefaultMaxFileSize,
	}}
	for _, opt := range opts {
		opt(&s.o)
	}
	if s.o.logger == nil {
		s.o.logger = slog.New(slog.DiscardHandler)
	}
	t.Run("Schema", s.testSchema)
	t.Run("Config", s.testConfig)
	t.Run("MissingFields", s.testMissingFields)
	t.Run("InvalidValues", s.testInvalidValues)
	t.Run("Secrets", s.testSecrets)
	t.Run("Ping", s.testPing)
	var docs []connector.Document
	ok := t.Run("Docs", func(t *testing.T) { docs = s.testDocs(t) })
	if !ok {
		return // the runtime checks below all build on a working full sync
	}
	t.Run("Content", s.testContent)
	t.Run("Rerun", func(t *testing.T) { s.testRerun(t, docs) })
	t.Run("PartialListing", s.testPartialListing)
	t.Run("Checkpoints", s.testCheckpoints)
	t.Run("EmitError", func(t *testing.T) { s.testEmitError(t, len(docs)) })
	t.Run("CancelWhileBlocked", func(t *testing.T) { s.testCancelBlocked(t, len(docs)) })
	t.Run("CancelWhileRunning", func(t *testing.T) { s.testCancelRunning(t, len(docs)) })
	t.Run("CancelBeforeStart", func(t *testing.T) { s.testPreCancelled(t, len(docs)) })
	t.Run("OptionalInterfaces", s.testOptional)
	t.Run("NoGoroutineLeak", s.testLeak)
	t.Run("NoEmitAfterReturn", s.testLateEmits)
}

// stored builds the stored configuration: defaults with the test values laid over them.
func (s *suite) stored(extra map[string]any) map[string]any {
	out := s.f.DefaultConfiguration()
	apply := func(values map[string]any) {
		for k, v := range values {
			if obj, ok := v.(map[string]any); ok {
				out[k] = obj
				continue
			}
			if obj, ok := out[k].(map[string]any); ok {
				obj["value"] = v
			} else {
				out[k] = v
			}
		}
	}
	apply(s.values)
	apply(extra)
	return out
}

func (s *suite) env() connector.Env {
	return connector.Env{Logger: s.o.logger, MaxFileSize: s.o.maxFileSize, Features: s.f.Features}
}

// config builds and checks the working configuration.
func (s *suite) config(t *testing.T, extra map[string]any) *connector.Config {
	t.Helper()
	cfg, err := s.f.NewConfig(s.stored(extra))
	if err != nil {
		t.Fatalf("NewConfig: %v", err)
	}
	return cfg
}

// open builds a source from the working configuration and registers its Close.
func (s *suite) open(t *testing.T) connector.Source {
	t.Helper()
	src, err := s.f.New(s.config(t, nil), s.env())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if src == nil {
		t.Fatal("New returned a nil Source and no error")
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return src
}

func (s *suite) testSchema(t *testing.T) {
	if err := s.f.Validate(); err != nil {
		t.Fatal(err)
	}
	if !s.o.allowDuplicateOrder {
		byOrder := map[int][]string{}
		for _, f := range s.f.Fields {
			byOrder[f.EffectiveOrder()] = append(byOrder[f.EffectiveOrder()], f.Key)
		}
		for order, keys := range byOrder {
			if len(keys) > 1 {
				t.Errorf("fields %v share order %d; Kibana would render them in arbitrary order", keys, order)
			}
		}
	}
	for _, f := range s.f.Fields {
		if f.Label == "" {
			t.Errorf("field %q has no label; Kibana would show %q", f.Key, f.EffectiveLabel())
		}
	}
	cfg, err := s.f.NewConfig(s.f.DefaultConfiguration())
	if err != nil {
		t.Fatalf("the default configuration does not convert: %v", err)
	}
	if err := cfg.MissingFields(); err != nil {
		t.Fatalf("the default configuration is incomplete: %v", err)
	}
	if _, err := connector.MarshalJSON(s.f.DefaultConfiguration()); err != nil {
		t.Fatalf("the default configuration is not JSON: %v", err)
	}
}

func (s *suite) testConfig(t *testing.T) {
	for k := range s.values {
		if _, ok := s.f.DefaultConfiguration()[k]; !ok {
			t.Errorf("test configuration sets %q, which the factory does not declare", k)
		}
	}
	cfg := s.config(t, nil)
	if err := cfg.MissingFields(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the test configuration does not validate: %v", err)
	}
}

func (s *suite) testMissingFields(t *testing.T) {
	for _, f := range s.f.Fields {
		st := s.stored(nil)
		delete(st, f.Key)
		cfg, err := s.f.NewConfig(st)
		if err != nil {
			t.Fatalf("without %q: NewConfig: %v", f.Key, err)
		}
		var mf *connector.MissingFieldsError
		if err := cfg.MissingFields(); !errors.As(err, &mf) || !contains(mf.Keys, f.Key) {
			t.Errorf("without %q: MissingFields = %v, want it named", f.Key, err)
		}
	}
}

// badValue returns a value violating one validation, or false when the suite cannot construct
// one.
func badValue(v connector.Validation) (any, bool) {
	switch v.Type {
	case connector.ValidationLessThan, connector.ValidationGreaterThan:
		return v.Constraint, true
	case connector.ValidationListType:
		if v.Constraint == "int" {
			return []any{"connectortest-not-an-int"}, true
		}
		return []any{12345}, true
	case connector.ValidationIncludedIn:
		return "connectortest-not-allowed", true
	case connector.ValidationRegex:
		expr, ok := v.Constraint.(string)
		if !ok {
			return nil, false
		}
		re, err := regexp.Compile(`^(?:` + expr + `)$`)
		if err != nil {
			return nil, false
		}
		for _, cand := range []string{"connectortest invalid value", "-", "\x00", "a", "1"} {
			if !re.MatchString(cand) {
				return cand, true
			}
		}
	}
	return nil, false
}

func (s *suite) testInvalidValues(t *testing.T) {
	good := s.config(t, nil)
	for _, f := range s.f.Fields {
		if !good.DependenciesHold(f.Key) {
			continue
		}
		if f.Required() {
			s.expectFieldError(t, f, map[string]any{f.Key: ""}, "empty required value")
		}
		for _, v := range f.Validations {
			bad, ok := badValue(v)
			if !ok {
				continue
			}
			s.expectFieldError(t, f, map[string]any{f.Key: bad}, v.Type+" validation")
		}
	}
	for _, c := range s.o.invalid {
		err := s.rejection(t, c.values)
		if err == nil {
			t.Errorf("configuration %v was accepted; want an error naming %q", c.values, c.wantKey)
			continue
		}
		label := c.wantKey
		for _, f := range s.f.Fields {
			if f.Key == c.wantKey {
				label = f.EffectiveLabel()
			}
		}
		if !strings.Contains(err.Error(), c.wantKey) && !strings.Contains(err.Error(), label) {
			t.Errorf("configuration %v: error %q does not name %q", c.values, err, c.wantKey)
		}
	}
}

// expectFieldError checks that Validate reports the field by key.
func (s *suite) expectFieldError(t *testing.T, f connector.Field, values map[string]any, what string) {
	t.Helper()
	cfg, err := s.f.NewConfig(s.stored(values))
	if err != nil {
		if !strings.Contains(err.Error(), f.Key) {
			t.Errorf("field %q, %s: conversion error %q does not name the field", f.Key, what, err)
		}
		return
	}
	err = cfg.Validate()
	var fe *connector.FieldError
	if err == nil {
		t.Errorf("field %q, %s (%v): Validate accepted it", f.Key, what, values[f.Key])
		return
	}
	found := false
	var ve *connector.ValidationError
	if errors.As(err, &ve) {
		for _, e := range ve.Errors {
			found = found || e.Key == f.Key
		}
	} else if errors.As(err, &fe) {
		found = fe.Key == f.Key
	}
	if !found {
		t.Errorf("field %q, %s: error %q does not concern the field", f.Key, what, err)
	}
}

// rejection runs every configuration check the service runs and returns the first error.
func (s *suite) rejection(t *testing.T, values map[string]any) error {
	cfg, err := s.f.NewConfig(s.stored(values))
	if err != nil {
		return err
	}
	if err := cfg.MissingFields(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	src, err := s.f.New(cfg, s.env())
	if err != nil {
		return err
	}
	defer src.Close()
	if v, ok := src.(connector.ConfigValidator); ok {
		ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
		defer cancel()
		return v.ValidateConfig(ctx)
	}
	return nil
}

func (s *suite) testSecrets(t *testing.T) {
	marker := map[string]string{}
	values := map[string]any{}
	for _, f := range s.f.Fields {
		if f.Sensitive {
			m := "connectortest-secret-" + f.Key
			marker[f.Key] = m
			values[f.Key] = m
		}
	}
	if len(marker) == 0 {
		t.Skip("no sensitive fields")
	}
	cfg, err := s.f.NewConfig(s.stored(values))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("cfg", "config", cfg)
	outputs := map[string]string{
		"fmt %v":  fmt.Sprintf("%v", cfg),
		"fmt %+v": fmt.Sprintf("%+v", cfg),
		"fmt %#v": fmt.Sprintf("%#v", cfg),
		"slog":    logs.String(),
	}
	if err := cfg.Validate(); err != nil {
		outputs["Validate"] = err.Error()
	}
	// Sources must not put secrets into their own errors either: a configuration with fake
	// secrets usually fails Ping or ValidateConfig, and that error reaches Kibana.
	if src, err := s.f.New(cfg, s.env()); err != nil {
		outputs["New"] = err.Error()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
		if v, ok := src.(connector.ConfigValidator); ok {
			if err := v.ValidateConfig(ctx); err != nil {
				outputs["ValidateConfig"] = err.Error()
			}
		}
		if err := src.Ping(ctx); err != nil {
			outputs["Ping"] = err.Error()
		}
		cancel()
		if err := src.Close(); err != nil {
			outputs["Close"] = err.Error()
		}
	}
	for where, out := range outputs {
		for key, m := range marker {
			if strings.Contains(out, m) {
				t.Errorf("%s shows the value of sensitive field %q: %s", where, key, out)
			}
		}
	}
}

func (s *suite) testPing(t *testing.T) {
	src := s.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
	defer cancel()
	if err := src.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// recorder is an emit function with the engine's semantics: it can fail or block, keeps
// failing once it has failed, and notices calls after Docs returned.
type recorder struct {
	mu       sync.Mutex
	docs     []connector.Document
	calls    int
	failErr  error
	returned atomic.Bool
	late     atomic.Int32
	// before runs on every call (1-based index) outside the lock; a non-nil error fails the
	// call and all later ones.
	before func(n int) error
	// req is the request Docs gets; its hooks are the suite's.
	req connector.DocsRequest
}

func (r *recorder) emit(d connector.Document) error {
	if r.returned.Load() {
		r.late.Add(1)
		return errors.New("connectortest: emit called after Docs returned")
	}
	r.mu.Lock()
	r.calls++
	n, failed := r.calls, r.failErr
	r.mu.Unlock()
	if failed != nil {
		return failed
	}
	if r.before != nil {
		if err := r.before(n); err != nil {
			r.mu.Lock()
			r.failErr = err
			r.mu.Unlock()
			return err
		}
	}
	r.mu.Lock()
	r.docs = append(r.docs, d)
	r.mu.Unlock()
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.docs)
}

// runDocs runs Docs in a goroutine and fails the test if it outlives limit.
func (s *suite) runDocs(t *testing.T, ctx context.Context, src connector.Source, r *recorder, limit time.Duration) error {
	t.Helper()
	s.mu.Lock()
	s.recorders = append(s.recorders, r)
	s.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		err := src.Docs(ctx, r.req, r.emit)
		r.returned.Store(true)
		done <- err
	}()
	select {
	case err := <-done:
		if n := r.late.Load(); n > 0 {
			t.Errorf("emit was called %d times after Docs returned", n)
		}
		return err
	case <-time.After(limit):
		t.Fatalf("Docs did not return within %v", limit)
		return nil
	}
}

func (s *suite) testDocs(t *testing.T) []connector.Document {
	src := s.open(t)
	r := &recorder{}
	err := s.runDocs(t, context.Background(), src, r, s.o.syncTimeout)
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
	docs := r.docs
	if s.o.expectedDocs >= 0 && len(docs) != s.o.expectedDocs {
		t.Errorf("Docs yielded %d documents, want %d", len(docs), s.o.expectedDocs)
	}
	seen := map[string]bool{}
	for i, d := range docs {
		where := fmt.Sprintf("document #%d (id %q)", i+1, d.ID)
		if d.ID == "" {
			t.Errorf("%s: empty ID", where)
		}
		if seen[d.ID] {
			t.Errorf("%s: duplicate ID; the second one would overwrite the first", where)
		}
		seen[d.ID] = true
		if d.Timestamp == "" {
			t.Errorf("%s: no Timestamp; change detection and incremental syncs need one", where)
		} else if _, err := connector.ParseTime(d.Timestamp); err != nil {
			t.Errorf("%s: Timestamp: %v", where, err)
		}
		for _, k := range connector.ReservedKeys() {
			if _, ok := d.Fields[k]; ok {
				t.Errorf("%s: Fields sets %q, which the service owns", where, k)
			}
		}
		if _, err := connector.MarshalJSON(d.Body()); err != nil {
			t.Errorf("%s: not serialisable: %v", where, err)
		}
		if c := d.Content; c != nil {
			if c.Name == "" {
				t.Errorf("%s: Content without a Name", where)
			}
			if c.Open == nil {
				t.Errorf("%s: Content without an Open function", where)
			}
			if c.Size < -1 {
				t.Errorf("%s: Content.Size %d (use -1 for unknown)", where, c.Size)
			}
		}
	}
	return docs
}

// maxContentChecks bounds how many documents' content the suite downloads.
const maxContentChecks = 20

func (s *suite) testContent(t *testing.T) {
	// Open functions belong to the source instance that emitted them, so sync on a fresh one
	// and read before closing it.
	src := s.open(t)
	r := &recorder{}
	if err := s.runDocs(t, context.Background(), src, r, s.o.syncTimeout); err != nil {
		t.Fatalf("Docs: %v", err)
	}
	checked := 0
	for _, d := range r.docs {
		if d.Content == nil || d.Content.Open == nil || checked >= maxContentChecks {
			continue
		}
		checked++
		s.checkContent(t, d)
	}
	if checked == 0 {
		t.Skip("no document carries content")
	}
}

func (s *suite) checkContent(t *testing.T, d connector.Document) {
	t.Helper()
	c := d.Content
	limit := s.o.maxFileSize
	ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
	defer cancel()
	rc, err := c.Open(ctx)
	if err != nil {
		t.Errorf("document %q: Content.Open: %v", d.ID, err)
		return
	}
	n, err := io.Copy(io.Discard, io.LimitReader(rc, limit+1))
	if err != nil {
		t.Errorf("document %q: reading content: %v", d.ID, err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("document %q: closing content: %v", d.ID, err)
	}
	if c.Size >= 0 && c.Size <= limit && n != c.Size {
		t.Errorf("document %q: Content.Size is %d but %d bytes were read; the size cap relies on it", d.ID, c.Size, n)
	}
	// The engine stops reading at its cap and closes early.
	rc, err = c.Open(ctx)
	if err != nil {
		t.Errorf("document %q: second Content.Open: %v", d.ID, err)
		return
	}
	if _, err := io.CopyN(io.Discard, rc, 1); err != nil && !errors.Is(err, io.EOF) {
		t.Errorf("document %q: partial read: %v", d.ID, err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("document %q: closing a partly read content: %v", d.ID, err)
	}
	// A cancelled download must fail rather than deliver.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	rc, err = c.Open(cctx)
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("document %q: Open with a cancelled context gave %v, want an error wrapping context.Canceled", d.ID, err)
	}
}

func (s *suite) testRerun(t *testing.T, docs []connector.Document) {
	if s.o.skipRerun {
		t.Skip("disabled with SkipRerun")
	}
	src := s.open(t)
	r := &recorder{}
	if err := s.runDocs(t, context.Background(), src, r, s.o.syncTimeout); err != nil {
		t.Fatalf("second Docs: %v", err)
	}
	ids := func(ds []connector.Document) []string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.ID
		}
		sort.Strings(out)
		return out
	}
	a, b := ids(docs), ids(r.docs)
	if strings.Join(a, "\x00") != strings.Join(b, "\x00") {
		t.Errorf("a second full sync yielded different ids (%d vs %d documents); stale-document deletion would remove live documents", len(a), len(b))
	}
}

// testPartialListing syncs with part of the data made unreadable (see Unreadable).
func (s *suite) testPartialListing(t *testing.T) {
	u := s.o.unreadable
	if u == nil {
		t.Skip("no Unreadable option: the suite cannot check that this source reports what it cannot read")
	}
	complete := &recorder{}
	if err := s.runDocs(t, context.Background(), s.open(t), complete, s.o.syncTimeout); err != nil {
		t.Fatalf("Docs: %v", err)
	}
	docs := complete.docs
	restore := u.breakData(t)
	if restore != nil {
		defer restore()
	}
	type report struct {
		scope string
		cause error
	}
	var mu sync.Mutex
	var reports []report
	r := &recorder{req: connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		mu.Lock()
		defer mu.Unlock()
		reports = append(reports, report{scope, cause})
	}}}
	src := s.open(t)
	err := s.runDocs(t, context.Background(), src, r, s.o.syncTimeout)
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 {
		t.Errorf("with part of the data unreadable, Docs emitted %d of %d documents, returned %v and reported nothing through ReportIncomplete; the service would delete what it did not see", r.count(), len(docs), err)
	}
	for _, rep := range reports {
		if rep.scope == "" || rep.cause == nil {
			t.Errorf("ReportIncomplete(%q, %v): a report must name what could not be read and why", rep.scope, rep.cause)
		}
	}
	if err != nil {
		t.Errorf("Docs returned %v; with part of the data unreadable it must report that part and return nil after emitting the rest", err)
	}
	known := map[string]bool{}
	for _, d := range docs {
		known[d.ID] = true
	}
	for _, d := range r.docs {
		if !known[d.ID] {
			t.Errorf("document %q was not in the complete sync", d.ID)
		}
	}
	if r.count() != u.remaining {
		t.Errorf("with part of the data unreadable, Docs emitted %d documents, want the %d that are still readable", r.count(), u.remaining)
	}
}

var errSentinel = errors.New("connectortest: sink failed")

func (s *suite) testEmitError(t *testing.T, total int) {
	if total == 0 {
		t.Skip("the source yields no documents")
	}
	src := s.open(t)
	r := &recorder{before: func(int) error { return errSentinel }}
	err := s.runDocs(t, context.Background(), src, r, s.o.cancelTimeout)
	if !errors.Is(err, errSentinel) {
		t.Fatalf("emit failed but Docs returned %v; it must return an error wrapping emit's", err)
	}
}

// testCancelBlocked cancels the sync while the source waits in emit, as when the sink is slow.
func (s *suite) testCancelBlocked(t *testing.T, total int) {
	if total == 0 {
		t.Skip("the source yields no documents")
	}
	src := s.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt atomic.Int64
	r := &recorder{before: func(n int) error {
		if n == 1 {
			go func() {
				time.Sleep(20 * time.Millisecond)
				cancelledAt.Store(time.Now().UnixNano())
				cancel()
			}()
		}
		<-ctx.Done()
		return ctx.Err()
	}}
	err := s.runDocs(t, ctx, src, r, s.o.cancelTimeout+time.Second)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Docs returned %v, want an error wrapping context.Canceled", err)
	}
	if at := cancelledAt.Load(); at > 0 {
		if d := time.Since(time.Unix(0, at)); d > s.o.cancelTimeout {
			t.Errorf("Docs returned %v after cancellation; the bound is %v", d, s.o.cancelTimeout)
		}
	}
}

// testCancelRunning cancels the context while emit keeps accepting documents, as when the
// engine's queue has room: the source itself must notice, and must not report success for a
// partial sync.
func (s *suite) testCancelRunning(t *testing.T, total int) {
	if total == 0 {
		t.Skip("the source yields no documents")
	}
	src := s.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt atomic.Int64
	r := &recorder{before: func(n int) error {
		if n == 1 {
			cancelledAt.Store(time.Now().UnixNano())
			cancel()
		}
		return nil
	}}
	err := s.runDocs(t, ctx, src, r, s.o.cancelTimeout+time.Second)
	if at := cancelledAt.Load(); at > 0 {
		if d := time.Since(time.Unix(0, at)); d > s.o.cancelTimeout {
			t.Errorf("Docs returned %v after cancellation; the bound is %v", d, s.o.cancelTimeout)
		}
	}
	switch {
	case err == nil && r.count() < total:
		t.Errorf("Docs stopped after %d of %d documents and returned nil; a stopped sync must return an error, or stale-document deletion removes the rest", r.count(), total)
	case err != nil && !errors.Is(err, context.Canceled):
		t.Errorf("cancelled Docs returned %v, want an error wrapping context.Canceled", err)
	}
}

func (s *suite) testPreCancelled(t *testing.T, total int) {
	src := s.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &recorder{before: func(int) error { return ctx.Err() }}
	err := s.runDocs(t, ctx, src, r, s.o.cancelTimeout)
	switch {
	case err == nil && total > 0:
		t.Errorf("Docs with a cancelled context returned nil")
	case err != nil && !errors.Is(err, context.Canceled):
		t.Errorf("Docs with a cancelled context returned %v, want an error wrapping context.Canceled", err)
	}
}

// testLateEmits catches goroutines of a source that call emit after Docs returned, which the
// immediate check in runDocs can miss when they run a little later.
func (s *suite) testLateEmits(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	late := 0
	for _, r := range s.recorders {
		late += int(r.late.Load())
	}
	if late > 0 {
		t.Errorf("emit was called %d times after Docs returned, by goroutines the source left running", late)
	}
}

func (s *suite) testOptional(t *testing.T) {
	src := s.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
	defer cancel()
	tested := 0
	if v, ok := src.(connector.ConfigValidator); ok {
		tested++
		if err := v.ValidateConfig(ctx); err != nil {
			t.Errorf("ValidateConfig rejects the working configuration: %v", err)
		}
	}
	if v, ok := src.(connector.ChangeDetector); ok {
		tested++
		if _, err := v.Changed(ctx); err != nil {
			t.Errorf("Changed: %v", err)
		}
	}
	if v, ok := src.(connector.DownloadConcurrencyLimiter); ok {
		tested++
		if n := v.MaxConcurrentDownloads(); n < 0 {
			t.Errorf("MaxConcurrentDownloads = %d", n)
		}
	}
	if v, ok := src.(connector.IncrementalSource); ok {
		tested++
		s.checkIncremental(t, ctx, v)
	}
	if v, ok := src.(connector.AccessControlSource); ok {
		tested++
		s.checkAccessControl(t, ctx, v)
	}
	if tested == 0 {
		t.Skip("no optional interfaces implemented")
	}
}

func (s *suite) checkIncremental(t *testing.T, ctx context.Context, src connector.IncrementalSource) {
	var mu sync.Mutex
	var changes []connector.Change
	err := src.IncrementalDocs(ctx, connector.DocsRequest{}, nil, func(c connector.Change) error {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		t.Errorf("IncrementalDocs from no cursor: %v", err)
	}
	for _, c := range changes {
		switch c.Op {
		case connector.OpIndex, connector.OpUpdate, connector.OpDelete:
		default:
			t.Errorf("change for %q has unknown op %q", c.Document.ID, c.Op)
		}
		if c.Document.ID == "" {
			t.Errorf("change with op %q has no document ID", c.Op)
		}
	}
	if _, err := connector.MarshalJSON(src.SyncCursor()); err != nil {
		t.Errorf("SyncCursor is not serialisable: %v", err)
	}
}

func (s *suite) checkAccessControl(t *testing.T, ctx context.Context, src connector.AccessControlSource) {
	var mu sync.Mutex
	seen := map[string]bool{}
	err := src.AccessControl(ctx, func(d connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		if d.ID == "" {
			t.Errorf("access-control document without ID")
		}
		if seen[d.ID] {
			t.Errorf("duplicate access-control document %q", d.ID)
		}
		seen[d.ID] = true
		if d.Content != nil {
			t.Errorf("access-control document %q carries content; identities are never downloaded", d.ID)
		}
		return nil
	})
	if err != nil {
		t.Errorf("AccessControl: %v", err)
	}
}

// testLeak runs a whole life cycle, including a cancelled sync and content reads, and checks
// that the goroutine count returns to its baseline after Close.
func (s *suite) testLeak(t *testing.T) {
	base := settledGoroutines(0, s.o.settleTimeout)
	func() {
		src, err := s.f.New(s.config(t, nil), s.env())
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		defer src.Close()
		ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
		defer cancel()
		if err := src.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		r := &recorder{}
		if err := s.runDocs(t, ctx, src, r, s.o.syncTimeout); err != nil {
			t.Fatalf("Docs: %v", err)
		}
		for _, d := range r.docs {
			if d.Content != nil && d.Content.Open != nil {
				if rc, err := d.Content.Open(ctx); err == nil {
					_, _ = io.CopyN(io.Discard, rc, 16)
					rc.Close()
				}
				break
			}
		}
		cctx, ccancel := context.WithCancel(ctx)
		r = &recorder{before: func(int) error { ccancel(); return cctx.Err() }}
		_ = s.runDocs(t, cctx, src, r, s.o.cancelTimeout)
		ccancel()
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		// Close is called again by the deferred call: it must be safe.
	}()
	if after := settledGoroutines(base, s.o.settleTimeout); after > base {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines before the source was built, %d after Close:\n%s", base, after, buf)
	}
}

// settledGoroutines polls the goroutine count until it is at most target (or, with target 0,
// stops changing), giving exiting goroutines time to finish; it returns the last count.
func settledGoroutines(target int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	last := runtime.NumGoroutine()
	stable := 0
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n := runtime.NumGoroutine()
		if target > 0 && n <= target {
			return n
		}
		if n == last {
			stable++
			if target == 0 && stable >= 5 {
				return n
			}
		} else {
			stable = 0
		}
		last = n
	}
	return last
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
