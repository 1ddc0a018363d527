package estest

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// fieldMapping is one node of an index mapping: an object (props) or a leaf field (typ).
type fieldMapping struct {
	typ     string // "" or "object" for objects, "nested", or a leaf type
	props   map[string]*fieldMapping
	fields  map[string]*fieldMapping // multi-fields of a leaf
	dynamic string                   // "", "true", "false", "strict", "runtime"
	enabled *bool
	params  *Object // every other mapping parameter, in the order given
}

func (m *fieldMapping) isObject() bool {
	return m.typ == "" || m.typ == "object" || m.typ == "nested"
}

// knownTypes are the field types estest accepts in mappings. Values of types it does not model
// (geo, vectors, ranges...) are stored but not validated or searchable beyond exists.
var knownTypes = map[string]bool{
	"object": true, "nested": true, "flattened": true, "text": true, "keyword": true, "constant_keyword": true,
	"wildcard": true, "match_only_text": true, "long": true, "integer": true, "short": true, "byte": true,
	"double": true, "float": true, "half_float": true, "scaled_float": true, "unsigned_long": true,
	"date": true, "date_nanos": true, "boolean": true, "binary": true, "ip": true, "geo_point": true,
	"geo_shape": true, "point": true, "shape": true, "completion": true, "search_as_you_type": true,
	"dense_vector": true, "sparse_vector": true, "rank_feature": true, "rank_features": true,
	"semantic_text": true, "integer_range": true, "long_range": true, "float_range": true,
	"double_range": true, "date_range": true, "ip_range": true, "alias": true, "version": true,
	"histogram": true, "token_count": true, "percolator": true, "join": true, "annotated_text": true,
}

func newObjectMapping() *fieldMapping {
	return &fieldMapping{props: map[string]*fieldMapping{}}
}

// parseMapping builds a mapping tree from its JSON form. path names the field for error messages.
func parseMapping(o *Object, path string, root bool) (*fieldMapping, *esError) {
	m := &fieldMapping{params: &Object{}}
	if t, ok := o.Get("type"); ok {
		s, _ := t.(string)
		if !knownTypes[s] {
			return nil, mapperParsing(unknownTypeMessage(s, path))
		}
		m.typ = s
	}
	for i, k := range o.Keys {
		v := o.Vals[i]
		switch k {
		case "type":
		case "properties":
			po, ok := v.(*Object)
			if !ok {
				return nil, mapperParsing("Expected map for property [properties] on field [" + path + "] but got a class java.lang.String")
			}
			if m.typ != "" && !m.isObject() {
				// Leaf fields do not take properties; Elasticsearch complains about the unknown parameter.
				return nil, mapperParsing(fmt.Sprintf("unknown parameter [properties] on mapper [%s] of type [%s]", path, m.typ))
			}
			m.props = map[string]*fieldMapping{}
			for j, name := range po.Keys {
				co, ok := po.Vals[j].(*Object)
				if !ok {
					return nil, mapperParsing("Expected map for property [fields] on field [" + name + "] but got a class java.lang.String")
				}
				full := name
				if path != "" && !root {
					full = path + "." + name
				}
				c, err := parseMapping(co, full, false)
				if err != nil {
					return nil, err
				}
				if strings.Contains(name, ".") {
					// "a.b" in properties means object a with field b.
					parts := strings.Split(name, ".")
					cur := m
					for _, p := range parts[:len(parts)-1] {
						n := cur.props[p]
						if n == nil {
							n = newObjectMapping()
							cur.props[p] = n
						}
						if n.props == nil {
							n.props = map[string]*fieldMapping{}
						}
						cur = n
					}
					cur.props[parts[len(parts)-1]] = c
					continue
				}
				m.props[name] = c
			}
		case "fields":
			fo, ok := v.(*Object)
			if !ok {
				return nil, mapperParsing("Expected map for property [fields] on field [" + path + "]")
			}
			m.fields = map[string]*fieldMapping{}
			for j, name := range fo.Keys {
				co, _ := fo.Vals[j].(*Object)
				if co == nil {
					return nil, mapperParsing("Expected map for property [fields] on field [" + name + "]")
				}
				c, err := parseMapping(co, path+"."+name, false)
				if err != nil {
					return nil, err
				}
				m.fields[name] = c
			}
		case "dynamic":
			switch t := v.(type) {
			case bool:
				m.dynamic = strconv.FormatBool(t)
			case string:
				switch strings.ToLower(t) {
				case "true", "false", "strict", "runtime":
					m.dynamic = strings.ToLower(t)
				default:
					return nil, mapperParsing(fmt.Sprintf("Unable to parse value for dynamic: [%s], expected one of [true, false, strict, runtime]", t))
				}
			}
		case "enabled":
			b, ok := v.(bool)
			if s, isStr := v.(string); isStr {
				b, ok = s == "true", s == "true" || s == "false"
			}
			if ok {
				m.enabled = &b
			}
		default:
			m.params.Set(k, v)
		}
	}
	if m.isObject() && m.props == nil && m.typ != "flattened" {
		m.props = map[string]*fieldMapping{}
	}
	return m, nil
}

