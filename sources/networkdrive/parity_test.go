package networkdrive_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/parity"
	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/networkdrive"
)

// TestWriteParityFixture writes testdata/parity/fixture.json into $NETWORK_DRIVE_PARITY_FIXTURE,
// for recording the original's documents from it (testdata/parity/README.md). Skipped otherwise.
func TestWriteParityFixture(t *testing.T) {
	root := os.Getenv("NETWORK_DRIVE_PARITY_FIXTURE")
	if root == "" {
		t.Skip("NETWORK_DRIVE_PARITY_FIXTURE is not set")
	}
	parity.WriteTree(t, filepath.Join("testdata", "parity", "fixture.json"), root)
}

// parityFolder is the share's folder the recordings were made from: it is part of every path
// and of the advanced rules' patterns.
const parityFolder = "parity"

// mangled are the names Samba gave files whose Linux names an SMB name cannot hold (its hash2
// mangling, the same for both clients): the local name each stands for.
var mangled = map[string]string{
	"C69YSY~1.TXT": "colon:name.txt",
	"BAYTAM~F.TXT": "back\\slash.txt",
	"Q822F5~G.TXT": "question?.txt",
	"TZ1A67~0":     "trailing.dot.",
}

// TestParityWithOriginal syncs the fixture from a real Samba with ours and compares the index
// with what the original wrote from the same tree, field by field.
func TestParityWithOriginal(t *testing.T) {
	vals := testbackend.Require(t, "samba", "SAMBA_HOST", "SAMBA_PORT", "SAMBA_SHARE", "SAMBA_PATH", "SAMBA_USER", "SAMBA_PASSWORD")
	if vals["SAMBA_SHARE"] != "connectors" {
		t.Fatalf("the recordings were made on a share named connectors, not %q", vals["SAMBA_SHARE"])
	}
	port, _ := strconv.Atoi(vals["SAMBA_PORT"])
	values := map[string]any{"username": vals["SAMBA_USER"], "password": vals["SAMBA_PASSWORD"], "server_ip": vals["SAMBA_HOST"],
		"server_port": port, "drive_path": vals["SAMBA_SHARE"] + "/" + parityFolder}
	var advanced any
	if err := json.Unmarshal([]byte(`[{"pattern": "connectors/parity/nested/**"}, {"pattern": "connectors/parity/special/*.txt"},
		{"pattern": "connectors/parity/unicode/caf*"}, {"pattern": "connectors/parity/nested/*.csv"}]`), &advanced); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		recording   string
		maxFileSize int64
		rules       any
		dls         bool
	}{
		{"nd-default.json", 0, nil, false},
		// service.max_file_download_size of 1000 bytes: large.txt is indexed without content.
		{"nd-maxsize.json", 1000, nil, false},
		// Overlapping rules, one matching mangled names' case-sensitively, none with DLS.
		{"nd-advanced.json", 0, advanced, false},
		// DLS with drive_type linux: every document's access list from its security
		// descriptor as Samba builds it from the POSIX mode (the files belong to root: its
		// user and group SIDs S-1-22-1-0 and S-1-22-2-0, and Everyone), then the identity
		// documents of testdata/parity/identities.csv.
		{"nd-dls.json", 0, nil, true},
	} {
		t.Run(strings.TrimSuffix(tc.recording, ".json"), func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			if rec.Job.Status != "completed" {
				t.Fatalf("recorded job %+v", rec.Job)
			}
			// A fresh copy for each sync: reading files changes their access times, which
			// Samba's creation time depends on.
			local := filepath.Join(vals["SAMBA_PATH"], parityFolder)
			if err := os.RemoveAll(local); err != nil {
				t.Fatal(err)
			}
			parity.WriteTree(t, filepath.Join("testdata", "parity", "fixture.json"), local)
			t.Cleanup(func() { os.RemoveAll(local) })

			sync := parity.Sync{Factory: networkdrive.Factory, Values: values, MaxFileSize: tc.maxFileSize, AdvancedRules: tc.rules}
			if tc.dls {
				if os.Getuid() != 0 {
					t.Skip("the recording's access lists are those of files owned by root")
				}
				identities, err := filepath.Abs(filepath.Join("testdata", "parity", "identities.csv"))
				if err != nil {
					t.Fatal(err)
				}
				sync.Values = map[string]any{"use_document_level_security": true, "drive_type": "linux", "identity_mappings": identities}
				for k, v := range values {
					sync.Values[k] = v
				}
				sync.Features = connector.Features{DocumentLevelSecurity: true}
			}
			start := time.Now()
			ours, err := parity.Run(t, sync)
			if err != nil {
				t.Fatal(err)
			}
			ours = oneNameForLinkedFile(t, ours, `\\`+vals["SAMBA_HOST"]+`/connectors/parity\`)
			rec.Docs = oneNameForLinkedFile(t, rec.Docs, `\\127.0.0.1/connectors/parity\`)
			// Ids are file ids, which Samba takes from the inode: a fresh copy has new ones.
			// Golden documents are matched with ours by path instead, and ids are checked
			// against the local file's inode.
			byPath := map[string]string{}
			for _, d := range ours {
				f, err := d.Fields()
				if err != nil {
					t.Fatal(err)
				}
				byPath[f["path"].(string)] = d.ID
			}
			relocate := func(p string) string {
				return strings.Replace(p, `\\127.0.0.1/`, `\\`+vals["SAMBA_HOST"]+"/", 1)
			}
			inode := func(_, doc map[string]any, v any) error {
				p := doc["path"].(string)
				_, rel, ok := strings.Cut(p, "/"+vals["SAMBA_SHARE"]+"/")
				if !ok {
					return fmt.Errorf("path %q is not in the share", p)
				}
				rel = strings.ReplaceAll(strings.ReplaceAll(rel, "/\\", "/"), "\\", "/")
				dir, name := filepath.Split(rel)
				if orig, ok := mangled[name]; ok {
					rel = dir + orig
				}
				var st syscall.Stat_t
				if err := syscall.Stat(filepath.Join(vals["SAMBA_PATH"], rel), &st); err != nil {
					return err
				}
				if want := strconv.FormatUint(st.Ino, 10); v != want {
					return fmt.Errorf("%v, the inode of %s is %s", v, rel, want)
				}
				return nil
			}
			st := parity.Compare(t, rec.Docs, ours, parity.Rules{
				ID: func(_ parity.Doc, f map[string]any) string { return byPath[relocate(f["path"].(string))] },
				Expect: map[string]func(map[string]any, any) any{
					"path": func(_ map[string]any, v any) any { return relocate(v.(string)) },
				},
				Live: map[string]parity.LiveCheck{
					"id": inode,
					// From a Python set in the original, in no order; sorted here.
					"_allow_access_control": parity.SameSet("_allow_access_control"),
				},
			})
			for _, d := range ours {
				f, _ := d.Fields()
				if f["id"] != d.ID {
					t.Errorf("document %s has id field %v", d.ID, f["id"])
				}
			}
			t.Logf("compared with the original v9.5.2: %s", st)
			if !tc.dls {
				return
			}
			if rec.AccessControlJob == nil || rec.AccessControlJob.Status != "completed" {
				t.Fatalf("recorded access-control job %+v", rec.AccessControlJob)
			}
			sync.AccessControl = true
			acl, err := parity.Run(t, sync)
			if err != nil {
				t.Fatal(err)
			}
			st = parity.Compare(t, rec.AccessControlDocs, acl, parity.Rules{
				Live: map[string]parity.LiveCheck{
					"_timestamp": parity.SyncTime(start, time.UTC),
					"created_at": parity.SyncTime(start, time.UTC),
					// query.template.params.access_control is a list in a fixed order (the
					// user's SID, the user, the groups), compared exactly.
				},
			})
			t.Logf("access-control documents compared with the original v9.5.2: %s", st)
		})
	}
}

// oneNameForLinkedFile: link.txt is a symbolic link to a.txt, which Samba follows, so the two
// names are one file with one file id and both implementations write one document for them,
// showing whichever name's write lands last: content downloads finish in any order (the
// recordings show a.txt in nd-default.json, link.txt in nd-maxsize.json). The document is given
// a.txt's name on both sides so that all its other fields are compared.
func oneNameForLinkedFile(t *testing.T, docs []parity.Doc, root string) []parity.Doc {
	t.Helper()
	for i, d := range docs {
		f, err := d.Fields()
		if err != nil {
			t.Fatal(err)
		}
		if f["path"] == root+"link.txt" {
			f["path"], f["title"] = root+"a.txt", "a.txt"
			src, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			docs[i].Source = src
		}
	}
	return docs
}
