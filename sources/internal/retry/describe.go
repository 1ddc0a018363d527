package retry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// DescribeNetwork explains an error from reaching server (a URL or a name) in the words a user
// needs: an untrusted certificate, plain HTTP where TLS was expected, an unknown host, a refused
// connection. Other errors are returned with server named. The result wraps err.
func DescribeNetwork(err error, server string) error {
	if e, ok := ExplainNetwork(err, server); ok {
		return e
	}
	return fmt.Errorf("%s: %w", server, err)
}

// ExplainNetwork is DescribeNetwork for the causes it knows; ok is false for any other error,
// which the caller words itself. The result wraps err.
func ExplainNetwork(err error, server string) (explained error, ok bool) {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid):
		return fmt.Errorf("the TLS certificate of %s is not trusted by this machine: %w", server, err), true
	case errors.As(err, &recordErr):
		return fmt.Errorf("%s does not speak TLS (is it http:// rather than https://?): %w", server, err), true
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot resolve the host name of %s: %w", server, err), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s refuses connections: %w", server, err), true
	}
	return nil, false
}
