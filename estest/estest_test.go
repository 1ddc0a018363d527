package estest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/estest/conformance"
	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v9/esapi"
)

func start(t testing.TB, opts estest.Options) *estest.Server {
	t.Helper()
	srv := estest.New(opts)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestConformanceInProcess(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts estest.Options
		cfg  conformance.Config
	}{
		{"9.x", estest.Options{}, conformance.Config{}},
		{"8.x", estest.Options{Version: "8.19.3"}, conformance.Config{}},
		{"auth", estest.Options{Users: map[string]string{"elastic": "changeme"}},
			conformance.Config{User: "elastic", Password: "changeme", AuthEnabled: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "9.x" {
				t.Skip("short mode runs one configuration")
			}
			srv := start(t, tc.opts)
			tc.cfg.URL = srv.URL()
			conformance.Run(t, tc.cfg)
		})
	}
}

// TestConformanceRealCluster runs the suite against a real cluster when ES_URL is set.
func TestConformanceRealCluster(t *testing.T) {
	u := os.Getenv("ES_URL")
	if u == "" {
		t.Skip("ES_URL not set")
	}
	cfg := conformance.Config{URL: u, User: os.Getenv("ES_USER"), Password: os.Getenv("ES_PASSWORD"), APIKey: os.Getenv("ES_API_KEY")}
	cfg.AuthEnabled = cfg.User != "" || cfg.APIKey != ""
	// ES_CONFORMANCE_SKIP lists groups the cluster cannot run, e.g. the
	// Maven-built node of scripts/es-up.sh lacks the connector API.
	for _, s := range strings.Split(os.Getenv("ES_CONFORMANCE_SKIP"), ",") {
		if s = strings.TrimSpace(s); s == "Connector" {
			cfg.SkipConnectorAPI = true
		} else if s != "" {
			cfg.Skip = append(cfg.Skip, s)
		}
	}
	conformance.Run(t, cfg)
}

func do(t *testing.T, method, u, body string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, res.Header, m
}

