package config

import (
	"reflect"
	"strings"
)

// secretKeys are never shown in clear by Map.
var secretKeys = map[string]bool{"password": true, "api_key": true}

// urlKeys may carry a user name and password in their user-info part.
var urlKeys = map[string]bool{"host": true, "proxy": true}

// shownHeaders are the elasticsearch.headers whose values Map shows; every
// other header may carry a credential (Authorization, a token, a cookie, a
// vendor's key header) and is hidden.
var shownHeaders = map[string]bool{
	"accept": true, "accept-encoding": true, "content-type": true, "user-agent": true,
	"x-opaque-id": true, "traceparent": true, "x-request-id": true,
}

// RedactedValue replaces a secret value in displayed configuration.
const RedactedValue = "<redacted>"

// Map renders the effective configuration as nested maps keyed like
// config.yml, with secrets hidden when redact is true: passwords and API
// keys (global and per connector) become "<redacted>", so do header values
// other than a few harmless ones, and credentials in URLs become REDACTED.
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
		if redact {
			switch s, isStr := val.(string); {
			case secretKeys[tag] && (!isStr || s != ""):
				val = RedactedValue
			case urlKeys[tag] && isStr:
				val = RedactURL(s)
			case tag == "headers":
				if m, isMap := val.(map[string]any); isMap {
					for k := range m {
						if !shownHeaders[strings.ToLower(k)] {
							m[k] = RedactedValue
						}
					}
				}
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
			m[k.String()] = fv.MapIndex(k).Interface()
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
