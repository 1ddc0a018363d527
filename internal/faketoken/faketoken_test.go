package faketoken

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func sign(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestGrant(t *testing.T) {
	s, err := New("p")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.TokenURL = srv.URL + "/token"
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now().Unix()
	good := map[string]any{"iss": s.ClientEmail, "aud": s.TokenURL, "scope": "https://www.googleapis.com/auth/devstorage.read_only", "iat": now, "exp": now + 3600}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range good {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	hdr := map[string]any{"alg": "RS256", "typ": "JWT", "kid": s.KeyID}
	cases := []struct {
		name      string
		assertion string
		grant     string
		want      string // error code, "" for a token
	}{
		{"valid", sign(t, s.key, hdr, good), GrantType, ""},
		{"wrong grant", sign(t, s.key, hdr, good), "client_credentials", "unsupported_grant_type"},
		{"foreign key", sign(t, other, hdr, good), GrantType, "invalid_grant"},
		{"wrong issuer", sign(t, s.key, hdr, with("iss", "x@y")), GrantType, "invalid_grant"},
		{"wrong audience", sign(t, s.key, hdr, with("aud", "https://oauth2.googleapis.com/token")), GrantType, "invalid_grant"},
		{"expired", sign(t, s.key, hdr, with("exp", now-10)), GrantType, "invalid_grant"},
		{"too long", sign(t, s.key, hdr, with("exp", now+7200)), GrantType, "invalid_grant"},
		{"no scope", sign(t, s.key, hdr, with("scope", "")), GrantType, "invalid_grant"},
		{"garbage", "a.b", GrantType, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.PostForm(s.TokenURL, url.Values{"grant_type": {tc.grant}, "assertion": {tc.assertion}})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if tc.want == "" {
				tok, _ := out["access_token"].(string)
				if resp.StatusCode != 200 || !s.Valid(tok, "https://www.googleapis.com/auth/devstorage.read_only") || s.Valid(tok, "https://www.googleapis.com/auth/cloud-platform") {
					t.Fatalf("%d %v", resp.StatusCode, out)
				}
				return
			}
			if resp.StatusCode != 400 || out["error"] != tc.want {
				t.Fatalf("%d %v, want error %s", resp.StatusCode, out, tc.want)
			}
		})
	}
	var creds map[string]string
	data, _ := s.Credentials()
	_ = json.Unmarshal(data, &creds)
	if creds["token_uri"] != s.TokenURL || !strings.Contains(creds["private_key"], "BEGIN PRIVATE KEY") || creds["type"] != "service_account" {
		t.Fatalf("credentials %v", creds)
	}
}
