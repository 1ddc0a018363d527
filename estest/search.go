package estest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ---- _source filtering ----

type sourceFilter struct {
	disabled bool
	includes []string
	excludes []string
}

func parseSourceParam(rq *request) *sourceFilter {
	var f *sourceFilter
	if rq.has("_source") {
		v := rq.param("_source")
		switch v {
		case "false":
			return &sourceFilter{disabled: true}
		case "true", "":
			f = &sourceFilter{}
		default:
			f = &sourceFilter{includes: strings.Split(v, ",")}
		}
	}
	for _, k := range []string{"_source_includes", "_source_include"} {
		if rq.has(k) {
			if f == nil {
				f = &sourceFilter{}
			}
			f.includes = append(f.includes, strings.Split(rq.param(k), ",")...)
		}
	}
	for _, k := range []string{"_source_excludes", "_source_exclude"} {
		if rq.has(k) {
			if f == nil {
				f = &sourceFilter{}
			}
			f.excludes = append(f.excludes, strings.Split(rq.param(k), ",")...)
		}
	}
	if f != nil && len(f.includes) == 0 && len(f.excludes) == 0 {
		return nil
	}
	return f
}

func parseSourceFilter(v any) *sourceFilter {
	strs := func(x any) []string {
		switch t := x.(type) {
		case string:
			return []string{t}
		case []any:
			var out []string
			for _, e := range t {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
		return nil
	}
	switch t := v.(type) {
	case bool:
		if !t {
			return &sourceFilter{disabled: true}
		}
		return nil
	case string, []any:
		return &sourceFilter{includes: strs(t)}
	case *Object:
		f := &sourceFilter{}
		for i, k := range t.Keys {
			switch k {
			case "includes", "include":
				f.includes = strs(t.Vals[i])
			case "excludes", "exclude":
				f.excludes = strs(t.Vals[i])
			}
		}
		return f
	}
	return nil
}

func pathMatches(patterns []string, p string) bool {
	for _, pat := range patterns {
		if pat == p {
			return true
		}
		if strings.Contains(pat, "*") {
			if m, _ := path.Match(pat, p); m {
				return true
			}
			if matchWildcard(pat, p) {
				return true
			}
		}
	}
	return false
}

func matchWildcard(pat, s string) bool {
	return wildcardRegexp(pat, false).MatchString(s)
}

// couldMatchBelow tells whether some include pattern may match a path under prefix.
func couldMatchBelow(patterns []string, prefix string) bool {
	for _, pat := range patterns {
		if strings.HasPrefix(pat, prefix+".") || pathMatches([]string{pat}, prefix) {
			return true
		}
		if i := strings.Index(pat, "*"); i >= 0 && strings.HasPrefix(prefix, pat[:i]) {
			return true
		}
		if i := strings.Index(pat, "*"); i >= 0 && strings.HasPrefix(pat[:i], prefix+".") {
			return true
		}
	}
	return false
}

func (f *sourceFilter) apply(src []byte) any {
	v, err := parseJSON(src)
	if err != nil {
		return Raw(src)
	}
	o, ok := v.(*Object)
	if !ok {
		return v
	}
	return f.filterObj(o, "")
}

func (f *sourceFilter) filterObj(o *Object, prefix string) *Object {
	out := &Object{}
	for i, k := range o.Keys {
		p := joinPath(prefix, k)
		if len(f.excludes) > 0 && pathMatches(f.excludes, p) {
			continue
		}
		v := o.Vals[i]
		included := len(f.includes) == 0 || pathMatches(f.includes, p)
		if included {
			if len(f.excludes) > 0 {
				out.Set(k, f.filterValue(v, p, true))
			} else {
				out.Set(k, v)
			}
			continue
		}
		if couldMatchBelow(f.includes, p) {
			fv := f.filterValue(v, p, false)
			switch t := fv.(type) {
			case *Object:
				if t.Len() > 0 {
					out.Set(k, t)
				}
			case []any:
				if len(t) > 0 {
					out.Set(k, t)
				}
			}
		}
	}
	return out
}

func (f *sourceFilter) filterValue(v any, p string, included bool) any {
	switch t := v.(type) {
	case *Object:
		if included {
			g := &sourceFilter{excludes: f.excludes}
			return g.filterObj(t, p)
		}
		return f.filterObj(t, p)
	case []any:
		var out []any
		for _, e := range t {
			switch e.(type) {
			case *Object, []any:
				r := f.filterValue(e, p, included)
				if ro, ok := r.(*Object); ok && ro.Len() == 0 && !included {
					continue
				}
				out = append(out, r)
			default:
				if included {
					out = append(out, e)
				}
			}
		}
		if out == nil {
			out = []any{}
		}
		return out
	}
	if included {
		return v
	}
	return nil
}

// ---- search request ----

type searchReq struct {
	query        query
	from, size   int
	sorts        []sortSpec
	sorted       bool
	source       *sourceFilter
	trackTotal   int // -1 = exact, 0 = off, n = threshold
	searchAfter  []any
	seqNoPT      bool
	version      bool
	trackScores  bool
	pitID        string
	pitKeepAlive string
	minScore     *float64
	totalAsInt   bool
	hasFrom      bool
	// collectKey identifies what decides the matching hits and their order (query, post_filter,
	// sort, min_score), so a point in time can reuse the sorted hits of its previous page.
	collectKey string
}

var searchKeys = map[string]bool{"query": true, "from": true, "size": true, "sort": true, "_source": true,
	"track_total_hits": true, "search_after": true, "seq_no_primary_term": true, "version": true,
	"track_scores": true, "pit": true, "timeout": true, "min_score": true, "stored_fields": true,
	"explain": true, "terminate_after": true, "profile": true, "highlight": true, "fields": true,
	"docvalue_fields": true, "runtime_mappings": true, "aggs": true, "aggregations": true, "collapse": true,
	"post_filter": true, "indices_boost": true, "rescore": true, "suggest": true, "script_fields": true,
	"slice": true, "stats": true, "ext": true}

func (s *Server) parseSearch(rq *request, body *Object, scroll bool) (*searchReq, *esError) {
	sr := &searchReq{size: 10, trackTotal: 10000, query: matchAllQ{boost: 1}}
	var e *esError
	var key bytes.Buffer
	if body != nil {
		for i, k := range body.Keys {
			v := body.Vals[i]
			if !searchKeys[k] {
				return nil, errParsing("Unknown key for a %s in [%s].", tokenName(v), k)
			}
			switch k {
			case "query", "post_filter", "sort", "min_score":
				key.WriteString(k)
				writeJSON(&key, v)
			}
			switch k {
			case "query":
				if sr.query, e = compileQuery(v); e != nil {
					return nil, e
				}
			case "post_filter":
				pf, e := compileQuery(v)
				if e != nil {
					return nil, e
				}
				sr.query = boolQ{must: []query{sr.query}, filter: []query{pf}, boost: 1}
			case "from":
				n, ok := asInt(v)
				if !ok {
					return nil, errParsing("[from] must be a number")
				}
				sr.from, sr.hasFrom = int(n), true
			case "size":
				n, ok := asInt(v)
				if !ok {
					return nil, errParsing("[size] must be a number")
				}
				sr.size = int(n)
			case "sort":
				if sr.sorts, e = parseSort(v); e != nil {
					return nil, e
				}
			case "_source":
				sr.source = parseSourceFilter(v)
			case "track_total_hits":
				switch t := v.(type) {
				case bool:
					if t {
						sr.trackTotal = -1
					} else {
						sr.trackTotal = 0
					}
				default:
					n, ok := asInt(v)
					if !ok {
						return nil, errIllegalArg("[track_total_hits] must be a boolean or an integer")
					}
					sr.trackTotal = int(n)
				}
			case "search_after":
				arr, ok := v.([]any)
				if !ok {
					return nil, errParsing("[search_after] must be an array")
				}
				sr.searchAfter = arr
			case "seq_no_primary_term":
				sr.seqNoPT = v == true
			case "version":
				sr.version = v == true
			case "track_scores":
				sr.trackScores = v == true
			case "min_score":
				f, _ := asFloat(v)
				sr.minScore = &f
			case "pit":
				po, _ := v.(*Object)
				if po == nil {
					return nil, errParsing("[pit] must be an object")
				}
				sr.pitID = po.str("id")
				sr.pitKeepAlive = po.str("keep_alive")
			case "aggs", "aggregations", "collapse", "rescore", "suggest", "script_fields", "slice", "runtime_mappings":
				return nil, errIllegalArg("estest does not implement [%s] in search requests", k)
			}
		}
	}
	if rq.has("size") {
		if sr.size, e = rq.intParam("size", 10); e != nil {
			return nil, e
		}
	}
	if rq.has("from") {
		if sr.from, e = rq.intParam("from", 0); e != nil {
			return nil, e
		}
		sr.hasFrom = true
	}
	if rq.has("sort") {
		sr.sorts = parseSortParam(rq.param("sort"))
	}
	if f := parseSourceParam(rq); f != nil {
		sr.source = f
	}
	if rq.has("track_total_hits") {
		switch v := rq.param("track_total_hits"); v {
		case "true", "":
			sr.trackTotal = -1
		case "false":
			sr.trackTotal = 0
		default:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, errIllegalArg("Failed to parse value [%s] for [track_total_hits]", v)
			}
			sr.trackTotal = n
		}
	}
	if b, _ := rq.boolParam("seq_no_primary_term", false); b {
		sr.seqNoPT = true
	}
	if b, _ := rq.boolParam("version", false); b {
		sr.version = true
	}
	sr.totalAsInt, _ = rq.boolParam("rest_total_hits_as_int", false)
	if rq.param("q") != "" {
		// The parameter wins over a query in the body, as in Elasticsearch.
		if sr.query, e = uriQuery(rq); e != nil {
			return nil, e
		}
	}
	if rq.param("q") == "" && !bytes.Contains(key.Bytes(), []byte("now")) {
		// A query with date math ("now") matches differently from one page to the next, so it is
		// evaluated again each time, as Elasticsearch does.
		key.WriteString("?sort=")
		key.WriteString(rq.param("sort"))
		sr.collectKey = key.String()
	}
	if scroll {
		sr.trackTotal = -1
		if sr.hasFrom && sr.from > 0 {
			return nil, errValidation("using [from] is not allowed in a scroll context")
		}
	}
	var problems []string
	if sr.from < 0 {
		problems = append(problems, "[from] parameter cannot be negative")
	}
	if sr.size < 0 {
		problems = append(problems, "[size] parameter cannot be negative, found ["+strconv.Itoa(sr.size)+"]")
	}
	if sr.searchAfter != nil && sr.from > 0 {
		problems = append(problems, "[from] parameter must be set to 0 when [search_after] is used")
	}
	if sr.trackTotal == -1 && sr.totalAsInt {
		sr.trackTotal = -1
	}
	if len(problems) > 0 {
		return nil, errValidation(problems...)
	}
	if len(sr.sorts) > 0 && !(len(sr.sorts) == 1 && sr.sorts[0].field == "_score" && sr.sorts[0].desc) {
		sr.sorted = true
	}
	if sr.searchAfter != nil && len(sr.sorts) == 0 && sr.pitID == "" {
		return nil, errIllegalArg("Sort must contain at least one field.")
	}
	return sr, nil
}

type hitRef struct {
	ix    *index
	d     *doc
	score float64
	keys  []sortVal
	sd    int64
}

// collect runs the query over snapshots and returns the sorted matching hits.
func (s *Server) collect(sr *searchReq, snaps []snapshot) []hitRef {
	now := s.now()
	var hits []hitRef
	for ord, sn := range snaps {
		for pos, d := range sn.docs {
			c := &evalCtx{ix: sn.ix, d: d, now: now}
			ok, score := sr.query.match(c)
			if !ok {
				continue
			}
			if sr.minScore != nil && score < *sr.minScore {
				continue
			}
			h := hitRef{ix: sn.ix, d: d, score: score, sd: int64(ord)<<32 | int64(pos)}
			if sr.sorted {
				h.keys = make([]sortVal, len(sr.sorts))
				for i, sp := range sr.sorts {
					h.keys[i] = sortKey(sp, c, score, h.sd)
				}
			}
			hits = append(hits, h)
		}
	}
	if sr.sorted {
		sort.SliceStable(hits, func(i, j int) bool {
			c := compareKeys(hits[i].keys, hits[j].keys, sr.sorts)
			if c != 0 {
				return c < 0
			}
			return hits[i].sd < hits[j].sd
		})
	} else {
		sort.SliceStable(hits, func(i, j int) bool {
			if hits[i].score != hits[j].score {
				return hits[i].score > hits[j].score
			}
			return hits[i].sd < hits[j].sd
		})
	}
	return hits
}

type snapshot struct {
	ix   *index
	docs []*doc
}

func (s *Server) hitObj(sr *searchReq, h hitRef) *Object {
	o := newObj("_index", h.ix.name, "_id", h.d.id)
	if sr.version {
		o.Set("_version", h.d.version)
	}
	if sr.seqNoPT {
		o.Set("_seq_no", h.d.seq)
		o.Set("_primary_term", 1)
	}
	if sr.sorted && !sr.trackScores {
		o.Set("_score", nil)
	} else {
		o.Set("_score", h.score)
	}
	if sr.source == nil {
		o.Set("_source", Raw(h.d.src))
	} else if !sr.source.disabled {
		o.Set("_source", sr.source.apply(h.d.src))
	}
	if sr.sorted {
		vals := make([]any, len(h.keys))
		for i, k := range h.keys {
			vals[i] = k.json()
		}
		o.Set("sort", vals)
	}
	return o
}

func (s *Server) hitsBody(sr *searchReq, all []hitRef, page []hitRef) *Object {
	hits := &Object{}
	n := len(all)
	if sr.trackTotal != 0 {
		rel := "eq"
		v := n
		if sr.trackTotal > 0 && n > sr.trackTotal {
			v, rel = sr.trackTotal, "gte"
		}
		if sr.totalAsInt {
			hits.Set("total", v)
		} else {
			hits.Set("total", newObj("value", v, "relation", rel))
		}
	}
	if sr.sorted && !sr.trackScores || n == 0 {
		hits.Set("max_score", nil)
	} else {
		ms := math.Inf(-1)
		for _, h := range all {
			if h.score > ms {
				ms = h.score
			}
		}
		hits.Set("max_score", ms)
	}
	list := make([]any, len(page))
	for i, h := range page {
		list[i] = s.hitObj(sr, h)
	}
	hits.Set("hits", list)
	return hits
}

func shardsObj(n int) *Object {
	return newObj("total", n, "successful", n, "skipped", 0, "failed", 0)
}

func (s *Server) search(rq *request, name string) (*response, *esError) {
	start := time.Now()
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	scroll := rq.param("scroll")
	var keep time.Duration
	if scroll != "" {
		var ok bool
		if keep, ok = parseDuration(scroll); !ok {
			return nil, errIllegalArg("failed to parse setting [scroll] with value [%s] as a time value: unit is missing or unrecognized", scroll)
		}
	}
	sr, e := s.parseSearch(rq, body, scroll != "")
	if e != nil {
		return nil, e
	}
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	var snaps []snapshot
	var pit *pitCtx
	if sr.pitID != "" {
		if name != "" {
			return nil, errValidation("[indices] cannot be used with point in time. Do not specify any index with point in time.")
		}
		if scroll != "" {
			return nil, errValidation("using [point in time] is not allowed in a scroll context")
		}
		pit = s.pits[sr.pitID]
		if pit == nil {
			return nil, s.contextMissing(sr.pitID)
		}
		if sr.pitKeepAlive != "" {
			if d, ok := parseDuration(sr.pitKeepAlive); ok {
				pit.expires = s.now().Add(d)
			}
		}
		snaps = pit.snaps
		if len(sr.sorts) == 0 {
			sr.sorts = []sortSpec{{field: "_score", desc: true}}
		}
		sr.sorts = append(sr.sorts, sortSpec{field: "_shard_doc"})
		sr.sorted = true
	} else {
		ixs, e := s.resolve(name, o)
		if e != nil {
			return nil, e
		}
		s.beforeSearch(ixs)
		for _, ix := range ixs {
			snaps = append(snaps, snapshot{ix: ix, docs: ix.searchable()})
		}
	}
	var ixs []*index
	for _, sn := range snaps {
		ixs = append(ixs, sn.ix)
	}
	for _, ix := range ixs {
		if e := validateQuery(sr.query, ix); e != nil {
			return nil, searchPhaseError(ix.name, e)
		}
	}
	if sr.sorted {
		if e := checkSortable(sr.sorts, ixs); e != nil {
			return nil, e
		}
	}
	window := 10000
	if len(ixs) > 0 {
		window = ixs[0].maxResultWindow()
	}
	if scroll == "" && sr.from+sr.size > window {
		name := "_na_"
		if len(ixs) > 0 {
			name = ixs[0].name
		}
		return nil, searchPhaseError(name, errIllegalArg("Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.", window, sr.from+sr.size))
	}
	if scroll != "" && sr.size > window {
		return nil, searchPhaseError(ixs[0].name, errIllegalArg("Batch size is too large, size must be less than or equal to: [%d] but was [%d]. Scroll batch sizes cost as much memory as result windows so they are controlled by the [index.max_result_window] index level setting.", window, sr.size))
	}
	var all []hitRef
	if pit != nil && sr.collectKey != "" && pit.hitsKey == sr.collectKey {
		// A point in time never changes, so the hits sorted for its previous page serve this one:
		// paging through N documents costs N log N once instead of once per page.
		all = pit.hits
	} else {
		all = s.collect(sr, snaps)
		if pit != nil && sr.collectKey != "" {
			pit.hits, pit.hitsKey = all, sr.collectKey
		}
	}
	rest := all
	if sr.searchAfter != nil {
		if len(sr.searchAfter) != len(sr.sorts) {
			return nil, errIllegalArg("search_after has %d value(s) but sort has %d.", len(sr.searchAfter), len(sr.sorts))
		}
		// The hits are in sort order, so those after the given values are a suffix.
		first := sort.Search(len(all), func(n int) bool {
			h := all[n]
			after := make([]sortVal, len(h.keys))
			for i := range h.keys {
				after[i] = searchAfterVal(sr.searchAfter[i], h.keys[i])
			}
			return compareKeys(h.keys, after, sr.sorts) > 0
		})
		rest = all[first:]
	}
	from := min(sr.from, len(rest))
	end := min(from+sr.size, len(rest))
	page := rest[from:end]
	out := &Object{}
	if scroll != "" {
		id := s.newScrollID()
		sc := &scrollCtx{id: id, sr: sr, hits: all, pos: end, keep: keep, expires: s.now().Add(keep)}
		s.scrolls[id] = sc
		out.Set("_scroll_id", id)
	}
	if pit != nil {
		out.Set("pit_id", pit.id)
	}
	out.Set("took", time.Since(start).Milliseconds())
	out.Set("timed_out", false)
	out.Set("_shards", shardsObj(len(snaps)))
	out.Set("hits", s.hitsBody(sr, all, page))
	return ok(out), nil
}

func (s *Server) count(rq *request, name string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	q := query(matchAllQ{boost: 1})
	if body != nil {
		for i, k := range body.Keys {
			switch k {
			case "query":
				if q, e = compileQuery(body.Vals[i]); e != nil {
					return nil, e
				}
			case "min_score", "terminate_after":
			default:
				return nil, errIllegalArg("request does not support [%s]", k)
			}
		}
	}
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	if rq.param("q") != "" {
		if q, e = uriQuery(rq); e != nil {
			return nil, e
		}
	}
	for _, ix := range ixs {
		if e := validateQuery(q, ix); e != nil {
			return nil, searchPhaseError(ix.name, e)
		}
	}
	s.beforeSearch(ixs)
	now := s.now()
	n := 0
	for _, ix := range ixs {
		for _, d := range ix.searchable() {
			if m, _ := q.match(&evalCtx{ix: ix, d: d, now: now}); m {
				n++
			}
		}
	}
	return ok(newObj("count", n, "_shards", shardsObj(len(ixs)))), nil
}

// ---- scroll ----

type scrollCtx struct {
	id      string
	sr      *searchReq
	hits    []hitRef
	pos     int
	keep    time.Duration
	expires time.Time
}

func (s *Server) newScrollID() string {
	s.seq++
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("estest-scroll:%d:%s", s.seq, s.newID())))
}

