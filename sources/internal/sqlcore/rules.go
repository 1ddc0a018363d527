package sqlcore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// Rule is one advanced sync rule of the SQL sources: a custom query over some tables, with the
// columns that identify its rows.
type Rule struct {
	// Index is the rule's position in the snippet, from 0; messages number rules from 1.
	Index     int
	Tables    []string
	Query     string
	IDColumns []string
	// CursorColumn is our extension: a column of the query's result whose value only grows
	// when a row changes (an updated-at timestamp or a monotonic id). Incremental syncs read
	// only the rows at or after the largest value seen by the previous sync.
	CursorColumn string
}

// Name is how messages refer to the rule.
func (r Rule) Name() string {
	return fmt.Sprintf("advanced rule %d (tables %s)", r.Index+1, strings.Join(r.Tables, ", "))
}

// Key identifies the rule in sync cursors: a change of its tables, query or cursor column
// starts its incremental history afresh.
func (r Rule) Key() string {
	h := sha256.New()
	for _, t := range r.Tables {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	h.Write([]byte{1})
	h.Write([]byte(r.Query))
	h.Write([]byte{1})
	h.Write([]byte(r.CursorColumn))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// rulesSchema is the original's JSON schema for the SQL rules (an array of {tables, query,
// id_columns} objects, nothing else), extended with our cursor_column. The original does not
// type the names in tables and id_columns; a name that is not a string can only fail later,
// so it is refused here.
var rulesSchema = func() *schemacheck.Schema {
	names := &schemacheck.Schema{Type: []string{"array"}, MinItems: schemacheck.Int(1), Items: &schemacheck.Schema{Type: []string{"string"}}}
	text := &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}
	return &schemacheck.Schema{
		Type: []string{"array"},
		Items: &schemacheck.Schema{
			Type:     []string{"object"},
			Required: []string{"tables", "query"},
			Properties: []schemacheck.Property{
				{Name: "tables", Schema: names},
				{Name: "query", Schema: text},
				{Name: "id_columns", Schema: names},
				{Name: "cursor_column", Schema: text},
			},
			NoAdditional:  true,
			OnlySpecified: true,
		},
	}
}()

// CheckRulesSchema validates an advanced rules snippet against rulesSchema and returns the
// rules. The message is the original's (fastjsonschema's) for the first violation, so users
// see what they saw before: "data[0] must contain ['tables', 'query'] properties". An empty
// snippet ([] or {}) is valid and has no rules.
func CheckRulesSchema(snippet any) ([]Rule, string) {
	v, err := normalizeJSON(snippet)
	if err != nil {
		return nil, "advanced rules are not JSON: " + err.Error()
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil, ""
	}
	if msg := rulesSchema.Validate(v); msg != "" {
		return nil, msg
	}
	list := v.([]any)
	rules := make([]Rule, 0, len(list))
	for i, item := range list {
		obj := item.(map[string]any)
		r := Rule{Index: i, Tables: strs(obj["tables"]), IDColumns: strs(obj["id_columns"])}
		r.Query, _ = obj["query"].(string)
		r.CursorColumn, _ = obj["cursor_column"].(string)
		rules = append(rules, r)
	}
	return rules, ""
}

// strs is a validated list of names; nil when absent.
func strs(v any) []string {
	list, _ := v.([]any)
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.(string)
	}
	return out
}

// MissingTablesMessage is the original's message for rules naming tables the database does
// not have. The PostgreSQL and SQL Server sources print a Python set, MySQL a sorted list.
func MissingTablesMessage(missing []string, pythonSet bool) string {
	sorted := sortedCopy(missing)
	if pythonSet {
		quoted := make([]string, len(sorted))
		for i, t := range sorted {
			quoted[i] = pyfmt.Quote(t)
		}
		return "Tables not found or inaccessible: {" + strings.Join(quoted, ", ") + "}."
	}
	return "Tables not found or inaccessible: " + strings.Join(sorted, ", ") + "."
}

// normalizeJSON turns a decoded snippet (maps, slices, numbers of any Go type) into the plain
// encoding/json shapes.
func normalizeJSON(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stripQuery removes what prevents a query from being wrapped as a subquery: surrounding
// blanks and trailing semicolons.
func stripQuery(q string) string {
	q = strings.TrimSpace(q)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	return q
}

// StripQuery is stripQuery for dialects.
func StripQuery(q string) string { return stripQuery(q) }
