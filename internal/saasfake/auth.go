package saasfake

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
)

// Auth checks credentials the way SaaS APIs do: HTTP basic (user and password or API token)
// and bearer tokens (personal access tokens), any of which can be revoked or expired while a
// sync runs. Safe for concurrent use.
type Auth struct {
	// TokenSchemes are the Authorization schemes that carry a token; empty means Bearer only.
	// GitHub accepts "token" as well as "Bearer".
	TokenSchemes []string

	mu     sync.Mutex
	basic  map[string]string
	bearer map[string]*token
	// Public paths need no credentials (binary downloads behind signed links, health checks).
	public []string
}

type token struct {
	// left is how many more requests the token is good for; < 0 means unlimited.
	left    int
	expired bool
}

// AddBasic accepts user:password.
func (a *Auth) AddBasic(user, password string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.basic == nil {
		a.basic = map[string]string{}
	}
	a.basic[user] = password
}

// AddBearer accepts a bearer token for uses requests (< 0: unlimited), after which it has
// expired: the vendor answers 401 as for an expired personal access token.
func (a *Auth) AddBearer(tok string, uses int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bearer == nil {
		a.bearer = map[string]*token{}
	}
	a.bearer[tok] = &token{left: uses}
}

// Expire makes a bearer token fail from now on.
func (a *Auth) Expire(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t := a.bearer[tok]; t != nil {
		t.expired = true
	}
}

// Public exempts paths starting with prefix from authentication.
func (a *Auth) Public(prefix string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.public = append(a.public, prefix)
}

// Check reports whether r carries valid credentials, and why not.
func (a *Auth) Check(r *http.Request) (ok bool, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.public {
		if strings.HasPrefix(r.URL.Path, p) {
			return true, ""
		}
	}
	h := r.Header.Get("Authorization")
	if tok, found := a.token(h); found {
		t := a.bearer[tok]
		switch {
		case t == nil:
			return false, "unknown token"
		case t.expired || t.left == 0:
			t.expired = true
			return false, "token expired"
		}
		if t.left > 0 {
			t.left--
		}
		return true, ""
	}
	user, pass, found := r.BasicAuth()
	if !found {
		return false, "no credentials"
	}
	want, known := a.basic[user]
	if !known || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
		return false, "wrong user or password"
	}
	return true, ""
}

// token takes the token out of an Authorization header in one of the accepted schemes (scheme
// names are case-insensitive, RFC 9110).
func (a *Auth) token(h string) (string, bool) {
	schemes := a.TokenSchemes
	if len(schemes) == 0 {
		schemes = []string{"Bearer"}
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok {
		return "", false
	}
	for _, s := range schemes {
		if strings.EqualFold(scheme, s) {
			return strings.TrimSpace(tok), true
		}
	}
	return "", false
}

// Middleware answers 401 with errorBody's document when Check fails.
func (a *Auth) Middleware(next http.Handler, errorBody func(status int, msg string) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, why := a.Check(r); !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(errorBody(http.StatusUnauthorized, "Client must be authenticated to access this resource ("+why+")."))
			return
		}
		next.ServeHTTP(w, r)
	})
}
