package sqlcore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

func TestMapColumnNamesAndHashID(t *testing.T) {
	got := MapColumnNames([]string{"ID", "Name"}, " public ", []string{"orders", "Customers"})
	want := []string{"public_customers_orders_id", "public_customers_orders_name"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MapColumnNames = %v, want %v", got, want)
	}
	if got := MapColumnNames([]string{"c"}, "", nil); got[0] != "c" {
		t.Errorf("no prefix: %v", got)
	}
	if got := HashID([]string{"b", "a"}, []Value{int64(1), nil, "x"}); got != "a_b_1_x" {
		t.Errorf("HashID = %q", got)
	}
	if got := HashID([]string{"t"}, []Value{nil}); got != "t_" {
		t.Errorf("HashID of null keys = %q", got)
	}
}

func TestKeysetPredicate(t *testing.T) {
	n := 0
	got := KeysetPredicate([]string{"a", "b", "c"}, func(i int) string {
		n++
		return "?" + string(rune('0'+i))
	})
	want := "((a > ?0) OR (a = ?0 AND b > ?1) OR (a = ?0 AND b = ?1 AND c > ?2))"
	if got != want || n != 6 {
		t.Errorf("KeysetPredicate = %s (%d binds), want %s", got, n, want)
	}
}

func TestCheckRulesSchema(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		rules int
	}{
		{"empty list", `[]`, "", 0},
		{"empty object", `{}`, "", 0},
		{"object", `{"tables": ["a"]}`, "data must be array", 0},
		{"string", `"x"`, "data must be array", 0},
		{"item not object", `[[]]`, "data[0] must be object", 0},
		{"missing query", `[{"tables": ["a"]}]`, "data[0] must contain ['tables', 'query'] properties", 0},
		{"second item", `[{"tables": ["a"], "query": "q"}, {"query": "q"}]`, "data[1] must contain ['tables', 'query'] properties", 0},
		{"tables string", `[{"tables": "a", "query": "q"}]`, "data[0].tables must be array", 0},
		{"tables empty", `[{"tables": [], "query": "q"}]`, "data[0].tables must contain at least 1 items", 0},
		{"table number", `[{"tables": [1], "query": "q"}]`, "data[0].tables[0] must be string", 0},
		{"query number", `[{"tables": ["a"], "query": 1}]`, "data[0].query must be string", 0},
		{"query empty", `[{"tables": ["a"], "query": ""}]`, "data[0].query must be longer than or equal to 1 characters", 0},
		{"id_columns empty", `[{"tables": ["a"], "query": "q", "id_columns": []}]`, "data[0].id_columns must contain at least 1 items", 0},
		{"cursor empty", `[{"tables": ["a"], "query": "q", "cursor_column": ""}]`, "data[0].cursor_column must be longer than or equal to 1 characters", 0},
		{"extra", `[{"tables": ["a"], "query": "q", "x": 1}]`, "data[0] must contain only specified properties", 0},
		{"valid", `[{"tables": ["a", "b"], "query": "q", "id_columns": ["id"], "cursor_column": "u"}, {"tables": ["c"], "query": "r"}]`, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatal(err)
			}
			rules, msg := CheckRulesSchema(v)
			if msg != tt.want || len(rules) != tt.rules {
				t.Errorf("CheckRulesSchema(%s) = %d rules, %q; want %d, %q", tt.in, len(rules), msg, tt.rules, tt.want)
			}
		})
	}
	rules, _ := CheckRulesSchema([]map[string]any{{"tables": []string{"a"}, "query": "SELECT 1", "id_columns": []string{"x"}, "cursor_column": "u"}})
	if len(rules) != 1 || rules[0].Query != "SELECT 1" || rules[0].IDColumns[0] != "x" || rules[0].CursorColumn != "u" {
		t.Errorf("typed Go values: %+v", rules)
	}
	if rules[0].Name() != "advanced rule 1 (tables a)" {
		t.Errorf("Name = %q", rules[0].Name())
	}
	other := rules[0]
	other.CursorColumn = "v"
	if other.Key() == rules[0].Key() {
		t.Error("a changed cursor column keeps the rule's cursor key")
	}
}

func TestMissingTablesMessage(t *testing.T) {
	if got := MissingTablesMessage([]string{"b", "a"}, true); got != "Tables not found or inaccessible: {'a', 'b'}." {
		t.Errorf("set form: %s", got)
	}
	if got := MissingTablesMessage([]string{"b", "a"}, false); got != "Tables not found or inaccessible: a, b." {
		t.Errorf("list form: %s", got)
	}
}

func TestStripQuery(t *testing.T) {
	if got := StripQuery("  SELECT 1 ; ;\n"); got != "SELECT 1" {
		t.Errorf("StripQuery = %q", got)
	}
}

