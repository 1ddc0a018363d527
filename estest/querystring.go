package estest

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The Lucene query syntax of the q= parameter and the query_string query,
// as Elasticsearch parses it (the classic query parser): terms, field:term,
// "phrases" with ~slop, wildcards * and ?, /regexps/, fuzzy term~N,
// ranges [a TO b] {a TO b} and field:>x, AND OR NOT && || ! + -, groups
// with field:(...), ^boost, escapes with \, _exists_:field. The boolean
// rules are the parser's: AND makes both neighbours required, NOT and -
// prohibit, and a group of prohibitions only matches everything else.

type qsTokKind int

const (
	qsEOF qsTokKind = iota
	qsAnd
	qsOr
	qsNot
	qsPlus
	qsMinus
	qsBareOper
	qsLParen
	qsRParen
	qsColon
	qsStar
	qsCarat
	qsQuoted
	qsTerm
	qsFuzzySlop
	qsPrefixTerm
	qsWildTerm
	qsRegexpTerm
	qsRangeInStart
	qsRangeExStart
	qsRangeTo
	qsRangeInEnd
	qsRangeExEnd
	qsRangeQuoted
	qsRangeGoop
	qsNumber
)

type qsToken struct {
	kind qsTokKind
	text string // image without escapes removed (raw)
	pos  int    // 0-based rune offset
}

func (t qsToken) image() string {
	if t.kind == qsEOF {
		return "<EOF>"
	}
	return t.text
}

