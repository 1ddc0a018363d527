package saasfake

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// ServeValidated starts h behind v on a loopback port (HTTPS with a self-signed certificate when
// useTLS is set) for the test and stops it when the test ends. A violation of the API
// descriptions fails the test, named as "the fake answered outside <api> API description"
// (api is "GitHub's", say).
func ServeValidated(t testing.TB, v *Validator, h http.Handler, api string, useTLS bool) *httptest.Server {
	t.Helper()
	v.OnViolation = func(viol Violation) {
		t.Errorf("the fake answered outside %s API description: %s", api, viol)
	}
	var srv *httptest.Server
	if useTLS {
		srv = httptest.NewTLSServer(v.Middleware(h))
	} else {
		srv = httptest.NewServer(v.Middleware(h))
	}
	t.Cleanup(srv.Close)
	return srv
}
