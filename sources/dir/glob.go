package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"unicode"
)

// The original lists files with Python's pathlib Path.glob (Python 3.10/3.11, the versions it
// supports). This file reproduces those semantics without building a listing:
//
//   - the pattern is split on "/"; empty and "." components are dropped;
//   - "**" as a whole component matches the current directory and every subdirectory, but does
//     not descend into symbolic links to directories; "**" inside a component is an error;
//   - other components are fnmatch patterns (*, ?, [seq], [!seq]; no escaping, case-sensitive,
//     leading dots not special, so "*.*" matches ".env") matched against one name; a component
//     before the last one only matches directories, following symbolic links;
//   - a pattern ending in "/" or in "**" matches directories only, so it yields no files;
//   - every path is yielded once, even when several "**" could match it.
//
// Deliberate differences: absolute patterns and ".." components are rejected (pathlib rejects
// the former and allows the latter, which would let a pattern escape the directory), and an
// unreadable subdirectory is logged and skipped instead of being skipped silently.

type component struct {
	recursive bool
	re        *regexp.Regexp // nil for recursive components
}

type pattern struct {
	parts   []component
	noFiles bool // the pattern can only match directories
}

// compilePattern checks a pattern and prepares it for matching. Errors are phrased for the
// user, who typed the pattern into Kibana.
func compilePattern(p string) (*pattern, error) {
	if strings.TrimSpace(p) == "" {
		return nil, errors.New("the pattern is empty")
	}
	if strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("the pattern %q is absolute; it must be relative to the directory", p)
	}
	out := &pattern{noFiles: strings.HasSuffix(p, "/")}
	for _, raw := range strings.Split(p, "/") {
		switch {
		case raw == "" || raw == ".":
			continue
		case raw == "..":
			return nil, fmt.Errorf("the pattern %q contains '..'; it may only select files inside the directory", p)
		case raw == "**":
			out.parts = append(out.parts, component{recursive: true})
		case strings.Contains(raw, "**"):
			return nil, fmt.Errorf("the pattern %q uses '**' inside a path component; '**' must be a whole component, as in '**/*.txt'", p)
		default:
			re, err := regexp.Compile(translate(raw))
			if err != nil {
				return nil, fmt.Errorf("the pattern component %q is not a valid glob: %v", raw, err)
			}
			out.parts = append(out.parts, component{re: re})
		}
	}
	if len(out.parts) == 0 {
		return nil, fmt.Errorf("the pattern %q selects nothing but the directory itself", p)
	}
	if out.parts[len(out.parts)-1].recursive {
		out.noFiles = true
	}
	return out, nil
}

