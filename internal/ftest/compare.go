package ftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/connectors-go/connectors/connector"
)

// compareFields checks the expected fields of one document against its indexed _source (raw
// JSON). Values are compared as JSON, numbers included: an integer must come back as an integer
// literal and a float as a float literal (3.0, not 3), because that is what decides
// Elasticsearch's dynamic mapping; the expected values are encoded the way the service encodes
// documents (connector.MarshalJSON), so a Go float64 3 means 3.0.
func compareFields(id string, want map[string]any, rawSource json.RawMessage) []string {
	got, err := decodeNumbers(rawSource)
	if err != nil {
		return []string{fmt.Sprintf("document %s: cannot read its _source: %v", id, err)}
	}
	src, ok := got.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("document %s: _source is not an object", id)}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var problems []string
	for _, k := range keys {
		raw, err := connector.MarshalJSON(want[k])
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %s field %s: the fixture's value cannot be encoded: %v", id, k, err))
			continue
		}
		w, err := decodeNumbers(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %s field %s: %v", id, k, err))
			continue
		}
		g, present := src[k]
		if !present {
			problems = append(problems, fmt.Sprintf("document %s field %s is missing, want %s", id, k, short(raw)))
			continue
		}
		if why := jsonDiff(g, w); why != "" {
			gotRaw, _ := json.Marshal(g)
			problems = append(problems, fmt.Sprintf("document %s field %s: got %s, want %s (%s)", id, k, short(gotRaw), short(raw), why))
		}
	}
	return problems
}

func decodeNumbers(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// jsonDiff returns why two decoded JSON values differ, or "".
func jsonDiff(got, want any) string {
	switch w := want.(type) {
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return fmt.Sprintf("not a number but %T", got)
		}
		return numberDiff(g, w)
	case []any:
		g, ok := got.([]any)
		if !ok {
			return "not a list"
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%d items, want %d", len(g), len(w))
		}
		for i := range w {
			if d := jsonDiff(g[i], w[i]); d != "" {
				return fmt.Sprintf("item %d: %s", i, d)
			}
		}
		return ""
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return "not an object"
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%d keys, want %d", len(g), len(w))
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return "no key " + k
			}
			if d := jsonDiff(gv, wv); d != "" {
				return k + ": " + d
			}
		}
		return ""
	default: // string, bool, nil
		if got != want {
			return "different value"
		}
		return ""
	}
}

func isIntegerLiteral(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }

func numberDiff(got, want json.Number) string {
	gi, wi := isIntegerLiteral(got), isIntegerLiteral(want)
	switch {
	case gi && wi:
		a, ok1 := new(big.Int).SetString(string(got), 10)
		b, ok2 := new(big.Int).SetString(string(want), 10)
		if !ok1 || !ok2 || a.Cmp(b) != 0 {
			return "different value"
		}
		return ""
	case !gi && !wi:
		a, err1 := got.Float64()
		b, err2 := want.Float64()
		if err1 != nil || err2 != nil || a != b {
			return "different value"
		}
		return ""
	case gi:
		return "an integer where a float is expected"
	default:
		return "a float where an integer is expected"
	}
}

func short(b []byte) string {
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

func sortStrings(s []string) { sort.Strings(s) }

// Spread picks up to k indexes of [0, n) spread evenly, the first and the last included: a
// fixture's way to sample documents from the start, middle and end of its data set.
func Spread(n, k int) []int {
	if n <= 0 || k <= 0 {
		return nil
	}
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	if k == 1 {
		return []int{0}
	}
	out := make([]int, 0, k)
	for j := 0; j < k; j++ {
		out = append(out, j*(n-1)/(k-1))
	}
	return out
}
