// Package faketoken is a local stand-in for Google's OAuth 2.0 token endpoint, for testing
// sources that authenticate with a service-account JSON (google_cloud_storage, and the other
// Google sources): it issues a service account with a fresh RSA key, and answers the JWT-bearer
// grant (RFC 7523) the way Google does, after checking the assertion's signature, issuer,
// audience, scope and lifetime. Tests point the service account's token_uri at it, as the
// original's functional tests point theirs at a local mock.
//
// It is test infrastructure: tools/faketoken runs it as a process for scripts/backends.
package faketoken

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// GrantType is the OAuth grant a service account uses.
const GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Server issues access tokens for one service account.
type Server struct {
	// TokenURL is the URL clients post to; assertions must name it as their audience. Set it
	// once the server is listening.
	TokenURL string
	// ProjectID, ClientEmail, ClientID and KeyID describe the service account.
	ProjectID, ClientEmail, ClientID, KeyID string
	// ExpiresIn is the lifetime of issued tokens; zero means an hour, as Google's.
	ExpiresIn time.Duration

	key *rsa.PrivateKey

	mu     sync.Mutex
	tokens map[string]tokenInfo
	grants int
}

type tokenInfo struct {
	scope   string
	expires time.Time
}

// New makes a server with a service account of project, with a fresh 2048-bit key.
func New(project string) (*Server, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &Server{
		ProjectID:   project,
		ClientEmail: "connectors-test@" + project + ".iam.gserviceaccount.com",
		ClientID:    "100000000000000000001",
		KeyID:       randomHex(20),
		key:         key,
		tokens:      map[string]tokenInfo{},
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Credentials returns the service-account JSON a user would download from Google, with
// token_uri set to TokenURL.
func (s *Server) Credentials() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		return nil, err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  s.ProjectID,
		"private_key_id":              s.KeyID,
		"private_key":                 string(pemKey),
		"client_email":                s.ClientEmail,
		"client_id":                   s.ClientID,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.TokenURL,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + s.ClientEmail,
		"universe_domain":             "googleapis.com",
	}, "", "  ")
}

// Grants is how many tokens the server has issued.
func (s *Server) Grants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

// Valid reports whether token was issued here, is unexpired, and carries scope (any scope
// when scope is "").
func (s *Server) Valid(token, scope string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.tokens[token]
	if !ok || time.Now().After(info.expires) {
		return false
	}
	return scope == "" || strings.Contains(" "+info.scope+" ", " "+scope+" ")
}

// ServeHTTP answers POST requests (on any path) with a token or Google's error shape.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", err.Error())
		return
	}
	if g := r.PostForm.Get("grant_type"); g != GrantType {
		oauthError(w, "unsupported_grant_type", fmt.Sprintf("Invalid grant_type: %s", g))
		return
	}
	claims, problem := s.verify(r.PostForm.Get("assertion"))
	if problem != "" {
		oauthError(w, "invalid_grant", problem)
		return
	}
	lifetime := s.ExpiresIn
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	token := "ya29.fake-" + randomHex(24)
	s.mu.Lock()
	s.tokens[token] = tokenInfo{scope: claims.Scope, expires: time.Now().Add(lifetime)}
	s.grants++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": token,
		"expires_in":   int(lifetime.Seconds()),
		"token_type":   "Bearer",
	})
}

func oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

type claimSet struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
}

// verify returns what is wrong with a JWT assertion, in Google's words where it has some, or
// "" after checking it as Google does: RS256 signed by the account's key, issued by the account,
// for this endpoint, with a scope, valid now and for at most an hour.
func (s *Server) verify(assertion string) (*claimSet, string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return nil, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
	}
	var header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, fmt.Sprintf("Invalid JWT header: %v", err)
	}
	if header.Alg != "RS256" {
		return nil, fmt.Sprintf("Invalid JWT: algorithm %q is not RS256", header.Alg)
	}
	if header.Kid != "" && header.Kid != s.KeyID {
		return nil, "Invalid JWT Signature."
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, "Invalid JWT Signature."
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, "Invalid JWT Signature."
	}
	var c claimSet
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, fmt.Sprintf("Invalid JWT claims: %v", err)
	}
	now := time.Now().Unix()
	switch {
	case c.Iss != s.ClientEmail:
		return nil, "Invalid JWT: issuer is not the service account's client_email"
	case s.TokenURL != "" && c.Aud != s.TokenURL:
		return nil, fmt.Sprintf("Invalid JWT: audience %q is not the token endpoint %q", c.Aud, s.TokenURL)
	case c.Scope == "":
		return nil, "Invalid JWT: no scope"
	case c.Iat > now+60 || c.Exp <= now || c.Exp-c.Iat > 3600:
		return nil, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	}
	return &c, ""
}

func decodeSegment(seg string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
