package exepages

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestReadOnlyMappings(t *testing.T) {
	const exe = "/opt/connectors/bin/connectors"
	maps := `00400000-022d9000 r-xp 00000000 fd:00 1234 /opt/connectors/bin/connectors
022d9000-04f24000 r--p 01ed9000 fd:00 1234 /opt/connectors/bin/connectors
04f24000-05670000 rw-p 04b24000 fd:00 1234 /opt/connectors/bin/connectors
05670000-056a0000 rw-p 00000000 00:00 0 
c000000000-c004000000 rw-p 00000000 00:00 0 
7f0000000000-7f0000001000 r--s 00000000 fd:00 99 /opt/connectors/bin/connectors
7f0000001000-7f0000002000 r--p 00000000 fd:00 77 /opt/connectors/bin/connectors-other
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]
`
	got := readOnlyMappings([]byte(maps), exe)
	want := []mapping{{0x400000, 0x22d9000}, {0x22d9000, 0x4f24000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("readOnlyMappings = %#v, want %#v (code and read-only data only: not the writable data, not a shared mapping, not another file)", got, want)
	}
	deleted := strings.ReplaceAll(maps, exe+"\n", exe+" (deleted)\n")
	if got := readOnlyMappings([]byte(deleted), exe+" (deleted)"); !reflect.DeepEqual(got, want) {
		t.Errorf("an executable replaced on disk: readOnlyMappings = %#v, want %#v", got, want)
	}
}

// TestReleaseDropsFilePages releases the test binary's own pages: the process keeps running, and
// the file-backed part of its RSS falls.
func TestReleaseDropsFilePages(t *testing.T) {
	before := rssFile(t)
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("Release found no read-only mapping of the executable")
	}
	after := rssFile(t)
	t.Logf("released %d bytes of mappings; RssFile %d kB -> %d kB", n, before, after)
	if after >= before {
		t.Errorf("RssFile did not fall: %d kB before, %d kB after", before, after)
	}
}

func rssFile(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no RssFile line in /proc/self/status")
	return 0
}
