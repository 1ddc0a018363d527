// Package fielddoc writes a source's configuration fields as the Markdown table of its page
// under docs/sources, and checks in tests that the page holds the table the declaration gives:
// the table sits between "<!-- fields:begin -->" and "<!-- fields:end -->"; run the source's
// tests with FIELDDOC_UPDATE=1 to rewrite it.
package fielddoc

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

const begin, end = "<!-- fields:begin -->", "<!-- fields:end -->"

// Table is the Markdown table of a factory's fields, in their order.
func Table(f connector.Factory) string {
	fields := append([]connector.Field(nil), f.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
	var b strings.Builder
	b.WriteString("| # | Key | Label | Type | Required | Default | Shown when | Notes |\n|---|---|---|---|---|---|---|---|\n")
	for _, fl := range fields {
		def := fl.Value
		if fl.DefaultValue != nil {
			def = fl.DefaultValue
		}
		defs := ""
		if def != nil && def != "" {
			defs = fmt.Sprintf("`%v`", def)
		}
		var deps []string
		for _, d := range fl.DependsOn {
			deps = append(deps, fmt.Sprintf("`%s` = `%v`", d.Field, d.Value))
		}
		var notes []string
		if fl.Sensitive {
			notes = append(notes, "secret")
		}
		for _, o := range fl.Options {
			notes = append(notes, fmt.Sprintf("`%v`", o.Value))
		}
		for _, v := range fl.Validations {
			notes = append(notes, fmt.Sprintf("%s %v", v.Type, v.Constraint))
		}
		if len(fl.UIRestrictions) > 0 {
			notes = append(notes, "advanced")
		}
		if fl.Tooltip != "" {
			notes = append(notes, fl.Tooltip)
		}
		req := "yes"
		if !fl.Required() {
			req = "no"
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s | %s | %s | %s |\n", fl.EffectiveOrder(), fl.Key, fl.EffectiveLabel(),
			fl.EffectiveType(), req, defs, strings.Join(deps, ", "), strings.ReplaceAll(strings.Join(notes, "; "), "|", "\\|"))
	}
	return b.String()
}

// Check fails the test when the page's table differs from the declaration's (or rewrites it
// with FIELDDOC_UPDATE=1).
func Check(t *testing.T, f connector.Factory, page string) {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %s … %s section", page, begin, end)
	}
	want := begin + "\n" + Table(f) + end
	got := s[i : j+len(end)]
	if got == want {
		return
	}
	if os.Getenv("FIELDDOC_UPDATE") != "" {
		if err := os.WriteFile(page, []byte(s[:i]+want+s[j+len(end):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the fields table is not the declaration's; run the test with FIELDDOC_UPDATE=1", page)
}