// qsLex splits a query into tokens, following the parser's lexical states
// (default, after ^, inside a range).
func qsLex(q string) ([]qsToken, error) {
	rs := []rune(q)
	var out []qsToken
	isSpace := func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' }
	isStart := func(r rune) bool {
		return !isSpace(r) && !strings.ContainsRune("+-!():^[]\"{}~*?\\/", r)
	}
	isTermChar := func(r rune) bool { return isStart(r) || r == '-' || r == '+' }
	state := 0 // 0 default, 1 boost, 2 range
	i := 0
	for i < len(rs) {
		r := rs[i]
		if isSpace(r) {
			i++
			continue
		}
		start := i
		switch state {
		case 1:
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			if j < len(rs) && rs[j] == '.' && j+1 < len(rs) && rs[j+1] >= '0' && rs[j+1] <= '9' {
				j++
				for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
					j++
				}
			}
			if j == i {
				return nil, esTextf("Lexical error at line 1, column %d.  Encountered: %q", i+1, string(r))
			}
			out = append(out, qsToken{qsNumber, string(rs[i:j]), start})
			i, state = j, 0
			continue
		case 2:
			switch {
			case r == ']':
				out = append(out, qsToken{qsRangeInEnd, "]", start})
				i, state = i+1, 0
			case r == '}':
				out = append(out, qsToken{qsRangeExEnd, "}", start})
				i, state = i+1, 0
			case r == '"':
				j := i + 1
				for j < len(rs) && rs[j] != '"' {
					if rs[j] == '\\' {
						j++
					}
					j++
				}
				if j >= len(rs) {
					return nil, esTextf("Lexical error at line 1, column %d.  Encountered: <EOF> after : %q", len(rs)+1, string(rs[i:]))
				}
				out = append(out, qsToken{qsRangeQuoted, string(rs[i : j+1]), start})
				i = j + 1
			default:
				j := i
				for j < len(rs) && !isSpace(rs[j]) && rs[j] != ']' && rs[j] != '}' {
					j++
				}
				word := string(rs[i:j])
				kind := qsRangeGoop
				if word == "TO" {
					kind = qsRangeTo
				}
				out = append(out, qsToken{kind, word, start})
				i = j
			}
			continue
		}
		// Default state.
		if r == '&' && i+1 < len(rs) && rs[i+1] == '&' {
			out = append(out, qsToken{qsAnd, "&&", start})
			i += 2
			continue
		}
		if r == '|' && i+1 < len(rs) && rs[i+1] == '|' {
			out = append(out, qsToken{qsOr, "||", start})
			i += 2
			continue
		}
		switch r {
		case '+', '-', '!':
			if i+1 < len(rs) && isSpace(rs[i+1]) {
				out = append(out, qsToken{qsBareOper, string(r), start})
				i += 2
				continue
			}
			kind := map[rune]qsTokKind{'+': qsPlus, '-': qsMinus, '!': qsNot}[r]
			out = append(out, qsToken{kind, string(r), start})
			i++
			continue
		case '(':
			out = append(out, qsToken{qsLParen, "(", start})
			i++
			continue
		case ')':
			out = append(out, qsToken{qsRParen, ")", start})
			i++
			continue
		case ':':
			out = append(out, qsToken{qsColon, ":", start})
			i++
			continue
		case '^':
			out = append(out, qsToken{qsCarat, "^", start})
			i, state = i+1, 1
			continue
		case '[', '{':
			kind := qsRangeInStart
			if r == '{' {
				kind = qsRangeExStart
			}
			out = append(out, qsToken{kind, string(r), start})
			i, state = i+1, 2
			continue
		case '"', '/':
			// A quoted phrase or a regular expression, up to the same character unescaped.
			j := i + 1
			for j < len(rs) && rs[j] != r {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return nil, esTextf("Lexical error at line 1, column %d.  Encountered: <EOF> after : %q", len(rs)+1, string(rs[i:]))
			}
			kind := qsQuoted
			if r == '/' {
				kind = qsRegexpTerm
			}
			out = append(out, qsToken{kind, string(rs[i : j+1]), start})
			i = j + 1
			continue
		case '~':
			j := i + 1
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == '.') {
				j++
			}
			out = append(out, qsToken{qsFuzzySlop, string(rs[i:j]), start})
			i = j
			continue
		}
		// A term, possibly with wildcards.
		if !isStart(r) && r != '\\' && r != '*' && r != '?' {
			return nil, esTextf("Lexical error at line 1, column %d.  Encountered: %q", i+1, string(r))
		}
		j := i
		wild := false
		for j < len(rs) {
			c := rs[j]
			if c == '\\' {
				if j+1 >= len(rs) {
					return nil, esTextf("Lexical error at line 1, column %d.  Encountered: <EOF> after : %q", len(rs)+1, string(rs[i:]))
				}
				j += 2
				continue
			}
			if c == '*' || c == '?' {
				wild = true
				j++
				continue
			}
			if !isTermChar(c) {
				break
			}
			j++
		}
		img := string(rs[i:j])
		kind := qsTerm
		switch {
		case img == "*":
			kind = qsStar
		case img == "AND":
			kind = qsAnd
		case img == "OR":
			kind = qsOr
		case img == "NOT":
			kind = qsNot
		case wild:
			kind = qsWildTerm
			body := img[:len(img)-1]
			if strings.HasSuffix(img, "*") && !strings.HasSuffix(img, "\\*") && !hasUnescapedWildcard(body) && body != "" && body[0] != '*' {
				kind = qsPrefixTerm
			}
		}
		out = append(out, qsToken{kind, img, start})
		i = j
	}
	out = append(out, qsToken{qsEOF, "", len(rs)})
	return out, nil
}

func hasUnescapedWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

// qsUnescape removes backslash escapes.
func qsUnescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// ---- syntax tree ----

type qsOccur int

const (
	qsShould qsOccur = iota
	qsMust
	qsMustNot
)

type qsNode interface{}

type qsClause struct {
	occur qsOccur
	node  qsNode
}

type qsBoolNode struct {
	clauses []qsClause
	boost   float64
}

type qsLeafKind int

const (
	qsKTerm qsLeafKind = iota
	qsKPhrase
	qsKWildcard
	qsKRegexp
	qsKFuzzy
	qsKRange
)

type qsLeaf struct {
	field  string // "" for the default fields
	kind   qsLeafKind
	text   string // unescaped (wildcards: escapes kept for the pattern)
	slop   int
	fuzz   int // -1: AUTO
	lo, hi string
	loOpen bool
	hiOpen bool
	incLo  bool
	incHi  bool
	boost  float64
}

// ---- parser ----

type qsParser struct {
	toks []qsToken
	i    int
	and  bool // default operator AND
}

func (p *qsParser) peek() qsToken { return p.toks[p.i] }

func (p *qsParser) next() qsToken {
	t := p.toks[p.i]
	if t.kind != qsEOF {
		p.i++
	}
	return t
}

func (p *qsParser) fail(t qsToken) error {
	return esTextf("Encountered %q at line 1, column %d.", t.image(), t.pos+1)
}

