package estest

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// evalCtx is one document being matched.
type evalCtx struct {
	ix   *index
	d    *doc
	src  *Object
	pars bool
	now  time.Time
}

func (c *evalCtx) source() *Object {
	if !c.pars {
		c.pars = true
		v, _ := parseJSON(c.d.src)
		c.src, _ = v.(*Object)
	}
	return c.src
}

// query is a compiled query clause. match reports whether the document matches and its score.
type query interface {
	match(c *evalCtx) (bool, float64)
}

// lookupPath collects the values at a dotted path, flattening arrays; literal dotted keys are found too.
func lookupPath(v any, parts []string, out *[]any) {
	if len(parts) == 0 {
		flattenInto(v, out)
		return
	}
	switch t := v.(type) {
	case *Object:
		for i := 1; i <= len(parts); i++ {
			if c, ok := t.Get(strings.Join(parts[:i], ".")); ok {
				lookupPath(c, parts[i:], out)
			}
		}
	case []any:
		for _, e := range t {
			lookupPath(e, parts, out)
		}
	}
}

func flattenInto(v any, out *[]any) {
	switch t := v.(type) {
	case nil:
	case []any:
		for _, e := range t {
			flattenInto(e, out)
		}
	default:
		*out = append(*out, v)
	}
}

// fieldRef is a resolved field: its mapping and where its values live in _source.
type fieldRef struct {
	name    string
	fm      *fieldMapping
	srcPath []string
	meta    string // "_id", "_index" or ""
}

func resolveRef(ix *index, name string) (fieldRef, bool) {
	switch name {
	case "_id", "_index":
		return fieldRef{name: name, meta: name, fm: &fieldMapping{typ: "keyword"}}, true
	}
	fm, sp, ok := ix.mapping.resolveField(name)
	if !ok {
		return fieldRef{}, false
	}
	return fieldRef{name: name, fm: fm, srcPath: strings.Split(sp, ".")}, true
}

// rawValues returns the source values of a field in a document.
func (c *evalCtx) rawValues(f fieldRef) []any {
	switch f.meta {
	case "_id":
		return []any{c.d.id}
	case "_index":
		return []any{c.ix.name}
	}
	var out []any
	src := c.source()
	if src == nil {
		return nil
	}
	lookupPath(src, f.srcPath, &out)
	return out
}

// term is one indexed term of a field value, typed by the field.
type term struct {
	s   string
	n   float64
	num bool
}

// terms returns the indexed terms of a field in a document, as Elasticsearch would index them.
func (c *evalCtx) terms(f fieldRef) []term {
	vals := c.rawValues(f)
	var out []term
	for _, v := range vals {
		if _, isObj := v.(*Object); isObj {
			continue
		}
		out = append(out, indexTerms(f.fm, v)...)
	}
	return out
}

func indexTerms(fm *fieldMapping, v any) []term {
	switch {
	case isTextType(fm.typ):
		s, ok := scalarString(v)
		if !ok {
			return nil
		}
		toks := analyze(s)
		out := make([]term, len(toks))
		for i, t := range toks {
			out[i] = term{s: t}
		}
		return out
	case isNumericType(fm.typ):
		s, _ := scalarString(v)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil
		}
		if isIntegerType(fm.typ) {
			f = math.Trunc(f)
		}
		return []term{{n: f, num: true}}
	case fm.typ == "date" || fm.typ == "date_nanos":
		ms, ok := parseDateFormat(v, fm.format())
		if !ok {
			return nil
		}
		return []term{{n: float64(ms), num: true}}
	case fm.typ == "boolean":
		switch v {
		case true, "true":
			return []term{{s: "true"}}
		case false, "false", "":
			return []term{{s: "false"}}
		}
		return nil
	case fm.typ == "keyword" || fm.typ == "constant_keyword" || fm.typ == "wildcard" || fm.typ == "ip" || fm.typ == "version" || fm.typ == "flattened":
		s, ok := scalarString(v)
		if !ok || len([]rune(s)) > fm.ignoreAbove() {
			return nil
		}
		if fm.normalizerLowercase() {
			s = strings.ToLower(s)
		}
		return []term{{s: s}}
	}
	s, ok := scalarString(v)
	if !ok {
		return nil
	}
	return []term{{s: s}}
}

