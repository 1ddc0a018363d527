package networkdrive

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

// TestDLSAgainstSamba sets POSIX ACLs on files and checks the _allow_access_control that Samba's
// mapping to Windows ACLs yields: the owner and owning group as Unix user and group SIDs
// (S-1-22-1-uid, S-1-22-2-gid) unless Samba knows the account, "other" as Everyone (S-1-1-0),
// named Samba users by their SIDs from its passdb. The expected values are written from those
// rules, not from the source.
func TestDLSAgainstSamba(t *testing.T) {
	s := newSamba(t)
	other, otherSID := s.vals["SAMBA_OTHER_USER"], s.vals["SAMBA_OTHER_SID"]
	grp, err := user.LookupGroup(s.vals["SAMBA_GROUP"])
	if err != nil {
		t.Fatal(err)
	}
	owner := fmt.Sprintf("sid:S-1-22-1-%d", os.Getuid())
	ownerGroup := fmt.Sprintf("sid:S-1-22-2-%d", os.Getgid())
	everyone := "sid:S-1-1-0"

	shared := s.write(t, "shared.txt", "x", mtime1)
	setfacl(t, "-m", "u:"+other+":r", shared)
	excluded := s.write(t, "team/excluded.txt", "x", mtime1)
	setfacl(t, "-m", "u:"+other+":---,g:"+grp.Name+":rw", excluded)
	setfacl(t, "-d", "-m", "u:"+other+":r", filepath.Join(s.dir, "team"))
	private := s.write(t, "private.txt", "x", mtime1)
	if err := os.Chmod(private, 0o600); err != nil {
		t.Fatal(err)
	}
	plain := s.write(t, "plain.txt", "x", mtime1)

	root := `\\` + s.vals["SAMBA_HOST"] + "/" + s.drivePath
	want := map[string][]string{
		root + `\shared.txt`: {everyone, owner, ownerGroup, "sid:" + otherSID},
		// A named user without permissions is left out; the group's entry is its Unix group SID.
		root + `\team\excluded.txt`: {everyone, owner, ownerGroup, "sid:S-1-22-2-" + grp.Gid},
		// The folder's default ACL becomes inherit-only ACEs, counted as the original counts
		// them: CREATOR OWNER, CREATOR GROUP and the named user.
		root + `\team`: {everyone, owner, ownerGroup, "sid:S-1-3-0", "sid:S-1-3-1", "sid:" + otherSID},
		// The connector's user may not read this file's permissions: visible to no one.
		root + `\private.txt`: {nobody},
		root + `\plain.txt`:   {everyone, owner, ownerGroup},
	}
	_ = plain

	src := s.open(t, map[string]any{"use_document_level_security": true, "drive_type": "linux",
		"identity_mappings": "/dev/null"}, Factory.Features)
	got, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.incomplete) != 0 {
		t.Errorf("incomplete: %v", got.incomplete)
	}
	for p, w := range want {
		d, ok := got.docs[p]
		if !ok {
			t.Errorf("no document for %s", p)
			continue
		}
		sort.Strings(w)
		if !reflect.DeepEqual(d.AllowAccessControl, w) {
			t.Errorf("%s: _allow_access_control\n got %v\nwant %v", p, d.AllowAccessControl, w)
		}
	}

	// DLS off in the configuration, or off in the connector's features: no field at all.
	for _, c := range []struct {
		cfg      map[string]any
		features connector.Features
	}{
		{map[string]any{"use_document_level_security": false}, Factory.Features},
		{map[string]any{"use_document_level_security": true, "drive_type": "linux", "identity_mappings": "/dev/null"}, connector.Features{BasicRules: true}},
	} {
		src := s.open(t, c.cfg, c.features)
		got, err := collect(t, src, connector.DocsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for p, d := range got.docs {
			if d.AllowAccessControl != nil {
				t.Errorf("%v: %s has _allow_access_control %v", c.cfg, p, d.AllowAccessControl)
			}
		}
	}
}

// TestAccessControlDocuments: identity documents from the CSV file of a Linux drive.
func TestAccessControlDocuments(t *testing.T) {
	s := newSamba(t)
	csv := filepath.Join(t.TempDir(), "ids.csv")
	content := "alice;S-1-5-21-1-1001;S-1-5-21-1-513,S-1-22-2-1001\n\nbob;S-1-5-21-1-1002;\n\"semi;colon\";S-1-5-21-1-1003;S-1-1-0\n"
	if err := os.WriteFile(csv, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	src := s.open(t, map[string]any{"use_document_level_security": true, "drive_type": "linux", "identity_mappings": csv}, Factory.Features)
	var docs []connector.Document
	before := time.Now()
	err := src.AccessControl(context.Background(), func(d connector.Document) error {
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, name string
		access   []any
	}{
		{"S-1-5-21-1-1001", "alice", []any{"sid:S-1-5-21-1-1001", "user:alice", "sid:S-1-5-21-1-513", "sid:S-1-22-2-1001"}},
		{"S-1-5-21-1-1002", "bob", []any{"sid:S-1-5-21-1-1002", "user:bob"}},
		{"S-1-5-21-1-1003", "semi;colon", []any{"sid:S-1-5-21-1-1003", "user:semi;colon", "sid:S-1-1-0"}},
	}
	if len(docs) != len(want) {
		t.Fatalf("%d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		d := docs[i]
		if d.ID != w.id {
			t.Errorf("doc %d: _id %s, want %s", i, d.ID, w.id)
		}
		ident := d.Fields["identity"].(map[string]any)
		if ident["username"] != "user:"+w.name || ident["user_id"] != "sid:"+w.id {
			t.Errorf("doc %d: identity %v", i, ident)
		}
		q := d.Fields["query"].(map[string]any)["template"].(map[string]any)
		if got := q["params"].(map[string]any)["access_control"]; !reflect.DeepEqual(got, w.access) {
			t.Errorf("doc %d: access_control %v, want %v", i, got, w.access)
		}
		if q["source"] != connector.DLSQuery {
			t.Errorf("doc %d: query source differs", i)
		}
		created, err := connector.ParseTime(d.Fields["created_at"].(string))
		if err != nil || created.Before(before.Add(-time.Second)) || created.After(time.Now().Add(time.Second)) {
			t.Errorf("doc %d: created_at %v (%v)", i, d.Fields["created_at"], err)
		}
	}

	// Mistakes in the mapping file name the field and the line.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("alice;S-1-5-21-1-1001;\nbob;S-1-5-21-1-1002\n"), 0o600)
	for file, wantErr := range map[string]string{
		bad:              `"identity_mappings": "` + bad + `" line 2 has 2 field(s)`,
		bad + ".missing": `"identity_mappings": cannot read "` + bad + `.missing"`,
		"":               `"identity_mappings": CSV file path cannot be empty`,
	} {
		src := s.open(t, map[string]any{"use_document_level_security": true, "drive_type": "linux", "identity_mappings": file}, Factory.Features)
		err := src.AccessControl(context.Background(), func(connector.Document) error { return nil })
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", file, err, wantErr)
		}
	}
}
