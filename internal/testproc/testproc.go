// Package testproc runs the connectors binary as a child process in tests:
// output captured safely while the process writes it, a Done channel, and
// cleanup that kills what a failed test left running.
package testproc

import (
	"bytes"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer safe for one writer goroutine (or several) and a
// reader at the same time.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Proc is a started child process.
type Proc struct {
	Cmd  *exec.Cmd
	Out  *Buffer       // stdout and stderr together
	Done chan struct{} // closed once the process has exited
	Err  error         // Wait's result, valid once Done is closed
}

// Start runs cmd with its output captured; the test's cleanup kills it if
// it is still running.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, Out: &Buffer{}, Done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Out, p.Out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.Err = cmd.Wait()
		close(p.Done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.Done:
		default:
			_ = cmd.Process.Kill()
			<-p.Done
		}
	})
	return p
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.Done:
		return true
	default:
		return false
	}
}

// Terminate sends SIGTERM and waits up to timeout; it reports whether the
// process exited in time.
func (p *Proc) Terminate(timeout time.Duration) bool {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done:
		return true
	case <-time.After(timeout):
		return false
	}
}
