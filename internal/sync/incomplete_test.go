package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/protocol"
)

// partialSource emits documents doc-0 … doc-(n-1) except those in skip
// (gone) and in missing (whose folders it reports as unreadable).
type partialSource struct {
	fakeSource
	missing map[int]bool
}

func (s *partialSource) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < s.n; i++ {
		if s.missing[i] {
			req.ReportIncomplete(fmt.Sprintf("/data/folder-%d", i), errors.New("permission denied"))
			continue
		}
		if s.skip[i] {
			continue
		}
		if err := emit(connector.Document{ID: fmt.Sprintf("doc-%d", i), Fields: map[string]any{"title": fmt.Sprintf("Title %d v2", i)}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *partialSource) IncrementalDocs(ctx context.Context, req connector.DocsRequest, _ map[string]any, emit func(connector.Change) error) error {
	req.ReportIncomplete("page 3", errors.New("HTTP 500 after 3 retries"))
	for _, ch := range s.changes {
		if err := emit(ch); err != nil {
			return err
		}
	}
	return nil
}

func (s *partialSource) SyncCursor() map[string]any { return map[string]any{"page": 4} }

func TestIncompleteListingDeletesNothing(t *testing.T) {
	_, client := newES(t)
	if _, err := run(t, client, Spec{Source: &fakeSource{n: 50}}, nil); err != nil {
		t.Fatal(err)
	}
	// Documents 10 and 20 are in folders that cannot be read; 30 is gone.
	src := &partialSource{fakeSource: fakeSource{n: 50, skip: map[int]bool{30: true}}, missing: map[int]bool{10: true, 20: true}}
	e, err := run(t, client, Spec{Source: src}, nil)
	var ie *IncompleteListingError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an IncompleteListingError", err)
	}
	for _, want := range []string{"could not read /data/folder-10: permission denied", "and 1 more", "no document was deleted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := count(t, client, "search-test"); got != 50 {
		t.Fatalf("the index holds %d documents, want all 50: nothing may be deleted", got)
	}
	if p := e.Progress(); p.Indexed != 47 || p.Deleted != 0 {
		t.Fatalf("progress %+v: what was read must be written", p)
	}
	if doc := getDoc(t, client, "search-test", "doc-11"); doc["title"] != "Title 11 v2" {
		t.Fatalf("doc-11 = %v", doc)
	}
	inc := e.IncompleteListing()
	if inc == nil || inc.Count != 2 || !inc.DeletionsSkipped || len(inc.Parts) != 2 || inc.Parts[1] != (IncompletePart{Scope: "/data/folder-20", Error: "permission denied"}) {
		t.Fatalf("incomplete listing %+v", inc)
	}

	// The next complete sync catches up.
	e, err = run(t, client, Spec{Source: &fakeSource{n: 50, skip: map[int]bool{30: true}}}, nil)
	if err != nil || e.Progress().Deleted != 1 || count(t, client, "search-test") != 49 {
		t.Fatalf("complete sync: err %v, progress %+v", err, e.Progress())
	}
}

func TestIncompleteFirstSyncAndIncremental(t *testing.T) {
	_, client := newES(t)
	// Into an empty index nothing would be deleted anyway: the job still
	// says what it missed.
	e, err := run(t, client, Spec{Source: &partialSource{fakeSource: fakeSource{n: 5}, missing: map[int]bool{2: true}}}, nil)
	var ie *IncompleteListingError
	if !errors.As(err, &ie) || ie.DeletionsSkipped || strings.Contains(err.Error(), "no document was deleted") {
		t.Fatalf("err = %v", err)
	}
	if count(t, client, "search-test") != 4 || e.IncompleteListing().Count != 1 {
		t.Fatalf("first sync wrote %d", count(t, client, "search-test"))
	}
	// Incremental: the deletions the source asks for are its own and happen.
	src := &partialSource{fakeSource: fakeSource{changes: []connector.Change{
		{Op: connector.OpDelete, Document: connector.Document{ID: "doc-0"}},
		{Op: connector.OpIndex, Document: connector.Document{ID: "doc-9", Fields: map[string]any{"a": 1}}},
	}}}
	e, err = run(t, client, Spec{Source: src, JobType: protocol.JobIncremental}, nil)
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "could not read page 3: HTTP 500 after 3 retries") {
		t.Fatalf("incremental: err = %v", err)
	}
	if p := e.Progress(); p.Deleted != 1 || p.Indexed != 1 || count(t, client, "search-test") != 4 {
		t.Fatalf("incremental: progress %+v, %d documents", p, count(t, client, "search-test"))
	}
}

