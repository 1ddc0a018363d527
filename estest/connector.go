package estest

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The _connector API (connector-api.md), backed by the real .elastic-connectors-v1,
// .elastic-connectors-sync-jobs-v1 and .connector-secrets-1 indices so that direct index readers see
// the same documents. Every API write refreshes at once, as Elasticsearch's RefreshPolicy.IMMEDIATE.

var connectorStatuses = []string{"created", "needs_configuration", "configured", "connected", "error"}

var connectorTransitions = map[string][]string{
	"created":             {"needs_configuration", "error"},
	"needs_configuration": {"configured", "error"},
	"configured":          {"needs_configuration", "configured", "connected", "error"},
	"connected":           {"configured", "connected", "error"},
	"error":               {"configured", "connected", "error"},
}

var syncStatuses = []string{"canceling", "canceled", "completed", "error", "in_progress", "pending", "suspended"}

var syncTransitions = map[string][]string{
	"pending":     {"in_progress", "canceled"},
	"in_progress": {"canceling", "completed", "suspended", "error"},
	"suspended":   {"in_progress", "canceled"},
	"canceling":   {"canceled", "error"},
}

func allowed(table map[string][]string, from, to string) bool {
	for _, x := range table[from] {
		if x == to {
			return true
		}
	}
	return false
}

func enumValue(v string, values []string) (string, bool) {
	l := strings.ToLower(v)
	for _, x := range values {
		if x == l {
			return x, true
		}
	}
	return "", false
}

// instant formats a time like Java's Instant in Elasticsearch's output: UTC, 'Z', and a fraction of
// 3 to 9 digits (trailing zeros beyond the third trimmed).
func instant(t time.Time) string {
	t = t.UTC()
	frac := fmt.Sprintf("%09d", t.Nanosecond())
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 3 {
		frac += "0"
	}
	return t.Format("2006-01-02T15:04:05") + "." + frac + "Z"
}

func (s *Server) nowInstant() string {
	return instant(s.now().Truncate(time.Microsecond))
}

// parseInstant accepts an ISO-8601 string (or epoch millis) and returns it re-serialised.
func parseInstant(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		tm, ok := parseISOTime(t, false)
		if !ok {
			return "", false
		}
		return instant(tm), true
	case Number:
		ms, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return "", false
		}
		return instant(time.UnixMilli(ms)), true
	}
	return "", false
}

// ---- request bodies ----

// kinds: s string, b bool, n number, o object, a array, d date (string or number), any; a trailing
// "0" allows null.
func (s *Server) connBody(rq *request, parser string, spec map[string]string) (*Object, *esError) {
	if len(bytes.TrimSpace(rq.body)) == 0 {
		return &Object{}, nil
	}
	v, err := parseJSON(rq.body)
	if err != nil {
		return nil, errXContent(err, "")
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("[1:1] [%s] Expected START_OBJECT but was: %s", parser, tokenName(v)))
	}
	for i, k := range o.Keys {
		kind, known := spec[k]
		loc := keyLoc(rq.body, k)
		if !known {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [%s] unknown field [%s]", loc, parser, k))
		}
		if !kindOK(kind, o.Vals[i]) {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [%s] %s doesn't support values of type: %s", loc, parser, k, tokenName(o.Vals[i])))
		}
	}
	return o, nil
}

func keyLoc(body []byte, k string) string {
	i := bytes.Index(body, []byte(`"`+k+`"`))
	if i < 0 {
		i = 0
	}
	l, c := lineCol(body, i+1)
	return fmt.Sprintf("[%d:%d]", l, c)
}

func kindOK(kind string, v any) bool {
	if v == nil {
		return strings.HasSuffix(kind, "0") || kind == "any"
	}
	switch strings.TrimSuffix(kind, "0") {
	case "s":
		_, ok := v.(string)
		return ok
	case "b":
		_, ok := v.(bool)
		return ok
	case "n":
		_, ok := v.(Number)
		return ok
	case "o":
		_, ok := v.(*Object)
		return ok
	case "a":
		_, ok := v.([]any)
		return ok
	case "d":
		switch v.(type) {
		case string, Number:
			return true
		}
		return false
	}
	return true
}

// ---- index helpers (caller holds s.mu) ----

func (s *Server) sysIndex(name string, create bool) (*index, *esError) {
	if ix, ok := s.indices[name]; ok {
		return ix, nil
	}
	if !create {
		return nil, nil
	}
	return s.createIndex(name, nil)
}

func (s *Server) readObj(ix *index, id string) *Object {
	if ix == nil {
		return nil
	}
	d := ix.live[id]
	if d == nil {
		return nil
	}
	v, _ := parseJSON(d.src)
	o, _ := v.(*Object)
	return o
}

// writeObj stores a full document and refreshes, returning created (true) or updated.
func (s *Server) writeObj(ix *index, id string, o *Object) (bool, *esError) {
	src := encodeJSON(o)
	if e := s.checkDoc(ix, id, src); e != nil {
		return false, e
	}
	created := ix.live[id] == nil
	ix.put(id, src, ix.nextVersion(id, s.now()))
	ix.refresh(s.now())
	return created, nil
}

// partialUpdate merges partial into a stored document, with Elasticsearch's noop detection.
func (s *Server) partialUpdate(ix *index, id string, cur *Object, partial *Object) (string, *esError) {
	if !mergeDoc(cur, partial) {
		return "noop", nil
	}
	if _, e := s.writeObj(ix, id, cur); e != nil {
		return "", e
	}
	return "updated", nil
}

func result(r string) *response { return ok(newObj("result", r)) }

// updateResult answers an update endpoint with the result of a write.
func updateResult(r string, e *esError) (*response, *esError) {
	if e != nil {
		return nil, e
	}
	return result(r), nil
}

func connectorNotFound(id string) *esError {
	return errResourceNotFound("connector [%s] not found", id)
}

// readConnector is the read-first lookup: missing, soft-deleted or no index are all 404.
func (s *Server) readConnector(id string) (*index, *Object, *esError) {
	ix, _ := s.sysIndex(ConnectorsIndex, false)
	o := s.readObj(ix, id)
	if o == nil || isDeleted(o) {
		return nil, nil, connectorNotFound(id)
	}
	return ix, o, nil
}

// blindConnector is the lookup of blind partial updates: they also work on soft-deleted connectors.
func (s *Server) blindConnector(id string) (*index, *Object, *esError) {
	ix, _ := s.sysIndex(ConnectorsIndex, false)
	if ix == nil {
		return nil, nil, connectorNotFound(id)
	}
	o := s.readObj(ix, id)
	if o == nil {
		return nil, nil, errDocMissing(ix, id)
	}
	return ix, o, nil
}

func isDeleted(o *Object) bool {
	v, _ := o.Get("deleted")
	return v == true
}

// ---- routing ----

