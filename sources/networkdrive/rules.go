package networkdrive

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// Advanced rules are the original's: a list of {"pattern": "<glob>"} objects. A pattern is a
// path on the server starting with the share name ("Documents/Finance/**/*.pdf"); '\' may be
// used for '/'. Matching follows the glob library the original uses (wcmatch with GLOBSTAR):
// '*' and '?' stay within one name, '**' as a whole name spans any number of folders, '[...]'
// is a character class ('!' or '^' negates), wildcards do not match a leading '.', and runs of
// '/' in a path count as one.

// ValidateAdvancedRules checks a snippet as the original does: the JSON schema first, then that
// no pattern starts with '/'.
func (s *Source) ValidateAdvancedRules(_ context.Context, rules any) ([]string, error) {
	if msg := validateRules(rules); msg != "" {
		return []string{msg}, nil
	}
	return nil, nil
}

func validateRules(rules any) string {
	if l, ok := rules.([]any); ok && len(l) == 0 {
		return ""
	}
	if m, ok := rules.(map[string]any); ok && len(m) == 0 {
		return "" // an empty snippet is no rules at all
	}
	if msg := checkRulesSchema(rules); msg != "" {
		return msg
	}
	var slash []string
	seen := map[string]bool{}
	for _, r := range rules.([]any) {
		p := r.(map[string]any)["pattern"].(string)
		if strings.HasPrefix(p, "/") && !seen[p] {
			seen[p] = true
			slash = append(slash, p)
		}
	}
	if len(slash) == 0 {
		return ""
	}
	sort.Strings(slash)
	quoted := make([]string, len(slash))
	for i, p := range slash {
		quoted[i] = pyfmt.Quote(p)
	}
	return fmt.Sprintf("SMB Path should not start with '/' in the beginning. Incorrect path: {%s}", strings.Join(quoted, ", "))
}

// rulesSchema is the original's JSON schema: an array of objects with exactly one property, a
// non-empty string "pattern".
var rulesSchema = &schemacheck.Schema{
	Type: []string{"array"},
	Items: &schemacheck.Schema{
		Type:         []string{"object"},
		Required:     []string{"pattern"},
		Properties:   []schemacheck.Property{{Name: "pattern", Schema: &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}}},
		NoAdditional: true,
	},
}

// checkRulesSchema applies rulesSchema and words the first problem as the original's validator
// does.
func checkRulesSchema(rules any) string { return rulesSchema.Validate(rules) }

// parseRules turns a snippet that passed validation into its patterns, '\' replaced by '/'.
func parseRules(rules any) ([]string, error) {
	rules = normalizeJSON(rules)
	if msg := validateRules(rules); msg != "" {
		return nil, fmt.Errorf("%s", msg)
	}
	list, _ := rules.([]any)
	out := make([]string, 0, len(list))
	for _, r := range list {
		out = append(out, strings.ReplaceAll(r.(map[string]any)["pattern"].(string), `\`, "/"))
	}
	return out, nil
}

// normalizeJSON turns typed values (a []map[string]any built in Go) into the shapes
// encoding/json decodes to, so validation sees what a stored snippet would be.
func normalizeJSON(v any) any {
	switch v.(type) {
	case []any, map[string]any, string, nil:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// ruleBase is the folder a pattern's walk starts from, as the original computes it: the
// pattern up to the last '/' before its first wildcard character, or the whole pattern when it
// has none. It returns the original's path string of that folder and the folder as a path on
// the server ("share/a/b").
func ruleBase(host, pattern string) (docPath, base string) {
	if i := strings.IndexAny(pattern, "*?[{!^"); i >= 0 {
		prefix := pattern[:i]
		if j := strings.LastIndex(prefix, "/"); j >= 0 {
			prefix = prefix[:j]
		}
		return `\\` + host + "/" + prefix + "/", prefix
	}
	return `\\` + host + "/" + pattern, pattern
}

// glob is a compiled pattern: its names, split at '/'.
type glob struct{ segs []string }

func compileGlob(pattern string) glob {
	return glob{segs: splitPath(pattern)}
}

// splitPath splits at '/' and drops the empty names runs of '/' and a trailing '/' make.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// match reports whether path matches the whole pattern.
func (g glob) match(path string) bool {
	return matchSegs(g.segs, splitPath(path), false, strings.HasSuffix(path, "/"))
}

// canContain reports whether some path below the folder dir could match: used to skip
// folders the pattern cannot reach.
func (g glob) canContain(dir string) bool { return matchSegs(g.segs, splitPath(dir), true, false) }

// matchSegs matches names against pattern names; with prefix, a path that runs out before the
// pattern does counts as a match (something below it might match). trailingSlash says the path
// ended with '/', which lets a final "**" match no name at all.
func matchSegs(pat, names []string, prefix, trailingSlash bool) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// '**' takes zero or more names, none of them hidden; at the end of the pattern
			// at least one, as in wcmatch.
			start := 0
			if len(pat) == 1 && !prefix && !trailingSlash {
				start = 1
			}
			for k := 0; k <= len(names); k++ {
				if k >= start && matchSegs(pat[1:], names[k:], prefix, trailingSlash) {
					return true
				}
				if k < len(names) && strings.HasPrefix(names[k], ".") {
					return false
				}
			}
			return prefix
		}
		if len(names) == 0 {
			return prefix
		}
		if !matchName(pat[0], names[0]) {
			return false
		}
		pat, names = pat[1:], names[1:]
	}
	return len(names) == 0 || prefix
}

// matchName matches one name against one pattern name.
func matchName(pat, name string) bool {
	p, n := []rune(pat), []rune(name)
	// A leading '.' must be matched by a literal '.'.
	if len(n) > 0 && n[0] == '.' && (len(p) == 0 || p[0] != '.') {
		return false
	}
	return matchRunes(p, n)
}

func matchRunes(p, n []rune) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(n); i++ {
				if matchRunes(p, n[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(n) == 0 {
				return false
			}
			p, n = p[1:], n[1:]
		case '[':
			if len(n) == 0 {
				return false
			}
			ok, rest, valid := matchClass(p, n[0])
			if !valid {
				// An unclosed '[' is a literal.
				if n[0] != '[' {
					return false
				}
				p, n = p[1:], n[1:]
				continue
			}
			if !ok {
				return false
			}
			p, n = rest, n[1:]
		default:
			if len(n) == 0 || p[0] != n[0] {
				return false
			}
			p, n = p[1:], n[1:]
		}
	}
	return len(n) == 0
}

// matchClass matches r against the class at the start of p ("[...]"); it returns whether it
// matched, the pattern after the class, and whether the class was well formed.
func matchClass(p []rune, r rune) (matched bool, rest []rune, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return matched != negate, p[i+1:], true
		}
		first = false
		lo := p[i]
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			if lo <= r && r <= p[i+2] {
				matched = true
			}
			i += 3
			continue
		}
		if lo == r {
			matched = true
		}
		i++
	}
	return false, nil, false
}
