// Package logging sets up the service's slog handlers: a readable text format
// for people and ECS JSON for log shippers. Records about a connector or a
// sync job carry their ids (connector_id, sync_job_id), which both formats
// surface: a bracketed prefix in text, ECS labels in JSON.
package logging

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/internal/config"
)

// LevelCritical is the original's CRITICAL level, above slog's ERROR.
const LevelCritical = slog.Level(12)

// Attribute keys that identify what a record is about.
const (
	ConnectorID = "connector_id"
	SyncJobID   = "sync_job_id"
	IndexName   = "index_name"
	ServiceType = "service_type"
	// Instance names the service process among several (ECS
	// service.node.name); text output shows it as instance=….
	Instance = "service.node.name"
)

// ParseLevel maps the original's level names to slog levels.
func ParseLevel(s string) (slog.Level, error) {
	name, ok := config.NormalizeLogLevel(s)
	if !ok {
		return 0, fmt.Errorf("unknown log level %q (use one of %s)", s, strings.Join(config.LogLevels, ", "))
	}
	switch name {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "WARNING":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	case "CRITICAL":
		return LevelCritical, nil
	default:
		return slog.LevelInfo, nil
	}
}

// Options configure New.
type Options struct {
	Level   slog.Leveler
	Format  string // "text" (default) or "json"
	Version string // service version, in every JSON record
	Color   bool   // ANSI colours in text mode
}

// New returns a logger writing to w.
func New(w io.Writer, opts Options) (*slog.Logger, error) {
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	switch opts.Format {
	case "", "text":
		return slog.New(&textHandler{out: &lockedWriter{w: w}, level: level, color: opts.Color}), nil
	case "json", "ecs":
		return slog.New(&ecsHandler{out: &lockedWriter{w: w}, level: level, version: opts.Version}), nil
	default:
		return nil, fmt.Errorf("unknown log format %q (use text or json)", opts.Format)
	}
}

// IsTerminal reports whether f looks like an interactive terminal.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == ""
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(b)
}

// attrsOf flattens pre-bound and record attributes into ordered key/values,
// joining group names with dots.
type kv struct {
	key string
	val slog.Value
}

func flatten(prefix string, a slog.Attr, out []kv) []kv {
	v := a.Value.Resolve()
	key := a.Key
	if prefix != "" && key != "" {
		key = prefix + "." + key
	} else if prefix != "" {
		key = prefix
	}
	if v.Kind() == slog.KindGroup {
		for _, ga := range v.Group() {
			out = flatten(key, ga, out)
		}
		return out
	}
	if a.Key == "" && v.Kind() != slog.KindGroup {
		return out
	}
	return append(out, kv{key, v})
}

type common struct {
	attrs []kv
	group string
}

func (c common) with(attrs []slog.Attr) common {
	n := common{attrs: append([]kv(nil), c.attrs...), group: c.group}
	for _, a := range attrs {
		n.attrs = flatten(c.group, a, n.attrs)
	}
	return n
}

func (c common) withGroup(name string) common {
	n := common{attrs: c.attrs, group: name}
	if c.group != "" {
		n.group = c.group + "." + name
	}
	return n
}

func (c common) collect(r slog.Record) []kv {
	all := append([]kv(nil), c.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		all = flatten(c.group, a, all)
		return true
	})
	return all
}

// textHandler prints `[FMWK][15:04:05][INFO] [Connector id: x, Sync job id: y] message key=value`,
// the shape operators of the original service are used to, in UTC.
type textHandler struct {
	common
	out   *lockedWriter
	level slog.Leveler
	color bool
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.common = h.common.with(attrs)
	return &n
}

func (h *textHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.common = h.common.withGroup(name)
	return &n
}

var levelColors = map[string]string{"DEBUG": "\x1b[90m", "INFO": "\x1b[32m", "WARNING": "\x1b[33m", "ERROR": "\x1b[31m", "CRITICAL": "\x1b[1;31m"}

func levelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	lvl := levelName(r.Level)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	if h.color {
		b.WriteString(levelColors[lvl])
	}
	fmt.Fprintf(&b, "[FMWK][%s][%s]", t.UTC().Format("15:04:05"), lvl)
	if h.color {
		b.WriteString("\x1b[0m")
	}
	attrs := h.collect(r)
	var ids []string
	rest := attrs[:0:0]
	for _, a := range attrs {
		switch a.key {
		case ConnectorID:
			ids = append(ids, "Connector id: "+a.val.String())
		case IndexName:
			ids = append(ids, "index name: "+a.val.String())
		case SyncJobID:
			ids = append(ids, "Sync job id: "+a.val.String())
		case Instance:
			rest = append(rest, kv{"instance", a.val})
		default:
			rest = append(rest, a)
		}
	}
	if len(ids) > 0 {
		b.WriteString(" [" + strings.Join(ids, ", ") + "]")
	}
	b.WriteString(" " + r.Message)
	for _, a := range rest {
		b.WriteString(" " + a.key + "=" + quoteIfNeeded(a.val.String()))
	}
	b.WriteByte('\n')
	h.out.write([]byte(b.String()))
	return nil
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// ecsHandler writes one ECS JSON object per line, like the original's
// --filebeat mode (ecs-logging): @timestamp, log.level, message, ecs.version,
// service.*, and ids as labels.
type ecsHandler struct {
	common
	out     *lockedWriter
	level   slog.Leveler
	version string
}

func (h *ecsHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *ecsHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.common = h.common.with(attrs)
	return &n
}

func (h *ecsHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.common = h.common.withGroup(name)
	return &n
}

var labelKeys = map[string]bool{ConnectorID: true, SyncJobID: true, IndexName: true, ServiceType: true}

func (h *ecsHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	doc := map[string]any{
		"@timestamp":      t.UTC().Format("2006-01-02T15:04:05.000Z"),
		"log.level":       strings.ToLower(levelName(r.Level)),
		"message":         r.Message,
		"ecs.version":     "1.6.0",
		"service.type":    "connectors-go",
		"service.version": h.version,
	}
	labels := map[string]any{}
	for _, a := range h.collect(r) {
		if labelKeys[a.key] {
			labels[a.key] = a.val.Any()
			continue
		}
		doc[a.key] = jsonValue(a.val)
	}
	if len(labels) > 0 {
		doc["labels"] = labels
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	h.out.write(append(line, '\n'))
	return nil
}

func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
		if s, ok := v.Any().(fmt.Stringer); ok {
			return s.String()
		}
		return v.Any()
	default:
		return v.Any()
	}
}
