// Package estest is an in-memory Elasticsearch-compatible server for tests and local development.
//
// It speaks the REST subset the connector service uses (index and document APIs, _bulk, _search
// with scroll and point-in-time, ingest pipelines, security basics and the _connector API) with
// Elasticsearch's status codes and error bodies, and it reproduces behaviour that is easy to get
// wrong against a real cluster: near-real-time search visibility, optimistic concurrency, dynamic
// mapping conflicts, per-item bulk failures. Faults can be injected from Go or over HTTP.
//
//	srv := estest.New(estest.Options{})
//	if err := srv.Start(); err != nil { ... }
//	defer srv.Close()
//	client := newClient(srv.URL())
//
// docs/estest.md lists what is implemented and where estest knowingly differs from Elasticsearch.
package estest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. The zero value is a 9.6.0 "default" build with a trial licence,
// security off and one-second periodic refresh.
type Options struct {
	// Version is the Elasticsearch version reported by GET / and used to pick version-dependent
	// behaviour (error types, compatible-with checks, connector index mappings). Default "9.6.0".
	Version string
	// BuildFlavor is "default" or "serverless".
	BuildFlavor string
	// ClusterName defaults to "estest".
	ClusterName string
	// License is the licence type: basic, gold, platinum, enterprise or trial (default trial).
	License string
	// LicenseExpired reports the licence as status "expired".
	LicenseExpired bool
	// Users maps user names to passwords. Setting Users or APIKeys turns authentication on.
	Users map[string]string
	// APIKeys are accepted keys, each either "id:key" or its base64 encoding.
	APIKeys []string
	// RequireProductOrigin rejects direct requests to the .elastic-connectors* indices that lack
	// the X-elastic-product-origin header, like Elasticsearch 9.x system indices.
	RequireProductOrigin bool
	// NoEntSearch serves a cluster without the ent-search module, like a
	// node built from Maven Central jars: no _connector API, no built-in
	// templates for the connector indices, no search-default-ingestion
	// pipeline.
	NoEntSearch bool
	// Now overrides the clock (timestamps written by the _connector API, date math, expiries).
	Now func() time.Time
	// RefreshTick is how often periodic refreshes are checked; default 50ms.
	RefreshTick time.Duration
	// Logf, when set, receives one line per request.
	Logf func(format string, args ...any)
}

// Server is an in-memory Elasticsearch stand-in. Create it with New and release it with Close.
type Server struct {
	opts    Options
	major   int
	minor   int
	mu      sync.Mutex
	indices map[string]*index
	pipes   map[string]*pipeline
	scrolls map[string]*scrollCtx
	pits    map[string]*pitCtx
	keys    map[string]*apiKey // by id
	faults  *Faults
	seq     uint64
	uuid    string

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	httpSrv  *http.Server
	ln       net.Listener
	url      string
}

// New creates a server. Its periodic refresher runs until Close.
func New(opts Options) *Server {
	if opts.Version == "" {
		opts.Version = "9.6.0"
	}
	if opts.BuildFlavor == "" {
		opts.BuildFlavor = "default"
	}
	if opts.ClusterName == "" {
		opts.ClusterName = "estest"
	}
	if opts.License == "" {
		opts.License = "trial"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshTick <= 0 {
		opts.RefreshTick = 50 * time.Millisecond
	}
	s := &Server{
		opts:    opts,
		indices: map[string]*index{},
		pipes:   map[string]*pipeline{},
		scrolls: map[string]*scrollCtx{},
		pits:    map[string]*pitCtx{},
		keys:    map[string]*apiKey{},
		stop:    make(chan struct{}),
	}
	s.faults = &Faults{s: s}
	s.uuid = s.newID()
	parts := strings.SplitN(strings.SplitN(opts.Version, "-", 2)[0], ".", 3)
	s.major, _ = strconv.Atoi(parts[0])
	if len(parts) > 1 {
		s.minor, _ = strconv.Atoi(parts[1])
	}
	for _, k := range opts.APIKeys {
		s.addConfiguredKey(k)
	}
	if !opts.NoEntSearch {
		s.installDefaultPipelines()
	}
	s.wg.Add(1)
	go s.refresher()
	return s
}

// Start listens on a random loopback port and serves until Close.
func (s *Server) Start() error { return s.StartAddr("127.0.0.1:0") }

// StartAddr listens on addr ("host:port") and serves until Close.
func (s *Server) StartAddr(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("estest: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.httpSrv.Serve(ln)
	}()
	return nil
}

// URL is the base URL after Start, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.url }

// Handler returns the server as an http.Handler, to mount elsewhere.
func (s *Server) Handler() http.Handler { return s }

// Close stops the listener (if started) and the refresher.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		close(s.stop)
		if s.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.httpSrv.Shutdown(ctx)
			cancel()
			_ = s.httpSrv.Close()
		}
	})
	s.wg.Wait()
}

