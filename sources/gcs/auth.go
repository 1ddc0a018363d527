package gcs

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/internal/pemtext"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// Scope is the OAuth scope the source asks for: read-only access to Cloud Storage.
const Scope = "https://www.googleapis.com/auth/devstorage.read_only"

// defaultTokenURI is Google's token endpoint, for a service account JSON that names none.
const defaultTokenURI = "https://oauth2.googleapis.com/token"

// allowedKeys are the keys a service account JSON may have (the original's list: what its
// Google client accepts, and universe_domain).
var allowedKeys = []string{
	"type", "project_id", "private_key_id", "private_key", "client_email", "client_id",
	"auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url", "subject",
	"scopes", "additional_claims", "universe_domain",
}

const fieldCredentials = "service_account_credentials"

// credentials is what the source uses of a service account JSON.
type credentials struct {
	ProjectID   string
	ClientEmail string
	KeyID       string
	TokenURI    string
	key         *rsa.PrivateKey
}

// credentialsError names the field, and never repeats the JSON (it holds the private key).
func credentialsError(format string, args ...any) error {
	return fmt.Errorf("configuration field %q: "+format, append([]any{fieldCredentials}, args...)...)
}

// loadJSON decodes the service account JSON like the original: a JSON object, or a JSON string
// that holds one (the JSON pasted escaped).
func loadJSON(raw string) (map[string]any, error) {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, credentialsError("Google Cloud Storage service account is not a valid JSON. Exception: %s", jsonProblem(err))
	}
	if s, ok := v.(string); ok {
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, credentialsError("Google Cloud Storage service account is not a valid JSON. Exception: %s", jsonProblem(err))
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, credentialsError("Google Cloud Storage service account is not a valid JSON.")
	}
	return obj, nil
}

// jsonProblem describes a JSON syntax error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

// validateKeys is the original's check for unexpected keys.
func validateKeys(obj map[string]any) error {
	allowed := map[string]bool{}
	for _, k := range allowedKeys {
		allowed[k] = true
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] {
			set := append([]string(nil), allowedKeys...)
			sort.Strings(set)
			quoted := make([]string, len(set))
			for i, s := range set {
				quoted[i] = pyfmt.Quote(s)
			}
			return credentialsError("Google Cloud Storage service account JSON contains an unexpected key: '%s'. Allowed keys are: {%s}", k, strings.Join(quoted, ", "))
		}
	}
	return nil
}

// parseCredentials reads and checks a service account JSON.
func parseCredentials(raw string) (*credentials, error) {
	obj, err := loadJSON(raw)
	if err != nil {
		return nil, err
	}
	if err := validateKeys(obj); err != nil {
		return nil, err
	}
	str := func(k string) string { s, _ := obj[k].(string); return s }
	c := &credentials{
		ProjectID:   str("project_id"),
		ClientEmail: str("client_email"),
		KeyID:       str("private_key_id"),
		TokenURI:    str("token_uri"),
	}
	if c.TokenURI == "" {
		c.TokenURI = defaultTokenURI
	}
	if c.ClientEmail == "" {
		return nil, credentialsError("the service account JSON has no client_email")
	}
	if c.ProjectID == "" {
		return nil, credentialsError("the service account JSON has no project_id")
	}
	if u, err := url.Parse(c.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, credentialsError("token_uri %q is not an http(s) URL", c.TokenURI)
	}
	key, err := parsePrivateKey(str("private_key"))
	if err != nil {
		return nil, credentialsError("private_key: %v", err)
	}
	c.key = key
	return c, nil
}

// parsePrivateKey reads the PEM key. A key pasted on one line, its line breaks turned into
// spaces, is put back into lines first, as the original does.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the service account JSON has no private key")
	}
	s = pemtext.Normalize(s)
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM-encoded key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("the key is not an RSA key")
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("the key is neither a PKCS#8 nor a PKCS#1 RSA private key")
	}
	return k, nil
}

// tokenSource gets and caches access tokens with the service account's JWT grant.
type tokenSource struct {
	creds  *credentials
	client *http.Client
	policy retry.Policy

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Token returns a valid access token, fetching a new one a minute before the old one expires.
func (ts *tokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token != "" && time.Until(ts.expires) > time.Minute {
		return ts.token, nil
	}
	token, lifetime, err := ts.fetch(ctx)
	if err != nil {
		return "", err
	}
	ts.token, ts.expires = token, time.Now().Add(lifetime)
	return token, nil
}

// invalidate drops the cached token, after the API refused it.
func (ts *tokenSource) invalidate(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token == token {
		ts.token = ""
	}
}

func (ts *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	assertion, err := ts.assertion(time.Now())
	if err != nil {
		return "", 0, credentialsError("signing the token request: %v", err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()
	resp, err := ts.policy.Do(ctx, ts.client, "getting an access token", func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.creds.TokenURI, strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	})
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		return "", 0, credentialsError("getting an access token for %s: %v", ts.creds.ClientEmail, retry.DescribeNetwork(err, ts.creds.TokenURI+" (token_uri)"))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, credentialsError("reading the token answer of %s: %v", ts.creds.TokenURI, err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &out)
	if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		why := strings.TrimSpace(out.Error + ": " + out.Description)
		if out.Error == "" {
			why = fmt.Sprintf("HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(body[:min(len(body), 300)])))
		}
		return "", 0, credentialsError("%s (token_uri) refused the service account %s: %s", ts.creds.TokenURI, ts.creds.ClientEmail, why)
	}
	lifetime := time.Duration(out.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	return out.AccessToken, lifetime, nil
}

// assertion is the signed JWT of the grant (RFC 7523): the service account asks the token
// endpoint for the read-only scope, for an hour.
func (ts *tokenSource) assertion(now time.Time) (string, error) {
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if ts.creds.KeyID != "" {
		header["kid"] = ts.creds.KeyID
	}
	claims := map[string]any{
		"iss":   ts.creds.ClientEmail,
		"scope": Scope,
		"aud":   ts.creds.TokenURI,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ts.creds.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