func mapperParsing(reason string) *esError {
	inner := newErr(400, "mapper_parsing_exception", reason)
	e := newErr(400, "mapper_parsing_exception", "Failed to parse mapping: "+reason)
	e.cause = inner
	e.rootCause = []*esError{inner}
	return e
}

// render returns the JSON form Elasticsearch shows for this node.
func (m *fieldMapping) render(root bool) *Object {
	o := &Object{}
	if m.isObject() && !root {
		if m.typ == "nested" || len(m.props) == 0 {
			o.Set("type", nonEmpty(m.typ, "object"))
		}
	} else if !m.isObject() {
		o.Set("type", m.typ)
	}
	if m.dynamic != "" {
		o.Set("dynamic", m.dynamic)
	}
	if m.enabled != nil {
		o.Set("enabled", *m.enabled)
	}
	if m.params != nil {
		for i, k := range m.params.Keys {
			o.Set(k, m.params.Vals[i])
		}
	}
	if len(m.fields) > 0 {
		f := &Object{}
		for _, k := range sortedKeys(m.fields) {
			f.Set(k, m.fields[k].render(false))
		}
		o.Set("fields", f)
	}
	if len(m.props) > 0 {
		p := &Object{}
		for _, k := range sortedKeys(m.props) {
			p.Set(k, m.props[k].render(false))
		}
		o.Set("properties", p)
	}
	return o
}