func (s *Server) routeConnector(rq *request) (*response, *esError) {
	g := rq.segs
	n := len(g)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 1 {
		switch rq.method {
		case "GET":
			return s.listConnectors(rq)
		case "PUT":
			return s.putConnector(rq, "", false)
		case "POST":
			return s.putConnector(rq, "", true)
		}
		return nil, badMethod(rq, "GET", "POST", "PUT")
	}
	switch g[1] {
	case "_sync_job":
		return s.routeSyncJob(rq)
	case "_secret":
		return s.routeSecret(rq)
	}
	id := g[1]
	if n == 2 {
		switch rq.method {
		case "GET":
			return s.getConnector(rq, id)
		case "PUT":
			return s.putConnector(rq, id, false)
		case "DELETE":
			return s.deleteConnector(rq, id)
		}
		return nil, badMethod(rq, "DELETE", "GET", "PUT")
	}
	if rq.method != "PUT" {
		return nil, badMethod(rq, "PUT")
	}
	if n == 4 && g[2] == "_filtering" {
		switch g[3] {
		case "_activate":
			return s.activateFiltering(rq, id)
		case "_validation":
			return s.filteringValidation(rq, id)
		}
		return nil, noHandler(rq)
	}
	if n != 3 {
		return nil, noHandler(rq)
	}
	switch g[2] {
	case "_check_in":
		return s.connectorCheckIn(rq, id)
	case "_last_sync":
		return s.connectorLastSync(rq, id)
	case "_api_key_id":
		return s.connectorAPIKeyID(rq, id)
	case "_configuration":
		return s.connectorConfiguration(rq, id)
	case "_error":
		return s.connectorError(rq, id)
	case "_features":
		return s.connectorFeatures(rq, id)
	case "_filtering":
		return s.connectorFiltering(rq, id)
	case "_index_name":
		return s.connectorIndexName(rq, id)
	case "_name":
		return s.connectorName(rq, id)
	case "_native":
		return s.connectorNative(rq, id)
	case "_pipeline":
		return s.connectorPipeline(rq, id)
	case "_scheduling":
		return s.connectorScheduling(rq, id)
	case "_service_type":
		return s.connectorServiceType(rq, id)
	case "_status":
		return s.connectorStatus(rq, id)
	}
	return nil, noHandler(rq)
}

// ---- connector documents ----

func (s *Server) defaultRule(now string) *Object {
	return newObj("created_at", now, "field", "_", "id", "DEFAULT", "order", 0, "policy", "include",
		"rule", "regex", "updated_at", now, "value", ".*")
}

func (s *Server) defaultFilteringRules(now string) *Object {
	return newObj("advanced_snippet", newObj("created_at", now, "updated_at", now, "value", &Object{}),
		"rules", []any{s.defaultRule(now)},
		"validation", newObj("errors", []any{}, "state", "valid"))
}

// checkIndexName applies the index/alias name rules, as a validation error.
func checkIndexName(name string) string {
	if e := validateIndexName(name); e != nil {
		return e.reason
	}
	return ""
}

// indexNameTaken tells whether another non-deleted connector uses name.
func (s *Server) indexNameTaken(name, exceptID string) bool {
	ix, _ := s.sysIndex(ConnectorsIndex, false)
	if ix == nil {
		return false
	}
	for _, d := range ix.searchable() {
		if d.id == exceptID {
			continue
		}
		v, _ := parseJSON(d.src)
		o, _ := v.(*Object)
		if o == nil || isDeleted(o) {
			continue
		}
		if in, _ := o.Get("index_name"); in == name {
			return true
		}
	}
	return false
}

const contentPrefix = "content-"

func (s *Server) putConnector(rq *request, id string, post bool) (*response, *esError) {
	body, e := s.connBody(rq, "connector_put_request", map[string]string{"description": "s", "index_name": "s0",
		"is_native": "b", "language": "s", "name": "s", "service_type": "s"})
	if e != nil {
		return nil, e
	}
	isNative, _ := body.Get("is_native")
	idxV, hasIdx := body.Get("index_name")
	idxName, _ := idxV.(string)
	var problems []string
	if hasIdx && idxV != nil {
		if msg := checkIndexName(idxName); msg != "" {
			problems = append(problems, msg)
		}
		if isNative == true && !strings.HasPrefix(idxName, contentPrefix) {
			problems = append(problems, "Index ["+idxName+"] is invalid. Index attached to an Elastic-managed connector must start with the prefix: [content-]")
		}
	}
	if len(problems) > 0 {
		return nil, errValidation(problems...)
	}
	if hasIdx && idxV != nil && s.indexNameTaken(idxName, id) {
		return nil, errStatus(400, "Index name [%s] is used by another connector.", idxName)
	}
	ix, e := s.sysIndex(ConnectorsIndex, true)
	if e != nil {
		return nil, e
	}
	if id == "" {
		id = s.newID()[:20]
	}
	now := s.nowInstant()
	doc := newObj("configuration", &Object{}, "custom_scheduling", &Object{})
	if v, ok := body.Get("description"); ok {
		doc.Set("description", v)
	}
	doc.Set("filtering", []any{newObj("active", s.defaultFilteringRules(now), "domain", "DEFAULT", "draft", s.defaultFilteringRules(now))})
	if hasIdx && idxV != nil {
		doc.Set("index_name", idxName)
	}
	doc.Set("is_native", isNative == true)
	if v, ok := body.Get("language"); ok {
		doc.Set("language", v)
	}
	name, _ := body.Get("name")
	if name == nil {
		name = ""
	}
	doc.Set("name", name)
	sched := func() *Object { return newObj("enabled", false, "interval", "0 0 0 * * ?") }
	doc.Set("scheduling", newObj("access_control", sched(), "full", sched(), "incremental", sched()))
	if v, ok := body.Get("service_type"); ok {
		doc.Set("service_type", v)
	}
	st := "created"
	if isNative == true {
		st = "needs_configuration"
	}
	doc.Set("status", st)
	doc.Set("sync_now", false)
	doc.Set("deleted", false)
	created, e := s.writeObj(ix, id, doc)
	if e != nil {
		return nil, e
	}
	if created || post {
		return status(201, newObj("result", "created", "id", id)), nil
	}
	return ok(newObj("result", "updated", "id", id)), nil
}

func withID(id string, o *Object) *Object {
	out := newObj("id", id)
	for i, k := range o.Keys {
		out.Set(k, o.Vals[i])
	}
	return out
}

func (s *Server) getConnector(rq *request, id string) (*response, *esError) {
	incl, e := rq.boolParam("include_deleted", false)
	if e != nil {
		return nil, e
	}
	ix, _ := s.sysIndex(ConnectorsIndex, false)
	o := s.readObj(ix, id)
	if o == nil || (isDeleted(o) && !incl) {
		return nil, connectorNotFound(id)
	}
	return ok(withID(id, o)), nil
}