// Faults returns the fault-injection controller.
func (s *Server) Faults() *Faults { return s.faults }

func (s *Server) now() time.Time { return s.opts.Now() }

// docParsingException tells whether this version reports document_parsing_exception (8.8+).
func (s *Server) docParsingException() bool {
	return s.major > 8 || (s.major == 8 && s.minor >= 8)
}

func (s *Server) newID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ---- request handling ----

type request struct {
	r      *http.Request
	w      http.ResponseWriter
	method string
	path   string
	segs   []string
	q      url.Values
	body   []byte
	ndjson bool
	// hasContent is whether the request carried a body (the source
	// parameter does not count), which decides the media-type rules.
	hasContent bool
	user       *principal
	compat     string // requested compatible-with version, if any
	respType   string // Content-Type of the answer, "" for plain JSON
	origin     string
}

func (rq *request) param(name string) string { return rq.q.Get(name) }

func (rq *request) has(name string) bool { _, ok := rq.q[name]; return ok }

func (rq *request) boolParam(name string, def bool) (bool, *esError) {
	if !rq.has(name) {
		return def, nil
	}
	v := rq.q.Get(name)
	switch v {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errIllegalArg("Failed to parse value [%s] as only [true] or [false] are allowed.", v)
}

func (rq *request) intParam(name string, def int) (int, *esError) {
	if !rq.has(name) {
		return def, nil
	}
	n, err := strconv.Atoi(rq.q.Get(name))
	if err != nil {
		return 0, errIllegalArg("Failed to parse int parameter [%s] with value [%s]", name, rq.q.Get(name))
	}
	return n, nil
}

// jsonBody decodes the body as a JSON object; an empty body gives nil.
func (rq *request) jsonBody() (*Object, *esError) {
	if len(bytes.TrimSpace(rq.body)) == 0 {
		return nil, nil
	}
	v, err := parseJSON(rq.body)
	if err != nil {
		return nil, errXContent(err, "")
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, newErr(400, "parse_exception", "request body or source parameter is required")
	}
	return o, nil
}

type response struct {
	status int
	body   any
	header http.Header
}

func ok(body any) *response { return &response{status: 200, body: body} }

func status(code int, body any) *response { return &response{status: code, body: body} }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	rq := &request{r: r, w: w, method: r.Method, path: r.URL.Path, q: r.URL.Query(),
		origin: r.Header.Get("X-elastic-product-origin")}
	// Split the escaped path: a document id may hold "/" (written %2F), which must stay inside
	// its segment.
	rq.segs = splitPath(r.URL.EscapedPath())

	var resp *response
	var eerr *esError
	if len(rq.segs) > 0 && rq.segs[0] == "_estest" {
		resp, eerr = s.handleControl(rq, r)
		s.write(rq, resp, eerr)
		return
	}
	f := s.faults.match(r.Method, r.URL.Path)
	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(time.Duration(f.Delay)):
			case <-r.Context().Done():
				return
			}
		}
		if f.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if f.Status != 0 {
			s.write(rq, nil, f.esError())
			return
		}
	}
	resp, eerr = s.serve(rq, f)
	s.write(rq, resp, eerr)
	if s.opts.Logf != nil {
		code := 200
		if eerr != nil {
			code = eerr.status
		} else if resp != nil {
			code = resp.status
		}
		s.opts.Logf("%s %s -> %d (%s)", r.Method, r.URL.RequestURI(), code, time.Since(start).Round(time.Microsecond))
	}
}

func splitPath(p string) []string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			if u, err := url.PathUnescape(s); err == nil {
				s = u
			}
			segs = append(segs, s)
		}
	}
	return segs
}

func (s *Server) serve(rq *request, f *Fault) (*response, *esError) {
	if e := s.readBody(rq); e != nil {
		return nil, e
	}
	if e := s.negotiate(rq); e != nil {
		return nil, e
	}
	if e := s.authenticate(rq); e != nil {
		return nil, e
	}
	return s.route(rq, f)
}