// translate turns an fnmatch pattern into an anchored Go regular expression, following Python
// 3.11's fnmatch.translate: "*" and "?" never need escaping here because names contain no "/";
// an unclosed "[" is literal; in a class, "!" negates, a leading "]" or "-" is literal, reversed
// ranges are dropped, and a class left empty matches nothing.
func translate(pat string) string {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	r := []rune(pat)
	for i := 0; i < len(r); {
		c := r[i]
		i++
		switch c {
		case '*':
			for i < len(r) && r[i] == '*' {
				i++
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i
			if j < len(r) && r[j] == '!' {
				j++
			}
			if j < len(r) && r[j] == ']' {
				j++
			}
			for j < len(r) && r[j] != ']' {
				j++
			}
			if j >= len(r) {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(charClass(r[i:j]))
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

// charClass translates the inside of a bracket expression.
func charClass(stuff []rune) string {
	negate := len(stuff) > 0 && stuff[0] == '!'
	if negate {
		stuff = stuff[1:]
	}
	// Split on the hyphens that are range operators: not the first character, and not one
	// that directly follows another range.
	var chunks [][]rune
	start, k := 0, 1
	for k < len(stuff) {
		if stuff[k] != '-' {
			k++
			continue
		}
		chunks = append(chunks, stuff[start:k])
		start = k + 1
		k += 3
	}
	if rest := stuff[start:]; len(rest) > 0 || len(chunks) == 0 {
		chunks = append(chunks, rest)
	} else {
		chunks[len(chunks)-1] = append(append([]rune(nil), chunks[len(chunks)-1]...), '-')
	}
	// Drop reversed ranges such as z-a, as Python does (they are invalid regular expressions).
	for k := len(chunks) - 1; k > 0; k-- {
		prev, cur := chunks[k-1], chunks[k]
		if len(prev) > 0 && len(cur) > 0 && prev[len(prev)-1] > cur[0] {
			merged := append(append([]rune(nil), prev[:len(prev)-1]...), cur[1:]...)
			chunks[k-1] = merged
			chunks = append(chunks[:k], chunks[k+1:]...)
		}
	}
	var body strings.Builder
	for n, ch := range chunks {
		if n > 0 {
			body.WriteByte('-')
		}
		for _, r := range ch {
			if r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
				body.WriteByte('\\')
			}
			body.WriteRune(r)
		}
	}
	switch {
	case body.Len() == 0 && negate:
		return `.` // a negated empty class matches any character
	case body.Len() == 0:
		return `[^\x00-\x{10FFFF}]` // an empty class matches nothing
	case negate:
		return "[^" + body.String() + "]"
	}
	return "[" + body.String() + "]"
}

// closure adds the states reachable by letting "**" match zero directories.
func (p *pattern) closure(states []int) []int {
	out := states[:0:0]
	seen := make(map[int]bool, len(states)+1)
	var add func(int)
	add = func(s int) {
		if s >= len(p.parts) || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
		if p.parts[s].recursive {
			add(s + 1)
		}
	}
	for _, s := range states {
		add(s)
	}
	return out
}

// descend returns the states after entering the subdirectory name; empty means nothing below it
// can match.
func (p *pattern) descend(states []int, name string, symlink bool) []int {
	var next []int
	last := len(p.parts) - 1
	for _, s := range states {
		c := p.parts[s]
		switch {
		case c.recursive:
			if !symlink {
				next = append(next, s)
			}
		case s < last && c.re.MatchString(name):
			next = append(next, s+1)
		}
	}
	return p.closure(next)
}

// matchesFile reports whether name, in a directory reached with states, matches the pattern.
func (p *pattern) matchesFile(states []int, name string) bool {
	last := len(p.parts) - 1
	for _, s := range states {
		if s == last && !p.parts[s].recursive && p.parts[s].re.MatchString(name) {
			return true
		}
	}
	return false
}

// walker streams the files matching a pattern under a root, directory by directory in name
// order (byte order of the names). The order makes a position in the walk meaningful across
// runs: a resumed sync skips every file up to the checkpoint's path and continues after it.
type walker struct {
	pat   *pattern
	visit func(path string, info fs.FileInfo) error
	// report receives what could not be read below the root (a folder that cannot be opened or
	// listed to the end, a file that cannot be examined); the walk goes on with the rest.
	report func(path string, err error)
	// after, when set, are the components (relative to the root) of the last file visited by an
	// earlier run: that file and everything before it in the walk are skipped.
	after []string
}

// File system access of the walk; tests replace them to make part of a tree unreadable even to
// root, which permissions cannot do.
var (
	openDir  = os.Open
	statPath = os.Stat
)

// walk visits root. Errors reading root are returned; what cannot be read below it is reported
// and skipped. Something that vanished during the walk is neither: it is gone.
func (w *walker) walk(ctx context.Context, root string) error {
	if w.pat.noFiles {
		return nil
	}
	return w.walkDir(ctx, root, w.pat.closure([]int{0}), true, w.after)
}

// walkDir visits one directory. Its entries are read at once and sorted, so a directory's
// listing is held in memory while it is walked (about 100 bytes per entry). after, when
// non-nil, is the rest of the resume path inside this directory.
func (w *walker) walkDir(ctx context.Context, dir string, states []int, isRoot bool, after []string) error {
	f, err := openDir(dir)
	if err != nil {
		if isRoot {
			return err
		}
		if !errors.Is(err, fs.ErrNotExist) {
			w.report(dir, err)
		}
		return nil
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		if isRoot {
			return err
		}
		// What was read before the error is still walked.
		w.report(dir, fmt.Errorf("listing stopped part-way: %w", err))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		var below []string
		if after != nil {
			name := e.Name()
			switch {
			case name < after[0]:
				continue // before the resume path: done in the earlier run
			case name == after[0]:
				below, after = after[1:], nil
				if len(below) == 0 {
					continue // the resume path's own file, visited in the earlier run
				}
			default:
				after = nil
			}
		}
		if err := w.entry(ctx, dir, e, states, below); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) entry(ctx context.Context, dir string, e fs.DirEntry, states []int, below []string) error {
	name := e.Name()
	path := joinPath(dir, name)
	symlink := e.Type()&fs.ModeSymlink != 0
	isDir := e.IsDir()
	var target fs.FileInfo
	if symlink {
		// Like pathlib, follow the link to learn what it points at; a dangling link (or a loop)
		// is neither a file nor a directory, but a target we may not examine is unread.
		st, err := statPath(path)
		switch {
		case err == nil:
			target = st
			isDir = st.IsDir()
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ELOOP):
			w.report(path, err)
			return nil
		}
	}
	if !isDir && w.pat.matchesFile(states, name) {
		info := target
		if info == nil {
			st, err := statPath(path)
			if errors.Is(err, fs.ErrNotExist) {
				// Vanished between listing and stat: pathlib's is_file() is false too.
				return nil
			}
			if err != nil {
				w.report(path, err)
				return nil
			}
			info = st
		}
		if info.Mode().IsRegular() {
			if err := w.visit(path, info); err != nil {
				return err
			}
		}
	}
	if isDir {
		if next := w.pat.descend(states, name, symlink); len(next) > 0 {
			return w.walkDir(ctx, path, next, false, below)
		}
	}
	return nil
}

// cleanPath renders a directory the way str(pathlib.PurePosixPath(dir)) does: repeated slashes
// and "." components dropped, a trailing slash removed, ".." kept, exactly two leading slashes
// preserved, "" and "." becoming ".".
func cleanPath(p string) string {
	root := ""
	switch {
	case strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///"):
		root = "//"
	case strings.HasPrefix(p, "/"):
		root = "/"
	}
	var parts []string
	for _, s := range strings.Split(p, "/") {
		if s != "" && s != "." {
			parts = append(parts, s)
		}
	}
	if root == "" && len(parts) == 0 {
		return "."
	}
	return root + strings.Join(parts, "/")
}

// joinPath appends a name the way pathlib does ("." / "a" is "a", "/" / "a" is "/a").
func joinPath(dir, name string) string {
	switch {
	case dir == ".":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}
