// Package parity checks that a source writes the same documents as the original Python service.
//
// Golden recordings are JSON files kept in a source's testdata/parity/ folder: what a full sync
// of the original (v9.5.2) wrote into its index, one entry per document with its _id and the
// _source exactly as the original sent it (the recordings were made with the connector's pipeline
// set to "_none", so nothing was rewritten by an ingest pipeline), plus the job's outcome. A
// README next to them says how each was produced. No Python runs at test time: a test loads the
// same fixture into the real backend, runs our source through the real sync engine into an
// in-process estest (Sync), and compares the index field by field with the recording (Compare).
//
// Values are compared as JSON, keys in any order, numbers by their literal text: 3 and 3.0 differ,
// as an integer and a float do to Elasticsearch's dynamic mapping. A field absent on one side and
// null on the other differ too.
package parity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/protocol"
	syncer "github.com/connectors-go/connectors/internal/sync"
)

// Recording is one connector's full sync by the original, and its access-control sync when
// the connector had document-level security on.
type Recording struct {
	Job  Job   `json:"job"`
	Docs []Doc `json:"docs"`
	// AccessControlJob and AccessControlDocs are the access-control sync's outcome and the
	// documents of the .search-acl-filter- index.
	AccessControlJob  *Job  `json:"access_control_job,omitempty"`
	AccessControlDocs []Doc `json:"access_control_docs,omitempty"`
}

// Job is the outcome of the recorded sync job.
type Job struct {
	Status  string  `json:"status"`
	Error   *string `json:"error"`
	Indexed int     `json:"indexed_document_count"`
	Deleted int     `json:"deleted_document_count"`
}

// Doc is one indexed document.
type Doc struct {
	ID     string          `json:"_id"`
	Source json.RawMessage `json:"_source"`
}

// Fields decodes the document's source with numbers kept as their literal text.
func (d Doc) Fields() (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(d.Source))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("document %q: %w", d.ID, err)
	}
	return m, nil
}