func pageParams(rq *request) (int, int, *esError) {
	from, e := rq.intParam("from", 0)
	if e != nil {
		return 0, 0, e
	}
	size, e := rq.intParam("size", 100)
	if e != nil {
		return 0, 0, e
	}
	var problems []string
	if from < 0 {
		problems = append(problems, "Parameter [from] cannot be < 0")
	}
	if size < 0 {
		problems = append(problems, "Parameter [size] cannot be < 0")
	}
	if len(problems) > 0 {
		return 0, 0, errValidation(problems...)
	}
	return from, size, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func inList(v any, list []string) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) listConnectors(rq *request) (*response, *esError) {
	from, size, e := pageParams(rq)
	if e != nil {
		return nil, e
	}
	incl, e := rq.boolParam("include_deleted", false)
	if e != nil {
		return nil, e
	}
	indexNames := splitList(rq.param("index_name"))
	for _, n := range indexNames {
		if msg := checkIndexName(n); msg != "" {
			return nil, errValidation(msg)
		}
	}
	names := splitList(rq.param("connector_name"))
	types := splitList(rq.param("service_type"))
	q := rq.param("query")
	if from+size > 10000 {
		return nil, searchPhaseError(ConnectorsIndex, errIllegalArg("Result window is too large, from + size must be less than or equal to: [10000] but was [%d]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.", from+size))
	}
	ix, _ := s.sysIndex(ConnectorsIndex, false)
	type hit struct {
		id  string
		o   *Object
		key string
		has bool
		pos int
	}
	var hits []hit
	if ix != nil {
		var re *wildcardMatcher
		if q != "" {
			re = newWildcardMatcher("*" + q + "*")
		}
		for pos, d := range ix.searchable() {
			v, _ := parseJSON(d.src)
			o, _ := v.(*Object)
			if o == nil || (isDeleted(o) && !incl) {
				continue
			}
			in, _ := o.Get("index_name")
			if len(indexNames) > 0 && !inList(in, indexNames) {
				continue
			}
			if nm, _ := o.Get("name"); len(names) > 0 && !inList(nm, names) {
				continue
			}
			if st, _ := o.Get("service_type"); len(types) > 0 && !inList(st, types) {
				continue
			}
			if re != nil && !re.connectorMatches(o) {
				continue
			}
			key, has := in.(string)
			hits = append(hits, hit{d.id, o, key, has, pos})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.has != b.has {
			return a.has
		}
		if a.key != b.key {
			return a.key < b.key
		}
		return a.pos < b.pos
	})
	total := len(hits)
	lo := min(from, total)
	hi := min(lo+size, total)
	results := make([]any, 0, hi-lo)
	for _, h := range hits[lo:hi] {
		results = append(results, withID(h.id, h.o))
	}
	return ok(newObj("count", total, "results", results)), nil
}

type wildcardMatcher struct{ pat string }

func newWildcardMatcher(p string) *wildcardMatcher { return &wildcardMatcher{p} }

// connectorMatches ORs the wildcard over index_name and name (keywords) and description's tokens.
func (w *wildcardMatcher) connectorMatches(o *Object) bool {
	re := wildcardRegexp(w.pat, false)
	for _, f := range []string{"index_name", "name"} {
		if v, ok := o.At(f).(string); ok && re.MatchString(v) {
			return true
		}
	}
	if d, ok := o.At("description").(string); ok {
		for _, tok := range analyze(d) {
			if re.MatchString(tok) {
				return true
			}
		}
	}
	return false
}

func (s *Server) deleteConnector(rq *request, id string) (*response, *esError) {
	hard, e := rq.boolParam("hard", false)
	if e != nil {
		return nil, e
	}
	jobs, e := rq.boolParam("delete_sync_jobs", false)
	if e != nil {
		return nil, e
	}
	ix, _ := s.sysIndex(ConnectorsIndex, false)
	o := s.readObj(ix, id)
	if hard {
		if o == nil {
			return nil, connectorNotFound(id)
		}
		ix.remove(id, s.now())
		ix.refresh(s.now())
	} else {
		if o == nil || isDeleted(o) {
			return nil, connectorNotFound(id)
		}
		if _, e := s.partialUpdate(ix, id, o, newObj("deleted", true)); e != nil {
			return nil, e
		}
	}
	if jobs {
		if jx, _ := s.sysIndex(SyncJobsIndex, false); jx != nil {
			for _, d := range jx.searchable() {
				v, _ := parseJSON(d.src)
				jo, _ := v.(*Object)
				if jo != nil && jo.obj("connector").str("id") == id && jx.live[d.id] != nil {
					jx.remove(d.id, s.now())
				}
			}
			jx.refresh(s.now())
		}
	}
	return ok(newObj("acknowledged", true)), nil
}

// ---- connector updates ----

func (s *Server) connectorCheckIn(rq *request, id string) (*response, *esError) {
	ix, o, e := s.blindConnector(id)
	if e != nil {
		return nil, e
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("last_seen", s.nowInstant())))
}

func (s *Server) connectorLastSync(rq *request, id string) (*response, *esError) {
	spec := map[string]string{"last_access_control_sync_error": "s0", "last_access_control_sync_scheduled_at": "d0",
		"last_access_control_sync_status": "s0", "last_deleted_document_count": "n", "last_incremental_sync_scheduled_at": "d0",
		"last_indexed_document_count": "n", "last_sync_error": "s0", "last_sync_scheduled_at": "d0", "last_sync_status": "s0",
		"last_synced": "d0", "sync_cursor": "any"}
	body, e := s.connBody(rq, "connector_update_last_sync_stats_request", spec)
	if e != nil {
		return nil, e
	}
	partial := &Object{}
	for i, k := range body.Keys {
		v := body.Vals[i]
		if v == nil {
			continue
		}
		switch spec[k] {
		case "d0":
			ts, ok := parseInstant(v)
			if !ok {
				return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [connector_update_last_sync_stats_request] failed to parse field [%s]", keyLoc(rq.body, k), k)).
					withCause(errIllegalArg("failed to parse date field [%v]", javaMapString(v)))
			}
			v = ts
		case "s0":
			if strings.HasSuffix(k, "_status") {
				st, ok := enumValue(v.(string), syncStatuses)
				if !ok {
					return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [connector_update_last_sync_stats_request] failed to parse field [%s]", keyLoc(rq.body, k), k)).
						withCause(errIllegalArg("Unknown ConnectorSyncStatus [%s].", v))
				}
				v = st
			}
		case "any":
			if _, isObj := v.(*Object); !isObj {
				return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [connector_update_last_sync_stats_request] sync_cursor doesn't support values of type: %s", keyLoc(rq.body, k), tokenName(v)))
			}
		}
		partial.Set(k, v)
	}
	ix, o, e := s.blindConnector(id)
	if e != nil {
		return nil, e
	}
	return updateResult(s.partialUpdate(ix, id, o, partial))
}

func (s *Server) connectorAPIKeyID(rq *request, id string) (*response, *esError) {
	return s.eitherOrBoth(rq, id, "connector_update_api_key_id_request", "api_key_id", "api_key_secret_id")
}

// eitherOrBoth is a blind update of two optional string fields of which at
// least one must be given (_api_key_id, _name); nulls are not written.
func (s *Server) eitherOrBoth(rq *request, id, parser, a, b string) (*response, *esError) {
	body, e := s.connBody(rq, parser, map[string]string{a: "s0", b: "s0"})
	if e != nil {
		return nil, e
	}
	partial := &Object{}
	for _, k := range []string{a, b} {
		if v, _ := body.Get(k); v != nil {
			partial.Set(k, v)
		}
	}
	if partial.Len() == 0 {
		return nil, errValidation(fmt.Sprintf("[%s] and [%s] cannot both be [null]. Please provide a value for at least one of them.", a, b))
	}
	return s.blindUpdate(id, partial)
}

func (s *Server) blindUpdate(id string, partial *Object) (*response, *esError) {
	ix, o, e := s.blindConnector(id)
	if e != nil {
		return nil, e
	}
	return updateResult(s.partialUpdate(ix, id, o, partial))
}

func (s *Server) connectorError(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_error_request", map[string]string{"error": "s0"})
	if e != nil {
		return nil, e
	}
	v, has := body.Get("error")
	if !has {
		return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_update_error_request] failed to parse object").withCause(errIllegalArg("Required [error]"))
	}
	st := "error"
	if v == nil || v == "" {
		st = "connected"
	}
	return s.blindUpdate(id, newObj("error", v, "status", st))
}

