// Command syncbench measures the sync engine against the ceiling of the same
// Elasticsearch-compatible server: a synthetic source of N documents of about
// 1 KB is synced into estest, and the same documents are sent by a plain
// _bulk loop with the same batch size and concurrency. Each measurement runs
// in its own process, so its peak RSS is its own; estest runs in another.
//
//	go run ./tools/syncbench                 # N = 100k and 1M, plus the diff run
//	go run ./tools/syncbench -n 20000        # a quick look
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	syncer "github.com/connectors-go/connectors/internal/sync"
)

type result struct {
	Role    string  `json:"role"`
	Docs    int     `json:"docs"`
	Seconds float64 `json:"seconds"`
	MaxRSS  int64   `json:"max_rss_bytes"`
	Extra   string  `json:"extra,omitempty"`
}

func main() {
	role := flag.String("role", "main", "main, es, raw, sync")
	url := flag.String("url", "", "Elasticsearch URL (raw, sync)")
	addr := flag.String("addr", "", "listen address (es)")
	ns := flag.String("n", "100000,1000000", "document counts (main)")
	n := flag.Int("docs", 0, "document count (raw, sync)")
	index := flag.String("index", "bench", "index (raw, sync)")
	flag.Parse()
	var err error
	switch *role {
	case "es":
		err = serveES(*addr)
	case "raw":
		err = report(rawBulk(*url, *index, *n))
	case "sync":
		err = report(syncRun(*url, *index, *n))
	case "main":
		err = orchestrate(*ns)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func report(r result, err error) error {
	if err != nil {
		return err
	}
	r.MaxRSS = maxRSS()
	return json.NewEncoder(os.Stdout).Encode(r)
}

func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

func serveES(addr string) error {
	srv := estest.New(estest.Options{})
	if err := srv.StartAddr(addr); err != nil {
		return err
	}
	fmt.Println("READY", srv.URL())
	select {} // killed by the parent
}

// body is about 1 KB of text that differs per document.
func body(i int) string {
	var b strings.Builder
	words := []string{"connector", "search", "index", "document", "elastic", "sync", "bulk", "queue", "source", "field"}
	for b.Len() < 900 {
		b.WriteString(words[(i+b.Len())%len(words)])
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(i * (b.Len() + 7) % 100003))
		b.WriteByte(' ')
	}
	return b.String()
}

func document(i int) connector.Document {
	return connector.Document{
		ID:        "doc-" + strconv.Itoa(i),
		Timestamp: "2026-11-23T00:00:00.000000+00:00",
		Fields:    map[string]any{"title": "Document " + strconv.Itoa(i), "body": body(i), "number": i, "tags": []any{"a", "b"}},
	}
}

type synthetic struct{ n int }

func (s synthetic) Ping(context.Context) error { return nil }
func (s synthetic) Close() error               { return nil }
func (s synthetic) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < s.n; i++ {
		if err := emit(document(i)); err != nil {
			return err
		}
	}
	return nil
}

func newClient(url string) (*es.Client, error) {
	cfg := config.Default().Elasticsearch
	cfg.Host = url
	return es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// rawBulk is the ceiling: the same documents and pipeline flags, encoded and
// sent in 250-document _bulk requests by 5 concurrent senders, with no
// queue, no accounting and no diff.
func rawBulk(url, index string, n int) (result, error) {
	client, err := newClient(url)
	if err != nil {
		return result{}, err
	}
	bulk := config.Default().Elasticsearch.Bulk
	per := bulk.ChunkSize / 2
	batches := make(chan []byte, bulk.MaxConcurrency)
	errs := make(chan error, bulk.MaxConcurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < bulk.MaxConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				req, _ := http.NewRequest(http.MethodPut, "/_bulk?pipeline=search-default-ingestion", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/x-ndjson")
				res, err := client.Perform(req)
				if err != nil {
					errs <- err
					return
				}
				var parsed struct {
					Errors bool `json:"errors"`
				}
				err = json.NewDecoder(res.Body).Decode(&parsed)
				res.Body.Close()
				if err != nil || parsed.Errors {
					errs <- fmt.Errorf("bulk failed: %v errors=%v", err, parsed.Errors)
					return
				}
			}
		}()
	}
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		d := document(i)
		src := d.Body()
		src["_extract_binary_content"], src["_reduce_whitespace"], src["_run_ml_inference"] = true, true, true
		doc, err := connector.MarshalJSON(src)
		if err != nil {
			return result{}, err
		}
		fmt.Fprintf(&buf, `{"index":{"_index":%q,"_id":%q}}`+"\n", index, d.ID)
		buf.Write(doc)
		buf.WriteByte('\n')
		if (i+1)%per == 0 || i == n-1 {
			b := append([]byte(nil), buf.Bytes()...)
			buf.Reset()
			select {
			case batches <- b:
			case err := <-errs:
				return result{}, err
			}
		}
	}
	close(batches)
	wg.Wait()
	select {
	case err := <-errs:
		return result{}, err
	default:
	}
	return result{Role: "raw", Docs: n, Seconds: time.Since(start).Seconds()}, nil
}

