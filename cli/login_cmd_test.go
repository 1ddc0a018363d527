package cli

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/estest"
)

func readCLIFile(t *testing.T) map[string]map[string]string {
	t.Helper()
	raw, err := os.ReadFile(cliConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]string
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestLogin(t *testing.T) {
	c := newCluster(t, estest.Options{Users: map[string]string{"elastic": "s3cret!"}, APIKeys: []string{"kid:kval"}})
	host := c.srv.URL()
	tests := []struct {
		name     string
		existing bool
		stdin    string
		args     []string
		code     int
		want     string
		file     map[string]string // expected elasticsearch section; nil = file unchanged/absent
	}{
		{"basic from flags", false, "s3cret!\n", []string{"--host", host, "--username", "elastic", "--password-stdin"}, 0,
			"Authentication successful", map[string]string{"host": host, "username": "elastic", "password": "s3cret!"}},
		{"api key from stdin", false, "kid:kval\n", []string{"--host", host, "--api-key-stdin"}, 0,
			"Authentication successful", map[string]string{"host": host, "api_key": "kid:kval"}},
		{"everything prompted", false, host + "\nelastic\ns3cret!\n", nil, 0,
			"Password:", map[string]string{"host": host, "username": "elastic", "password": "s3cret!"}},
		{"api key prompted", false, host + "\nkid:kval\n", []string{"--method", "apikey"}, 0,
			"API key:", map[string]string{"host": host, "api_key": "kid:kval"}},
		{"wrong password", false, "nope\n", []string{"--host", host, "--username", "elastic", "--password-stdin"}, 1,
			"Authentication failed. Please check your credentials.", nil},
		{"unreachable", false, "x\n", []string{"--host", "http://127.0.0.1:1", "--username", "elastic", "--password-stdin"}, 1,
			"Authentication failed", nil},
		{"overwrite confirmed", true, "y\n" + host + "\nelastic\ns3cret!\n", nil, 0,
			"Overwrite it?", map[string]string{"host": host, "username": "elastic", "password": "s3cret!"}},
		{"overwrite declined", true, "n\n", nil, 1, "Aborted!", nil},
		{"overwrite with --yes", true, "s3cret!\n", []string{"--host", host, "--username", "elastic", "--password-stdin", "--yes"}, 0,
			"Authentication successful", map[string]string{"host": host, "username": "elastic", "password": "s3cret!"}},
		{"stdin secret needs --yes to overwrite", true, "s3cret!\n", []string{"--host", host, "--username", "elastic", "--password-stdin"}, 1,
			"pass --yes", nil},
		{"empty stdin", false, "", []string{"--host", host, "--password-stdin"}, 1, "standard input holds no password", nil},
		{"bad method", false, "", []string{"--method", "kerberos"}, 2, "unknown method", nil},
		{"api key with username", false, "", []string{"--method", "apikey", "--username", "x"}, 2, "need --method basic", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTempDir(t)
			const old = "elasticsearch:\n  host: http://old:9200\n"
			if tt.existing {
				if err := os.MkdirAll(".cli", 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cliConfigPath, []byte(old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := runIn(t, tt.stdin, nil, append([]string{"login"}, tt.args...)...)
			r.expect(t, tt.code, tt.want)
			if strings.Contains(r.stdout+r.stderr, "s3cret!") || strings.Contains(r.stdout+r.stderr, "kval") {
				t.Fatalf("a secret was printed:\n%s%s", r.stdout, r.stderr)
			}
			if tt.file == nil {
				raw, err := os.ReadFile(cliConfigPath)
				switch {
				case tt.existing && string(raw) != old:
					t.Fatalf("existing file changed: %q", raw)
				case !tt.existing && err == nil:
					t.Fatalf("file written after a failure: %q", raw)
				}
				return
			}
			st, err := os.Stat(cliConfigPath)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v, want 0600", st.Mode().Perm())
			}
			got := readCLIFile(t)["elasticsearch"]
			if len(got) != len(tt.file) {
				t.Fatalf("file section %v, want %v", got, tt.file)
			}
			for k, v := range tt.file {
				if got[k] != v {
					t.Fatalf("file section %v, want %v", got, tt.file)
				}
			}
			// What login wrote is what the other commands read.
			runIn(t, "", nil, "connector", "list").expect(t, 0, "No connectors found")
		})
	}
}
