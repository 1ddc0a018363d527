package networkdrive

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// TestAdvancedRulesAgainstSamba: each rule walks from its fixed folders, entries go to the first
// rule they match, paths are written as the original writes them for rules
// (`\\host/<fixed folders>/\<name>`), and DLS applies as on a full walk.
func TestAdvancedRulesAgainstSamba(t *testing.T) {
	s := newSamba(t)
	s.write(t, "docs/a.txt", "a", mtime1)
	s.write(t, "docs/b.md", "b", mtime1)
	s.write(t, "docs/deep/c.txt", "c", mtime1)
	s.write(t, "notes/d.md", "d", mtime1)
	s.write(t, "notes/.hidden.md", "h", mtime1)
	s.write(t, "other/e.pdf", "e", mtime1)
	base := s.vals["SAMBA_SHARE"] + "/" + filepath.Base(s.dir)
	host := s.vals["SAMBA_HOST"]
	rules := []any{
		map[string]any{"pattern": base + "/docs/*.txt"},
		map[string]any{"pattern": base + `\**\*.md`}, // backslashes are accepted
		map[string]any{"pattern": base + "/**/*.txt"},
		map[string]any{"pattern": base + "/nothing/*"},
	}
	want := []string{
		`\\` + host + "/" + base + `/docs/\a.txt`,
		`\\` + host + "/" + base + `/\docs\b.md`,
		`\\` + host + "/" + base + `/\notes\d.md`,
		`\\` + host + "/" + base + `/\docs\deep\c.txt`,
	}
	src := s.open(t, map[string]any{"use_document_level_security": true, "drive_type": "linux", "identity_mappings": "/dev/null"}, Factory.Features)
	got, err := collect(t, src, connector.DocsRequest{AdvancedRules: rules})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.order, want) {
		t.Errorf("documents\n%v\nwant\n%v", got.order, want)
	}
	for _, p := range got.order {
		if len(got.docs[p].AllowAccessControl) == 0 {
			t.Errorf("%s has no _allow_access_control", p)
		}
	}
	// The rule whose folder does not exist is reported, so that nothing is deleted.
	if _, ok := got.incomplete[`\\`+host+"/"+base+"/nothing/"]; !ok || len(got.incomplete) != 1 {
		t.Errorf("incomplete: %v", got.incomplete)
	}
	// Same ids as the full walk.
	full, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, d := range full.docs {
		ids[d.ID] = true
	}
	for _, p := range got.order {
		if !ids[got.docs[p].ID] {
			t.Errorf("%s: id %s not in the full walk", p, got.docs[p].ID)
		}
	}
	// A snippet that does not validate fails the sync with the validation message.
	_, err = collect(t, src, connector.DocsRequest{AdvancedRules: []any{map[string]any{"pattern": "/x"}}})
	if err == nil || err.Error() != "advanced sync rules: SMB Path should not start with '/' in the beginning. Incorrect path: {'/x'}" {
		t.Errorf("invalid rules: %v", err)
	}
}

// TestResumeWithRules: a job resumed from any checkpoint of a rules walk emits exactly what the
// first run had not emitted before that checkpoint; and a checkpoint whose folder was removed
// meanwhile still resumes (after it).
func TestResumeWithRules(t *testing.T) {
	s := newSamba(t)
	for _, d := range []string{"a", "b", "b/c", "d"} {
		for i := 0; i < 3; i++ {
			s.write(t, d+"/f"+string(rune('0'+i))+".txt", "x", mtime1)
		}
	}
	base := s.vals["SAMBA_SHARE"] + "/" + filepath.Base(s.dir)
	rules := []any{map[string]any{"pattern": base + "/b/**"}, map[string]any{"pattern": base + "/**/*.txt"}}
	old := checkpointEvery
	checkpointEvery = 2
	t.Cleanup(func() { checkpointEvery = old })
	src := s.open(t, nil, Factory.Features)
	full, err := collect(t, src, connector.DocsRequest{AdvancedRules: rules})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.checkpoints) < 4 {
		t.Fatalf("%d checkpoints", len(full.checkpoints))
	}
	for k, cp := range full.checkpoints {
		if _, ok := cp["rule"]; !ok {
			t.Fatalf("checkpoint %v has no rule", cp)
		}
		// What the first run emitted up to this checkpoint.
		before := map[string]bool{}
		for _, p := range full.order[:full.cpAt[k]] {
			before[p] = true
		}
		resumed, err := collect(t, src, connector.DocsRequest{AdvancedRules: rules, Checkpoint: cp})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range full.order {
			if before[p] == (resumed.docs[p].ID != "") {
				t.Errorf("checkpoint %d %v: %s emitted before %v, after resuming %v", k, cp, p, before[p], resumed.docs[p].ID != "")
			}
		}
	}
	// The folder of a checkpoint in the middle of b/c is removed: the resumed job goes on after it.
	var mid map[string]any
	for _, cp := range full.checkpoints {
		if cp["folder"] == "b/c" {
			mid = cp
		}
	}
	if mid == nil {
		t.Fatalf("no checkpoint in b/c: %v", full.checkpoints)
	}
	if err := os.RemoveAll(filepath.Join(s.dir, "b", "c")); err != nil {
		t.Fatal(err)
	}
	resumed, err := collect(t, src, connector.DocsRequest{AdvancedRules: rules, Checkpoint: mid})
	if err != nil {
		t.Fatal(err)
	}
	if len(resumed.docs) == 0 {
		t.Error("nothing emitted after a vanished checkpoint folder")
	}
	for p := range resumed.docs {
		if strings.Contains(p, `\b\c`) || strings.Contains(p, `/b/\c`) {
			t.Errorf("%s emitted after its folder was removed", p)
		}
	}
}
