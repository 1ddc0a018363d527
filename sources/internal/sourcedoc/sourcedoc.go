// Package sourcedoc keeps the configuration table of a source's page (docs/sources/<name>.md)
// generated from the source's declaration. The page marks the table with
//
//	<!-- fields:begin -->
//	<!-- fields:end -->
//
// and each source's tests call [Check], which fails when the table is out of date and rewrites it
// when the test runs with -update-docs.
package sourcedoc

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

var update = flag.Bool("update-docs", false, "rewrite the configuration tables of docs/sources/*.md")

const (
	begin = "<!-- fields:begin -->"
	end   = "<!-- fields:end -->"
)

// Table renders the configuration fields of f as a Markdown table, in Kibana's order.
func Table(f connector.Factory) string {
	fields := append([]connector.Field(nil), f.Fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
	var b strings.Builder
	b.WriteString("| Key | Label | Type | Required | Initial value | Shown when | Description |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, fd := range fields {
		typ := string(fd.EffectiveType())
		if d := fd.EffectiveDisplay(); d != connector.DisplayText && d != connector.DisplayToggle {
			typ += ", " + string(d)
		}
		if fd.Sensitive {
			typ += ", secret"
		}
		if len(fd.UIRestrictions) > 0 {
			typ += ", advanced"
		}
		req := "yes"
		if fd.Optional {
			req = "no"
			if fd.DefaultValue != nil {
				req += fmt.Sprintf(" (default %s)", literal(fd.DefaultValue))
			}
		}
		initial := ""
		if fd.Value != nil && fd.Value != "" {
			initial = literal(fd.Value)
		}
		var when []string
		for _, d := range fd.DependsOn {
			when = append(when, fmt.Sprintf("`%s` = %s", d.Field, literal(d.Value)))
		}
		desc := fd.Tooltip
		if len(fd.Options) > 0 {
			var opts []string
			for _, o := range fd.Options {
				opts = append(opts, fmt.Sprintf("%s (%s)", literal(o.Value), o.Label))
			}
			if desc != "" {
				desc += " "
			}
			desc += "Options: " + strings.Join(opts, ", ") + "."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", fd.Key, cell(fd.EffectiveLabel()), typ, req, initial, strings.Join(when, " and "), cell(desc))
	}
	return b.String()
}

func literal(v any) string {
	j, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return "`" + string(j) + "`"
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// Check compares the table in docs/sources/<page> with the declaration; with -update-docs it
// rewrites it instead.
func Check(t *testing.T, f connector.Factory, page string) {
	t.Helper()
	path := filepath.Join(repoRoot(t), "docs", "sources", page)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(begin))
	j := bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s has no %s … %s section for the configuration table", path, begin, end)
	}
	want := begin + "\n" + Table(f) + end
	got := string(data[i : j+len(end)])
	if got == want {
		return
	}
	if *update {
		out := append([]byte{}, data[:i]...)
		out = append(out, want...)
		out = append(out, data[j+len(end):]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the configuration table of %s", path)
		return
	}
	t.Errorf("the configuration table of %s is out of date; run go test %s -run %s -update-docs", path, "./sources/"+f.ServiceType, t.Name())
}

func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}
