package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/protocol"
)

func TestRunJobRunsOneJobInTheCaller(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode, "c1")
			s := e.service("one-shot", nil)
			e.createDirConnector(s, "c1", "search-once", writeFiles(t, 5))
			id := e.startJob("c1", protocol.JobFull)

			res, err := s.RunJob(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != protocol.JobCompleted || res.Stats.IndexedDocumentCount != 5 {
				t.Fatalf("result %s, indexed %d (%s)", res.Status, res.Stats.IndexedDocumentCount, res.Error)
			}
			j := e.job(id)
			if j.Status != protocol.JobCompleted || deref(j.WorkerHostname) != "one-shot" || j.IndexedDocumentCount != 5 {
				t.Fatalf("stored job %s on %s, indexed %d", j.Status, deref(j.WorkerHostname), j.IndexedDocumentCount)
			}

			// A finished job cannot be run again.
			var nc *protocol.NotClaimableError
			if _, err := s.RunJob(context.Background(), id); !errors.As(err, &nc) {
				t.Fatalf("second run: %v, want NotClaimableError", err)
			}
		})
	}
}

func TestRunJobSuspendsWhenTheCallerStops(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI)
	s := e.service("h", withSlow(10*time.Millisecond, 100000))
	e.createSlowConnector(s, "c1")
	id := e.startJob("c1", protocol.JobFull)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan protocol.JobResult, 1)
	go func() {
		res, err := s.RunJob(ctx, id)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	e.waitJob(id, 10*time.Second, protocol.JobInProgress)
	cancel()
	select {
	case res := <-done:
		if res.Status != protocol.JobSuspended {
			t.Fatalf("result %s (%s), want suspended", res.Status, res.Error)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunJob did not return after its context ended")
	}
	if j := e.job(id); j.Status != protocol.JobSuspended {
		t.Fatalf("stored job is %s", j.Status)
	}
}
