package pemtext

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	oneLine := strings.ReplaceAll(strings.TrimSpace(cert), "\n", " ")
	indented := "\n   " + strings.ReplaceAll(cert, "\n", "\n   ") + "\n\n"
	two := oneLine + " " + oneLine
	tests := map[string]int{cert: 1, oneLine: 1, indented: 1, two: 2}
	for in, blocks := range tests {
		rest := []byte(Normalize(in))
		n := 0
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if _, err := x509.ParseCertificate(b.Bytes); err != nil {
				t.Errorf("%q: %v", in[:20], err)
			}
			n++
		}
		if n != blocks {
			t.Errorf("%q…: %d blocks, want %d", strings.TrimSpace(in)[:30], n, blocks)
		}
	}
	if got := Normalize("  /etc/ssl/ca.pem "); got != "/etc/ssl/ca.pem" {
		t.Errorf("text without PEM: %q", got)
	}
}

func TestCertificates(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not read")}))
	for _, tc := range []struct {
		name, in string
		certs    int
		err      string
	}{
		{"PEM", cert, 1, ""},
		{"Windows newlines", strings.ReplaceAll(cert, "\n", "\r\n"), 1, ""},
		{"two on one line", strings.ReplaceAll(strings.TrimSpace(cert+cert), "\n", " "), 2, ""},
		{"other blocks skipped", keyPEM + cert, 1, ""},
		{"empty", "", 0, "no PEM certificate found"},
		{"not PEM", "not a certificate", 0, "no PEM certificate found"},
		{"only a key", keyPEM, 0, "no PEM certificate found"},
		{"broken body", "-----BEGIN CERTIFICATE----- AAAA -----END CERTIFICATE-----", 0, "cannot be parsed"},
	} {
		certs, err := Certificates(tc.in)
		if len(certs) != tc.certs || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %d certificates, error %v; want %d, %q", tc.name, len(certs), err, tc.certs, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: the error repeats the value: %v", tc.name, err)
		}
	}
}