// mediaTypeReason is the reason of a media-type refusal. Real nodes list
// the two headers in either order from one start to the next; we keep one.
func (s *Server) mediaTypeReason() string {
	return "Invalid media-type value on headers [Content-Type, Accept]"
}

// mediaType is a parsed Content-Type or Accept header.
type mediaType struct {
	typ    string   // lower-cased type/subtype
	compat string   // compatible-with parameter, "" if none
	params []string // other parameters as key=value, in order
}

// format is the body format the type names: "json", "x-ndjson", "yaml",
// "cbor", "smile", or "" for a type Elasticsearch does not read or write.
func (m *mediaType) format() string {
	if m == nil {
		return ""
	}
	switch m.typ {
	case "application/json", "application/vnd.elasticsearch+json":
		return "json"
	case "application/x-ndjson", "application/vnd.elasticsearch+x-ndjson":
		return "x-ndjson"
	case "application/yaml", "application/vnd.elasticsearch+yaml":
		return "yaml"
	case "application/cbor", "application/vnd.elasticsearch+cbor":
		return "cbor"
	case "application/smile", "application/vnd.elasticsearch+smile":
		return "smile"
	}
	return ""
}

// parseMediaType parses one media type. A value that is not type/subtype
// is an error, as in Elasticsearch; a list (as browsers and some HTTP
// libraries send in Accept) is not parsed and reads as no preference.
func parseMediaType(h string) (m *mediaType, list bool, err error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, false, nil
	}
	if strings.Contains(h, ",") {
		return nil, true, nil
	}
	parts := strings.Split(h, ";")
	typ := strings.ToLower(strings.TrimSpace(parts[0]))
	slash := strings.IndexByte(typ, '/')
	if slash <= 0 || slash == len(typ)-1 || strings.ContainsAny(typ, " \t") {
		return nil, false, esTextf("invalid media-type [%s]", h)
	}
	m = &mediaType{typ: typ}
	for _, p := range parts[1:] {
		kv := strings.SplitN(strings.TrimSpace(p), "=", 2)
		if len(kv) != 2 {
			continue
		}
		k, v := strings.ToLower(strings.TrimSpace(kv[0])), strings.TrimSpace(kv[1])
		if k == "compatible-with" {
			m.compat = v
		} else {
			m.params = append(m.params, k+"="+v)
		}
	}
	return m, false, nil
}