func startsClause(k qsTokKind) bool {
	switch k {
	case qsAnd, qsOr, qsNot, qsPlus, qsMinus, qsBareOper, qsLParen, qsStar, qsQuoted, qsTerm,
		qsPrefixTerm, qsWildTerm, qsRegexpTerm, qsRangeInStart, qsRangeExStart, qsNumber:
		return true
	}
	return false
}

const (
	conjNone = iota
	conjAnd
	conjOr
	modNone = iota
	modReq
	modNot
)

func (p *qsParser) query(field string) (qsNode, error) {
	var clauses []qsClause
	var first qsNode
	mods := p.modifiers()
	q, err := p.clause(field)
	if err != nil {
		return nil, err
	}
	p.addClause(&clauses, conjNone, mods, q)
	if mods == modNone {
		first = q
	}
	for startsClause(p.peek().kind) {
		conj := conjNone
		switch p.peek().kind {
		case qsAnd:
			p.next()
			conj = conjAnd
		case qsOr:
			p.next()
			conj = conjOr
		}
		mods := p.modifiers()
		q, err := p.clause(field)
		if err != nil {
			return nil, err
		}
		p.addClause(&clauses, conj, mods, q)
	}
	if len(clauses) == 1 && first != nil {
		return first, nil
	}
	return &qsBoolNode{clauses: clauses, boost: 1}, nil
}

func (p *qsParser) modifiers() int {
	switch p.peek().kind {
	case qsPlus:
		p.next()
		return modReq
	case qsMinus, qsNot:
		p.next()
		return modNot
	}
	return modNone
}

// addClause is the classic parser's rule for combining clauses.
func (p *qsParser) addClause(clauses *[]qsClause, conj, mods int, q qsNode) {
	if n := len(*clauses); n > 0 {
		last := &(*clauses)[n-1]
		if conj == conjAnd && last.occur != qsMustNot {
			last.occur = qsMust
		}
		if p.and && conj == conjOr && last.occur != qsMustNot {
			last.occur = qsShould
		}
	}
	var required, prohibited bool
	if !p.and {
		required = mods == modReq
		prohibited = mods == modNot
		if conj == conjAnd && !prohibited {
			required = true
		}
	} else {
		prohibited = mods == modNot
		required = !prohibited && conj != conjOr
	}
	occur := qsShould
	switch {
	case required:
		occur = qsMust
	case prohibited:
		occur = qsMustNot
	}
	*clauses = append(*clauses, qsClause{occur: occur, node: q})
}

func (p *qsParser) clause(field string) (qsNode, error) {
	if k := p.peek().kind; (k == qsTerm || k == qsStar) && p.toks[p.i+1].kind == qsColon {
		t := p.next()
		p.next()
		field = qsUnescape(t.text)
	}
	if p.peek().kind == qsLParen {
		p.next()
		q, err := p.query(field)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != qsRParen {
			return nil, p.fail(t)
		}
		if p.peek().kind == qsCarat {
			b, err := p.boost()
			if err != nil {
				return nil, err
			}
			return &qsBoolNode{clauses: []qsClause{{occur: qsMust, node: q}}, boost: b}, nil
		}
		return q, nil
	}
	return p.term(field)
}

func (p *qsParser) boost() (float64, error) {
	p.next() // ^
	t := p.next()
	if t.kind != qsNumber {
		return 0, p.fail(t)
	}
	return strconv.ParseFloat(t.text, 64)
}

