//go:build unix

package dir

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// globTree builds the file tree the expectations below were taken from.
func globTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"sub/deep", ".git", "emptydir", "a/b/a/b"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{"a.txt", "b.md", "noext", ".hidden.txt", ".env", "name.", "sub/c.txt", "sub/d.TXT",
		"sub/deep/e.txt", "sub/deep/f.py", ".git/config.txt", "[x].txt", "a/b/a/b/x.txt", "a/x.txt"}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(root, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"link_to_sub": "sub", "link_a.txt": "a.txt", "broken.txt": "missing"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// The expected results were produced by Python 3.11.7 on the same tree with
//
//	sorted(str(p.relative_to(root)) for p in pathlib.Path(root).glob(pattern) if p.is_file())
//
// (the original lists files exactly that way; Python 3.10 differs only for patterns ending in
// "/", where it also returns files).
var pythonGlob = map[string][]string{
	"**/*.*": {".env", ".git/config.txt", ".hidden.txt", "[x].txt", "a.txt", "a/b/a/b/x.txt", "a/x.txt",
		"b.md", "link_a.txt", "name.", "sub/c.txt", "sub/d.TXT", "sub/deep/e.txt", "sub/deep/f.py"},
	"*.txt": {".hidden.txt", "[x].txt", "a.txt", "link_a.txt"},
	"**/*.txt": {".git/config.txt", ".hidden.txt", "[x].txt", "a.txt", "a/b/a/b/x.txt", "a/x.txt",
		"link_a.txt", "sub/c.txt", "sub/deep/e.txt"},
	"sub/*":                {"sub/c.txt", "sub/d.TXT"},
	"sub/**/*.txt":         {"sub/c.txt", "sub/deep/e.txt"},
	"**":                   {},
	"**/":                  {},
	"*/":                   {},
	"*":                    {".env", ".hidden.txt", "[x].txt", "a.txt", "b.md", "link_a.txt", "name.", "noext"},
	"**/deep/*":            {"sub/deep/e.txt", "sub/deep/f.py"},
	"*/*.txt":              {".git/config.txt", "a/x.txt", "link_to_sub/c.txt", "sub/c.txt"},
	"link_to_sub/*.txt":    {"link_to_sub/c.txt"},
	"link_to_sub/**/*.txt": {"link_to_sub/c.txt", "link_to_sub/deep/e.txt"},
	"**/*.TXT":             {"sub/d.TXT"},
	"[!a]*.txt":            {".hidden.txt", "[x].txt", "link_a.txt"},
	"[a-c].*":              {"a.txt", "b.md"},
	"[x].txt":              {},
	"[[]x].txt":            {"[x].txt"},
	"?.md":                 {"b.md"},
	"**/a/**/x.txt":        {"a/b/a/b/x.txt", "a/x.txt"},
	"**/**/*.py":           {"sub/deep/f.py"},
	"sub//deep/./*.py":     {"sub/deep/f.py"},
	"*.":                   {"name."},
	"sub/*/":               {},
	"*/**/*.py":            {"link_to_sub/deep/f.py", "sub/deep/f.py"},
	"[z-a]*":               {},
}

func globFiles(t *testing.T, root, p string) []string {
	t.Helper()
	pat, err := compilePattern(p)
	if err != nil {
		t.Fatalf("pattern %q: %v", p, err)
	}
	got := []string{}
	w := &walker{pat: pat, visit: func(path string, _ fs.FileInfo) error {
		got = append(got, strings.TrimPrefix(path, root+"/"))
		return nil
	}, report: func(path string, err error) { t.Errorf("unexpected report: %s: %v", path, err) }}
	if err := w.walk(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func TestGlobMatchesPython(t *testing.T) {
	root := globTree(t)
	for p, want := range pythonGlob {
		t.Run(p, func(t *testing.T) {
			if got := globFiles(t, root, p); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestGlobYieldsEachPathOnce(t *testing.T) {
	root := globTree(t)
	got := globFiles(t, root, "**/**/**/*.txt")
	seen := map[string]bool{}
	for _, p := range got {
		if seen[p] {
			t.Fatalf("%q yielded twice", p)
		}
		seen[p] = true
	}
	if !seen["a/b/a/b/x.txt"] {
		t.Fatalf("missing deep file: %v", got)
	}
}

func TestPatternErrors(t *testing.T) {
	tests := map[string]string{
		"":          "empty",
		"  ":        "empty",
		"/etc/*":    "absolute",
		"../*":      "'..'",
		"a/../b":    "'..'",
		"a**/*.txt": "whole component",
		".":         "nothing but the directory",
		"./":        "nothing but the directory",
	}
	for p, want := range tests {
		_, err := compilePattern(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("compilePattern(%q) = %v, want an error mentioning %q", p, err, want)
		}
	}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		pat   string
		match []string
		miss  []string
	}{
		{"*.*", []string{".env", "a.b", "a."}, []string{"abc"}},
		{"?", []string{"a", "\n"}, []string{"", "ab"}},
		{"[!a-c]x", []string{"dx", "-x"}, []string{"ax", "bx"}},
		{"[]]", []string{"]"}, []string{"a"}},
		{"[!]]", []string{"a"}, []string{"]"}},
		{"[a-]", []string{"a", "-"}, []string{"b"}},
		{"[-a]", []string{"a", "-"}, []string{"b"}},
		{"[", []string{"["}, []string{"a"}},
		{"[a", []string{"[a"}, []string{"a"}},
		{`a\b`, []string{`a\b`}, []string{"ab"}},
		{"[\\]", []string{`\`}, []string{"a"}},
		{"[^a]", []string{"^", "a"}, []string{"b"}},
		{"[z-a]", nil, []string{"z", "a", "-"}},
		{"[!z-a]", []string{"z", "q"}, []string{""}},
		{"[a-cx-z]", []string{"b", "y"}, []string{"d", "-"}},
		{"a+b(c)", []string{"a+b(c)"}, []string{"aab(c)"}},
	}
	for _, tt := range tests {
		pat, err := compilePattern(tt.pat)
		if err != nil {
			t.Errorf("%q: %v", tt.pat, err)
			continue
		}
		re := pat.parts[0].re
		for _, s := range tt.match {
			if !re.MatchString(s) {
				t.Errorf("%q should match %q (regexp %s)", tt.pat, s, re)
			}
		}
		for _, s := range tt.miss {
			if re.MatchString(s) {
				t.Errorf("%q should not match %q (regexp %s)", tt.pat, s, re)
			}
		}
	}
}

func TestCleanPath(t *testing.T) {
	tests := map[string]string{
		"":           ".",
		".":          ".",
		"./":         ".",
		"/":          "/",
		"//":         "//",
		"///":        "/",
		"/a//b/./c/": "/a/b/c",
		"a/../b":     "a/../b",
		"./x":        "x",
		"//srv/x":    "//srv/x",
	}
	for in, want := range tests {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
	joins := map[[2]string]string{{".", "a"}: "a", {"/", "a"}: "/a", {"//", "a"}: "//a", {"/x", "a"}: "/x/a", {"x", "a"}: "x/a"}
	for in, want := range joins {
		if got := joinPath(in[0], in[1]); got != want {
			t.Errorf("joinPath(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

// walkOrder lists the files a walk visits, in visiting order, relative to root; after is the
// resume path.
func walkOrder(t *testing.T, root, p string, after []string) []string {
	t.Helper()
	pat, err := compilePattern(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	w := &walker{pat: pat, after: after, visit: func(path string, _ fs.FileInfo) error {
		got = append(got, strings.TrimPrefix(path, root+"/"))
		return nil
	}, report: func(path string, err error) { t.Errorf("unexpected report: %s: %v", path, err) }}
	if err := w.walk(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	return got
}

func writeTree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestWalkIsInNameOrder: directory by directory, entries in byte order of their names, so "b"
// (a directory) comes before "b.txt" although "b/x" sorts after "b.txt" as a string.
func TestWalkIsInNameOrder(t *testing.T) {
	root := writeTree(t, "b.txt", "b/x.txt", "a.txt", "B.txt", "b/a/z.txt", "c/d.txt")
	want := []string{"B.txt", "a.txt", "b/a/z.txt", "b/x.txt", "b.txt", "c/d.txt"}
	if got := walkOrder(t, root, "**/*.txt", nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
}

func TestWalkResumesAfterAPath(t *testing.T) {
	root := writeTree(t, "B.txt", "a.txt", "b/a/z.txt", "b/x.txt", "b.txt", "c/d.txt")
	all := []string{"B.txt", "a.txt", "b/a/z.txt", "b/x.txt", "b.txt", "c/d.txt"}
	tests := []struct {
		after string
		want  []string
	}{
		{"a.txt", all[2:]},
		{"b/a/z.txt", all[3:]},
		{"b/x.txt", all[4:]},
		{"c/d.txt", nil},
		// The file of the checkpoint is gone: the walk continues after where it was.
		{"b/m.txt", all[3:]},
		// Its whole directory is gone.
		{"b/q/r.txt", all[3:]},
		{"b/z/r.txt", all[4:]},
		{"aa.txt", all[2:]},
		// Before everything.
		{"0", all},
	}
	for _, tt := range tests {
		t.Run(tt.after, func(t *testing.T) {
			if got := walkOrder(t, root, "**/*.txt", strings.Split(tt.after, "/")); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("after %q: %q, want %q", tt.after, got, tt.want)
			}
		})
	}
}

// TestWalkLargeDirectory lists more entries than fit a small buffer, in order.
func TestWalkLargeDirectory(t *testing.T) {
	root := t.TempDir()
	const n = 519
	for i := range n {
		name := filepath.Join(root, "f"+strings.Repeat("x", i%5)+"_"+strconv.Itoa(i)+".txt")
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sub", "last.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := walkOrder(t, root, "**/*.txt", nil)
	if len(got) != n+1 || !sort.StringsAreSorted(got[:n]) || got[n] != "sub/last.txt" {
		t.Fatalf("got %d files, want %d in order", len(got), n+1)
	}
}