func nonEmpty(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (m *fieldMapping) clone() *fieldMapping {
	if m == nil {
		return nil
	}
	n := *m
	if m.props != nil {
		n.props = make(map[string]*fieldMapping, len(m.props))
		for k, v := range m.props {
			n.props[k] = v.clone()
		}
	}
	if m.fields != nil {
		n.fields = make(map[string]*fieldMapping, len(m.fields))
		for k, v := range m.fields {
			n.fields[k] = v.clone()
		}
	}
	if m.params != nil {
		n.params, _ = clone(m.params).(*Object)
	}
	return &n
}

// merge applies a put-mapping update in place, refusing type changes as Elasticsearch does.
func (m *fieldMapping) merge(u *fieldMapping, path string) *esError {
	if u.dynamic != "" {
		m.dynamic = u.dynamic
	}
	if u.enabled != nil {
		m.enabled = u.enabled
	}
	if u.params != nil {
		if m.params == nil {
			m.params = &Object{}
		}
		for i, k := range u.params.Keys {
			m.params.Set(k, u.params.Vals[i])
		}
	}
	for name, c := range u.props {
		full := joinPath(path, name)
		cur, ok := m.props[name]
		if !ok {
			if m.props == nil {
				m.props = map[string]*fieldMapping{}
			}
			m.props[name] = c
			continue
		}
		if cur.isObject() != c.isObject() || (!cur.isObject() && cur.typ != c.typ) {
			from, to := nonEmpty(cur.typ, "object"), nonEmpty(c.typ, "object")
			if cur.isObject() && !c.isObject() {
				return errIllegalArg("can't merge a non object mapping [%s] with an object mapping", full)
			}
			if !cur.isObject() && c.isObject() {
				return errIllegalArg("can't merge a non object mapping [%s] with an object mapping", full)
			}
			return errIllegalArg("mapper [%s] cannot be changed from type [%s] to [%s]", full, from, to)
		}
		if err := cur.merge(c, full); err != nil {
			return err
		}
		for fname, fm := range c.fields {
			if cur.fields == nil {
				cur.fields = map[string]*fieldMapping{}
			}
			if old, ok := cur.fields[fname]; ok && old.typ != fm.typ {
				return errIllegalArg("mapper [%s.%s] cannot be changed from type [%s] to [%s]", full, fname, old.typ, fm.typ)
			}
			cur.fields[fname] = fm
		}
	}
	return nil
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// resolveField finds the mapping of a (possibly multi-field) path and the source path its values
// come from. ok is false when the field is not mapped, hence not searchable.
func (m *fieldMapping) resolveField(path string) (fm *fieldMapping, srcPath string, ok bool) {
	parts := strings.Split(path, ".")
	cur := m
	for i := 0; i < len(parts); i++ {
		if cur.isObject() {
			if cur.enabled != nil && !*cur.enabled {
				return nil, "", false
			}
			next, found := cur.props[parts[i]]
			if !found {
				return nil, "", false
			}
			cur = next
			continue
		}
		// a leaf with remaining parts: multi-field
		sub, found := cur.fields[strings.Join(parts[i:], ".")]
		if !found {
			return nil, "", false
		}
		return sub, strings.Join(parts[:i], "."), true
	}
	return cur, path, true
}

// ---- dynamic mapping and value validation ----

// docParser walks one document against the mapping, validating values and collecting the dynamic
// mapping additions, which are applied only if the whole document is accepted.
type docParser struct {
	s       *Server
	ix      *index
	id      string
	src     []byte
	offs    []int
	oi      int
	pending []pendingField
	dateDet bool
}

type pendingField struct {
	parent *fieldMapping
	name   string
	m      *fieldMapping
}

func (p *docParser) docDesc() string {
	if p.id == "" {
		return "a document with no id"
	}
	return "document with id '" + p.id + "'"
}

func (p *docParser) fail(off int, typ, msg string, cause *esError) *esError {
	if !p.s.docParsingException() {
		if typ == "document_parsing_exception" {
			typ = "mapper_parsing_exception"
		}
		return newErr(400, typ, msg).withCause(cause)
	}
	l, c := lineCol(p.src, off)
	return newErr(400, typ, fmt.Sprintf("[%d:%d] %s", l, c, msg)).withCause(cause)
}

func (p *docParser) nextOff() int {
	if p.oi < len(p.offs) {
		o := p.offs[p.oi]
		p.oi++
		return o
	}
	return 0
}

// skip advances the offset cursor over a value's subtree.
func (p *docParser) skip(v any) {
	p.oi++
	switch t := v.(type) {
	case *Object:
		for _, c := range t.Vals {
			p.skip(c)
		}
	case []any:
		for _, c := range t {
			p.skip(c)
		}
	}
}

func effectiveDynamic(m *fieldMapping, inherited string) string {
	if m.dynamic != "" {
		return m.dynamic
	}
	return inherited
}

func (p *docParser) child(parent *fieldMapping, parentPath, name string) *fieldMapping {
	if c, ok := parent.props[name]; ok {
		return c
	}
	for _, pf := range p.pending {
		if pf.parent == parent && pf.name == name {
			return pf.m
		}
	}
	return nil
}

func (p *docParser) add(parent *fieldMapping, name string, m *fieldMapping) {
	if parent.isNew() {
		parent.props[name] = m
		return
	}
	p.pending = append(p.pending, pendingField{parent, name, m})
}

// newMark flags object mappings created during this document (not yet attached), whose children can
// be added directly.
const newMark = "\x00new"

func (m *fieldMapping) isNew() bool { return m.typ == newMark }

func (p *docParser) parseObject(o *Object, m *fieldMapping, path, dyn string) *esError {
	dyn = effectiveDynamic(m, dyn)
	for i, key := range o.Keys {
		v := o.Vals[i]
		if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
			off := p.nextOff()
			if key == "" {
				return p.fail(off, "document_parsing_exception", "field name cannot be an empty string", nil)
			}
			return p.fail(off, "document_parsing_exception", "field name cannot contain only whitespace: ['"+key+"']", nil)
		}
		if path == "" && isMetadataField(key) {
			off := p.nextOff()
			return p.fail(off, "document_parsing_exception",
				"Field ["+key+"] is a metadata field and cannot be added inside a document. Use the index API request parameters.", nil)
		}
		parts := strings.Split(key, ".")
		cur, curPath, curDyn := m, path, dyn
		skip := false
		for _, part := range parts[:len(parts)-1] {
			c := p.child(cur, curPath, part)
			if c == nil {
				switch curDyn {
				case "strict":
					return p.fail(p.offs[min(p.oi, len(p.offs)-1)], "strict_dynamic_mapping_exception",
						fmt.Sprintf("mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", part, nonEmpty(curPath, "_doc")), nil)
				case "false", "runtime":
					skip = true
				default:
					c = &fieldMapping{typ: newMark, props: map[string]*fieldMapping{}}
					p.add(cur, part, c)
				}
			} else if !c.isObject() && !c.isNew() {
				off := p.nextOff()
				return p.fail(off, "document_parsing_exception",
					fmt.Sprintf("Could not dynamically add mapping for field [%s]. Existing mapping for [%s] must be of type object but found [%s].", joinPath(path, key), joinPath(curPath, part), c.typ), nil)
			}
			if skip {
				break
			}
			if c.enabled != nil && !*c.enabled {
				skip = true
				break
			}
			cur, curPath, curDyn = c, joinPath(curPath, part), effectiveDynamic(c, curDyn)
		}
		if skip {
			p.skip(v)
			continue
		}
		if err := p.parseValue(cur, curPath, parts[len(parts)-1], v, curDyn); err != nil {
			return err
		}
	}
	return nil
}

func isMetadataField(k string) bool {
	switch k {
	case "_id", "_index", "_routing", "_source", "_seq_no", "_primary_term", "_version", "_field_names",
		"_ignored", "_nested_path", "_data_stream_timestamp", "_tier", "_doc_count", "_feature":
		return true
	}
	return false
}

func (p *docParser) parseValue(parent *fieldMapping, parentPath, name string, v any, dyn string) *esError {
	full := joinPath(parentPath, name)
	if arr, ok := v.([]any); ok {
		p.oi++ // the array itself
		for _, e := range arr {
			if err := p.parseValue(parent, parentPath, name, e, dyn); err != nil {
				return err
			}
		}
		return nil
	}
	m := p.child(parent, parentPath, name)
	if v == nil {
		p.oi++
		return nil
	}
	if m == nil {
		switch dyn {
		case "strict":
			off := p.nextOff()
			return p.fail(off, "strict_dynamic_mapping_exception",
				fmt.Sprintf("mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", name, nonEmpty(parentPath, "_doc")), nil)
		case "false", "runtime":
			p.skip(v)
			return nil
		}
		if o, ok := v.(*Object); ok {
			nm := &fieldMapping{typ: newMark, props: map[string]*fieldMapping{}}
			p.add(parent, name, nm)
			p.oi++
			return p.parseObject(o, nm, full, dyn)
		}
		m = p.inferLeaf(v)
		p.add(parent, name, m)
		p.oi++
		return nil
	}
	if o, ok := v.(*Object); ok {
		if m.isObject() || m.isNew() {
			p.oi++
			if m.enabled != nil && !*m.enabled {
				for _, c := range o.Vals {
					p.skip(c)
				}
				return nil
			}
			return p.parseObject(o, m, full, dyn)
		}
		if m.typ == "flattened" || m.typ == "geo_point" || m.typ == "geo_shape" || strings.HasSuffix(m.typ, "_range") ||
			m.typ == "join" || m.typ == "percolator" || m.typ == "sparse_vector" || m.typ == "rank_features" ||
			m.typ == "completion" || m.typ == "histogram" || m.typ == "shape" || m.typ == "point" || m.typ == "semantic_text" {
			p.skip(v)
			return nil
		}
		off := p.nextOff()
		for _, c := range o.Vals {
			p.skip(c)
		}
		return p.fail(off, "document_parsing_exception",
			fmt.Sprintf("failed to parse field [%s] of type [%s] in %s. Preview of field's value: '%s'", full, m.typ, p.docDesc(), javaMapString(o)),
			newErr(400, "illegal_state_exception", "Can't get text on a START_OBJECT at "+p.locString(off)))
	}
	off := p.nextOff()
	if m.isObject() || m.isNew() {
		if m.enabled != nil && !*m.enabled {
			return nil
		}
		return p.fail(off, "document_parsing_exception",
			fmt.Sprintf("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", full, name), nil)
	}
	if cause := checkValue(m, v); cause != nil {
		preview, _ := scalarString(v)
		return p.fail(off, "document_parsing_exception",
			fmt.Sprintf("failed to parse field [%s] of type [%s] in %s. Preview of field's value: '%s'", full, m.typ, p.docDesc(), preview), cause)
	}
	return nil
}

func (p *docParser) locString(off int) string {
	l, c := lineCol(p.src, off)
	return fmt.Sprintf("%d:%d", l, c)
}

// inferLeaf picks the dynamic type of a new field the way Elasticsearch's default dynamic mapping does.
func (p *docParser) inferLeaf(v any) *fieldMapping {
	switch t := v.(type) {
	case bool:
		return &fieldMapping{typ: "boolean"}
	case Number:
		if strings.ContainsAny(string(t), ".eE") {
			return &fieldMapping{typ: "float"}
		}
		if _, err := strconv.ParseInt(string(t), 10, 64); err != nil {
			return &fieldMapping{typ: "float"}
		}
		return &fieldMapping{typ: "long"}
	case string:
		if p.dateDet {
			if _, ok := parseISODate(t, true); ok {
				return &fieldMapping{typ: "date"}
			}
		}
		return &fieldMapping{typ: "text", fields: map[string]*fieldMapping{
			"keyword": {typ: "keyword", params: newObj("ignore_above", 256)},
		}}
	}
	return &fieldMapping{typ: "keyword"}
}

// commit attaches the dynamic additions, fixing the temporary markers.
func (p *docParser) commit() bool {
	if len(p.pending) == 0 {
		return false
	}
	for _, pf := range p.pending {
		unmark(pf.m)
		if pf.parent.props == nil {
			pf.parent.props = map[string]*fieldMapping{}
		}
		pf.parent.props[pf.name] = pf.m
	}
	return true
}

func unmark(m *fieldMapping) {
	if m.typ == newMark {
		m.typ = ""
	}
	for _, c := range m.props {
		unmark(c)
	}
}

// checkValue validates a scalar against a leaf type, returning the cause Elasticsearch reports.
func checkValue(m *fieldMapping, v any) *esError {
	s, _ := scalarString(v)
	switch m.typ {
	case "long", "integer", "short", "byte", "unsigned_long":
		if _, isBool := v.(bool); isBool {
			return newErr(400, "x_content_parse_exception", "Current token (VALUE_"+strings.ToUpper(s)+") not numeric, can not use numeric value accessors")
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return newErr(400, "illegal_argument_exception", "For input string: \""+s+"\"")
		}
		lo, hi := intRange(m.typ)
		if f < lo || f > hi || math.IsInf(f, 0) {
			if m.typ == "long" {
				bf, _ := new(big.Float).SetString(strings.TrimSpace(s))
				if bf != nil {
					if i, acc := bf.Int(nil); acc == big.Exact || i != nil {
						if i.IsInt64() {
							return nil
						}
					}
				}
			}
			return newErr(400, "illegal_argument_exception", fmt.Sprintf("Value [%s] is out of range for %s %s", s, article(m.typ), aType(m.typ)))
		}
	case "double", "float", "half_float", "scaled_float":
		if _, isBool := v.(bool); isBool {
			return newErr(400, "x_content_parse_exception", "Current token (VALUE_"+strings.ToUpper(s)+") not numeric, can not use numeric value accessors")
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return newErr(400, "number_format_exception", "For input string: \""+s+"\"")
		}
		if math.IsInf(f, 0) || math.IsNaN(f) || (m.typ == "float" && math.Abs(f) > math.MaxFloat32) {
			return newErr(400, "illegal_argument_exception", "[float] supports only finite values, but got ["+s+"]")
		}
	case "boolean":
		switch t := v.(type) {
		case bool:
		case string:
			if t != "true" && t != "false" && t != "" {
				return newErr(400, "illegal_argument_exception", "Failed to parse value ["+t+"] as only [true] or [false] are allowed.")
			}
		default:
			return newErr(400, "illegal_argument_exception", "Failed to parse value ["+s+"] as only [true] or [false] are allowed.")
		}
	case "date", "date_nanos":
		format := m.format()
		if _, ok := parseDateFormat(v, format); !ok {
			c := newErr(400, "illegal_argument_exception", fmt.Sprintf("failed to parse date field [%s] with format [%s]", s, format))
			return c.withCause(newErr(400, "date_time_parse_exception", fmt.Sprintf("Text '%s' could not be parsed at index 0", s)))
		}
	case "ip":
		if !validIP(s) {
			return newErr(400, "illegal_argument_exception", "'"+s+"' is not an IP string literal.")
		}
	}
	return nil
}

func intRange(t string) (float64, float64) {
	switch t {
	case "integer":
		return math.MinInt32, math.MaxInt32
	case "short":
		return math.MinInt16, math.MaxInt16
	case "byte":
		return math.MinInt8, math.MaxInt8
	case "unsigned_long":
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}

func article(t string) string {
	if t == "integer" {
		return "an"
	}
	return "a"
}

func aType(t string) string {
	if t == "unsigned_long" {
		return "unsigned long"
	}
	return t
}

func validIP(s string) bool {
	if strings.Count(s, ".") == 3 {
		for _, part := range strings.Split(s, ".") {
			n, err := strconv.Atoi(part)
			if err != nil || n < 0 || n > 255 {
				return false
			}
		}
		return true
	}
	return strings.Contains(s, ":")
}

func (m *fieldMapping) format() string {
	if m.params != nil {
		if f, ok := m.params.Get("format"); ok {
			if s, ok := f.(string); ok {
				return s
			}
		}
	}
	return "strict_date_optional_time||epoch_millis"
}

func (m *fieldMapping) ignoreAbove() int {
	if m.params != nil {
		if v, ok := m.params.Get("ignore_above"); ok {
			if n, ok := asInt(v); ok {
				return int(n)
			}
		}
	}
	return math.MaxInt
}

// ---- analysis ----

// analyze approximates the standard analyzer: Unicode word tokens, lower-cased.
func analyze(s string) []string {
	var toks []string
	rs := []rune(s)
	isWord := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)
	}
	for i := 0; i < len(rs); {
		if !isWord(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) {
			if isWord(rs[j]) {
				j++
				continue
			}
			// letters joined by . ' : and digits joined by . , stay one token (UAX#29 mid-word rules)
			if j+1 < len(rs) && j > i {
				prev, next := rs[j-1], rs[j+1]
				switch rs[j] {
				case '.', '\'', '’':
					if (unicode.IsLetter(prev) && unicode.IsLetter(next)) || (unicode.IsDigit(prev) && unicode.IsDigit(next)) {
						j++
						continue
					}
				case ':':
					if unicode.IsLetter(prev) && unicode.IsLetter(next) {
						j++
						continue
					}
				case ',', ';':
					if unicode.IsDigit(prev) && unicode.IsDigit(next) {
						j++
						continue
					}
				}
			}
			break
		}
		tok := strings.ToLower(string(rs[i:j]))
		if len(tok) <= 255 {
			toks = append(toks, tok)
		}
		i = j
	}
	return toks
}

func isTextType(t string) bool {
	return t == "text" || t == "match_only_text" || t == "search_as_you_type" || t == "annotated_text" || t == "semantic_text"
}

func isNumericType(t string) bool {
	switch t {
	case "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long", "token_count":
		return true
	}
	return false
}

func isIntegerType(t string) bool {
	switch t {
	case "long", "integer", "short", "byte", "unsigned_long", "token_count":
		return true
	}
	return false
}

// unknownTypeMessage is Elasticsearch 9's wording (seen on a 9.5 node) for
// a mapping type no plugin provides.
func unknownTypeMessage(typ, field string) string {
	return fmt.Sprintf("The mapper type [%s] declared on field [%s] does not exist. It might have been created within a future version or requires a plugin to be installed. Check the documentation.", typ, field)
}
