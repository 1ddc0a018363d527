package sync

import (
	"net/http/httptest"
	"testing"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/faultproxy"
)

// behindProxy returns a client that reaches srvURL through a fault proxy.
func behindProxy(t *testing.T, srvURL string, mix faultproxy.Mix) (*es.Client, *faultproxy.Proxy) {
	t.Helper()
	p, err := faultproxy.New(srvURL, mix, 42)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	cfg := config.Default().Elasticsearch
	cfg.Host = front.URL
	cfg.RetryInterval = 0.01
	budget := 10.0
	cfg.RetryBudget = &budget
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return client, p
}

// TestLostBulkAnswersCountOnce cuts a third of the _bulk answers after the
// cluster applied them: the re-sent requests find their documents already
// written or deleted, and every document is still counted exactly once.
func TestLostBulkAnswersCountOnce(t *testing.T) {
	srv, direct := newES(t)
	client, proxy := behindProxy(t, srv.URL(), faultproxy.Mix{Cut: 0.33, Only: "/_bulk"})
	e, err := run(t, client, Spec{Source: &fakeSource{n: 600}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := e.Counters()
	if p := e.Progress(); p.Indexed != 600 || count(t, direct, "search-test") != 600 {
		t.Fatalf("first sync: progress %+v, counters %v", p, c)
	}
	if c["bulk_requests_repeated"] == 0 || proxy.Stats().Cut == 0 {
		t.Fatalf("no bulk answer was lost (proxy %s, counters %v): the test proves nothing", proxy.Stats(), c)
	}

	skip := map[int]bool{}
	for i := 0; i < 600; i += 10 {
		skip[i] = true
	}
	e, err = run(t, client, Spec{Source: &fakeSource{n: 600, skip: skip}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c = e.Counters()
	if p := e.Progress(); p.Indexed != 540 || p.Deleted != 60 || count(t, direct, "search-test") != 540 {
		t.Fatalf("second sync: progress %+v, counters %v", p, c)
	}
	if c["deletes_of_missing_docs"] != 0 {
		t.Fatalf("deletes re-sent after a lost answer were counted as deletes of missing documents: %v", c)
	}
}

// TestLostScanPagesDeleteEverythingStale cuts answers of the stale-document
// scan: a lost page must be fetched again, or its stale documents stay. The
// scan's requests are sequential and the only ones the proxy considers, so
// the seed fixes which of them are cut.
func TestLostScanPagesDeleteEverythingStale(t *testing.T) {
	srv, direct := newES(t)
	if _, err := run(t, direct, Spec{Source: &fakeSource{n: 2500}}, nil); err != nil {
		t.Fatal(err)
	}
	client, proxy := behindProxy(t, srv.URL(), faultproxy.Mix{Cut: 0.5, Only: "/_search"})
	skip := map[int]bool{}
	for i := 0; i < 2500; i += 5 {
		skip[i] = true
	}
	e, err := run(t, client, Spec{Source: &fakeSource{n: 2500, skip: skip}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := e.Progress(); p.Deleted != 500 || count(t, direct, "search-test") != 2000 {
		t.Fatalf("progress %+v, index holds %d, proxy %s", p, count(t, direct, "search-test"), proxy.Stats())
	}
	if proxy.Stats().Cut == 0 {
		t.Fatalf("no scan answer was lost: %s", proxy.Stats())
	}
	t.Logf("proxy: %s", proxy.Stats())
}
