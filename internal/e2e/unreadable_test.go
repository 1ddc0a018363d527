//go:build unix

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/testproc"
)

// nobody is the unprivileged user the service runs as when the tests run as
// root, for whom permissions would not make anything unreadable.
const nobody = 65534

// startAsNobody starts the service as the unprivileged user when the test
// runs as root, as the current user otherwise.
func startAsNobody(t *testing.T, name, cfg string) *proc {
	t.Helper()
	cmd := exec.Command(binary, "run", "-c", cfg, "--log-level", "debug")
	cmd.Env = append(os.Environ(), "ENV_FILE=/dev/null", "HOME=/nonexistent")
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		// The binary's folder is private to the user who built it.
		if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &proc{Proc: testproc.Start(t, cmd), name: name}
}

// TestUnreadableFolderKeepsItsDocuments is the measured case of issue 10: a
// dir sync, then the same folder synced by a service that may not read one
// of its subfolders nor one file's content. That sync used to end completed
// with the subfolder's documents deleted and the file's body dropped; now it
// deletes nothing, keeps the body, and ends in error saying what it could not
// read. Once access is restored, a sync completes again.
func TestUnreadableFolderKeepsItsDocuments(t *testing.T) {
	c := newCluster(t, protocol.ModeAPI)
	// A world-readable base, so that the unprivileged service can reach
	// the configuration and the data (t.TempDir's parents are private).
	base, err := os.MkdirTemp("", "connectors-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(base, "data")
	private := filepath.Join(data, "private")
	locked := filepath.Join(data, "locked.txt")
	files := map[string]string{
		"public/a.txt":  "alpha",
		"public/b.txt":  "bravo",
		"private/c.txt": "charlie",
		"private/d.txt": "delta",
		"locked.txt":    "the locked body",
	}
	for rel, text := range files {
		p := filepath.Join(data, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := c.config(map[string]string{"files": "dir"}, "")
	shared := filepath.Join(base, "config.yml")
	if raw, err := os.ReadFile(cfg); err != nil || os.WriteFile(shared, raw, 0o644) != nil {
		t.Fatalf("cannot share the configuration: %v", err)
	}
	c.connector("files", "dir", "search-files", map[string]any{"directory": data})

	// First sync: everything readable.
	p := start(t, "service", shared)
	j := c.waitJob(c.startJob("files"), 60*time.Second, []*proc{p}, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 5 {
		t.Fatalf("first sync: %s, indexed %d (%s)\n%s", j.Status, j.IndexedDocumentCount, deref(j.Error), p.Out.String())
	}
	p.stop(t)

	// The subfolder and the file become unreadable to the service.
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(locked, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		// Our own files: take the permissions away from ourselves.
		_ = os.Chmod(private, 0)
		_ = os.Chmod(locked, 0)
	}
	t.Cleanup(func() { _ = os.Chmod(private, 0o755); _ = os.Chmod(locked, 0o644) })
	p = startAsNobody(t, "unprivileged service", shared)
	procs := []*proc{p}
	j = c.waitJob(c.startJob("files"), 60*time.Second, procs, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobError || j.DeletedDocumentCount != 0 || j.IndexedDocumentCount != 3 {
		t.Fatalf("sync with an unreadable folder: %s, indexed %d, deleted %d (%s); want error, 3, 0\n%s",
			j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount, deref(j.Error), p.Out.String())
	}
	for _, want := range []string{"could not read " + private, "permission denied", "no document was deleted"} {
		if !strings.Contains(deref(j.Error), want) {
			t.Errorf("job error %q does not say %q", deref(j.Error), want)
		}
	}
	if n := c.count("search-files"); n != 5 {
		t.Fatalf("the index holds %d documents, want all 5", n)
	}
	var raw struct {
		Source struct {
			Metadata struct {
				Incomplete struct {
					Count            int  `json:"count"`
					DeletionsSkipped bool `json:"deletions_skipped"`
					Parts            []struct {
						Scope string `json:"scope"`
					} `json:"parts"`
				} `json:"incomplete_listing"`
			} `json:"metadata"`
		} `json:"_source"`
	}
	c.do("GET", "/"+protocol.JobsAlias+"/_doc/"+j.ID, nil, &raw)
	inc := raw.Source.Metadata.Incomplete
	if inc.Count != 1 || !inc.DeletionsSkipped || len(inc.Parts) != 1 || inc.Parts[0].Scope != private {
		t.Errorf("metadata.incomplete_listing = %+v", inc)
	}
	var doc struct {
		Source map[string]any `json:"_source"`
	}
	c.do("GET", "/search-files/_doc/"+connector.HashID(locked), nil, &doc)
	if doc.Source["body"] != "the locked body" {
		t.Errorf("the body of the file that could not be read = %v, want it kept", doc.Source["body"])
	}
	if !strings.Contains(p.Out.String(), "skipping the deletion of stale documents") {
		t.Errorf("the service did not log that it skipped the deletions:\n%s", p.Out.String())
	}

	// Access restored: the next sync completes.
	_ = os.Chmod(private, 0o755)
	_ = os.Chmod(locked, 0o644)
	j = c.waitJob(c.startJob("files"), 60*time.Second, procs, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 5 || j.DeletedDocumentCount != 0 {
		t.Fatalf("sync after access was restored: %s, indexed %d, deleted %d (%s)", j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount, deref(j.Error))
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d:\n%s", code, p.Out.String())
	}
}
