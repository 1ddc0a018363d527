// Package atlassian is a local fake of the Atlassian REST APIs the jira and confluence sources
// call: Jira (Cloud platform REST v2/v3, Server and Data Center v2), Confluence (Cloud REST v1
// under /wiki, Server and Data Center without it) and the Extender plugin the original uses for
// Confluence Server permissions. One server serves both products, as an Atlassian Cloud site
// does (Confluence Cloud's user listing is a Jira endpoint at the site root).
//
// Data is generated from numbers (a project's, an issue's, a page's index), never stored, so
// sizes up to hundreds of thousands of items cost no memory; [Server.Mutate] moves the data set to
// its second version (items removed, modified, added) for a second sync.
//
// Every answer follows Atlassian's published OpenAPI documents (apidesc/, see
// apidesc/ORIGIN.md), checked in the tests by [NewValidator]; endpoints without a published
// description are described in apidesc/handwritten.yaml.
package atlassian

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// Flavor is the deployment the fake imitates: what user objects look like (account ids or user
// names), which endpoints exist (Jira Cloud's cursor search), where Confluence lives.
type Flavor string

// The flavours, named as the sources' data_source values name them (without the product).
const (
	Cloud      Flavor = "cloud"
	Server     Flavor = "server"
	DataCenter Flavor = "data_center"
)

// Config sizes the generated data set.
type Config struct {
	Flavor Flavor

	// Jira.
	Projects            int
	IssuesPerProject    int
	AttachmentsPerIssue int

	// Confluence: every space has PagesPerSpace pages and as many blog posts.
	Spaces             int
	PagesPerSpace      int
	AttachmentsPerPage int

	// Users of the site (access-control documents).
	Users int

	// MaxResults caps the page sizes the fake answers with, below what clients ask for, as
	// Atlassian does when a request expands many fields; 0 means 50.
	MaxResults int
}

// Credentials the fake accepts by default.
const (
	User     = "admin@example.com"
	Password = "secret-api-token"
	Token    = "secret-personal-access-token"
)

// Fake is the fake Atlassian site. It is an http.Handler.
type Fake struct {
	// Auth holds the accepted credentials: User/Password (basic) and Token (bearer) at start.
	Auth saasfake.Auth
	// Faults injects throttling and failures; none at start.
	Faults saasfake.Faults

	mu      sync.RWMutex
	cfg     Config
	version int // data set version: 1 at start, 2 after Mutate

	handler http.Handler
	mux     *http.ServeMux
}

// New builds a fake site serving cfg's data set.
func New(cfg Config) *Fake {
	if cfg.Flavor == "" {
		cfg.Flavor = Cloud
	}
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = 50
	}
	if cfg.Users <= 0 {
		cfg.Users = 12
	}
	f := &Fake{cfg: cfg, version: 1, mux: http.NewServeMux()}
	f.Auth.AddBasic(User, Password)
	f.Auth.AddBearer(Token, -1)
	// Jira and Confluence (Seraph) refuse a sign-in that needs a CAPTCHA with 403 and these
	// headers, on every path.
	f.Auth.LockedHeader = http.Header{
		"X-Seraph-Loginreason":           {"AUTHENTICATION_DENIED"},
		"X-Authentication-Denied-Reason": {"CAPTCHA_CHALLENGE; login-url=/login.jsp"},
	}
	f.routesJira()
	f.routesConfluence()
	f.handler = f.Faults.Middleware(f.Auth.Middleware(f.mux, errorBody), errorBody)
	return f
}

// ServeHTTP answers one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }

// Config returns the fake's configuration.
func (f *Fake) Config() Config {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cfg
}

// Version is the data set's version: 1, or 2 after Mutate.
func (f *Fake) Version() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.version
}

// Mutate moves the data set to version 2: in every project (space), the issues (pages and blog
// posts) whose number is 1 modulo 20 are removed, those 2 modulo 20 are modified (newer update
// time, new summary or title and body), and one issue (page, blog post) is added after the last.
func (f *Fake) Mutate() {
	f.mu.Lock()
	f.version = 2
	f.mu.Unlock()
}

// Reset returns the data set to version 1.
func (f *Fake) Reset() {
	f.mu.Lock()
	f.version = 1
	f.mu.Unlock()
}

// errorBody is the error document of the product the path belongs to.
func errorBody(status int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"errorMessages": []string{msg}, "errors": map[string]any{}})
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(status, msg))
}

// confluenceError is Confluence's error document.
func confluenceError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{
		"statusCode": status,
		"data":       map[string]any{"authorized": true, "valid": false, "errors": []any{}, "successful": false},
		"message":    msg,
	})
	_, _ = w.Write(b)
}

// base is the site's URL as the client reached it, for the absolute links Atlassian returns.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
