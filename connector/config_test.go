package connector_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

func stored(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConfigConversion(t *testing.T) {
	fields := []connector.Field{
		{Key: "s"},
		{Key: "i", Type: connector.TypeInt, Display: connector.DisplayNumeric},
		{Key: "b", Type: connector.TypeBool, Display: connector.DisplayToggle},
		{Key: "l", Type: connector.TypeList},
		{Key: "f", Type: connector.TypeFloat, Display: connector.DisplayNumeric},
		{Key: "opt_int", Type: connector.TypeInt, Optional: true, DefaultValue: 50},
		{Key: "opt_list", Type: connector.TypeList, Optional: true, DefaultValue: "*"},
		{Key: "opt_null", Type: connector.TypeInt, Optional: true},
	}
	tests := []struct {
		name string
		key  string
		in   any
		want any
	}{
		{"str from null", "s", nil, ""},
		{"str kept", "s", "abc", "abc"},
		{"str from int", "s", 5, "5"},
		{"str from decoded integral float", "s", 5.0, "5"},
		{"str from float", "s", 2.5, "2.5"},
		{"str from bool", "s", true, "True"},
		{"str from list", "s", []any{"a", "b"}, "['a', 'b']"},
		{"int from string", "i", " 42 ", 42},
		{"int from float truncates", "i", 3.7, 3},
		{"int from empty", "i", "", nil},
		{"int from null", "i", nil, nil},
		{"bool from true", "b", true, true},
		{"bool from string false (deliberate fix)", "b", "false", false},
		{"bool from string False", "b", "False", false},
		{"bool from string off", "b", "off", false},
		{"bool from string 0", "b", "0", false},
		{"bool from string true", "b", "true", true},
		{"bool from other string (Python truthiness)", "b", "maybe", true},
		{"bool from empty", "b", "", nil},
		{"bool from 0", "b", 0, false},
		{"list from comma string", "l", " a, b ,,c ", []any{"a", "b", "c"}},
		{"list from empty string", "l", "", []any{}},
		{"list from null", "l", nil, []any{}},
		{"list from int", "l", 7, []any{7}},
		{"list kept", "l", []any{"x", 1}, []any{"x", 1}},
		{"list from typed slice", "l", []string{"x", "y"}, []any{"x", "y"}},
		{"list from object", "l", map[string]any{"k": "v"}, []any{[]any{"k", "v"}}},
		{"float from string", "f", "1.5", 1.5},
		{"float from int", "f", 2, 2.0},
		{"optional empty takes default", "opt_int", "", 50},
		{"optional set keeps value", "opt_int", 7, 7},
		{"optional list empty takes converted default", "opt_list", "", []any{"*"}},
		{"optional list of empties takes default", "opt_list", []any{"", nil}, []any{"*"}},
		{"optional without default stays null", "opt_null", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := connector.NewConfig(map[string]any{tt.key: map[string]any{"value": tt.in}}, fields)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Value(tt.key); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v (%T), want %#v", got, got, tt.want)
			}
		})
	}
}

func TestConfigConversionErrors(t *testing.T) {
	fields := []connector.Field{
		{Key: "port", Type: connector.TypeInt},
		{Key: "secret_number", Type: connector.TypeInt, Sensitive: true},
		{Key: "l", Type: connector.TypeList},
	}
	tests := []struct {
		key, wantSub, mustNotContain string
		value                        any
	}{
		{key: "port", value: "abc", wantSub: `configuration field "port": value 'abc' cannot be converted to an integer`},
		{key: "port", value: "3.0", wantSub: `"port"`},
		{key: "secret_number", value: "hunter2", wantSub: `"secret_number"`, mustNotContain: "hunter2"},
		{key: "l", value: 1.5, wantSub: `"l"`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.key, tt.value), func(t *testing.T) {
			_, err := connector.NewConfig(map[string]any{tt.key: tt.value}, fields)
			if err == nil {
				t.Fatal("expected an error")
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Fatalf("error %q does not contain %q", err, tt.wantSub)
			}
			if tt.mustNotContain != "" && strings.Contains(err.Error(), tt.mustNotContain) {
				t.Fatalf("error %q leaks %q", err, tt.mustNotContain)
			}
		})
	}
}