// negotiate checks Content-Type and Accept the way Elasticsearch's REST
// layer does, as measured on 9.5.3 and 8.19.21: a header that is not a
// media type is refused whatever the body; Accept's compatible-with version
// is always checked; Content-Type's version, the rule that both headers
// carry the same version, and the body format only matter when there is a
// body (so a client that sends application/octet-stream on a bodiless
// request, as elasticsearch-py does, is served).
func (s *Server) negotiate(rq *request) *esError {
	ctRaw := rq.r.Header.Get("Content-Type")
	acRaw := rq.r.Header.Get("Accept")
	ct, _, ctErr := parseMediaType(ctRaw)
	ac, _, acErr := parseMediaType(acRaw)
	// A header sent with an empty value is refused, unlike a missing one.
	if vs, ok := rq.r.Header["Content-Type"]; ok && strings.TrimSpace(strings.Join(vs, "")) == "" {
		ctErr = esText("Header [Content-Type] cannot be empty.")
	}
	if vs, ok := rq.r.Header["Accept"]; ok && strings.TrimSpace(strings.Join(vs, "")) == "" {
		acErr = esText("Header [Accept] cannot be empty.")
	}
	hasBody := rq.hasContent
	maxV, minV := s.major, s.major-1
	var compatErr *esError
	mediaErr := func(msg string) *esError {
		e := newErr(400, "media_type_header_exception", s.mediaTypeReason()).withCause(newErr(400, "status_exception", msg))
		e.rootCause = []*esError{e}
		return e
	}
	versionErr := func(ver, header, value string) *esError {
		if ver == "" {
			return nil
		}
		if n, err := strconv.Atoi(ver); err == nil && n >= minV && n <= maxV {
			return nil
		}
		return mediaErr(fmt.Sprintf("%s version must be either version %d or %d, but found %s. %s=%s",
			header, maxV, minV, ver, header, value))
	}
	acVer, ctVer := "", ""
	if ac != nil {
		acVer = ac.compat
	}
	if ct != nil {
		ctVer = ct.compat
	}
	compatErr = versionErr(acVer, "Accept", acRaw)
	if compatErr == nil && hasBody {
		compatErr = versionErr(ctVer, "Content-Type", ctRaw)
		if compatErr == nil && acVer != ctVer {
			shownAc, shownCt := acRaw, ctRaw
			if ac == nil {
				shownAc = "null"
			}
			if ct == nil {
				shownCt = "null"
			}
			compatErr = mediaErr(fmt.Sprintf("A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept=%s, Content-Type=%s", shownAc, shownCt))
		}
	}
	headerErr := func(name string, err error) *esError {
		e := newErr(400, "media_type_header_exception", "Invalid media-type value on headers ["+name+"]").withCause(newErr(400, "illegal_argument_exception", err.Error()))
		e.rootCause = []*esError{e}
		return e
	}
	// The answer's type: Accept when it names a format, else the body's type.
	// An answer refusing the headers' versions is plain JSON.
	if acErr == nil && compatErr == nil {
		resp := ac
		if resp.format() == "" {
			resp = ct
		}
		switch {
		case resp.format() == "" && acVer == "":
			rq.respType = ""
		case resp.format() == "":
			rq.respType = "application/json"
		case strings.HasPrefix(resp.typ, "application/vnd.elasticsearch+"):
			rq.respType = "application/vnd.elasticsearch+json"
		default:
			rq.respType = "application/json"
		}
		if acVer != "" {
			rq.compat = acVer
			rq.respType += ";compatible-with=" + acVer
			if ac != nil {
				for _, p := range ac.params {
					rq.respType += ";" + p
				}
			}
		}
	}
	switch {
	case acErr != nil:
		return headerErr("Accept", acErr)
	case ctErr != nil:
		return headerErr("Content-Type", ctErr)
	case compatErr != nil:
		return compatErr
	}
	if hasBody {
		switch f := ct.format(); f {
		case "":
			return &esError{status: 406, reason: "Content-Type header [" + ctRaw + "] is not supported"}
		case "yaml", "cbor", "smile":
			return newErr(400, "illegal_argument_exception", "estest reads JSON and NDJSON bodies only, not "+f)
		default:
			rq.ndjson = f == "x-ndjson"
		}
	}
	return nil
}

func (s *Server) readBody(rq *request) *esError {
	if rq.r.Body == nil {
		return nil
	}
	var rd io.Reader = rq.r.Body
	if strings.EqualFold(rq.r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(rq.r.Body)
		if err != nil {
			return newErr(400, "illegal_argument_exception", "failed to decompress gzip request body: "+err.Error())
		}
		defer gz.Close()
		rd = gz
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return newErr(400, "illegal_argument_exception", "failed to read request body: "+err.Error())
	}
	rq.hasContent = len(b) > 0
	if src := rq.q.Get("source"); len(b) == 0 && src != "" {
		b = []byte(src)
	}
	rq.body = b
	return nil
}

