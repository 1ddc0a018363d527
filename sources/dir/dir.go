// Package dir is the "System Directory" source (service type dir): it indexes the files of a
// local directory that match a glob pattern, one document per file with its stat metadata, and
// offers the content of text-like files for extraction.
//
// It is the original's demo source and the one `connectors dev` syncs by default (the sample
// folder testdata/sample of this repository).
package dir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
)

// ServiceType is the connector service type of this source.
const ServiceType = "dir"

// DefaultPattern is the initial value of the pattern field: every file whose name has a dot,
// in any subdirectory.
const DefaultPattern = "**/*.*"

// EnvSystemDir overrides the initial value of the directory field, as in the original.
const EnvSystemDir = "SYSTEM_DIR"

// Factory declares the source. Its directory field's initial value is computed once at start-up
// (see DefaultDirectory).
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "System Directory",
	Features:    connector.Features{BasicRules: true},
	Fields: []connector.Field{
		{
			Key:   "directory",
			Label: "Folder to index",
			Order: 1,
			Value: DefaultDirectory(),
			Tooltip: "Absolute path of a folder on the machine running the connectors service. " +
				"Relative paths are resolved from the service's working directory.",
		},
		{
			Key:   "pattern",
			Label: "Files to include (glob)",
			Order: 2,
			Value: DefaultPattern,
			Tooltip: "Glob relative to the folder: '**' spans any number of subfolders, '*' any part " +
				"of a name, '?' one character. Only files are indexed.",
		},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// DefaultDirectory is the directory field's initial value: $SYSTEM_DIR when set; else the
// repository's sample folder (testdata/sample) when this package was built from a source checkout
// that still exists; else the working directory. The original uses $SYSTEM_DIR or its own
// installation folder, which has no equivalent for a compiled binary.
func DefaultDirectory() string {
	if d := os.Getenv(EnvSystemDir); d != "" {
		return d
	}
	if s := sampleDir(); s != "" {
		return s
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "."
}

func sampleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "" // built with -trimpath: no source checkout to point at
	}
	d := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sample")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// New builds a source from a converted configuration. It does not touch the file system; Ping
// and Docs do.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	return &Source{
		dir:     cfg.String("directory"),
		pattern: cfg.String("pattern"),
		log:     env.Log().With("service_type", ServiceType),
	}, nil
}

// Source lists files of one directory.
type Source struct {
	dir     string
	pattern string
	log     *slog.Logger
}

var _ connector.ConfigValidator = (*Source)(nil)

// ValidateConfig checks the pattern, which field validation cannot.
func (s *Source) ValidateConfig(context.Context) error {
	if _, err := compilePattern(s.pattern); err != nil {
		return fmt.Errorf("configuration field \"pattern\": %w", err)
	}
	return nil
}

// Ping checks that the directory exists and is a directory. The original's ping always succeeds,
// and a wrong path then syncs zero documents, which deletes everything indexed before; failing
// here keeps the index and tells the user what to fix.
func (s *Source) Ping(context.Context) error {
	return s.checkRoot()
}

func (s *Source) checkRoot() error {
	st, err := os.Stat(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("configuration field \"directory\": %q does not exist on the machine running the connectors service", s.dir)
	case err != nil:
		return fmt.Errorf("configuration field \"directory\": cannot read %q: %w", s.dir, err)
	case !st.IsDir():
		return fmt.Errorf("configuration field \"directory\": %q is not a directory", s.dir)
	}
	return nil
}

// checkpointEvery is how many files Docs emits between two checkpoints.
const checkpointEvery = 250

// Docs emits one document per matching file, walking the tree in name order as it goes. Every
// checkpointEvery files it saves a checkpoint, {"after": "<path of the last file, relative to
// the directory>"}; given one, it skips that file and everything before it in the walk. Files
// added since the earlier run before that point are picked up by the next sync. A folder or file
// below the root that cannot be read is reported to the service (which then deletes nothing) and
// the walk goes on; an unreadable root fails the sync.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	pat, err := compilePattern(s.pattern)
	if err != nil {
		return fmt.Errorf("configuration field \"pattern\": %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkRoot(); err != nil {
		return err
	}
	root := cleanPath(s.dir)
	w := &walker{pat: pat, report: req.ReportIncomplete}
	if after, ok := req.Checkpoint["after"].(string); ok && after != "" {
		w.after = strings.Split(after, "/")
		s.log.Info("Resuming the walk after a checkpoint", "after", after)
	}
	emitted := 0
	w.visit = func(path string, info fs.FileInfo) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(document(path, info)); err != nil {
			return &emitError{err}
		}
		emitted++
		// A path that is not valid UTF-8 would not survive JSON; the next one will do.
		if emitted >= checkpointEvery && utf8.ValidString(path) {
			req.SaveCheckpoint(map[string]any{"after": relative(root, path)})
			emitted = 0
		}
		return nil
	}
	if err := w.walk(ctx, root); err != nil {
		// Emit and context errors are returned as they are, so errors.Is finds them;
		// anything else concerns the directory.
		if ctx.Err() == nil && !errors.Is(err, errEmit) {
			return fmt.Errorf("configuration field \"directory\": reading %q: %w", s.dir, err)
		}
		return err
	}
	return ctx.Err()
}