func (p *qsParser) term(field string) (qsNode, error) {
	t := p.next()
	leaf := &qsLeaf{field: field, boost: 1, fuzz: -1}
	switch t.kind {
	case qsTerm, qsStar, qsPrefixTerm, qsWildTerm, qsRegexpTerm, qsNumber, qsBareOper:
		switch t.kind {
		case qsStar, qsPrefixTerm, qsWildTerm:
			leaf.kind, leaf.text = qsKWildcard, t.text
		case qsRegexpTerm:
			leaf.kind, leaf.text = qsKRegexp, t.text[1:len(t.text)-1]
		default:
			leaf.kind, leaf.text = qsKTerm, qsUnescape(t.text)
		}
		if p.peek().kind == qsFuzzySlop {
			f := p.next().text[1:]
			if leaf.kind == qsKTerm {
				leaf.kind = qsKFuzzy
				if f != "" {
					n, err := strconv.ParseFloat(f, 64)
					if err != nil {
						return nil, err
					}
					leaf.fuzz = int(n)
				}
			}
		}
		if p.peek().kind == qsCarat {
			b, err := p.boost()
			if err != nil {
				return nil, err
			}
			leaf.boost = b
			if p.peek().kind == qsFuzzySlop && leaf.kind == qsKTerm {
				f := p.next().text[1:]
				leaf.kind = qsKFuzzy
				if f != "" {
					n, _ := strconv.ParseFloat(f, 64)
					leaf.fuzz = int(n)
				}
			}
		}
		if leaf.kind == qsKTerm && utf8.RuneCountInString(leaf.text) > 1 && (leaf.text[0] == '>' || leaf.text[0] == '<') {
			// Elasticsearch's field:>x syntax.
			s := leaf.text
			gt := s[0] == '>'
			inc := len(s) > 2 && s[1] == '='
			v := s[1:]
			if inc {
				v = s[2:]
			}
			leaf.kind = qsKRange
			if gt {
				leaf.lo, leaf.incLo, leaf.hiOpen = v, inc, true
			} else {
				leaf.hi, leaf.incHi, leaf.loOpen = v, inc, true
			}
		}
		return leaf, nil
	case qsRangeInStart, qsRangeExStart:
		leaf.kind = qsKRange
		leaf.incLo = t.kind == qsRangeInStart
		lo := p.next()
		if lo.kind != qsRangeGoop && lo.kind != qsRangeQuoted {
			return nil, p.fail(lo)
		}
		if p.peek().kind == qsRangeTo {
			p.next()
		}
		hi := p.next()
		if hi.kind != qsRangeGoop && hi.kind != qsRangeQuoted {
			return nil, p.fail(hi)
		}
		end := p.next()
		if end.kind != qsRangeInEnd && end.kind != qsRangeExEnd {
			return nil, p.fail(end)
		}
		leaf.incHi = end.kind == qsRangeInEnd
		bound := func(t qsToken) (string, bool) {
			if t.kind == qsRangeQuoted {
				return qsUnescape(t.text[1 : len(t.text)-1]), false
			}
			return qsUnescape(t.text), t.text == "*"
		}
		leaf.lo, leaf.loOpen = bound(lo)
		leaf.hi, leaf.hiOpen = bound(hi)
		if p.peek().kind == qsCarat {
			b, err := p.boost()
			if err != nil {
				return nil, err
			}
			leaf.boost = b
		}
		return leaf, nil
	case qsQuoted:
		leaf.kind, leaf.text = qsKPhrase, qsUnescape(t.text[1:len(t.text)-1])
		if p.peek().kind == qsFuzzySlop {
			if f := p.next().text[1:]; f != "" {
				n, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return nil, err
				}
				leaf.slop = int(n)
			}
		}
		if p.peek().kind == qsCarat {
			b, err := p.boost()
			if err != nil {
				return nil, err
			}
			leaf.boost = b
		}
		return leaf, nil
	}
	return nil, p.fail(t)
}

// ---- evaluation ----

// qsOptions are the query_string parameters estest honours.
type qsOptions struct {
	fields  []string // default fields, "*" when empty; entries may carry ^boost
	and     bool
	lenient *bool
}

// queryStringQ is a parsed query string. Fields resolve per index, since
// mappings differ; a parse error surfaces when an index is searched, as
// the shard failure Elasticsearch reports.
type queryStringQ struct {
	text     string
	root     qsNode
	parseErr error
	opts     qsOptions
	boost    float64
}

func compileQueryString(text string, opts qsOptions) *queryStringQ {
	q := &queryStringQ{text: text, opts: opts, boost: 1}
	toks, err := qsLex(text)
	if err == nil {
		p := &qsParser{toks: toks, and: opts.and}
		q.root, err = p.query("")
		if err == nil && p.peek().kind != qsEOF {
			err = p.fail(p.peek())
		}
	}
	if err != nil {
		q.parseErr = err
	}
	return q
}

