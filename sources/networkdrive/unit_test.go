package networkdrive

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestGlobAgainstWcmatch compares the pattern matching with the results of wcmatch 8.4.1, the
// library and version the original uses (testdata/gen_wcmatch.py made the table).
func TestGlobAgainstWcmatch(t *testing.T) {
	b, err := os.ReadFile("testdata/wcmatch-8.4.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases [][3]any `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, c := range table.Cases {
		pattern, path, want := c[0].(string), c[1].(string), c[2].(bool)
		if got := compileGlob(pattern).match(path); got != want {
			bad++
			t.Errorf("pattern %q path %q: %v, wcmatch %v", pattern, path, got, want)
		}
	}
	t.Logf("%d cases, %d differ", len(table.Cases), bad)
}

func TestGlobCanContain(t *testing.T) {
	cases := []struct {
		pattern, dir string
		want         bool
	}{
		{"share/a/*.txt", "share/a", true},
		{"share/a/*.txt", "share/b", false},
		{"share/a/*.txt", "share/a/b", false},
		{"share/**/*.txt", "share/x/y/z", true},
		{"share/*/b/*", "share/q", true},
		{"share/*/b/*", "share/q/b", true},
		{"share/*/b/*", "share/q/c", false},
		{"share/**/*.txt", "share/.git", false},
	}
	for _, c := range cases {
		if got := compileGlob(c.pattern).canContain(c.dir); got != c.want {
			t.Errorf("%q under %q: %v, want %v", c.pattern, c.dir, got, c.want)
		}
	}
}

func TestRuleBase(t *testing.T) {
	cases := []struct{ pattern, docPath, base string }{
		{"share/a/b/*", `\\h/share/a/b/`, "share/a/b"},
		{"share/a/**/x", `\\h/share/a/`, "share/a"},
		{"share/a?/x", `\\h/share/`, "share"},
		{"share/a/b", `\\h/share/a/b`, "share/a/b"},
		{"sh*re/x", `\\h/sh/`, "sh"},
		{"*.txt", `\\h//`, ""},
	}
	for _, c := range cases {
		d, b := ruleBase("h", c.pattern)
		if d != c.docPath || b != c.base {
			t.Errorf("%q: %q %q, want %q %q", c.pattern, d, b, c.docPath, c.base)
		}
	}
}

// TestValidateAdvancedRules: the original's schema and slash check, with its messages.
func TestValidateAdvancedRules(t *testing.T) {
	cases := []struct {
		rules string
		want  string
	}{
		{`[]`, ""},
		{`{}`, ""},
		{`[{"pattern": "a/b"}]`, ""},
		{`[{"pattern": "a/b/*"}, {"pattern": "a/**"}]`, ""},
		{`[{"pattern": "a/**/c"}, {"pattern": ""}]`, "data[1].pattern must be longer than or equal to 1 characters"},
		{`[{"pattern": "a/b/*"}, {"queries": "a/d"}]`, "data[1] must contain ['pattern'] properties"},
		{`[{"pattern": "a/b/*", "extra": 1}]`, "data[0] must not contain {'extra'} properties"},
		{`{"pattern": ["a/b/*"]}`, "data must be array"},
		{`[{"pattern": ["a"]}]`, "data[0].pattern must be string"},
		{`["a/b"]`, "data[0] must be object"},
		{`[{"pattern": "/[abc"}]`, "SMB Path should not start with '/' in the beginning. Incorrect path: {'/[abc'}"},
		{`[{"pattern": "/b"}, {"pattern": "/a"}, {"pattern": "/b"}]`, "SMB Path should not start with '/' in the beginning. Incorrect path: {'/a', '/b'}"},
	}
	s := &Source{}
	for _, c := range cases {
		var v any
		if err := json.Unmarshal([]byte(c.rules), &v); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.ValidateAdvancedRules(t.Context(), v)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(msgs, "; ")
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.rules, got, c.want)
		}
	}
}

func TestPyISO(t *testing.T) {
	ft := func(t time.Time) uint64 { return uint64(t.UnixNano()/100 + filetimeEpoch) }
	cases := []struct {
		ft   uint64
		want string
	}{
		{ft(time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)), "2024-05-06T07:08:09.123456"},
		{ft(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)), "2024-05-06T07:08:09"},
		{ft(time.Date(2024, 5, 6, 7, 8, 9, 900, time.UTC)), "2024-05-06T07:08:09"}, // below a microsecond
		{ft(time.Date(1969, 12, 31, 23, 59, 59, 999999900, time.UTC)), "1969-12-31T23:59:59.999999"},
		{filetimeEpoch - 1, "1969-12-31T23:59:59.999999"}, // floor, as Python's //
		{0, "1601-01-01T00:00:00"},
		{filetimeEpoch, "1970-01-01T00:00:00"},
		{1<<63 - 1, "9999-12-31T23:59:59.999999"},
		{1<<64 - 1, "9999-12-31T23:59:59.999999"},
	}
	for _, c := range cases {
		if got := pyISO(c.ft); got != c.want {
			t.Errorf("pyISO(%d) = %s, want %s", c.ft, got, c.want)
		}
	}
}