func (s *Server) contextMissing(id string) *esError {
	cause := newErr(404, "search_context_missing_exception", "No search context found for id ["+id+"]")
	e := searchPhaseError("_na_", cause)
	e.status = 404
	return e
}

func (s *Server) routeScroll(rq *request) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	var ids []string
	keep := rq.param("scroll")
	if len(rq.segs) == 3 {
		ids = append(ids, strings.Split(rq.segs[2], ",")...)
	}
	if rq.has("scroll_id") {
		ids = append(ids, strings.Split(rq.param("scroll_id"), ",")...)
	}
	if body != nil {
		if v, ok := body.Get("scroll_id"); ok {
			switch t := v.(type) {
			case string:
				ids = append(ids, t)
			case []any:
				for _, x := range t {
					if s, ok := x.(string); ok {
						ids = append(ids, s)
					}
				}
			}
		}
		if v := body.str("scroll"); v != "" {
			keep = v
		}
	}
	switch rq.method {
	case "DELETE":
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(ids) == 0 {
			return nil, errValidation("no scroll ids specified")
		}
		freed := 0
		for _, id := range ids {
			if id == "_all" {
				freed += len(s.scrolls)
				s.scrolls = map[string]*scrollCtx{}
				continue
			}
			if _, ok := s.scrolls[id]; ok {
				delete(s.scrolls, id)
				freed++
			} else if !validScrollID(id) {
				return nil, errIllegalArg("Cannot parse scroll id")
			}
		}
		code := 200
		if freed == 0 {
			code = 404
		}
		return status(code, newObj("succeeded", true, "num_freed", freed)), nil
	case "GET", "POST":
	default:
		return nil, badMethod(rq, "DELETE", "GET", "POST")
	}
	if len(ids) == 0 {
		return nil, errValidation("scrollId is missing")
	}
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scrolls[ids[0]]
	if sc == nil {
		if !validScrollID(ids[0]) {
			return nil, errIllegalArg("Cannot parse scroll id")
		}
		return nil, s.contextMissing(ids[0])
	}
	if keep != "" {
		d, ok := parseDuration(keep)
		if !ok {
			return nil, errIllegalArg("failed to parse setting [scroll] with value [%s] as a time value: unit is missing or unrecognized", keep)
		}
		sc.keep = d
	}
	sc.expires = s.now().Add(sc.keep)
	end := min(sc.pos+sc.sr.size, len(sc.hits))
	page := sc.hits[sc.pos:end]
	sc.pos = end
	out := newObj("_scroll_id", sc.id, "took", time.Since(start).Milliseconds(), "timed_out", false,
		"_shards", shardsObj(1), "hits", s.hitsBody(sc.sr, sc.hits, page))
	return ok(out), nil
}

