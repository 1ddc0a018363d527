package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	m := New("9.6.0")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("readyz before ready: %d", code)
	}
	m.SetReady(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("readyz: %d", code)
	}
	m.JobStarted("full")
	m.JobEnded("full", "completed", 3*time.Second, 10, 2, 1)
	m.LoopError("job_scheduling_service")
	_, body := get("/metrics")
	for _, want := range []string{
		`connectors_sync_jobs_total{job_type="full",status="completed"} 1`,
		`connectors_documents_indexed_total 10`,
		`connectors_documents_failed_total 1`,
		`connectors_sync_jobs_running{job_type="full"} 0`,
		`connectors_service_loop_errors_total{service="job_scheduling_service"} 1`,
		`connectors_build_info{version="9.6.0"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	var nilM *Metrics
	nilM.JobStarted("full") // must not panic
}
