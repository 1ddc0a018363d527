package azureblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
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
	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
	"github.com/connectors-go/connectors/sources/internal/storetest"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

// azurite is a running emulator and a client to fill it.
type azurite struct {
	endpoint, account, key string
	admin                  *client
}

func newAzurite(t *testing.T) *azurite {
	t.Helper()
	v := testbackend.Require(t, "azurite", "AZURITE_BLOB_ENDPOINT", "AZURITE_ACCOUNT_NAME", "AZURITE_ACCOUNT_KEY")
	a := &azurite{endpoint: v["AZURITE_BLOB_ENDPOINT"], account: v["AZURITE_ACCOUNT_NAME"], key: v["AZURITE_ACCOUNT_KEY"]}
	key, _ := base64.StdEncoding.DecodeString(a.key)
	u, _ := url.Parse(a.endpoint)
	a.admin = &client{endpoint: u, account: a.account, key: key, httpc: &http.Client{}}
	return a
}

// do sends a signed request of the admin client and fails the test unless it succeeds.
func (a *azurite) do(t *testing.T, method, path string, q url.Values, headers map[string]string, body []byte) {
	t.Helper()
	u, err := a.admin.url(path, q)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		// As given: the service keeps the case of metadata names, and the SDKs send them
		// lower-case.
		req.Header[k] = []string{v}
	}
	a.admin.sign(req, time.Now())
	resp, err := a.admin.httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, data)
	}
}

type blob struct {
	name     string
	body     string
	metadata [][2]string
	tier     string
	leased   bool
}

func (a *azurite) makeContainer(t *testing.T, name string, meta [][2]string, blobs []blob) {
	t.Helper()
	h := map[string]string{}
	for _, kv := range meta {
		h["x-ms-meta-"+kv[0]] = kv[1]
	}
	a.do(t, http.MethodPut, "/"+name, url.Values{"restype": {"container"}}, h, nil)
	t.Cleanup(func() { a.do(t, http.MethodDelete, "/"+name, url.Values{"restype": {"container"}}, nil, nil) })
	for _, b := range blobs {
		h := map[string]string{"x-ms-blob-type": "BlockBlob", "Content-Type": "text/plain"}
		for _, kv := range b.metadata {
			h["x-ms-meta-"+kv[0]] = kv[1]
		}
		path := "/" + name + "/" + escapePath(b.name)
		a.do(t, http.MethodPut, path, nil, h, []byte(b.body))
		if b.tier != "" {
			a.do(t, http.MethodPut, path, url.Values{"comp": {"tier"}}, map[string]string{"x-ms-access-tier": b.tier}, nil)
		}
		if b.leased {
			a.do(t, http.MethodPut, path, url.Values{"comp": {"lease"}}, map[string]string{"x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1"}, nil)
		}
	}
}

