package service

import (
	"context"
	"errors"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/metrics"
)

// esUnavailable reports errors that say Elasticsearch cannot serve us right
// now rather than that a request was wrong: no connection, a timeout, an
// overloaded or restarting node (429, 5xx), or credentials refused (401,
// which a restarting cluster answers until its security index is back, and
// which a revoked key answers until it is replaced). None of these is
// fixed by stopping the service.
func esUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ce *es.ConnError
	if errors.As(err, &ce) {
		return true
	}
	switch es.StatusOf(err) {
	case 401, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// availability is this process's view of whether Elasticsearch answers,
// shared by the loops and the running jobs. It logs each change of state
// once, drives /readyz, and counts outages, so that the cleanup loop never
// takes a job for dead from what it saw before an outage (its worker could
// not report during it either).
type availability struct {
	log     *slog.Logger
	metrics *metrics.Metrics
	now     func() time.Time

	mu      gosync.Mutex
	down    bool
	since   time.Time // when the current state began
	outages uint64
}

// failed records an error of a call to Elasticsearch that began at started.
// A call that began before Elasticsearch was last seen answering says
// nothing new (it may have been retrying through the end of an outage).
func (a *availability) failed(err error, started time.Time) {
	if !esUnavailable(err) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down || started.Before(a.since) {
		return
	}
	a.down, a.since = true, a.now()
	a.outages++
	a.metrics.SetESAvailable(false)
	a.metrics.SetReady(false)
	a.log.Error("Elasticsearch is unavailable; the service keeps running, reports not ready and retries with backoff", "error", err.Error())
}

// answered records that work begun at started went through. Work begun
// before the outage was noticed says nothing about its end (it may have
// swallowed errors of its own after its first request succeeded).
func (a *availability) answered(started time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.down || started.Before(a.since) {
		return
	}
	now := a.now()
	a.log.Info("Elasticsearch answers again; the service is ready", "unavailable_for", now.Sub(a.since).Round(time.Millisecond).String())
	a.down, a.since = false, now
	a.metrics.SetESAvailable(true)
	a.metrics.SetReady(true)
}

// watcher feeds the client's view of each call into this one.
func (a *availability) watcher() es.AvailabilityWatcher {
	return es.AvailabilityWatcher{Unavailable: a.failed, Answered: a.answered}
}

// state returns whether Elasticsearch is down and how many outages this
// process has seen.
func (a *availability) state() (down bool, outages uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.down, a.outages
}

func (s *Service) esFailed(err error, started time.Time) { s.avail.failed(err, started) }

// maxOutageBackoff caps how long a loop waits between tries while
// Elasticsearch is unavailable, so that the service notices its return
// within seconds.
const maxOutageBackoff = 10 * time.Second
