//go:build linux

package dir_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/parity"
	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/dir"
)

// materialise writes testdata/parity/fixture.json, the tree the golden documents were recorded
// from, below root.
func materialise(t *testing.T, root string) {
	t.Helper()
	parity.WriteTree(t, filepath.Join("testdata", "parity", "fixture.json"), root)
}

// TestWriteParityFixture writes the fixture into $DIR_PARITY_FIXTURE, for recording the
// original's documents from it (testdata/parity/README.md). Skipped otherwise.
func TestWriteParityFixture(t *testing.T) {
	root := os.Getenv("DIR_PARITY_FIXTURE")
	if root == "" {
		t.Skip("DIR_PARITY_FIXTURE is not set")
	}
	materialise(t, root)
}

// recordedRoot is where the fixture was when the recordings were made (README.md): the
// original's paths, and so its ids, start there.
const recordedRoot = "/work/parity-scratch/dirfix/root"

// dirDifferences is where the deliberate differences are documented.
const dirDifferences = "docs/sources/dir.md#compared-with-the-elastic-connector"

// upperCaseExtensions: the original's dir source compares extensions case-sensitively (unlike its
// other sources), so it sends no content for these; ours does.
func upperCaseExtensions() []parity.Difference {
	var out []parity.Difference
	for name, b64 := range map[string]string{"UPPER.TXT": `"dXBwZXItY2FzZSBleHRlbnNpb24K"`, "Report.Docx": `"UEsDBCBub3QgcmVhbGx5IGEgZG9jeA=="`} {
		out = append(out, parity.Difference{ID: connector.HashID(recordedRoot + "/" + name), Field: "_attachment",
			Golden: parity.Absent, Ours: b64, Where: dirDifferences})
	}
	return out
}

// TestParityWithOriginal syncs the fixture with ours and compares the index with what the
// original wrote from the same tree, field by field.
func TestParityWithOriginal(t *testing.T) {
	for _, tc := range []struct {
		name, recording, pattern string
		trailingSlash            bool
		maxFileSize              int64
		differences              []parity.Difference
	}{
		// The folder given with a trailing slash, which the original's os.path.abspath drops.
		{name: "default pattern", recording: "dir-default.json", pattern: "**/*.*", trailingSlash: true, differences: upperCaseExtensions()},
		{name: "every file", recording: "dir-all.json", pattern: "**/*", differences: upperCaseExtensions()},
		// service.max_file_download_size of 10 bytes: the original's dir source reads every
		// supported file whatever its size; ours leaves the content of larger ones out.
		{name: "size limit", recording: "dir-maxsize.json", pattern: "*.*", maxFileSize: 10, differences: []parity.Difference{
			{Field: "_attachment", Ours: parity.Absent, Where: dirDifferences},
			{ID: connector.HashID(recordedRoot + "/empty.txt"), Field: "_attachment", Golden: `""`, Ours: `""`, Where: dirDifferences},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			root := filepath.Join(t.TempDir(), "root")
			materialise(t, root)
			dirValue := root
			if tc.trailingSlash {
				dirValue += "/"
			}
			ours, err := parity.Run(t, parity.Sync{Factory: dir.Factory, MaxFileSize: tc.maxFileSize,
				Values: map[string]any{"directory": dirValue, "pattern": tc.pattern}})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Job.Status != "completed" || rec.Job.Indexed != len(rec.Docs) {
				t.Fatalf("recorded job %+v with %d documents", rec.Job, len(rec.Docs))
			}
			relocate := func(p string) string { return root + strings.TrimPrefix(p, recordedRoot) }
			for _, g := range rec.Docs {
				// The id rule, proven on the original's own output: MD5 of the path string.
				f, _ := g.Fields()
				if want := connector.HashID(f["path"].(string)); g.ID != want || f["id"] != want {
					t.Fatalf("recorded id %s for %v, want md5 %s", g.ID, f["path"], want)
				}
			}
			stat := func(doc map[string]any) (*syscall.Stat_t, error) {
				var st syscall.Stat_t
				return &st, syscall.Stat(doc["path"].(string), &st)
			}
			liveInt := func(get func(*syscall.Stat_t) uint64) parity.LiveCheck {
				return func(_, doc map[string]any, v any) error {
					st, err := stat(doc)
					if err != nil {
						return err
					}
					if want := strconv.FormatUint(get(st), 10); v != json.Number(want) {
						return fmt.Errorf("%v, the file's stat says %s", v, want)
					}
					return nil
				}
			}
			st := parity.Compare(t, rec.Docs, ours, parity.Rules{
				// Ids and paths start with the fixture's folder, which differs from the recording's.
				ID: func(_ parity.Doc, f map[string]any) string {
					return connector.HashID(relocate(f["path"].(string)))
				},
				Expect: map[string]func(map[string]any, any) any{
					"path": func(_ map[string]any, v any) any { return relocate(v.(string)) },
					"id":   func(g map[string]any, _ any) any { return connector.HashID(relocate(g["path"].(string))) },
				},
				Live: map[string]parity.LiveCheck{
					// A fresh copy of the tree has new inodes, device and change times, and its
					// owner is whoever runs the test.
					"inode_number":        liveInt(func(s *syscall.Stat_t) uint64 { return s.Ino }),
					"device_inode_reside": liveInt(func(s *syscall.Stat_t) uint64 { return s.Dev }),
					"uid":                 liveInt(func(s *syscall.Stat_t) uint64 { return uint64(s.Uid) }),
					"gid":                 liveInt(func(s *syscall.Stat_t) uint64 { return uint64(s.Gid) }),
					"ctime": func(_, doc map[string]any, v any) error {
						st, err := stat(doc)
						if err != nil {
							return err
						}
						// st_ctime as Python computes it (seconds + nanoseconds * 1e-9), written by repr().
						want := pyfmt.Float(float64(st.Ctim.Sec) + float64(st.Ctim.Nsec)*1e-9)
						if v != json.Number(want) {
							return fmt.Errorf("%v, Python's repr of st_ctime is %s", v, want)
						}
						return nil
					},
				},
				Differences: tc.differences,
			})
			t.Logf("compared with the original v9.5.2: %s", st)
		})
	}
}

// TestParityNonUTF8Name: the original fails the whole sync on a file name that is not UTF-8
// (hashing the path string raises UnicodeEncodeError, dir-badname.json); ours indexes the file,
// its path with U+FFFD for the bytes that do not decode and its id the MD5 of the name's bytes, so
// that two such files never share an id.
func TestParityNonUTF8Name(t *testing.T) {
	rec := parity.Load(t, filepath.Join("testdata", "parity", "dir-badname.json"))
	if rec.Job.Status != "error" || rec.Job.Error == nil || !strings.Contains(*rec.Job.Error, "surrogates not allowed") || len(rec.Docs) != 0 {
		t.Fatalf("recorded job %+v, %d documents: the original no longer fails here, update %s", rec.Job, len(rec.Docs), dirDifferences)
	}
	root := t.TempDir()
	bad := filepath.Join(root, "bad\xff.txt")
	if err := os.WriteFile(bad, []byte("latin-1 name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "good.txt"), []byte("ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ours, err := parity.Run(t, parity.Sync{Factory: dir.Factory, Values: map[string]any{"directory": root}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, d := range ours {
		f, _ := d.Fields()
		got[d.ID] = f["path"]
	}
	want := map[string]any{connector.HashID(bad): filepath.Join(root, "bad\ufffd.txt"), connector.HashID(filepath.Join(root, "good.txt")): filepath.Join(root, "good.txt")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("indexed %v, want %v", got, want)
	}
}
