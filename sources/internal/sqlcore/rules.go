package sqlcore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/connectors-go/connectors/internal/pyfmt"
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

// ruleProperties are the properties a rule object may have, in the order the original's JSON
// schema checks them; cursor_column is ours.
var ruleProperties = []string{"tables", "query", "id_columns", "cursor_column"}

// CheckRulesSchema validates an advanced rules snippet against the original's JSON schema
// (an array of {tables, query, id_columns} objects, nothing else) extended with our
// cursor_column, and returns the rules. The message is the original's (fastjsonschema's) for
// the first violation, so users see what they saw before: "data[0] must contain ['tables',
// 'query'] properties". An empty snippet ([] or {}) is valid and has no rules.
func CheckRulesSchema(snippet any) ([]Rule, string) {
	v, err := normalizeJSON(snippet)
	if err != nil {
		return nil, "advanced rules are not JSON: " + err.Error()
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil, ""
	}
	list, ok := v.([]any)
	if !ok {
		return nil, "data must be array"
	}
	rules := make([]Rule, 0, len(list))
	for i, item := range list {
		name := fmt.Sprintf("data[%d]", i)
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, name + " must be object"
		}
		_, hasTables := obj["tables"]
		_, hasQuery := obj["query"]
		if !hasTables || !hasQuery {
			return nil, name + " must contain ['tables', 'query'] properties"
		}
		r := Rule{Index: i}
		for _, prop := range ruleProperties {
			val, present := obj[prop]
			if !present {
				continue
			}
			pname := name + "." + prop
			switch prop {
			case "tables", "id_columns":
				items, ok := val.([]any)
				if !ok {
					return nil, pname + " must be array"
				}
				if len(items) < 1 {
					return nil, pname + " must contain at least 1 items"
				}
				strs := make([]string, len(items))
				for j, it := range items {
					s, ok := it.(string)
					if !ok {
						// The original's schema does not type the items; a table or column
						// name that is not a string can only fail later, so say it now.
						return nil, fmt.Sprintf("%s[%d] must be string", pname, j)
					}
					strs[j] = s
				}
				if prop == "tables" {
					r.Tables = strs
				} else {
					r.IDColumns = strs
				}
			case "query", "cursor_column":
				s, ok := val.(string)
				if !ok {
					return nil, pname + " must be string"
				}
				if utf8.RuneCountInString(s) < 1 {
					return nil, pname + " must be longer than or equal to 1 characters"
				}
				if prop == "query" {
					r.Query = s
				} else {
					r.CursorColumn = s
				}
			}
		}
		for k := range obj {
			if !contains(ruleProperties, k) {
				return nil, name + " must contain only specified properties"
			}
		}
		rules = append(rules, r)
	}
	return rules, ""
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
