// Package sourcetest holds what the sources' own tests share beyond the SDK's acceptance suite
// (connector/connectortest): a source built from configuration values as the service stores
// them, and Docs runs that collect what a source emits and reports.
package sourcetest

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// Config is f's configuration with values laid over the defaults, as the service stores it; a
// key f does not have fails the test.
func Config(t testing.TB, f connector.Factory, values map[string]any) *connector.Config {
	t.Helper()
	stored, err := f.ConfigurationWith(values)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// New builds a source of f from cfg and closes it when the test ends.
func New(t testing.TB, f connector.Factory, cfg *connector.Config, env connector.Env) connector.Source {
	t.Helper()
	src, err := f.New(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

// Open is New with the Config of values.
func Open(t testing.TB, f connector.Factory, values map[string]any, env connector.Env) connector.Source {
	t.Helper()
	return New(t, f, Config(t, f, values), env)
}

// OpenValid is Open for values that must pass the configuration's own validation.
func OpenValid(t testing.TB, f connector.Factory, values map[string]any, env connector.Env) connector.Source {
	t.Helper()
	cfg := Config(t, f, values)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(t, f, cfg, env)
}

// Collect runs Docs and returns the documents in the order they were emitted; an error fails
// the test.
func Collect(t testing.TB, src connector.Source, req connector.DocsRequest) []connector.Document {
	t.Helper()
	var mu sync.Mutex
	var docs []connector.Document
	err := src.Docs(context.Background(), req, func(d connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
	return docs
}

// Collected is what a Docs run emitted, by id, and the listing parts it reported incomplete as
// "scope: cause".
type Collected struct {
	mu         sync.Mutex
	Docs       map[string]connector.Document
	Incomplete []string
}

// Run runs Docs with the advanced rules given and collects the documents; a document emitted
// twice ends the run with an error.
func Run(src connector.Source, rules any) (*Collected, error) {
	c := &Collected{Docs: map[string]connector.Document{}}
	req := connector.DocsRequest{AdvancedRules: rules, OnIncomplete: func(scope string, cause error) {
		c.mu.Lock()
		c.Incomplete = append(c.Incomplete, scope+": "+cause.Error())
		c.mu.Unlock()
	}}
	return c, src.Docs(context.Background(), req, c.emit)
}

func (c *Collected) emit(d connector.Document) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.Docs[d.ID]; dup {
		return errors.New("duplicate " + d.ID)
	}
	c.Docs[d.ID] = d
	return nil
}

// CheckError checks the error of a call (what names it): none when want is empty, else one
// containing want; and never one showing secret, a password of the configuration.
func CheckError(t testing.TB, what string, err error, want, secret string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v", what, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s: got %v, want an error containing %q", what, err, want)
	}
	if secret != "" && err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("%s: the error shows the password: %v", what, err)
	}
}

// Content reads all of d's content; the test fails when d has none or it cannot be read.
func Content(t testing.TB, d connector.Document) string {
	t.Helper()
	if d.Content == nil {
		t.Fatalf("document %s has no content", d.ID)
	}
	rc, err := d.Content.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the content of %s: %v", d.ID, err)
	}
	return string(b)
}