func (m *fieldMapping) normalizerLowercase() bool {
	if m.params == nil {
		return false
	}
	v, _ := m.params.Get("normalizer")
	return v == "lowercase"
}

// queryTerm converts a query value into the term a field would hold, or reports ES's failure.
func queryTerm(f fieldRef, v any, caseInsensitive bool) (term, *esError) {
	fm := f.fm
	s, ok := scalarString(v)
	if !ok {
		return term{}, errParsing("[term] query does not support array of values")
	}
	switch {
	case isNumericType(fm.typ):
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return term{}, queryShardErr(fmt.Sprintf("failed to create query: For input string: \"%s\"", s))
		}
		return term{n: n, num: true}, nil
	case fm.typ == "date" || fm.typ == "date_nanos":
		ms, ok := parseDateFormat(v, fm.format())
		if !ok {
			return term{}, queryShardErr(fmt.Sprintf("failed to create query: failed to parse date field [%s] with format [%s]", s, fm.format()))
		}
		return term{n: float64(ms), num: true}, nil
	case fm.typ == "boolean":
		switch s {
		case "true", "false":
			return term{s: s}, nil
		case "":
			return term{s: "false"}, nil
		}
		return term{}, queryShardErr(fmt.Sprintf("failed to create query: Can't parse boolean value [%s], expected [true] or [false]", s))
	}
	if fm.normalizerLowercase() {
		s = strings.ToLower(s)
	}
	return term{s: s}, nil
}

func queryShardErr(reason string) *esError {
	return newErr(400, "query_shard_exception", reason, "index_uuid", "_na_", "index", "_na_")
}

func termEq(a, b term, ci bool) bool {
	if a.num || b.num {
		return a.num && b.num && a.n == b.n
	}
	if ci {
		return strings.EqualFold(a.s, b.s)
	}
	return a.s == b.s
}

// ---- query implementations ----

type matchAllQ struct{ boost float64 }

func (q matchAllQ) match(*evalCtx) (bool, float64) { return true, q.boost }

type matchNoneQ struct{}

func (matchNoneQ) match(*evalCtx) (bool, float64) { return false, 0 }

// fieldQ resolves its field per index, since mappings differ between indices.
type termQ struct {
	field string
	value any
	ci    bool
	boost float64
}

func (q termQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	want, e := queryTerm(f, q.value, q.ci)
	if e != nil {
		return false, 0
	}
	for _, t := range c.terms(f) {
		if termEq(t, want, q.ci) {
			return true, q.boost
		}
	}
	return false, 0
}

type termsQ struct {
	field  string
	values []any
	boost  float64
}

func (q termsQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	have := c.terms(f)
	for _, v := range q.values {
		want, e := queryTerm(f, v, false)
		if e != nil {
			continue
		}
		for _, t := range have {
			if termEq(t, want, false) {
				return true, q.boost
			}
		}
	}
	return false, 0
}

type idsQ struct {
	ids   map[string]bool
	boost float64
}

func (q idsQ) match(c *evalCtx) (bool, float64) { return q.ids[c.d.id], q.boost }

type existsQ struct {
	field string
	boost float64
}

func (q existsQ) match(c *evalCtx) (bool, float64) {
	if q.field == "_id" || q.field == "_index" {
		return true, q.boost
	}
	// object fields exist when any leaf below them does
	fm, _, ok := c.ix.mapping.resolveField(q.field)
	if !ok {
		return false, 0
	}
	if fm.isObject() {
		for name := range fm.props {
			if m, _ := (existsQ{field: q.field + "." + name}).match(c); m {
				return true, q.boost
			}
		}
		return false, 0
	}
	f, _ := resolveRef(c.ix, q.field)
	if fm.typ == "text" || isNumericType(fm.typ) || fm.typ == "keyword" || fm.typ == "date" || fm.typ == "boolean" {
		return len(c.terms(f)) > 0 || (fm.typ == "text" && hasStringValue(c.rawValues(f))), q.boost
	}
	return len(c.rawValues(f)) > 0, q.boost
}

func hasStringValue(vs []any) bool {
	for _, v := range vs {
		if _, ok := v.(string); ok {
			return true
		}
	}
	return false
}

type rangeQ struct {
	field         string
	gt, gte       any
	lt, lte       any
	format        string
	boost         float64
	hasGt, hasGte bool
	hasLt, hasLte bool
}

