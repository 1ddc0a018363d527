// Package github is a local fake of the GitHub APIs the github source calls: the GraphQL API
// (repositories, pull requests with reviews and comments, issues, search, organization members,
// collaborators) and the REST API (git trees, commits, blobs, contents, the GitHub App endpoints,
// rate limits), under both layouts: GitHub.com (/graphql, /repos/…) and GitHub Enterprise Server
// (/api/graphql, /api/v3/repos/…).
//
// It authenticates as GitHub does: personal access tokens ("token" or "Bearer", with the
// X-OAuth-Scopes header), GitHub App JSON web tokens signed with the app's RSA key (RS256) for
// /app endpoints, and installation access tokens that expire. It throttles as GitHub does when
// asked: 403 with X-RateLimit-Remaining: 0 and an epoch X-RateLimit-Reset (the primary limit),
// and GraphQL answers whose error type is RATE_LIMITED.
//
// Data is generated from numbers (see data.go). Every answer is checked in tests against
// GitHub's published REST description and GraphQL schema (apidesc/, see apidesc/ORIGIN.md)
// by [NewValidator].
package github

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// Config sizes the data set and sets who the fake's accounts are.
type Config struct {
	// Owner is the account owning the repositories (default "demo_org"); OwnerIsUser makes it
	// a personal account, which is then also the token's user.
	Owner       string
	OwnerIsUser bool
	// Viewer is the personal access token's user when the owner is an organization
	// (default "demo_user").
	Viewer string

	Repos         int
	IssuesPerRepo int
	PullsPerRepo  int
	FilesPerRepo  int
	// Members of the organization (access-control documents); default 6.
	Members int
	// BigFirst gives the first issue and pull request of every repository that many comments
	// (and half as many reviews), so that their nested lists take more than one page.
	BigFirst int

	// Scopes is the X-OAuth-Scopes of the personal access token (default
	// "repo, user, read:org").
	Scopes string
	// AppID is the GitHub App's id (default 4242).
	AppID int64
	// InstallationTokenUses is how many requests an installation token serves before it
	// expires (401); 0 means it does not expire during a test.
	InstallationTokenUses int
	// GraphQLRateLimitEvery answers every Nth GraphQL request with a RATE_LIMITED error, as
	// GitHub does when the GraphQL rate limit is used up; 0 never.
	GraphQLRateLimitEvery int
}

// Credentials the fake accepts.
const (
	Token       = "ghp_secretPersonalAccessToken0000000000"
	BadScopeTok = "ghp_tokenWithoutReadOrg00000000000000000"
)

// Fake is the fake GitHub. It is an http.Handler.
type Fake struct {
	// Auth holds the accepted tokens: Token at start, installation tokens as they are made.
	Auth saasfake.Auth
	// Faults injects throttling and failures; none at start. For GitHub's primary rate limit
	// set ThrottleStatus 403 and EpochReset.
	Faults saasfake.Faults

	cfg     Config
	appKey  *rsa.PrivateKey
	mu      sync.RWMutex
	version int

	gqlCount    atomic.Int64
	tokenSeq    atomic.Int64
	tokensMade  atomic.Int64
	rateLimited atomic.Int64

	schema  *saasfake.GraphQLSchema
	mux     *http.ServeMux
	handler http.Handler
}

// New builds a fake GitHub serving cfg's data set. It generates the GitHub App's RSA key.
func New(cfg Config) *Fake {
	if cfg.Owner == "" {
		cfg.Owner = "demo_org"
	}
	if cfg.Viewer == "" || cfg.OwnerIsUser {
		if cfg.OwnerIsUser {
			cfg.Viewer = cfg.Owner
		} else {
			cfg.Viewer = "demo_user"
		}
	}
	if cfg.Members <= 0 {
		cfg.Members = 6
	}
	if cfg.Scopes == "" {
		cfg.Scopes = "repo, user, read:org"
	}
	if cfg.AppID == 0 {
		cfg.AppID = 4242
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("generating the GitHub App key: " + err.Error())
	}
	schema, err := Schema()
	if err != nil {
		panic(err)
	}
	f := &Fake{cfg: cfg, appKey: key, version: 1, schema: schema, mux: http.NewServeMux()}
	f.Auth.TokenSchemes = []string{"token", "Bearer"}
	f.Auth.AddBearer(Token, -1)
	f.Auth.AddBearer(BadScopeTok, -1)
	for _, p := range []string{"", "/api/v3"} {
		f.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/git/trees/{sha...}", f.tree)
		f.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/git/blobs/{sha}", f.blob)
		f.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/commits", f.commits)
		f.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/contents/{path...}", f.contents)
		f.mux.HandleFunc("GET "+p+"/rate_limit", f.rateLimit)
		f.mux.HandleFunc("GET "+p+"/app", f.app)
		f.mux.HandleFunc("GET "+p+"/app/installations", f.installations)
		f.mux.HandleFunc("POST "+p+"/app/installations/{id}/access_tokens", f.accessToken)
	}
	for _, p := range []string{"/graphql", "/api/graphql"} {
		f.mux.HandleFunc("POST "+p, f.graphql)
		f.mux.HandleFunc("HEAD "+p, func(w http.ResponseWriter, r *http.Request) {})
	}
	f.handler = f.Faults.Middleware(f.authenticate(f.mux), errorBody)
	return f
}

