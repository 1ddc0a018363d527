package connector_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

func newNil(*connector.Config, connector.Env) (connector.Source, error) { return nil, nil }

func TestFieldPropertiesDefaults(t *testing.T) {
	got, err := json.Marshal(connector.Field{Key: "host"}.Properties())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"default_value":null,"depends_on":[],"display":"text","label":"HOST","options":[],"order":1,"required":true,"sensitive":false,"tooltip":null,"type":"str","ui_restrictions":[],"validations":[],"value":""}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestFieldPropertiesFull(t *testing.T) {
	f := connector.Field{
		Key: "proto", Label: "Protocol", Display: connector.DisplayDropdown, Value: "TCP",
		DefaultValue: "TCP", Order: 11, Options: connector.Options("TCP", "TCPS"),
		DependsOn:      []connector.Dependency{{Field: "ssl", Value: true}},
		Validations:    []connector.Validation{connector.IncludedIn("TCP", "TCPS")},
		Tooltip:        "How to connect.",
		UIRestrictions: []string{connector.UIAdvanced},
		Extra:          map[string]any{"display_value": 3},
	}
	got, _ := json.Marshal(f.Properties())
	want := `{"default_value":"TCP","depends_on":[{"field":"ssl","value":true}],"display":"dropdown","display_value":3,"label":"Protocol","options":[{"label":"TCP","value":"TCP"},{"label":"TCPS","value":"TCPS"}],"order":11,"required":true,"sensitive":false,"tooltip":"How to connect.","type":"str","ui_restrictions":["advanced"],"validations":[{"constraint":["TCP","TCPS"],"type":"included_in"}],"value":"TCP"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Lists: a typed empty slice is an explicit [] (gitlab's projects), nil is "".
	got, _ = json.Marshal(connector.Field{Key: "p", Type: connector.TypeList, Value: []string{}}.Properties()["value"])
	if string(got) != "[]" {
		t.Fatalf("typed empty list rendered as %s", got)
	}
	// Rendered objects are independent copies.
	p := f.Properties()
	p["options"].([]any)[0].(map[string]any)["value"] = "changed"
	if f.Options[0].Value != "TCP" {
		t.Fatal("Properties shares memory with the declaration")
	}
}

func TestFeaturesObject(t *testing.T) {
	got, _ := json.Marshal(connector.Features{BasicRules: true, IncrementalSync: true}.Object())
	want := `{"document_level_security":{"enabled":false},"incremental_sync":{"enabled":true},"native_connector_api_keys":{"enabled":false},"sync_rules":{"advanced":{"enabled":false},"basic":{"enabled":true}}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseFeatures(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want connector.Features
	}{
		{"empty: only native api keys default on", `{}`, connector.Features{NativeConnectorAPIKeys: true}},
		{"full", `{"sync_rules":{"basic":{"enabled":true},"advanced":{"enabled":true}},"document_level_security":{"enabled":true},"incremental_sync":{"enabled":true},"native_connector_api_keys":{"enabled":false}}`,
			connector.Features{BasicRules: true, AdvancedRules: true, DocumentLevelSecurity: true, IncrementalSync: true}},
		{"legacy flags", `{"filtering_rules":true,"filtering_advanced_config":true}`,
			connector.Features{BasicRules: true, AdvancedRules: true, NativeConnectorAPIKeys: true}},
		{"wrong shapes are false", `{"sync_rules":{"basic":true},"incremental_sync":{"enabled":"yes"}}`, connector.Features{NativeConnectorAPIKeys: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connector.ParseFeatures(stored(t, tt.in)); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFactoryValidateProblems(t *testing.T) {
	base := func() connector.Factory {
		return connector.Factory{ServiceType: "x", DisplayName: "X", New: newNil, Fields: []connector.Field{{Key: "a"}}}
	}
	tests := []struct {
		name   string
		modify func(*connector.Factory)
		want   string
	}{
		{"bad service type", func(f *connector.Factory) { f.ServiceType = "My Source" }, `service type "My Source"`},
		{"no name", func(f *connector.Factory) { f.DisplayName = " " }, "display name is empty"},
		{"no constructor", func(f *connector.Factory) { f.New = nil }, "New is nil"},
		{"duplicate key", func(f *connector.Factory) { f.Fields = append(f.Fields, connector.Field{Key: "a"}) }, `field "a" is declared twice`},
		{"empty key", func(f *connector.Factory) { f.Fields = append(f.Fields, connector.Field{}) }, "field #2 has an empty key"},
		{"unknown type", func(f *connector.Factory) { f.Fields[0].Type = "date" }, `field "a": unknown type "date"`},
		{"unknown display", func(f *connector.Factory) { f.Fields[0].Display = "slider" }, `unknown display "slider"`},
		{"bool without toggle", func(f *connector.Factory) { f.Fields[0].Type = connector.TypeBool }, "bool fields use the toggle display"},
		{"numeric str", func(f *connector.Factory) { f.Fields[0].Display = connector.DisplayNumeric }, "numeric display needs type int"},
		{"dropdown without options", func(f *connector.Factory) { f.Fields[0].Display = connector.DisplayDropdown }, "dropdown has no options"},
		{"options on text", func(f *connector.Factory) { f.Fields[0].Options = connector.Options("x") }, "only rendered for the dropdown"},
		{"dropdown value outside options", func(f *connector.Factory) {
			f.Fields[0].Display, f.Fields[0].Options, f.Fields[0].Value = connector.DisplayDropdown, connector.Options("x"), "y"
		}, "value 'y' is not one of the options"},
		{"value of wrong type", func(f *connector.Factory) {
			f.Fields[0].Type, f.Fields[0].Display, f.Fields[0].Value = connector.TypeInt, connector.DisplayNumeric, "ten"
		}, "value 'ten' is not of type int"},
		{"default of wrong type", func(f *connector.Factory) { f.Fields[0].DefaultValue = 3 }, "default_value 3 is not of type str"},
		{"dependency on unknown field", func(f *connector.Factory) {
			f.Fields[0].DependsOn = []connector.Dependency{{Field: "b", Value: "x"}}
		}, `depends on "b", which is not declared`},
		{"dependency value of wrong type", func(f *connector.Factory) {
			f.Fields = append(f.Fields, connector.Field{Key: "b", Type: connector.TypeBool, Display: connector.DisplayToggle})
			f.Fields[0].DependsOn = []connector.Dependency{{Field: "b", Value: "true"}}
		}, `having value 'true', which is not of its type bool`},
		{"self dependency", func(f *connector.Factory) {
			f.Fields[0].DependsOn = []connector.Dependency{{Field: "a", Value: "x"}}
		}, "depends on itself"},
		{"bad regex", func(f *connector.Factory) { f.Fields[0].Validations = []connector.Validation{connector.Regex("(")} }, "does not compile"},
		{"bad list_type", func(f *connector.Factory) {
			f.Fields[0].Validations = []connector.Validation{connector.ListType("float")}
		}, "list_type constraint"},
		{"unknown validation", func(f *connector.Factory) {
			f.Fields[0].Validations = []connector.Validation{{Type: "max_length", Constraint: 3}}
		}, `unknown validation type "max_length"`},
		{"non-numeric less_than", func(f *connector.Factory) {
			f.Fields[0].Validations = []connector.Validation{{Type: "less_than", Constraint: "3"}}
		}, "less_than constraint '3' is not a number"},
		{"unknown ui restriction", func(f *connector.Factory) { f.Fields[0].UIRestrictions = []string{"hidden"} }, `unknown ui_restrictions entry "hidden"`},
		{"extra shadows standard", func(f *connector.Factory) { f.Fields[0].Extra = map[string]any{"order": 3} }, `extra property "order"`},
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("base factory invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.modify(&f)
			err := f.Validate()
			var se *connector.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("expected a SchemaError, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	r := connector.NewRegistry()
	b := connector.Factory{ServiceType: "b", DisplayName: "B", New: newNil}
	a := connector.Factory{ServiceType: "a", DisplayName: "A", New: newNil}
	for _, f := range []connector.Factory{b, a} {
		if err := r.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Register(a); err == nil || !strings.Contains(err.Error(), `"a" is registered twice`) {
		t.Fatalf("duplicate not rejected: %v", err)
	}
	if err := r.Register(connector.Factory{ServiceType: "c"}); err == nil {
		t.Fatal("invalid factory accepted")
	}
	if f, ok := r.Lookup("b"); !ok || f.DisplayName != "B" {
		t.Fatal("lookup")
	}
	if _, ok := r.Lookup("zz"); ok {
		t.Fatal("lookup of unknown type")
	}
	var names []string
	for _, f := range r.Registered() {
		names = append(names, f.ServiceType)
	}
	if !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Fatalf("Registered = %v", names)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("package-level Register must panic on an invalid factory")
		}
	}()
	connector.Register(connector.Factory{})
}

func TestSchemaJSONAndDefaults(t *testing.T) {
	f := connector.Factory{
		ServiceType: "demo", DisplayName: "Demo", New: newNil,
		Features: connector.Features{BasicRules: true},
		Fields: []connector.Field{
			{Key: "zeta", Label: "Zeta", Order: 1, Value: "z"},
			{Key: "alpha", Label: "Alpha", Order: 2, Type: connector.TypeInt, Display: connector.DisplayNumeric, Optional: true, DefaultValue: 5},
		},
	}
	js, err := f.SchemaJSON()
	if err != nil {
		t.Fatal(err)
	}
	s := string(js)
	if !strings.HasPrefix(s, "{\n  \"service_type\": \"demo\",\n  \"name\": \"Demo\",") {
		t.Fatalf("unexpected head:\n%s", s)
	}
	if strings.Index(s, `"zeta"`) > strings.Index(s, `"alpha"`) {
		t.Fatal("configuration keys must keep declaration order")
	}
	var parsed map[string]any
	if err := json.Unmarshal(js, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed["configuration"].(map[string]any)["alpha"].(map[string]any)["default_value"] != 5.0 {
		t.Fatal("default_value lost")
	}
	cfg, err := f.ConfigurationWith(map[string]any{"zeta": "new"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg["zeta"].(map[string]any)["value"] != "new" || f.Fields[0].Value != "z" {
		t.Fatal("ConfigurationWith")
	}
	if _, err := f.ConfigurationWith(map[string]any{"nope": 1}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown key: %v", err)
	}
	c, err := f.NewConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Int("alpha") != 5 || c.String("zeta") != "new" {
		t.Fatal("default configuration does not convert back")
	}
}

func TestHelpers(t *testing.T) {
	if got := connector.HashID("/tmp/a.txt"); got != "5075d607c55146298a1b78a69db84941" {
		t.Fatalf("HashID = %s", got)
	}
	if got := connector.HashID(""); got != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Fatalf("HashID(\"\") = %s", got)
	}
	times := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 8, 20, 15, 22, 52, 123456789, time.UTC), "2026-08-20T15:22:52.123456+00:00"},
		{time.Date(2026, 8, 20, 15, 22, 52, 0, time.UTC), "2026-08-20T15:22:52+00:00"},
		{time.Date(2026, 8, 20, 17, 22, 52, 1000, time.FixedZone("CEST", 7200)), "2026-08-20T15:22:52.000001+00:00"},
		{time.Date(2026, 8, 20, 15, 22, 52, 999, time.UTC), "2026-08-20T15:22:52+00:00"},
	}
	for _, tt := range times {
		if got := connector.FormatTime(tt.in); got != tt.want {
			t.Errorf("FormatTime(%v) = %s, want %s", tt.in, got, tt.want)
		}
		if p, err := connector.ParseTime(tt.want); err != nil || !p.Equal(tt.in.Truncate(time.Microsecond)) {
			t.Errorf("ParseTime(%s) = %v, %v", tt.want, p, err)
		}
	}
	for _, s := range []string{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05", "2024-01-02 03:04:05.5", "2024-01-02"} {
		if _, err := connector.ParseTime(s); err != nil {
			t.Errorf("ParseTime(%q): %v", s, err)
		}
	}
	if _, err := connector.ParseTime("yesterday"); err == nil {
		t.Error("ParseTime accepted garbage")
	}
	exts := map[string]string{
		"a.TXT": ".txt", "archive.tar.gz": ".gz", ".bashrc": "", "noext": "", "dir.d/file": "",
		"name.": ".", "..hidden.md": ".md", "x/y/z.Html": ".html",
	}
	for in, want := range exts {
		if got := connector.FileExtension(in); got != want {
			t.Errorf("FileExtension(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarshalJSON(t *testing.T) {
	type custom struct {
		A int `json:"a"`
	}
	tests := []struct {
		in   any
		want string
	}{
		{map[string]any{"ctime": 1700000000.0, "size": 12, "ratio": 0.5}, `{"ctime":1700000000.0,"ratio":0.5,"size":12}`},
		{[]any{1e16, 1.5e-5, 123.456, float32(2)}, `[1e+16,1.5e-05,123.456,2.0]`},
		{json.Number("12"), `12`},
		{"<a&b>", `"<a&b>"`},
		{[]byte("ok\xff"), `"ok"`},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `"2024-01-02T03:04:05+00:00"`},
		{map[string]string{"b": "2", "a": "1"}, `{"a":"1","b":"2"}`},
		{[]string(nil), `null`},
		{custom{A: 1}, `{"a":1}`},
		{map[string]any{"nested": []any{map[string]any{"f": 2.0}}}, `{"nested":[{"f":2.0}]}`},
	}
	for _, tt := range tests {
		got, err := connector.MarshalJSON(tt.in)
		if err != nil {
			t.Errorf("MarshalJSON(%#v): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("MarshalJSON(%#v) = %s, want %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("invalid JSON %s", got)
		}
	}
	if _, err := connector.MarshalJSON(map[string]any{"x": []any{mathNaN()}}); err == nil || !strings.Contains(err.Error(), "x: [0]") {
		t.Errorf("NaN must fail with its path: %v", err)
	}
}

func mathNaN() float64 {
	zero := 0.0
	return zero / zero
}

func TestDocumentBody(t *testing.T) {
	d := connector.Document{ID: "1", Timestamp: "2024-01-02T03:04:05+00:00", Fields: map[string]any{"title": "x"}, AllowAccessControl: []string{}}
	b := d.Body()
	if b["id"] != "1" || b["_timestamp"] != "2024-01-02T03:04:05+00:00" || b["title"] != "x" {
		t.Fatalf("body %v", b)
	}
	if acl, ok := b["_allow_access_control"].([]any); !ok || len(acl) != 0 {
		t.Fatalf("an empty ACL must be written as []: %v", b)
	}
	b = connector.Document{ID: "2"}.Body()
	if _, ok := b["_timestamp"]; ok {
		t.Fatal("empty timestamp must be omitted")
	}
	if _, ok := b["_allow_access_control"]; ok {
		t.Fatal("nil ACL must be omitted")
	}
	if d.Fields["id"] != nil {
		t.Fatal("Body modified Fields")
	}
}

func TestHasAdvancedRules(t *testing.T) {
	tests := []struct {
		in   any
		want bool
	}{
		{nil, false}, {"", false}, {[]any{}, false}, {map[string]any{}, false},
		{[]any{map[string]any{"tables": []any{"a"}}}, true}, {map[string]any{"q": 1}, true},
	}
	for _, tt := range tests {
		if got := (connector.DocsRequest{AdvancedRules: tt.in}).HasAdvancedRules(); got != tt.want {
			t.Errorf("HasAdvancedRules(%#v) = %v", tt.in, got)
		}
	}
}

func TestDocError(t *testing.T) {
	base := errors.New("boom")
	err := connector.DocError("doc-7", base)
	if !errors.Is(err, base) || err.Error() != `document "doc-7": boom` {
		t.Fatalf("got %v", err)
	}
	if connector.DocError("x", nil) != nil {
		t.Fatal("nil error must stay nil")
	}
}
