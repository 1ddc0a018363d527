package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// RegexTimeout bounds one regex rule evaluation against one value, so that a pathological pattern
// fails the sync with an error naming the rule instead of hanging it.
var RegexTimeout = 10 * time.Second

// compilePythonRegex compiles a pattern written for Python's re module so that MatchString behaves
// like re.match: anchored at the start of the value, not at its end.
//
// regexp2's default (.NET) syntax is the closer one to Python: \d, \w and \s match Unicode
// characters and $ also matches before a final newline, as in Python. Its RE2 mode would make those
// ASCII-only and end-of-string-only. What .NET lacks is rewritten first (see translatePattern).
func compilePythonRegex(pattern string) (*regexp2.Regexp, error) {
	translated, verbose := translatePattern(pattern)
	// Compile the pattern alone first: wrapping it could balance stray parentheses ("a)(b").
	if _, err := regexp2.Compile(translated, regexp2.None); err != nil {
		return nil, err
	}
	closing := ")"
	if verbose {
		closing = "\n)" // ends a trailing # comment before the group closes
	}
	re, err := regexp2.Compile(`\A(?:`+translated+closing, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = RegexTimeout
	return re, nil
}

// translatePattern rewrites the Python-only syntax regexp2 does not read:
//
//	(?P<name>...)  → (?<name>...)
//	(?P=name)      → \k<name>
//	\Z             → \z          (end of string only, in both)
//	\_ and \<non-ASCII> → the character itself (Python allows escaping any non-alphanumeric)
//	\UXXXXXXXX     → the character
//	{,n}           → {0,n}
//	(?u) flag      → dropped (Python 3 patterns are Unicode already)
//
// It reports whether the pattern turns on verbose mode with a leading (?x).
func translatePattern(p string) (string, bool) {
	var b strings.Builder
	i := 0
	verbose := false
	// Python 3.11 accepts global flags only at the very start.
	for strings.HasPrefix(p[i:], "(?") {
		end := strings.IndexByte(p[i:], ')')
		if end < 0 {
			break
		}
		flags := p[i+2 : i+end]
		if flags == "" || strings.Trim(flags, "aiLmsux") != "" {
			break
		}
		verbose = verbose || strings.Contains(flags, "x")
		if kept := strings.ReplaceAll(flags, "u", ""); kept != "" {
			b.WriteString("(?" + kept + ")")
		}
		i += end + 1
	}

	inClass := false
	classStart := 0 // position just after "[" or "[^"
	for i < len(p) {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			switch {
			case n == 'Z' && !inClass:
				b.WriteString(`\z`)
				i += 2
			case n == '_':
				b.WriteByte('_')
				i += 2
			case n == 'U' && i+10 <= len(p) && isHex(p[i+2:i+10]):
				r, _ := strconv.ParseUint(p[i+2:i+10], 16, 32)
				b.WriteString(regexp2.Escape(string(rune(r))))
				i += 10
			case n >= utf8.RuneSelf:
				r, size := utf8.DecodeRuneInString(p[i+1:])
				b.WriteRune(r)
				i += 1 + size
			default:
				b.WriteString(p[i : i+2])
				i += 2
			}
			continue
		case inClass:
			if c == ']' && i > classStart {
				inClass = false
			}
		case c == '[':
			inClass = true
			b.WriteByte('[')
			i++
			if i < len(p) && p[i] == '^' {
				b.WriteByte('^')
				i++
			}
			classStart = i // a "]" right here is a literal
			continue
		case verbose && c == '#':
			end := strings.IndexByte(p[i:], '\n')
			if end < 0 {
				end = len(p) - i
			}
			b.WriteString(p[i : i+end])
			i += end
			continue
		case strings.HasPrefix(p[i:], "(?P<"):
			b.WriteString("(?<")
			i += 4
			continue
		case strings.HasPrefix(p[i:], "(?P="):
			if end := strings.IndexByte(p[i:], ')'); end > 0 {
				b.WriteString(`\k<` + p[i+4:i+end] + `>`)
				i += end + 1
				continue
			}
		case c == '{' && strings.HasPrefix(p[i:], "{,"):
			j := i + 2
			for j < len(p) && isDigit(p[j]) {
				j++
			}
			if j < len(p) && p[j] == '}' {
				b.WriteString("{0," + p[i+2:j] + "}")
				i = j + 1
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), verbose
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// regexError names the rule whose pattern does not compile.
func regexError(r *Rule, err error) error {
	return fmt.Errorf("sync rule %q (field %q): invalid regular expression %q: %v", r.ID, r.Field, r.Value, err)
}
