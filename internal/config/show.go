package config

import (
	"reflect"
	"strings"
)

// secretKeys are never shown in clear by Map.
var secretKeys = map[string]bool{"password": true, "api_key": true}

// Map renders the effective configuration as nested maps keyed like
// config.yml, with secrets replaced by "<redacted>" when redact is true.
func (cfg *Config) Map(redact bool) map[string]any {
	return structMap(reflect.ValueOf(cfg).Elem(), redact)
}

func structMap(v reflect.Value, redact bool) map[string]any {
	out := map[string]any{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("cfg")
		if tag == "" || tag == "-" {
			continue
		}
		fv := v.Field(i)
		val, ok := valueOf(fv, redact)
		if !ok {
			continue
		}
		if redact && secretKeys[tag] {
			if s, isStr := val.(string); !isStr || s != "" {
				val = "<redacted>"
			}
		}
		out[tag] = val
	}
	return out
}

func valueOf(fv reflect.Value, redact bool) (any, bool) {
	switch fv.Kind() {
	case reflect.Pointer:
		if fv.IsNil() {
			return nil, false
		}
		return valueOf(fv.Elem(), redact)
	case reflect.Struct:
		return structMap(fv, redact), true
	case reflect.Slice:
		items := make([]any, 0, fv.Len())
		for j := 0; j < fv.Len(); j++ {
			item, _ := valueOf(fv.Index(j), redact)
			items = append(items, item)
		}
		return items, true
	case reflect.Map:
		m := map[string]any{}
		for _, k := range fv.MapKeys() {
			val := fv.MapIndex(k).Interface()
			if redact && isSecretHeader(k.String()) {
				val = "<redacted>"
			}
			m[k.String()] = val
		}
		return m, true
	case reflect.String:
		if fv.String() == "" {
			return "", true
		}
		return fv.Interface(), true
	default:
		return fv.Interface(), true
	}
}

func isSecretHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "authorization" || strings.Contains(n, "token") || strings.Contains(n, "key") || strings.Contains(n, "secret")
}
