package dir_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/sources/dir"
)

func repoSample(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sample")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAcceptanceSample(t *testing.T) {
	// Six files of the sample folder have an extension; the default pattern leaves out the
	// one without.
	connectortest.Run(t, dir.Factory, map[string]any{"directory": repoSample(t)},
		connectortest.ExpectDocs(6),
		connectortest.InvalidConfig(map[string]any{"pattern": "/etc/*"}, "pattern"),
		connectortest.InvalidConfig(map[string]any{"pattern": "a**"}, "pattern"),
	)
}

// TestAcceptanceLargeTree gives the cancellation checks a tree large enough that stopping early
// is observable.
func TestAcceptanceLargeTree(t *testing.T) {
	root := t.TempDir()
	n := 0
	for d := range 10 {
		sub := filepath.Join(root, "d"+string(rune('a'+d)), "inner")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range 40 {
			name := filepath.Join(sub, "f"+string(rune('a'+f%26))+string(rune('a'+f/26))+".txt")
			if err := os.WriteFile(name, []byte(strings.Repeat("x", f)), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	// One folder of 40 files unreadable: the source must say so and list the other files.
	unreadable := func(*testing.T) func() { return dir.FailOpen(filepath.Join(root, "dc"), fs.ErrPermission) }
	connectortest.Run(t, dir.Factory, map[string]any{"directory": root, "pattern": "**/*.txt"},
		connectortest.ExpectDocs(n), connectortest.MaxFileSize(16), connectortest.Unreadable(unreadable, n-40))
}

// TestUnreadablePartsAreReported: what cannot be read below the root is reported and the walk
// goes on; what vanished during the walk is simply gone; an unreadable root fails the sync.
func TestUnreadablePartsAreReported(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a/1.txt", "a/2.txt", "b/3.txt", "c/4.txt", "5.txt"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		breakData   func() func()
		wantPaths   []string
		wantReports []string
		wantErr     string
	}{
		{"complete", func() func() { return func() {} }, []string{"5.txt", "a/1.txt", "a/2.txt", "b/3.txt", "c/4.txt"}, nil, ""},
		{"folder without permission", func() func() { return dir.FailOpen(filepath.Join(root, "a"), fs.ErrPermission) },
			[]string{"5.txt", "b/3.txt", "c/4.txt"}, []string{"a: open " + filepath.Join(root, "a") + ": permission denied"}, ""},
		{"folder removed during the walk", func() func() { return dir.FailOpen(filepath.Join(root, "b"), fs.ErrNotExist) },
			[]string{"5.txt", "a/1.txt", "a/2.txt", "c/4.txt"}, nil, ""},
		{"file that cannot be examined", func() func() { return dir.FailStat(filepath.Join(root, "c", "4.txt"), fs.ErrPermission) },
			[]string{"5.txt", "a/1.txt", "a/2.txt", "b/3.txt"}, []string{"c/4.txt: stat " + filepath.Join(root, "c", "4.txt") + ": permission denied"}, ""},
		{"file removed during the walk", func() func() { return dir.FailStat(filepath.Join(root, "5.txt"), fs.ErrNotExist) },
			[]string{"a/1.txt", "a/2.txt", "b/3.txt", "c/4.txt"}, nil, ""},
		{"root without permission", func() func() { return dir.FailOpen(root, fs.ErrPermission) }, nil, nil, `configuration field "directory"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			restore := tt.breakData()
			defer restore()
			var reports []string
			req := connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
				reports = append(reports, strings.TrimPrefix(scope, root+"/")+": "+cause.Error())
			}}
			var paths []string
			err := newSource(t, map[string]any{"directory": root}).Docs(context.Background(), req, func(d connector.Document) error {
				paths = append(paths, strings.TrimPrefix(d.Fields["path"].(string), root+"/"))
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(paths)
			if strings.Join(paths, ",") != strings.Join(tt.wantPaths, ",") {
				t.Errorf("paths %v, want %v", paths, tt.wantPaths)
			}
			if strings.Join(reports, ",") != strings.Join(tt.wantReports, ",") {
				t.Errorf("reports %q, want %q", reports, tt.wantReports)
			}
		})
	}
}

// TestUnreadableFolderWithPermissions makes a folder unreadable the real way; root is not
// stopped by permissions (internal/e2e runs the service as an unprivileged user for that case).
func TestUnreadableFolderWithPermissions(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("permissions do not stop root; TestUnreadableFolderKeepsItsDocuments in internal/e2e drops privileges")
	}
	root := t.TempDir()
	locked := filepath.Join(root, "locked")
	for _, p := range []string{filepath.Join(locked, "secret.txt"), filepath.Join(root, "open.txt")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o755)
	var scopes []string
	var n int
	err := newSource(t, map[string]any{"directory": root}).Docs(context.Background(),
		connector.DocsRequest{OnIncomplete: func(scope string, _ error) { scopes = append(scopes, scope) }},
		func(connector.Document) error { n++; return nil })
	if err != nil || n != 1 || len(scopes) != 1 || scopes[0] != locked {
		t.Fatalf("err %v, %d documents, reports %v", err, n, scopes)
	}
}

func newSource(t *testing.T, cfg map[string]any) connector.Source {
	t.Helper()
	stored, err := dir.Factory.ConfigurationWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dir.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dir.Factory.New(c, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func collect(t *testing.T, cfg map[string]any) []connector.Document {
	t.Helper()
	stored, err := dir.Factory.ConfigurationWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dir.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dir.Factory.New(c, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var docs []connector.Document
	err = src.Docs(context.Background(), connector.DocsRequest{}, func(d connector.Document) error {
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestRelativeDirectoryPaths(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data", "x", "a.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	tests := map[string]string{"data": "data/x/a.txt", "./data/": "data/x/a.txt", ".": "data/x/a.txt"}
	for dirValue, want := range tests {
		docs := collect(t, map[string]any{"directory": dirValue})
		if len(docs) != 1 || docs[0].Fields["path"] != want || docs[0].ID != connector.HashID(want) {
			t.Errorf("directory %q: got %+v, want path %q", dirValue, docs, want)
		}
	}
}

func TestPingAndValidateConfig(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "f.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		cfg         map[string]any
		pingErr     string
		validateErr string
	}{
		{"ok", map[string]any{"directory": root}, "", ""},
		{"missing directory", map[string]any{"directory": filepath.Join(root, "nope")}, "does not exist", ""},
		{"file instead of directory", map[string]any{"directory": file}, "is not a directory", ""},
		{"bad pattern", map[string]any{"directory": root, "pattern": "x**"}, "", `configuration field "pattern"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, _ := dir.Factory.ConfigurationWith(tt.cfg)
			c, err := dir.Factory.NewConfig(stored)
			if err != nil {
				t.Fatal(err)
			}
			src, _ := dir.Factory.New(c, connector.Env{})
			defer src.Close()
			check := func(what string, err error, want string) {
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: unexpected error %v", what, err)
				case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("%s: got %v, want an error containing %q", what, err, want)
				}
			}
			check("Ping", src.Ping(context.Background()), tt.pingErr)
			check("ValidateConfig", src.(connector.ConfigValidator).ValidateConfig(context.Background()), tt.validateErr)
			if tt.pingErr != "" {
				err := src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
				if err == nil || !strings.Contains(err.Error(), `"directory"`) {
					t.Errorf("Docs on a bad directory: %v", err)
				}
			}
		})
	}
}

