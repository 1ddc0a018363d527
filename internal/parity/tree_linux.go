package parity

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tree is a file-tree fixture (a source's testdata/parity/fixture.json): files with their
// contents, modes and times to the nanosecond, folders with their times, links and FIFOs.
type Tree struct {
	Files []struct {
		Path   string `json:"path"`
		Mode   string `json:"mode"`
		Mtime  string `json:"mtime"`
		Atime  string `json:"atime"`
		Text   string `json:"text"`
		Base64 string `json:"base64"`
	} `json:"files"`
	// Dirs gives folders times (set last, since creating entries changes them); folders
	// without an entry are created as needed with the current time.
	Dirs []struct {
		Path  string `json:"path"`
		Mtime string `json:"mtime"`
		Atime string `json:"atime"`
	} `json:"dirs"`
	Symlinks []struct {
		Path   string `json:"path"`
		Target string `json:"symlink"`
	} `json:"symlinks"`
	Hardlinks []struct {
		Path   string `json:"path"`
		Target string `json:"target"`
	} `json:"hardlinks"`
	Fifos []struct {
		Path string `json:"path"`
	} `json:"fifos"`
}

// FixtureTime parses "seconds[.fraction]" (possibly negative) exactly, to the nanosecond.
func FixtureTime(t testing.TB, s string) time.Time {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		t.Fatalf("fixture time %q: %v", s, err)
	}
	var nsec int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if nsec, err = strconv.ParseInt(frac, 10, 64); err != nil {
			t.Fatalf("fixture time %q: %v", s, err)
		}
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec)
}

// WriteTree writes the tree fixture at fixture (a JSON file) below root, which must be empty or
// absent.
func WriteTree(t testing.TB, fixture, root string) {
	t.Helper()
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var fx Tree
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatalf("%s: %v", fixture, err)
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range fx.Dirs {
		if err := os.MkdirAll(filepath.Join(root, d.Path), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fx.Files {
		p := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(f.Text)
		if f.Base64 != "" {
			if data, err = base64.StdEncoding.DecodeString(f.Base64); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		mode, err := strconv.ParseUint(f.Mode, 8, 32)
		if err != nil {
			t.Fatal(err)
		}
		// os.Chmod drops setuid unless given as os.ModeSetuid; syscall.Chmod takes the raw bits.
		if err := syscall.Chmod(p, uint32(mode)); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range fx.Hardlinks {
		if err := os.Link(filepath.Join(root, l.Target), filepath.Join(root, l.Path)); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range fx.Symlinks {
		if err := os.Symlink(l.Target, filepath.Join(root, l.Path)); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fx.Fifos {
		if err := syscall.Mkfifo(filepath.Join(root, f.Path), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Times last: writing a file changes its times, and adding entries changes its folder's.
	for _, f := range fx.Files {
		if err := os.Chtimes(filepath.Join(root, f.Path), FixtureTime(t, f.Atime), FixtureTime(t, f.Mtime)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range fx.Dirs {
		if err := os.Chtimes(filepath.Join(root, d.Path), FixtureTime(t, d.Atime), FixtureTime(t, d.Mtime)); err != nil {
			t.Fatal(err)
		}
	}
}
