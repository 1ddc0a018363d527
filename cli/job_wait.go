package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/connectors-go/connectors/internal/protocol"
)

// ExitTimeout is job wait's status when --timeout passes before the job ends.
const ExitTimeout = 3

// waitOptions are the flags of job wait and job start --wait.
type waitOptions struct {
	enabled  bool
	timeout  time.Duration
	interval time.Duration
}

func (w *waitOptions) flags(f *pflag.FlagSet) {
	f.DurationVar(&w.timeout, "timeout", 0, "give up after this long, e.g. 30m (exit status 3); 0 waits as long as it takes")
	f.DurationVar(&w.interval, "interval", time.Second, "how often the job is read")
}

// terminal reports whether w is an interactive terminal; tests set a.tty.
func (a *App) terminal(w io.Writer) bool {
	if a.tty != nil {
		return *a.tty
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// waitJob follows a job to its end; see the help of job wait.
func (a *App) waitJob(ctx context.Context, store *protocol.Store, id string, w waitOptions) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	if w.interval <= 0 {
		w.interval = time.Second
	}
	// With JSON on stdout, progress goes to stderr so stdout stays one document.
	out := a.Stdout
	if asJSON {
		out = a.Stderr
	}
	live := a.terminal(out)
	var deadline <-chan time.Time
	if w.timeout > 0 {
		t := time.NewTimer(w.timeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	var last string
	failures := 0
	for {
		j, err := store.GetJob(ctx, id)
		switch {
		case errors.Is(err, protocol.ErrNotFound):
			return fmt.Errorf("sync job %s not found", id)
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A wait may span a cluster restart: keep going, but say so.
			failures++
			if failures == 1 || failures%30 == 0 {
				fmt.Fprintf(a.Stderr, "Cannot read sync job %s (%v); still waiting\n", id, err)
			}
		default:
			failures = 0
			line := progressLine(j, time.Now())
			switch {
			case live:
				fmt.Fprintf(out, "\r\x1b[K%s", line)
			case stateOf(j) != last:
				fmt.Fprintln(out, line)
			}
			last = stateOf(j)
			if j.Status.Terminal() {
				if live {
					fmt.Fprintln(out)
				}
				if err := a.printJob(j, asJSON); err != nil {
					return err
				}
				if j.Status == protocol.JobCompleted {
					return nil
				}
				fmt.Fprintf(a.Stderr, "Sync job %s ended %s\n", id, j.Status)
				return &exitError{code: ExitError}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			if live {
				fmt.Fprintln(out)
			}
			status := "in an unknown state"
			if j != nil {
				status = string(j.Status)
			}
			fmt.Fprintf(a.Stderr, "Gave up waiting for sync job %s after %s: it is still %s\n", id, w.timeout, status)
			return &exitError{code: ExitTimeout}
		case <-tick.C:
		}
	}
}

// stateOf is what makes a plain progress line worth printing again.
func stateOf(j *protocol.Job) string {
	return fmt.Sprintf("%s %d %d", j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount)
}

// progressLine is one line about a job: status, counts, rate, elapsed time.
func progressLine(j *protocol.Job, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Sync job %s %s: %d documents indexed, %d deleted", j.ID, j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount)
	since, ok := timeOf(j.StartedAt)
	if !ok {
		since, ok = timeOf(j.CreatedAt)
	}
	if end, done := timeOf(j.CompletedAt); done && j.Status.Terminal() {
		now = end
	}
	if ok && now.After(since) {
		elapsed := now.Sub(since)
		if j.StartedAt != nil && elapsed >= time.Second && j.IndexedDocumentCount > 0 {
			fmt.Fprintf(&b, " (%.0f/s)", float64(j.IndexedDocumentCount)/elapsed.Seconds())
		}
		fmt.Fprintf(&b, ", %s", elapsed.Round(time.Second))
	}
	return b.String()
}

func timeOf(s *string) (time.Time, bool) {
	if s == nil || *s == "" {
		return time.Time{}, false
	}
	t, err := protocol.ParseTime(*s)
	return t, err == nil
}
