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