func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func (a *azurite) config(values map[string]any) map[string]any {
	out := map[string]any{"account_name": a.account, "account_key": a.key, "blob_endpoint": a.endpoint}
	for k, v := range values {
		out[k] = v
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

func ids(docs []connector.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out
}

func TestAcceptance(t *testing.T) {
	a := newAzurite(t)
	c, other := uniqueName("acceptance"), uniqueName("acceptance-other")
	blobs := []blob{{name: "folder/empty.txt"}, {name: "ünïcödé/報告.md", body: "# title"}}
	for i := range 20 {
		blobs = append(blobs, blob{name: fmt.Sprintf("folder/sub/file-%02d.txt", i), body: strings.Repeat("x", i+1)})
	}
	a.makeContainer(t, c, nil, blobs)
	a.makeContainer(t, other, nil, []blob{{name: "a.txt", body: "a"}, {name: "b.txt", body: "b"}, {name: "c.txt", body: "c"}})
	proxy := storetest.NewProxy(t, strings.TrimSuffix(a.endpoint, "/"+a.account))
	unreadable := proxy.Break(storetest.PathContains("/"+other), 500, `<Error><Code>InternalError</Code><Message>Server encountered an internal error.</Message></Error>`)
	connectortest.Run(t, Factory, a.config(map[string]any{"containers": c + "," + other, "blob_endpoint": proxy.URL + "/" + a.account, "retry_count": 0}),
		connectortest.ExpectDocs(len(blobs)+3), connectortest.Unreadable(unreadable, len(blobs)))
}

var goldenBlobs = []blob{
	{name: "docs/readme.txt", body: "hello", metadata: [][2]string{{"author", "Zoe"}, {"quote", `it's "fine"`}}},
	{name: "docs/Ünïcödé — 報告.md", body: "# ünïcödé"},
	{name: "empty.txt"},
	{name: "a+b c%20d&e.csv", body: "a,b\n1,2\n"},
	{name: "cold/archived.pdf", body: "%PDF-1.4", tier: "Archive"},
	{name: "cool.json", body: `{"a": 1}`, tier: "Cool"},
	{name: "leased.txt", body: "x", leased: true},
	{name: "image.png", body: "png"},
}

// TestGoldenDocuments compares every field of every document with testdata/golden.json
// (times, which Azurite sets, are checked against the blob's own headers and written there as
// placeholders).
func TestGoldenDocuments(t *testing.T) {
	a := newAzurite(t)
	c := uniqueName("golden")
	a.makeContainer(t, c, [][2]string{{"team", "search"}, {"env", "test"}}, goldenBlobs)
	s := newSource(t, a.config(map[string]any{"containers": c}))
	var got []map[string]any
	for _, d := range collect(t, s, connector.DocsRequest{}) {
		body := d.Body()
		for _, k := range []string{"_timestamp", "created at"} {
			ts, _ := body[k].(string)
			if _, err := time.Parse("2006-01-02T15:04:05-07:00", ts); err != nil || !strings.HasSuffix(ts, "+00:00") {
				t.Errorf("%s: %s = %q is not the original's isoformat", d.ID, k, ts)
			}
			body[k] = "<time>"
		}
		body["container"] = "<container>"
		body["id"] = strings.Replace(body["id"].(string), c, "<container>", 1)
		got = append(got, storetest.GoldenBody(t, body, d.Content))
	}
	sort.Slice(got, func(i, j int) bool { return got[i]["title"].(string) < got[j]["title"].(string) })
	storetest.CompareGolden(t, filepath.Join("testdata", "golden.json"), "title", got)
}

func TestListingXML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "list-blobs.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var page blobList
	if err := xml.Unmarshal(data, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Blobs) != 4 || page.NextMarker != "" {
		t.Fatalf("%d blobs, marker %q", len(page.Blobs), page.NextMarker)
	}
	s := &Source{}
	want := []map[string]any{
		{"title": "dir/é ü.txt", "metadata": "{'b': '2', 'a': '1'}", "leasedata": "{'status': 'unlocked', 'state': 'available', 'duration': None}", "size": int64(5), "tier": "Hot", "content type": "application/octet-stream", "created at": "2026-12-06T02:32:32+00:00"},
		{"title": "empty.txt", "metadata": "{}", "size": int64(0)},
		{"title": "leased.txt", "leasedata": "{'status': 'locked', 'state': 'leased', 'duration': 'infinite'}"},
		{"title": "name\u0001with control", "metadata": "{}"},
	}
	for i, w := range want {
		d := s.document("c", "None", &page.Blobs[i])
		for k, v := range w {
			if fmt.Sprint(d.Fields[k]) != fmt.Sprint(v) {
				t.Errorf("blob %d: %s = %#v, want %#v", i, k, d.Fields[k], v)
			}
		}
		if d.Timestamp != "2026-12-06T02:32:32+00:00" {
			t.Errorf("blob %d: _timestamp %q", i, d.Timestamp)
		}
	}
	var containers containerList
	cdata := `<EnumerationResults><Containers><Container><Name>a</Name><Metadata><zeta>1</zeta><alpha>it's "q"</alpha></Metadata></Container><Container><Name>b</Name></Container><Container><Name>c</Name><Metadata/></Container></Containers><NextMarker>m</NextMarker></EnumerationResults>`
	if err := xml.Unmarshal([]byte(cdata), &containers); err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, c := range containers.Containers {
		r := "None"
		if c.Metadata.present {
			r = pyDict(c.Metadata.pairs)
		}
		got = append(got, r)
	}
	if w := `[{'zeta': '1', 'alpha': 'it\'s "q"'} None {}]`; fmt.Sprint(got) != w || containers.NextMarker != "m" {
		t.Errorf("container metadata %v, want %s", got, w)
	}
}

func TestContentAndPages(t *testing.T) {
	a := newAzurite(t)
	c := uniqueName("content")
	var blobs []blob
	for i := range 7 {
		blobs = append(blobs, blob{name: fmt.Sprintf("dir/ü %d/f'%d.txt", i, i), body: fmt.Sprintf("body %d", i)})
	}
	blobs = append(blobs, blob{name: "archived.txt", body: "cold", tier: "Archive"})
	a.makeContainer(t, c, nil, blobs)
	s := newSource(t, a.config(map[string]any{"containers": c}))
	s.pageSize = 3
	docs := collect(t, s, connector.DocsRequest{})
	if len(docs) != len(blobs) {
		t.Fatalf("%d documents over pages of 3, want %d", len(docs), len(blobs))
	}
	for _, d := range docs {
		if d.Fields["title"] == "archived.txt" {
			if d.Content != nil {
				t.Error("an archived blob has content; it cannot be downloaded")
			}
			continue
		}
		r, err := d.Content.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		var i int
		_, _ = fmt.Sscanf(d.Fields["title"].(string), "dir/ü %d/", &i)
		if string(data) != fmt.Sprintf("body %d", i) {
			t.Errorf("%s: read %q", d.Fields["title"], data)
		}
	}
	if s.MaxConcurrentDownloads() != DefaultConcurrentDownloads {
		t.Errorf("download concurrency %d, want the field's default %d", s.MaxConcurrentDownloads(), DefaultConcurrentDownloads)
	}
}

func TestAllContainers(t *testing.T) {
	a := newAzurite(t)
	one, two := uniqueName("star-one"), uniqueName("star-two")
	a.makeContainer(t, one, nil, []blob{{name: "a.txt"}})
	a.makeContainer(t, two, nil, []blob{{name: "b.txt"}})
	s := newSource(t, a.config(map[string]any{"containers": "*"}))
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range collect(t, s, connector.DocsRequest{}) {
		seen[d.ID] = true
	}
	if !seen[one+"/a.txt"] || !seen[two+"/b.txt"] {
		t.Errorf("missing blobs of listed containers: %v", seen)
	}
}

func TestThrottling(t *testing.T) {
	a := newAzurite(t)
	c := uniqueName("throttle")
	a.makeContainer(t, c, nil, []blob{{name: "a.txt", body: "a"}, {name: "b.txt", body: "b"}})
	proxy := storetest.NewProxy(t, strings.TrimSuffix(a.endpoint, "/"+a.account))
	busy := `<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>`
	listing := func(r *http.Request) bool {
		return r.URL.Query().Get("comp") == "list" && r.URL.Query().Get("restype") == "container"
	}
	f1 := proxy.Add(&storetest.Fault{Match: listing, Times: 4, Status: 503, Header: http.Header{"x-ms-error-code": {"ServerBusy"}}, Body: busy})
	f2 := proxy.Add(&storetest.Fault{Match: listing, Times: 1, Status: 503, Header: http.Header{"Retry-After": {"1"}}, Body: busy})
	f3 := proxy.Add(&storetest.Fault{Match: storetest.PathContains("/a.txt"), Times: 2, Status: 500, Body: `<Error><Code>OperationTimedOut</Code></Error>`})
	s := newSource(t, a.config(map[string]any{"containers": c, "blob_endpoint": proxy.URL + "/" + a.account, "retry_count": 2}))
	s.policy.Attempts = 3
	var inc storetest.Incomplete
	start := time.Now()
	docs := collect(t, s, inc.Request())
	if len(docs) != 2 || inc.Len() != 0 || f1.Hits() != 4 || f2.Hits() != 1 {
		t.Fatalf("%d docs, incomplete %v, faults %d %d", len(docs), inc.Scopes, f1.Hits(), f2.Hits())
	}
	if time.Since(start) < time.Second {
		t.Errorf("Retry-After was not honoured (%s)", time.Since(start))
	}
	r, err := docs[0].Content.Open(context.Background())
	if err != nil {
		t.Fatalf("download after two failures: %v", err)
	}
	data, _ := io.ReadAll(r)
	r.Close()
	if string(data) != "a" || f3.Hits() != 2 {
		t.Errorf("read %q after %d failures", data, f3.Hits())
	}
}

func TestIncompleteListing(t *testing.T) {
	a := newAzurite(t)
	good, bad := uniqueName("good"), uniqueName("bad")
	a.makeContainer(t, good, nil, []blob{{name: "a.txt"}})
	a.makeContainer(t, bad, nil, []blob{{name: "b.txt"}})
	proxy := storetest.NewProxy(t, strings.TrimSuffix(a.endpoint, "/"+a.account))
	proxy.Add(&storetest.Fault{Match: storetest.PathContains("/" + bad), Status: 500, Body: `<Error><Code>InternalError</Code><Message>Server encountered an internal error.</Message></Error>`})
	s := newSource(t, a.config(map[string]any{"containers": bad + "," + good, "blob_endpoint": proxy.URL + "/" + a.account, "retry_count": 1}))
	var inc storetest.Incomplete
	docs := collect(t, s, inc.Request())
	if fmt.Sprint(ids(docs)) != "["+good+"/a.txt]" {
		t.Fatalf("documents %v", ids(docs))
	}
	if inc.Len() != 1 || !strings.Contains(inc.Scopes[0], bad) || !strings.Contains(inc.Causes[0].Error(), "InternalError") {
		t.Fatalf("incomplete %v %v", inc.Scopes, inc.Causes)
	}
}

func TestErrorsNameTheField(t *testing.T) {
	a := newAzurite(t)
	wrongKey := base64.StdEncoding.EncodeToString([]byte("not the account key at all, but valid base64"))
	cases := []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"wrong key", map[string]any{"account_key": wrongKey, "containers": "*"}, `configuration fields "account_name" and "account_key"`},
		{"key not base64", map[string]any{"account_key": "not base64!", "containers": "*"}, `configuration field "account_key"`},
		{"endpoint not a URL", map[string]any{"blob_endpoint": "devstoreaccount1", "containers": "*"}, `configuration field "blob_endpoint"`},
		{"nothing listens", map[string]any{"blob_endpoint": "http://127.0.0.1:1/devstoreaccount1", "containers": "*", "retry_count": 0}, `configuration field "blob_endpoint"`},
		{"unknown container", map[string]any{"containers": "no-such-container"}, `configuration field "containers": container "no-such-container" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSource(t, a.config(tc.values))
			err := s.ValidateConfig(context.Background())
			if err == nil {
				err = s.Ping(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %s", err, tc.want)
			}
			t.Log(err)
			if strings.Contains(err.Error(), a.key) || strings.Contains(err.Error(), wrongKey) {
				t.Fatalf("the key leaked: %v", err)
			}
		})
	}
}

// TestStalledDownload: a download whose server stops sending fails after the idle limit instead
// of holding a download slot for ever.
func TestStalledDownload(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-release
	}))
	defer srv.Close()
	defer close(release)
	key := base64.StdEncoding.EncodeToString([]byte("key"))
	s := newSource(t, map[string]any{"account_name": "acct", "account_key": key, "blob_endpoint": srv.URL + "/acct", "containers": "c"})
	s.idle = 200 * time.Millisecond
	if err := s.setup(); err != nil {
		t.Fatal(err)
	}
	r, err := s.open(context.Background(), "c", "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, retry.ErrStalled) {
		t.Fatalf("read error %v, want a stalled download", err)
	}
}

// TestDocsPage keeps the configuration table of docs/sources/azure_blob_storage.md the declaration's
// (FIELDDOC_UPDATE=1 rewrites it).
func TestDocsPage(t *testing.T) {
	fielddoc.Check(t, Factory, filepath.Join("..", "..", "docs", "sources", "azure_blob_storage.md"))
}

// TestListingMemoryIsFlat lists a container of 300,000 blobs from a server that makes up its
// pages, and checks that the heap the listing keeps alive does not grow with it.
func TestListingMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 300,000 blobs")
	}
	const total = 300_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("restype") != "container" {
			fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers><Container><Name>big</Name><Metadata><a>1</a></Metadata></Container></Containers><NextMarker/></EnumerationResults>`)
			return
		}
		start, _ := strconv.Atoi(q.Get("marker"))
		end := min(start+5000, total)
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="big"><Blobs>`)
		for i := start; i < end; i++ {
			fmt.Fprintf(&b, `<Blob><Name>dir/blob-%09d.txt</Name><Properties><Creation-Time>Mon, 06 May 2024 07:08:09 GMT</Creation-Time><Last-Modified>Mon, 06 May 2024 07:08:09 GMT</Last-Modified><Content-Length>1024</Content-Length><Content-Type>text/plain</Content-Type><BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><AccessTier>Hot</AccessTier></Properties><Metadata><k>v</k></Metadata></Blob>`, i)
		}
		b.WriteString(`</Blobs><NextMarker>`)
		if end < total {
			fmt.Fprintf(&b, "%d", end)
		}
		b.WriteString(`</NextMarker></EnumerationResults>`)
		_, _ = io.WriteString(w, b.String())
	}))
	defer srv.Close()
	key := base64.StdEncoding.EncodeToString([]byte("key"))
	s := newSource(t, map[string]any{"account_name": "acct", "account_key": key, "blob_endpoint": srv.URL + "/acct", "containers": "*"})
	storetest.CheckFlatListing(t, s, total, 50_000, "blobs")
}

// TestUntrustedCertificate: an endpoint whose certificate this machine does not trust names the
// blob_endpoint field.
func TestUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	key := base64.StdEncoding.EncodeToString([]byte("key"))
	err := newSource(t, map[string]any{"account_name": "acct", "account_key": key, "blob_endpoint": srv.URL + "/acct", "containers": "*"}).Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "TLS certificate") || !strings.Contains(err.Error(), `configuration field "blob_endpoint"`) {
		t.Fatalf("Ping: %v", err)
	}
	t.Log(err)
}