func TestConfigStoredProperties(t *testing.T) {
	declared := []connector.Field{
		{Key: "port", Type: connector.TypeInt, Label: "Port", Order: 2},
		{Key: "host", Label: "Host", Order: 1},
	}
	// The stored object says str; the declared int wins. Its label and required come from the
	// stored object; undeclared keys keep their stored type, plain values become str fields.
	cfg, err := connector.NewConfig(stored(t, `{
		"port": {"type": "str", "value": "9200", "label": "Stored port", "required": false},
		"extra": {"type": "int", "value": "4", "label": "Extra", "order": 9},
		"plain_key": 12,
		"host": "example.com"
	}`), declared)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Value("port"); got != 9200 {
		t.Fatalf("port = %#v", got)
	}
	f, _ := cfg.Field("port")
	if f.Label != "Stored port" || f.Required() {
		t.Fatalf("stored properties not applied: %+v", f)
	}
	if got := cfg.Value("extra"); got != 4 {
		t.Fatalf("extra = %#v", got)
	}
	if got := cfg.Value("plain_key"); got != "12" {
		t.Fatalf("plain_key = %#v", got)
	}
	if f, _ := cfg.Field("plain_key"); f.Label != "Plain_key" {
		t.Fatalf("plain_key label = %q, want Python's capitalize()", f.Label)
	}
	if got := cfg.String("host"); got != "example.com" {
		t.Fatalf("host = %q", got)
	}
	if got, want := cfg.Keys(), []string{"host", "plain_key", "port", "extra"}; !reflect.DeepEqual(got, want) {
		// plain_key has the default order 1, like host, and sorts after it by name.
		t.Fatalf("keys = %v, want %v", got, want)
	}
	if !cfg.Has("host") || cfg.Has("nope") {
		t.Fatal("Has is wrong")
	}
}

func TestConfigAccessors(t *testing.T) {
	fields := []connector.Field{
		{Key: "n", Type: connector.TypeInt},
		{Key: "b", Type: connector.TypeBool},
		{Key: "l", Type: connector.TypeList},
		{Key: "s"},
		{Key: "absent", Type: connector.TypeList, Value: "a,b"},
		{Key: "opt", Type: connector.TypeInt, Optional: true},
	}
	cfg, err := connector.NewConfig(stored(t, `{"n": "12", "b": "yes", "l": "x, y", "s": 3, "opt": ""}`), fields)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Int("n") != 12 || !cfg.Bool("b") || cfg.String("s") != "3" {
		t.Fatal("scalar accessors")
	}
	if got := cfg.List("l"); !reflect.DeepEqual(got, []string{"x", "y"}) {
		t.Fatalf("List = %v", got)
	}
	if got := cfg.List("absent"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("absent key falls back to the declared value: %v", got)
	}
	if _, ok := cfg.IntOK("opt"); ok {
		t.Fatal("unset optional int reported as set")
	}
	if cfg.Value("unknown") != nil {
		t.Fatal("unknown key")
	}
}

