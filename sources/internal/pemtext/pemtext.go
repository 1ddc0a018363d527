// Package pemtext reads PEM text pasted into a connector's configuration. Kibana's one-line text
// fields turn the line breaks of a certificate into spaces; the original accepts both forms, so
// the sources that take certificates or keys as text do too.
package pemtext

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
)

// block finds PEM blocks whose line breaks may have become spaces.
var block = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----(?s)(.*?)-----END ([A-Z0-9 ]+)-----`)

// Normalize returns PEM text with one header, base64 lines and one footer per block, whatever
// whitespace the value had: proper multi-line PEM (indentation and blank lines dropped), or one
// line where the newlines became spaces. Several blocks may follow each other. Text without a
// PEM block is returned trimmed.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	matches := block.FindAllStringSubmatch(s, -1)
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	for _, m := range matches {
		b.WriteString("-----BEGIN " + m[1] + "-----\n")
		for _, part := range strings.Fields(m[2]) {
			b.WriteString(part + "\n")
		}
		b.WriteString("-----END " + m[3] + "-----\n")
	}
	return b.String()
}

// Certificates reads the certificates of a CA value (one or several, in either form Normalize
// accepts); blocks of other types are skipped. The error says what is wrong with the value
// without repeating it, so it may name the setting and be shown to the user.
func Certificates(s string) ([]*x509.Certificate, error) {
	rest := []byte(Normalize(s))
	var certs []*x509.Certificate
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
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found (expected -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)")
	}
	return certs, nil
}
