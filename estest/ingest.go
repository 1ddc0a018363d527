package estest

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

type pipeline struct {
	id     string
	def    *Object
	procs  []*processor
	onFail []*processor
}

type processor struct {
	typ           string
	tag           string
	cond          *condition
	ignoreFailure bool
	onFailure     []*processor
	cfg           *Object
	re            *regexp.Regexp
	// spaceRuns marks a gsub of `\s+`, the default connector pipeline's white-space squeeze, which
	// runs on every document: done by hand it costs a tenth of the regular expression.
	spaceRuns bool
	// literal is a gsub pattern without any regular-expression syntax (the default pipeline's
	// U+FFFD removal), replaced with strings.ReplaceAll; "" otherwise.
	literal  string
	pipeName string
}

// condition is the small Painless subset estest evaluates in "if": ctx paths compared with
// == or != to a literal, and bare ctx paths for truthiness.
type condition struct {
	path []string
	op   string
	lit  any
	src  string
}

var condRe = regexp.MustCompile(`^\s*ctx((?:\??\.[A-Za-z_@][A-Za-z0-9_@]*)+)\s*(?:(==|!=)\s*(.+?))?\s*$`)

func parseCondition(src string) (*condition, *esError) {
	m := condRe.FindStringSubmatch(src)
	if m == nil {
		return nil, newErr(400, "script_exception", "estest cannot evaluate the ingest condition ["+src+"]; it supports ctx paths compared with == or != to a literal")
	}
	c := &condition{src: src, op: m[2]}
	for _, p := range strings.Split(strings.ReplaceAll(m[1], "?.", "."), ".") {
		if p != "" {
			c.path = append(c.path, p)
		}
	}
	if c.op != "" {
		lit := strings.TrimSpace(m[3])
		switch {
		case lit == "true":
			c.lit = true
		case lit == "false":
			c.lit = false
		case lit == "null":
			c.lit = nil
		case len(lit) >= 2 && (lit[0] == '\'' || lit[0] == '"') && lit[len(lit)-1] == lit[0]:
			c.lit = lit[1 : len(lit)-1]
		default:
			if _, err := strconv.ParseFloat(lit, 64); err != nil {
				return nil, newErr(400, "script_exception", "estest cannot evaluate the ingest condition ["+src+"]")
			}
			c.lit = Number(lit)
		}
	}
	return c, nil
}

func (c *condition) eval(doc *Object) bool {
	var v any = doc
	for _, p := range c.path {
		o, ok := v.(*Object)
		if !ok {
			v = nil
			break
		}
		v, _ = o.Get(p)
	}
	switch c.op {
	case "==":
		return jsonEqual(v, c.lit)
	case "!=":
		return !jsonEqual(v, c.lit)
	}
	b, ok := v.(bool)
	return ok && b
}

var processorTypes = map[string]bool{"set": true, "remove": true, "rename": true, "lowercase": true, "uppercase": true,
	"trim": true, "gsub": true, "append": true, "attachment": true, "drop": true, "fail": true, "pipeline": true}

// knownButUnsupported are real processor types estest refuses, so a pipeline that needs them fails loudly.
var knownButUnsupported = map[string]bool{"grok": true, "date": true, "script": true, "json": true, "convert": true,
	"split": true, "join": true, "foreach": true, "dissect": true, "kv": true, "html_strip": true, "inference": true,
	"enrich": true, "geoip": true, "user_agent": true, "urldecode": true, "csv": true, "dot_expander": true,
	"bytes": true, "community_id": true, "fingerprint": true, "network_direction": true, "registered_domain": true,
	"sort": true, "uri_parts": true, "circle": true, "date_index_name": true, "set_security_user": true, "reroute": true,
	"redact": true, "terminate": true}

func missingProp(typ, prop string) *esError {
	e := newErr(400, "parse_exception", "["+prop+"] required property is missing")
	e.extra = newObj("property_name", prop, "processor_type", typ)
	return e
}

