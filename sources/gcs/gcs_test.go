package gcs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/faketoken"
	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
	"github.com/connectors-go/connectors/sources/internal/storetest"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

const project = "connectors-test"

// fixture is a running emulator behind a proxy that only lets requests with a token of the
// test's token endpoint through, as Google would.
type fixture struct {
	emulator string // fake-gcs-server, for creating objects
	proxy    *storetest.Proxy
	tokens   *faketoken.Server
	creds    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	emulator := testbackend.Require(t, "fake-gcs-server", "FAKE_GCS_URL")["FAKE_GCS_URL"]
	tokens, err := faketoken.New(project)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(tokens)
	t.Cleanup(ts.Close)
	tokens.TokenURL = ts.URL + "/token"
	creds, err := tokens.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewProxy(t, emulator)
	proxy.Add(&storetest.Fault{
		Match: func(r *http.Request) bool {
			return !tokens.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), Scope)
		},
		Status: http.StatusUnauthorized,
		Body:   `{"error": {"code": 401, "message": "Invalid Credentials", "errors": [{"reason": "authError"}]}}`,
	})
	t.Setenv(EnvEmulatorHost, proxy.URL)
	return &fixture{emulator: emulator, proxy: proxy, tokens: tokens, creds: string(creds)}
}

type object struct {
	name     string
	body     string
	metadata map[string]any // also contentLanguage etc., patched after the upload
}

func uniqueBucket(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func (f *fixture) call(t *testing.T, method, u string, body []byte, contentType string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, data)
	}
	return data
}

// makeBucket creates a bucket with objects in the emulator.
func (f *fixture) makeBucket(t *testing.T, bucket string, objs []object) {
	t.Helper()
	f.call(t, http.MethodPost, f.emulator+"/storage/v1/b?project="+project, []byte(fmt.Sprintf(`{"name": %q}`, bucket)), "application/json")
	for _, o := range objs {
		f.put(t, bucket, o)
	}
}

func (f *fixture) put(t *testing.T, bucket string, o object) {
	t.Helper()
	q := url.Values{"uploadType": {"media"}, "name": {o.name}}
	f.call(t, http.MethodPost, f.emulator+"/upload/storage/v1/b/"+bucket+"/o?"+q.Encode(), []byte(o.body), "text/plain")
	if o.metadata != nil {
		patch, _ := json.Marshal(o.metadata)
		f.call(t, http.MethodPatch, f.emulator+"/storage/v1/b/"+bucket+"/o/"+url.PathEscape(o.name), patch, "application/json")
	}
}

func (f *fixture) raw(t *testing.T, bucket, name string) map[string]any {
	t.Helper()
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(f.call(t, http.MethodGet, f.emulator+"/storage/v1/b/"+bucket+"/o/"+url.PathEscape(name), nil, "")))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func newSource(t *testing.T, values map[string]any) *Source {
	t.Helper()
	s := sourcetest.OpenValid(t, Factory, values, connector.Env{}).(*Source)
	s.policy.Base, s.policy.Cap = time.Millisecond, 10*time.Millisecond
	return s
}

func collect(t *testing.T, s *Source, req connector.DocsRequest) []connector.Document {
	t.Helper()
	docs := sourcetest.Collect(t, s, req)
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	return docs
}

func TestAcceptance(t *testing.T) {
	f := newFixture(t)
	bucket, other := uniqueBucket("acceptance"), uniqueBucket("acceptance-other")
	objs := []object{{name: "folder/empty.txt"}, {name: "ünïcödé/報告.md", body: "# title"}}
	for i := range 20 {
		objs = append(objs, object{name: fmt.Sprintf("folder/sub/file-%02d.txt", i), body: strings.Repeat("x", i+1)})
	}
	f.makeBucket(t, bucket, objs)
	f.makeBucket(t, other, []object{{name: "a.txt", body: "a"}, {name: "b.txt", body: "b"}, {name: "c.txt", body: "c"}})
	unreadable := f.proxy.Break(storetest.PathContains("/b/"+other+"/o"), 500, `{"error": {"code": 500, "message": "Internal Error"}}`)
	connectortest.Run(t, Factory, map[string]any{"buckets": bucket + "," + other, fieldCredentials: f.creds},
		connectortest.ExpectDocs(len(objs)+3), connectortest.Unreadable(unreadable, len(objs)))
}

var goldenObjects = []object{
	{name: "docs/readme.txt", body: "hello", metadata: map[string]any{"metadata": map[string]string{"team": "search", "ünï": "cödé"}, "contentLanguage": "en"}},
	{name: "docs/Ünïcödé — 報告 'q'.md", body: "# ünïcödé"},
	{name: "empty.txt"},
	{name: "a+b c%20d&e?.csv", body: "a,b\n1,2\n"},
	{name: "no-extension", body: "plain"},
	{name: "image.png", body: "png"},
}

