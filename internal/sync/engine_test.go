package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/rules"
	"github.com/connectors-go/connectors/internal/testproc"
)

// fakeSource emits n documents with ids doc-0 … doc-(n-1).
type fakeSource struct {
	n        int
	skip     map[int]bool // ids not emitted this time
	content  map[int]string
	failAt   int // emit an error after this many docs (0: never)
	stamp    string
	extra    func(i int) map[string]any
	changes  []connector.Change
	cursorIn map[string]any
}

func (f *fakeSource) Ping(context.Context) error { return nil }
func (f *fakeSource) Close() error               { return nil }
func (f *fakeSource) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < f.n; i++ {
		if f.failAt > 0 && i == f.failAt {
			return fmt.Errorf("the remote system went away at document %d", i)
		}
		if f.skip[i] {
			continue
		}
		d := connector.Document{ID: fmt.Sprintf("doc-%d", i), Timestamp: f.stamp, Fields: map[string]any{"title": fmt.Sprintf("Title %d", i), "n": i}}
		if f.extra != nil {
			for k, v := range f.extra(i) {
				d.Fields[k] = v
			}
		}
		if text, ok := f.content[i]; ok {
			d.Content = &connector.Content{Name: fmt.Sprintf("f%d.txt", i), Size: int64(len(text)), Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader(text)), nil
			}}
		}
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}

type incSource struct{ fakeSource }

func (s *incSource) IncrementalDocs(ctx context.Context, _ connector.DocsRequest, cursor map[string]any, emit func(connector.Change) error) error {
	s.cursorIn = cursor
	for _, ch := range s.changes {
		if err := emit(ch); err != nil {
			return err
		}
	}
	return nil
}
func (s *incSource) SyncCursor() map[string]any { return map[string]any{"n": len(s.changes)} }

func newES(t *testing.T) (*estest.Server, *es.Client) {
	t.Helper()
	srv := estest.New(estest.Options{})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := config.Default().Elasticsearch
	cfg.Host = srv.URL()
	cfg.RetryInterval = 0.01
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return srv, client
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func run(t *testing.T, client *es.Client, spec Spec, mutate func(*config.Bulk)) (*Engine, error) {
	t.Helper()
	bulk := config.Default().Elasticsearch.Bulk
	bulk.ChunkSize = 50
	if mutate != nil {
		mutate(&bulk)
	}
	if spec.Index == "" {
		spec.Index = "search-test"
	}
	if spec.Pipeline.Name == "" {
		spec.Pipeline = protocol.DefaultPipeline
	}
	if spec.JobType == "" {
		spec.JobType = protocol.JobFull
	}
	e := New(Options{Client: client, Bulk: bulk, Log: quiet()}, spec)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return e, e.Run(ctx)
}

func count(t *testing.T, client *es.Client, index string) int {
	t.Helper()
	ctx := context.Background()
	if err := client.Request(ctx, "POST", "/"+index+"/_refresh", nil, nil); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Count int `json:"count"`
	}
	if err := client.Request(ctx, "GET", "/"+index+"/_count", nil, &res); err != nil {
		t.Fatal(err)
	}
	return res.Count
}

func getDoc(t *testing.T, client *es.Client, index, id string) map[string]any {
	t.Helper()
	var res struct {
		Source map[string]any `json:"_source"`
	}
	if err := client.Request(context.Background(), "GET", "/"+index+"/_doc/"+id, nil, &res); err != nil {
		t.Fatal(err)
	}
	return res.Source
}

