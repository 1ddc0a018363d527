package estest

import (
	"path"
	"strings"
)

// filterPath applies the filter_path parameter to an answer, as
// Elasticsearch's REST layer does for every endpoint: a comma list of dotted
// paths where * matches within one key, ** any number of levels, and a
// leading - excludes. Arrays are walked through. Keys that no inclusion
// reaches are dropped, and an answer left empty is {}.
func filterPath(v any, expr string) any {
	var incl, excl [][]string
	for _, p := range strings.Split(expr, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if strings.HasPrefix(p, "-") {
			excl = append(excl, strings.Split(p[1:], "."))
		} else {
			incl = append(incl, strings.Split(p, "."))
		}
	}
	if len(incl) > 0 {
		out, ok := include(v, incl)
		if !ok {
			return newObj()
		}
		v = out
	}
	if len(excl) > 0 {
		v = exclude(v, excl)
	}
	return v
}

// include keeps what the patterns reach; ok is false when nothing is kept.
func include(v any, pats [][]string) (any, bool) {
	for _, p := range pats {
		if len(p) == 0 {
			return v, true // a pattern ended here: keep the whole value
		}
	}
	switch t := v.(type) {
	case Raw:
		parsed, err := parseJSON(t)
		if err != nil {
			return nil, false
		}
		return include(parsed, pats)
	case []any:
		var out []any
		for _, x := range t {
			if y, ok := include(x, pats); ok {
				out = append(out, y)
			}
		}
		return out, len(out) > 0
	case *Object:
		out := &Object{}
		for i, k := range t.Keys {
			if sub := advance(pats, k); len(sub) > 0 {
				if y, ok := include(t.Vals[i], sub); ok {
					out.Set(k, y)
				}
			}
		}
		return out, out.Len() > 0
	}
	return nil, false
}

// advance returns what is left of each pattern after matching key k.
func advance(pats [][]string, k string) [][]string {
	var out [][]string
	for _, p := range pats {
		if len(p) == 0 {
			continue
		}
		if p[0] == "**" {
			if len(p) == 1 {
				out = append(out, []string{}) // a trailing ** takes everything below
				continue
			}
			out = append(out, p) // ** takes k and maybe more levels
			if keyMatches(p[1], k) {
				out = append(out, p[2:]) // or none
			}
			continue
		}
		if keyMatches(p[0], k) {
			out = append(out, p[1:])
		}
	}
	return out
}

func keyMatches(pat, k string) bool {
	if !strings.ContainsAny(pat, "*?[") {
		return pat == k
	}
	ok, err := path.Match(pat, k)
	return err == nil && ok
}

// exclude drops what the patterns reach.
func exclude(v any, pats [][]string) any {
	switch t := v.(type) {
	case Raw:
		parsed, err := parseJSON(t)
		if err != nil {
			return v
		}
		return exclude(parsed, pats)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = exclude(x, pats)
		}
		return out
	case *Object:
		out := &Object{}
		for i, k := range t.Keys {
			sub := advance(pats, k)
			dropped := false
			for _, s := range sub {
				dropped = dropped || len(s) == 0
			}
			if dropped {
				continue
			}
			if len(sub) > 0 {
				out.Set(k, exclude(t.Vals[i], sub))
			} else {
				out.Set(k, t.Vals[i])
			}
		}
		return out
	}
	return v
}
