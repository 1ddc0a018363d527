package sqlcore

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
)

// pemBlock finds PEM blocks written on one line (Kibana's text field turns the newlines of a
// pasted certificate into spaces).
var pemBlock = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----`)

// NormalizePEM accepts a certificate as users paste it into the `ssl_ca` field, as the original
// does: proper multi-line PEM (indentation and blank lines are dropped), or one line where the
// newlines became spaces (the base64 body is re-wrapped). Several certificates may follow each
// other.
func NormalizePEM(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "\n") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n") + "\n"
	}
	var b strings.Builder
	for _, m := range pemBlock.FindAllStringSubmatch(s, -1) {
		b.WriteString("-----BEGIN " + m[1] + "-----\n")
		for _, part := range strings.Fields(m[2]) {
			b.WriteString(part + "\n")
		}
		b.WriteString("-----END " + m[3] + "-----\n")
	}
	return b.String()
}

// CertPool reads the certificates of an `ssl_ca` value into the system's trusted roots (the
// original's ssl.create_default_context() plus load_verify_locations). The error explains what
// is wrong with the value without repeating it.
func CertPool(ca string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	rest := []byte(NormalizePEM(ca))
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, errors.New("the certificate cannot be parsed: " + err.Error())
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, errors.New("no PEM certificate found (expected -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)")
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