func validScrollID(id string) bool {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		b, err = base64.StdEncoding.DecodeString(id)
	}
	return err == nil && len(b) > 0
}

// ---- point in time ----

type pitCtx struct {
	id      string
	snaps   []snapshot
	expires time.Time
	// hits are the last search's sorted hits, for the next page of the same search (hitsKey).
	hits    []hitRef
	hitsKey string
}

func (s *Server) openPIT(rq *request, name string) (*response, *esError) {
	ka := rq.param("keep_alive")
	if ka == "" {
		return nil, errValidation("[keep_alive] is not specified")
	}
	d, good := parseDuration(ka)
	if !good {
		return nil, errIllegalArg("failed to parse setting [keep_alive] with value [%s] as a time value: unit is missing or unrecognized", ka)
	}
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	s.beforeSearch(ixs)
	s.seq++
	id := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("estest-pit:%d:%s", s.seq, s.newID())))
	p := &pitCtx{id: id, expires: s.now().Add(d)}
	for _, ix := range ixs {
		p.snaps = append(p.snaps, snapshot{ix: ix, docs: ix.searchable()})
	}
	s.pits[id] = p
	n := len(ixs)
	return ok(newObj("id", id, "_shards", shardsObj(n))), nil
}

func (s *Server) closePIT(rq *request) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	id := body.str("id")
	if id == "" {
		return nil, errValidation("point in time id is missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found := s.pits[id]; found {
		delete(s.pits, id)
		return ok(newObj("succeeded", true, "num_freed", 1)), nil
	}
	return status(404, newObj("succeeded", true, "num_freed", 0)), nil
}

