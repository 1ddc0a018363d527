// Package metrics exposes the service's Prometheus metrics and its health
// endpoints. A nil *Metrics is valid and records nothing, so code paths
// (tests, one-shot commands) need not care whether metrics are served.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors.
type Metrics struct {
	reg        *prometheus.Registry
	jobs       *prometheus.CounterVec
	running    *prometheus.GaugeVec
	duration   *prometheus.HistogramVec
	indexed    prometheus.Counter
	deleted    prometheus.Counter
	failed     prometheus.Counter
	loopErrors *prometheus.CounterVec
	esUp       prometheus.Gauge
	instance   *prometheus.GaugeVec
	lostJobs   *prometheus.CounterVec
	ready      atomic.Bool
}

// New registers the collectors in a registry of their own.
func New(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connectors_sync_jobs_total", Help: "Sync jobs that ended, by type and final status.",
		}, []string{"job_type", "status"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "connectors_sync_jobs_running", Help: "Sync jobs running in this process.",
		}, []string{"job_type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "connectors_sync_job_duration_seconds", Help: "Duration of sync jobs.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}, []string{"job_type"}),
		indexed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "connectors_documents_indexed_total", Help: "Documents written to Elasticsearch by finished jobs.",
		}),
		deleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "connectors_documents_deleted_total", Help: "Documents deleted from Elasticsearch by finished jobs.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "connectors_documents_failed_total", Help: "Documents Elasticsearch refused for good.",
		}),
		loopErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connectors_service_loop_errors_total", Help: "Errors of the service loops.",
		}, []string{"service"}),
		esUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "connectors_elasticsearch_available", Help: "1 while Elasticsearch answers this process, 0 during an outage.",
		}),
		instance: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "connectors_instance_info", Help: "Names this process among the service instances (always 1).",
		}, []string{"instance_name", "hostname"}),
		lostJobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connectors_sync_jobs_worker_lost_total", Help: "Jobs this process found without a live worker, by what it made of them (suspended to resume, canceled, error).",
		}, []string{"outcome"}),
	}
	m.esUp.Set(1)
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "connectors_build_info", Help: "Version of the running service."}, []string{"version"})
	build.WithLabelValues(version).Set(1)
	reg.MustRegister(m.jobs, m.running, m.duration, m.indexed, m.deleted, m.failed, m.loopErrors, m.esUp, m.instance, m.lostJobs, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// JobStarted counts a running job.
func (m *Metrics) JobStarted(jobType string) {
	if m != nil {
		m.running.WithLabelValues(jobType).Inc()
	}
}

// JobEnded records a finished job.
func (m *Metrics) JobEnded(jobType, status string, took time.Duration, indexed, deleted, failed int64) {
	if m == nil {
		return
	}
	m.running.WithLabelValues(jobType).Dec()
	m.jobs.WithLabelValues(jobType, status).Inc()
	m.duration.WithLabelValues(jobType).Observe(took.Seconds())
	m.indexed.Add(float64(indexed))
	m.deleted.Add(float64(deleted))
	m.failed.Add(float64(failed))
}

// LoopError counts an error of a service loop.
func (m *Metrics) LoopError(service string) {
	if m != nil {
		m.loopErrors.WithLabelValues(service).Inc()
	}
}

// SetInstance records this process's instance name and host.
func (m *Metrics) SetInstance(name, hostname string) {
	if m != nil {
		m.instance.Reset()
		m.instance.WithLabelValues(name, hostname).Set(1)
	}
}

// SetESAvailable records whether Elasticsearch answers.
func (m *Metrics) SetESAvailable(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.esUp.Set(1)
	} else {
		m.esUp.Set(0)
	}
}

// WorkerLost counts a job found without a live worker.
func (m *Metrics) WorkerLost(outcome string) {
	if m != nil {
		m.lostJobs.WithLabelValues(outcome).Inc()
	}
}

// SetReady marks the service ready (preflight passed, loops started).
func (m *Metrics) SetReady(ok bool) {
	if m != nil {
		m.ready.Store(ok)
	}
}

// Handler serves /metrics, /healthz (the process is up) and /readyz (the
// service passed preflight and is working).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !m.ready.Load() {
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// Serve listens on addr until ctx ends.
func (m *Metrics) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return m.ServeListener(ctx, ln)
}

// ServeListener serves on a listener already bound (so that the caller
// knows the address answers before it goes on) until ctx ends.
func (m *Metrics) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