func syncRun(url, index string, n int) (result, error) {
	client, err := newClient(url)
	if err != nil {
		return result{}, err
	}
	cfg := config.Default()
	e := syncer.New(syncer.Options{Client: client, Bulk: cfg.Elasticsearch.Bulk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		syncer.Spec{JobType: protocol.JobFull, Index: index, Pipeline: protocol.DefaultPipeline, Source: synthetic{n: n}})
	start := time.Now()
	if err := e.Run(context.Background()); err != nil {
		return result{}, err
	}
	c := e.Counters()
	if c["indexed_document_count"] != int64(n) {
		return result{}, fmt.Errorf("indexed %d of %d documents", c["indexed_document_count"], n)
	}
	return result{Role: "sync", Docs: n, Seconds: time.Since(start).Seconds(),
		Extra: fmt.Sprintf("created %d, updated %d, deleted %d", c["bulk_item_results_created"], c["bulk_item_results_updated"], c["deleted_document_count"])}, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func child(args ...string) (result, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%v: %w", args, err)
	}
	var r result
	return r, json.Unmarshal(out, &r)
}

func orchestrate(list string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	esProc := exec.Command(os.Args[0], "-role", "es", "-addr", addr)
	esProc.Stderr = os.Stderr
	stdout, err := esProc.StdoutPipe()
	if err != nil {
		return err
	}
	if err := esProc.Start(); err != nil {
		return err
	}
	defer func() {
		_ = esProc.Process.Kill()
		_ = esProc.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	url := ""
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			url = u
			break
		}
	}
	if url == "" {
		return fmt.Errorf("estest did not start")
	}
	client, err := newClient(url)
	if err != nil {
		return err
	}
	fmt.Printf("syncbench: %s, GOMAXPROCS=%d, estest in a separate process\n\n", runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Printf("%-10s %-9s %12s %10s %12s %8s %s\n", "docs", "run", "seconds", "docs/s", "peak RSS", "ratio", "notes")
	var rss []int64
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		raw, err := child("-role", "raw", "-url", url, "-index", "raw", "-docs", strconv.Itoa(n))
		if err != nil {
			return err
		}
		_ = client.Request(context.Background(), "DELETE", "/raw", nil, nil)
		runtime.GC()
		sy, err := child("-role", "sync", "-url", url, "-index", "sync", "-docs", strconv.Itoa(n))
		if err != nil {
			return err
		}
		rawRate := float64(n) / raw.Seconds
		syncRate := float64(n) / sy.Seconds
		fmt.Printf("%-10d %-9s %12.2f %10.0f %10.1fMB %8s %s\n", n, "raw bulk", raw.Seconds, rawRate, mb(raw.MaxRSS), "1.00", "ceiling")
		fmt.Printf("%-10d %-9s %12.2f %10.0f %10.1fMB %8.2f %s\n", n, "sync", sy.Seconds, syncRate, mb(sy.MaxRSS), syncRate/rawRate, sy.Extra)
		diff, err := child("-role", "sync", "-url", url, "-index", "sync", "-docs", strconv.Itoa(n))
		if err != nil {
			return err
		}
		fmt.Printf("%-10d %-9s %12.2f %10.0f %10.1fMB %8.2f %s\n", n, "re-sync", diff.Seconds, float64(n)/diff.Seconds, mb(diff.MaxRSS), (float64(n)/diff.Seconds)/rawRate, "index already holds the documents: "+diff.Extra)
		_ = client.Request(context.Background(), "DELETE", "/sync", nil, nil)
		rss = append(rss, sy.MaxRSS, diff.MaxRSS)
	}
	if len(rss) >= 4 {
		fmt.Printf("\npeak RSS growth from the first to the last size: %.1f%%\n", (float64(max(rss[len(rss)-1], rss[len(rss)-2]))/float64(max(rss[0], rss[1]))-1)*100)
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1024 * 1024) }