func (q rangeQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	fm := f.fm
	isDate := fm.typ == "date" || fm.typ == "date_nanos"
	format := fm.format()
	if q.format != "" {
		format = q.format
	}
	bound := func(v any, up bool) (term, bool) {
		if isDate {
			ms, ok := parseDateMath(v, format, c.now, up)
			return term{n: float64(ms), num: true}, ok
		}
		t, e := queryTerm(f, v, false)
		return t, e == nil
	}
	cmp := func(a, b term) int {
		if a.num && b.num {
			switch {
			case a.n < b.n:
				return -1
			case a.n > b.n:
				return 1
			}
			return 0
		}
		return strings.Compare(a.s, b.s)
	}
	var checks []func(term) bool
	if q.hasGt {
		b, ok := bound(q.gt, true)
		if !ok {
			return false, 0
		}
		checks = append(checks, func(t term) bool { return cmp(t, b) > 0 })
	}
	if q.hasGte {
		b, ok := bound(q.gte, false)
		if !ok {
			return false, 0
		}
		checks = append(checks, func(t term) bool { return cmp(t, b) >= 0 })
	}
	if q.hasLt {
		b, ok := bound(q.lt, false)
		if !ok {
			return false, 0
		}
		checks = append(checks, func(t term) bool { return cmp(t, b) < 0 })
	}
	if q.hasLte {
		b, ok := bound(q.lte, true)
		if !ok {
			return false, 0
		}
		checks = append(checks, func(t term) bool { return cmp(t, b) <= 0 })
	}
	for _, t := range c.terms(f) {
		all := true
		for _, ch := range checks {
			if !ch(t) {
				all = false
				break
			}
		}
		if all {
			return true, q.boost
		}
	}
	return false, 0
}

type patternQ struct {
	field string
	re    *regexp.Regexp
	boost float64
}

func (q patternQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	for _, t := range c.terms(f) {
		if !t.num && q.re.MatchString(t.s) {
			return true, q.boost
		}
	}
	return false, 0
}