// relative returns path, which the walk built by joining names onto root, relative to root.
func relative(root, path string) string {
	switch {
	case root == ".":
		return path
	case strings.HasSuffix(root, "/"):
		return path[len(root):]
	}
	return path[len(root)+1:]
}

// errEmit marks errors returned by emit, which Docs passes on as they are.
var errEmit = errors.New("emit failed")

type emitError struct{ err error }

func (e *emitError) Error() string        { return e.err.Error() }
func (e *emitError) Unwrap() error        { return e.err }
func (e *emitError) Is(target error) bool { return target == errEmit }

// Close has nothing to release: the walk holds no resources between calls.
func (s *Source) Close() error { return nil }

// document builds the original's document for a file: _id is the MD5 of the path string and the
// fields are the stat results, with times as Python renders them.
func document(path string, info fs.FileInfo) connector.Document {
	st := statOf(info)
	modified := connector.FormatTime(pythonTime(st.mtime))
	doc := connector.Document{
		ID:        connector.HashID(path),
		Timestamp: modified,
		Fields: map[string]any{
			"path":                  path,
			"last_modified_time":    modified,
			"inode_protection_mode": st.mode,
			"inode_number":          st.ino,
			"device_inode_reside":   st.dev,
			"number_of_links":       st.nlink,
			"uid":                   st.uid,
			"gid":                   st.gid,
			"ctime":                 st.ctime.float(),
			"last_access_time":      st.atime.float(),
			"size":                  st.size,
		},
	}
	name := filepath.Base(path)
	if extract.Supported(name) {
		doc.Content = &connector.Content{
			Name: name,
			Size: st.size,
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				f, err := os.Open(path)
				if err != nil {
					return nil, err
				}
				return &ctxReader{ctx: ctx, f: f}, nil
			},
		}
	}
	return doc
}

// ctxReader stops a read of a large file once the download is cancelled.
type ctxReader struct {
	ctx context.Context
	f   *os.File
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}

func (r *ctxReader) Close() error { return r.f.Close() }

// timespec is a stat time with nanoseconds.
type timespec struct{ sec, nsec int64 }

// float is the time as Python's os.stat_result exposes it (st_mtime etc.): seconds plus
// nanoseconds times 1e-9, computed in double precision.
func (t timespec) float() float64 { return float64(t.sec) + float64(t.nsec)*1e-9 }

// pythonTime converts a stat time the way datetime.fromtimestamp(st_mtime) does: from the float,
// with microseconds rounded half to even.
func pythonTime(t timespec) time.Time {
	intpart, frac := math.Modf(t.float())
	us := math.RoundToEven(frac * 1e6)
	if us >= 1e6 {
		us -= 1e6
		intpart++
	} else if us < 0 {
		us += 1e6
		intpart--
	}
	return time.Unix(int64(intpart), int64(us)*1000).UTC()
}

// stat is what the document needs from the file system, filled per platform.
type stat struct {
	mode                uint32
	ino, dev, nlink     uint64
	uid, gid            uint32
	size                int64
	atime, mtime, ctime timespec
}

// fallbackStat serves platforms without a Unix stat: times from the modification time, mode
// synthesised the way Python does on Windows, ids zero.
func fallbackStat(info fs.FileInfo) stat {
	m := info.ModTime()
	ts := timespec{sec: m.Unix(), nsec: int64(m.Nanosecond())}
	mode := uint32(info.Mode().Perm())
	if info.Mode().IsRegular() {
		mode |= 0o100000
	}
	return stat{mode: mode, nlink: 1, size: info.Size(), atime: ts, mtime: ts, ctime: ts}
}
