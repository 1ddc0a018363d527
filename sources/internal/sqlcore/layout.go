package sqlcore

import (
	"sort"
	"strings"
)

// Layout is how one original source shapes its documents: field names, ids, metadata fields
// and which key columns identify a custom query's rows. The four originals differ in all of
// these, and an index built by the original is only updated in place if they are reproduced
// exactly.
type Layout struct {
	// FieldNames maps the result columns of a table (one element in tables) or of a custom
	// query over tables to document field names.
	FieldNames func(tables, columns []string) []string

	// TableKey returns the names (in the FieldNames space) whose values make a table's id,
	// from the table's primary key.
	TableKey func(table string, key []string) []string

	// RuleKey returns a custom query's id columns (FieldNames space) from the primary keys of
	// its tables (in rule order) or, when given, the rule's id_columns.
	RuleKey func(tables []string, keys [][]string, idColumns []string) []string

	// ID builds the document id from the key values (nil values included, in key order).
	ID func(tables []string, keyValues []Value) string

	// Meta returns the metadata fields added to every document of a table (rule false, one
	// table) or of a custom query (rule true).
	Meta func(tables []string, rule bool) map[string]any
}

// SchemaLayout is the shape of the originals with a schema (PostgreSQL, SQL Server): fields
// "<schema>_<table>_<column>" in lower case, ids "<database>_<schema>_<table>_<key values>", and
// database, table and schema fields. With sortKeys the key columns that make ids are taken in
// alphabetical order (SQL Server's original), else in the database's order.
func SchemaLayout(database, schema string, sortKeys bool) Layout {
	order := func(s []string) []string {
		if !sortKeys {
			return s
		}
		out := append([]string(nil), s...)
		sort.Strings(out)
		return out
	}
	return Layout{
		FieldNames: func(tables, columns []string) []string {
			return MapColumnNames(columns, schema, tables)
		},
		TableKey: func(table string, key []string) []string {
			return MapColumnNames(order(key), schema, []string{table})
		},
		RuleKey: func(tables []string, keys [][]string, idColumns []string) []string {
			if len(idColumns) > 0 {
				return MapColumnNames(idColumns, schema, tables)
			}
			var flat []string
			for _, k := range keys {
				flat = append(flat, k...)
			}
			return MapColumnNames(order(flat), schema, tables)
		},
		ID: func(tables []string, keyValues []Value) string {
			return database + "_" + schema + "_" + HashID(tables, keyValues)
		},
		Meta: func(tables []string, rule bool) map[string]any {
			return map[string]any{
				"database": database,
				"table":    TablesValue(tables, rule),
				"schema":   schema,
			}
		},
	}
}

// MapColumnNames is the original's map_column_names: lower-cased "<schema>_<tables>_<column>",
// the schema part left out when empty and the tables sorted and joined by "_".
func MapColumnNames(columns []string, schema string, tables []string) []string {
	prefix := ""
	if s := strings.TrimSpace(schema); s != "" {
		prefix += s + "_"
	}
	if len(tables) > 0 {
		prefix += strings.Join(sortedCopy(tables), "_") + "_"
	}
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = strings.ToLower(prefix + c)
	}
	return out
}

// HashID is the original's generic database hash_id: the sorted table names joined by "_",
// then "_", then the str() of every non-null key value joined by "_".
func HashID(tables []string, keyValues []Value) string {
	parts := make([]string, 0, len(keyValues))
	for _, v := range keyValues {
		if v != nil {
			parts = append(parts, Str(v))
		}
	}
	return strings.Join(sortedCopy(tables), "_") + "_" + strings.Join(parts, "_")
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TablesValue is the value of a "table" metadata field: the name for a table, the rule's list
// of tables (as written) for a custom query.
func TablesValue(tables []string, rule bool) any {
	if !rule && len(tables) == 1 {
		return tables[0]
	}
	out := make([]any, len(tables))
	for i, t := range tables {
		out[i] = t
	}
	return out
}

// KeysetPredicate is the condition "key after the position" for databases without row value
// comparisons (SQL Server, Oracle): (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …. bind returns a
// fresh placeholder for key column i at every use, since positional binds cannot be reused.
func KeysetPredicate(cols []string, bind func(i int) string) string {
	var ors []string
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, cols[j]+" = "+bind(j))
		}
		ands = append(ands, cols[i]+" > "+bind(i))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}
