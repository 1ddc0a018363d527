package sync

import (
	"fmt"
	"log/slog"
	gosync "sync"

	"github.com/connectors-go/connectors/connector"
)

// Parts of a listing kept for the job's metadata and logged one by one; the
// rest are only counted.
const (
	maxIncompleteKept   = 100
	maxIncompleteLogged = 20
)

// IncompletePart is one part of a listing the source could not read.
type IncompletePart struct {
	Scope string `json:"scope"`
	Error string `json:"error"`
}

// incomplete collects a job's reports of parts it could not list
// (connector.DocsRequest.ReportIncomplete).
type incomplete struct {
	log   *slog.Logger
	mu    gosync.Mutex
	count int
	parts []IncompletePart
	// deletionsSkipped: the stale-document pass would have run and did not.
	deletionsSkipped bool
}

func (in *incomplete) report(scope string, cause error) {
	if cause == nil {
		cause = fmt.Errorf("no reason given")
	}
	in.mu.Lock()
	in.count++
	n := in.count
	if len(in.parts) < maxIncompleteKept {
		in.parts = append(in.parts, IncompletePart{Scope: scope, Error: cause.Error()})
	}
	in.mu.Unlock()
	switch {
	case n <= maxIncompleteLogged:
		in.log.Warn("Part of the listing could not be read; this sync will delete no document", "scope", scope, "error", cause.Error())
	case n == maxIncompleteLogged+1:
		in.log.Warn("More parts of the listing could not be read; the job's metadata.incomplete_listing lists the first ones", "logged", maxIncompleteLogged)
	}
}

func (in *incomplete) any() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.count > 0
}

func (in *incomplete) skipDeletions() {
	in.mu.Lock()
	in.deletionsSkipped = true
	in.mu.Unlock()
}

// IncompleteListing summarises what a job could not list, for its metadata;
// nil when the listing was complete.
type IncompleteListing struct {
	Count            int              `json:"count"`
	DeletionsSkipped bool             `json:"deletions_skipped"`
	Parts            []IncompletePart `json:"parts"`
}

func (in *incomplete) summary() *IncompleteListing {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.count == 0 {
		return nil
	}
	return &IncompleteListing{Count: in.count, DeletionsSkipped: in.deletionsSkipped, Parts: append([]IncompletePart(nil), in.parts...)}
}

// IncompleteListingError ends a job whose source could not read part of its
// listing. Everything that was read has been written; nothing was deleted,
// because what could not be read is not known to be gone. The job ends in
// error so that Kibana shows it and an incremental cursor is not advanced
// past what was missed; the next complete sync catches up.
type IncompleteListingError struct {
	IncompleteListing
}

func (e *IncompleteListingError) Error() string {
	first := e.Parts[0]
	msg := (&connector.IncompleteListingError{Scope: first.Scope, Cause: fmt.Errorf("%s", first.Error)}).Error()
	if e.Count > 1 {
		msg += fmt.Sprintf(" (and %d more; see the job's metadata.incomplete_listing)", e.Count-1)
	}
	msg = "Incomplete sync: " + msg + ". Every document that could be read was indexed"
	if e.DeletionsSkipped {
		msg += ", but no document was deleted, since what could not be read is not known to be gone"
	}
	return msg + ". Fix access to what is named and sync again."
}

func (in *incomplete) err() error {
	s := in.summary()
	if s == nil {
		return nil
	}
	return &IncompleteListingError{IncompleteListing: *s}
}
