package sqlcore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/connectors-go/connectors/sources/internal/pemtext"
)

// CertPool reads the certificates of an `ssl_ca` value into the system's trusted roots (the
// original's ssl.create_default_context() plus load_verify_locations). The error explains what
// is wrong with the value without repeating it.
func CertPool(ca string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	certs, err := pemtext.Certificates(ca)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// TLSConfig is the client TLS configuration the original builds from ssl_enabled and ssl_ca:
// the server's certificate must chain to the given CA (or a system root), and its name must
// match host unless verifyHost is false.
func TLSConfig(ca, host string, verifyHost bool) (*tls.Config, error) {
	pool, err := CertPool(ca)
	if err != nil {
		return nil, FieldErr("ssl_ca", err, "invalid SSL certificate")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
	if !verifyHost {
		// Verify the chain but not the name: crypto/tls offers that only through a custom
		// verification.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}