// sd builds a self-relative security descriptor with a DACL of the given ACEs.
func sd(t *testing.T, aces ...string) []byte {
	t.Helper()
	var body []byte
	for _, a := range aces {
		b, err := hex.DecodeString(a)
		if err != nil {
			t.Fatal(err)
		}
		body = append(body, b...)
	}
	acl := []byte{2, 0, 0, 0, byte(len(aces)), 0, 0, 0}
	size := 8 + len(body)
	acl[2], acl[3] = byte(size), byte(size>>8)
	acl = append(acl, body...)
	h := []byte{1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0}
	return append(h, acl...)
}

// ace encodes an ACE: type, mask and a SID given as hex.
func aceHex(typ byte, mask uint32, sidHex string) string {
	sid, _ := hex.DecodeString(sidHex)
	n := 8 + len(sid)
	b := []byte{typ, 0, byte(n), byte(n >> 8), byte(mask), byte(mask >> 8), byte(mask >> 16), byte(mask >> 24)}
	return hex.EncodeToString(append(b, sid...))
}

const (
	sidEveryone = "010100000000000100000000"                                 // S-1-1-0
	sidUser1    = "010500000000000515000000010000000200000003000000e9030000" // S-1-5-21-1-2-3-1001
	sidUser2    = "010500000000000515000000010000000200000003000000ea030000" // S-1-5-21-1-2-3-1002
	sidAdmins   = "01020000000000052000000020020000"                         // S-1-5-32-544
)

// TestPermissions: the original's rule on Windows-style DACLs Samba's POSIX mapping cannot
// produce: deny ACEs, the write-only deny mask 278, and local groups expanded to members.
func TestPermissions(t *testing.T) {
	groups := map[string][]string{"S-1-5-32-544": {"S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-1001"}}
	cases := []struct {
		name string
		aces []string
		want []string
	}{
		{"allow", []string{aceHex(0, 0x1200a9, sidEveryone), aceHex(0, 0x1f01ff, sidUser1)}, []string{"sid:S-1-1-0", "sid:S-1-5-21-1-2-3-1001"}},
		{"deny removes", []string{aceHex(1, 0x1200a9, sidUser1), aceHex(0, 0x1f01ff, sidUser1), aceHex(0, 0x1f01ff, sidUser2)}, []string{"sid:S-1-5-21-1-2-3-1002"}},
		{"write-only deny allows", []string{aceHex(1, 278, sidUser1)}, []string{"sid:S-1-5-21-1-2-3-1001"}},
		{"group expanded", []string{aceHex(0, 0x1f01ff, sidAdmins)}, []string{"sid:S-1-5-21-1-2-3-1001", "sid:S-1-5-21-1-2-3-500"}},
		{"group denied", []string{aceHex(0, 0x1f01ff, sidAdmins), aceHex(0, 0x1f01ff, sidUser2), aceHex(1, 0x1f01ff, sidAdmins)}, []string{"sid:S-1-5-21-1-2-3-1002"}},
		{"object ACE ignored", []string{"05000c00ff011f00" + "00000000", aceHex(0, 1, sidUser2)}, []string{"sid:S-1-5-21-1-2-3-1002"}},
		{"empty mask ignored", []string{aceHex(0, 0, sidUser1)}, []string{}},
	}
	for _, c := range cases {
		aces, present, err := parseDACL(sd(t, c.aces...))
		if err != nil || !present {
			t.Fatalf("%s: %v %v", c.name, present, err)
		}
		if got := permissions(aces, groups); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// No DACL at all: everyone may read, the field is left out.
	noDACL := []byte{1, 0, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, present, err := parseDACL(noDACL); present || err != nil {
		t.Errorf("no DACL: present %v, %v", present, err)
	}
	// Truncated descriptors are errors, never panics.
	full := sd(t, aceHex(0, 1, sidUser1))
	for i := 0; i < len(full); i++ {
		_, _, _ = parseDACL(full[:i])
	}
}

// TestSambaRecordedDescriptor parses a descriptor recorded from Samba 4.17 (a file with the
// POSIX ACL user::rw-, user:connectors-smb2:r--, group::r--, other::r--).
func TestSambaRecordedDescriptor(t *testing.T) {
	b, _ := hex.DecodeString("010004901400000024000000000000003400000001020000000000160100000000000000010200000000001602000000000000000200700004000000000018009f01120001020000000000160100000000000000000018008900120001020000000000160200000000000000000024008900120001050000000000051500000063c013f31451066c9029f5a2e90300000000140089001200010100000000000100000000")
	aces, present, err := parseDACL(b)
	if err != nil || !present {
		t.Fatal(present, err)
	}
	want := []ace{
		{0, 0x12019f, "S-1-22-1-0"},
		{0, 0x120089, "S-1-22-2-0"},
		{0, 0x120089, "S-1-5-21-4078157923-1812353300-2733975952-1001"},
		{0, 0x120089, "S-1-1-0"},
	}
	if !reflect.DeepEqual(aces, want) {
		t.Errorf("%+v", aces)
	}
}
