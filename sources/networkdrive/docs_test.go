package networkdrive

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the fields table of docs/sources/network_drive.md")

const (
	docsPage   = "../../docs/sources/network_drive.md"
	fieldsOpen = "<!-- fields: generated from the source's declaration by TestDocsFields (go test -run TestDocsFields -update-docs) -->"
	fieldsEnd  = "<!-- end of fields -->"
)

// TestDocsFields checks that the page's settings table is the one the declaration gives.
func TestDocsFields(t *testing.T) {
	b, err := os.ReadFile(docsPage)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	i, j := strings.Index(page, fieldsOpen), strings.Index(page, fieldsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers of the fields table", docsPage)
	}
	table := fieldsTable(Factory)
	current := page[i+len(fieldsOpen)+1 : j]
	if current == table {
		return
	}
	if *updateDocs {
		page = page[:i+len(fieldsOpen)+1] + table + page[j:]
		if err := os.WriteFile(docsPage, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the fields table of %s is out of date; run go test ./sources/networkdrive -run TestDocsFields -update-docs\nwant:\n%s", docsPage, table)
}

func fieldsTable(f connector.Factory) string {
	fields := append([]connector.Field(nil), f.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
	var b strings.Builder
	b.WriteString("| # | Key | Label | Type | Required | Initial value | Notes |\n|---|---|---|---|---|---|---|\n")
	for _, fd := range fields {
		var notes []string
		if fd.Sensitive {
			notes = append(notes, "sensitive")
		}
		notes = append(notes, fd.UIRestrictions...)
		if len(fd.DependsOn) > 0 {
			var deps []string
			for _, d := range fd.DependsOn {
				deps = append(deps, fmt.Sprintf("`%s` = `%v`", d.Field, d.Value))
			}
			notes = append(notes, "shown when "+strings.Join(deps, " and "))
		}
		if len(fd.Options) > 0 {
			var opts []string
			for _, o := range fd.Options {
				opts = append(opts, fmt.Sprintf("%s (`%v`)", o.Label, o.Value))
			}
			notes = append(notes, "options: "+strings.Join(opts, ", "))
		}
		if fd.Tooltip != "" {
			notes = append(notes, fd.Tooltip)
		}
		required := "yes"
		if fd.Optional {
			required = "no"
		}
		value := ""
		if fd.Value != nil && fd.Value != "" {
			value = fmt.Sprintf("`%v`", fd.Value)
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s | %s | %s |\n", fd.EffectiveOrder(), fd.Key,
			strings.ReplaceAll(fd.EffectiveLabel(), "|", `\|`), fd.EffectiveType(), required, value,
			strings.ReplaceAll(strings.Join(notes, "; "), "|", `\|`))
	}
	return b.String()
}