func parseProcessors(v any) ([]*processor, *esError) {
	arr, ok := v.([]any)
	if !ok {
		return nil, newErr(400, "parse_exception", "[processors] property isn't a list, but of type ["+tokenName(v)+"]")
	}
	var out []*processor
	for _, x := range arr {
		o, ok := x.(*Object)
		if !ok || o.Len() != 1 {
			return nil, newErr(400, "parse_exception", "processor must be an object with exactly one key")
		}
		typ := o.Keys[0]
		cfg, _ := o.Vals[0].(*Object)
		if cfg == nil {
			return nil, newErr(400, "parse_exception", "["+typ+"] processor configuration must be an object")
		}
		if !processorTypes[typ] {
			if knownButUnsupported[typ] {
				e := newErr(400, "parse_exception", "estest does not implement the ["+typ+"] processor")
				e.extra = newObj("processor_type", typ)
				return nil, e
			}
			e := newErr(400, "parse_exception", "No processor type exists with name ["+typ+"]")
			e.extra = newObj("header", newObj("processor_type", typ))
			return nil, e
		}
		p := &processor{typ: typ, cfg: cfg, tag: cfg.str("tag"), ignoreFailure: cfg.Get2Bool("ignore_failure")}
		if c := cfg.str("if"); c != "" {
			cond, e := parseCondition(c)
			if e != nil {
				return nil, e
			}
			p.cond = cond
		}
		if of, ok := cfg.Get("on_failure"); ok {
			h, e := parseProcessors(of)
			if e != nil {
				return nil, e
			}
			p.onFailure = h
		}
		needs := map[string][]string{"set": {"field"}, "remove": {"field"}, "rename": {"field", "target_field"},
			"lowercase": {"field"}, "uppercase": {"field"}, "trim": {"field"}, "gsub": {"field", "pattern", "replacement"},
			"append": {"field", "value"}, "attachment": {"field"}, "fail": {"message"}, "pipeline": {"name"}}
		for _, prop := range needs[typ] {
			if !cfg.Has(prop) {
				return nil, missingProp(typ, prop)
			}
		}
		if typ == "set" && !cfg.Has("value") && !cfg.Has("copy_from") {
			return nil, missingProp(typ, "value")
		}
		if typ == "gsub" {
			re, err := regexp.Compile(cfg.str("pattern"))
			if err != nil {
				e := newErr(400, "parse_exception", "[pattern] Invalid regex pattern. "+err.Error())
				e.extra = newObj("property_name", "pattern", "processor_type", typ)
				return nil, e
			}
			p.re = re
			p.spaceRuns = cfg.str("pattern") == `\s+`
			if pat := cfg.str("pattern"); pat != "" && regexp.QuoteMeta(pat) == pat {
				p.literal = pat
			}
		}
		if typ == "pipeline" {
			p.pipeName = cfg.str("name")
		}
		out = append(out, p)
	}
	return out, nil
}

func compilePipeline(id string, def *Object) (*pipeline, *esError) {
	pv, ok := def.Get("processors")
	if !ok {
		return nil, missingProp("pipeline", "processors")
	}
	procs, e := parseProcessors(pv)
	if e != nil {
		return nil, e
	}
	p := &pipeline{id: id, def: def, procs: procs}
	if of, ok := def.Get("on_failure"); ok {
		if p.onFail, e = parseProcessors(of); e != nil {
			return nil, e
		}
	}
	return p, nil
}

// ---- execution ----

type ingestCtx struct {
	s       *Server
	doc     *Object
	meta    map[string]string
	dropped bool
	depth   int
}

