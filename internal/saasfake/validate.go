package saasfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// matchHost is the server every loaded description is rebased on: requests are matched by path
// only, whatever host the fake listens on.
const matchHost = "http://saasfake.invalid"

// Description is one API description (an OpenAPI 3 document) ready to match requests.
type Description struct {
	// Name says which document this is in violation messages (e.g. "Jira Cloud platform v3").
	Name   string
	router routers.Router
}

// LoadDescription parses an OpenAPI 3 document (JSON or YAML). The document's own servers are
// replaced: paths are matched regardless of host, and a document whose paths carry a prefix
// (Confluence Cloud's /wiki) keeps it in its paths.
func LoadDescription(name string, data []byte) (*Description, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("API description %s: %w", name, err)
	}
	doc.Servers = openapi3.Servers{{URL: matchHost}}
	// Atlassian's documents declare security schemes (OAuth, basic) on operations; the fake's
	// own middleware checks credentials, so the description's are not enforced here.
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("API description %s: %w", name, err)
	}
	return &Description{Name: name, router: r}, nil
}

// Rewrite maps a request path onto a description's path before matching: the first rule whose
// Prefix starts the path replaces it with To. It serves API flavours one document describes
// (Jira's /rest/api/2 and /rest/api/3 are the same operations; a Confluence Data Center path is
// the Cloud path without /wiki).
type Rewrite struct {
	Prefix, To string
}

// Violation is one answer of the fake that its description does not allow.
type Violation struct {
	Method, Path string // the request as the client sent it
	Status       int
	Problem      string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s -> %d: %s", v.Method, v.Path, v.Status, v.Problem)
}

// Validator checks answers against descriptions. Each request is matched against the
// descriptions in order (after the first matching [Rewrite]); the first one with a route for it
// validates the answer: status declared for the operation (for 2xx answers), content type, and
// the body against the response schema. Answers with error statuses the operation does not
// declare (429, 503 from [Faults]) are checked only when declared, as vendors document them
// globally rather than per operation.
type Validator struct {
	Descriptions []*Description
	// GraphQL lists the vendor's GraphQL endpoints: a POST to one is checked against its
	// schema instead of the descriptions, the client's query included (see [GraphQLSchema]).
	GraphQL  []GraphQLEndpoint
	Rewrites []Rewrite
	// MaxBody bounds how much of a body is kept for validation; larger answers (binary
	// downloads) are passed through and only their status and content type are checked.
	MaxBody int
	// OnViolation, when set, is called for every violation as it happens (t.Errorf in tests).
	OnViolation func(Violation)

	mu         sync.Mutex
	violations []Violation
	checked    int
}

// Violations returns the violations recorded so far.
func (v *Validator) Violations() []Violation {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Violation(nil), v.violations...)
}

// Checked is the number of answers validated so far.
func (v *Validator) Checked() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.checked
}

func (v *Validator) record(viol *Violation) {
	v.mu.Lock()
	v.checked++
	if viol != nil {
		v.violations = append(v.violations, *viol)
	}
	cb := v.OnViolation
	v.mu.Unlock()
	if viol != nil && cb != nil {
		cb(*viol)
	}
}

// GraphQLEndpoint is a path (as the description's paths are, after [Rewrite]s) served by a
// GraphQL schema.
type GraphQLEndpoint struct {
	Path   string
	Schema *GraphQLSchema
}

// Middleware validates every answer of next. The answer is buffered (up to MaxBody) and then
// sent on unchanged, so the client sees exactly what was validated. A request to a GraphQL
// endpoint is validated too: a query the vendor's schema refuses is a violation, since the
// source would fail against the real API.
func (v *Validator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gql := v.graphQLFor(r)
		var reqBody []byte
		if gql != nil && r.Method == http.MethodPost {
			reqBody, _ = io.ReadAll(io.LimitReader(r.Body, int64(v.maxBody())))
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		rec := &recorder{header: http.Header{}, max: v.maxBody()}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		var body []byte
		if !rec.overflow {
			body = rec.buf.Bytes()
		}
		var err error
		if gql != nil {
			err = checkGraphQL(gql, r, reqBody, rec.status, body)
		} else {
			err = v.Check(r, rec.status, rec.header, body, rec.overflow)
		}
		var viol *Violation
		if err != nil {
			viol = &Violation{Method: r.Method, Path: r.URL.RequestURI(), Status: rec.status, Problem: err.Error()}
		}
		v.record(viol)
		for k, vals := range rec.header {
			w.Header()[k] = vals
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.buf.Bytes())
	})
}