func TestMissingFields(t *testing.T) {
	fields := []connector.Field{{Key: "a"}, {Key: "b"}, {Key: "c"}}
	cfg, err := connector.NewConfig(map[string]any{"b": "x", "z": "extra"}, fields)
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.MissingFields()
	var mf *connector.MissingFieldsError
	if !errors.As(err, &mf) || !reflect.DeepEqual(mf.Keys, []string{"a", "c"}) {
		t.Fatalf("got %v", err)
	}
	if got, want := err.Error(), "Connector has missing configuration fields: a, c"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	cfg, _ = connector.NewConfig(map[string]any{"a": "", "b": "", "c": "", "extra": 1}, fields)
	if err := cfg.MissingFields(); err != nil {
		t.Fatalf("extra keys must be ignored: %v", err)
	}
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name   string
		fields []connector.Field
		stored string
		want   string // "" = valid
	}{
		{
			name:   "required empty",
			fields: []connector.Field{{Key: "host", Label: "Host"}},
			stored: `{"host": ""}`,
			want:   "Field validation errors: 'Host' cannot be empty.",
		},
		{
			name:   "required empty list",
			fields: []connector.Field{{Key: "tables", Label: "Tables", Type: connector.TypeList}},
			stored: `{"tables": " , "}`,
			want:   "Field validation errors: 'Tables' cannot be empty.",
		},
		{
			name:   "required false bool is not empty",
			fields: []connector.Field{{Key: "ssl", Label: "SSL", Type: connector.TypeBool, Display: connector.DisplayToggle}},
			stored: `{"ssl": false}`,
		},
		{
			name: "dependency not met skips the field",
			fields: []connector.Field{
				{Key: "mode", Label: "Mode"},
				{Key: "host", Label: "Host", DependsOn: []connector.Dependency{{Field: "mode", Value: "server"}}},
			},
			stored: `{"mode": "cloud", "host": ""}`,
		},
		{
			name: "dependency met requires the field",
			fields: []connector.Field{
				{Key: "dls", Label: "DLS", Type: connector.TypeBool, Display: connector.DisplayToggle},
				{Key: "admin", Label: "Admin", DependsOn: []connector.Dependency{{Field: "dls", Value: true}}},
			},
			stored: `{"dls": "true", "admin": ""}`,
			want:   "Field validation errors: 'Admin' cannot be empty.",
		},
		{
			name:   "dependency on a missing field",
			fields: []connector.Field{{Key: "host", Label: "Host", DependsOn: []connector.Dependency{{Field: "mode", Value: "x"}}}},
			stored: `{"host": "h"}`,
			want:   "'Host' depends on configuration 'mode', but it does not exist.",
		},
		{
			name:   "less_than",
			fields: []connector.Field{{Key: "n", Label: "Downloads", Type: connector.TypeInt, Validations: []connector.Validation{connector.LessThan(101)}}},
			stored: `{"n": 101}`,
			want:   "Field validation errors: 'Downloads' value '101' should be less than 101.",
		},
		{
			name:   "less_than ok",
			fields: []connector.Field{{Key: "n", Label: "Downloads", Type: connector.TypeInt, Validations: []connector.Validation{connector.LessThan(101)}}},
			stored: `{"n": "100"}`,
		},
		{
			name:   "greater_than with a stored constraint",
			fields: []connector.Field{{Key: "n", Label: "Age", Type: connector.TypeInt}},
			stored: `{"n": {"value": -1, "label": "Age", "validations": [{"type": "greater_than", "constraint": -1}]}}`,
			want:   "Field validation errors: 'Age' value '-1' should be greater than -1.",
		},
		{
			name:   "optional default is validated",
			fields: []connector.Field{{Key: "n", Label: "C", Type: connector.TypeInt, Optional: true, DefaultValue: 200, Validations: []connector.Validation{connector.LessThan(101)}}},
			stored: `{"n": ""}`,
			want:   "Field validation errors: 'C' value '200' should be less than 101.",
		},
		{
			name:   "optional null is not validated (deliberate: the original crashes)",
			fields: []connector.Field{{Key: "n", Label: "C", Type: connector.TypeInt, Optional: true, Validations: []connector.Validation{connector.LessThan(101)}}},
			stored: `{"n": ""}`,
		},
		{
			name:   "list_type",
			fields: []connector.Field{{Key: "ids", Label: "IDs", Type: connector.TypeList, Validations: []connector.Validation{connector.ListType("int")}}},
			stored: `{"ids": [1, "x", 3]}`,
			want:   "Field validation errors: 'IDs' list value 'x' should be of type int.",
		},
		{
			name:   "list_type on a scalar",
			fields: []connector.Field{{Key: "ids", Label: "IDs", Validations: []connector.Validation{connector.ListType("str")}}},
			stored: `{"ids": "a"}`,
			want:   "Field validation errors: Cannot list_type validate 'IDs' because its value 'a' is not a list.",
		},
		{
			name:   "included_in list",
			fields: []connector.Field{{Key: "k", Label: "Kinds", Type: connector.TypeList, Validations: []connector.Validation{connector.IncludedIn("a", "b")}}},
			stored: `{"k": "a, c, d"}`,
			want:   "Field validation errors: 'Kinds' list value 'c' should be one of a, b.; 'Kinds' list value 'd' should be one of a, b.",
		},
		{
			name:   "included_in scalar",
			fields: []connector.Field{{Key: "k", Label: "Kind", Validations: []connector.Validation{connector.IncludedIn("a", "b")}}},
			stored: `{"k": "z"}`,
			want:   "Field validation errors: 'Kind' list value 'z' should be one of a, b.",
		},
		{
			name:   "regex full match",
			fields: []connector.Field{{Key: "u", Label: "URL", Validations: []connector.Validation{connector.Regex("^https://.*")}}},
			stored: `{"u": "http://x"}`,
			want:   "Field validation errors: 'URL' value 'http://x' failed regex check ^https://.*.",
		},
		{
			name:   "regex must match the whole value",
			fields: []connector.Field{{Key: "e", Label: "Email", Validations: []connector.Validation{connector.Regex(`\S+@\S+`)}}},
			stored: `{"e": "a@b c"}`,
			want:   `Field validation errors: 'Email' value 'a@b c' failed regex check \S+@\S+.`,
		},
		{
			name:   "regex on a non-string",
			fields: []connector.Field{{Key: "e", Label: "Email", Type: connector.TypeList, Validations: []connector.Validation{connector.Regex(`.+`)}}},
			stored: `{"e": ["x"]}`,
			want:   "Field validation errors: Cannot regex validate 'Email' because '['x']' is not a string.",
		},
		{
			name: "several errors joined in field order",
			fields: []connector.Field{
				{Key: "b", Label: "Second", Order: 2},
				{Key: "a", Label: "First", Order: 1},
			},
			stored: `{"a": "", "b": ""}`,
			want:   "Field validation errors: 'First' cannot be empty.; 'Second' cannot be empty.",
		},
		{
			name:   "sensitive values are hidden",
			fields: []connector.Field{{Key: "token", Label: "Token", Sensitive: true, Validations: []connector.Validation{connector.Regex("^ghp_.*")}}},
			stored: `{"token": "hunter2"}`,
			want:   "Field validation errors: 'Token' value '********' failed regex check ^ghp_.*.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := connector.NewConfig(stored(t, tt.stored), tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("got  %q\nwant %q", err.Error(), tt.want)
			}
			var fe *connector.FieldError
			if !errors.As(err, &fe) || fe.Key == "" {
				t.Fatalf("error does not expose the field key: %#v", err)
			}
		})
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	fields := []connector.Field{
		{Key: "user", Label: "User"},
		{Key: "password", Label: "Password", Sensitive: true},
	}
	cfg, err := connector.NewConfig(map[string]any{
		"user":     "alice",
		"password": map[string]any{"value": "s3cr3t-value", "sensitive": true},
	}, fields)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("configured", "config", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("configured", "config", cfg)
	outputs := []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg),
		fmt.Errorf("wrapped: %v", cfg).Error(), logs.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, "s3cr3t-value") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	if !strings.Contains(outputs[0], "user='alice'") || !strings.Contains(outputs[0], "password=********") {
		t.Fatalf("unexpected rendering %s", outputs[0])
	}
	if cfg.String("password") != "s3cr3t-value" {
		t.Fatal("the source itself must still read the secret")
	}
	// A secret stored as a plain value of an undeclared-sensitive key is visible; a stored
	// object marking it sensitive is enough to hide it.
	cfg, _ = connector.NewConfig(map[string]any{"k": map[string]any{"value": "zzz-secret", "sensitive": true}}, nil)
	if strings.Contains(fmt.Sprint(cfg), "zzz-secret") {
		t.Fatal("stored sensitive flag ignored")
	}
}