func (q *queryStringQ) validate(ix *index) *esError {
	if q.parseErr != nil {
		e := newErr(400, "query_shard_exception", "Failed to parse query ["+q.text+"]", "index_uuid", ix.uuid, "index", ix.name)
		inner := newErr(400, "parse_exception", q.parseErr.Error())
		e.cause = newErr(400, "parse_exception", "Cannot parse '"+q.text+"': "+q.parseErr.Error()).withCause(inner)
		return e
	}
	return q.check(ix, q.root)
}

// check reports the first value a non-lenient field cannot take.
func (q *queryStringQ) check(ix *index, n qsNode) *esError {
	switch t := n.(type) {
	case *qsBoolNode:
		for _, c := range t.clauses {
			if e := q.check(ix, c.node); e != nil {
				return e
			}
		}
	case *qsLeaf:
		fields, lenient := q.fieldsFor(ix, t.field)
		if lenient {
			return nil
		}
		for _, f := range fields {
			if _, e := q.leafMatcher(t, f.ref); e != nil {
				if e.extra == nil {
					e.extra = &Object{}
				}
				e.extra.Set("index_uuid", ix.uuid)
				e.extra.Set("index", ix.name)
				return e
			}
		}
	}
	return nil
}

type qsField struct {
	ref   fieldRef
	boost float64
}

// fieldsFor resolves a field name (or the default fields) on an index. The
// all-fields default (*) is lenient unless the request says otherwise.
func (q *queryStringQ) fieldsFor(ix *index, field string) ([]qsField, bool) {
	names := []string{field}
	if field == "" {
		names = q.opts.fields
		if len(names) == 0 {
			names = []string{"*"}
		}
	}
	// Querying all fields (the default, index.query.default_field: *)
	// makes the whole query lenient, explicit fields included.
	lenient := len(q.opts.fields) == 0
	for _, f := range q.opts.fields {
		lenient = lenient || f == "*"
	}
	if q.opts.lenient != nil {
		lenient = *q.opts.lenient
	}
	var out []qsField
	seen := map[string]bool{}
	for _, n := range names {
		boost := 1.0
		if i := strings.LastIndexByte(n, '^'); i > 0 {
			if b, err := strconv.ParseFloat(n[i+1:], 64); err == nil {
				n, boost = n[:i], b
			}
		}
		if !strings.ContainsAny(n, "*?") {
			if ref, ok := resolveRef(ix, n); ok && !ref.fm.isObject() && !seen[n] {
				seen[n] = true
				out = append(out, qsField{ref, boost})
			}
			continue
		}
		for _, leaf := range leafFields(ix.mapping, "") {
			if ok, _ := path.Match(n, leaf); ok && !seen[leaf] {
				if ref, ok := resolveRef(ix, leaf); ok && searchableType(ref.fm.typ) {
					seen[leaf] = true
					out = append(out, qsField{ref, boost})
				}
			}
		}
	}
	return out, lenient
}

// leafFields lists every leaf field path, multi-fields included.
func leafFields(m *fieldMapping, prefix string) []string {
	var out []string
	names := make([]string, 0, len(m.props))
	for n := range m.props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := m.props[n]
		full := prefix + n
		if c.isObject() {
			if c.enabled == nil || *c.enabled {
				out = append(out, leafFields(c, full+".")...)
			}
			continue
		}
		out = append(out, full)
		for sub := range c.fields {
			out = append(out, full+"."+sub)
		}
	}
	return out
}

func searchableType(t string) bool {
	return isTextType(t) || isNumericType(t) || t == "keyword" || t == "constant_keyword" || t == "wildcard" ||
		t == "date" || t == "date_nanos" || t == "boolean" || t == "ip" || t == "version"
}

func (q *queryStringQ) match(c *evalCtx) (bool, float64) {
	if q.parseErr != nil || q.root == nil {
		return false, 0
	}
	ok, s, present := q.eval(c, q.root)
	if !present {
		return false, 0
	}
	return ok, s * q.boost
}