func testCert(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestCertPool(t *testing.T) {
	cert := testCert(t)
	forms := map[string]string{
		"PEM":              cert,
		"indented":         "  " + strings.ReplaceAll(cert, "\n", "\n    "),
		"one line":         strings.ReplaceAll(strings.TrimSpace(cert), "\n", " "),
		"two on one line":  strings.ReplaceAll(strings.TrimSpace(cert+cert), "\n", " "),
		"Windows newlines": strings.ReplaceAll(cert, "\n", "\r\n"),
	}
	for name, in := range forms {
		if _, err := CertPool(in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"", "not a certificate", "-----BEGIN CERTIFICATE----- AAAA -----END CERTIFICATE-----"} {
		if _, err := CertPool(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	_, err := TLSConfig("junk", "db", true)
	if err == nil || !strings.Contains(err.Error(), `"ssl_ca"`) {
		t.Errorf("TLSConfig with a bad CA: %v", err)
	}
	cfg, err := TLSConfig(cert, "db", false)
	if err != nil || cfg.VerifyConnection == nil || !cfg.InsecureSkipVerify {
		t.Errorf("chain-only verification not set up: %v", err)
	}
}

func TestProgressCheckpoints(t *testing.T) {
	units := []unit{{key: "t:a", table: "a"}, {key: "t:b", table: "b"}, {key: "t:c", table: "c"}, {key: "t:d", table: "d"}}
	var saved []map[string]any
	req := connector.DocsRequest{OnCheckpoint: func(cp map[string]any) { saved = append(saved, cp) }}
	p := newProgress(req, units)
	for i := 0; i < checkpointRows; i++ {
		p.advance("t:a", []string{"7"}, false)
	}
	p.advance("t:a", []string{"7"}, true)
	if len(saved) != 1 {
		t.Fatalf("%d checkpoints after %d rows", len(saved), checkpointRows)
	}
	p.finish("t:c") // out of order
	p.finish("t:b")
	last := saved[len(saved)-1]
	data, _ := json.Marshal(last)
	var cp map[string]any
	_ = json.Unmarshal(data, &cp) // as the service stores it
	if cp["first"] != "t:a" || !reflect.DeepEqual(cp["done"], []any{"t:b", "t:c"}) {
		t.Errorf("checkpoint %s", data)
	}
	// A resumed job skips b and c, starts a after its position, reads d.
	r := newProgress(connector.DocsRequest{Checkpoint: cp}, units)
	if r.skip("t:a") || !r.skip("t:b") || !r.skip("t:c") || r.skip("t:d") {
		t.Errorf("skips after resume: a %v b %v c %v d %v", r.skip("t:a"), r.skip("t:b"), r.skip("t:c"), r.skip("t:d"))
	}
	if pos := r.position("t:a"); !reflect.DeepEqual(pos, []string{"7"}) {
		t.Errorf("position of a: %v", pos)
	}
	p.finish("t:a")
	data, _ = json.Marshal(saved[len(saved)-1])
	_ = json.Unmarshal(data, &cp)
	if cp["first"] != "t:d" || len(cp["done"].([]any)) != 0 || len(cp["at"].(map[string]any)) != 0 {
		t.Errorf("after a finishes: %s", data)
	}
	// A table listed since the checkpoint (sorting before the first pending one) is read.
	units2 := append([]unit{{key: "t:0new", table: "0new"}}, units...)
	r2 := newProgress(connector.DocsRequest{Checkpoint: cp}, units2)
	if !r2.skip("t:a") || r2.skip("t:d") {
		t.Errorf("resume by key: a %v d %v", r2.skip("t:a"), r2.skip("t:d"))
	}
	// Junk is ignored.
	r3 := newProgress(connector.DocsRequest{Checkpoint: map[string]any{"v": "x", "first": "t:d"}}, units)
	if r3.skip("t:a") {
		t.Error("a checkpoint of another version was applied")
	}
}

func TestProgressCursorMarks(t *testing.T) {
	r1 := Rule{Index: 0, Tables: []string{"a"}, Query: "q", CursorColumn: "u"}
	r2 := Rule{Index: 1, Tables: []string{"b"}, Query: "q2", CursorColumn: "v"}
	r3 := Rule{Index: 2, Tables: []string{"c"}, Query: "q3"}
	units := []unit{{key: "r:0", rule: &r1}, {key: "r:1", rule: &r2}, {key: "r:2", rule: &r3}}
	p := newProgress(connector.DocsRequest{}, units)
	p.setMark("r:0", r1.Key(), "2024-01-01")
	p.setMark("r:1", r2.Key(), "") // no rows
	p.finish("r:0")
	p.finish("r:1")
	prior := map[string]string{r2.Key(): "41"}
	got := p.cursor([]Rule{r1, r2, r3}, prior)
	want := map[string]any{"v": 1, "rules": map[string]any{r1.Key(): "2024-01-01", r2.Key(): "41"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cursor %v, want %v", got, want)
	}
	if m := priorMarks(got); m[r1.Key()] != "2024-01-01" {
		t.Errorf("priorMarks: %v", m)
	}
}
