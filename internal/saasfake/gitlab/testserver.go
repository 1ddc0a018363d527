package gitlab

import (
	"testing"

	"github.com/connectors-go/connectors/internal/saasfake"
)

// TestServer is a fake GitLab on a loopback port whose every answer, and every GraphQL query it
// receives, is validated; a violation fails the test.
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
		t.Fatalf("loading the GitLab API descriptions: %v", err)
	}
	srv := saasfake.ServeValidated(t, v, f, "the GitLab", false)
	return &TestServer{Fake: f, URL: srv.URL, Validator: v}
}
