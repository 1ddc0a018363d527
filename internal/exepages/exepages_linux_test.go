package exepages

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestReadOnlyMappings(t *testing.T) {
	const exe = "/opt/connectors/bin/connectors"
	// smaps: each mapping's header line, then its attributes (a few of them here).
	attrs := func(anon int) string {
		return "Size:               4 kB\nRss:                4 kB\nAnonymous:          " + strconv.Itoa(anon) + " kB\nVmFlags: rd mr mw me\n"
	}
	maps := "00400000-022d9000 r-xp 00000000 fd:00 1234 /opt/connectors/bin/connectors\n" + attrs(0) +
		"022d9000-04f24000 r--p 01ed9000 fd:00 1234 /opt/connectors/bin/connectors\n" + attrs(0) +
		// a RELRO segment: read-only now, but the loader wrote to it (private copies of pages)
		"04f24000-04f30000 r--p 04b24000 fd:00 1234 /opt/connectors/bin/connectors\n" + attrs(8) +
		"04f30000-05670000 rw-p 04b30000 fd:00 1234 /opt/connectors/bin/connectors\n" + attrs(0) +
		"05670000-056a0000 rw-p 00000000 00:00 0 \n" + attrs(12) +
		"c000000000-c004000000 rw-p 00000000 00:00 0 \n" + attrs(400) +
		"7f0000000000-7f0000001000 r--s 00000000 fd:00 99 /opt/connectors/bin/connectors\n" + attrs(0) +
		"7f0000001000-7f0000002000 r--p 00000000 fd:00 77 /opt/connectors/bin/connectors-other\n" + attrs(0) +
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n" + attrs(8) +
		"7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]\n" + attrs(0)
	got := readOnlyMappings([]byte(maps), exe)
	want := []mapping{{0x400000, 0x22d9000}, {0x22d9000, 0x4f24000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("readOnlyMappings = %#v, want %#v (code and read-only data only: not a written RELRO segment, not the writable data, not a shared mapping, not another file)", got, want)
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

// TestReleaseInPIEBuild: a position-independent build has read-only data the loader relocated
// (RELRO); giving those pages back would restore the file's unrelocated bytes and crash the
// process at its next allocation. Release must leave them alone.
func TestReleaseInPIEBuild(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the test program")
	}
	bin := filepath.Join(t.TempDir(), "pie")
	build := exec.Command(goTool, "build", "-buildmode=pie", "-o", bin, "./testdata/pie")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("this toolchain cannot build a PIE here: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok ") {
		t.Fatalf("the PIE program failed after Release: %v\n%s", err, out)
	}
}