// eval matches a node; present is false for a clause that vanished (a text
// term the analyzer reduces to nothing), which Lucene leaves out.
func (q *queryStringQ) eval(c *evalCtx, n qsNode) (ok bool, score float64, present bool) {
	switch t := n.(type) {
	case *qsLeaf:
		return q.evalLeaf(c, t)
	case *qsBoolNode:
		var must, should, mustNot, matchedShould int
		total := 0.0
		for _, cl := range t.clauses {
			m, s, pr := q.eval(c, cl.node)
			if !pr {
				continue
			}
			switch cl.occur {
			case qsMust:
				must++
				if !m {
					return false, 0, true
				}
				total += s
			case qsShould:
				should++
				if m {
					matchedShould++
					total += s
				}
			case qsMustNot:
				mustNot++
				if m {
					return false, 0, true
				}
			}
		}
		switch {
		case must == 0 && should == 0 && mustNot == 0:
			return false, 0, false
		case must == 0 && should == 0:
			return true, 1 * t.boost, true // only prohibitions: everything else matches
		case must == 0 && matchedShould == 0:
			return false, 0, true
		}
		return true, total * t.boost, true
	}
	return false, 0, false
}

func (q *queryStringQ) evalLeaf(c *evalCtx, l *qsLeaf) (bool, float64, bool) {
	if l.field == "_exists_" {
		m, s := existsQ{field: l.text, boost: l.boost}.match(c)
		return m, s, true
	}
	if l.field == "*" && l.kind == qsKWildcard && l.text == "*" {
		return true, l.boost, true
	}
	fields, _ := q.fieldsFor(c.ix, l.field)
	present := false
	best, hit := 0.0, false
	for _, f := range fields {
		m, e := q.leafMatcher(l, f.ref)
		if e != nil || m == nil {
			if e != nil {
				present = true // a refused value is still a clause (lenient: no match)
			}
			continue
		}
		present = true
		if ok, s := m.match(c); ok {
			hit = true
			best = math.Max(best, s*f.boost)
		}
	}
	if len(fields) == 0 {
		present = true // unmapped field: matches nothing
	}
	return hit, best * l.boost, present
}

// leafMatcher builds the query a leaf means on one field; nil when the
// text analyses to nothing there.
func (q *queryStringQ) leafMatcher(l *qsLeaf, f fieldRef) (query, *esError) {
	fm := f.fm
	text := isTextType(fm.typ)
	str := text || fm.typ == "keyword" || fm.typ == "constant_keyword" || fm.typ == "wildcard"
	isDate := fm.typ == "date" || fm.typ == "date_nanos"
	switch l.kind {
	case qsKTerm, qsKPhrase:
		if text {
			toks := analyze(l.text)
			switch {
			case len(toks) == 0:
				return nil, nil
			case len(toks) == 1:
				return termQ{field: f.name, value: toks[0], boost: 1}, nil
			case l.kind == qsKPhrase:
				return phraseQ{field: f.name, toks: toks, slop: l.slop}, nil
			}
			var subs []query
			for _, tk := range toks {
				subs = append(subs, termQ{field: f.name, value: tk, boost: 1})
			}
			if q.opts.and {
				return boolQ{must: subs, boost: 1}, nil
			}
			return boolQ{should: subs, msm: 1, boost: 1}, nil
		}
		if isDate {
			if _, ok := parseDateMath(l.text, fm.format(), nowForCheck, false); !ok {
				return nil, queryShardErr(fmt.Sprintf("failed to create query: failed to parse date field [%s] with format [%s]", l.text, fm.format()))
			}
			return rangeQ{field: f.name, gte: l.text, lte: l.text, hasGte: true, hasLte: true, boost: 1}, nil
		}
		if _, e := queryTerm(f, l.text, false); e != nil {
			return nil, e
		}
		return termQ{field: f.name, value: l.text, boost: 1}, nil
	case qsKWildcard:
		if l.text == "*" {
			return existsQ{field: f.name, boost: 1}, nil
		}
		if !str {
			return nil, queryShardErr(fmt.Sprintf("Can only use wildcard queries on keyword and text fields - not on [%s] which is of type [%s]", f.name, fm.typ))
		}
		pat := l.text
		if text || fm.normalizerLowercase() {
			pat = strings.ToLower(pat)
		}
		return patternQ{field: f.name, re: wildcardRegexp(pat, false), boost: 1}, nil
	case qsKRegexp:
		if !str {
			return nil, queryShardErr(fmt.Sprintf("Can only use regexp queries on keyword and text fields - not on [%s] which is of type [%s]", f.name, fm.typ))
		}
		re, err := regexp.Compile("(?s)^(?:" + l.text + ")$")
		if err != nil {
			return nil, queryShardErr("failed to create query: " + err.Error())
		}
		return patternQ{field: f.name, re: re, boost: 1}, nil
	case qsKFuzzy:
		if !str {
			return nil, queryShardErr(fmt.Sprintf("Can only use fuzzy queries on keyword and text fields - not on [%s] which is of type [%s]", f.name, fm.typ))
		}
		t := l.text
		if text {
			toks := analyze(t)
			if len(toks) == 0 {
				return nil, nil
			}
			t = strings.ToLower(t)
		}
		return fuzzyQ{field: f.name, term: t, edits: l.fuzz}, nil
	case qsKRange:
		r := rangeQ{field: f.name, boost: 1}
		lo, hi := l.lo, l.hi
		if text {
			lo, hi = strings.ToLower(lo), strings.ToLower(hi)
		}
		if !l.loOpen {
			if l.incLo {
				r.gte, r.hasGte = lo, true
			} else {
				r.gt, r.hasGt = lo, true
			}
		}
		if !l.hiOpen {
			if l.incHi {
				r.lte, r.hasLte = hi, true
			} else {
				r.lt, r.hasLt = hi, true
			}
		}
		if !str {
			for _, b := range []struct {
				v    string
				open bool
			}{{lo, l.loOpen}, {hi, l.hiOpen}} {
				if b.open {
					continue
				}
				if isDate {
					if _, ok := parseDateMath(b.v, fm.format(), nowForCheck, false); !ok {
						return nil, queryShardErr(fmt.Sprintf("failed to create query: failed to parse date field [%s] with format [%s]", b.v, fm.format()))
					}
				} else if _, e := queryTerm(f, b.v, false); e != nil {
					return nil, e
				}
			}
		}
		return r, nil
	}
	return nil, nil
}