func (s *Server) connectorFeatures(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_features_request", map[string]string{"features": "o"})
	if e != nil {
		return nil, e
	}
	f := body.obj("features")
	if f == nil {
		return nil, errValidation("[features] cannot be [null].")
	}
	clean := &Object{}
	for _, k := range []string{"document_level_security", "incremental_sync", "native_connector_api_keys"} {
		if fo := f.obj(k); fo != nil {
			if en, ok := fo.Get("enabled"); ok {
				clean.Set(k, newObj("enabled", en == true))
			}
		}
	}
	if sr := f.obj("sync_rules"); sr != nil {
		c := &Object{}
		for _, k := range []string{"advanced", "basic"} {
			if fo := sr.obj(k); fo != nil {
				if en, ok := fo.Get("enabled"); ok {
					c.Set(k, newObj("enabled", en == true))
				}
			}
		}
		clean.Set("sync_rules", c)
	}
	return s.blindUpdate(id, newObj("features", clean))
}

func (s *Server) connectorIndexName(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_index_name_request", map[string]string{"index_name": "s0"})
	if e != nil {
		return nil, e
	}
	v, has := body.Get("index_name")
	if !has {
		return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_update_index_name_request] failed to parse object").withCause(errIllegalArg("Required [index_name]"))
	}
	name, _ := v.(string)
	if v != nil {
		if msg := checkIndexName(name); msg != "" {
			return nil, errValidation(msg)
		}
		if s.indexNameTaken(name, id) {
			return nil, errStatus(400, "Index name [%s] is used by another connector.", name)
		}
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	if o.Get2Bool("is_native") && v != nil && !strings.HasPrefix(name, contentPrefix) {
		return nil, errStatus(400, "Index attached to an Elastic-managed connector must start with the prefix: [content-]. The index name in the payload [%s] doesn't comply with this requirement.", name)
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("index_name", v)))
}

func (s *Server) connectorName(rq *request, id string) (*response, *esError) {
	return s.eitherOrBoth(rq, id, "connector_update_name_request", "name", "description")
}

func (s *Server) connectorNative(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_native_request", map[string]string{"is_native": "b"})
	if e != nil {
		return nil, e
	}
	v, has := body.Get("is_native")
	if !has {
		return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_update_native_request] failed to parse object").withCause(errIllegalArg("Required [is_native]"))
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	if in, ok := o.At("index_name").(string); ok && v == true && !strings.HasPrefix(in, contentPrefix) {
		return nil, errStatus(400, "The index name [%s] attached to the connector [%s] must start with the required prefix: [content-] to be Elastic-managed. Please update the attached index first to comply with this requirement.", in, id)
	}
	st := o.str("status")
	if st == "connected" {
		st = "configured"
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("is_native", v, "status", st)))
}

func (s *Server) connectorPipeline(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_pipeline_request", map[string]string{"pipeline": "o"})
	if e != nil {
		return nil, e
	}
	p := body.obj("pipeline")
	if p == nil {
		return nil, errValidation("[pipeline] cannot be [null].")
	}
	clean := &Object{}
	for k, kind := range map[string]string{"extract_binary_content": "b", "name": "s", "reduce_whitespace": "b", "run_ml_inference": "b"} {
		v, ok := p.Get(k)
		if !ok || v == nil {
			return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_update_pipeline_request] failed to parse field [pipeline]").withCause(errIllegalArg("Required [%s]", k))
		}
		if !kindOK(kind, v) {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("[1:2] [ingest_pipeline_params] %s doesn't support values of type: %s", k, tokenName(v)))
		}
	}
	for _, k := range []string{"extract_binary_content", "name", "reduce_whitespace", "run_ml_inference"} {
		clean.Set(k, mustGet(p, k))
	}
	return s.blindUpdate(id, newObj("pipeline", clean))
}

func (s *Server) connectorScheduling(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_scheduling_request", map[string]string{"scheduling": "o"})
	if e != nil {
		return nil, e
	}
	sc := body.obj("scheduling")
	if sc == nil {
		return nil, errValidation("[scheduling] cannot be [null].")
	}
	clean := &Object{}
	for _, k := range []string{"access_control", "full", "incremental"} {
		v, ok := sc.Get(k)
		if !ok {
			continue
		}
		so, _ := v.(*Object)
		if so == nil {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("[1:2] [schedule] %s doesn't support values of type: %s", k, tokenName(v)))
		}
		en, hasEn := so.Get("enabled")
		iv, hasIv := so.Get("interval")
		if !hasEn || !hasIv {
			missing := "enabled"
			if hasEn {
				missing = "interval"
			}
			return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_update_scheduling_request] failed to parse field [scheduling]").withCause(errIllegalArg("Required [%s]", missing))
		}
		if _, ok := en.(bool); !ok {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("[1:2] [schedule] enabled doesn't support values of type: %s", tokenName(en)))
		}
		expr, _ := iv.(string)
		if err := validateCron(expr); err != nil {
			return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_update_scheduling_request] failed to parse field [scheduling]").
				withCause(errIllegalArg("%s", err.Error()))
		}
		clean.Set(k, newObj("enabled", en, "interval", expr))
	}
	// Elasticsearch's check looks at full and incremental only, so access_control alone is refused too.
	if !clean.Has("full") && !clean.Has("incremental") {
		return nil, errValidation("[scheduling] object needs to define at least one schedule type: [full | incremental | access_control]")
	}
	return s.blindUpdate(id, newObj("scheduling", clean))
}

func (s *Server) connectorServiceType(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_service_type_request", map[string]string{"service_type": "s0"})
	if e != nil {
		return nil, e
	}
	st, _ := body.Get("service_type")
	if st == nil || st == "" {
		return nil, errValidation(`[service_type] cannot be [null] or [""].`)
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	status := "needs_configuration"
	if o.str("status") == "created" {
		status = "created"
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("service_type", st, "status", status)))
}

func (s *Server) connectorStatus(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_status_request", map[string]string{"status": "s0"})
	if e != nil {
		return nil, e
	}
	v, _ := body.Get("status")
	if v == nil {
		return nil, errValidation("[status] cannot be [null].")
	}
	next, ok := enumValue(v.(string), connectorStatuses)
	if !ok {
		return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [connector_update_status_request] failed to parse field [status]", keyLoc(rq.body, "status"))).
			withCause(errIllegalArg("Unknown ConnectorStatus: %s", v))
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	cur := o.str("status")
	if !allowed(connectorTransitions, cur, next) {
		return nil, errStatus(400, "Invalid transition attempt from [%s] to [%s]. Such a status transition is not supported by the Connector Protocol.", cur, next)
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("status", next)))
}

// ---- configuration ----

// displayTypes are Elasticsearch's ConfigurationDisplayType values; "text"
// is the one the connector service itself writes for most fields.
var displayTypes = []string{"text", "textbox", "textarea", "numeric", "toggle", "dropdown"}
var fieldTypes = []string{"str", "int", "list", "bool"}
var validationTypes = []string{"less_than", "greater_than", "list_type", "included_in", "regex"}

func configErr(reason string) *esError {
	return newErr(400, "x_content_parse_exception", "[1:2] [connector_update_configuration_request] failed to parse field [configuration]").
		withCause(errIllegalArg("%s", reason))
}