// flakyContent serves content for docs 0..n-1 from texts, failing the ids
// in fail.
type flakyContent struct {
	n     int
	texts map[int]string
	fail  map[int]bool
	stamp string
	title string
}

func (f *flakyContent) Ping(context.Context) error { return nil }
func (f *flakyContent) Close() error               { return nil }
func (f *flakyContent) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < f.n; i++ {
		text, failing := f.texts[i], f.fail[i]
		d := connector.Document{ID: fmt.Sprintf("doc-%d", i), Timestamp: f.stamp, Fields: map[string]any{"title": f.title}}
		d.Content = &connector.Content{Name: fmt.Sprintf("f%d.txt", i), Size: int64(len(text)), Open: func(context.Context) (io.ReadCloser, error) {
			if failing {
				return nil, errors.New("permission denied")
			}
			return io.NopCloser(strings.NewReader(text)), nil
		}}
		if err := emit(d); err != nil {
			return err
		}
	}
	return nil
}

// TestFailedContentKeepsTheIndexedBody: a download that fails must not
// overwrite the indexed body with nothing, in full and incremental jobs;
// the document's other fields are still updated, and its _timestamp is kept
// so that the next incremental sync tries the content again.
func TestFailedContentKeepsTheIndexedBody(t *testing.T) {
	_, client := newES(t)
	ex := extract.NewLocal(extract.LocalConfig{NoCompilationCache: true})
	defer ex.Close()
	texts := map[int]string{0: "zero", 1: "first text", 2: "two"}
	v1 := "2024-01-01T00:00:00+00:00"
	if _, err := run(t, client, Spec{Source: &flakyContent{n: 3, texts: texts, stamp: v1, title: "v1"}, Extractor: ex}, nil); err != nil {
		t.Fatal(err)
	}
	v2 := "2024-02-01T00:00:00+00:00"
	// A full sync in which doc-1's content cannot be read, and a new doc-3
	// whose content cannot be read either.
	e, err := run(t, client, Spec{Source: &flakyContent{n: 4, texts: texts, stamp: v2, title: "v2", fail: map[int]bool{1: true, 3: true}}, Extractor: ex}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := getDoc(t, client, "search-test", "doc-1")
	if doc["body"] != "first text" || doc["title"] != "v2" || doc["_timestamp"] != v1 {
		t.Fatalf("doc-1 after a failed download = %v; want the old body and _timestamp, the new title", doc)
	}
	if doc := getDoc(t, client, "search-test", "doc-0"); doc["body"] != "zero" || doc["_timestamp"] != v2 {
		t.Fatalf("doc-0 = %v", doc)
	}
	if doc := getDoc(t, client, "search-test", "doc-3"); doc["title"] != "v2" || doc["body"] != nil {
		t.Fatalf("new doc-3 with failed content = %v; want it indexed without a body", doc)
	}
	if c := e.Counters(); c["binary_docs_failed"] != 2 || c["docs_content_kept"] != 2 || e.Progress().Indexed != 4 {
		t.Fatalf("counters %v", c)
	}
	// An incremental sync (timestamp optimisation) skips what is unchanged
	// and retries doc-1, whose content now reads.
	texts[1] = "first text, edited"
	e, err = run(t, client, Spec{Source: &flakyContent{n: 4, texts: texts, stamp: v2, title: "v2", fail: map[int]bool{3: true}}, Extractor: ex, JobType: protocol.JobIncremental, SkipUnchanged: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc := getDoc(t, client, "search-test", "doc-1"); doc["body"] != "first text, edited" || doc["_timestamp"] != v2 {
		t.Fatalf("doc-1 after the retry = %v", doc)
	}
	if c := e.Counters(); c["docs_unchanged"] != 2 || c["docs_content_kept"] != 1 {
		t.Fatalf("incremental counters %v", c)
	}
}
