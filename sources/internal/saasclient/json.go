package saasclient

// Get walks decoded JSON (maps from encoding/json) by object keys; it is nil where a key is
// missing or a value on the way is not an object.
func Get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Str is the string at keys, "" when there is none.
func Str(v any, keys ...string) string {
	s, _ := Get(v, keys...).(string)
	return s
}

// List is the array at keys, nil when there is none.
func List(v any, keys ...string) []any {
	l, _ := Get(v, keys...).([]any)
	return l
}
