// Package ftest is the functional-test harness behind `make ftest`: for one source it starts the
// source's backend and an Elasticsearch, loads a deterministic data set, creates the connector
// through the protocol, runs the service binary as a separate process, syncs, checks the index
// document by document, changes the source, syncs again and checks again, and measures the service
// process (wall time, CPU, peak RSS) while it does.
//
// A source plugs in with a [Fixture] registered from internal/ftest/fixtures/<service type>.go and
// nothing else; docs/testing.md explains how.
package ftest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Size is a DATA_SIZE: how much data a fixture loads.
type Size string

// The data sizes. CI runs Small; Medium is the size performance figures are quoted at. XLarge
// exists for memory-growth measurements and a fixture may refuse it.
const (
	Small  Size = "small"
	Medium Size = "medium"
	Large  Size = "large"
	XLarge Size = "xlarge"
)

// Sizes lists the sizes in increasing order.
var Sizes = []Size{Small, Medium, Large, XLarge}

// ParseSize reads a DATA_SIZE.
func ParseSize(s string) (Size, error) {
	for _, z := range Sizes {
		if strings.EqualFold(s, string(z)) {
			return z, nil
		}
	}
	return "", fmt.Errorf("DATA_SIZE %q is not one of small, medium, large, xlarge", s)
}

// Fixture is everything a source gives the harness. Implementations are stateless values: the
// harness calls Load, then Mutate, then Clean on one run's [Env].
type Fixture interface {
	// ServiceType is the source's service type, the NAME of `make ftest NAME=...`.
	ServiceType() string

	// Backend names the server the source reads from: scripts/backends/<Backend.Name>.sh, started
	// through internal/testbackend (or taken from the environment when CI exported its values).
	// A zero Backend means the source needs no server (dir reads the local file system).
	Backend() Backend

	// Load writes the data set of env.Size into the backend and returns the connector's
	// configuration and what the first (full) sync must produce. The data must be deterministic:
	// the same size gives the same documents, ids and field values on every run. Load starts
	// from whatever an earlier, interrupted run left behind, so it replaces rather than adds.
	Load(ctx context.Context, env *Env) (*Setup, error)

	// Mutate changes the data after the first sync — adds, modifies and removes items — and
	// returns what the second (full) sync must produce.
	Mutate(ctx context.Context, env *Env) (*Expect, error)

	// Clean removes what Load and Mutate created in the backend. It is called after every run
	// that called Load, passed or failed; env.Dir is removed by the harness.
	Clean(ctx context.Context, env *Env) error
}

// Backend is a source's test server.
type Backend struct {
	// Name is the script's name: scripts/backends/<Name>.sh.
	Name string
	// Keys are the KEY=VALUE names its start prints that the fixture reads (env.Backend).
	Keys []string
}

// Env is one run's context, the same value for Load, Mutate and Clean.
type Env struct {
	Size Size
	// Backend holds the values the backend's start script printed (the Keys asked for).
	Backend map[string]string
	// Dir is an empty scratch folder for this run (a dir fixture's files, a dump to load);
	// the harness removes it afterwards.
	Dir string
	// Logf reports progress (data generation, loading) on the harness's output.
	Logf func(format string, args ...any)
}

// Setup is what Load returns.
type Setup struct {
	// Config holds the connector's configuration values by field key, as a user would enter them
	// in Kibana (the _connector/<id>/_configuration API's "values"). Fields not given keep their
	// defaults from the source's schema.
	Config map[string]any
	// Expect is what the first sync must produce.
	Expect Expect
	// Limits, when set, replace the harness's default limits for this size (see [Limits]).
	Limits *Limits
	// Env holds environment variables for the service process, for sources whose endpoint
	// the original's functional tests override that way (GITLAB_FTEST_HOST).
	Env map[string]string
}

// Expect is what one full sync must leave in the index and report in its job.
type Expect struct {
	// Count is the number of documents the source lists, which is the number the index holds
	// after the sync and the job's indexed_document_count.
	Count int
	// Created is how many of them are new to the index (the first sync: Count). The rest are
	// updates: a full sync rewrites every document it lists. So a second sync expects
	// Created = items added, and Count - Created updates.
	Created int
	// Deleted is how many documents the sync removes from the index (items removed from the
	// source since the previous sync).
	Deleted int
	// Docs is the sample checked field by field: by _id, the fields the indexed _source must
	// hold with exactly these values, compared as JSON the way the service encodes them: a Go
	// float64 must come back as a float literal (3.0) and an integer as an integer literal,
	// since that decides the field's dynamic mapping; strings, lists and objects must match
	// exactly. Fields not named are not checked. Include documents from the start, middle and
	// end of the data set (see [Spread]), and in a second sync modified and added ones.
	Docs map[string]map[string]any
	// Absent are _ids that must not be in the index (items removed before this sync).
	Absent []string
}

// Limits are the pass/fail bounds of one sync of the service process.
type Limits struct {
	// MaxRSSBytes bounds the service's peak resident set size during a sync; 0 means no bound.
	MaxRSSBytes int64
	// MaxDuration bounds the sync's duration (the job's started_at to completed_at); 0 means no
	// bound.
	MaxDuration time.Duration
}

var (
	regMu    sync.Mutex
	registry = map[string]Fixture{}
)

// Register adds a fixture; call it from an init function. Registering a service type twice
// panics.
func Register(f Fixture) {
	regMu.Lock()
	defer regMu.Unlock()
	name := f.ServiceType()
	if _, dup := registry[name]; dup {
		panic("ftest: fixture " + name + " registered twice")
	}
	registry[name] = f
}

// Lookup returns the fixture of a service type.
func Lookup(serviceType string) (Fixture, error) {
	regMu.Lock()
	defer regMu.Unlock()
	f, ok := registry[serviceType]
	if !ok {
		names := make([]string, 0, len(registry))
		for n := range registry {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no ftest fixture for NAME=%s (fixtures: %s)", serviceType, strings.Join(names, ", "))
	}
	return f, nil
}

// Names lists the registered service types in order.
func Names() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