func (s *Server) write(rq *request, resp *response, e *esError) {
	w := rq.w
	h := w.Header()
	var code int
	var body any
	if e != nil {
		code = e.status
		for k, vs := range e.header {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		if e.typ == "" {
			body = newObj("error", e.reason, "status", e.status)
		} else {
			body = e.body()
		}
	} else if resp != nil {
		code = resp.status
		body = resp.body
		if fp := rq.q.Get("filter_path"); fp != "" && body != nil {
			body = filterPath(body, fp) // answers only: errors are never filtered
		}
		for k, vs := range resp.header {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
	} else {
		code = 200
	}
	ct := "application/json"
	if rq.respType != "" {
		ct = rq.respType
	}
	if body != nil {
		h.Set("Content-Type", ct)
	}
	if rq.method == http.MethodHead {
		if body != nil {
			h.Set("Content-Length", strconv.Itoa(len(encodeJSON(body))))
		} else {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(code)
		return
	}
	if body == nil {
		w.WriteHeader(code)
		return
	}
	out := encodeJSON(body)
	if rq.has("pretty") && rq.q.Get("pretty") != "false" {
		var buf bytes.Buffer
		if json.Indent(&buf, out, "", "  ") == nil {
			buf.WriteByte('\n')
			out = buf.Bytes()
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(code)
	_, _ = w.Write(out)
}

// ---- routing ----

func noHandler(rq *request) *esError {
	return &esError{status: 400, reason: fmt.Sprintf("no handler found for uri [%s] and method [%s]", rq.r.URL.RequestURI(), rq.method)}
}

func badMethod(rq *request, allowed ...string) *esError {
	e := &esError{status: 405, reason: fmt.Sprintf("Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]",
		rq.r.URL.RequestURI(), rq.method, strings.Join(allowed, ", "))}
	e.header = http.Header{"Allow": []string{strings.Join(allowed, ",")}}
	return e
}

func methodIs(rq *request, ms ...string) bool {
	for _, m := range ms {
		if rq.method == m {
			return true
		}
	}
	return false
}

func (s *Server) route(rq *request, f *Fault) (*response, *esError) {
	g := rq.segs
	n := len(g)
	if n == 0 {
		if methodIs(rq, "GET", "HEAD") {
			return s.info(rq)
		}
		return nil, badMethod(rq, "GET", "HEAD")
	}
	switch g[0] {
	case "_license":
		if n == 1 && methodIs(rq, "GET") {
			return s.license(rq)
		}
		return nil, noHandler(rq)
	case "_security":
		return s.routeSecurity(rq)
	case "_cluster":
		if n >= 2 && g[1] == "health" && methodIs(rq, "GET") {
			return s.clusterHealth(rq)
		}
		return nil, noHandler(rq)
	case "_bulk":
		if n == 1 {
			if methodIs(rq, "POST", "PUT") {
				return s.bulk(rq, "", f)
			}
			return nil, badMethod(rq, "POST", "PUT")
		}
	case "_search":
		if n == 1 && methodIs(rq, "GET", "POST") {
			return s.search(rq, "")
		}
		if n >= 2 && g[1] == "scroll" {
			return s.routeScroll(rq)
		}
	case "_count":
		if n == 1 && methodIs(rq, "GET", "POST") {
			return s.count(rq, "")
		}
	case "_mget":
		if n == 1 && methodIs(rq, "GET", "POST") {
			return s.mget(rq, "")
		}
	case "_refresh":
		if n == 1 && methodIs(rq, "GET", "POST") {
			return s.refreshAPI(rq, "")
		}
	case "_stats":
		if n == 1 && methodIs(rq, "GET") {
			return s.stats(rq, "")
		}
	case "_mapping":
		if n == 1 && methodIs(rq, "GET") {
			return s.getMapping(rq, "")
		}
	case "_settings":
		if n == 1 && methodIs(rq, "GET") {
			return s.getSettings(rq, "")
		}
	case "_alias", "_aliases":
		if g[0] == "_aliases" && n == 1 && methodIs(rq, "POST") {
			return s.updateAliases(rq)
		}
		if methodIs(rq, "GET", "HEAD") {
			name := ""
			if n > 1 {
				name = g[1]
			}
			return s.getAliases(rq, "", name)
		}
	case "_pit":
		if n == 1 && methodIs(rq, "DELETE") {
			return s.closePIT(rq)
		}
	case "_ingest":
		return s.routeIngest(rq)
	case "_connector":
		if !s.opts.NoEntSearch {
			return s.routeConnector(rq)
		}
	case "_cat":
		if n == 2 && g[1] == "indices" && methodIs(rq, "GET") {
			return s.catIndices(rq)
		}
	case "_delete_by_query":
		if n == 1 && methodIs(rq, "POST") {
			return s.deleteByQuery(rq, "")
		}
	}
	if strings.HasPrefix(g[0], "_") && n == 1 {
		// An unknown top-level API: Elasticsearch tries it as an index name.
		return s.routeIndex(rq, f)
	}
	if strings.HasPrefix(g[0], "_") && n > 1 && !knownIndexAPI(g[1]) {
		return nil, noHandler(rq)
	}
	return s.routeIndex(rq, f)
}

func knownIndexAPI(seg string) bool {
	switch seg {
	case "_doc", "_create", "_update", "_source", "_bulk", "_search", "_count", "_mget", "_refresh", "_stats",
		"_mapping", "_settings", "_pit", "_delete_by_query", "_alias", "_aliases":
		return true
	}
	return false
}

func (s *Server) routeIndex(rq *request, f *Fault) (*response, *esError) {
	g := rq.segs
	n := len(g)
	name := g[0]
	if n == 1 {
		switch rq.method {
		case "PUT":
			return s.createIndexAPI(rq, name)
		case "HEAD":
			return s.indexExists(rq, name)
		case "GET":
			return s.getIndex(rq, name)
		case "DELETE":
			return s.deleteIndex(rq, name)
		case "POST":
			return nil, badMethod(rq, "DELETE", "GET", "HEAD", "PUT")
		}
		return nil, noHandler(rq)
	}
	api := g[1]
	switch api {
	case "_doc":
		if n == 2 {
			if methodIs(rq, "POST") {
				return s.indexDoc(rq, name, "", false)
			}
			return nil, badMethod(rq, "POST")
		}
		if n == 3 {
			id := g[2]
			switch rq.method {
			case "PUT", "POST":
				return s.indexDoc(rq, name, id, false)
			case "GET", "HEAD":
				return s.getDoc(rq, name, id, false)
			case "DELETE":
				return s.deleteDoc(rq, name, id)
			}
			return nil, badMethod(rq, "DELETE", "GET", "HEAD", "POST", "PUT")
		}
	case "_create":
		if n == 3 && methodIs(rq, "PUT", "POST") {
			return s.indexDoc(rq, name, g[2], true)
		}
	case "_update":
		if n == 3 {
			if methodIs(rq, "POST") {
				return s.updateDoc(rq, name, g[2])
			}
			return nil, badMethod(rq, "POST")
		}
	case "_source":
		if n == 3 && methodIs(rq, "GET", "HEAD") {
			return s.getDoc(rq, name, g[2], true)
		}
	case "_bulk":
		if n == 2 {
			if methodIs(rq, "POST", "PUT") {
				return s.bulk(rq, name, f)
			}
			return nil, badMethod(rq, "POST", "PUT")
		}
	case "_search":
		if n == 2 && methodIs(rq, "GET", "POST") {
			return s.search(rq, name)
		}
	case "_count":
		if n == 2 && methodIs(rq, "GET", "POST") {
			return s.count(rq, name)
		}
	case "_mget":
		if n == 2 && methodIs(rq, "GET", "POST") {
			return s.mget(rq, name)
		}
	case "_refresh":
		if n == 2 && methodIs(rq, "GET", "POST") {
			return s.refreshAPI(rq, name)
		}
	case "_stats":
		if n == 2 && methodIs(rq, "GET") {
			return s.stats(rq, name)
		}
	case "_mapping":
		if n == 2 {
			switch rq.method {
			case "GET":
				return s.getMapping(rq, name)
			case "PUT", "POST":
				return s.putMapping(rq, name)
			}
		}
	case "_settings":
		if n == 2 {
			switch rq.method {
			case "GET":
				return s.getSettings(rq, name)
			case "PUT":
				return s.putSettings(rq, name)
			}
		}
	case "_pit":
		if n == 2 && methodIs(rq, "POST") {
			return s.openPIT(rq, name)
		}
	case "_delete_by_query":
		if n == 2 && methodIs(rq, "POST") {
			return s.deleteByQuery(rq, name)
		}
	case "_alias", "_aliases":
		if methodIs(rq, "GET", "HEAD") {
			alias := ""
			if n > 2 {
				alias = g[2]
			}
			return s.getAliases(rq, name, alias)
		}
		if n == 3 && methodIs(rq, "PUT", "POST") {
			return s.putAlias(rq, name, g[2])
		}
		if n == 3 && methodIs(rq, "DELETE") {
			return s.deleteAlias(rq, name, g[2])
		}
	}
	return nil, noHandler(rq)
}

// ---- control plane ----

func (s *Server) handleControl(rq *request, r *http.Request) (*response, *esError) {
	if len(rq.segs) < 2 || rq.segs[1] != "faults" {
		return nil, noHandler(rq)
	}
	switch r.Method {
	case "GET":
		list := s.faults.List()
		b, _ := json.Marshal(list)
		v, _ := parseJSON(b)
		return ok(newObj("faults", v)), nil
	case "DELETE":
		s.faults.Clear()
		return ok(newObj("acknowledged", true)), nil
	case "POST", "PUT":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, errIllegalArg("%s", err.Error())
		}
		var f Fault
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, errIllegalArg("invalid fault: %s", err.Error())
		}
		id := s.faults.Add(f)
		return ok(newObj("acknowledged", true, "id", id)), nil
	}
	return nil, badMethod(rq, "GET", "POST", "PUT", "DELETE")
}