// normaliseConfigEntry builds the stored form of one configuration entry (connector-api.md §11).
func normaliseConfigEntry(key string, v any) (*Object, *esError) {
	in, ok := v.(*Object)
	if !ok {
		return nil, configErr("configuration entry [" + key + "] must be an object")
	}
	label, ok := in.At("label").(string)
	if !ok {
		return nil, configErr("Required [label]")
	}
	out := &Object{}
	if c, ok := in.At("category").(string); ok {
		out.Set("category", c)
	}
	dv, _ := in.Get("default_value")
	switch dv.(type) {
	case *Object, []any:
		return nil, configErr("[default_value] must be a string, number, boolean or null")
	}
	out.Set("default_value", dv)
	if dep, ok := in.Get("depends_on"); ok && dep != nil {
		arr, ok := dep.([]any)
		if !ok {
			return nil, configErr("[depends_on] must be an array")
		}
		var deps []any
		for _, d := range arr {
			do, _ := d.(*Object)
			if do == nil || !do.Has("field") || !do.Has("value") {
				return nil, configErr("Required [field, value]")
			}
			deps = append(deps, newObj("field", do.At("field"), "value", do.At("value")))
		}
		if deps == nil {
			deps = []any{}
		}
		out.Set("depends_on", deps)
	}
	if d, ok := in.At("display").(string); ok {
		if _, ok := enumValue(d, displayTypes); !ok || d != strings.ToLower(d) {
			return nil, configErr("Unknown DisplayType: " + d)
		}
		out.Set("display", d)
	}
	out.Set("label", label)
	if op, ok := in.Get("options"); ok && op != nil {
		arr, _ := op.([]any)
		var opts []any
		for _, x := range arr {
			xo, _ := x.(*Object)
			if xo == nil {
				return nil, configErr("[options] entries must be objects")
			}
			opts = append(opts, newObj("label", xo.At("label"), "value", xo.At("value")))
		}
		if opts == nil {
			opts = []any{}
		}
		out.Set("options", opts)
	}
	if o, ok := in.Get("order"); ok && o != nil {
		out.Set("order", o)
	}
	if p, ok := in.Get("placeholder"); ok && p != nil {
		out.Set("placeholder", p)
	}
	out.Set("required", in.Get2Bool("required"))
	out.Set("sensitive", in.Get2Bool("sensitive"))
	if t, ok := in.Get("tooltip"); ok && t != nil {
		out.Set("tooltip", t)
	}
	if t, ok := in.At("type").(string); ok {
		if _, ok := enumValue(t, fieldTypes); !ok || t != strings.ToLower(t) {
			return nil, configErr("Unknown FieldType: " + t)
		}
		out.Set("type", t)
	}
	if u, ok := in.Get("ui_restrictions"); ok && u != nil {
		out.Set("ui_restrictions", u)
	}
	if vs, ok := in.Get("validations"); ok && vs != nil {
		arr, _ := vs.([]any)
		var list []any
		for _, x := range arr {
			xo, _ := x.(*Object)
			if xo == nil {
				return nil, configErr("[validations] entries must be objects")
			}
			vt, _ := xo.At("type").(string)
			if _, ok := enumValue(vt, validationTypes); !ok {
				return nil, configErr("Unknown ConfigurationValidationType [" + vt + "].")
			}
			list = append(list, newObj("constraint", xo.At("constraint"), "type", strings.ToLower(vt)))
		}
		if list == nil {
			list = []any{}
		}
		out.Set("validations", list)
	}
	val, _ := in.Get("value")
	if _, isArr := val.([]any); isArr {
		return nil, configErr("[value] doesn't support values of type: START_ARRAY")
	}
	out.Set("value", val)
	return out, nil
}

