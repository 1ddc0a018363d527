package connectortest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
)

// fakeSource is an in-memory source. Its mode selects one misbehaviour, so the tests can check
// that the suite notices each kind of contract violation.
type fakeSource struct {
	n        int
	mode     string
	password string
	stop     chan struct{}
	once     sync.Once
}

const fakeDocs = 40

func fakeFactory(mode string) connector.Factory {
	f := connector.Factory{
		ServiceType: "fake",
		DisplayName: "Fake",
		Features:    connector.Features{BasicRules: true},
		Fields: []connector.Field{
			{Key: "host", Label: "Host", Order: 1, Validations: []connector.Validation{connector.Regex(`^[a-z.]+$`)}},
			{Key: "password", Label: "Password", Order: 2, Sensitive: true},
			{Key: "workers", Label: "Workers", Order: 3, Type: connector.TypeInt, Display: connector.DisplayNumeric,
				Optional: true, DefaultValue: 3, Validations: []connector.Validation{connector.LessThan(10)}},
		},
		New: func(cfg *connector.Config, env connector.Env) (connector.Source, error) {
			s := &fakeSource{n: fakeDocs, mode: mode, password: cfg.String("password"), stop: make(chan struct{})}
			if mode == "leaks-goroutine" {
				go func() { select {} }()
			} else {
				go func() { <-s.stop }() // a background worker that Close stops
			}
			return s, nil
		},
	}
	if mode == "duplicate-order" {
		f.Fields[1].Order = 1
	}
	return f
}

var goodConfig = map[string]any{"host": "example.org", "password": "good"}

func (s *fakeSource) Ping(context.Context) error {
	if s.password != "good" {
		if s.mode == "secret-in-error" {
			return fmt.Errorf("login failed with password %q", s.password)
		}
		return errors.New("login failed: check the password field")
	}
	return nil
}

func (s *fakeSource) Close() error {
	s.once.Do(func() { close(s.stop) })
	return nil
}

func (s *fakeSource) ValidateConfig(context.Context) error {
	if s.mode != "lax-validation" && s.password == "forbidden" {
		return errors.New(`configuration field "password": this password is not allowed`)
	}
	return nil
}

func (s *fakeSource) doc(i int) connector.Document {
	data := []byte(fmt.Sprintf("content of document %d", i))
	size := int64(len(data))
	if s.mode == "wrong-size" {
		size += 5
	}
	d := connector.Document{
		ID:        fmt.Sprintf("doc-%d", i),
		Timestamp: connector.FormatTime(time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)),
		Fields:    map[string]any{"title": fmt.Sprintf("Document %d", i), "score": float64(i) / 2},
		Content: &connector.Content{Name: fmt.Sprintf("doc-%d.txt", i), Size: size,
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				if s.mode != "open-ignores-ctx" {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
				}
				return io.NopCloser(bytes.NewReader(data)), nil
			}},
	}
	switch {
	case s.mode == "empty-id" && i == 3:
		d.ID = ""
	case s.mode == "duplicate-id" && i == 3:
		d.ID = "doc-2"
	case s.mode == "no-timestamp" && i == 3:
		d.Timestamp = ""
	case s.mode == "reserved-field" && i == 3:
		d.Fields["id"] = "mine"
	case s.mode == "rerun-differs":
		d.ID = fmt.Sprintf("doc-%d-%d", i, rand.Int())
	}
	return d
}

// unreadable makes every tenth document of the fake sources unreadable (the Unreadable option
// switches it on).
var unreadable atomic.Bool

func breakData(*testing.T) func() {
	unreadable.Store(true)
	return func() { unreadable.Store(false) }
}

const readableWhenBroken = fakeDocs - fakeDocs/10