func TestFaultInjection(t *testing.T) {
	srv := start(t, estest.Options{})
	u := srv.URL()
	tests := []struct {
		name  string
		fault estest.Fault
		check func(t *testing.T)
	}{
		{"status for next request only", estest.Fault{Method: "GET", Path: "/", Count: 1, Status: 503}, func(t *testing.T) {
			st, _, body := do(t, "GET", u+"/", "")
			if st != 503 || body["error"].(map[string]any)["type"] != "cluster_block_exception" {
				t.Errorf("first request: %d %v", st, body)
			}
			if st, _, _ := do(t, "GET", u+"/", ""); st != 200 {
				t.Errorf("second request: %d", st)
			}
		}},
		{"429 with custom reason on a path pattern", estest.Fault{Path: "/*/_search", Count: 2, Status: 429, Reason: "slow down"}, func(t *testing.T) {
			for i := 0; i < 2; i++ {
				st, _, body := do(t, "POST", u+"/x/_search", "{}")
				e := body["error"].(map[string]any)
				if st != 429 || e["type"] != "es_rejected_execution_exception" || e["reason"] != "slow down" {
					t.Errorf("request %d: %d %v", i, st, body)
				}
			}
			if st, _, _ := do(t, "GET", u+"/", ""); st != 200 {
				t.Errorf("unmatched path affected: %d", st)
			}
		}},
		{"delay", estest.Fault{Path: "/", Count: 1, Delay: estest.Duration(150 * time.Millisecond)}, func(t *testing.T) {
			start := time.Now()
			do(t, "GET", u+"/", "")
			if time.Since(start) < 150*time.Millisecond {
				t.Errorf("no delay")
			}
		}},
		{"dropped connection", estest.Fault{Path: "/", Count: 1, Drop: true}, func(t *testing.T) {
			req, _ := http.NewRequest("GET", u+"/", nil)
			tr := &http.Transport{DisableKeepAlives: true}
			if _, err := (&http.Client{Transport: tr}).Do(req); err == nil {
				t.Errorf("expected a transport error")
			}
		}},
		{"bulk items by id and every k-th", estest.Fault{Count: 1, BulkItems: &estest.BulkItemFault{IDs: []string{"b"}, Every: 3, Status: 429}}, func(t *testing.T) {
			var b strings.Builder
			for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
				fmt.Fprintf(&b, `{"index":{"_index":"faulty","_id":"%s"}}`+"\n{}\n", id)
			}
			st, _, body := do(t, "POST", u+"/_bulk", b.String())
			if st != 200 || body["errors"] != true {
				t.Fatalf("bulk: %d %v", st, body)
			}
			var failed []string
			for _, it := range body["items"].([]any) {
				x := it.(map[string]any)["index"].(map[string]any)
				if x["status"].(float64) == 429 {
					failed = append(failed, x["_id"].(string))
				}
			}
			if strings.Join(failed, ",") != "b,c,f" {
				t.Errorf("failed items %v, want b,c,f", failed)
			}
			st, _, got := do(t, "GET", u+"/faulty/_doc/b", "")
			if st != 404 || got["found"] != false {
				t.Errorf("a failed item must not be written: %d %v", st, got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.Faults().Clear()
			srv.Faults().Add(tc.fault)
			tc.check(t)
		})
	}
	t.Run("http control endpoint", func(t *testing.T) {
		srv.Faults().Clear()
		st, _, body := do(t, "POST", u+"/_estest/faults", `{"method":"PUT","path":"/ctl/**","count":1,"status":500,"delay":"10ms"}`)
		if st != 200 || body["acknowledged"] != true {
			t.Fatalf("add fault: %d %v", st, body)
		}
		if st, _, _ := do(t, "PUT", u+"/ctl/_doc/1", `{"a":1}`); st != 500 {
			t.Errorf("fault not applied: %d", st)
		}
		if st, _, _ := do(t, "PUT", u+"/ctl/_doc/1", `{"a":1}`); st != 201 {
			t.Errorf("fault not consumed: %d", st)
		}
		do(t, "POST", u+"/_estest/faults", `{"status":418}`)
		if _, _, l := do(t, "GET", u+"/_estest/faults", ""); len(l["faults"].([]any)) != 1 {
			t.Errorf("list: %v", l)
		}
		do(t, "DELETE", u+"/_estest/faults", "")
		if st, _, _ := do(t, "GET", u+"/", ""); st != 200 {
			t.Errorf("faults not cleared: %d", st)
		}
		if st, _, _ := do(t, "POST", u+"/_estest/faults", `{"stauts":1}`); st != 400 {
			t.Errorf("unknown fault field accepted: %d", st)
		}
	})
}

func TestProductOriginRequired(t *testing.T) {
	srv := start(t, estest.Options{RequireProductOrigin: true})
	u := srv.URL()
	for _, tc := range []struct {
		name   string
		method string
		path   string
		origin string
		want   int
	}{
		{"create with origin", "PUT", "/.elastic-connectors-v1", "connectors", 200},
		{"read without origin", "GET", "/.elastic-connectors/_doc/x", "", 400},
		{"search without origin", "POST", "/.elastic-connectors/_search", "", 400},
		{"read with kibana origin", "GET", "/.elastic-connectors/_doc/x", "kibana", 404},
		{"other index unaffected", "GET", "/other?ignore_unavailable=true", "", 200},
		{"connector API needs no origin", "PUT", "/_connector/c1", "", 201},
		{"and its documents need it", "GET", "/.elastic-connectors/_doc/c1", "", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.origin != "" {
				hdr = []string{"X-elastic-product-origin", tc.origin}
			}
			st, _, body := do(t, tc.method, u+tc.path, "", hdr...)
			if st != tc.want {
				t.Errorf("%s %s: %d, want %d (%v)", tc.method, tc.path, st, tc.want, body)
			}
		})
	}
}

func TestVersion8RejectsCompatibleWith9(t *testing.T) {
	srv := start(t, estest.Options{Version: "8.19.3"})
	for _, tc := range []struct {
		accept string
		want   int
	}{
		{"application/vnd.elasticsearch+json;compatible-with=9", 400},
		{"application/vnd.elasticsearch+json;compatible-with=8", 200},
		{"application/vnd.elasticsearch+json;compatible-with=7", 200},
		{"application/json", 200},
	} {
		if st, _, _ := do(t, "GET", srv.URL()+"/", "", "Accept", tc.accept); st != tc.want {
			t.Errorf("Accept %s: %d, want %d", tc.accept, st, tc.want)
		}
	}
}