func (s *Server) expireContexts(now time.Time) {
	for id, sc := range s.scrolls {
		if now.After(sc.expires) {
			delete(s.scrolls, id)
		}
	}
	for id, p := range s.pits {
		if now.After(p.expires) {
			delete(s.pits, id)
		}
	}
}

// ---- _delete_by_query ----

func (s *Server) deleteByQuery(rq *request, name string) (*response, *esError) {
	start := time.Now()
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	var q query
	switch {
	case rq.param("q") != "":
		if q, e = uriQuery(rq); e != nil {
			return nil, e
		}
	case body == nil || !body.Has("query"):
		return nil, errValidation("query is missing")
	default:
		if q, e = compileQuery(mustGet(body, "query")); e != nil {
			return nil, e
		}
	}
	if body == nil {
		body = &Object{}
	}
	for _, k := range body.Keys {
		if k != "query" && k != "max_docs" && k != "slice" && k != "conflicts" {
			return nil, errParsing("[delete_by_query] unknown field [%s]", k)
		}
	}
	proceed := rq.param("conflicts") == "proceed" || body.str("conflicts") == "proceed"
	if c := rq.param("conflicts"); c != "" && c != "proceed" && c != "abort" {
		return nil, errIllegalArg("conflicts may only be \"proceed\" or \"abort\" but was [%s]", c)
	}
	if w, _ := rq.boolParam("wait_for_completion", true); !w {
		return nil, errIllegalArg("estest does not run delete-by-query as a background task (wait_for_completion=false)")
	}
	doRefresh, e := rq.boolParam("refresh", false)
	if e != nil {
		return nil, e
	}
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "write"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	for _, ix := range ixs {
		if e := validateQuery(q, ix); e != nil {
			return nil, searchPhaseError(ix.name, e)
		}
	}
	s.beforeSearch(ixs)
	now := s.now()
	deleted, conflicts, total := 0, 0, 0
	var failures []any
	for _, ix := range ixs {
		// like the real thing, work from a search (the refreshed view) and delete with CAS
		for _, d := range ix.searchable() {
			if m, _ := q.match(&evalCtx{ix: ix, d: d, now: now}); !m {
				continue
			}
			total++
			cur := ix.live[d.id]
			if cur == nil || cur.seq != d.seq {
				conflicts++
				if !proceed {
					reason := fmt.Sprintf("required seqNo [%d], primary term [1]. current document has seqNo [%d] and primary term [1]", d.seq, seqOf(cur))
					if cur == nil {
						reason = fmt.Sprintf("required seqNo [%d], primary term [1]. but no document was found", d.seq)
					}
					ce := s.versionConflict(ix, d.id, reason)
					failures = append(failures, newObj("index", ix.name, "id", d.id, "cause", ce.object(true), "status", 409))
				}
				continue
			}
			if len(failures) > 0 {
				continue
			}
			ix.remove(d.id, now)
			deleted++
		}
		if doRefresh {
			ix.refresh(now)
		}
	}
	if failures == nil {
		failures = []any{}
	}
	out := newObj("took", time.Since(start).Milliseconds(), "timed_out", false, "total", total, "deleted", deleted,
		"batches", 1, "version_conflicts", conflicts, "noops", 0,
		"retries", newObj("bulk", 0, "search", 0), "throttled_millis", 0, "requests_per_second", -1.0,
		"throttled_until_millis", 0, "failures", failures)
	if len(failures) > 0 {
		return status(409, out), nil
	}
	return ok(out), nil
}

func seqOf(d *doc) int64 {
	if d == nil {
		return -1
	}
	return d.seq
}

func mustGet(o *Object, k string) any {
	v, _ := o.Get(k)
	return v
}
