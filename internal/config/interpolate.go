package config

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// The original reads config.yml through EnvYAML, which substitutes variables
// textually before YAML parsing. We reproduce that so existing files keep
// working, including `$$` escapes and `|default` fallbacks.
var (
	bracedVar = regexp.MustCompile(`^\$\{([A-Za-z0-9_.\-]+)(?:\|([^}]*))?\}`)
	bareVar   = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_.\-]*)(?:\|([^\s"'},\]]*))?`)
)

// interpolate removes column-0 comment lines and substitutes variables.
// Undefined variables without a default are an error unless strict is false,
// in which case they are left as written (EnvYAML's non-strict behaviour).
func interpolate(text string, lookup func(string) (string, bool), strict bool) (string, error) {
	var out strings.Builder
	var missing []string
	seen := map[string]bool{}
	lines := strings.SplitAfter(text, "\n")
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			if strings.HasSuffix(line, "\n") {
				out.WriteString("\n") // keep line numbers stable for YAML errors
			}
			continue
		}
		// The original also substitutes inside indented and trailing comments,
		// so a commented-out `${SECRET}` fails strict mode; we leave comments
		// alone (a documented change).
		code, comment := splitComment(line)
		line = code
		for i := 0; i < len(line); {
			c := line[i]
			if c != '$' {
				out.WriteByte(c)
				i++
				continue
			}
			rest := line[i:]
			if strings.HasPrefix(rest, "$$") {
				out.WriteByte('$')
				i += 2
				continue
			}
			m := bracedVar.FindStringSubmatchIndex(rest)
			if m == nil {
				m = bareVar.FindStringSubmatchIndex(rest)
			}
			if m == nil {
				out.WriteByte(c)
				i++
				continue
			}
			name := rest[m[2]:m[3]]
			hasDefault := m[4] >= 0
			if v, ok := lookup(name); ok {
				out.WriteString(v)
			} else if hasDefault {
				out.WriteString(rest[m[4]:m[5]])
			} else {
				if !seen[name] {
					seen[name] = true
					missing = append(missing, "$"+name)
				}
				out.WriteString(rest[m[0]:m[1]])
			}
			i += m[1]
		}
		out.WriteString(comment)
	}
	if strict && len(missing) > 0 {
		return "", fmt.Errorf("strict mode enabled, variables %s are not defined (define them in the environment or the .env file, give a default with ${NAME|default}, or set ENVYAML_STRICT_DISABLE)", strings.Join(missing, ", "))
	}
	return out.String(), nil
}

// splitComment separates a YAML line into code and trailing comment. A '#'
// starts a comment at the start of the line or after a blank, outside quotes.
func splitComment(line string) (code, comment string) {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' || line[i-1] == ':' || line[i-1] == '[' || line[i-1] == '{' || line[i-1] == ',' || line[i-1] == '-' {
				quote = c
			}
		case c == '#':
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
				return line[:i], line[i:]
			}
		}
	}
	return line, ""
}

// readDotEnv parses a .env file: KEY=VALUE lines, `export ` prefixes,
// comments and optional single or double quotes.
func readDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected KEY=VALUE", path, lineNo)
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		vars[key] = value
	}
	return vars, sc.Err()
}

// sortedKeys returns the keys of m in a stable order so that error and warning
// output does not change from run to run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
