package es

import (
	"strings"
	"testing"
)

func info(number, flavor string) *Info {
	i := &Info{}
	i.Version.Number = number
	i.Version.BuildFlavor = flavor
	return i
}

// Every row of the original's version table (service-spec §3.3).
func TestCheckVersion(t *testing.T) {
	tests := []struct {
		name    string
		es      string
		flavor  string
		service string
		env     string
		want    CompatLevel
		msg     string
	}{
		{"same version", "9.6.0", "default", "9.6.0", "", Compatible, "compatible"},
		{"service build number", "9.6.0", "default", "9.6.0+build202608201234", "", Compatible, ""},
		{"es snapshot suffix", "9.6.0-SNAPSHOT", "default", "9.6.0", "", Compatible, ""},
		{"es patch newer", "9.6.2", "default", "9.6.0", "", CompatibleWithWarning, "patch"},
		{"es patch older", "9.6.0", "default", "9.6.3", "", CompatibleWithWarning, "patch"},
		{"es minor newer", "9.7.0", "default", "9.6.0", "", CompatibleWithWarning, "newer"},
		{"es minor older", "9.5.4", "default", "9.6.0", "", Incompatible, "9.5.4"},
		{"es major newer", "10.0.0", "default", "9.6.0", "", Incompatible, "major"},
		{"es major older", "8.19.3", "default", "9.6.0", "", Incompatible, "8.19.3"},
		{"serverless skips", "8.11.0", "serverless", "9.6.0", "", Compatible, "serverless"},
		{"mismatch allowed true", "8.19.3", "default", "9.6.0", "true", CompatibleWithWarning, "ALLOW_ES_VERSION_MISMATCH"},
		{"mismatch allowed 1", "9.5.0", "default", "9.6.0", "1", CompatibleWithWarning, ""},
		{"mismatch allowed YES", "9.5.0", "default", "9.6.0", "YES", CompatibleWithWarning, ""},
		{"mismatch not allowed by other values", "9.5.0", "default", "9.6.0", "no", Incompatible, ""},
		{"garbage es version", "banana", "default", "9.6.0", "", Incompatible, "banana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckVersion(info(tt.es, tt.flavor), tt.service, func(k string) string {
				if k == AllowMismatchEnv {
					return tt.env
				}
				return ""
			})
			if got.Level != tt.want {
				t.Fatalf("level = %v, want %v (%s)", got.Level, tt.want, got.Message)
			}
			if !strings.Contains(got.Message, tt.msg) {
				t.Fatalf("message %q lacks %q", got.Message, tt.msg)
			}
			if tt.flavor == "serverless" && !got.Serverless {
				t.Fatal("serverless not reported")
			}
			if got.Level == Incompatible && !(strings.Contains(got.Message, tt.es) && strings.Contains(got.Message, tt.service)) && tt.es != "banana" {
				t.Fatalf("a fatal mismatch must print both versions: %q", got.Message)
			}
		})
	}
}
