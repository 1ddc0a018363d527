// Package conformance is a behavioural test suite for Elasticsearch-compatible servers. Every case
// states what a real Elasticsearch cluster does; estest runs it against itself in process, and the
// same suite runs against a real cluster when ES_URL is set (see estest's tests).
package conformance

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Config says where the server is and how to reach it.
type Config struct {
	URL      string
	User     string
	Password string
	APIKey   string // encoded (base64 "id:key")
	// AuthEnabled makes the suite check that unauthenticated requests are refused.
	AuthEnabled bool
	// Major is the server's major version; 0 reads it from GET /.
	Major int
	// SkipConnectorAPI skips the _connector cases (servers without the ent-search plugin).
	SkipConnectorAPI bool
	// Skip names groups (e.g. "Ingest") or group/subtest paths (e.g.
	// "Documents/update") that the server cannot run: a node built without
	// some modules, say. Skipped parts are reported as skipped.
	Skip   []string
	Client *http.Client
}

type client struct {
	t      testing.TB
	cfg    Config
	hc     *http.Client
	prefix string
	major  int
	minor  int
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Body   any
	Raw    []byte
}

func newClient(t testing.TB, cfg Config) *client {
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	c := &client{t: t, cfg: cfg, hc: hc, prefix: "conf-" + hex.EncodeToString(b[:]) + "-"}
	r := c.do("GET", "/", nil)
	if r.Status != 200 {
		t.Fatalf("GET / answered %d: %s", r.Status, r.Raw)
	}
	ver := str(r.Body, "version.number")
	parts := strings.SplitN(strings.SplitN(ver, "-", 2)[0], ".", 3)
	c.major, _ = strconv.Atoi(parts[0])
	if len(parts) > 1 {
		c.minor, _ = strconv.Atoi(parts[1])
	}
	if cfg.Major != 0 {
		c.major = cfg.Major
	}
	return c
}

// name returns a run-unique index name so the suite can share a real cluster.
func (c *client) name(s string) string { return c.prefix + s }

type reqOpt func(*http.Request)

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func noAuth() reqOpt { return func(r *http.Request) { r.Header.Del("Authorization") } }

func (c *client) auth(r *http.Request) {
	switch {
	case c.cfg.APIKey != "":
		r.Header.Set("Authorization", "ApiKey "+c.cfg.APIKey)
	case c.cfg.User != "":
		r.SetBasicAuth(c.cfg.User, c.cfg.Password)
	}
}

// do sends a request. body may be nil, a string (sent as is), []byte, or anything JSON-encodable.
func (c *client) do(method, path string, body any, opts ...reqOpt) resp {
	c.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		if strings.Contains(path, "_bulk") {
			ct = "application/x-ndjson"
		}
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.cfg.URL, "/")+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	c.auth(req)
	for _, o := range opts {
		o(req)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&r.Body)
	}
	return r
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return buf.Bytes()
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// ---- JSON navigation ----

// get walks a dotted path through maps and (numeric) array indices. Keys containing dots can be
// given with a "\\." escape... callers use getKeys for those.
func get(v any, path string) any {
	if path == "" {
		return v
	}
	return getKeys(v, strings.Split(path, ".")...)
}

func getKeys(v any, keys ...string) any {
	cur := v
	for _, k := range keys {
		switch t := cur.(type) {
		case map[string]any:
			cur = t[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			cur = t[i]
		default:
			return nil
		}
	}
	return cur
}

func str(v any, path string) string {
	s, _ := get(v, path).(string)
	return s
}

func num(v any, path string) int64 {
	switch t := get(v, path).(type) {
	case json.Number:
		n, err := t.Int64()
		if err != nil {
			f, _ := t.Float64()
			return int64(f)
		}
		return n
	}
	return -999999
}

func has(v any, path string) bool {
	parts := strings.Split(path, ".")
	last := parts[len(parts)-1]
	parent := getKeys(v, parts[:len(parts)-1]...)
	m, ok := parent.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[last]
	return ok
}

func list(v any, path string) []any {
	l, _ := get(v, path).([]any)
	return l
}

func ids(r resp) []string {
	var out []string
	for _, h := range list(r.Body, "hits.hits") {
		out = append(out, str(h, "_id"))
	}
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ---- assertions ----

func (c *client) status(r resp, want int, what string) {
	c.t.Helper()
	if r.Status != want {
		c.t.Errorf("%s: status %d, want %d; body %s", what, r.Status, want, r.Raw)
	}
}

// esError checks an Elasticsearch error answer's status and error.type, and the reason when given.
func (c *client) esError(r resp, wantStatus int, wantType, wantReason, what string) {
	c.t.Helper()
	if r.Status != wantStatus {
		c.t.Errorf("%s: status %d, want %d; body %s", what, r.Status, wantStatus, r.Raw)
		return
	}
	if got := str(r.Body, "error.type"); got != wantType {
		c.t.Errorf("%s: error.type %q, want %q; body %s", what, got, wantType, r.Raw)
	}
	if wantReason != "" {
		if got := str(r.Body, "error.reason"); got != wantReason {
			c.t.Errorf("%s: error.reason\n got %q\nwant %q", what, got, wantReason)
		}
	}
	if num(r.Body, "status") != int64(wantStatus) {
		c.t.Errorf("%s: body status %v, want %d", what, get(r.Body, "status"), wantStatus)
	}
	if len(list(r.Body, "error.root_cause")) == 0 {
		c.t.Errorf("%s: error.root_cause missing; body %s", what, r.Raw)
	}
}

func (c *client) eq(got, want any, what string) {
	c.t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		c.t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func (c *client) ok(r resp, what string) {
	c.t.Helper()
	if r.Status < 200 || r.Status > 299 {
		c.t.Fatalf("%s: status %d: %s", what, r.Status, r.Raw)
	}
}

func (c *client) cleanup(path string) {
	c.do("DELETE", path+"?ignore_unavailable=true", nil)
}

// emptyValue in raw's headers sends the header with an empty value; an
// empty string leaves the header out.
const emptyValue = "<empty>"

// raw sends a request with exactly the given headers (plus credentials):
// no Content-Type is added. chunked sends the body with chunked transfer
// encoding, even an empty one.
func (c *client) raw(method, path string, body []byte, headers map[string]string, chunked bool) resp {
	c.t.Helper()
	var rd io.Reader
	if body != nil || chunked {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.cfg.URL, "/")+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"} // net/http would drop an empty body otherwise
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	c.auth(req)
	for k, v := range headers {
		switch v {
		case "":
		case emptyValue:
			req.Header.Set(k, "")
		default:
			req.Header.Set(k, v)
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	rawBody, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: rawBody}
	if len(rawBody) > 0 {
		dec := json.NewDecoder(bytes.NewReader(rawBody))
		dec.UseNumber()
		_ = dec.Decode(&r.Body)
	}
	return r
}