// ServeHTTP answers one request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }

// Config returns the fake's configuration.
func (f *Fake) Config() Config { return f.cfg }

// Version is the data set's version: 1, or 2 after Mutate.
func (f *Fake) Version() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.version
}

// Mutate moves the data set to version 2: in every repository the issues, pull requests and
// files whose number is 1 modulo 20 are removed, those 2 modulo 20 are modified, and one of each
// is added after the last.
func (f *Fake) Mutate() {
	f.mu.Lock()
	f.version = 2
	f.mu.Unlock()
}

// AppPrivateKeyPEM is the GitHub App's private key as GitHub hands it out (PKCS#1 PEM).
func (f *Fake) AppPrivateKeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(f.appKey)}))
}

// InstallationTokensMade counts the installation access tokens handed out.
func (f *Fake) InstallationTokensMade() int64 { return f.tokensMade.Load() }

// GraphQLRateLimited counts the RATE_LIMITED GraphQL answers sent.
func (f *Fake) GraphQLRateLimited() int64 { return f.rateLimited.Load() }

// Repo returns repository r.
func (f *Fake) Repo(r int) RepoInfo { return RepoAt(f.cfg.Owner, r, f.cfg.Repos) }

func errorBody(status int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(status, msg))
}

// authenticate checks a JSON web token on /app endpoints and a token elsewhere; a personal
// access token's answers carry its scopes.
func (f *Fake) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/api/v3")
		if path == "/app" || strings.HasPrefix(path, "/app/") {
			if msg := f.checkJWT(r.Header.Get("Authorization")); msg != "" {
				writeError(w, http.StatusUnauthorized, msg)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if ok, why := f.Auth.Check(r); !ok {
			msg := "Bad credentials"
			if why == "token expired" {
				msg = "Bad credentials (the token has expired)"
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		switch tok {
		case Token:
			w.Header().Set("X-OAuth-Scopes", f.cfg.Scopes)
		case BadScopeTok:
			w.Header().Set("X-OAuth-Scopes", "repo, user")
		}
		next.ServeHTTP(w, r)
	})
}

// checkJWT verifies an app's JSON web token and says what GitHub would answer when it fails: RS256 signed with the app's key, issued by the
// app id, expiring at most ten minutes after it was issued, as GitHub requires.
func (f *Fake) checkJWT(h string) string {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "A JSON web token could not be decoded"
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return "A JSON web token could not be decoded"
	}
	var head struct{ Alg string }
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &head) != nil || head.Alg != "RS256" {
		return "A JSON web token could not be decoded"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "A JSON web token could not be decoded"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&f.appKey.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "A JSON web token could not be decoded"
	}
	var claims struct {
		Iat, Exp int64
		Iss      json.RawMessage
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(b, &claims) != nil {
		return "A JSON web token could not be decoded"
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	now := time.Now().Unix()
	switch {
	case iss != strconv.FormatInt(f.cfg.AppID, 10):
		return "'Issuer' claim ('iss') must be an Integer"
	case claims.Exp <= now:
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case claims.Exp-claims.Iat > 600 || claims.Iat > now+60:
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

// ---- REST ----

// apiBase is where the client reached the REST API: https://host or https://host/api/v3.
func apiBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	b := scheme + "://" + r.Host
	if strings.HasPrefix(r.URL.Path, "/api/") {
		b += "/api/v3"
	}
	return b
}

func webBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// repoOf resolves the {owner}/{repo} of a request.
func (f *Fake) repoOf(r *http.Request) (RepoInfo, bool) {
	if r.PathValue("owner") != f.cfg.Owner {
		return RepoInfo{}, false
	}
	name, ok := strings.CutPrefix(r.PathValue("repo"), "repo-")
	n, err := strconv.Atoi(name)
	if !ok || err != nil || n < 0 || n >= f.cfg.Repos || strconv.Itoa(n) != name {
		return RepoInfo{}, false
	}
	return f.Repo(n), true
}

// files lists the files of a repository in the current version.
func (f *Fake) files(repo RepoInfo) []FileInfo {
	v := f.Version()
	var out []FileInfo
	for _, n := range saasfake.Items(v, f.cfg.FilesPerRepo) {
		out = append(out, FileAt(repo, n, v, f.cfg.FilesPerRepo))
	}
	return out
}

// blobSHA names file n of repository r: the fake's blob ids encode them, so a blob is found
// without a lookup table (GitObjectID is 40 hexadecimal digits either way).
func blobSHA(r, n int, modified bool) string {
	m := 0
	if modified {
		m = 1
	}
	return fmt.Sprintf("%08x%08x%02x%022x", r, n, m, 0)
}

func parseBlobSHA(s string) (r, n int, ok bool) {
	if len(s) != 40 {
		return 0, 0, false
	}
	r64, err1 := strconv.ParseInt(s[:8], 16, 64)
	n64, err2 := strconv.ParseInt(s[8:16], 16, 64)
	return int(r64), int(n64), err1 == nil && err2 == nil
}

func (f *Fake) branchExists(repo RepoInfo, b string) bool {
	return repo.DefaultBranch != "" && (b == repo.DefaultBranch || b == "release")
}

func (f *Fake) tree(w http.ResponseWriter, r *http.Request) {
	repo, ok := f.repoOf(r)
	if !ok || !f.branchExists(repo, r.PathValue("sha")) {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	base := apiBase(r) + "/repos/" + repo.FullName()
	entries := []any{}
	for _, d := range Dirs {
		entries = append(entries, map[string]any{"path": d, "mode": "040000", "type": "tree",
			"sha": fmt.Sprintf("%040x", len(d)), "url": base + "/git/trees/" + fmt.Sprintf("%040x", len(d))})
	}
	for _, fi := range f.files(repo) {
		sha := blobSHA(repo.Index, fi.N, fi.Modified)
		entries = append(entries, map[string]any{"path": fi.Path, "mode": "100644", "type": "blob", "sha": sha,
			"size": len(fi.Content), "url": base + "/git/blobs/" + sha})
	}
	writeJSON(w, 200, map[string]any{"sha": fmt.Sprintf("%040x", repo.Index+1), "url": base + "/git/trees/" + r.PathValue("sha"), "tree": entries, "truncated": false})
}

func (f *Fake) fileByPath(repo RepoInfo, path string) (FileInfo, bool) {
	for _, fi := range f.files(repo) {
		if fi.Path == path {
			return fi, true
		}
	}
	return FileInfo{}, false
}

func (f *Fake) blob(w http.ResponseWriter, r *http.Request) {
	repo, ok := f.repoOf(r)
	rn, n, ok2 := parseBlobSHA(r.PathValue("sha"))
	v := f.Version()
	if !ok || !ok2 || rn != repo.Index || !saasfake.Exists(v, f.cfg.FilesPerRepo, n) {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	fi := FileAt(repo, n, v, f.cfg.FilesPerRepo)
	sha := blobSHA(repo.Index, n, fi.Modified)
	writeJSON(w, 200, map[string]any{"sha": sha, "node_id": "B_" + sha[:12], "size": len(fi.Content),
		"url": apiBase(r) + "/repos/" + repo.FullName() + "/git/blobs/" + sha, "content": Base64(fi.Content), "encoding": "base64"})
}

func (f *Fake) commits(w http.ResponseWriter, r *http.Request) {
	repo, ok := f.repoOf(r)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	fi, found := f.fileByPath(repo, r.URL.Query().Get("path"))
	if !found {
		writeJSON(w, 200, []any{})
		return
	}
	base := apiBase(r) + "/repos/" + repo.FullName()
	sha := fmt.Sprintf("%08x%08x%024x", repo.Index, fi.N, fi.Updated.Unix())
	u := UserAt(fi.N % f.cfg.Members)
	gitUser := map[string]any{"name": u.Name, "email": fmt.Sprintf("user%d@example.com", u.Index), "date": Time(fi.Updated)}
	writeJSON(w, 200, []any{map[string]any{
		"url": base + "/commits/" + sha, "sha": sha, "node_id": "C_" + sha[:16],
		"html_url": webBase(r) + "/" + repo.FullName() + "/commit/" + sha, "comments_url": base + "/commits/" + sha + "/comments",
		"commit": map[string]any{"url": base + "/git/commits/" + sha, "author": gitUser, "committer": gitUser,
			"message": "Update " + fi.Path, "comment_count": 0, "tree": map[string]any{"sha": fmt.Sprintf("%040x", fi.N), "url": base + "/git/trees/" + fmt.Sprintf("%040x", fi.N)}},
		"author": f.simpleUser(r, u), "committer": f.simpleUser(r, u), "parents": []any{},
	}})
}

func (f *Fake) simpleUser(r *http.Request, u UserInfo) map[string]any {
	api, web := apiBase(r)+"/users/"+u.Login, webBase(r)+"/"+u.Login
	return map[string]any{
		"login": u.Login, "id": 1000 + u.Index, "node_id": u.ID, "avatar_url": webBase(r) + "/avatars/" + u.Login,
		"gravatar_id": "", "url": api, "html_url": web, "followers_url": api + "/followers",
		"following_url": api + "/following{/other_user}", "gists_url": api + "/gists{/gist_id}",
		"starred_url": api + "/starred{/owner}{/repo}", "subscriptions_url": api + "/subscriptions",
		"organizations_url": api + "/orgs", "repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
		"received_events_url": api + "/received_events", "type": "User", "site_admin": false,
	}
}

// contents answers a folder with its entries and a file with its content (GitHub's contents
// API); only the folders and files of the default branch exist.
func (f *Fake) contents(w http.ResponseWriter, r *http.Request) {
	repo, ok := f.repoOf(r)
	if !ok || repo.DefaultBranch == "" {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	path := strings.Trim(r.PathValue("path"), "/")
	base := apiBase(r) + "/repos/" + repo.FullName()
	entry := func(typ, p, sha string, size int) map[string]any {
		self := base + "/contents/" + p + "?ref=" + repo.DefaultBranch
		html := webBase(r) + "/" + repo.FullName() + "/blob/" + repo.DefaultBranch + "/" + p
		git := base + "/git/blobs/" + sha
		var download any = webBase(r) + "/raw/" + repo.FullName() + "/" + repo.DefaultBranch + "/" + p
		if typ == "dir" {
			git = base + "/git/trees/" + sha
			html = webBase(r) + "/" + repo.FullName() + "/tree/" + repo.DefaultBranch + "/" + p
			download = nil
		}
		return map[string]any{"type": typ, "size": size, "name": p[strings.LastIndexByte(p, '/')+1:], "path": p, "sha": sha,
			"url": self, "git_url": git, "html_url": html, "download_url": download,
			"_links": map[string]any{"self": self, "git": git, "html": html}}
	}
	if fi, found := f.fileByPath(repo, path); found {
		e := entry("file", fi.Path, blobSHA(repo.Index, fi.N, fi.Modified), len(fi.Content))
		e["content"], e["encoding"] = Base64(fi.Content), "base64"
		writeJSON(w, 200, e)
		return
	}
	isDir := false
	for _, d := range Dirs {
		if d == path || strings.HasPrefix(d, path+"/") {
			isDir = true
		}
	}
	if !isDir {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	list := []any{}
	for _, d := range Dirs {
		if parent, _, ok := strings.Cut(d, "/"); ok && parent == path && d != path {
			list = append(list, entry("dir", d, fmt.Sprintf("%040x", len(d)), 0))
		}
	}
	for _, fi := range f.files(repo) {
		if dir := fi.Path[:max(strings.LastIndexByte(fi.Path, '/'), 0)]; dir == path {
			list = append(list, entry("file", fi.Path, blobSHA(repo.Index, fi.N, fi.Modified), len(fi.Content)))
		}
	}
	writeJSON(w, 200, list)
}

func (f *Fake) rateLimit(w http.ResponseWriter, r *http.Request) {
	reset := time.Now().Add(time.Second).Unix()
	lim := func(limit, remaining int) map[string]any {
		return map[string]any{"limit": limit, "remaining": remaining, "reset": reset, "used": limit - remaining}
	}
	writeJSON(w, 200, map[string]any{
		"resources": map[string]any{"core": lim(5000, 4999), "graphql": lim(5000, 0), "search": lim(30, 30)},
		"rate":      lim(5000, 4999),
	})
}

func (f *Fake) appOwner(r *http.Request) map[string]any {
	u := f.simpleUser(r, UserInfo{Index: 99, ID: "U_kgDOAPP", Login: "app-owner"})
	return u
}

func (f *Fake) app(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"id": f.cfg.AppID, "slug": "elastic-connector", "node_id": "A_kwDOAPP", "owner": f.appOwner(r),
		"name": "Elastic connector", "description": "Syncs repositories into Elasticsearch", "external_url": "https://example.com",
		"html_url": webBase(r) + "/apps/elastic-connector", "created_at": Time(BaseTime), "updated_at": Time(BaseTime),
		"permissions": map[string]string{"contents": "read", "issues": "read", "pull_requests": "read", "members": "read", "metadata": "read"},
		"events":      []string{},
	})
}

// installationAccounts are the app's installations: the owner's, a suspended one, and one on an
// account of the other type (which the source must skip).
func (f *Fake) installationAccounts() []struct {
	id        int64
	login     string
	typ       string
	suspended bool
} {
	typ, other := "Organization", "User"
	if f.cfg.OwnerIsUser {
		typ, other = "User", "Organization"
	}
	return []struct {
		id        int64
		login     string
		typ       string
		suspended bool
	}{{1001, f.cfg.Owner, typ, false}, {1002, "suspended-account", typ, true}, {1003, "other-account", other, false}}
}

func (f *Fake) installations(w http.ResponseWriter, r *http.Request) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	if f.cfg.Repos < 1000 { // small pages in tests, so that the Link header is followed
		per = min(per, 2)
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	all := f.installationAccounts()
	var out []any
	for i := (page - 1) * per; i < len(all) && i < page*per; i++ {
		a := all[i]
		acct := f.simpleUser(r, UserInfo{Index: int(a.id), ID: "O_kgDO" + strconv.FormatInt(a.id, 10), Login: a.login})
		acct["type"] = a.typ
		var suspendedAt, suspendedBy any
		if a.suspended {
			suspendedAt, suspendedBy = Time(BaseTime), f.appOwner(r)
		}
		out = append(out, map[string]any{
			"id": a.id, "app_id": f.cfg.AppID, "app_slug": "elastic-connector", "target_id": a.id, "target_type": a.typ,
			"account": acct, "single_file_name": nil, "repository_selection": "all",
			"access_tokens_url": apiBase(r) + "/app/installations/" + strconv.FormatInt(a.id, 10) + "/access_tokens",
			"html_url":          webBase(r) + "/settings/installations/" + strconv.FormatInt(a.id, 10), "repositories_url": apiBase(r) + "/installation/repositories",
			"events": []string{}, "permissions": map[string]string{"contents": "read", "metadata": "read"},
			"created_at": Time(BaseTime), "updated_at": Time(BaseTime), "suspended_at": suspendedAt, "suspended_by": suspendedBy,
		})
	}
	if page*per < len(all) {
		next := apiBase(r) + "/app/installations?per_page=" + strconv.Itoa(per) + "&page=" + strconv.Itoa(page+1)
		w.Header().Set("Link", `<`+next+`>; rel="next", <`+apiBase(r)+`/app/installations?page=1>; rel="first"`)
	}
	if out == nil {
		out = []any{}
	}
	writeJSON(w, 200, out)
}

func (f *Fake) accessToken(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, a := range f.installationAccounts() {
		if a.id != id {
			continue
		}
		if a.suspended {
			writeError(w, http.StatusForbidden, "This installation has been suspended")
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		tok := fmt.Sprintf("ghs_inst%d_%06d", id, f.tokenSeq.Add(1))
		uses := f.cfg.InstallationTokenUses
		if uses <= 0 {
			uses = -1
		}
		f.Auth.AddBearer(tok, uses)
		f.tokensMade.Add(1)
		writeJSON(w, 201, map[string]any{"token": tok, "expires_at": Time(time.Now().Add(time.Hour)), "repository_selection": "all",
			"permissions": map[string]string{"contents": "read", "metadata": "read"}})
		return
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// ---- GraphQL ----

func (f *Fake) graphql(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if every := f.cfg.GraphQLRateLimitEvery; every > 0 && f.gqlCount.Add(1)%int64(every) == 0 {
		f.rateLimited.Add(1)
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
		_, _ = w.Write([]byte(`{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1000."}]}`))
		return
	}
	op, errs := f.schema.Prepare(body)
	if errs != nil {
		_, _ = w.Write(saasfake.RequestErrors(errs))
		return
	}
	_, _ = w.Write(f.schema.Execute(op, f.root(r)))
}