func wildcardRegexp(pat string, ci bool) *regexp.Regexp {
	var sb strings.Builder
	if ci {
		sb.WriteString("(?is)")
	} else {
		sb.WriteString("(?s)")
	}
	sb.WriteByte('^')
	esc := false
	for _, r := range pat {
		switch {
		case esc:
			sb.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '*':
			sb.WriteString(".*")
		case r == '?':
			sb.WriteByte('.')
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteByte('$')
	return regexp.MustCompile(sb.String())
}

type matchQ struct {
	field  string
	query  any
	and    bool
	msm    string
	boost  float64
	phrase bool
}

func (q matchQ) match(c *evalCtx) (bool, float64) {
	f, ok := resolveRef(c.ix, q.field)
	if !ok {
		return false, 0
	}
	var wants []term
	if isTextType(f.fm.typ) {
		s, _ := scalarString(q.query)
		for _, t := range analyze(s) {
			wants = append(wants, term{s: t})
		}
	} else {
		t, e := queryTerm(f, q.query, false)
		if e != nil {
			return false, 0
		}
		wants = []term{t}
	}
	if len(wants) == 0 {
		return false, 0
	}
	have := c.terms(f)
	if q.phrase {
		for i := 0; i+len(wants) <= len(have); i++ {
			all := true
			for j, w := range wants {
				if !termEq(have[i+j], w, false) {
					all = false
					break
				}
			}
			if all {
				return true, q.boost * float64(len(wants))
			}
		}
		return false, 0
	}
	matched := 0
	for _, w := range wants {
		for _, h := range have {
			if termEq(h, w, false) {
				matched++
				break
			}
		}
	}
	need := 1
	if q.and {
		need = len(wants)
	}
	if q.msm != "" {
		need = minimumShouldMatch(q.msm, len(wants))
	}
	if matched < need || matched == 0 {
		return false, 0
	}
	return true, q.boost * float64(matched)
}

// minimumShouldMatch evaluates "2", "-1", "75%", "-25%" against n optional clauses.
func minimumShouldMatch(spec string, n int) int {
	spec = strings.TrimSpace(spec)
	if strings.HasSuffix(spec, "%") {
		p, err := strconv.Atoi(strings.TrimSuffix(spec, "%"))
		if err != nil {
			return 1
		}
		if p < 0 {
			return n - int(math.Floor(float64(n)*float64(-p)/100))
		}
		return int(math.Floor(float64(n) * float64(p) / 100))
	}
	k, err := strconv.Atoi(spec)
	if err != nil {
		return 1
	}
	if k < 0 {
		k = n + k
	}
	if k > n {
		return k
	}
	return k
}

type boolQ struct {
	must, filter, should, mustNot []query
	msm                           int
	boost                         float64
}

func (q boolQ) match(c *evalCtx) (bool, float64) {
	score := 0.0
	for _, m := range q.must {
		ok, s := m.match(c)
		if !ok {
			return false, 0
		}
		score += s
	}
	for _, m := range q.filter {
		if ok, _ := m.match(c); !ok {
			return false, 0
		}
	}
	for _, m := range q.mustNot {
		if ok, _ := m.match(c); ok {
			return false, 0
		}
	}
	matched := 0
	for _, m := range q.should {
		if ok, s := m.match(c); ok {
			matched++
			score += s
		}
	}
	if matched < q.msm {
		return false, 0
	}
	if len(q.must) == 0 && len(q.should) == 0 {
		return true, 0
	}
	return true, score * q.boost
}

type constQ struct {
	inner query
	boost float64
}

func (q constQ) match(c *evalCtx) (bool, float64) {
	ok, _ := q.inner.match(c)
	return ok, q.boost
}

// ---- query parsing ----

func boostOf(o *Object) float64 {
	if v, ok := o.Get("boost"); ok {
		if f, ok := asFloat(v); ok {
			return f
		}
	}
	return 1
}

// singleField reads the {"field": value-or-object} form used by term, match, prefix...
func singleField(name string, body any) (string, any, *esError) {
	o, ok := body.(*Object)
	if !ok {
		return "", nil, errParsing("[%s] query malformed, no start_object after query name", name)
	}
	var field string
	var val any
	for i, k := range o.Keys {
		if k == "boost" || k == "_name" {
			continue
		}
		if field != "" {
			return "", nil, errParsing("[%s] query doesn't support multiple fields, found [%s] and [%s]", name, field, k)
		}
		field, val = k, o.Vals[i]
	}
	if field == "" {
		return "", nil, errIllegalArg("query [%s] requires a field", name)
	}
	return field, val, nil
}

func compileQuery(v any) (query, *esError) {
	o, ok := v.(*Object)
	if !ok {
		return nil, errParsing("[_na] query malformed, must start with start_object")
	}
	if o.Len() == 0 {
		return matchAllQ{boost: 1}, nil
	}
	if o.Len() > 1 {
		return nil, errParsing("[%s] malformed query, expected [END_OBJECT] but found [FIELD_NAME]", o.Keys[0])
	}
	name, body := o.Keys[0], o.Vals[0]
	bo, _ := body.(*Object)
	switch name {
	case "match_all":
		return matchAllQ{boost: boostOf(bo)}, nil
	case "match_none":
		return matchNoneQ{}, nil
	case "term":
		field, val, e := singleField(name, body)
		if e != nil {
			return nil, e
		}
		q := termQ{field: field, value: val, boost: 1}
		if vo, ok := val.(*Object); ok {
			q.value, _ = vo.Get("value")
			if _, has := vo.Get("value"); !has {
				return nil, errParsing("[term] query does not support [%s]", strings.Join(vo.Keys, ","))
			}
			q.ci = vo.Get2Bool("case_insensitive")
			q.boost = boostOf(vo)
		}
		if _, isArr := q.value.([]any); isArr {
			return nil, errParsing("[term] query does not support array of values")
		}
		return q, nil
	case "terms":
		if bo == nil {
			return nil, errParsing("[terms] query malformed, no start_object after query name")
		}
		q := termsQ{boost: boostOf(bo)}
		for i, k := range bo.Keys {
			if k == "boost" || k == "_name" {
				continue
			}
			if q.field != "" {
				return nil, errParsing("[terms] query does not support multiple fields")
			}
			arr, ok := bo.Vals[i].([]any)
			if !ok {
				return nil, errParsing("[terms] query does not support [%s]", k)
			}
			q.field, q.values = k, arr
		}
		return q, nil
	case "ids":
		if bo == nil {
			return nil, errParsing("[ids] query malformed, no start_object after query name")
		}
		q := idsQ{ids: map[string]bool{}, boost: boostOf(bo)}
		vals, _ := bo.Get("values")
		arr, _ := vals.([]any)
		for _, x := range arr {
			s, _ := scalarString(x)
			q.ids[s] = true
		}
		return q, nil
	case "exists":
		if bo == nil || bo.str("field") == "" {
			return nil, errIllegalArg("[exists] must be provided with a [field]")
		}
		return existsQ{field: bo.str("field"), boost: boostOf(bo)}, nil
	case "range":
		field, val, e := singleField(name, body)
		if e != nil {
			return nil, e
		}
		ro, ok := val.(*Object)
		if !ok {
			return nil, errParsing("[range] query malformed, after field missing start object")
		}
		q := rangeQ{field: field, boost: boostOf(ro), format: ro.str("format")}
		for i, k := range ro.Keys {
			v := ro.Vals[i]
			switch k {
			case "gt":
				q.gt, q.hasGt = v, v != nil
			case "gte", "from":
				q.gte, q.hasGte = v, v != nil
			case "lt":
				q.lt, q.hasLt = v, v != nil
			case "lte", "to":
				q.lte, q.hasLte = v, v != nil
			case "format", "boost", "time_zone", "relation", "_name", "include_lower", "include_upper":
			default:
				return nil, errParsing("[range] query does not support [%s]", k)
			}
		}
		return q, nil
	case "prefix", "wildcard", "regexp":
		field, val, e := singleField(name, body)
		if e != nil {
			return nil, e
		}
		pat, ci, boost := "", false, 1.0
		if vo, ok := val.(*Object); ok {
			key := "value"
			if name == "wildcard" && vo.Has("wildcard") {
				key = "wildcard"
			}
			pv, _ := vo.Get(key)
			pat, _ = scalarString(pv)
			ci = vo.Get2Bool("case_insensitive")
			boost = boostOf(vo)
		} else {
			pat, _ = scalarString(val)
		}
		var re *regexp.Regexp
		switch name {
		case "prefix":
			flags := "(?s)"
			if ci {
				flags = "(?is)"
			}
			re = regexp.MustCompile(flags + "^" + regexp.QuoteMeta(pat))
		case "wildcard":
			re = wildcardRegexp(pat, ci)
		default:
			flags := "(?s)"
			if ci {
				flags = "(?is)"
			}
			r, err := regexp.Compile(flags + "^(?:" + pat + ")$")
			if err != nil {
				return nil, queryShardErr("failed to create query: " + err.Error())
			}
			re = r
		}
		return patternQ{field: field, re: re, boost: boost}, nil
	case "match", "match_phrase":
		field, val, e := singleField(name, body)
		if e != nil {
			return nil, e
		}
		q := matchQ{field: field, query: val, boost: 1, phrase: name == "match_phrase"}
		if vo, ok := val.(*Object); ok {
			q.query, _ = vo.Get("query")
			q.and = strings.EqualFold(vo.str("operator"), "and")
			if m, ok := vo.Get("minimum_should_match"); ok {
				q.msm, _ = scalarString(m)
			}
			q.boost = boostOf(vo)
		}
		return q, nil
	case "bool":
		if bo == nil {
			return nil, errParsing("[bool] query malformed, no start_object after query name")
		}
		q := boolQ{boost: boostOf(bo)}
		msmSpec := ""
		for i, k := range bo.Keys {
			v := bo.Vals[i]
			var list []any
			switch t := v.(type) {
			case []any:
				list = t
			case *Object:
				list = []any{t}
			}
			var dst *[]query
			switch k {
			case "must":
				dst = &q.must
			case "filter":
				dst = &q.filter
			case "should":
				dst = &q.should
			case "must_not", "mustNot":
				dst = &q.mustNot
			case "minimum_should_match":
				msmSpec, _ = scalarString(v)
				continue
			case "boost", "_name", "adjust_pure_negative":
				continue
			default:
				return nil, errParsing("[bool] query does not support [%s]", k)
			}
			for _, x := range list {
				cq, e := compileQuery(x)
				if e != nil {
					return nil, e
				}
				*dst = append(*dst, cq)
			}
		}
		if msmSpec != "" {
			q.msm = minimumShouldMatch(msmSpec, len(q.should))
		} else if len(q.should) > 0 && len(q.must) == 0 && len(q.filter) == 0 {
			q.msm = 1
		}
		return q, nil
	case "constant_score":
		if bo == nil {
			return nil, errParsing("[constant_score] requires a 'filter' element")
		}
		f, ok := bo.Get("filter")
		if !ok {
			return nil, errParsing("[constant_score] requires a 'filter' element")
		}
		inner, e := compileQuery(f)
		if e != nil {
			return nil, e
		}
		return constQ{inner: inner, boost: boostOf(bo)}, nil
	case "query_string":
		if bo == nil {
			return nil, errParsing("[query_string] query malformed, no start_object after query name")
		}
		var opts qsOptions
		text, hasText := "", false
		for i, k := range bo.Keys {
			v := bo.Vals[i]
			switch k {
			case "query":
				text, hasText = scalarString(v)
			case "default_field":
				f, _ := scalarString(v)
				opts.fields = []string{f}
			case "fields":
				arr, ok := v.([]any)
				if !ok {
					return nil, errParsing("[query_string] query does not support [fields] as a value")
				}
				for _, x := range arr {
					f, _ := scalarString(x)
					opts.fields = append(opts.fields, f)
				}
			case "default_operator":
				op, _ := scalarString(v)
				switch strings.ToLower(op) {
				case "and":
					opts.and = true
				case "or":
				default:
					return nil, errIllegalArg("No enum constant org.elasticsearch.index.query.Operator.%s", strings.ToUpper(op))
				}
			case "lenient":
				b := v == true || v == "true"
				opts.lenient = &b
			case "boost", "_name", "analyze_wildcard", "allow_leading_wildcard", "auto_generate_synonyms_phrase_query",
				"enable_position_increments", "fuzziness", "fuzzy_max_expansions", "fuzzy_prefix_length", "fuzzy_transpositions",
				"max_determinized_states", "minimum_should_match", "phrase_slop", "rewrite", "time_zone", "type", "quote_field_suffix", "escape":
			case "analyzer", "quote_analyzer":
				return nil, errIllegalArg("estest does not implement [%s] in the [query_string] query", k)
			default:
				return nil, errParsing("[query_string] query does not support [%s]", k)
			}
		}
		if !hasText {
			return nil, errParsing("[query_string] must be provided with a [query]")
		}
		q := compileQueryString(text, opts)
		q.boost = boostOf(bo)
		return q, nil
	case "simple_query_string", "multi_match", "nested", "function_score", "script", "more_like_this":
		return nil, errIllegalArg("estest does not implement the [%s] query", name)
	}
	e := errParsing("unknown query [%s]", name)
	e.cause = newErr(400, "named_object_not_found_exception", fmt.Sprintf("[1:%d] unknown field [%s]", 1, name))
	return nil, e
}

// Get2Bool reads an optional boolean key.
func (o *Object) Get2Bool(k string) bool {
	v, _ := o.Get(k)
	return v == true || v == "true"
}

// ---- sorting ----

type sortSpec struct {
	field        string // field name, "_score", "_doc", "_shard_doc"
	desc         bool
	missingFirst bool
	missingVal   any
	unmappedType string
	mode         string
}

func parseSort(v any) ([]sortSpec, *esError) {
	var list []any
	switch t := v.(type) {
	case []any:
		list = t
	case nil:
		return nil, nil
	default:
		list = []any{t}
	}
	var out []sortSpec
	for _, x := range list {
		switch t := x.(type) {
		case string:
			sp := sortSpec{field: t}
			if t == "_score" {
				sp.desc = true
			}
			out = append(out, sp)
		case *Object:
			for i, k := range t.Keys {
				sp := sortSpec{field: k, desc: k == "_score"}
				switch ov := t.Vals[i].(type) {
				case string:
					switch strings.ToLower(ov) {
					case "asc":
						sp.desc = false
					case "desc":
						sp.desc = true
					default:
						return nil, errIllegalArg("Unknown SortOrder [%s]", ov)
					}
				case *Object:
					for j, ok := range ov.Keys {
						val := ov.Vals[j]
						switch ok {
						case "order":
							s, _ := val.(string)
							switch strings.ToLower(s) {
							case "asc":
								sp.desc = false
							case "desc":
								sp.desc = true
							default:
								return nil, errIllegalArg("Unknown SortOrder [%s]", s)
							}
						case "missing":
							switch val {
							case "_first":
								sp.missingFirst = true
							case "_last":
							default:
								sp.missingVal = val
							}
						case "unmapped_type":
							sp.unmappedType, _ = val.(string)
						case "mode":
							sp.mode, _ = val.(string)
						case "format", "numeric_type", "nested":
						default:
							return nil, errParsing("[field_sort] unknown field [%s]", ok)
						}
					}
				default:
					return nil, errParsing("[sort] malformed sort for field [%s]", k)
				}
				out = append(out, sp)
			}
		default:
			return nil, errParsing("[sort] malformed")
		}
	}
	return out, nil
}

// parseSortParam reads the URL form "f1:asc,f2".
func parseSortParam(s string) []sortSpec {
	var out []sortSpec
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		kv := strings.SplitN(part, ":", 2)
		sp := sortSpec{field: kv[0], desc: kv[0] == "_score"}
		if len(kv) == 2 {
			sp.desc = kv[1] == "desc"
		}
		out = append(out, sp)
	}
	return out
}

// sortVal is one sort key of a hit.
type sortVal struct {
	kind  int // 0 number, 1 string, 2 missing
	n     float64
	i     int64
	isInt bool
	s     string
}

func (a sortVal) cmp(b sortVal) int {
	if a.kind != b.kind {
		return a.kind - b.kind
	}
	switch a.kind {
	case 0:
		if a.isInt && b.isInt {
			switch {
			case a.i < b.i:
				return -1
			case a.i > b.i:
				return 1
			}
			return 0
		}
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	case 1:
		return strings.Compare(a.s, b.s)
	}
	return 0
}

func (a sortVal) json() any {
	switch a.kind {
	case 0:
		if a.isInt {
			return a.i
		}
		return a.n
	case 1:
		return a.s
	}
	return nil
}

// checkSortable validates the sort fields against the mappings, as the query phase does.
func checkSortable(specs []sortSpec, ixs []*index) *esError {
	for _, sp := range specs {
		if sp.field == "_score" || sp.field == "_doc" || sp.field == "_shard_doc" || sp.field == "_id" || sp.field == "_index" {
			continue
		}
		for _, ix := range ixs {
			f, ok := resolveRef(ix, sp.field)
			if !ok {
				if sp.unmappedType != "" {
					continue
				}
				return searchPhaseError(ix.name, queryShardErr("No mapping found for ["+sp.field+"] in order to sort on"))
			}
			if isTextType(f.fm.typ) {
				if f.fm.params != nil && f.fm.params.Get2Bool("fielddata") {
					continue
				}
				return searchPhaseError(ix.name, errIllegalArg("Fielddata is disabled on [%s] in [%s]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", sp.field, ix.name, sp.field))
			}
			if f.fm.isObject() {
				return searchPhaseError(ix.name, errIllegalArg("Field [%s] of type [object] is not supported for sorting", sp.field))
			}
		}
	}
	return nil
}

// sortKey computes one sort value of a hit.
func sortKey(sp sortSpec, c *evalCtx, score float64, shardDoc int64) sortVal {
	switch sp.field {
	case "_score":
		return sortVal{kind: 0, n: score}
	case "_doc", "_shard_doc":
		return sortVal{kind: 0, i: shardDoc, isInt: true, n: float64(shardDoc)}
	}
	f, ok := resolveRef(c.ix, sp.field)
	typ := sp.unmappedType
	var ts []term
	if ok {
		typ = f.fm.typ
		ts = c.terms(f)
		if isTextType(typ) {
			ts = nil
			for _, v := range c.rawValues(f) {
				for _, t := range analyze(fmt.Sprint(toGo(v))) {
					ts = append(ts, term{s: t})
				}
			}
		}
	}
	numeric := isNumericType(typ) || typ == "date" || typ == "date_nanos" || typ == "boolean"
	intLike := isIntegerType(typ) || typ == "date" || typ == "date_nanos" || typ == "boolean"
	if len(ts) == 0 {
		if sp.missingVal != nil {
			if numeric {
				fv, _ := asFloat(sp.missingVal)
				return sortVal{kind: 0, n: fv, i: int64(fv), isInt: intLike}
			}
			s, _ := scalarString(sp.missingVal)
			return sortVal{kind: 1, s: s}
		}
		first := sp.missingFirst != sp.desc // missing sorts last in the requested direction by default
		if numeric {
			if intLike {
				if first {
					return sortVal{kind: 0, i: math.MinInt64, isInt: true, n: math.Inf(-1)}
				}
				return sortVal{kind: 0, i: math.MaxInt64, isInt: true, n: math.Inf(1)}
			}
			if first {
				return sortVal{kind: 0, n: math.Inf(-1)}
			}
			return sortVal{kind: 0, n: math.Inf(1)}
		}
		if first {
			return sortVal{kind: -1}
		}
		return sortVal{kind: 2}
	}
	pick := 0
	for i := range ts {
		less := func(a, b term) bool {
			if a.num {
				return a.n < b.n
			}
			return a.s < b.s
		}
		if sp.desc || sp.mode == "max" {
			if less(ts[pick], ts[i]) && sp.mode != "min" {
				pick = i
			}
		} else if less(ts[i], ts[pick]) {
			pick = i
		}
	}
	t := ts[pick]
	if typ == "boolean" {
		if t.s == "true" {
			return sortVal{kind: 0, i: 1, n: 1, isInt: true}
		}
		return sortVal{kind: 0, i: 0, isInt: true}
	}
	if t.num {
		return sortVal{kind: 0, n: t.n, i: int64(t.n), isInt: intLike}
	}
	return sortVal{kind: 1, s: t.s}
}

// searchAfterVal converts a client-given search_after value to the type of a computed key.
func searchAfterVal(v any, like sortVal) sortVal {
	switch t := v.(type) {
	case nil:
		if like.kind == -1 {
			return sortVal{kind: -1}
		}
		return sortVal{kind: 2}
	case string:
		if like.kind == 0 {
			if t == "Infinity" {
				return sortVal{kind: 0, n: math.Inf(1)}
			}
			if t == "-Infinity" {
				return sortVal{kind: 0, n: math.Inf(-1)}
			}
			if ms, ok := parseISODate(t, false); ok && like.isInt {
				return sortVal{kind: 0, i: ms, n: float64(ms), isInt: true}
			}
			f, _ := strconv.ParseFloat(t, 64)
			return sortVal{kind: 0, n: f, i: int64(f), isInt: like.isInt}
		}
		return sortVal{kind: 1, s: t}
	case bool:
		if t {
			return sortVal{kind: 0, i: 1, n: 1, isInt: true}
		}
		return sortVal{kind: 0, isInt: true}
	}
	if n, ok := v.(Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return sortVal{kind: 0, i: i, n: float64(i), isInt: like.isInt || like.kind != 0}
		}
		f, _ := strconv.ParseFloat(string(n), 64)
		return sortVal{kind: 0, n: f, i: int64(f), isInt: like.isInt && f == math.Trunc(f)}
	}
	s, _ := scalarString(v)
	return sortVal{kind: 1, s: s}
}