// Load reads a recording.
func Load(t testing.TB, path string) Recording {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r Recording
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// Sync describes one full sync of ours, set up as the recordings were: the connector's
// pipeline "_none" with extract_binary_content on, reduce_whitespace on and run_ml_inference
// off, and content put into _attachment as the original does without an extraction service.
type Sync struct {
	Factory connector.Factory
	// Values are the configuration values, laid over the factory's defaults.
	Values map[string]any
	// MaxFileSize is service.max_file_download_size; 0 means the default (10 MiB).
	MaxFileSize int64
	// AdvancedRules is the active advanced_snippet value, nil for none. It is validated as the
	// service validates it before a job.
	AdvancedRules any
	// Features are the connector's feature flags (document-level security for DLS fields).
	Features connector.Features
	// AccessControl runs an access-control sync (into .search-acl-filter-parity) instead of a
	// full one.
	AccessControl bool
}

// Run runs the sync into a fresh in-process estest and returns what the index holds, sorted by
// _id, and the error the job ended with.
func Run(t testing.TB, s Sync) ([]Doc, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := estest.New(estest.Options{})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	esCfg := config.Default().Elasticsearch
	esCfg.Host = srv.URL()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := es.New(es.Options{Config: esCfg, Version: "9.5.2", Logger: log})
	if err != nil {
		t.Fatal(err)
	}

	values := map[string]any{}
	for _, f := range s.Factory.Fields {
		values[f.Key] = f.Value
	}
	for k, v := range s.Values {
		values[k] = v
	}
	stored := map[string]any{}
	for k, v := range values {
		stored[k] = map[string]any{"value": v}
	}
	cfg, err := s.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.MissingFields(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src, err := s.Factory.New(cfg, connector.Env{Logger: log, MaxFileSize: s.MaxFileSize, Features: s.Features})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if v, ok := src.(connector.ConfigValidator); ok {
		if err := v.ValidateConfig(ctx); err != nil {
			return nil, err
		}
	}
	if err := src.Ping(ctx); err != nil {
		return nil, err
	}
	if s.AdvancedRules != nil {
		v, ok := src.(connector.AdvancedRulesValidator)
		if !ok {
			t.Fatalf("%s does not take advanced rules", s.Factory.ServiceType)
		}
		problems, err := v.ValidateAdvancedRules(ctx, s.AdvancedRules)
		if err != nil || len(problems) > 0 {
			t.Fatalf("advanced rules refused: %v %v", problems, err)
		}
	}
	index, jobType := "parity", protocol.JobFull
	if s.AccessControl {
		index, jobType = ".search-acl-filter-parity", protocol.JobAccessControl
	}
	if err := client.Request(ctx, "PUT", "/"+index, map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	sel, err := extract.New(extract.Config{Mode: extract.ModeAttachment, MaxFileSize: s.MaxFileSize})
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	pipeline := protocol.Pipeline{Name: "_none", ExtractBinaryContent: true, ReduceWhitespace: true}
	bulk := config.Default().Elasticsearch.Bulk
	engine := syncer.New(syncer.Options{Client: client, Bulk: bulk, Log: log}, syncer.Spec{
		JobType:   jobType,
		Index:     index,
		Pipeline:  pipeline,
		Source:    src,
		Request:   connector.DocsRequest{AdvancedRules: s.AdvancedRules},
		Extractor: sel.For(false),
		Downloads: bulk.ConcurrentDownloads,
	})
	runErr := engine.Run(ctx)
	return dump(t, client, index), runErr
}

// dump reads every document of the index.
func dump(t testing.TB, client *es.Client, index string) []Doc {
	t.Helper()
	ctx := context.Background()
	if err := client.Request(ctx, "POST", "/"+index+"/_refresh", nil, nil); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Hits struct {
			Hits []Doc `json:"hits"`
		} `json:"hits"`
	}
	if err := client.Request(ctx, "POST", "/"+index+"/_search?expand_wildcards=all", map[string]any{"size": 10000, "query": map[string]any{"match_all": map[string]any{}}}, &res); err != nil {
		t.Fatal(err)
	}
	docs := res.Hits.Hits
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	return docs
}

// Absent stands for a field a document does not have, in Difference and in the values Rules'
// functions see.
const Absent = "<absent>"

// Rules say how to compare a recording with our documents. Every entry carries its reason.
type Rules struct {
	// ID gives the _id our document must have for a golden one, when the id depends on the
	// fixture's place (a temporary folder's path); nil means the same _id.
	ID func(golden Doc, fields map[string]any) string
	// Rewrite maps every string of the golden documents, at any depth, to what this run must
	// produce, for values that embed where the fixture runs (a fake server's URL); nil keeps
	// them.
	Rewrite func(string) string
	// Expect rewrites a golden field's value into what this run must produce when it depends on
	// the fixture's place in the same way (a path under another root); it is given the golden
	// document's fields and the field's value.
	Expect map[string]func(golden map[string]any, value any) any
	// Ignore lists fields whose values legitimately differ between the recording and a later run
	// (a sync's own time), each with the reason; both sides must still have the field.
	Ignore map[string]string
	// Live checks fields whose recorded value cannot be reproduced (an inode number, a change
	// time) against the live system instead; the golden value must still be of the same JSON
	// kind (integer, float, string...) as ours. A check is given the golden document (rewritten)
	// and ours, and our value.
	Live map[string]LiveCheck
	// Differences are deliberate, documented differences, asserted exactly.
	Differences []Difference
}

// LiveCheck checks our value of a field against the live system.
type LiveCheck func(golden, ours map[string]any, value any) error

// Difference is one deliberate difference: our value for a field (or a whole document) differs
// from the original's, as documented at Where.
type Difference struct {
	// ID is the golden document's _id, or "" for every document.
	ID string
	// Field is the field; "" means the whole document: Golden and Ours are then Absent or
	// "present".
	Field string
	// Golden is the original's value as raw JSON (or Absent), checked so that a new recording
	// that no longer shows the difference is noticed; "" skips that check.
	Golden string
	// Ours is what we write, raw JSON, or Absent.
	Ours string
	// Where is the page and section that documents the difference.
	Where string
}

// Stats counts what Compare looked at.
type Stats struct {
	Docs, Fields, Ignored, Live, Differences int
}

func (s Stats) String() string {
	return fmt.Sprintf("%d documents, %d fields compared exactly, %d checked against the live system, %d ignored, %d deliberate differences", s.Docs, s.Fields, s.Live, s.Ignored, s.Differences)
}

// Compare checks our documents against the recording's and reports every difference the rules do
// not explain as a test error.
func Compare(t testing.TB, golden, ours []Doc, rules Rules) Stats {
	t.Helper()
	st, problems, err := Diff(golden, ours, rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	return st
}

// CompareAccessControl runs the access-control sync of s and compares its identity documents
// with the recording's, as the Atlassian sources' are compared: _timestamp and created_at are
// the sync's times (UTC) and the query's access lists are sets (the original builds them from
// Python sets); rewrite maps the recorded URLs to the fake's.
func CompareAccessControl(t testing.TB, s Sync, rec Recording, rewrite func(string) string) Stats {
	t.Helper()
	s.AccessControl = true
	start := time.Now()
	acl, err := Run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	return Compare(t, rec.AccessControlDocs, acl, Rules{
		Rewrite: rewrite,
		Live: map[string]LiveCheck{
			"_timestamp": SyncTime(start, time.UTC),
			"created_at": SyncTime(start, time.UTC),
			"query":      SameSetAt("query", "template", "params", "access_control"),
		},
	})
}

// Diff compares our documents with the recording's and returns every difference the rules do not
// explain; err is for unusable input (undecodable documents, undocumented differences).
func Diff(golden, ours []Doc, rules Rules) (Stats, []string, error) {
	var st Stats
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	oursByID := map[string]Doc{}
	for _, d := range ours {
		oursByID[d.ID] = d
	}
	matched := map[string]bool{}
	diffs := map[[2]string]Difference{}
	for _, d := range rules.Differences {
		if d.Where == "" {
			return st, nil, fmt.Errorf("difference %s/%s is not documented anywhere", d.ID, d.Field)
		}
		diffs[[2]string{d.ID, d.Field}] = d
	}
	usedDiff := map[[2]string]bool{}
	diffFor := func(id, field string) (Difference, bool) {
		for _, k := range [][2]string{{id, field}, {"", field}} {
			if d, ok := diffs[k]; ok {
				usedDiff[k] = true
				return d, true
			}
		}
		return Difference{}, false
	}
	for _, g := range golden {
		gf, err := g.Fields()
		if err != nil {
			return st, nil, err
		}
		if rules.Rewrite != nil {
			gf = rewrite(gf, rules.Rewrite).(map[string]any)
		}
		id := g.ID
		if rules.ID != nil {
			id = rules.ID(g, gf)
		}
		o, ok := oursByID[id]
		if d, isDiff := diffFor(g.ID, ""); isDiff {
			want := d.Ours == "present"
			if ok != want {
				errorf("document %s: present in ours = %v, but %s documents %s", g.ID, ok, d.Where, d.Ours)
			}
			st.Differences++
			if !ok {
				continue
			}
		} else if !ok {
			errorf("document %s (%s) is missing from ours", g.ID, describe(gf))
			continue
		}
		matched[id] = true
		st.Docs++
		of, err := o.Fields()
		if err != nil {
			return st, nil, err
		}
		keys := map[string]bool{}
		for k := range gf {
			keys[k] = true
		}
		for k := range of {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			gv, gok := gf[k]
			ov, ook := of[k]
			if !gok {
				gv = Absent
			}
			if !ook {
				ov = Absent
			}
			if d, isDiff := diffFor(g.ID, k); isDiff {
				st.Differences++
				if d.Golden != "" && !equalRaw(gv, d.Golden) {
					errorf("document %s field %q: the original wrote %s, not %s as recorded in the documented difference (%s)", g.ID, k, show(gv), d.Golden, d.Where)
				}
				if !equalRaw(ov, d.Ours) {
					errorf("document %s field %q: ours is %s, %s documents %s", g.ID, k, show(ov), d.Where, d.Ours)
				}
				continue
			}
			if why, ign := rules.Ignore[k]; ign {
				if !gok || !ook {
					errorf("document %s field %q (ignored: %s): golden %s, ours %s", g.ID, k, why, show(gv), show(ov))
				}
				st.Ignored++
				continue
			}
			if check, live := rules.Live[k]; live {
				if kind(gv) != kind(ov) {
					errorf("document %s field %q: the original wrote a %s (%s), ours a %s (%s)", g.ID, k, kind(gv), show(gv), kind(ov), show(ov))
				} else if err := check(gf, of, ov); err != nil {
					errorf("document %s field %q: %v", g.ID, k, err)
				}
				st.Live++
				continue
			}
			want := gv
			if f, ok := rules.Expect[k]; ok && gok {
				want = f(gf, gv)
			}
			if !reflect.DeepEqual(want, ov) {
				errorf("document %s field %q:\n  original: %s\n  ours:     %s", g.ID, k, show(want), show(ov))
				continue
			}
			st.Fields++
		}
	}
	for _, o := range ours {
		if matched[o.ID] {
			continue
		}
		if d, isDiff := diffFor(o.ID, ""); isDiff && d.Golden == Absent {
			st.Differences++
			continue
		}
		of, _ := o.Fields()
		errorf("ours has document %s (%s), which the original did not write", o.ID, describe(of))
	}
	for k, d := range diffs {
		if !usedDiff[k] {
			errorf("documented difference %s/%s (%s) never applied: remove it or fix the rule", d.ID, d.Field, d.Where)
		}
	}
	return st, problems, nil
}

// rewrite applies f to every string in v.
func rewrite(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = rewrite(x, f)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = rewrite(x, f)
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// describe names a document in messages by a field that identifies it to a person.
func describe(f map[string]any) string {
	for _, k := range []string{"path", "title", "name", "key", "Table", "table"} {
		if v, ok := f[k]; ok {
			return fmt.Sprintf("%s %s", k, show(v))
		}
	}
	return "no title"
}

// show renders a value for messages, long values cut.
func show(v any) string {
	if s, ok := v.(string); ok && s == Absent {
		return Absent
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 300 {
		return string(b[:300]) + fmt.Sprintf("…(%d bytes)", len(b))
	}
	return string(b)
}

// equalRaw compares a decoded value with raw JSON (or Absent).
func equalRaw(v any, raw string) bool {
	if raw == Absent {
		s, ok := v.(string)
		return ok && s == Absent
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		panic(fmt.Sprintf("parity: bad raw JSON %q in a Difference: %v", raw, err))
	}
	return reflect.DeepEqual(want, v)
}

// kind is a value's JSON kind, integers and floats apart.
func kind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(string(t), ".eE") {
			return "float"
		}
		return "integer"
	case string:
		if t == Absent {
			return "absent field"
		}
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// SyncTime checks a _timestamp that the source sets to the time of the sync (the original's
// iso_utc() or its equivalent in another zone): Python's isoformat() of an aware datetime with
// microseconds, within [from, now], in the zone loc.
func SyncTime(from time.Time, loc *time.Location) LiveCheck {
	return func(_, _ map[string]any, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%v is not a string", v)
		}
		ts, err := time.Parse("2006-01-02T15:04:05.000000-07:00", s)
		if err != nil {
			return fmt.Errorf("%q is not isoformat() of an aware datetime with microseconds: %v", s, err)
		}
		if ts.Before(from.Truncate(time.Second)) || ts.After(time.Now()) {
			return fmt.Errorf("%s is not the time of the sync (after %s)", s, from.Format(time.RFC3339Nano))
		}
		_, got := ts.Zone()
		if _, want := ts.In(loc).Zone(); got != want {
			return fmt.Errorf("%s is not in %s", s, loc)
		}
		return nil
	}
}

// Same reports whether our value equals the golden one, for LiveChecks that compare some
// documents exactly.
func Same(golden, ours any) error {
	if !reflect.DeepEqual(golden, ours) {
		return fmt.Errorf("original %s, ours %s", show(golden), show(ours))
	}
	return nil
}

// SameSet checks a list whose order means nothing (the original builds it from a Python set):
// ours must hold the golden list's values, each once, sorted.
func SameSet(field string) LiveCheck {
	return func(golden, _ map[string]any, v any) error {
		return sameSet(golden[field], v)
	}
}

func sameSet(golden, ours any) error {
	g, gok := golden.([]any)
	o, ook := ours.([]any)
	if !gok || !ook {
		return fmt.Errorf("original %s, ours %s: not both lists", show(golden), show(ours))
	}
	gs, os := make([]string, len(g)), make([]string, len(o))
	for i, x := range g {
		gs[i] = show(x)
	}
	for i, x := range o {
		os[i] = show(x)
	}
	if !sort.StringsAreSorted(os) {
		return fmt.Errorf("ours is not sorted: %s", show(ours))
	}
	sort.Strings(gs)
	if !reflect.DeepEqual(gs, os) {
		return fmt.Errorf("original %s, ours %s", show(golden), show(ours))
	}
	return nil
}

// SameSetAt is SameSet for a list inside an object field, at path below it; the rest of the
// field is compared exactly.
func SameSetAt(field string, path ...string) LiveCheck {
	return func(golden, _ map[string]any, v any) error {
		g, o := cutAt(golden[field], path), cutAt(v, path)
		if err := sameSet(g.list, o.list); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(path, "."), err)
		}
		return Same(g.rest, o.rest)
	}
}

type cut struct{ list, rest any }

// cutAt takes the value at path out of a copy of v.
func cutAt(v any, path []string) cut {
	m, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return cut{list: v}
	}
	cp := make(map[string]any, len(m))
	for k, x := range m {
		cp[k] = x
	}
	if len(path) == 1 {
		l := cp[path[0]]
		delete(cp, path[0])
		return cut{list: l, rest: cp}
	}
	inner := cutAt(cp[path[0]], path[1:])
	cp[path[0]] = inner.rest
	return cut{list: inner.list, rest: cp}
}
