package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/fielddoc"
	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
	"github.com/connectors-go/connectors/sources/internal/storetest"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

const testRegion = "us-west-2"

// moto returns the emulator's URL, started by scripts/backends/moto.sh.
func moto(t *testing.T) string {
	t.Helper()
	return testbackend.Require(t, "moto", "MOTO_ENDPOINT")["MOTO_ENDPOINT"]
}

// pointAt makes sources built in this test talk to endpoint, the way the original's
// functional tests do (AWS_ENDPOINT_URL plus AWS_PORT).
func pointAt(t *testing.T, endpoint string) {
	t.Helper()
	i := strings.LastIndexByte(endpoint, ':')
	t.Setenv(EnvEndpointURL, endpoint[:i])
	t.Setenv(EnvPort, endpoint[i+1:])
}

func admin(endpoint string) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

type object struct {
	key   string
	body  string
	class types.StorageClass
}

// makeBucket creates bucket (emptied first if it exists) with the objects.
func makeBucket(t *testing.T, c *awss3.Client, bucket string, objs []object) {
	t.Helper()
	ctx := context.Background()
	dropBucket(t, c, bucket)
	_, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{
		Bucket:                    aws.String(bucket),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(testRegion)},
	})
	if err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	for _, o := range objs {
		in := &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: strings.NewReader(o.body)}
		if o.class != "" {
			in.StorageClass = o.class
		}
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s/%s: %v", bucket, o.key, err)
		}
	}
}

func dropBucket(t *testing.T, c *awss3.Client, bucket string) {
	t.Helper()
	ctx := context.Background()
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return // no such bucket
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

func uniqueBucket(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func newSource(t *testing.T, values map[string]any) *Source {
	t.Helper()
	s := sourcetest.OpenValid(t, Factory, configValues(values), connector.Env{}).(*Source)
	// Tests retry quickly; the policy's logic is the same.
	s.policy.Base, s.policy.Cap = time.Millisecond, 10*time.Millisecond
	return s
}

func configValues(values map[string]any) map[string]any {
	out := map[string]any{
		"aws_access_key_id":     "test-key",
		"aws_secret_access_key": "test-secret",
	}
	for k, v := range values {
		out[k] = v
	}
	return out
}

func collect(t *testing.T, s *Source, req connector.DocsRequest) []connector.Document {
	t.Helper()
	docs := sourcetest.Collect(t, s, req)
	return docs
}

func filenames(docs []connector.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Fields["filename"].(string))
	}
	sort.Strings(out)
	return out
}

