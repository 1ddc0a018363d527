// Package docgen writes a source's configuration table for its page under docs/sources from the
// source's declaration, and lets each source's tests check that the page still holds that table,
// so the documented fields cannot drift from the code.
package docgen

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// Markers enclose the generated table in a page.
const (
	Begin = "<!-- fields: generated from the source's declaration by its tests (-update rewrites) -->"
	End   = "<!-- end of fields -->"
)

// FieldsTable is the Markdown table of a factory's fields, in their order.
func FieldsTable(f connector.Factory) string {
	fields := append([]connector.Field(nil), f.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
	var b strings.Builder
	b.WriteString("| # | Key | Label | Type | Required | Default | Notes |\n|---|---|---|---|---|---|---|\n")
	for _, fd := range fields {
		var notes []string
		if fd.Sensitive {
			notes = append(notes, "sensitive")
		}
		notes = append(notes, fd.UIRestrictions...)
		for _, v := range fd.Validations {
			notes = append(notes, fmt.Sprintf("%s %v", v.Type, v.Constraint))
		}
		if len(fd.DependsOn) > 0 {
			var deps []string
			for _, d := range fd.DependsOn {
				deps = append(deps, fmt.Sprintf("%s=%v", d.Field, d.Value))
			}
			notes = append(notes, "shown when "+strings.Join(deps, ", "))
		}
		if fd.Tooltip != "" {
			notes = append(notes, fd.Tooltip)
		}
		required := "yes"
		if fd.Optional {
			required = "no"
		}
		def := ""
		switch {
		case fd.DefaultValue != nil:
			def = fmt.Sprintf("`%v`", fd.DefaultValue)
		case fd.Value != nil && fd.Value != "":
			def = fmt.Sprintf("`%v`", fd.Value)
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s | %s | %s |\n", fd.EffectiveOrder(), fd.Key, cell(fd.EffectiveLabel()),
			fd.EffectiveType(), required, def, cell(strings.Join(notes, "; ")))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Check fails the test unless the page at path holds FieldsTable(f) between the markers; with
// update it writes the table there instead.
func Check(t *testing.T, path string, f connector.Factory, update bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the source's page: %v", err)
	}
	page := string(data)
	i, j := strings.Index(page, Begin), strings.Index(page, End)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated fields table (the markers %q and %q)", path, Begin, End)
	}
	want := Begin + "\n\n" + FieldsTable(f) + "\n" + End
	got := page[i : j+len(End)]
	if got == want {
		return
	}
	if !update {
		t.Fatalf("the fields table of %s is not the declaration's; run the test with -update to rewrite it", path)
	}
	if err := os.WriteFile(path, []byte(page[:i]+want+page[j+len(End):]), 0o644); err != nil {
		t.Fatal(err)
	}
}
