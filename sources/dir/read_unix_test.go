//go:build unix

package dir

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFileReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.txt")
	content := strings.Repeat("0123456789", 100)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		listed int64 // the size the listing saw
		wrap   func(io.Reader) io.Reader
		append string // written after opening
		want   string
	}{
		{"whole file", 1000, nil, "", content},
		{"one byte at a time", 1000, iotest.OneByteReader, "", content},
		{"grew since listed", 1000, nil, "more", content + "more"},
		{"shrank since listed", 5000, nil, "", content},
		{"unknown size", -1, iotest.HalfReader, "", content},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			rc, err := openFile(context.Background(), path, tc.listed)
			if err != nil {
				t.Fatal(err)
			}
			if tc.append != "" {
				f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				_, _ = f.WriteString(tc.append)
				f.Close()
			}
			var r io.Reader = rc
			if tc.wrap != nil {
				r = tc.wrap(r)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tc.want {
				t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(tc.want))
			}
			if err := rc.Close(); err != nil {
				t.Fatal(err)
			}
			if err := rc.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := openFile(ctx, path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	cancel()
	if _, err := rc.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
	if _, err := openFile(context.Background(), filepath.Join(t.TempDir(), "missing"), 0); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