func (c *ingestCtx) get(field string) (any, bool) {
	var cur any = c.doc
	field = strings.TrimPrefix(field, "_source.")
	for _, p := range strings.Split(field, ".") {
		o, ok := cur.(*Object)
		if !ok {
			return nil, false
		}
		cur, ok = o.Get(p)
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func (c *ingestCtx) set(field string, v any) error {
	field = strings.TrimPrefix(field, "_source.")
	parts := strings.Split(field, ".")
	cur := c.doc
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur.Get(p)
		if !ok || next == nil {
			n := &Object{}
			cur.Set(p, n)
			cur = n
			continue
		}
		no, ok := next.(*Object)
		if !ok {
			return fmt.Errorf("cannot set [%s] with parent object of type [%s] as part of path [%s]", parts[len(parts)-1], javaType(next), field)
		}
		cur = no
	}
	cur.Set(parts[len(parts)-1], v)
	return nil
}

func (c *ingestCtx) remove(field string) bool {
	field = strings.TrimPrefix(field, "_source.")
	parts := strings.Split(field, ".")
	cur := c.doc
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur.Get(p)
		no, isObj := next.(*Object)
		if !ok || !isObj {
			return false
		}
		cur = no
	}
	return cur.Delete(parts[len(parts)-1])
}

func javaType(v any) string {
	switch t := v.(type) {
	case string:
		return "java.lang.String"
	case bool:
		return "java.lang.Boolean"
	case Number:
		if strings.ContainsAny(string(t), ".eE") {
			return "java.lang.Double"
		}
		return "java.lang.Integer"
	case []any:
		return "java.util.ArrayList"
	case *Object:
		return "java.util.HashMap"
	}
	return "null"
}

var mustacheRe = regexp.MustCompile(`\{\{\{?\s*([^}\s]+)\s*\}?\}\}`)

// render fills {{field}} and {{_ingest.*}} templates in string values.
func (c *ingestCtx) render(v any) any {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, "{{") {
		return clone(v)
	}
	return mustacheRe.ReplaceAllStringFunc(s, func(m string) string {
		name := mustacheRe.FindStringSubmatch(m)[1]
		if strings.HasPrefix(name, "_ingest.") {
			return c.meta[strings.TrimPrefix(name, "_ingest.")]
		}
		if val, ok := c.get(name); ok {
			if str, ok := scalarString(val); ok {
				return str
			}
			return string(encodeJSON(val))
		}
		return ""
	})
}

func notPresent(field string) error {
	return fmt.Errorf("field [%s] not present as part of path [%s]", lastPart(field), field)
}

func lastPart(f string) string {
	parts := strings.Split(f, ".")
	return parts[len(parts)-1]
}

func (c *ingestCtx) stringField(p *processor, f func(string) string) error {
	field := p.cfg.str("field")
	v, ok := c.get(field)
	if !ok || v == nil {
		if p.cfg.Get2Bool("ignore_missing") {
			return nil
		}
		if !ok {
			return notPresent(field)
		}
		return ingestFailure(fmt.Sprintf("field [%s] is null, cannot process it.", field))
	}
	target := nonEmpty(p.cfg.str("target_field"), field)
	switch t := v.(type) {
	case string:
		return c.set(target, f(t))
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("value [%v] of type [%s] in list field [%s] cannot be cast to [java.lang.String]", javaMapString(e), javaType(e), field)
			}
			out[i] = f(s)
		}
		return c.set(target, out)
	}
	return fmt.Errorf("field [%s] of type [%s] cannot be cast to [java.lang.String]", field, javaType(v))
}

func (c *ingestCtx) run(procs []*processor, pipeName string) error {
	for _, p := range procs {
		if c.dropped {
			return nil
		}
		if p.cond != nil && !p.cond.eval(c.doc) {
			continue
		}
		err := c.exec(p)
		if err == nil {
			continue
		}
		if p.ignoreFailure {
			continue
		}
		if len(p.onFailure) > 0 {
			c.meta["on_failure_message"] = err.Error()
			c.meta["on_failure_processor_type"] = p.typ
			c.meta["on_failure_processor_tag"] = p.tag
			c.meta["on_failure_pipeline"] = pipeName
			if err2 := c.run(p.onFailure, pipeName); err2 != nil {
				return err2
			}
			continue
		}
		return &procError{typ: p.typ, tag: p.tag, err: err}
	}
	return nil
}