// TestGoldenDocuments compares every field of every document with testdata/golden.json. Values
// the emulator makes up per run (times, generations) are written there as "<field>" and taken
// from the object's own metadata, which is where the original takes them from.
func TestGoldenDocuments(t *testing.T) {
	f := newFixture(t)
	bucket := uniqueBucket("golden")
	f.makeBucket(t, bucket, goldenObjects)
	s := newSource(t, map[string]any{"buckets": bucket, fieldCredentials: f.creds})
	var got []map[string]any
	for _, d := range collect(t, s, connector.DocsRequest{}) {
		raw := f.raw(t, bucket, d.Fields["name"].(string))
		body := d.Body()
		for field, api := range map[string]string{"_timestamp": "updated", "last_updated": "updated", "created_at": "timeCreated", "version": "generation"} {
			if fmt.Sprint(body[field]) != fmt.Sprint(raw[api]) {
				t.Errorf("%s: %s = %v, the object's %s is %v", d.ID, field, body[field], api, raw[api])
			}
			body[field] = "<" + api + ">"
		}
		body["bucket_name"] = "<bucket>"
		body["id"] = strings.Replace(body["id"].(string), bucket, "<bucket>", 1)
		body["url"] = strings.Replace(body["url"].(string), bucket, "<bucket>", 1)
		got = append(got, storetest.GoldenBody(t, body, d.Content))
	}
	sort.Slice(got, func(i, j int) bool { return got[i]["name"].(string) < got[j]["name"].(string) })
	storetest.CompareGolden(t, filepath.Join("testdata", "golden.json"), "name", got)
}

func TestContentAndPages(t *testing.T) {
	f := newFixture(t)
	bucket := uniqueBucket("content")
	var objs []object
	for i := range 7 {
		objs = append(objs, object{name: fmt.Sprintf("dir/ü %d/f'%d.txt", i, i), body: fmt.Sprintf("body %d", i)})
	}
	f.makeBucket(t, bucket, objs)
	s := newSource(t, map[string]any{"buckets": bucket, fieldCredentials: f.creds})
	s.pageSize = 2
	docs := collect(t, s, connector.DocsRequest{})
	if len(docs) != len(objs) {
		t.Fatalf("%d documents over pages of 2, want %d", len(docs), len(objs))
	}
	for _, d := range docs {
		r, err := d.Content.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		var i int
		_, _ = fmt.Sscanf(d.Fields["name"].(string), "dir/ü %d/", &i)
		if string(data) != fmt.Sprintf("body %d", i) {
			t.Errorf("%s: read %q", d.Fields["name"], data)
		}
	}
}

func TestAllBuckets(t *testing.T) {
	f := newFixture(t)
	one, two := uniqueBucket("star-one"), uniqueBucket("star-two")
	f.makeBucket(t, one, []object{{name: "a.txt"}})
	f.makeBucket(t, two, []object{{name: "b.txt"}, {name: "c.txt"}})
	s := newSource(t, map[string]any{"buckets": "*", fieldCredentials: f.creds})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range collect(t, s, connector.DocsRequest{}) {
		seen[d.ID] = true
	}
	for _, id := range []string{one + "/a.txt", two + "/b.txt", two + "/c.txt"} {
		if !seen[id] {
			t.Errorf("%s missing", id)
		}
	}
}

func TestThrottling(t *testing.T) {
	f := newFixture(t)
	bucket := uniqueBucket("throttle")
	f.makeBucket(t, bucket, []object{{name: "a.txt", body: "a"}, {name: "b.txt", body: "b"}})
	listing := storetest.PathContains("/b/" + bucket + "/o")
	f1 := f.proxy.Add(&storetest.Fault{Match: listing, Times: 4, Status: 503, Body: `{"error": {"code": 503, "message": "Backend Error"}}`})
	f2 := f.proxy.Add(&storetest.Fault{Match: listing, Times: 1, Status: 429, Header: http.Header{"Retry-After": {"1"}},
		Body: `{"error": {"code": 429, "message": "The rate of change requests to the object is too high."}}`})
	s := newSource(t, map[string]any{"buckets": bucket, fieldCredentials: f.creds})
	s.policy.Attempts = 1 // throttling must not depend on the count for passing failures
	var inc storetest.Incomplete
	start := time.Now()
	docs := collect(t, s, inc.Request())
	if len(docs) != 2 || inc.Len() != 0 || f1.Hits() != 4 || f2.Hits() != 1 {
		t.Fatalf("%d docs, incomplete %v, faults %d %d", len(docs), inc.Scopes, f1.Hits(), f2.Hits())
	}
	if time.Since(start) < time.Second {
		t.Errorf("Retry-After was not honoured (%s)", time.Since(start))
	}
}

