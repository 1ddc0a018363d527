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
	// LockedHeader is sent with the 403 that answers a locked user ([Auth.Lock]): the vendor's
	// way of saying it refuses the sign-in itself, not the resource (Atlassian's
	// X-Seraph-LoginReason: AUTHENTICATION_DENIED once CAPTCHA is required).
	LockedHeader http.Header

	mu     sync.Mutex
	basic  map[string]*basicCred
	bearer map[string]*token
	// Public paths need no credentials (binary downloads behind signed links, health checks).
	public []string
}

type token struct {
	// left is how many more requests the token is good for; < 0 means unlimited.
	left    int
	expired bool
}

type basicCred struct {
	password string
	// left is how many more requests the password is good for; < 0 means unlimited.
	left int
	// locked answers 403 whatever the password (too many failed sign-ins).
	locked bool
}

// AddBasic accepts user:password.
func (a *Auth) AddBasic(user, password string) { a.AddBasicUses(user, password, -1) }

// AddBasicUses accepts user:password for uses requests (< 0: unlimited), after which the
// password (or API token sent as one) is refused with 401, as when it is revoked or changed
// while a sync runs.
func (a *Auth) AddBasicUses(user, password string, uses int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.basic == nil {
		a.basic = map[string]*basicCred{}
	}
	a.basic[user] = &basicCred{password: password, left: uses}
}

// Lock answers every request of a basic user with 403 and LockedHeader from now on, whatever
// the password: a site that demands a CAPTCHA after failed sign-ins.
func (a *Auth) Lock(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.basic[user]; c != nil {
		c.locked = true
	}
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
	status, why := a.check(r)
	return status == 0, why
}

// check returns 0 when r carries valid credentials, else the status to answer and why.
func (a *Auth) check(r *http.Request) (status int, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.public {
		if strings.HasPrefix(r.URL.Path, p) {
			return 0, ""
		}
	}
	h := r.Header.Get("Authorization")
	if tok, found := a.token(h); found {
		t := a.bearer[tok]
		switch {
		case t == nil:
			return http.StatusUnauthorized, "unknown token"
		case t.expired || t.left == 0:
			t.expired = true
			return http.StatusUnauthorized, "token expired"
		}
		if t.left > 0 {
			t.left--
		}
		return 0, ""
	}
	user, pass, found := r.BasicAuth()
	if !found {
		return http.StatusUnauthorized, "no credentials"
	}
	c := a.basic[user]
	switch {
	case c != nil && c.locked:
		return http.StatusForbidden, "sign-in denied: a CAPTCHA is required after failed sign-ins"
	case c == nil || subtle.ConstantTimeCompare([]byte(c.password), []byte(pass)) != 1:
		return http.StatusUnauthorized, "wrong user or password"
	case c.left == 0:
		return http.StatusUnauthorized, "password expired"
	}
	if c.left > 0 {
		c.left--
	}
	return 0, ""
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

// Middleware answers 401 with errorBody's document when Check fails (403 with LockedHeader for
// a locked user).
func (a *Auth) Middleware(next http.Handler, errorBody func(status int, msg string) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, why := a.check(r); status != 0 {
			if status == http.StatusForbidden {
				for k, v := range a.LockedHeader {
					w.Header()[k] = v
				}
			} else {
				w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(status)
			_, _ = w.Write(errorBody(status, "Client must be authenticated to access this resource ("+why+")."))
			return
		}
		next.ServeHTTP(w, r)
	})
}