// nowForCheck is the clock for validating date values; the value itself is
// computed again, with the request's clock, when documents are matched.
var nowForCheck time.Time

// phraseQ matches analysed tokens in order, allowing slop the way Lucene's
// sloppy phrase does: the spread of (position - query offset) over the
// terms must not exceed slop.
type phraseQ struct {
	field string
	toks  []string
	slop  int
}

func (q phraseQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	have := c.terms(f)
	pos := make([][]int, len(q.toks))
	for i, t := range q.toks {
		for p, h := range have {
			if !h.num && h.s == t {
				pos[i] = append(pos[i], p)
			}
		}
		if len(pos[i]) == 0 {
			return false, 0
		}
	}
	used := map[int]bool{}
	var try func(i, lo, hi int) bool
	try = func(i, lo, hi int) bool {
		if i == len(q.toks) {
			return hi-lo <= q.slop
		}
		for _, p := range pos[i] {
			if used[p] {
				continue
			}
			d := p - i
			nlo, nhi := lo, hi
			if i == 0 || d < nlo {
				nlo = d
			}
			if i == 0 || d > nhi {
				nhi = d
			}
			if nhi-nlo > q.slop {
				continue
			}
			used[p] = true
			if try(i+1, nlo, nhi) {
				return true
			}
			used[p] = false
		}
		return false
	}
	if try(0, 0, 0) {
		return true, float64(len(q.toks))
	}
	return false, 0
}

// fuzzyQ matches terms within an edit distance (Damerau-Levenshtein, as
// Lucene's automata count transpositions); edits -1 is AUTO: 0 for terms of
// up to 2 characters, 1 up to 5, else 2.
type fuzzyQ struct {
	field string
	term  string
	edits int
}

func (q fuzzyQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	max := q.edits
	if max < 0 {
		switch n := utf8.RuneCountInString(q.term); {
		case n <= 2:
			max = 0
		case n <= 5:
			max = 1
		default:
			max = 2
		}
	}
	max = min(max, 2)
	for _, t := range c.terms(f) {
		if !t.num && editDistance(q.term, t.s) <= max {
			return true, 1
		}
	}
	return false, 0
}

// editDistance is the optimal-string-alignment distance.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// esText is an error whose text is Elasticsearch's own wording, which
// starts with a capital and ends with a period.
type esText string

func (e esText) Error() string { return string(e) }

func esTextf(format string, a ...any) error { return esText(fmt.Sprintf(format, a...)) }
