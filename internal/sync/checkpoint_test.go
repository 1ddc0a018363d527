package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/protocol"
)

func TestTrackerWatermark(t *testing.T) {
	tests := []struct {
		name   string
		emits  int
		saveAt int      // the checkpoint is saved after this many emits
		settle []uint64 // settled in this order, each as one indexed document
		want   *Progress
	}{
		{name: "nothing settled", emits: 3, saveAt: 3, want: nil},
		{name: "in order", emits: 3, saveAt: 3, settle: []uint64{1, 2, 3}, want: &Progress{Indexed: 3}},
		{name: "out of order", emits: 4, saveAt: 3, settle: []uint64{3, 4, 2, 1}, want: &Progress{Indexed: 3}},
		{name: "a gap below holds it back", emits: 3, saveAt: 3, settle: []uint64{1, 3}, want: nil},
		{name: "an unanswered document holds it back", emits: 3, saveAt: 2, settle: []uint64{2, 3}, want: nil},
		{name: "saved when all before are settled", emits: 5, saveAt: 2, settle: []uint64{1, 2}, want: &Progress{Indexed: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker(quiet(), nil)
			for i := 1; i <= tt.emits; i++ {
				tr.begin()
				if i == tt.saveAt {
					// Documents emitted after the save do not belong to it.
					tr.save(map[string]any{"at": i})
				}
			}
			for _, seq := range tt.settle {
				tr.settle(seq, Progress{Indexed: 1, VolumeBytes: 10})
			}
			got := tr.latest()
			switch {
			case tt.want == nil && got != nil:
				t.Fatalf("durable too early: %+v", got)
			case tt.want != nil && got == nil:
				t.Fatal("not durable")
			case tt.want != nil && (got.Progress.Indexed != tt.want.Indexed || got.Value["at"] != float64(tt.saveAt)):
				t.Fatalf("durable %+v, want %d indexed at %d", got, tt.want.Indexed, tt.saveAt)
			}
		})
	}
}

func TestTrackerProgressIsAtTheCheckpoint(t *testing.T) {
	tr := newTracker(quiet(), &Resume{Checkpoint: map[string]any{"at": 0}, Progress: Progress{Indexed: 100, Deleted: 7}})
	if c := tr.latest(); c == nil || c.Progress.Indexed != 100 {
		t.Fatalf("a resumed run starts at its checkpoint: %+v", c)
	}
	for range 10 {
		tr.begin()
	}
	tr.save(map[string]any{"at": 10})
	for range 5 {
		tr.begin()
	}
	// Everything settles, the five after the checkpoint first.
	for seq := uint64(15); seq >= 1; seq-- {
		tr.settle(seq, Progress{Indexed: 1})
	}
	c := tr.latest()
	if c.Value["at"] != float64(10) || c.Progress.Indexed != 110 || c.Progress.Deleted != 7 {
		t.Fatalf("checkpoint %+v: its progress must count the ten documents before it on top of the resumed 100", c)
	}
}

// checkpointSource emits n documents, some with content, from several
// goroutines in turn, and saves a checkpoint every `every` documents; given
// a checkpoint it starts after it.
type checkpointSource struct {
	fakeSource
	every    int
	from     int // first document index when resumed
	resumeIn map[string]any
}

func (s *checkpointSource) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	s.resumeIn = req.Checkpoint
	start := 0
	if req.Checkpoint != nil {
		start = int(req.Checkpoint["next"].(float64))
	}
	s.from = start
	for i := start; i < s.n; i++ {
		text := strings.Repeat("word ", i%7)
		d := connector.Document{ID: fmt.Sprintf("doc-%d", i), Fields: map[string]any{"n": i}}
		if i%3 == 0 {
			d.Content = &connector.Content{Name: fmt.Sprintf("f%d.txt", i), Size: int64(len(text)), Open: func(context.Context) (io.ReadCloser, error) {
				// Downloads finish out of order.
				time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
				return io.NopCloser(strings.NewReader(text)), nil
			}}
		}
		if err := emit(d); err != nil {
			return err
		}
		if (i+1)%s.every == 0 {
			req.SaveCheckpoint(map[string]any{"next": i + 1})
		}
	}
	return nil
}