// ingestFailure carries Elasticsearch's processor messages verbatim (capitals and all).
type ingestFailure string

func (f ingestFailure) Error() string { return string(f) }

type procError struct {
	typ, tag string
	err      error
}

func (e *procError) Error() string { return e.err.Error() }

func (c *ingestCtx) exec(p *processor) error {
	cfg := p.cfg
	field := cfg.str("field")
	switch p.typ {
	case "set":
		override := true
		if v, ok := cfg.Get("override"); ok && v == false {
			override = false
		}
		if !override {
			if cur, ok := c.get(field); ok && cur != nil {
				return nil
			}
		}
		var val any
		if cf := cfg.str("copy_from"); cf != "" {
			v, ok := c.get(cf)
			if !ok {
				if cfg.Get2Bool("ignore_empty_value") {
					return nil
				}
				return notPresent(cf)
			}
			val = clone(v)
		} else {
			v, _ := cfg.Get("value")
			val = c.render(v)
		}
		if cfg.Get2Bool("ignore_empty_value") && (val == nil || val == "") {
			return nil
		}
		return c.set(field, val)
	case "remove":
		var fields []string
		switch t := mustGet(cfg, "field").(type) {
		case string:
			fields = []string{t}
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					fields = append(fields, s)
				}
			}
		}
		for _, f := range fields {
			if !c.remove(f) && !cfg.Get2Bool("ignore_missing") {
				return notPresent(f)
			}
		}
		return nil
	case "rename":
		v, ok := c.get(field)
		if !ok {
			if cfg.Get2Bool("ignore_missing") {
				return nil
			}
			return fmt.Errorf("field [%s] doesn't exist", field)
		}
		target := cfg.str("target_field")
		if _, exists := c.get(target); exists && !cfg.Get2Bool("override") {
			return fmt.Errorf("field [%s] already exists", target)
		}
		c.remove(field)
		return c.set(target, v)
	case "lowercase":
		return c.stringField(p, strings.ToLower)
	case "uppercase":
		return c.stringField(p, strings.ToUpper)
	case "trim":
		return c.stringField(p, strings.TrimSpace)
	case "gsub":
		repl := javaReplacement(cfg.str("replacement"))
		if p.spaceRuns && !strings.Contains(repl, "$") {
			return c.stringField(p, func(s string) string { return replaceSpaceRuns(s, repl) })
		}
		if p.literal != "" && !strings.Contains(repl, "$") {
			// The regular expression would also match each invalid UTF-8 byte as U+FFFD.
			return c.stringField(p, func(s string) string {
				if !utf8.ValidString(s) {
					return p.re.ReplaceAllString(s, repl)
				}
				return strings.ReplaceAll(s, p.literal, repl)
			})
		}
		return c.stringField(p, func(s string) string { return p.re.ReplaceAllString(s, repl) })
	case "append":
		v, _ := cfg.Get("value")
		var add []any
		if arr, ok := v.([]any); ok {
			for _, x := range arr {
				add = append(add, c.render(x))
			}
		} else {
			add = []any{c.render(v)}
		}
		cur, ok := c.get(field)
		var list []any
		switch t := cur.(type) {
		case []any:
			list = t
		case nil:
		default:
			list = []any{t}
		}
		_ = ok
		dups := true
		if d, ok := cfg.Get("allow_duplicates"); ok && d == false {
			dups = false
		}
		for _, a := range add {
			if !dups {
				seen := false
				for _, x := range list {
					if jsonEqual(x, a) {
						seen = true
					}
				}
				if seen {
					continue
				}
			}
			list = append(list, a)
		}
		return c.set(field, list)
	case "attachment":
		return c.attachment(p)
	case "drop":
		c.dropped = true
		return nil
	case "fail":
		return fmt.Errorf("%s", c.render(mustGet(cfg, "message")))
	case "pipeline":
		name, _ := c.render(p.pipeName).(string)
		sub := c.s.pipes[name]
		if sub == nil {
			if cfg.Get2Bool("ignore_missing_pipeline") {
				return nil
			}
			return ingestFailure("Pipeline processor configured for non-existent pipeline [" + name + "]")
		}
		if c.depth > 10 {
			return ingestFailure("Cycle detected for pipeline: " + name)
		}
		c.depth++
		defer func() { c.depth-- }()
		return c.run(sub.procs, name)
	}
	return fmt.Errorf("unsupported processor [%s]", p.typ)
}