// graphQLFor returns the GraphQL schema serving r's path, nil for REST paths.
func (v *Validator) graphQLFor(r *http.Request) *GraphQLSchema {
	path := v.rewrite(r.URL.Path)
	for _, e := range v.GraphQL {
		if path == e.Path {
			return e.Schema
		}
	}
	return nil
}

func (v *Validator) rewrite(path string) string {
	for _, rw := range v.Rewrites {
		if strings.HasPrefix(path, rw.Prefix) {
			return rw.To + path[len(rw.Prefix):]
		}
	}
	return path
}

// checkGraphQL validates one exchange with a GraphQL endpoint: the query (and variables)
// against the schema, then a 200 answer against the query. HEAD (GitHub's scope check) and
// error statuses carry no GraphQL body.
func checkGraphQL(s *GraphQLSchema, r *http.Request, reqBody []byte, status int, body []byte) error {
	switch r.Method {
	case http.MethodHead:
		return nil
	case http.MethodPost:
	default:
		return fmt.Errorf("%s: %s %s is not a GraphQL request (POST)", s.Name, r.Method, r.URL.Path)
	}
	op, errs := s.Prepare(reqBody)
	if errs != nil {
		return fmt.Errorf("%s: the client's query does not validate against the schema: %s", s.Name, firstLines(errs.Error(), 3))
	}
	if status != http.StatusOK {
		return nil
	}
	if err := s.CheckAnswer(op, body); err != nil {
		return fmt.Errorf("%s: the answer does not follow the schema: %s", s.Name, err)
	}
	return nil
}

func (v *Validator) maxBody() int {
	if v.MaxBody > 0 {
		return v.MaxBody
	}
	return 8 << 20
}

// Check validates one answer to r. skipBody says the body was too large to keep.
func (v *Validator) Check(r *http.Request, status int, header http.Header, body []byte, skipBody bool) error {
	path := v.rewrite(r.URL.Path)
	u, _ := url.Parse(matchHost)
	u.Path, u.RawQuery = path, r.URL.RawQuery
	req := r.Clone(context.Background())
	req.URL, req.Host, req.RequestURI = u, u.Host, ""
	for _, d := range v.Descriptions {
		route, params, err := d.router.FindRoute(req)
		if err != nil {
			continue
		}
		return validateAgainst(d, route, params, req, status, header, body, skipBody)
	}
	return fmt.Errorf("no published description has %s %s (checked as %s): the fake must not serve endpoints the vendor does not document", r.Method, r.URL.Path, path)
}

func validateAgainst(d *Description, route *routers.Route, params map[string]string, req *http.Request, status int, header http.Header, body []byte, skipBody bool) error {
	declared := route.Operation.Responses.Status(status) != nil
	if status < 300 && !declared && route.Operation.Responses.Default() == nil {
		return fmt.Errorf("%s: status %d is not declared for %s %s", d.Name, status, req.Method, route.Path)
	}
	if !declared {
		// An error status the operation does not list (429, 503): vendors document those once
		// for the whole API. Its body is the fake's business; the client must cope with any.
		return nil
	}
	if skipBody {
		ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
		if route.Operation.Responses.Status(status).Value.Content.Get(ct) == nil && len(route.Operation.Responses.Status(status).Value.Content) > 0 {
			return fmt.Errorf("%s: content type %q is not declared for %s %s", d.Name, ct, req.Method, route.Path)
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			return fmt.Errorf("%s, %s %s: %s", d.Name, req.Method, route.Path, shortMulti(me))
		}
		return fmt.Errorf("%s, %s %s: %s", d.Name, req.Method, route.Path, firstLines(err.Error(), 3))
	}
	return nil
}

func shortMulti(me openapi3.MultiError) string {
	parts := make([]string, 0, len(me))
	for i, e := range me {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(me)-5))
			break
		}
		parts = append(parts, firstLines(e.Error(), 1))
	}
	return strings.Join(parts, "; ")
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.TrimSpace(strings.Join(lines, " "))
}

// recorder buffers an answer for validation.
type recorder struct {
	header   http.Header
	status   int
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.buf.Len()+len(p) > r.max {
		r.overflow = true
	}
	return r.buf.Write(p)
}