// Docs emits from three workers, as a source fanning out over a remote API would.
func (s *fakeSource) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	switch s.mode {
	case "checkpointing", "resume-skips":
		// One worker, a checkpoint every 7 documents; the faulty mode skips past it.
		start := 0
		if next, ok := req.Checkpoint["next"].(float64); ok {
			start = int(next)
			if s.mode == "resume-skips" {
				start += 2
			}
		}
		for i := start; i < s.n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(s.doc(i)); err != nil {
				return err
			}
			if (i+1)%7 == 0 {
				req.SaveCheckpoint(map[string]any{"next": i + 1})
			}
		}
		return nil
	case "ignores-cancel":
		for i := range s.n {
			time.Sleep(10 * time.Millisecond)
			_ = emit(s.doc(i))
		}
		return nil
	case "nil-on-cancel":
		for i := range s.n {
			if ctx.Err() != nil {
				return nil
			}
			if err := emit(s.doc(i)); err != nil {
				return nil
			}
		}
		return nil
	case "late-emit":
		go func() {
			time.Sleep(20 * time.Millisecond)
			_ = emit(s.doc(999))
		}()
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := emit(s.doc(i)); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = connector.DocError(fmt.Sprintf("doc-%d", i), err)
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		}()
	}
produce:
	for i := range s.n {
		if unreadable.Load() && i%10 == 0 {
			switch s.mode {
			case "silent-omit":
				continue
			case "fails-on-unreadable":
				mu.Lock()
				firstErr = fmt.Errorf("doc-%d: permission denied", i)
				mu.Unlock()
				cancel()
				break produce
			}
			req.ReportIncomplete(fmt.Sprintf("doc-%d", i), errors.New("permission denied"))
			continue
		}
		select {
		case jobs <- i:
		case <-wctx.Done():
			break produce
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// TestGoodSourcePasses runs the suite against a well-behaved source.
func TestGoodSourcePasses(t *testing.T) {
	connectortest.Run(t, fakeFactory("good"), goodConfig,
		connectortest.ExpectDocs(fakeDocs),
		connectortest.Unreadable(breakData, readableWhenBroken),
		connectortest.InvalidConfig(map[string]any{"password": "forbidden"}, "password"))
}

// TestCheckpointingSourcePasses runs the suite against a source that saves checkpoints and
// honours them.
func TestCheckpointingSourcePasses(t *testing.T) {
	connectortest.Run(t, fakeFactory("checkpointing"), goodConfig, connectortest.ExpectDocs(fakeDocs))
}

const helperEnv = "CONNECTORTEST_HELPER_MODE"

// TestHelperProcess runs the suite on a misbehaving source in a child process (see
// TestSuiteCatchesViolations); it does nothing in a normal test run.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	expected := fakeDocs
	if mode == "wrong-count" {
		expected = fakeDocs + 1
	}
	connectortest.Run(t, fakeFactory(mode), goodConfig,
		connectortest.ExpectDocs(expected),
		connectortest.Unreadable(breakData, readableWhenBroken),
		connectortest.CancelTimeout(300*time.Millisecond),
		connectortest.SettleTimeout(time.Second),
		connectortest.InvalidConfig(map[string]any{"password": "forbidden"}, "password"))
}

// TestSuiteCatchesViolations checks that each contract violation makes the suite fail with a
// message saying what is wrong.
func TestSuiteCatchesViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts one child process per case")
	}
	cases := map[string]string{
		"ignores-cancel":   "did not return within",
		"nil-on-cancel":    "returned nil",
		"leaks-goroutine":  "goroutines before the source was built",
		"empty-id":         "empty ID",
		"duplicate-id":     "duplicate ID",
		"no-timestamp":     "no Timestamp",
		"reserved-field":   `Fields sets "id"`,
		"wrong-size":       "Content.Size is",
		"open-ignores-ctx": "Open with a cancelled context",
		"secret-in-error":  `shows the value of sensitive field "password"`,
		"duplicate-order":  "share order 1",
		"lax-validation":   "was accepted",
		"wrong-count":      fmt.Sprintf("yielded %d documents, want %d", fakeDocs, fakeDocs+1),
		"late-emit":        "after Docs returned",
		"rerun-differs":    "different ids",
		"resume-skips":     "did not emit 2 documents it had not emitted",
		// Silently listing less than there is would make the service delete the rest.
		"silent-omit":         "reported nothing through ReportIncomplete",
		"fails-on-unreadable": "it must report that part and return nil",
	}
	for mode, want := range cases {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a source in mode %q (err %v):\n%s", mode, err, out)
			}
			if !strings.Contains(string(out), want) {
				t.Fatalf("mode %q: output lacks %q:\n%s", mode, want, out)
			}
		})
	}
}