// javaReplacement turns Java's $1 group references into Go's ${1}.
func javaReplacement(r string) string {
	if !strings.Contains(r, "$") {
		return r
	}
	return javaGroupRef.ReplaceAllString(r, "$${$1}")
}

var javaGroupRef = regexp.MustCompile(`\$(\d+)`)

// attachment decodes base64 content. Plain text is extracted as-is (trimmed, limited to
// indexed_chars); other binary formats are reported with an octet-stream type and no text, since
// estest has no Tika.
func (c *ingestCtx) attachment(p *processor) error {
	cfg := p.cfg
	field := cfg.str("field")
	v, ok := c.get(field)
	if !ok || v == nil {
		if cfg.Get2Bool("ignore_missing") {
			return nil
		}
		return notPresent(field)
	}
	s, isStr := v.(string)
	if !isStr {
		return fmt.Errorf("field [%s] of type [%s] cannot be cast to [java.lang.String]", field, javaType(v))
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return ingestFailure("Illegal base64 character in field [" + field + "]")
		}
	}
	limit := 100000
	if n, ok := asInt(mustGet(cfg, "indexed_chars")); ok {
		limit = int(n)
	}
	if f := cfg.str("indexed_chars_field"); f != "" {
		if iv, ok := c.get(f); ok {
			if n, ok := asInt(iv); ok {
				limit = int(n)
			}
		}
	}
	out := &Object{}
	if len(data) == 0 {
		return fmt.Errorf("field [%s] is empty", field)
	}
	if utf8.Valid(data) && !strings.ContainsRune(string(data), 0) {
		text := strings.TrimSpace(string(data))
		if limit >= 0 && utf8.RuneCountInString(text) > limit {
			text = string([]rune(text)[:limit])
		}
		out.Set("content_type", "text/plain; charset=UTF-8")
		out.Set("content", text)
		out.Set("content_length", len(text))
	} else {
		out.Set("content_type", "application/octet-stream")
		out.Set("content_length", 0)
	}
	target := nonEmpty(cfg.str("target_field"), "attachment")
	if err := c.set(target, out); err != nil {
		return err
	}
	if cfg.Get2Bool("remove_binary") {
		c.remove(field)
	}
	return nil
}

