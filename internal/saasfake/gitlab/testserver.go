package gitlab

import (
	"net/http/httptest"
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
	v.OnViolation = func(viol saasfake.Violation) {
		t.Errorf("the fake answered outside the GitLab API description: %s", viol)
	}
	srv := httptest.NewServer(v.Middleware(f))
	t.Cleanup(srv.Close)
	return &TestServer{Fake: f, URL: srv.URL, Validator: v}
}