func TestLicenseAndFlavor(t *testing.T) {
	for _, tc := range []struct {
		opts        estest.Options
		typ, status string
		flavor      string
	}{
		{estest.Options{}, "trial", "active", "default"},
		{estest.Options{License: "basic", BuildFlavor: "serverless"}, "basic", "active", "serverless"},
		{estest.Options{License: "platinum", LicenseExpired: true}, "platinum", "expired", "default"},
	} {
		srv := start(t, tc.opts)
		_, _, l := do(t, "GET", srv.URL()+"/_license", "")
		lic := l["license"].(map[string]any)
		if lic["type"] != tc.typ || lic["status"] != tc.status {
			t.Errorf("licence %v, want %s/%s", lic, tc.typ, tc.status)
		}
		_, _, info := do(t, "GET", srv.URL()+"/", "")
		if f := info["version"].(map[string]any)["build_flavor"]; f != tc.flavor {
			t.Errorf("flavor %v, want %s", f, tc.flavor)
		}
	}
}

func TestConfiguredAPIKey(t *testing.T) {
	srv := start(t, estest.Options{APIKeys: []string{"kid:secret"}})
	enc := "a2lkOnNlY3JldA==" // base64("kid:secret")
	if st, _, _ := do(t, "GET", srv.URL()+"/", ""); st != 401 {
		t.Errorf("anonymous request: %d", st)
	}
	st, _, body := do(t, "GET", srv.URL()+"/_security/_authenticate", "", "Authorization", "ApiKey "+enc)
	if st != 200 || body["authentication_type"] != "api_key" {
		t.Errorf("api key auth: %d %v", st, body)
	}
}