// runPipelines applies the request (or default) pipeline and the final pipeline to a source.
// A nil result means a processor dropped the document. Caller holds s.mu.
func (s *Server) runPipelines(ix *index, op *writeOp, src []byte) ([]byte, *esError) {
	var names []string
	switch {
	case op.hasPipe && op.pipeline == "_none":
	case op.hasPipe && op.pipeline != "":
		names = append(names, op.pipeline)
	default:
		if d := ix.defaultPipeline(); d != "" {
			names = append(names, d)
		}
	}
	if f := ix.finalPipeline(); f != "" {
		names = append(names, f)
	}
	if len(names) == 0 {
		return src, nil
	}
	v, err := parseJSON(src)
	if err != nil {
		return src, nil // the mapping check reports the parse failure
	}
	docObj, ok := v.(*Object)
	if !ok {
		return src, nil
	}
	for _, name := range names {
		p := s.pipes[name]
		if p == nil {
			return nil, errIllegalArg("pipeline with id [%s] does not exist", name)
		}
		c := &ingestCtx{s: s, doc: docObj, meta: map[string]string{"timestamp": s.now().UTC().Format("2006-01-02T15:04:05.000000000Z")}}
		err := c.run(p.procs, name)
		if err != nil && len(p.onFail) > 0 {
			c.meta["on_failure_message"] = err.Error()
			c.meta["on_failure_pipeline"] = name
			if pe, ok := err.(*procError); ok {
				c.meta["on_failure_processor_type"] = pe.typ
				c.meta["on_failure_processor_tag"] = pe.tag
			}
			err = c.run(p.onFail, name)
		}
		if err != nil {
			e := errIllegalArg("%s", err.Error())
			if pe, ok := err.(*procError); ok {
				if pe.typ == "fail" {
					e.typ = "fail_processor_exception"
				}
				e.extra = newObj("header", newObj("processor_type", pe.typ))
			}
			return nil, e
		}
		if c.dropped {
			return nil, nil
		}
	}
	return encodeJSON(docObj), nil
}

// ---- pipeline APIs ----

func (s *Server) routeIngest(rq *request) (*response, *esError) {
	g := rq.segs
	if len(g) < 2 || g[1] != "pipeline" {
		return nil, noHandler(rq)
	}
	id := ""
	if len(g) >= 3 {
		id = g[2]
	}
	switch rq.method {
	case "GET":
		s.mu.Lock()
		defer s.mu.Unlock()
		out := &Object{}
		for _, name := range sortedKeys(s.pipes) {
			if id != "" {
				matched := false
				for _, pat := range strings.Split(id, ",") {
					if m := matchWildcard(pat, name); m || pat == name {
						matched = true
					}
				}
				if !matched {
					continue
				}
			}
			out.Set(name, s.pipes[name].def)
		}
		if id != "" && out.Len() == 0 {
			return status(404, &Object{}), nil
		}
		return ok(out), nil
	case "PUT":
		if id == "" {
			return nil, badMethod(rq, "GET")
		}
		body, e := rq.jsonBody()
		if e != nil {
			return nil, e
		}
		if body == nil {
			return nil, newErr(400, "parse_exception", "request body or source parameter is required")
		}
		p, e := compilePipeline(id, body)
		if e != nil {
			return nil, e
		}
		s.mu.Lock()
		s.pipes[id] = p
		s.mu.Unlock()
		return ok(newObj("acknowledged", true)), nil
	case "DELETE":
		if id == "" {
			return nil, badMethod(rq, "GET")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, name := range sortedKeys(s.pipes) {
			if name == id || (strings.Contains(id, "*") && matchWildcard(id, name)) {
				delete(s.pipes, name)
				n++
			}
		}
		if n == 0 {
			return nil, errResourceNotFound("pipeline [%s] is missing", id)
		}
		return ok(newObj("acknowledged", true)), nil
	}
	return nil, badMethod(rq, "DELETE", "GET", "PUT")
}

// replaceSpaceRuns is regexp `\s+` ReplaceAllString with a literal replacement: every run of the
// characters Go's \s matches (tab, newline, form feed, carriage return, space) becomes repl.
func replaceSpaceRuns(s, repl string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }
	// Nothing to do when every run is already a single space and repl is one.
	if repl == " " {
		clean := true
		for i := 0; i < len(s); i++ {
			if isSpace(s[i]) && (s[i] != ' ' || i+1 < len(s) && isSpace(s[i+1])) {
				clean = false
				break
			}
		}
		if clean {
			return s
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !isSpace(s[i]) {
			j := i + 1
			for j < len(s) && !isSpace(s[j]) {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		b.WriteString(repl)
	}
	return b.String()
}