func TestCheckpointsBecomeDurableWithConcurrentDownloadsAndRequests(t *testing.T) {
	srv, client := newES(t)
	// Every fourth bulk request is slow, so later requests finish first.
	srv.Faults().Add(estest.Fault{Path: "/_bulk", Delay: estest.Duration(30 * time.Millisecond)})
	src := &checkpointSource{fakeSource: fakeSource{n: 1000}, every: 100}
	sel, err := extract.New(extract.Config{Mode: extract.ModeLocal, MaxFileSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	e, err := run(t, client, Spec{Source: src, Downloads: 8, Extractor: sel.For(false)}, func(b *config.Bulk) {
		b.ChunkSize = 14
		b.MaxConcurrency = 4
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.Checkpoint()
	if c == nil || c.Value["next"] != float64(1000) || c.Progress.Indexed != 1000 {
		t.Fatalf("last checkpoint %+v", c)
	}
}

// TestCheckpointNeverPassesAnUnwrittenDocument stops a job while bulk
// requests fail: the checkpoint may only cover documents the index holds.
func TestCheckpointNeverPassesAnUnwrittenDocument(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			srv, client := newES(t)
			src := &checkpointSource{fakeSource: fakeSource{n: 3000}, every: 10}
			bulk := config.Default().Elasticsearch.Bulk
			bulk.ChunkSize = 20
			bulk.MaxConcurrency = 3
			e := New(Options{Client: client, Bulk: bulk, Log: quiet()}, Spec{JobType: protocol.JobFull, Index: "search-test", Pipeline: protocol.DefaultPipeline, Source: src})
			done := make(chan error, 1)
			go func() { done <- e.Run(context.Background()) }()
			// After a while, every bulk request fails: the job ends in error.
			time.Sleep(time.Duration(20+round*15) * time.Millisecond)
			srv.Faults().Add(estest.Fault{Path: "/_bulk", Status: 400, Reason: "no more"})
			if err := <-done; err == nil {
				t.Skip("the job finished before the fault")
			}
			c := e.Checkpoint()
			if c == nil {
				return
			}
			next := int(c.Value["next"].(float64))
			for i := 0; i < next; i++ {
				if !exists(t, client, "search-test", fmt.Sprintf("doc-%d", i)) {
					t.Fatalf("checkpoint at %d but doc-%d is not in the index", next, i)
				}
			}
			if c.Progress.Indexed != int64(next) {
				t.Fatalf("checkpoint at %d counts %d", next, c.Progress.Indexed)
			}
		})
	}
}

func TestResumedFullSyncStartsAtTheCheckpointAndDeletesNothing(t *testing.T) {
	_, client := newES(t)
	// An earlier sync indexed doc-0 … doc-99 and a document the source no
	// longer has.
	if _, err := run(t, client, Spec{Source: &fakeSource{n: 100, extra: func(int) map[string]any { return nil }}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, client, Spec{Source: &oneDoc{doc: connector.Document{ID: "gone"}}}, nil); err != nil {
		t.Fatal(err)
	}
	src := &checkpointSource{fakeSource: fakeSource{n: 100}, every: 10}
	resume := &Resume{Checkpoint: map[string]any{"next": float64(60)}, Progress: Progress{Indexed: 60, VolumeBytes: 600}}
	e, err := run(t, client, Spec{Source: src, Resume: resume}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.from != 60 {
		t.Fatalf("the source started at %d", src.from)
	}
	p := e.Progress()
	if p.Indexed != 100 || p.Deleted != 0 {
		t.Fatalf("progress %+v: want the 60 before the checkpoint plus the 40 after, nothing deleted", p)
	}
	if !exists(t, client, "search-test", "gone") {
		t.Fatal("a resumed sync deleted a document it never saw")
	}
	if r := e.ResumedFromCheckpoint(); r == nil || !r.DeletionsSkipped {
		t.Fatalf("resumed_from_checkpoint %+v: want the skipped deletions recorded", r)
	}
	if c := e.Checkpoint(); c.Value["next"] != float64(100) || c.Progress.Indexed != 100 {
		t.Fatalf("checkpoint %+v", c)
	}
}

// TestStoppedJobCountsWhatTheIndexHolds is issue 17 point 3 for a stop:
// requests in flight when the job stops are waited for and counted, so the
// job's count equals the documents in the index.
func TestStoppedJobCountsWhatTheIndexHolds(t *testing.T) {
	srv, _ := newES(t)
	// Like a busy Elasticsearch, the proxy applies each bulk request at
	// once but answers it late, whether or not the client still waits.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(context.Background(), r.Method, srv.URL()+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		if strings.HasPrefix(r.URL.Path, "/_bulk") {
			time.Sleep(300 * time.Millisecond)
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	}))
	defer proxy.Close()
	cfg := config.Default().Elasticsearch
	cfg.Host = proxy.URL
	cfg.RetryInterval = 0.01
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	bulk := config.Default().Elasticsearch.Bulk
	bulk.ChunkSize = 100
	bulk.MaxConcurrency = 3
	e := New(Options{Client: client, Bulk: bulk, Log: quiet()}, Spec{JobType: protocol.JobFull, Index: "search-test", Pipeline: protocol.DefaultPipeline, Source: &fakeSource{n: 100000}})
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	time.Sleep(700 * time.Millisecond) // requests are in flight now
	stop := errors.New("shutdown")
	cancel(stop)
	select {
	case err := <-done:
		if !errors.Is(err, stop) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("engine did not stop")
	}
	got := e.Progress().Indexed
	if n := count(t, client, "search-test"); int64(n) != got || n == 0 {
		t.Fatalf("the job counts %d documents, the index holds %d", got, n)
	}
}

// TestConcurrentEmitsAndCheckpoints runs emit from several goroutines with
// checkpoints in between; the race detector and the final checkpoint check
// the tracker's locking.
func TestConcurrentEmitsAndCheckpoints(t *testing.T) {
	_, client := newES(t)
	src := &parallelSource{n: 400, workers: 4}
	e, err := run(t, client, Spec{Source: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.Checkpoint(); c == nil || c.Value["done"] != true || c.Progress.Indexed != 400 {
		t.Fatalf("checkpoint %+v", c)
	}
}

type parallelSource struct {
	fakeSource
	n, workers int
}

func (s *parallelSource) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	var wg gosync.WaitGroup
	errs := make(chan error, s.workers)
	for w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < s.n; i += s.workers {
				if err := emit(connector.Document{ID: fmt.Sprintf("p-%d", i)}); err != nil {
					errs <- err
					return
				}
				if i%50 == 0 {
					req.SaveCheckpoint(map[string]any{"worker": w, "i": i})
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	req.SaveCheckpoint(map[string]any{"done": true})
	return nil
}

func exists(t *testing.T, client *es.Client, index, id string) bool {
	t.Helper()
	err := client.Request(context.Background(), "GET", "/"+index+"/_doc/"+id, nil, nil)
	if es.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