func TestDefaultDirectory(t *testing.T) {
	t.Setenv(dir.EnvSystemDir, "/srv/files")
	if got := dir.DefaultDirectory(); got != "/srv/files" {
		t.Fatalf("with SYSTEM_DIR: %q", got)
	}
	t.Setenv(dir.EnvSystemDir, "")
	got := dir.DefaultDirectory()
	if abs, _ := filepath.Abs(repoSample(t)); filepath.Clean(got) != abs {
		t.Fatalf("without SYSTEM_DIR in a checkout: %q, want the sample folder %q", got, abs)
	}
}

// TestReadmeSampleConfiguration keeps the README's sample configuration honest: it must be the
// stored form of a valid dir configuration.
func TestReadmeSampleConfiguration(t *testing.T) {
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var block strings.Builder
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```json" && block.Len() == 0:
			in = true
		case line == "```" && in:
			in = false
		case in:
			block.WriteString(line + "\n")
		}
	}
	var stored map[string]any
	if err := json.Unmarshal([]byte(block.String()), &stored); err != nil {
		t.Fatalf("README's first json block: %v\n%s", err, block.String())
	}
	cfg, err := dir.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.MissingFields(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, fd := range dir.Factory.Fields {
		got := stored[fd.Key].(map[string]any)
		for k, v := range fd.Properties() {
			if k == "value" {
				continue
			}
			a, _ := json.Marshal(got[k])
			b, _ := json.Marshal(v)
			if string(a) != string(b) {
				t.Errorf("README %s.%s = %s, the factory writes %s", fd.Key, k, a, b)
			}
		}
	}
}

// docsFrom runs Docs with checkpoint on the request, returning the emitted paths and the
// checkpoints saved, each with the number of documents emitted when it was saved.
func docsFrom(t *testing.T, root string, checkpoint map[string]any) (paths []string, saved []map[string]any, at []int) {
	t.Helper()
	stored, err := dir.Factory.ConfigurationWith(map[string]any{"directory": root, "pattern": "**/*.txt"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dir.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dir.Factory.New(c, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	req := connector.DocsRequest{Checkpoint: checkpoint, OnCheckpoint: func(cp map[string]any) {
		// Stored as JSON, as the service does.
		data, _ := json.Marshal(cp)
		var back map[string]any
		_ = json.Unmarshal(data, &back)
		saved = append(saved, back)
		at = append(at, len(paths))
	}}
	err = src.Docs(context.Background(), req, func(d connector.Document) error {
		paths = append(paths, d.Fields["path"].(string))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths, saved, at
}

// TestDocsResumeFromEveryCheckpoint: a sync resumed from any checkpoint emits exactly the files
// the first run had not emitted before saving it.
func TestDocsResumeFromEveryCheckpoint(t *testing.T) {
	root := t.TempDir()
	for d := range 7 {
		sub := filepath.Join(root, fmt.Sprintf("d%d", d), "inner")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range 130 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.txt", f)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, saved, at := docsFrom(t, root, nil)
	if len(all) != 7*130 || len(saved) != len(all)/250 {
		t.Fatalf("%d files, %d checkpoints", len(all), len(saved))
	}
	for i, cp := range saved {
		if want := strings.TrimPrefix(all[at[i]-1], root+"/"); cp["after"] != want {
			t.Fatalf("checkpoint %d is %v, want the last emitted file %q", i, cp, want)
		}
		rest, _, _ := docsFrom(t, root, cp)
		if want := all[at[i]:]; !slices.Equal(rest, want) {
			t.Fatalf("resumed after %v: %d files, want %d", cp["after"], len(rest), len(want))
		}
	}
}