// TestGoElasticsearchClient drives estest with the client the service uses: esapi over a bare
// elastictransport client with gzip compression, as the service configures it (plain JSON:
// esapi sets Content-Type per request, and a vendor Accept alone would be refused for requests
// with a body, as Elasticsearch does).
func TestGoElasticsearchClient(t *testing.T) {
	srv := start(t, estest.Options{Users: map[string]string{"elastic": "changeme"}})
	u, _ := url.Parse(srv.URL())
	hdr := http.Header{}
	hdr.Set("X-elastic-product-origin", "connectors")
	tp, err := elastictransport.NewClient(elastictransport.WithURLs(u), elastictransport.WithBasicAuth("elastic", "changeme"),
		elastictransport.WithCompression(), elastictransport.WithHeader(hdr))
	if err != nil {
		t.Fatal(err)
	}
	es := esapi.New(tp)
	ctx := context.Background()
	check := func(res *esapi.Response, err error, want int, what string) map[string]any {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer res.Body.Close()
		if res.StatusCode != want {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("%s: status %d, want %d: %s", what, res.StatusCode, want, b)
		}
		if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("%s: product header missing", what)
		}
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return m
	}
	res0, err0 := es.Info(es.Info.WithContext(ctx))
	check(res0, err0, 200, "info")
	res, err := es.Indices.Exists([]string{".elastic-connectors-v1"})
	check(res, err, 404, "exists")
	res, err = es.Indices.Create(".elastic-connectors-v1")
	check(res, err, 200, "create system index without body")
	res, err = es.Index(".elastic-connectors", strings.NewReader(`{"name":"c","status":"created","is_native":false}`), es.Index.WithDocumentID("c1"))
	m := check(res, err, 201, "index connector doc")
	seq := int64(m["_seq_no"].(float64))
	res, err = es.Update(".elastic-connectors", "c1", strings.NewReader(`{"doc":{"status":"connected"}}`), es.Update.WithIfSeqNo(seq), es.Update.WithIfPrimaryTerm(1))
	check(res, err, 200, "CAS update")
	res, err = es.Update(".elastic-connectors", "c1", strings.NewReader(`{"doc":{"status":"error"}}`), es.Update.WithIfSeqNo(seq), es.Update.WithIfPrimaryTerm(1))
	m = check(res, err, 409, "stale CAS update")
	if m["error"].(map[string]any)["type"] != "version_conflict_engine_exception" {
		t.Errorf("stale CAS: %v", m)
	}
	res, err = es.Index(".elastic-connectors", strings.NewReader(`{"unknown_field":1}`))
	m = check(res, err, 400, "strict connectors mapping")
	if m["error"].(map[string]any)["type"] != "strict_dynamic_mapping_exception" {
		t.Errorf("strict mapping: %v", m)
	}
	var bulk bytes.Buffer
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&bulk, `{"index":{"_index":"search-content","_id":"%d"}}`+"\n"+`{"title":"doc %d","_extract_binary_content":false,"_reduce_whitespace":true,"body":" a  b "}`+"\n", i, i)
	}
	res, err = es.Bulk(&bulk, es.Bulk.WithPipeline("search-default-ingestion"))
	m = check(res, err, 200, "bulk with pipeline")
	if m["errors"] != false {
		t.Fatalf("bulk errors: %v", m)
	}
	res, err = es.Indices.Refresh(es.Indices.Refresh.WithIndex("search-content"), es.Indices.Refresh.WithIgnoreUnavailable(true))
	check(res, err, 200, "refresh")
	res, err = es.Count(es.Count.WithIndex("search-content"))
	if m = check(res, err, 200, "count"); m["count"].(float64) != 50 {
		t.Errorf("count %v", m["count"])
	}
	res, err = es.Search(es.Search.WithIndex("search-content"), es.Search.WithScroll(time.Minute),
		es.Search.WithBody(strings.NewReader(`{"sort":"_doc","_source":["id","_timestamp"],"size":20}`)))
	m = check(res, err, 200, "scroll open")
	seen := len(m["hits"].(map[string]any)["hits"].([]any))
	sid := m["_scroll_id"].(string)
	for {
		res, err = es.Scroll(es.Scroll.WithScrollID(sid), es.Scroll.WithScroll(time.Minute))
		m = check(res, err, 200, "scroll next")
		n := len(m["hits"].(map[string]any)["hits"].([]any))
		if n == 0 {
			break
		}
		seen += n
	}
	if seen != 50 {
		t.Errorf("scroll saw %d docs", seen)
	}
	res, err = es.ClearScroll(es.ClearScroll.WithScrollID(sid))
	check(res, err, 200, "clear scroll")
	res, err = es.Get("search-content", "7")
	m = check(res, err, 200, "get")
	if body := m["_source"].(map[string]any)["body"]; body != "a b" {
		t.Errorf("pipeline body %q", body)
	}
	res, err = es.License.Get()
	check(res, err, 200, "license")
	res, err = es.Security.CreateAPIKey(strings.NewReader(`{"name":"k"}`))
	m = check(res, err, 200, "create api key")
	if m["encoded"] == "" {
		t.Errorf("api key: %v", m)
	}
}

func TestConcurrentWrites(t *testing.T) {
	srv := start(t, estest.Options{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/conc/_doc/%d-%d", srv.URL(), w, i), strings.NewReader(`{"w":1}`))
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}
		}(w)
	}
	wg.Wait()
	_, _, m := do(t, "POST", srv.URL()+"/conc/_refresh", "")
	_ = m
	_, _, c := do(t, "GET", srv.URL()+"/conc/_count", "")
	if c["count"].(float64) != 400 {
		t.Errorf("count %v", c["count"])
	}
}