func (s *Server) connectorConfiguration(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_configuration_request", map[string]string{"configuration": "o0", "values": "o0"})
	if e != nil {
		return nil, e
	}
	cfg := body.obj("configuration")
	vals := body.obj("values")
	if cfg == nil && vals == nil {
		return nil, errValidation("[configuration] and [values] cannot both be null.")
	}
	if cfg != nil && vals != nil {
		return nil, errValidation("[configuration] and [values] cannot both be provided in the same request.")
	}
	var norm *Object
	if cfg != nil {
		norm = &Object{}
		for i, k := range cfg.Keys {
			entry, e := normaliseConfigEntry(k, cfg.Vals[i])
			if e != nil {
				return nil, e
			}
			norm.Set(k, entry)
		}
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	if norm != nil {
		// a script update in Elasticsearch: replaces the whole field and always answers "updated"
		o.Set("configuration", norm)
		o.Set("status", "configured")
		if _, e := s.writeObj(ix, id, o); e != nil {
			return nil, e
		}
		return result("updated"), nil
	}
	stored := o.obj("configuration")
	var unknown []string
	for _, k := range vals.Keys {
		if !stored.Has(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errStatus(400, "Unknown [configuration] fields in the request payload: [%s]. Remove them from request or register their schema first.", strings.Join(unknown, ", "))
	}
	partial := &Object{}
	for i, k := range vals.Keys {
		partial.Set(k, newObj("value", vals.Vals[i]))
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("configuration", partial, "status", "configured")))
}

// ---- filtering ----

var filteringConditions = []string{"contains", "ends_with", "equals", "regex", "starts_with", ">", "<"}

func filterErr(reason string) *esError {
	return newErr(400, "x_content_parse_exception", "[1:2] [connector_update_filtering_request] failed to parse field [rules]").
		withCause(errIllegalArg("%s", reason))
}

func (s *Server) parseRule(v any, now string) (*Object, *esError) {
	ro, _ := v.(*Object)
	if ro == nil {
		return nil, filterErr("filtering rule must be an object")
	}
	for _, k := range []string{"id", "field", "order", "policy", "rule", "value"} {
		if x, ok := ro.Get(k); !ok || x == nil {
			return nil, filterErr("Required [" + k + "]")
		}
	}
	pol, ok := enumValue(fmt.Sprint(ro.At("policy")), []string{"include", "exclude"})
	if !ok {
		return nil, filterErr(fmt.Sprintf("Unknown FilteringPolicy [%v].", ro.At("policy")))
	}
	cond, _ := ro.At("rule").(string)
	found := false
	for _, c := range filteringConditions {
		if c == cond {
			found = true
		}
	}
	if !found {
		return nil, filterErr("Unknown FilteringRuleCondition [" + cond + "].")
	}
	order, ok := asInt(ro.At("order"))
	if !ok {
		return nil, filterErr("[order] must be an integer")
	}
	ts := func(k string) (string, *esError) {
		x, ok := ro.Get(k)
		if !ok || x == nil {
			return now, nil
		}
		t, ok := parseInstant(x)
		if !ok {
			return "", filterErr("failed to parse date field [" + k + "]")
		}
		return t, nil
	}
	ca, e := ts("created_at")
	if e != nil {
		return nil, e
	}
	ua, e := ts("updated_at")
	if e != nil {
		return nil, e
	}
	val, _ := scalarString(ro.At("value"))
	return newObj("created_at", ca, "field", fmt.Sprint(ro.At("field")), "id", fmt.Sprint(ro.At("id")),
		"order", order, "policy", pol, "rule", cond, "updated_at", ua, "value", val), nil
}

func isDefaultRule(r *Object) bool {
	return r.str("id") == "DEFAULT" && r.str("field") == "_" && r.str("policy") == "include" &&
		r.str("rule") == "regex" && r.str("value") == ".*"
}

func (s *Server) parseSnippet(v any, now string) (*Object, *esError) {
	so, _ := v.(*Object)
	if so == nil {
		return nil, filterErr("[advanced_snippet] must be an object")
	}
	val, ok := so.Get("value")
	switch val.(type) {
	case *Object, []any:
	default:
		if !ok {
			return nil, filterErr("Required [value]")
		}
		return nil, filterErr("[advanced_snippet.value] must be an object or an array")
	}
	ca, ua := now, now
	if x, ok := so.Get("created_at"); ok && x != nil {
		if ca, ok = parseInstant(x); !ok {
			return nil, filterErr("failed to parse date field [created_at]")
		}
	}
	if x, ok := so.Get("updated_at"); ok && x != nil {
		if ua, ok = parseInstant(x); !ok {
			return nil, filterErr("failed to parse date field [updated_at]")
		}
	}
	return newObj("created_at", ca, "updated_at", ua, "value", val), nil
}

func (s *Server) parseValidation(v any) (*Object, *esError) {
	vo, _ := v.(*Object)
	if vo == nil {
		return nil, filterErr("[validation] must be an object")
	}
	errsV, hasErrs := vo.Get("errors")
	st, hasState := vo.At("state").(string)
	if !hasErrs || !hasState {
		missing := "errors"
		if hasErrs {
			missing = "state"
		}
		return nil, filterErr("Required [" + missing + "]")
	}
	state, ok := enumValue(st, []string{"edited", "invalid", "valid"})
	if !ok {
		return nil, filterErr("Unknown FilteringValidationState [" + st + "].")
	}
	arr, _ := errsV.([]any)
	list := []any{}
	for _, x := range arr {
		xo, _ := x.(*Object)
		if xo == nil {
			return nil, filterErr("[errors] entries must be objects")
		}
		ids, _ := xo.At("ids").([]any)
		msgs, _ := xo.At("messages").([]any)
		if ids == nil || msgs == nil {
			return nil, filterErr("Required [ids, messages]")
		}
		list = append(list, newObj("ids", ids, "messages", msgs))
	}
	return newObj("errors", list, "state", state), nil
}

func (s *Server) parseFilteringRules(v any, now string) (*Object, *esError) {
	fo, _ := v.(*Object)
	if fo == nil {
		return nil, filterErr("filtering rules must be an object")
	}
	for _, k := range []string{"advanced_snippet", "rules", "validation"} {
		if !fo.Has(k) {
			return nil, filterErr("Required [" + k + "]")
		}
	}
	sn, e := s.parseSnippet(fo.At("advanced_snippet"), now)
	if e != nil {
		return nil, e
	}
	arr, _ := fo.At("rules").([]any)
	rules := []any{}
	for _, r := range arr {
		ro, e := s.parseRule(r, now)
		if e != nil {
			return nil, e
		}
		rules = append(rules, ro)
	}
	val, e := s.parseValidation(fo.At("validation"))
	if e != nil {
		return nil, e
	}
	return newObj("advanced_snippet", sn, "rules", rules, "validation", val), nil
}

func (s *Server) connectorFiltering(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_filtering_request", map[string]string{"filtering": "a0", "rules": "a0", "advanced_snippet": "o0"})
	if e != nil {
		return nil, e
	}
	filt, _ := body.At("filtering").([]any)
	rulesV, hasRules := body.At("rules").([]any)
	snipV := body.obj("advanced_snippet")
	if filt == nil && !hasRules && snipV == nil {
		return nil, errValidation("[advanced_snippet] and [rules] cannot be both [null].")
	}
	if filt != nil && (hasRules || snipV != nil) {
		return nil, errValidation("If [filtering] is specified, [rules] and [advanced_snippet] should not be present in the request body.")
	}
	now := s.nowInstant()
	if filt != nil {
		var elems []any
		for _, el := range filt {
			eo, _ := el.(*Object)
			if eo == nil || !eo.Has("active") || !eo.Has("draft") {
				return nil, filterErr("Required [active, draft]")
			}
			act, e := s.parseFilteringRules(eo.At("active"), now)
			if e != nil {
				return nil, e
			}
			dr, e := s.parseFilteringRules(eo.At("draft"), now)
			if e != nil {
				return nil, e
			}
			elems = append(elems, newObj("active", act, "domain", "DEFAULT", "draft", dr))
		}
		if elems == nil {
			elems = []any{}
		}
		return s.blindUpdate(id, newObj("filtering", elems))
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	filtering, _ := o.At("filtering").([]any)
	if len(filtering) == 0 {
		return nil, newErr(500, "index_out_of_bounds_exception", "Index 0 out of bounds for length 0")
	}
	first, _ := filtering[0].(*Object)
	draft := first.obj("draft")
	snippet := draft.obj("advanced_snippet")
	if snipV != nil {
		if snippet, e = s.parseSnippet(snipV, now); e != nil {
			return nil, e
		}
	}
	rules, _ := draft.At("rules").([]any)
	if hasRules {
		var plain []*Object
		var def *Object
		for _, r := range rulesV {
			ro, e := s.parseRule(r, now)
			if e != nil {
				return nil, e
			}
			if isDefaultRule(ro) {
				def = ro
				continue
			}
			plain = append(plain, ro)
		}
		sort.SliceStable(plain, func(i, j int) bool {
			a, _ := asInt(plain[i].At("order"))
			b, _ := asInt(plain[j].At("order"))
			return a < b
		})
		rules = []any{}
		last := int64(-1)
		for _, r := range plain {
			rules = append(rules, r)
			last, _ = asInt(r.At("order"))
		}
		dr := s.defaultRule(now)
		if def != nil {
			dr.Set("created_at", def.At("created_at"))
			dr.Set("updated_at", def.At("created_at"))
		}
		dr.Set("order", last+1)
		rules = append(rules, dr)
	}
	newDraft := newObj("advanced_snippet", snippet, "rules", rules, "validation", newObj("errors", []any{}, "state", "edited"))
	elem := newObj("active", first.At("active"), "domain", nonEmpty(first.str("domain"), "DEFAULT"), "draft", newDraft)
	nf := append([]any{elem}, filtering[1:]...)
	return updateResult(s.partialUpdate(ix, id, o, newObj("filtering", nf)))
}

func (s *Server) filteringValidation(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_update_filtering_validation_request", map[string]string{"validation": "o0"})
	if e != nil {
		return nil, e
	}
	vv := body.obj("validation")
	if vv == nil {
		return nil, errValidation("[validation] cannot be [null].")
	}
	val, e := s.parseValidation(vv)
	if e != nil {
		return nil, e
	}
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	filtering, _ := o.At("filtering").([]any)
	if len(filtering) == 0 {
		return nil, newErr(500, "index_out_of_bounds_exception", "Index 0 out of bounds for length 0")
	}
	nf := clone(filtering).([]any)
	first := nf[0].(*Object)
	draft := first.obj("draft")
	if draft == nil {
		draft = &Object{}
		first.Set("draft", draft)
	}
	draft.Set("validation", val)
	return updateResult(s.partialUpdate(ix, id, o, newObj("filtering", nf)))
}

func (s *Server) activateFiltering(rq *request, id string) (*response, *esError) {
	ix, o, e := s.readConnector(id)
	if e != nil {
		return nil, e
	}
	filtering, _ := o.At("filtering").([]any)
	if len(filtering) == 0 {
		return nil, newErr(500, "index_out_of_bounds_exception", "Index 0 out of bounds for length 0")
	}
	nf := clone(filtering).([]any)
	first := nf[0].(*Object)
	draft := first.obj("draft")
	state := draft.obj("validation").str("state")
	if state != "valid" {
		return nil, errStatus(400, "Filtering draft needs to be validated by the connector service before activation. Current filtering draft validation state [%s] is not equal to [valid].", state)
	}
	first.Set("active", clone(draft))
	return updateResult(s.partialUpdate(ix, id, o, newObj("filtering", nf)))
}

// ---- sync jobs ----

func jobNotFound(id string) *esError {
	return errResourceNotFound("connector sync job [%s] not found", id)
}

func (s *Server) routeSyncJob(rq *request) (*response, *esError) {
	g := rq.segs
	switch len(g) {
	case 2:
		switch rq.method {
		case "GET":
			return s.listSyncJobs(rq)
		case "POST":
			return s.postSyncJob(rq)
		}
		return nil, badMethod(rq, "GET", "POST")
	case 3:
		switch rq.method {
		case "GET":
			return s.getSyncJob(g[2])
		case "DELETE":
			return s.deleteSyncJob(g[2])
		}
		return nil, badMethod(rq, "DELETE", "GET")
	case 4:
		if rq.method != "PUT" {
			return nil, badMethod(rq, "PUT")
		}
		id := g[2]
		switch g[3] {
		case "_cancel":
			return s.cancelSyncJob(id)
		case "_check_in":
			return s.checkInSyncJob(id)
		case "_claim":
			return s.claimSyncJob(rq, id)
		case "_error":
			return s.errorSyncJob(rq, id)
		case "_stats":
			return s.statsSyncJob(rq, id)
		}
	}
	return nil, noHandler(rq)
}

// readJob looks a job up; the bare id is the reason for a missing document, as in Elasticsearch.
func (s *Server) readJob(id string, bareReason bool) (*index, *Object, *esError) {
	ix, _ := s.sysIndex(SyncJobsIndex, false)
	if ix == nil {
		return nil, nil, jobNotFound(id)
	}
	o := s.readObj(ix, id)
	if o == nil {
		if bareReason {
			return nil, nil, errResourceNotFound("%s", id)
		}
		return nil, nil, jobNotFound(id)
	}
	return ix, o, nil
}

func (s *Server) postSyncJob(rq *request) (*response, *esError) {
	body, e := s.connBody(rq, "connector_sync_job_post_request", map[string]string{"id": "s0", "job_type": "s0", "trigger_method": "s0"})
	if e != nil {
		return nil, e
	}
	cid, _ := body.At("id").(string)
	if cid == "" {
		return nil, errValidation("[id] of the connector cannot be null or empty")
	}
	jobType := "full"
	if v, ok := body.At("job_type").(string); ok {
		jt, ok := enumValue(v, []string{"full", "incremental", "access_control"})
		if !ok {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [connector_sync_job_post_request] failed to parse field [job_type]", keyLoc(rq.body, "job_type"))).
				withCause(errIllegalArg("Unknown ConnectorSyncJobType [%s].", v))
		}
		jobType = jt
	}
	trigger := "on_demand"
	if v, ok := body.At("trigger_method").(string); ok {
		tm, ok := enumValue(v, []string{"on_demand", "scheduled"})
		if !ok {
			return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("%s [connector_sync_job_post_request] failed to parse field [trigger_method]", keyLoc(rq.body, "trigger_method"))).
				withCause(errIllegalArg("Unknown ConnectorSyncJobTriggerMethod [%s].", v))
		}
		trigger = tm
	}
	cix, _ := s.sysIndex(ConnectorsIndex, false)
	c := s.readObj(cix, cid)
	if c == nil {
		return nil, errResourceNotFound("Connector with id '%s' does not exist.", cid)
	}
	indexName, _ := c.At("index_name").(string)
	if indexName == "" {
		return nil, errStatus(400, "Cannot start a sync for connector [%s] with no index attached. Set the [index_name] property for the connector to enable syncing data.", cid)
	}
	if st, _ := c.At("service_type").(string); st == "" {
		return nil, errStatus(400, "Cannot start a sync for connector [%s] with [service_type] not defined. Set the service type of your connector before starting the sync.", cid)
	}
	snap := newObj("id", cid)
	if f, _ := c.At("filtering").([]any); len(f) > 0 {
		if fo, _ := f[0].(*Object); fo != nil && fo.Has("active") {
			snap.Set("filtering", clone(fo.At("active")))
		}
	}
	if jobType == "access_control" {
		indexName = ACLIndexPrefix + indexName
	}
	snap.Set("index_name", indexName)
	if v, ok := c.Get("language"); ok && v != nil {
		snap.Set("language", v)
	}
	if v, ok := c.Get("pipeline"); ok && v != nil {
		snap.Set("pipeline", clone(v))
	}
	snap.Set("service_type", c.At("service_type"))
	cfg, ok := c.Get("configuration")
	if !ok || cfg == nil {
		cfg = &Object{}
	}
	snap.Set("configuration", clone(cfg))
	now := s.nowInstant()
	job := newObj("connector", snap, "created_at", now, "deleted_document_count", 0, "indexed_document_count", 0,
		"indexed_document_volume", 0, "job_type", jobType, "last_seen", now, "metadata", &Object{},
		"status", "pending", "total_document_count", 0, "trigger_method", trigger)
	jx, e := s.sysIndex(SyncJobsIndex, true)
	if e != nil {
		return nil, e
	}
	id := s.newID()[:20]
	if _, e := s.writeObj(jx, id, job); e != nil {
		return nil, e
	}
	return status(201, newObj("id", id)), nil
}

func (s *Server) getSyncJob(id string) (*response, *esError) {
	_, o, e := s.readJob(id, true)
	if e != nil {
		return nil, e
	}
	return ok(withID(id, o)), nil
}

func (s *Server) deleteSyncJob(id string) (*response, *esError) {
	ix, _, e := s.readJob(id, true)
	if e != nil {
		return nil, e
	}
	ix.remove(id, s.now())
	ix.refresh(s.now())
	return ok(newObj("acknowledged", true)), nil
}

func (s *Server) listSyncJobs(rq *request) (*response, *esError) {
	from, size, e := pageParams(rq)
	if e != nil {
		return nil, e
	}
	cid := rq.param("connector_id")
	var st string
	if v := rq.param("status"); v != "" {
		var ok bool
		if st, ok = enumValue(v, syncStatuses); !ok {
			return nil, errIllegalArg("Unknown ConnectorSyncStatus [%s].", v)
		}
	}
	var types []string
	for _, v := range splitList(rq.param("job_type")) {
		jt, ok := enumValue(v, []string{"full", "incremental", "access_control"})
		if !ok {
			return nil, errIllegalArg("Unknown ConnectorSyncJobType [%s].", v)
		}
		types = append(types, jt)
	}
	ix, _ := s.sysIndex(SyncJobsIndex, false)
	type hit struct {
		id  string
		o   *Object
		at  int64
		pos int
	}
	var hits []hit
	if ix != nil {
		for pos, d := range ix.searchable() {
			v, _ := parseJSON(d.src)
			o, _ := v.(*Object)
			if o == nil {
				continue
			}
			if cid != "" && o.obj("connector").str("id") != cid {
				continue
			}
			if st != "" && o.str("status") != st {
				continue
			}
			if len(types) > 0 && !inList(o.At("job_type"), types) {
				continue
			}
			at, _ := parseISODate(o.str("created_at"), false)
			hits = append(hits, hit{d.id, o, at, pos})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].at != hits[j].at {
			return hits[i].at > hits[j].at
		}
		return hits[i].pos < hits[j].pos
	})
	total := len(hits)
	lo := min(from, total)
	hi := min(lo+size, total)
	results := make([]any, 0, hi-lo)
	for _, h := range hits[lo:hi] {
		results = append(results, withID(h.id, h.o))
	}
	return ok(newObj("count", total, "results", results)), nil
}

