package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TestRetryOnOverload: FerretDB never sends MongoDB's overload signals, so the classification is
// pinned here with the errors the driver builds from such replies: an overloaded or electing
// server is retried with growing waits, a refused command is not.
func TestRetryOnOverload(t *testing.T) {
	transient := []error{
		mongo.CommandError{Code: 462, Name: "IngressRequestRateLimitExceeded", Message: "rate limited"},
		mongo.CommandError{Code: 2, Message: "overloaded", Labels: []string{"SystemOverloadedError", "RetryableError"}},
		mongo.CommandError{Code: 10107, Name: "NotWritablePrimary"},
		mongo.CommandError{Code: 91, Name: "ShutdownInProgress"},
		fmt.Errorf("reading: %w", mongo.CommandError{Code: 189, Name: "PrimarySteppedDown"}),
	}
	permanent := []error{
		mongo.CommandError{Code: 13, Name: "Unauthorized"},
		mongo.CommandError{Code: 2, Name: "BadValue"},
		context.Canceled,
	}
	for _, cause := range transient {
		s := &Source{log: slog.New(slog.DiscardHandler)}
		var waits []time.Duration
		s.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		calls := 0
		err := s.retry(context.Background(), func() error {
			calls++
			if calls < 3 {
				return cause
			}
			return nil
		})
		if err != nil || calls != 3 || len(waits) != 2 || waits[1] <= waits[0]/2 {
			t.Errorf("%v: err %v after %d calls, waits %v; want a success on the third try after two growing waits", cause, err, calls, waits)
		}
	}
	for _, cause := range permanent {
		s := &Source{log: slog.New(slog.DiscardHandler)}
		s.sleep = func(context.Context, time.Duration) error { t.Errorf("%v: retried", cause); return nil }
		calls := 0
		err := s.retry(context.Background(), func() error { calls++; return cause })
		if err == nil || err.Error() != cause.Error() || calls != 1 {
			t.Errorf("%v: err %v after %d calls; want it returned at once", cause, err, calls)
		}
	}
	// A server that stays overloaded fails after the last attempt, with its error.
	s := &Source{log: slog.New(slog.DiscardHandler), sleep: func(context.Context, time.Duration) error { return nil }}
	calls := 0
	busy := mongo.CommandError{Code: 462}
	if err := s.retry(context.Background(), func() error { calls++; return busy }); !errors.As(err, &mongo.CommandError{}) || calls != attempts {
		t.Errorf("persistent overload: %v after %d calls, want the error after %d", err, calls, attempts)
	}
}

// TestResumeAfterCursorNotFound: a cursor the server dropped (code 43, as a getMore reply and
// wrapped) resumes a whole-collection read like a cut connection; a refused command does not.
func TestResumeAfterCursorNotFound(t *testing.T) {
	for _, err := range []error{
		mongo.CommandError{Code: 43, Name: "CursorNotFound", Message: "cursor id 123 not found"},
		fmt.Errorf("getMore: %w", mongo.CommandError{Code: 43, Message: "cursor not found"}),
	} {
		if !resumeAfter(err) {
			t.Errorf("%v: not resumed", err)
		}
	}
	for _, err := range []error{
		mongo.CommandError{Code: 2, Name: "BadValue"},
		mongo.CommandError{Code: 13, Name: "Unauthorized"},
		context.Canceled,
	} {
		if resumeAfter(err) {
			t.Errorf("%v: resumed", err)
		}
	}
}