func TestIncompleteListing(t *testing.T) {
	f := newFixture(t)
	good, bad, denied := uniqueBucket("good"), uniqueBucket("bad"), uniqueBucket("denied")
	f.makeBucket(t, good, []object{{name: "a.txt"}})
	f.makeBucket(t, bad, []object{{name: "b.txt"}})
	f.makeBucket(t, denied, []object{{name: "c.txt"}})
	f.proxy.Add(&storetest.Fault{Match: storetest.PathContains("/b/" + bad + "/o"), Status: 500, Body: `{"error": {"code": 500, "message": "Internal Error"}}`})
	f.proxy.Add(&storetest.Fault{Match: storetest.PathContains("/b/" + denied + "/o"), Status: 403,
		Body: `{"error": {"code": 403, "message": "connectors-test@example does not have storage.objects.list access"}}`})
	s := newSource(t, map[string]any{"buckets": strings.Join([]string{bad, good, denied}, ","), fieldCredentials: f.creds})
	var inc storetest.Incomplete
	docs := collect(t, s, inc.Request())
	if len(docs) != 1 || docs[0].ID != good+"/a.txt" {
		t.Fatalf("documents %v", docs)
	}
	if inc.Len() != 2 || !strings.Contains(inc.Scopes[0], bad) || !strings.Contains(inc.Causes[0].Error(), "Internal Error") ||
		!strings.Contains(inc.Scopes[1], denied) || !strings.Contains(inc.Causes[1].Error(), "not allowed") {
		t.Fatalf("incomplete %v %v", inc.Scopes, inc.Causes)
	}
}

func TestUnknownBucket(t *testing.T) {
	f := newFixture(t)
	s := newSource(t, map[string]any{"buckets": "no-such-bucket-gcs", fieldCredentials: f.creds})
	want := `configuration field "buckets": bucket "no-such-bucket-gcs" does not exist`
	if err := s.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Ping: %v", err)
	}
	err := s.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Docs: %v", err)
	}
}

// TestTokens: the source signs its grant with the account's key (the token endpoint checks it),
// and replaces a token the API refuses.
func TestTokens(t *testing.T) {
	f := newFixture(t)
	bucket := uniqueBucket("tokens")
	f.makeBucket(t, bucket, []object{{name: "a.txt"}})
	s := newSource(t, map[string]any{"buckets": bucket, fieldCredentials: f.creds})
	collect(t, s, connector.DocsRequest{})
	if f.tokens.Grants() != 1 {
		t.Fatalf("%d grants for one sync, want 1 (the token is cached)", f.tokens.Grants())
	}
	revoked := f.proxy.Add(&storetest.Fault{Times: 1, Status: 401, Body: `{"error": {"code": 401, "message": "Invalid Credentials"}}`})
	collect(t, s, connector.DocsRequest{})
	if revoked.Hits() != 1 || f.tokens.Grants() != 2 {
		t.Fatalf("after a refused token: %d refusals, %d grants", revoked.Hits(), f.tokens.Grants())
	}

	// Another account's key: the token endpoint refuses the signature.
	other, _ := faketoken.New(project)
	other.TokenURL = f.tokens.TokenURL
	otherCreds, _ := other.Credentials()
	var sa map[string]any
	_ = json.Unmarshal(otherCreds, &sa)
	var mine map[string]any
	_ = json.Unmarshal([]byte(f.creds), &mine)
	sa["client_email"] = mine["client_email"]
	forged, _ := json.Marshal(sa)
	err := newSource(t, map[string]any{"buckets": bucket, fieldCredentials: string(forged)}).Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), `configuration field "service_account_credentials"`) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("Ping with a foreign key: %v", err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatalf("the key leaked: %v", err)
	}
}

func TestCredentials(t *testing.T) {
	tokens, _ := faketoken.New(project)
	tokens.TokenURL = "http://127.0.0.1:1/token"
	good, _ := tokens.Credentials()
	var obj map[string]any
	_ = json.Unmarshal(good, &obj)
	with := func(change func(map[string]any)) string {
		c := map[string]any{}
		for k, v := range obj {
			c[k] = v
		}
		change(c)
		data, _ := json.Marshal(c)
		return string(data)
	}
	escaped, _ := json.Marshal(string(good))
	cases := []struct {
		name, creds, want string
	}{
		{"valid", string(good), ""},
		{"escaped JSON string", string(escaped), ""},
		{"one-line key", with(func(c map[string]any) { c["private_key"] = strings.ReplaceAll(c["private_key"].(string), "\n", " ") }), ""},
		{"not JSON", "{not json", "is not a valid JSON. Exception:"},
		{"a list", "[1, 2]", "Google Cloud Storage service account is not a valid JSON."},
		{"unexpected key", with(func(c map[string]any) { c["extra"] = 1 }), "contains an unexpected key: 'extra'. Allowed keys are: {'additional_claims', 'auth_provider_x509_cert_url'"},
		{"no key", with(func(c map[string]any) { delete(c, "private_key") }), "no private key"},
		{"bad key", with(func(c map[string]any) {
			c["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}), "private_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSource(t, map[string]any{"buckets": "b", fieldCredentials: tc.creds})
			err := s.ValidateConfig(context.Background())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `configuration field "service_account_credentials"`) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "BEGIN PRIVATE KEY") {
				t.Fatalf("the key leaked: %v", err)
			}
		})
	}
}