func (s *Server) cancelSyncJob(id string) (*response, *esError) {
	ix, o, e := s.readJob(id, true)
	if e != nil {
		return nil, e
	}
	now := s.nowInstant()
	cur := o.str("status")
	var partial *Object
	if cur == "pending" || cur == "suspended" {
		partial = newObj("cancelation_requested_at", now, "canceled_at", now, "completed_at", now, "status", "canceled")
	} else {
		if !allowed(syncTransitions, cur, "canceling") {
			return nil, errStatus(400, "Invalid transition attempt from [%s] to [canceling]. Such a ConnectorSyncStatus transition is not supported by the Connector Protocol.", cur)
		}
		partial = newObj("cancelation_requested_at", now, "status", "canceling")
	}
	return updateResult(s.partialUpdate(ix, id, o, partial))
}

func (s *Server) checkInSyncJob(id string) (*response, *esError) {
	ix, o, e := s.readJob(id, false)
	if e != nil {
		return nil, e
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("last_seen", s.nowInstant())))
}

func (s *Server) claimSyncJob(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_sync_job_claim_request", map[string]string{"worker_hostname": "s", "sync_cursor": "o"})
	if e != nil {
		return nil, e
	}
	host, ok := body.At("worker_hostname").(string)
	if !ok {
		return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_sync_job_claim_request] failed to parse object").withCause(errIllegalArg("Required [worker_hostname]"))
	}
	ix, o, e := s.readJob(id, true)
	if e != nil {
		return nil, e
	}
	now := s.nowInstant()
	partial := newObj("last_seen", now, "started_at", now, "status", "in_progress", "worker_hostname", host)
	if sc := body.obj("sync_cursor"); sc != nil {
		partial.Set("connector", newObj("sync_cursor", sc))
	}
	return updateResult(s.partialUpdate(ix, id, o, partial))
}