func TestFullSyncIndexesThenDeletesStale(t *testing.T) {
	_, client := newES(t)
	e, err := run(t, client, Spec{Source: &fakeSource{n: 120}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, client, "search-test"); got != 120 {
		t.Fatalf("indexed %d, want 120", got)
	}
	p := e.Progress()
	if p.Indexed != 120 || p.Deleted != 0 || p.VolumeBytes == 0 {
		t.Fatalf("progress %+v", p)
	}
	doc := getDoc(t, client, "search-test", "doc-7")
	if doc["id"] != "doc-7" || doc["title"] != "Title 7" || doc["_timestamp"] == nil {
		t.Fatalf("document %v", doc)
	}

	// Second sync: 5 documents gone at the source.
	skip := map[int]bool{3: true, 10: true, 50: true, 99: true, 119: true}
	e, err = run(t, client, Spec{Source: &fakeSource{n: 120, skip: skip}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, client, "search-test"); got != 115 {
		t.Fatalf("after second sync %d docs, want 115", got)
	}
	if p := e.Progress(); p.Deleted != 5 || p.Indexed != 115 {
		t.Fatalf("progress %+v", p)
	}
	if c := e.Counters(); c["doc_deletes_queued"] != 5 || c["docs_extracted"] != 115 {
		t.Fatalf("counters %v", c)
	}
	if r := e.ResumedFromCheckpoint(); r != nil {
		t.Fatalf("resumed_from_checkpoint %+v for a job that did not resume", r)
	}
}

func TestFailedSourceDeletesNothing(t *testing.T) {
	_, client := newES(t)
	if _, err := run(t, client, Spec{Source: &fakeSource{n: 30}}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, client, Spec{Source: &fakeSource{n: 30, failAt: 10}}, nil)
	if err == nil || !strings.Contains(err.Error(), "went away at document 10") {
		t.Fatalf("err = %v", err)
	}
	if got := count(t, client, "search-test"); got != 30 {
		t.Fatalf("a failed sync must not delete anything: %d docs", got)
	}
}

func TestSurvives429Storm(t *testing.T) {
	srv, client := newES(t)
	// Whole requests refused with 429 (retried by the client) and every
	// 7th item refused with 429 (retried by the sink).
	srv.Faults().FailNext(3, "PUT", "/_bulk", 429)
	srv.Faults().Add(estest.Fault{Path: "/_bulk", Count: 4, BulkItems: &estest.BulkItemFault{Every: 7, Status: 429}})
	e, err := run(t, client, Spec{Source: &fakeSource{n: 300}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, client, "search-test"); got != 300 {
		t.Fatalf("indexed %d, want 300", got)
	}
	c := e.Counters()
	if c["bulk_item_retries"] == 0 || c["bulk_item_errors"] != 0 || c["indexed_document_count"] != 300 {
		t.Fatalf("counters %v", c)
	}
	// Each document written once: versions stay at 1.
	var res struct {
		Version int `json:"_version"`
	}
	if err := client.Request(context.Background(), "GET", "/search-test/_doc/doc-6", nil, &res); err != nil || res.Version != 1 {
		t.Fatalf("doc-6 version %d err %v", res.Version, err)
	}
}

func TestRejectedDocumentReported(t *testing.T) {
	srv, client := newES(t)
	srv.Faults().Add(estest.Fault{Path: "/_bulk", BulkItems: &estest.BulkItemFault{IDs: []string{"doc-4"}}})
	e, err := run(t, client, Spec{Source: &fakeSource{n: 20}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := e.ItemErrors()
	if len(errs) != 1 || errs[0].ID != "doc-4" || errs[0].Reason == "" {
		t.Fatalf("item errors %+v", errs)
	}
	if got := count(t, client, "search-test"); got != 19 {
		t.Fatalf("indexed %d, want 19", got)
	}
	if c := e.Counters(); c["bulk_item_errors"] != 1 {
		t.Fatalf("counters %v", c)
	}
}

func TestErrorBudgetEndsTheSync(t *testing.T) {
	srv, client := newES(t)
	srv.Faults().Add(estest.Fault{Path: "/_bulk", BulkItems: &estest.BulkItemFault{Every: 1}})
	_, err := run(t, client, Spec{Source: &fakeSource{n: 200}}, nil)
	var tme *TooManyErrorsError
	if !errors.As(err, &tme) || !strings.Contains(err.Error(), "consecutive") || len(tme.Last) == 0 {
		t.Fatalf("err = %v", err)
	}
	// With the monitor off, errors are only counted.
	srv2, client2 := newES(t)
	srv2.Faults().Add(estest.Fault{Path: "/_bulk", BulkItems: &estest.BulkItemFault{Every: 1}})
	e, err := run(t, client2, Spec{Source: &fakeSource{n: 40}}, func(b *config.Bulk) { b.ErrorMonitor.Enabled = false })
	if err != nil || e.Counters()["bulk_item_errors"] != 40 {
		t.Fatalf("err %v counters %v", err, e.Counters())
	}
}

func TestBasicRulesFilterAndRemoveExcluded(t *testing.T) {
	_, client := newES(t)
	if _, err := run(t, client, Spec{Source: &fakeSource{n: 10}}, nil); err != nil {
		t.Fatal(err)
	}
	eng, err := rules.Compile([]rules.Rule{
		{ID: "r1", Policy: "exclude", Field: "title", Rule: "ends_with", Value: " 3", Order: 0},
		{ID: "r2", Policy: "exclude", Field: "n", Rule: ">", Value: "7", Order: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := run(t, client, Spec{Source: &fakeSource{n: 10}, Filter: eng}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// doc-3, doc-8 and doc-9 are excluded, and deleted because they were indexed.
	if got := count(t, client, "search-test"); got != 7 {
		t.Fatalf("%d docs, want 7", got)
	}
	if c := e.Counters(); c["docs_filtered"] != 3 || c["doc_deletes_queued"] != 3 {
		t.Fatalf("counters %v", c)
	}
}

func TestContentExtractedOrSkippedNeverDropped(t *testing.T) {
	_, client := newES(t)
	content := map[int]string{1: "hello extracted world", 2: "second file"}
	src := &fakeSource{n: 4, content: content}
	ex := extract.NewLocal(extract.LocalConfig{NoCompilationCache: true})
	defer ex.Close()
	e, err := run(t, client, Spec{Source: src, Extractor: ex, Downloads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body := getDoc(t, client, "search-test", "doc-1")["body"]; body != "hello extracted world" {
		t.Fatalf("body = %v", body)
	}
	if e.Counters()["binary_docs_downloaded"] != 2 {
		t.Fatalf("counters %v", e.Counters())
	}
	// A download that fails costs the body, not the document.
	broken := &fakeSource{n: 1}
	broken.extra = nil
	_, client2 := newES(t)
	bsrc := &brokenContent{}
	e, err = run(t, client2, Spec{Source: bsrc, Extractor: ex}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if count(t, client2, "search-test") != 1 || e.Counters()["binary_docs_failed"] != 1 {
		t.Fatalf("counters %v", e.Counters())
	}
}

type brokenContent struct{ fakeSource }

func (b *brokenContent) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	return emit(connector.Document{ID: "x", Fields: map[string]any{"a": 1}, Content: &connector.Content{Name: "x.txt", Size: 3, Open: func(context.Context) (io.ReadCloser, error) {
		return nil, errors.New("permission denied")
	}}})
}

func TestTooLargeDocumentDroppedAndCounted(t *testing.T) {
	_, client := newES(t)
	big := strings.Repeat("x", 2*1024*1024)
	src := &fakeSource{n: 3, extra: func(i int) map[string]any {
		if i == 1 {
			return map[string]any{"blob": big}
		}
		return nil
	}}
	e, err := run(t, client, Spec{Source: src}, func(b *config.Bulk) { b.MaxTextDocumentSize = 1 })
	if err != nil {
		t.Fatal(err)
	}
	if count(t, client, "search-test") != 2 || e.Counters()["docs_dropped_too_large"] != 1 {
		t.Fatalf("counters %v", e.Counters())
	}
}

func TestSkipUnchanged(t *testing.T) {
	_, client := newES(t)
	if _, err := run(t, client, Spec{Source: &fakeSource{n: 10, stamp: "2026-01-01T00:00:00+00:00"}}, nil); err != nil {
		t.Fatal(err)
	}
	e, err := run(t, client, Spec{JobType: protocol.JobIncremental, SkipUnchanged: true, Source: &fakeSource{n: 10, stamp: "2026-01-01T00:00:00+00:00"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.Counters(); c["docs_unchanged"] != 10 || c["indexed_document_count"] != 0 {
		t.Fatalf("counters %v", c)
	}
}

func TestIncrementalWithCursor(t *testing.T) {
	_, client := newES(t)
	if _, err := run(t, client, Spec{Source: &fakeSource{n: 5}}, nil); err != nil {
		t.Fatal(err)
	}
	src := &incSource{}
	src.changes = []connector.Change{
		{Op: connector.OpDelete, Document: connector.Document{ID: "doc-1"}},
		{Op: connector.OpUpdate, Document: connector.Document{ID: "doc-2", Fields: map[string]any{"extra": true}}},
		{Op: connector.OpIndex, Document: connector.Document{ID: "doc-new", Fields: map[string]any{"title": "new"}}},
	}
	e, err := run(t, client, Spec{JobType: protocol.JobIncremental, Cursor: map[string]any{"since": "x"}, Source: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if count(t, client, "search-test") != 5 {
		t.Fatal("incremental: 5 - 1 + 1 documents expected")
	}
	if d := getDoc(t, client, "search-test", "doc-2"); d["extra"] != true || d["title"] != "Title 2" {
		t.Fatalf("update must merge: %v", d)
	}
	if src.cursorIn["since"] != "x" {
		t.Fatalf("cursor not passed: %v", src.cursorIn)
	}
	if p := e.Progress(); p.Deleted != 1 || p.Indexed != 2 {
		t.Fatalf("progress %+v", p)
	}
}

func TestLongIDsAreHashed(t *testing.T) {
	_, client := newES(t)
	long := strings.Repeat("é", 300) // 600 bytes
	src := &oneDoc{doc: connector.Document{ID: long, Fields: map[string]any{"a": 1}}}
	if _, err := run(t, client, Spec{Source: src}, nil); err != nil {
		t.Fatal(err)
	}
	if d := getDoc(t, client, "search-test", connector.HashID(long)); d["id"] != connector.HashID(long) {
		t.Fatalf("doc %v", d)
	}
}

type oneDoc struct {
	fakeSource
	doc connector.Document
}

func (o *oneDoc) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	return emit(o.doc)
}

func TestCancellationStopsPromptly(t *testing.T) {
	srv, client := newES(t)
	srv.Faults().Add(estest.Fault{Path: "/_bulk", Delay: estest.Duration(2 * time.Second)})
	bulk := config.Default().Elasticsearch.Bulk
	bulk.ChunkSize = 10
	e := New(Options{Client: client, Bulk: bulk, Log: quiet()}, Spec{JobType: protocol.JobFull, Index: "search-test", Pipeline: protocol.DefaultPipeline, Source: &fakeSource{n: 100000}})
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	stop := errors.New("stop requested")
	cancel(stop)
	select {
	case err := <-done:
		if !errors.Is(err, stop) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("engine did not stop")
	}
}

type aclSource struct {
	fakeSource
	identities map[string]string // user → timestamp
}

func (a *aclSource) AccessControl(ctx context.Context, emit func(connector.Document) error) error {
	for user, stamp := range a.identities {
		doc := connector.Document{ID: user, Timestamp: stamp, Fields: map[string]any{
			"identity": map[string]any{"email": "email:" + user + "@example.com"},
			"query":    map[string]any{"template": map[string]any{"params": map[string]any{"access_control": []any{"email:" + user + "@example.com"}}}},
		}}
		if err := emit(doc); err != nil {
			return err
		}
	}
	return nil
}

func TestAccessControlSync(t *testing.T) {
	_, client := newES(t)
	index := protocol.ACLIndexPrefix + "search-test"
	src := &aclSource{identities: map[string]string{"ann": "t1", "bob": "t1", "cid": "t1"}}
	e, err := run(t, client, Spec{JobType: protocol.JobAccessControl, Index: index, Source: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, client, index); n != 3 || e.Counters()["doc_creates_queued"] != 3 {
		t.Fatalf("%d identities, counters %v", n, e.Counters())
	}
	doc := getDoc(t, client, index, "ann")
	if doc["id"] != "ann" || doc["_extract_binary_content"] != nil {
		t.Fatalf("identity document %v (no pipeline flags on ACL documents)", doc)
	}
	// bob changed, cid is gone, ann is the same.
	src.identities = map[string]string{"ann": "t1", "bob": "t2"}
	e, err = run(t, client, Spec{JobType: protocol.JobAccessControl, Index: index, Source: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := e.Counters()
	if c["docs_unchanged"] != 1 || c["doc_updates_queued"] != 1 || c["doc_deletes_queued"] != 1 || count(t, client, index) != 2 {
		t.Fatalf("counters %v", c)
	}
	if getDoc(t, client, index, "bob")["_timestamp"] != "t2" {
		t.Fatal("bob not updated")
	}
}

func TestContentDocumentsCarryIdentities(t *testing.T) {
	_, client := newES(t)
	src := &oneDoc{doc: connector.Document{ID: "secret", Fields: map[string]any{"title": "x"}, AllowAccessControl: []string{"email:ann@example.com", "group:eng"}}}
	if _, err := run(t, client, Spec{Source: src}, nil); err != nil {
		t.Fatal(err)
	}
	acl, _ := getDoc(t, client, "search-test", "secret")["_allow_access_control"].([]any)
	if len(acl) != 2 || acl[1] != "group:eng" {
		t.Fatalf("_allow_access_control = %v", acl)
	}
}

// namedContent emits one document per file name, each with content.
type namedContent struct {
	fakeSource
	files map[string]string
}

func (s *namedContent) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for name, text := range s.files {
		d := connector.Document{ID: name, Fields: map[string]any{"title": name}}
		d.Content = &connector.Content{Name: name, Size: int64(len(text)), Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(text)), nil
		}}
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}

func TestSkippedContentIsLoggedAndCounted(t *testing.T) {
	_, client := newES(t)
	src := &namedContent{files: map[string]string{"big.txt": strings.Repeat("x", 64), "app.exe": "MZ", "ok.txt": "fine"}}
	ex := extract.NewLocal(extract.LocalConfig{MaxFileSize: 16, NoCompilationCache: true})
	defer ex.Close()
	var logs testproc.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := New(Options{Client: client, Bulk: config.Default().Elasticsearch.Bulk, Log: log},
		Spec{Source: src, Extractor: ex, Index: "search-test", Pipeline: protocol.DefaultPipeline, JobType: protocol.JobFull})
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := e.Counters(); c["binary_docs_skipped"] != 2 || c["binary_docs_downloaded"] != 1 || c["indexed_document_count"] != 3 {
		t.Fatalf("counters %v, want 2 skipped, 1 downloaded, 3 indexed", c)
	}
	out := logs.String()
	for _, want := range []string{"level=WARN msg=\"Content skipped; indexing the document without it\" doc_id=big.txt file=big.txt", "file=app.exe"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Content skipped"); n != 2 {
		t.Errorf("%d skip lines, want one per file:\n%s", n, out)
	}
}