func compareKeys(a, b []sortVal, specs []sortSpec) int {
	for i := range a {
		c := a[i].cmp(b[i])
		if c != 0 {
			if i < len(specs) && specs[i].desc {
				return -c
			}
			return c
		}
	}
	return 0
}

var _ = sort.Slice

// validator is a query that can only be checked against an index's
// mapping (a query string's fields, its parse errors): Elasticsearch
// reports those as shard failures.
type validator interface {
	validate(ix *index) *esError
}

// validateQuery checks a compiled query against one index.
func validateQuery(q query, ix *index) *esError {
	switch t := q.(type) {
	case validator:
		return t.validate(ix)
	case boolQ:
		for _, list := range [][]query{t.must, t.filter, t.should, t.mustNot} {
			for _, c := range list {
				if e := validateQuery(c, ix); e != nil {
					return e
				}
			}
		}
	case constQ:
		return validateQuery(t.inner, ix)
	}
	return nil
}

// uriQuery is the q= parameter of _search, _count and _delete_by_query,
// with its df, default_operator and lenient parameters.
func uriQuery(rq *request) (query, *esError) {
	text := rq.param("q")
	var opts qsOptions
	if df := rq.param("df"); df != "" {
		opts.fields = []string{df}
	}
	switch op := strings.ToLower(rq.param("default_operator")); op {
	case "", "or":
	case "and":
		opts.and = true
	default:
		return nil, errIllegalArg("No enum constant org.elasticsearch.index.query.Operator.%s", strings.ToUpper(op))
	}
	if rq.has("lenient") {
		b, e := rq.boolParam("lenient", false)
		if e != nil {
			return nil, e
		}
		opts.lenient = &b
	}
	return compileQueryString(text, opts), nil
}
