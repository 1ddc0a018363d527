package github

import (
	"crypto/tls"
	"testing"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// TestServer is a fake GitHub on a loopback port (HTTPS with a self-signed certificate, as
// GitHub Enterprise Server hosts must be https:// in the source's configuration) whose every
// answer is validated against GitHub's descriptions; a violation fails the test.
type TestServer struct {
	*Fake
	URL       string
	Validator *saasfake.Validator
}

// NewTestServer starts a validated fake for the test and stops it when the test ends.
func NewTestServer(t testing.TB, cfg Config) *TestServer {
	t.Helper()
	f := New(cfg)
	v, err := NewValidator()
	if err != nil {
		t.Fatalf("loading GitHub's API descriptions: %v", err)
	}
	srv := saasfake.ServeValidated(t, v, f, "GitHub's", true)
	return &TestServer{Fake: f, URL: srv.URL, Validator: v}
}

func tlsInsecure() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec // the test server's own certificate