func TestPyQuote(t *testing.T) {
	for in, want := range map[string]string{
		"a/b c.txt":    "a%2Fb%20c.txt",
		"it's~_.-":     "it's~_.-",
		"ü報":           "%C3%BC%E5%A0%B1",
		"a+b&c=d?e#f%": "a%2Bb%26c%3Dd%3Fe%23f%25",
	} {
		if got := pyQuote(in); got != want {
			t.Errorf("pyQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRootURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                       defaultRoot,
		"http://localhost:4443":  "http://localhost:4443/",
		"localhost:4443":         "http://localhost:4443/",
		"https://gcs.example/x/": "https://gcs.example/x/",
	} {
		t.Setenv(EnvEmulatorHost, in)
		if got := rootURL(); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestBackendCredentials uses the service account and token endpoint that
// scripts/backends/fake-gcs-server.sh starts (tools/faketoken), the set-up ftest and a
// developer's service get.
func TestBackendCredentials(t *testing.T) {
	vals := testbackend.Require(t, "fake-gcs-server", "FAKE_GCS_URL", "FAKE_GCS_CREDENTIALS")
	creds, err := os.ReadFile(vals["FAKE_GCS_CREDENTIALS"])
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvEmulatorHost, vals["FAKE_GCS_URL"])
	s := newSource(t, map[string]any{"buckets": "*", fieldCredentials: string(creds)})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDocsPage keeps the configuration table of docs/sources/google_cloud_storage.md the declaration's
// (FIELDDOC_UPDATE=1 rewrites it).
func TestDocsPage(t *testing.T) {
	fielddoc.Check(t, Factory, filepath.Join("..", "..", "docs", "sources", "google_cloud_storage.md"))
}

// TestListingMemoryIsFlat lists a bucket of 300,000 objects from a server that makes up its
// pages, and checks that the heap the listing keeps alive does not grow with it.
func TestListingMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 300,000 objects")
	}
	const total = 300_000
	tokens, _ := faketoken.New(project)
	ts := httptest.NewServer(tokens)
	defer ts.Close()
	tokens.TokenURL = ts.URL + "/token"
	creds, _ := tokens.Credentials()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		start, _ := strconv.Atoi(q.Get("pageToken"))
		size, _ := strconv.Atoi(q.Get("maxResults"))
		end := min(start+size, total)
		var b strings.Builder
		b.WriteString(`{"kind": "storage#objects", "items": [`)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"kind": "storage#object", "id": "big/dir/object-%09d.txt/1", "name": "dir/object-%09d.txt", "bucket": "big", "size": "1024", "contentType": "text/plain", "timeCreated": "2024-05-06T07:08:09.123Z", "updated": "2024-05-06T07:08:09.123Z", "generation": "1", "storageClass": "STANDARD", "md5Hash": "XUFAKrxLKna5cZ2REBfFkg==", "metadata": {"k": "v"}}`, i, i)
		}
		b.WriteString(`]`)
		if end < total {
			fmt.Fprintf(&b, `, "nextPageToken": "%d"`, end)
		}
		b.WriteString(`}`)
		_, _ = io.WriteString(w, b.String())
	}))
	defer srv.Close()
	t.Setenv(EnvEmulatorHost, srv.URL)
	s := newSource(t, map[string]any{"buckets": "big", fieldCredentials: string(creds)})
	storetest.CheckFlatListing(t, s, total, 50_000, "objects")
}

// TestUntrustedCertificate: an endpoint whose certificate this machine does not trust is named
// as such, at once (no retries).
func TestUntrustedCertificate(t *testing.T) {
	tokens, _ := faketoken.New(project)
	ts := httptest.NewServer(tokens)
	defer ts.Close()
	tokens.TokenURL = ts.URL + "/token"
	creds, _ := tokens.Credentials()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	t.Setenv(EnvEmulatorHost, srv.URL)
	err := newSource(t, map[string]any{"buckets": "b", fieldCredentials: string(creds)}).Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "TLS certificate") || !strings.Contains(err.Error(), EnvEmulatorHost) {
		t.Fatalf("Ping: %v", err)
	}
	t.Log(err)
}
