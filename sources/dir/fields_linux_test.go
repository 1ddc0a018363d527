//go:build linux

package dir_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

// TestDocumentFields compares a document with the file's stat(2) results; the Stat_t field names
// are Linux's.
func TestDocumentFields(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "note.md")
	if err := os.WriteFile(path, []byte("# hello\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	atime := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, atime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "skip.bin"), []byte{0}, 0o644); err != nil {
		t.Fatal(err)
	}
	docs := collect(t, map[string]any{"directory": root + "/", "pattern": "*.*"})
	if len(docs) != 2 {
		t.Fatalf("got %d documents", len(docs))
	}
	var doc, bin connector.Document
	for _, d := range docs {
		if strings.HasSuffix(d.Fields["path"].(string), ".md") {
			doc = d
		} else {
			bin = d
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	// The path is the directory as pathlib prints it (trailing slash dropped) plus the name.
	if doc.Fields["path"] != path {
		t.Fatalf("path = %v, want %v", doc.Fields["path"], path)
	}
	if doc.ID != connector.HashID(path) {
		t.Fatalf("id = %s, want md5 of the path", doc.ID)
	}
	// Python: datetime.fromtimestamp(1714979289.1234567, timezone.utc).isoformat()
	if want := "2024-05-06T07:08:09.123457+00:00"; doc.Timestamp != want || doc.Fields["last_modified_time"] != want {
		t.Fatalf("timestamp = %s / %v, want %s", doc.Timestamp, doc.Fields["last_modified_time"], want)
	}
	want := map[string]any{
		"inode_protection_mode": uint32(st.Mode),
		"inode_number":          uint64(st.Ino),
		"device_inode_reside":   uint64(st.Dev),
		"number_of_links":       uint64(st.Nlink),
		"uid":                   st.Uid,
		"gid":                   st.Gid,
		"size":                  int64(8),
		"last_access_time":      1672628645.0,
		"ctime":                 float64(st.Ctim.Sec) + float64(st.Ctim.Nsec)*1e-9,
	}
	for k, v := range want {
		if !reflect.DeepEqual(doc.Fields[k], v) {
			t.Errorf("%s = %#v, want %#v", k, doc.Fields[k], v)
		}
	}
	if m := doc.Fields["inode_protection_mode"].(uint32); m != 0o100640 {
		t.Errorf("st_mode = %o, want the raw mode with the file type bits", m)
	}
	if len(doc.Fields) != 11 {
		t.Errorf("fields = %v, want exactly the original's 11", doc.Fields)
	}
	// Float fields keep a fractional part in JSON, as Python writes them.
	js, err := connector.MarshalJSON(doc.Body())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"last_access_time":1672628645.0`) {
		t.Errorf("JSON body: %s", js)
	}
	// Content: .md is extractable, .bin is not.
	if bin.Content != nil {
		t.Error("a .bin file must not offer content")
	}
	if doc.Content == nil || doc.Content.Name != "note.md" || doc.Content.Size != 8 {
		t.Fatalf("content = %+v", doc.Content)
	}
	rc, err := doc.Content.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "# hello\n" {
		t.Fatalf("content %q", b)
	}
}