func TestAcceptance(t *testing.T) {
	ep := moto(t)
	bucket, other := uniqueBucket("acceptance"), uniqueBucket("acceptance-other")
	c := admin(ep)
	var objs []object
	objs = append(objs, object{key: "folder/"}, object{key: "folder/empty.txt"}, object{key: "ünïcödé/報告.md", body: "# title"})
	for i := range 19 {
		objs = append(objs, object{key: fmt.Sprintf("folder/sub/file-%02d.txt", i), body: strings.Repeat("x", i)})
	}
	makeBucket(t, c, bucket, objs)
	makeBucket(t, c, other, []object{{key: "a.txt", body: "a"}, {key: "b.txt", body: "b"}, {key: "c.txt", body: "c"}})
	t.Cleanup(func() { dropBucket(t, c, bucket); dropBucket(t, c, other) })
	// Through a proxy, so that the other bucket can be made unreadable.
	proxy := storetest.NewProxy(t, ep)
	pointAt(t, proxy.URL)
	unreadable := proxy.Break(func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/"+other) && r.URL.Query().Has("list-type")
	}, 500, `<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
	connectortest.Run(t, Factory, configValues(map[string]any{"buckets": bucket + "," + other, "page_size": 7, "max_attempts": 1}),
		connectortest.ExpectDocs(len(objs)+3), connectortest.Unreadable(unreadable, len(objs)))
}

// goldenBucket has one object of each kind the documents must render exactly.
const goldenBucket = "connectors-golden"

var goldenObjects = []object{
	{key: "docs/"},
	{key: "docs/readme.txt", body: "hello"},
	{key: "docs/Ünïcödé — 報告.md", body: "# ünïcödé"},
	{key: "empty.txt"},
	{key: "a+b c%20d&e.csv", body: "a,b\n1,2\n"},
	{key: "cold/archive.pdf", body: "%PDF-1.4", class: types.StorageClassGlacier},
	{key: "cold/infrequent.json", body: `{"a": 1}`, class: types.StorageClassStandardIa},
	{key: "no-extension", body: "plain"},
	{key: "Mixed/UPPER.TXT", body: "upper"},
}

// TestGoldenDocuments compares every field of every document with testdata/golden.json, which
// holds what the original writes for these objects (_timestamp is the object's LastModified,
// checked against S3's own value).
func TestGoldenDocuments(t *testing.T) {
	ep := moto(t)
	pointAt(t, ep)
	c := admin(ep)
	makeBucket(t, c, goldenBucket, goldenObjects)
	t.Cleanup(func() { dropBucket(t, c, goldenBucket) })

	s := newSource(t, map[string]any{"buckets": goldenBucket})
	docs := collect(t, s, connector.DocsRequest{})
	var got []map[string]any
	for _, d := range docs {
		head, err := c.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(goldenBucket), Key: aws.String(d.Fields["filename"].(string))})
		if err != nil {
			t.Fatal(err)
		}
		if want := connector.FormatTime(*head.LastModified); d.Timestamp != want {
			t.Errorf("%s: _timestamp %q, want %q", d.ID, d.Timestamp, want)
		}
		body := d.Body()
		body["_timestamp"] = "<LastModified>"
		got = append(got, storetest.GoldenBody(t, body, d.Content))
	}
	sort.Slice(got, func(i, j int) bool { return got[i]["filename"].(string) < got[j]["filename"].(string) })
	storetest.CompareGolden(t, filepath.Join("testdata", "golden.json"), "filename", got)
}

func TestContent(t *testing.T) {
	ep := moto(t)
	pointAt(t, ep)
	bucket := uniqueBucket("content")
	c := admin(ep)
	body := strings.Repeat("lorem ipsum ", 5000)
	makeBucket(t, c, bucket, []object{{key: "dir/big.txt", body: body}, {key: "image.png", body: "png"}})
	t.Cleanup(func() { dropBucket(t, c, bucket) })
	s := newSource(t, map[string]any{"buckets": bucket})
	docs := collect(t, s, connector.DocsRequest{})
	for _, d := range docs {
		switch d.Fields["filename"] {
		case "image.png":
			if d.Content != nil {
				t.Error("image.png has content; only extractable types should")
			}
		case "dir/big.txt":
			if d.Content == nil || d.Content.Size != int64(len(body)) {
				t.Fatalf("content %+v", d.Content)
			}
			r, err := d.Content.Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(r)
			r.Close()
			if err != nil || string(data) != body {
				t.Fatalf("read %d bytes, err %v", len(data), err)
			}
		}
	}
}

func TestAdvancedRules(t *testing.T) {
	ep := moto(t)
	pointAt(t, ep)
	c := admin(ep)
	one, two := uniqueBucket("rules-one"), uniqueBucket("rules-two")
	makeBucket(t, c, one, []object{
		{key: "docs/a.txt"}, {key: "docs/b.pdf"}, {key: "docs/c.TXT"}, {key: "docs/sub/d.txt"}, {key: "other/e.txt"},
	})
	makeBucket(t, c, two, []object{{key: "x.txt"}, {key: "y.md"}})
	t.Cleanup(func() { dropBucket(t, c, one); dropBucket(t, c, two) })

	cases := []struct {
		name  string
		rules string
		want  []string
	}{
		{"prefix", fmt.Sprintf(`[{"bucket": %q, "prefix": "docs/"}]`, one), []string{"docs/a.txt", "docs/b.pdf", "docs/c.TXT", "docs/sub/d.txt"}},
		{"extension is exact", fmt.Sprintf(`[{"bucket": %q, "prefix": "docs", "extension": [".txt"]}]`, one), []string{"docs/a.txt", "docs/sub/d.txt"}},
		{"empty extension list keeps all", fmt.Sprintf(`[{"bucket": %q, "extension": []}]`, two), []string{"x.txt", "y.md"}},
		{"two rules", fmt.Sprintf(`[{"bucket": %q, "prefix": "other/"}, {"bucket": %q, "extension": [".md", 3]}]`, one, two), []string{"other/e.txt", "y.md"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rules any
			if err := json.Unmarshal([]byte(tc.rules), &rules); err != nil {
				t.Fatal(err)
			}
			// The buckets field is ignored when there are rules.
			s := newSource(t, map[string]any{"buckets": "not-a-bucket"})
			if p, _ := s.ValidateAdvancedRules(context.Background(), rules); len(p) > 0 {
				t.Fatalf("rules rejected: %v", p)
			}
			got := filenames(collect(t, s, connector.DocsRequest{AdvancedRules: rules}))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateRules(t *testing.T) {
	cases := []struct {
		rules string
		want  string
	}{
		{`[]`, ""},
		{`{}`, ""},
		{`[{"bucket": "b"}]`, ""},
		{`[{"bucket": "b", "prefix": "p/", "extension": [".txt"]}]`, ""},
		{`{"bucket": "b"}`, "data must be array"},
		{`"b"`, "data must be array"},
		{`[["b"]]`, "data[0] must be object"},
		{`[{"bucket": "b"}, {"prefix": "p"}]`, "data[1] must contain ['bucket'] properties"},
		{`[{"bucket": 3}]`, "data[0].bucket must be string"},
		{`[{"bucket": ""}]`, "data[0].bucket must be longer than or equal to 1 characters"},
		{`[{"bucket": "b", "prefix": 1}]`, "data[0].prefix must be string"},
		{`[{"bucket": "b", "extension": ".txt"}]`, "data[0].extension must be array"},
		{`[{"bucket": "b", "extensions": [".txt"]}]`, "data[0] must not contain {'extensions'} properties"},
		{`[{"bucket": "", "zzz": 1}]`, "data[0].bucket must be longer than or equal to 1 characters"},
		{`[{"prefix": 1, "zzz": 1}]`, "data[0] must contain ['bucket'] properties"},
	}
	for _, tc := range cases {
		var v any
		if err := json.Unmarshal([]byte(tc.rules), &v); err != nil {
			t.Fatal(err)
		}
		if got := validateRules(v); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.rules, got, tc.want)
		}
		if got := validateRules(json.RawMessage(tc.rules)); got != tc.want {
			t.Errorf("%s (raw): %q, want %q", tc.rules, got, tc.want)
		}
	}
}

func TestSplitExt(t *testing.T) {
	for in, want := range map[string]string{
		"a.txt": ".txt", "dir.d/file": "", "dir/.bashrc": "", "a.tar.gz": ".gz", "A.TXT": ".TXT",
		"folder/": "", "..x": "", "a.": ".", ".a.b": ".b",
	} {
		if got := splitExt(in); got != want {
			t.Errorf("splitExt(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestThrottling answers list and download requests with SlowDown, 503 and 429 (with
// Retry-After) before letting them through: the sync still gets every document and content.
func TestThrottling(t *testing.T) {
	ep := moto(t)
	c := admin(ep)
	bucket := uniqueBucket("throttle")
	var objs []object
	for i := range 12 {
		objs = append(objs, object{key: fmt.Sprintf("f%02d.txt", i), body: "content"})
	}
	makeBucket(t, c, bucket, objs)
	t.Cleanup(func() { dropBucket(t, c, bucket) })

	proxy := storetest.NewProxy(t, ep)
	slowDown := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`
	listing := func(r *http.Request) bool { return r.URL.Query().Has("list-type") }
	f1 := proxy.Add(&storetest.Fault{Match: listing, Times: 6, Status: 503, Body: slowDown})
	f2 := proxy.Add(&storetest.Fault{Match: listing, Times: 1, Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	download := storetest.PathContains("/f03.txt")
	f3 := proxy.Add(&storetest.Fault{Match: download, Times: 3, Status: 503, Body: slowDown})
	pointAt(t, proxy.URL)

	// One try only for passing failures: throttling is retried on its own budget, not this count.
	s := newSource(t, map[string]any{"buckets": bucket, "page_size": 5, "max_attempts": 0})
	var inc storetest.Incomplete
	start := time.Now()
	docs := collect(t, s, inc.Request())
	if len(docs) != len(objs) || inc.Len() != 0 {
		t.Fatalf("%d documents (want %d), incomplete %v", len(docs), len(objs), inc.Scopes)
	}
	if f1.Hits() != 6 || f2.Hits() != 1 {
		t.Errorf("faults answered %d and %d requests, want 6 and 1", f1.Hits(), f2.Hits())
	}
	if time.Since(start) < time.Second {
		t.Errorf("the sync took %s: Retry-After: 1 was not honoured", time.Since(start))
	}
	for _, d := range docs {
		if d.Fields["filename"] != "f03.txt" {
			continue
		}
		r, err := d.Content.Open(context.Background())
		if err != nil {
			t.Fatalf("download after throttling: %v", err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		if string(data) != "content" || f3.Hits() != 3 {
			t.Errorf("read %q after %d throttled tries", data, f3.Hits())
		}
	}
}

// TestIncompleteListing: a bucket whose listing keeps failing is reported, the others are
// listed, and Docs succeeds (the service then deletes nothing).
func TestIncompleteListing(t *testing.T) {
	ep := moto(t)
	c := admin(ep)
	good, bad := uniqueBucket("good"), uniqueBucket("bad")
	makeBucket(t, c, good, []object{{key: "a.txt"}, {key: "b.txt"}})
	makeBucket(t, c, bad, []object{{key: "c.txt"}})
	t.Cleanup(func() { dropBucket(t, c, good); dropBucket(t, c, bad) })
	proxy := storetest.NewProxy(t, ep)
	proxy.Add(&storetest.Fault{
		Match: func(r *http.Request) bool {
			return strings.HasPrefix(r.URL.Path, "/"+bad) && r.URL.Query().Has("list-type")
		},
		Status: 500, Body: `<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`,
	})
	pointAt(t, proxy.URL)
	s := newSource(t, map[string]any{"buckets": bad + "," + good, "max_attempts": 2})
	var inc storetest.Incomplete
	docs := collect(t, s, inc.Request())
	if got := filenames(docs); fmt.Sprint(got) != "[a.txt b.txt]" {
		t.Errorf("documents %v", got)
	}
	if inc.Len() != 1 || !strings.Contains(inc.Scopes[0], bad) || !strings.Contains(inc.Causes[0].Error(), "InternalError") {
		t.Fatalf("incomplete %v %v", inc.Scopes, inc.Causes)
	}
}

func TestUnknownBucket(t *testing.T) {
	ep := moto(t)
	pointAt(t, ep)
	s := newSource(t, map[string]any{"buckets": "no-such-bucket-here"})
	err := s.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `configuration field "buckets": bucket "no-such-bucket-here" does not exist`) {
		t.Fatalf("error %v", err)
	}
	rules := []any{map[string]any{"bucket": "no-such-bucket-here"}}
	err = s.Docs(context.Background(), connector.DocsRequest{AdvancedRules: rules}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `advanced sync rule 0: bucket "no-such-bucket-here" does not exist`) {
		t.Fatalf("error %v", err)
	}
}

func TestAllBuckets(t *testing.T) {
	ep := moto(t)
	pointAt(t, ep)
	c := admin(ep)
	b := uniqueBucket("star")
	makeBucket(t, c, b, []object{{key: "star.txt"}})
	t.Cleanup(func() { dropBucket(t, c, b) })
	s := newSource(t, map[string]any{"buckets": "*"})
	found := false
	for _, d := range collect(t, s, connector.DocsRequest{}) {
		if d.Fields["bucket"] == b && d.Fields["filename"] == "star.txt" {
			found = true
		}
	}
	if !found {
		t.Error("the object of a bucket found by listing all buckets is missing")
	}
}

func TestCheckpointResume(t *testing.T) {
	ep := moto(t)
	pointAt(t, ep)
	c := admin(ep)
	b := uniqueBucket("resume")
	var objs []object
	for i := range 10 {
		objs = append(objs, object{key: fmt.Sprintf("k%02d", i)})
	}
	makeBucket(t, c, b, objs)
	t.Cleanup(func() { dropBucket(t, c, b) })
	s := newSource(t, map[string]any{"buckets": b, "page_size": 4})
	var checkpoints []map[string]any
	req := connector.DocsRequest{OnCheckpoint: func(ck map[string]any) { checkpoints = append(checkpoints, ck) }}
	if got := len(collect(t, s, req)); got != 10 || len(checkpoints) != 3 {
		t.Fatalf("%d documents, %d checkpoints", got, len(checkpoints))
	}
	// Resuming after the first page (through JSON, as the service stores it) lists the rest.
	data, _ := json.Marshal(checkpoints[0])
	var ck map[string]any
	_ = json.Unmarshal(data, &ck)
	got := filenames(collect(t, s, connector.DocsRequest{Checkpoint: ck}))
	if fmt.Sprint(got) != "[k04 k05 k06 k07 k08 k09]" {
		t.Errorf("resumed with %v", got)
	}
}

// TestErrorsNameTheField runs Ping against fake servers that answer the way S3 does to bad
// settings, and checks that the message names the field and never shows the secret.
func TestErrorsNameTheField(t *testing.T) {
	answer := func(status int, code, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
		}
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		tls     bool
		want    string
	}{
		{"unknown key", answer(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."), false, `configuration field "aws_access_key_id"`},
		{"wrong secret", answer(403, "SignatureDoesNotMatch", "The request signature we calculated does not match."), false, `configuration field "aws_secret_access_key"`},
		{"untrusted certificate", answer(200, "", ""), true, "TLS certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			if tc.tls {
				srv = httptest.NewTLSServer(tc.handler)
			} else {
				srv = httptest.NewServer(tc.handler)
			}
			defer srv.Close()
			t.Setenv(EnvEndpointURL, srv.URL)
			t.Setenv(EnvPort, "")
			s := newSource(t, map[string]any{"buckets": "b", "aws_secret_access_key": "s3cr3t-value"})
			err := s.Ping(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %s", err, tc.want)
			}
			t.Log(err)
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Fatalf("the secret leaked: %v", err)
			}
		})
	}
}

// TestPingFallsBackToBuckets: credentials that may not list all buckets still pass Ping when
// they can list the configured ones.
func TestPingFallsBackToBuckets(t *testing.T) {
	ep := moto(t)
	c := admin(ep)
	b := uniqueBucket("ping")
	makeBucket(t, c, b, []object{{key: "x.txt"}})
	t.Cleanup(func() { dropBucket(t, c, b) })
	proxy := storetest.NewProxy(t, ep)
	proxy.Add(&storetest.Fault{
		Match:  func(r *http.Request) bool { return r.URL.Path == "/" },
		Status: 403, Body: `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
	})
	pointAt(t, proxy.URL)
	if err := newSource(t, map[string]any{"buckets": b}).Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	err := newSource(t, map[string]any{"buckets": b + ",missing-bucket-x"}).Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), `configuration field "buckets": bucket "missing-bucket-x" does not exist`) {
		t.Fatalf("Ping: %v", err)
	}
	err = newSource(t, map[string]any{"buckets": "*"}).Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Ping with *: %v", err)
	}
}

func TestStalledDownload(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-release
	}))
	defer srv.Close()
	defer close(release)
	t.Setenv(EnvEndpointURL, srv.URL)
	t.Setenv(EnvPort, "")
	s := newSource(t, map[string]any{"buckets": "b", "read_timeout": 1})
	r, err := s.open(context.Background(), "b", "us-east-1", "k.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = io.ReadAll(r)
	if !errors.Is(err, retry.ErrStalled) {
		t.Fatalf("read error %v, want a stalled download", err)
	}
}

func TestEndpointFromEnv(t *testing.T) {
	cases := []struct{ url, port, want string }{
		{"", "", ""},
		{"http://127.0.0.1", "5001", "http://127.0.0.1:5001"},
		{"http://127.0.0.1/", "5001", "http://127.0.0.1:5001"},
		{"https://s3.example.com:9000", "", "https://s3.example.com:9000"},
	}
	for _, tc := range cases {
		t.Setenv(EnvEndpointURL, tc.url)
		t.Setenv(EnvPort, tc.port)
		if got := endpointFromEnv(); got != tc.want {
			t.Errorf("%q + %q: %q, want %q", tc.url, tc.port, got, tc.want)
		}
	}
}

// TestDocsPage keeps the configuration table of docs/sources/s3.md the declaration's
// (FIELDDOC_UPDATE=1 rewrites it).
func TestDocsPage(t *testing.T) {
	fielddoc.Check(t, Factory, filepath.Join("..", "..", "docs", "sources", "s3.md"))
}

// TestListingMemoryIsFlat lists a bucket of half a million objects from a server that makes up its
// pages, and checks that the heap the listing keeps alive does not grow with it: pages are
// streamed, never collected.
func TestListingMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("lists half a million objects")
	}
	const total = 500_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Has("location") {
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-west-2</LocationConstraint>`)
			return
		}
		start, _ := strconv.Atoi(q.Get("continuation-token"))
		size, _ := strconv.Atoi(q.Get("max-keys"))
		end := min(start+size, total)
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>big</Name><EncodingType>url</EncodingType>`)
		for i := start; i < end; i++ {
			fmt.Fprintf(&b, `<Contents><Key>dir%%2Fobject-%09d.txt</Key><LastModified>2024-05-06T07:08:09.000Z</LastModified><Size>1024</Size><StorageClass>STANDARD</StorageClass><Owner><DisplayName>owner</DisplayName><ID>x</ID></Owner></Contents>`, i)
		}
		fmt.Fprintf(&b, `<IsTruncated>%v</IsTruncated>`, end < total)
		if end < total {
			fmt.Fprintf(&b, `<NextContinuationToken>%d</NextContinuationToken>`, end)
		}
		b.WriteString(`</ListBucketResult>`)
		_, _ = io.WriteString(w, b.String())
	}))
	defer srv.Close()
	t.Setenv(EnvEndpointURL, srv.URL)
	t.Setenv(EnvPort, "")
	s := newSource(t, map[string]any{"buckets": "big", "page_size": 1000})
	storetest.CheckFlatListing(t, s, total, 100_000, "objects")
}