func (s *Server) errorSyncJob(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_sync_job_error_request", map[string]string{"error": "s0"})
	if e != nil {
		return nil, e
	}
	msg, _ := body.At("error").(string)
	if msg == "" {
		return nil, errValidation("[error] of the connector sync job cannot be null or empty")
	}
	ix, o, e := s.readJob(id, true)
	if e != nil {
		return nil, e
	}
	cur := o.str("status")
	if !allowed(syncTransitions, cur, "error") {
		return nil, errStatus(400, "Invalid transition attempt from [%s] to [error]. Such a ConnectorSyncStatus transition is not supported by the Connector Protocol.", cur)
	}
	return updateResult(s.partialUpdate(ix, id, o, newObj("error", msg, "status", "error")))
}

func (s *Server) statsSyncJob(rq *request, id string) (*response, *esError) {
	body, e := s.connBody(rq, "connector_sync_job_update_stats_request", map[string]string{"deleted_document_count": "n",
		"indexed_document_count": "n", "indexed_document_volume": "n", "total_document_count": "n0", "last_seen": "d0", "metadata": "o0"})
	if e != nil {
		return nil, e
	}
	for _, k := range []string{"deleted_document_count", "indexed_document_count", "indexed_document_volume"} {
		if !body.Has(k) {
			return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_sync_job_update_stats_request] failed to parse object").withCause(errIllegalArg("Required [%s]", k))
		}
	}
	var problems []string
	for _, k := range []string{"deleted_document_count", "indexed_document_count", "indexed_document_volume", "total_document_count"} {
		if v, ok := body.At(k).(Number); ok {
			if n, _ := asInt(v); n < 0 {
				problems = append(problems, "["+k+"] cannot be negative.")
			}
		}
	}
	if len(problems) > 0 {
		return nil, errValidation(problems...)
	}
	partial := newObj("deleted_document_count", body.At("deleted_document_count"),
		"indexed_document_count", body.At("indexed_document_count"),
		"indexed_document_volume", body.At("indexed_document_volume"))
	if v, ok := body.At("total_document_count").(Number); ok {
		partial.Set("total_document_count", v)
	}
	last := s.nowInstant()
	if v := body.At("last_seen"); v != nil {
		t, ok := parseInstant(v)
		if !ok {
			return nil, newErr(400, "x_content_parse_exception", "[1:2] [connector_sync_job_update_stats_request] failed to parse field [last_seen]")
		}
		last = t
	}
	partial.Set("last_seen", last)
	if m := body.obj("metadata"); m != nil {
		partial.Set("metadata", m)
	}
	ix, o, e := s.readJob(id, false)
	if e != nil {
		return nil, e
	}
	return updateResult(s.partialUpdate(ix, id, o, partial))
}

// ---- secrets ----

func (s *Server) routeSecret(rq *request) (*response, *esError) {
	g := rq.segs
	if len(g) == 2 {
		if rq.method != "POST" {
			return nil, badMethod(rq, "POST")
		}
		body, e := s.connBody(rq, "post_connector_secret_request", map[string]string{"value": "s"})
		if e != nil {
			return nil, e
		}
		v, _ := body.At("value").(string)
		if v == "" {
			return nil, errValidation(`[value] of the connector secret cannot be [null] or [""]`)
		}
		ix, e := s.sysIndex(SecretsIndex, true)
		if e != nil {
			return nil, e
		}
		id := s.newID()[:20]
		ix.put(id, encodeJSON(newObj("value", v)), 1)
		return ok(newObj("id", id)), nil
	}
	if len(g) != 3 {
		return nil, noHandler(rq)
	}
	id := g[2]
	ix, _ := s.sysIndex(SecretsIndex, false)
	missing := func() *esError { return errResourceNotFound("No secret with id [%s]", id) }
	switch rq.method {
	case "GET":
		o := s.readObj(ix, id)
		if o == nil {
			return nil, missing()
		}
		return ok(newObj("id", id, "value", o.At("value"))), nil
	case "DELETE":
		if ix == nil || ix.live[id] == nil {
			return nil, missing()
		}
		ix.remove(id, s.now())
		ix.refresh(s.now())
		return ok(newObj("deleted", true)), nil
	case "PUT":
		body, e := s.connBody(rq, "put_connector_secret_request", map[string]string{"value": "s0"})
		if e != nil {
			return nil, e
		}
		v, _ := body.At("value").(string)
		if v == "" {
			return nil, errValidation(`[value] cannot be [null] or [""]`)
		}
		ix, e := s.sysIndex(SecretsIndex, true)
		if e != nil {
			return nil, e
		}
		created, e := s.writeObj(ix, id, newObj("value", v))
		if e != nil {
			return nil, e
		}
		if created {
			return status(201, newObj("result", "created")), nil
		}
		return ok(newObj("result", "updated")), nil
	}
	return nil, badMethod(rq, "DELETE", "GET", "PUT")
}
