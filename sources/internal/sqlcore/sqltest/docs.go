package sqltest

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// Markers around the generated settings table of a source's page.
const (
	fieldsBegin = "<!-- fields:begin (generated from the source's declaration by its tests; UPDATE_DOCS=1 rewrites it) -->"
	fieldsEnd   = "<!-- fields:end -->"
)

// FieldsTable renders a factory's fields as the Markdown table of its documentation page.
func FieldsTable(f connector.Factory) string {
	fields := append([]connector.Field(nil), f.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
	var b strings.Builder
	b.WriteString("| # | Setting | Key | Type | Initial value | Default | Required | Notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	cell := func(v any) string {
		if v == nil {
			return ""
		}
		if s, ok := v.(string); ok {
			if s == "" {
				return ""
			}
			return "`" + s + "`"
		}
		return fmt.Sprintf("`%v`", v)
	}
	for _, fd := range fields {
		var notes []string
		if fd.Sensitive {
			notes = append(notes, "secret")
		}
		for _, d := range fd.DependsOn {
			notes = append(notes, fmt.Sprintf("only when `%s` is `%v`", d.Field, d.Value))
		}
		if len(fd.Options) > 0 {
			var opts []string
			for _, o := range fd.Options {
				opts = append(opts, fmt.Sprintf("`%v`", o.Value))
			}
			notes = append(notes, "one of "+strings.Join(opts, ", "))
		}
		if len(fd.UIRestrictions) > 0 {
			notes = append(notes, "advanced")
		}
		if fd.Tooltip != "" {
			notes = append(notes, strings.ReplaceAll(fd.Tooltip, "|", "\\|"))
		}
		required := "yes"
		if fd.Optional {
			required = "no"
		}
		fmt.Fprintf(&b, "| %d | %s | `%s` | %s | %s | %s | %s | %s |\n", fd.EffectiveOrder(), fd.EffectiveLabel(), fd.Key,
			fd.EffectiveType(), cell(fd.Value), cell(fd.DefaultValue), required, strings.Join(notes, "; "))
	}
	return b.String()
}

// CheckFieldsDoc fails when the settings table of the page at path is not the one the
// factory's declaration gives; with UPDATE_DOCS=1 in the environment it rewrites the table.
func CheckFieldsDoc(t *testing.T, f connector.Factory, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	i := strings.Index(page, fieldsBegin)
	j := strings.Index(page, fieldsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated settings table (markers %q … %q)", path, fieldsBegin, fieldsEnd)
	}
	want := fieldsBegin + "\n" + FieldsTable(f) + fieldsEnd
	got := page[i : j+len(fieldsEnd)]
	if got == want {
		return
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(page[:i]+want+page[j+len(fieldsEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the settings table of %s", path)
		return
	}
	t.Errorf("the settings table of %s is not the declaration's; run the test with UPDATE_DOCS=1:\n%s", path, want)
}
