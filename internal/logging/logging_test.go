package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want slog.Level
		err  bool
	}{
		{"debug", slog.LevelDebug, false},
		{"INFO", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"WARNING", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"critical", LevelCritical, false},
		{"loud", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseLevel(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestTextFormat(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, Options{Level: slog.LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	job := log.With(ConnectorID, "c1", SyncJobID, "j9")
	job.Info("Sync started", "job_type", "full", "note", "two words")
	job.Log(context.Background(), LevelCritical, "boom")
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out)
	}
	re := regexp.MustCompile(`^\[FMWK\]\[\d\d:\d\d:\d\d\]\[INFO\] \[Connector id: c1, Sync job id: j9\] Sync started job_type=full note="two words"$`)
	if !re.MatchString(lines[0]) {
		t.Errorf("line %q", lines[0])
	}
	if !strings.Contains(lines[1], "[CRITICAL]") {
		t.Errorf("line %q", lines[1])
	}
}

func TestECSFormat(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, Options{Level: slog.LevelDebug, Format: "json", Version: "9.6.0"})
	if err != nil {
		t.Fatal(err)
	}
	log.With(ConnectorID, "c1").WithGroup("es").Warn("slow", "took_ms", 12, "err", errors.New("x"))
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	checks := map[string]any{
		"log.level":       "warning",
		"message":         "slow",
		"ecs.version":     "1.6.0",
		"service.version": "9.6.0",
		"es.took_ms":      float64(12),
		"es.err":          "x",
	}
	for k, want := range checks {
		if doc[k] != want {
			t.Errorf("%s = %#v, want %#v", k, doc[k], want)
		}
	}
	labels, _ := doc["labels"].(map[string]any)
	if labels["connector_id"] != "c1" {
		t.Errorf("labels = %#v", doc["labels"])
	}
	if _, ok := doc["@timestamp"].(string); !ok {
		t.Error("no @timestamp")
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, Options{Format: "xml"}); err == nil {
		t.Fatal("want error")
	}
}

// TestInstanceName: the service's instance name shows as instance=… in text and as ECS
// service.node.name in JSON, on every record of a logger that carries it.
func TestInstanceName(t *testing.T) {
	for _, tt := range []struct{ format, want string }{
		{"text", " instance=host-a1b2c3"},
		{"json", `"service.node.name":"host-a1b2c3"`},
	} {
		var buf bytes.Buffer
		log, err := New(&buf, Options{Format: tt.format})
		if err != nil {
			t.Fatal(err)
		}
		log = log.With(Instance, "host-a1b2c3")
		log.Info("one")
		log.With(ConnectorID, "c1").Warn("two")
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if !strings.Contains(line, tt.want) {
				t.Errorf("%s: %q lacks %q", tt.format, line, tt.want)
			}
		}
	}
}
