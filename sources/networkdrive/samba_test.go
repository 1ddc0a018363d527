package networkdrive

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/testbackend"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

// samba is the test server and a folder of its share that belongs to one test.
type samba struct {
	vals map[string]string
	// dir is the test's folder on the local file system, inside the share's folder.
	dir string
	// drivePath is drive_path for that folder: "<share>/<folder>".
	drivePath string
}

var sambaKeys = []string{"SAMBA_HOST", "SAMBA_PORT", "SAMBA_SHARE", "SAMBA_PATH", "SAMBA_USER",
	"SAMBA_PASSWORD", "SAMBA_USER_SID", "SAMBA_OTHER_USER", "SAMBA_OTHER_SID", "SAMBA_GROUP"}

// newSamba gives the test a fresh folder in the share, removed afterwards.
func newSamba(t *testing.T) *samba {
	t.Helper()
	vals := testbackend.Require(t, "samba", sambaKeys...)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	dir := filepath.Join(vals["SAMBA_PATH"], name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &samba{vals: vals, dir: dir, drivePath: vals["SAMBA_SHARE"] + "/" + name}
}

func (s *samba) config(extra map[string]any) map[string]any {
	port, _ := strconv.Atoi(s.vals["SAMBA_PORT"])
	cfg := map[string]any{
		"username":    s.vals["SAMBA_USER"],
		"password":    s.vals["SAMBA_PASSWORD"],
		"server_ip":   s.vals["SAMBA_HOST"],
		"server_port": port,
		"drive_path":  s.drivePath,
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// write creates a file (and its folders) with fixed access and modification times.
func (s *samba) write(t *testing.T, rel, content string, mtime time.Time) string {
	t.Helper()
	p := filepath.Join(s.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *samba) mkdir(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(s.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// open builds a source for the given configuration values.
func (s *samba) open(t *testing.T, extra map[string]any, features connector.Features) *Source {
	t.Helper()
	stored := Factory.DefaultConfiguration()
	for k, v := range s.config(extra) {
		field := stored[k].(map[string]any)
		field["value"] = v
	}
	cfg, err := connector.NewConfig(stored, Factory.Fields)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src, err := Factory.New(cfg, connector.Env{Features: features})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src.(*Source)
}

// collect runs Docs and returns the documents by path, and what was reported incomplete.
type collected struct {
	mu          sync.Mutex
	docs        map[string]connector.Document
	order       []string
	incomplete  map[string]string
	checkpoints []map[string]any
	// cpAt is how many documents had been emitted when each checkpoint was saved.
	cpAt []int
}

func collect(t *testing.T, src *Source, req connector.DocsRequest) (*collected, error) {
	t.Helper()
	c := &collected{docs: map[string]connector.Document{}, incomplete: map[string]string{}}
	req.OnIncomplete = func(scope string, cause error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.incomplete[scope] = cause.Error()
	}
	req.OnCheckpoint = func(cp map[string]any) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.checkpoints = append(c.checkpoints, cp)
		c.cpAt = append(c.cpAt, len(c.order))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := src.Docs(ctx, req, func(d connector.Document) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		p := d.Fields["path"].(string)
		if _, dup := c.docs[p]; dup {
			t.Errorf("path %s emitted twice", p)
		}
		c.docs[p] = d
		c.order = append(c.order, p)
		return nil
	})
	return c, err
}

func (c *collected) paths() []string {
	var out []string
	for p := range c.docs {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// expectedDoc computes a document from the local file's stat, independently of the source.
// What Samba 4.17 reports for a file it did not create itself: the inode as the file id; the
// modification time as the change time (its get_change_timespec); and as the creation time the
// oldest of the access time, the modification time and a "change time" made of the
// modification time's seconds and the status-change time's nanoseconds (its
// calc_create_time_stat, through get_ctimespec, which takes tv_sec from st_mtime).
func expectedDoc(t *testing.T, docPath, local string) map[string]any {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(local, &st); err != nil {
		t.Fatal(err)
	}
	return expectedFromStat(docPath, filepath.Base(local), &st)
}

func expectedFromStat(docPath, title string, st *syscall.Stat_t) map[string]any {
	ts := func(s syscall.Timespec) time.Time { return time.Unix(s.Sec, s.Nsec) }
	created := ts(st.Atim)
	sambaCtime := time.Unix(st.Mtim.Sec, st.Ctim.Nsec)
	for _, x := range []time.Time{ts(st.Mtim), sambaCtime} {
		if x.Before(created) {
			created = x
		}
	}
	typ, size := "file", st.Size
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		typ, size = "folder", 0
	}
	return map[string]any{
		"id":         strconv.FormatUint(st.Ino, 10), // a string in _source, as the original's sanitize() writes it
		"_timestamp": isoNaive(ts(st.Mtim)),
		"path":       docPath,
		"size":       size,
		"created_at": isoNaive(created),
		"type":       typ,
		"title":      title,
	}
}

// isoNaive is Python's isoformat() of a naive datetime, written out independently of pyISO.
func isoNaive(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}

func docBody(d connector.Document) map[string]any {
	b := d.Body()
	return b
}

func compareDoc(t *testing.T, got connector.Document, want map[string]any) {
	t.Helper()
	body := docBody(got)
	for k, w := range want {
		g := body[k]
		if fmt.Sprint(g) != fmt.Sprint(w) || fmt.Sprintf("%T", normNum(g)) != fmt.Sprintf("%T", normNum(w)) {
			t.Errorf("%s: %s = %v (%T), want %v (%T)", want["path"], k, g, g, w, w)
		}
	}
	if want["id"] != nil && got.ID != fmt.Sprint(want["id"]) {
		t.Errorf("%s: _id %q, want %v", want["path"], got.ID, want["id"])
	}
}

// normNum folds integer types together: the JSON encoding is what matters.
func normNum(v any) any {
	switch x := v.(type) {
	case int, int32, int64, uint32, uint64:
		return int64(0)
	default:
		return x
	}
}

// setfacl runs setfacl, skipping the test where it is missing.
func setfacl(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("setfacl"); err != nil {
		t.Skip("setfacl is not installed (scripts/backends/samba.sh install installs acl)")
	}
	if out, err := exec.Command("setfacl", args...).CombinedOutput(); err != nil {
		t.Fatalf("setfacl %v: %v\n%s", args, err, out)
	}
}