// TestMemoryMillionDocs indexes a million 1 KiB documents through _bulk and reports the heap.
// It is skipped with -short; docs/estest.md records the figure.
func TestMemoryMillionDocs(t *testing.T) {
	if testing.Short() || os.Getenv("ESTEST_MEMORY") == "" {
		t.Skip("set ESTEST_MEMORY=1 (and drop -short) to run the one-million-document memory test")
	}
	srv := estest.New(estest.Options{})
	defer srv.Close()
	h := srv.Handler()
	pad := strings.Repeat("x", 1024-60)
	const total, batch = 1_000_000, 5000
	var buf bytes.Buffer
	for start := 0; start < total; start += batch {
		buf.Reset()
		for i := start; i < start+batch; i++ {
			fmt.Fprintf(&buf, `{"index":{"_index":"mem","_id":"doc-%07d"}}`+"\n"+`{"n":%d,"title":"document %d","pad":"%s"}`+"\n", i, i, i, pad)
		}
		req, _ := http.NewRequest("POST", "/_bulk", bytes.NewReader(buf.Bytes()))
		req.Header.Set("Content-Type", "application/x-ndjson")
		rec := &discard{h: http.Header{}}
		h.ServeHTTP(rec, req)
		if rec.code != 200 {
			t.Fatalf("bulk at %d: %d", start, rec.code)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("1,000,000 docs of ~1 KiB: HeapAlloc %.0f MiB, Sys %.0f MiB", float64(ms.HeapAlloc)/(1<<20), float64(ms.Sys)/(1<<20))
	if ms.HeapAlloc > 2<<30 {
		t.Errorf("heap %d MiB exceeds 2 GiB", ms.HeapAlloc>>20)
	}
}

type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(c int)           { d.code = c }

func BenchmarkBulk(b *testing.B) {
	srv := estest.New(estest.Options{})
	defer srv.Close()
	h := srv.Handler()
	pad := strings.Repeat("x", 900)
	var buf bytes.Buffer
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&buf, `{"index":{"_index":"bench","_id":"%d"}}`+"\n"+`{"n":%d,"pad":"%s"}`+"\n", i, i, pad)
	}
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("POST", "/_bulk", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		rec := &discard{h: http.Header{}}
		h.ServeHTTP(rec, req)
		if rec.code != 200 {
			b.Fatalf("bulk: %d", rec.code)
		}
	}
}

// TestIDWithSlash: ids holding "/" (the object stores' "container/blob" and "bucket/name") are
// sent with the slash escaped, and address one document, as in Elasticsearch.
func TestIDWithSlash(t *testing.T) {
	srv := start(t, estest.Options{})
	id := url.PathEscape("container/dir/ü b.txt")
	if st, _, m := do(t, "PUT", srv.URL()+"/ids/_doc/"+id+"?refresh=true", `{"a": 1}`); st != 201 {
		t.Fatalf("index: %d %v", st, m)
	}
	st, _, m := do(t, "GET", srv.URL()+"/ids/_doc/"+id, "")
	if st != 200 || m["_id"] != "container/dir/ü b.txt" {
		t.Fatalf("get: %d %v", st, m)
	}
	if st, _, m := do(t, "DELETE", srv.URL()+"/ids/_doc/"+id, ""); st != 200 || m["result"] != "deleted" {
		t.Fatalf("delete: %d %v", st, m)
	}
}

// BenchmarkPITScan pages through a point in time as the sync engine's scan does (sorted on
// _shard_doc, search_after, pages of 1,000): the whole index per iteration.
func BenchmarkPITScan(b *testing.B) {
	for _, n := range []int{10000, 50000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := estest.New(estest.Options{})
			defer srv.Close()
			h := srv.Handler()
			call := func(method, path, body string) map[string]any {
				req, _ := http.NewRequest(method, path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
				}
				var m map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
					b.Fatal(err)
				}
				return m
			}
			for start := 0; start < n; start += 1000 {
				var buf bytes.Buffer
				for i := start; i < start+1000; i++ {
					fmt.Fprintf(&buf, `{"index":{"_index":"scan","_id":"%d"}}`+"\n"+`{"_timestamp":"2026-12-06T00:00:00Z"}`+"\n", i)
				}
				req, _ := http.NewRequest("POST", "/_bulk?refresh=true", &buf)
				req.Header.Set("Content-Type", "application/x-ndjson")
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			for b.Loop() {
				pit := call("POST", "/scan/_pit?keep_alive=5m", "")["id"].(string)
				seen := 0
				var after []any
				for {
					body := map[string]any{"size": 1000, "_source": []string{"_timestamp"}, "sort": []any{"_shard_doc"}, "pit": map[string]any{"id": pit, "keep_alive": "5m"}}
					if after != nil {
						body["search_after"] = after
					}
					data, _ := json.Marshal(body)
					hits := call("POST", "/_search", string(data))["hits"].(map[string]any)["hits"].([]any)
					if len(hits) == 0 {
						break
					}
					seen += len(hits)
					after = hits[len(hits)-1].(map[string]any)["sort"].([]any)
				}
				if seen != n {
					b.Fatalf("scanned %d of %d", seen, n)
				}
				data, _ := json.Marshal(map[string]any{"id": pit})
				call("DELETE", "/_pit", string(data))
			}
		})
	}
}
