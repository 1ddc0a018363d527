package estest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// writeOp is one document write, from the document APIs or a _bulk item.
type writeOp struct {
	kind     string // index, create, update, delete
	target   string
	id       string
	src      []byte  // index/create
	update   *Object // update body
	ifSeq    *int64
	ifTerm   *int64
	pipeline string // "" = index default, "_none" = none
	hasPipe  bool
	reqAlias bool
}

type writeResult struct {
	ix      *index
	index   string
	id      string
	version int64
	seq     int64
	result  string
	status  int
	err     *esError
	noop    bool
}

// applyWrite performs one write. Caller holds s.mu.
func (s *Server) applyWrite(op *writeOp) writeResult {
	res := writeResult{index: op.target, id: op.id}
	now := s.now()
	ix, found, e := s.writeTarget(op.target)
	if e != nil {
		res.err, res.status = e, e.status
		return res
	}
	if op.reqAlias && (ix == nil || s.indices[op.target] == ix) {
		e := newErr(404, "index_not_found_exception", "no such index ["+op.target+"] and [require_alias] request flag is [true] and ["+op.target+"] is not an alias",
			"resource.type", "index_expression", "resource.id", op.target, "index_uuid", "_na_", "index", op.target)
		res.err, res.status = e, 404
		return res
	}
	if !found {
		if op.kind == "delete" {
			e := errIndexNotFound(op.target)
			res.err, res.status = e, 404
			return res
		}
		if e := validateIndexName(op.target); e != nil {
			res.err, res.status = e, 400
			return res
		}
		// index, create and update requests auto-create their index (action.auto_create_index)
		ix, e = s.createIndex(op.target, nil)
		if e != nil {
			res.err, res.status = e, e.status
			return res
		}
	}
	res.ix, res.index = ix, ix.name
	if op.id == "" && op.kind != "delete" && op.kind != "update" {
		op.id = s.newID()[:20]
		res.id = op.id
	}
	if op.id == "" {
		e := errValidation("id is missing")
		res.err, res.status = e, 400
		return res
	}
	if len(op.id) > 512 {
		e := errValidation(fmt.Sprintf("id [%s] is too long, must be no longer than 512 bytes but was: %d", op.id, len(op.id)))
		res.err, res.status = e, 400
		return res
	}
	cur := ix.live[op.id]
	switch op.kind {
	case "delete":
		if e := s.checkCAS(ix, op, cur); e != nil {
			res.err, res.status = e, 409
			return res
		}
		if cur == nil {
			ix.seq++
			v := ix.nextVersion(op.id, now)
			ix.tombs[op.id] = tombstone{version: v, seq: ix.seq, at: now}
			res.version, res.seq, res.result, res.status = v, ix.seq, "not_found", 404
			return res
		}
		seq, v := ix.remove(op.id, now)
		res.version, res.seq, res.result, res.status = v, seq, "deleted", 200
		return res
	case "update":
		return s.applyUpdate(ix, op, cur, res)
	}
	// index / create
	if op.kind == "create" && cur != nil {
		e := s.versionConflict(ix, op.id, fmt.Sprintf("document already exists (current version [%d])", cur.version))
		res.err, res.status = e, 409
		return res
	}
	src, e := s.runPipelines(ix, op, op.src)
	if e != nil {
		res.err, res.status = e, e.status
		return res
	}
	if src == nil {
		// dropped by the pipeline
		res.result, res.status, res.noop, res.version = "noop", 200, true, -3
		return res
	}
	if e := s.checkDoc(ix, op.id, src); e != nil {
		res.err, res.status = e, e.status
		return res
	}
	if e := s.checkCAS(ix, op, cur); e != nil {
		res.err, res.status = e, 409
		return res
	}
	v := ix.nextVersion(op.id, now)
	d := ix.put(op.id, src, v)
	res.version, res.seq = d.version, d.seq
	if cur == nil {
		res.result, res.status = "created", 201
	} else {
		res.result, res.status = "updated", 200
	}
	return res
}

func (s *Server) checkCAS(ix *index, op *writeOp, cur *doc) *esError {
	if op.ifSeq == nil && op.ifTerm == nil {
		return nil
	}
	seq, term := int64(-2), int64(0)
	if op.ifSeq != nil {
		seq = *op.ifSeq
	}
	if op.ifTerm != nil {
		term = *op.ifTerm
	}
	if cur == nil {
		return s.versionConflict(ix, op.id, fmt.Sprintf("required seqNo [%d], primary term [%d]. but no document was found", seq, term))
	}
	if cur.seq != seq || term != 1 {
		return s.versionConflict(ix, op.id, fmt.Sprintf("required seqNo [%d], primary term [%d]. current document has seqNo [%d] and primary term [1]", seq, term, cur.seq))
	}
	return nil
}

// checkDoc validates a source against the index mapping and applies dynamic mapping additions.
func (s *Server) checkDoc(ix *index, id string, src []byte) *esError {
	v, offs, err := parseJSONOffsets(src)
	if err != nil {
		pe, _ := err.(*parseError)
		loc := "[1:1] "
		if pe != nil {
			loc = fmt.Sprintf("[%d:%d] ", pe.Line, pe.Col)
		}
		typ := "document_parsing_exception"
		if !s.docParsingException() {
			typ, loc = "mapper_parsing_exception", ""
		}
		return newErr(400, typ, loc+"failed to parse").withCause(errXContent(err, ""))
	}
	o, ok := v.(*Object)
	if !ok {
		typ := "document_parsing_exception"
		if !s.docParsingException() {
			typ = "mapper_parsing_exception"
		}
		return newErr(400, typ, "[1:1] failed to parse").withCause(newErr(400, "not_x_content_exception", "Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes"))
	}
	dd := true
	if ix.mapping.params != nil {
		if v, ok := ix.mapping.params.Get("date_detection"); ok && (v == false || v == "false") {
			dd = false
		}
	}
	p := &docParser{s: s, ix: ix, id: id, src: src, offs: offs, oi: 1, dateDet: dd}
	if ix.mapping.enabled != nil && !*ix.mapping.enabled {
		return nil
	}
	if e := p.parseObject(o, ix.mapping, "", nonEmpty(ix.mapping.dynamic, "true")); e != nil {
		return e
	}
	p.commit()
	return nil
}

// mergeDoc applies a partial document: objects merge key by key, everything else replaces.
func mergeDoc(dst, src *Object) bool {
	changed := false
	for i, k := range src.Keys {
		nv := src.Vals[i]
		ov, had := dst.Get(k)
		if no, ok := nv.(*Object); ok {
			if oo, ok := ov.(*Object); ok && had {
				if mergeDoc(oo, no) {
					changed = true
				}
				continue
			}
		}
		if !had || !jsonEqual(ov, nv) {
			changed = true
		}
		dst.Set(k, clone(nv))
	}
	return changed
}

func (s *Server) applyUpdate(ix *index, op *writeOp, cur *doc, res writeResult) writeResult {
	now := s.now()
	body := op.update
	if body == nil {
		e := errValidation("script or doc is missing")
		res.err, res.status = e, 400
		return res
	}
	for _, k := range body.Keys {
		switch k {
		case "doc", "upsert", "doc_as_upsert", "detect_noop", "scripted_upsert", "_source", "script":
		default:
			e := errXContent(nil, fmt.Sprintf("[1:2] [UpdateRequest] unknown field [%s]", k))
			res.err, res.status = e, 400
			return res
		}
	}
	if body.Has("script") {
		e := errIllegalArg("estest does not execute scripts; use a partial document (doc) instead")
		res.err, res.status = e, 400
		return res
	}
	docV, hasDoc := body.Get("doc")
	partial, _ := docV.(*Object)
	if !hasDoc || partial == nil {
		e := errValidation("script or doc is missing")
		res.err, res.status = e, 400
		return res
	}
	if e := s.checkCAS(ix, op, cur); e != nil {
		res.err, res.status = e, 409
		return res
	}
	asUpsert, _ := body.Get("doc_as_upsert")
	if asUpsert == true {
		// Elasticsearch runs the ingest pipeline on the upsert request, which for doc_as_upsert is the
		// partial document itself, before it is merged or inserted.
		out, e := s.runPipelines(ix, op, encodeJSON(partial))
		if e != nil {
			res.err, res.status = e, e.status
			return res
		}
		if out == nil {
			res.index, res.result, res.status, res.noop = ix.name, "noop", 200, true
			if cur != nil {
				res.version, res.seq = cur.version, cur.seq
			}
			return res
		}
		pv, _ := parseJSON(out)
		if po, ok := pv.(*Object); ok {
			partial = po
		}
	}
	detectNoop := true
	if v, ok := body.Get("detect_noop"); ok && v == false {
		detectNoop = false
	}
	var newSrc []byte
	if cur == nil {
		if up := body.obj("upsert"); up != nil && asUpsert != true {
			var e *esError
			if newSrc, e = s.runPipelines(ix, op, encodeJSON(up)); e != nil {
				res.err, res.status = e, e.status
				return res
			}
			if newSrc == nil {
				res.result, res.status, res.noop = "noop", 200, true
				return res
			}
		} else if asUpsert == true {
			newSrc = encodeJSON(partial)
		} else {
			e := errDocMissing(ix, op.id)
			res.err, res.status = e, 404
			return res
		}
		if e := s.checkDoc(ix, op.id, newSrc); e != nil {
			res.err, res.status = e, e.status
			return res
		}
		d := ix.put(op.id, newSrc, ix.nextVersion(op.id, now))
		res.version, res.seq, res.result, res.status = d.version, d.seq, "created", 201
		return res
	}
	v, err := parseJSON(cur.src)
	if err != nil {
		e := errIllegalArg("stored source of [%s] is not valid JSON", op.id)
		res.err, res.status = e, 500
		return res
	}
	merged, _ := v.(*Object)
	changed := mergeDoc(merged, partial)
	if !changed && detectNoop {
		res.version, res.seq, res.result, res.status, res.noop = cur.version, cur.seq, "noop", 200, true
		return res
	}
	newSrc = encodeJSON(merged)
	if e := s.checkDoc(ix, op.id, newSrc); e != nil {
		res.err, res.status = e, e.status
		return res
	}
	d := ix.put(op.id, newSrc, cur.version+1)
	res.version, res.seq, res.result, res.status = d.version, d.seq, "updated", 200
	return res
}

func shards(total, ok int) *Object {
	return newObj("total", total, "successful", ok, "failed", 0)
}

func (res *writeResult) body(forced bool) *Object {
	o := newObj("_index", res.index, "_id", res.id, "_version", res.version, "result", res.result)
	if res.noop {
		o.Set("_shards", shards(0, 0))
	} else {
		o.Set("_shards", shards(2, 1))
	}
	if forced {
		o.Set("forced_refresh", true)
	}
	o.Set("_seq_no", res.seq)
	o.Set("_primary_term", 1)
	return o
}

// ---- refresh policy ----

type refreshPolicy int

const (
	refreshNone refreshPolicy = iota
	refreshImmediate
	refreshWaitFor
)

func (rq *request) refreshPolicy() (refreshPolicy, *esError) {
	if !rq.has("refresh") {
		return refreshNone, nil
	}
	switch rq.param("refresh") {
	case "", "true":
		return refreshImmediate, nil
	case "false":
		return refreshNone, nil
	case "wait_for":
		return refreshWaitFor, nil
	}
	return refreshNone, errIllegalArg("Unknown value for refresh: [%s].", rq.param("refresh"))
}

// waitForRefresh blocks until seq is visible to search in ix, as refresh=wait_for does.
// Caller must not hold s.mu.
func (s *Server) waitForRefresh(rq *request, ix *index, seq int64) {
	for {
		s.mu.Lock()
		if ix.refreshed >= seq || s.indices[ix.name] != ix {
			s.mu.Unlock()
			return
		}
		if ix.searchIdle(s.now()) {
			// a refresh listener on a search-idle shard triggers a refresh
			ix.refresh(s.now())
			s.mu.Unlock()
			return
		}
		ch := ix.refreshCh
		s.mu.Unlock()
		select {
		case <-ch:
		case <-rq.r.Context().Done():
			return
		case <-s.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// ---- document APIs ----

func parseOptInt(rq *request, name string) (*int64, *esError) {
	if !rq.has(name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(rq.param(name), 10, 64)
	if err != nil {
		return nil, errIllegalArg("Failed to parse long parameter [%s] with value [%s]", name, rq.param(name))
	}
	return &n, nil
}

func (s *Server) indexDoc(rq *request, name, id string, create bool) (*response, *esError) {
	op := &writeOp{kind: "index", target: name, id: id, src: bytes.TrimSpace(rq.body)}
	if create {
		op.kind = "create"
	}
	if ot := rq.param("op_type"); ot != "" {
		switch ot {
		case "create":
			op.kind = "create"
		case "index":
		default:
			return nil, errIllegalArg("opType must be 'create' or 'index', found: [%s]", ot)
		}
	}
	if len(op.src) == 0 {
		return nil, errValidation("source is missing", "content type is missing")
	}
	var e *esError
	if op.ifSeq, e = parseOptInt(rq, "if_seq_no"); e != nil {
		return nil, e
	}
	if op.ifTerm, e = parseOptInt(rq, "if_primary_term"); e != nil {
		return nil, e
	}
	if (op.ifSeq == nil) != (op.ifTerm == nil) {
		if op.ifSeq != nil {
			return nil, errValidation("ifSeqNo is set, but primary term is [0]")
		}
		return nil, errValidation("ifSeqNo is unassigned, but primary term is [" + strconv.FormatInt(*op.ifTerm, 10) + "]")
	}
	if op.kind == "create" && op.ifSeq != nil {
		return nil, errValidation("create operations do not support compare and set. use index instead")
	}
	op.pipeline, op.hasPipe = rq.param("pipeline"), rq.has("pipeline")
	op.reqAlias, _ = rq.boolParam("require_alias", false)
	pol, e := rq.refreshPolicy()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	if e := s.systemIndexGuard(rq, name, "write"); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	res := s.applyWrite(op)
	if res.err != nil {
		s.mu.Unlock()
		return nil, res.err
	}
	forced := false
	if pol == refreshImmediate && !res.noop {
		res.ix.refresh(s.now())
		forced = true
	}
	s.mu.Unlock()
	if pol == refreshWaitFor && !res.noop {
		s.waitForRefresh(rq, res.ix, res.seq)
	}
	return status(res.status, res.body(forced)), nil
}

func (s *Server) deleteDoc(rq *request, name, id string) (*response, *esError) {
	op := &writeOp{kind: "delete", target: name, id: id}
	var e *esError
	if op.ifSeq, e = parseOptInt(rq, "if_seq_no"); e != nil {
		return nil, e
	}
	if op.ifTerm, e = parseOptInt(rq, "if_primary_term"); e != nil {
		return nil, e
	}
	pol, e := rq.refreshPolicy()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	if e := s.systemIndexGuard(rq, name, "write"); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	res := s.applyWrite(op)
	if res.err != nil {
		s.mu.Unlock()
		return nil, res.err
	}
	forced := false
	if pol == refreshImmediate {
		res.ix.refresh(s.now())
		forced = true
	}
	s.mu.Unlock()
	if pol == refreshWaitFor {
		s.waitForRefresh(rq, res.ix, res.seq)
	}
	return status(res.status, res.body(forced)), nil
}

func (s *Server) updateDoc(rq *request, name, id string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	op := &writeOp{kind: "update", target: name, id: id, update: body}
	if op.ifSeq, e = parseOptInt(rq, "if_seq_no"); e != nil {
		return nil, e
	}
	if op.ifTerm, e = parseOptInt(rq, "if_primary_term"); e != nil {
		return nil, e
	}
	pol, e := rq.refreshPolicy()
	if e != nil {
		return nil, e
	}
	retries, e := rq.intParam("retry_on_conflict", 0)
	if e != nil {
		return nil, e
	}
	_ = retries // a single-writer store has no conflicts to retry
	s.mu.Lock()
	if e := s.systemIndexGuard(rq, name, "write"); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	res := s.applyWrite(op)
	if res.err != nil {
		s.mu.Unlock()
		return nil, res.err
	}
	forced := false
	if pol == refreshImmediate && !res.noop {
		res.ix.refresh(s.now())
		forced = true
	}
	out := res.body(forced)
	if sf := rq.param("_source"); sf != "" || body.Has("_source") {
		if d := res.ix.live[id]; d != nil {
			filter := parseSourceParam(rq)
			if fv, ok := body.Get("_source"); ok {
				filter = parseSourceFilter(fv)
			}
			if filter != nil && !filter.disabled {
				out.Set("get", newObj("_seq_no", d.seq, "_primary_term", 1, "found", true, "_source", filter.apply(d.src)))
			}
		}
	}
	s.mu.Unlock()
	if pol == refreshWaitFor && !res.noop {
		s.waitForRefresh(rq, res.ix, res.seq)
	}
	return status(res.status, out), nil
}

func (s *Server) getDoc(rq *request, name, id string, sourceOnly bool) (*response, *esError) {
	realtime, e := rq.boolParam("realtime", true)
	if e != nil {
		return nil, e
	}
	doRefresh, e := rq.boolParam("refresh", false)
	if e != nil {
		return nil, e
	}
	filter := parseSourceParam(rq)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ix, e := s.readTarget(name)
	if e != nil {
		return nil, e
	}
	if doRefresh {
		ix.refresh(s.now())
	}
	d := ix.live[id]
	if !realtime {
		d = nil
		for _, x := range ix.log {
			if x.id == id && x.visibleAt(ix.refreshed) {
				d = x
			}
		}
	}
	if d == nil {
		if sourceOnly {
			return nil, newErr(404, "resource_not_found_exception", "Document not found ["+ix.name+"]/["+id+"]")
		}
		return status(404, newObj("_index", ix.name, "_id", id, "found", false)), nil
	}
	if sourceOnly {
		if filter != nil && !filter.disabled {
			return ok(filter.apply(d.src)), nil
		}
		return ok(Raw(d.src)), nil
	}
	o := newObj("_index", ix.name, "_id", id, "_version", d.version, "_seq_no", d.seq, "_primary_term", 1, "found", true)
	if filter == nil {
		o.Set("_source", Raw(d.src))
	} else if !filter.disabled {
		o.Set("_source", filter.apply(d.src))
	}
	return ok(o), nil
}

func (s *Server) mget(rq *request, name string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	if body == nil {
		return nil, errValidation("no documents to get")
	}
	defFilter := parseSourceParam(rq)
	type item struct {
		index, id string
		filter    *sourceFilter
	}
	var items []item
	if ids, ok := body.Get("ids"); ok {
		list, _ := ids.([]any)
		for _, x := range list {
			id, _ := scalarString(x)
			items = append(items, item{name, id, defFilter})
		}
	} else if docs, ok := body.Get("docs"); ok {
		list, _ := docs.([]any)
		for _, x := range list {
			do, _ := x.(*Object)
			if do == nil {
				return nil, errIllegalArg("docs array element should include an object")
			}
			it := item{index: name, filter: defFilter}
			if v := do.str("_index"); v != "" {
				it.index = v
			}
			idv, _ := do.Get("_id")
			it.id, _ = scalarString(idv)
			if sv, ok := do.Get("_source"); ok {
				it.filter = parseSourceFilter(sv)
			}
			items = append(items, it)
		}
	} else {
		return nil, errParsing("unknown key [%s] for a START_OBJECT, expected [docs] or [ids]", strings.Join(body.Keys, ","))
	}
	var errs []string
	for i, it := range items {
		if it.index == "" {
			errs = append(errs, fmt.Sprintf("index is missing for doc %d", i))
		}
		if it.id == "" {
			errs = append(errs, fmt.Sprintf("id is missing for doc %d", i))
		}
	}
	if len(errs) > 0 {
		return nil, errValidation(errs...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, 0, len(items))
	for _, it := range items {
		ix, e := s.readTarget(it.index)
		if e != nil {
			out = append(out, newObj("_index", it.index, "_id", it.id, "error", e.object(true)))
			continue
		}
		d := ix.live[it.id]
		if d == nil {
			out = append(out, newObj("_index", ix.name, "_id", it.id, "found", false))
			continue
		}
		o := newObj("_index", ix.name, "_id", it.id, "_version", d.version, "_seq_no", d.seq, "_primary_term", 1, "found", true)
		if it.filter == nil {
			o.Set("_source", Raw(d.src))
		} else if !it.filter.disabled {
			o.Set("_source", it.filter.apply(d.src))
		}
		out = append(out, o)
	}
	return ok(newObj("docs", out)), nil
}

// ---- _bulk ----

type bulkItem struct {
	op   *writeOp
	line int
}

func (s *Server) parseBulk(rq *request, defIndex string) ([]*bulkItem, *esError) {
	body := rq.body
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, newErr(400, "parse_exception", "request body is required")
	}
	if body[len(body)-1] != '\n' {
		return nil, errIllegalArg("The bulk request must be terminated by a newline [\\n]")
	}
	defPipeline, hasDefPipe := rq.param("pipeline"), rq.has("pipeline")
	defReqAlias, _ := rq.boolParam("require_alias", false)
	lines := bytes.Split(body[:len(body)-1], []byte{'\n'})
	var items []*bulkItem
	var missingIndex []string
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		lineNo := i + 1
		v, err := parseJSON(line)
		if err != nil {
			if pe, ok := err.(*parseError); ok {
				return nil, newErr(400, "x_content_parse_exception", fmt.Sprintf("[%d:%d] %s", lineNo, pe.Col, pe.Msg))
			}
			return nil, errIllegalArg("Malformed action/metadata line [%d]", lineNo)
		}
		ao, ok := v.(*Object)
		if !ok {
			return nil, errIllegalArg("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT but found [%s]", lineNo, tokenName(v))
		}
		if ao.Len() != 1 {
			if ao.Len() == 0 {
				return nil, errIllegalArg("Malformed action/metadata line [%d], expected FIELD_NAME but found [END_OBJECT]", lineNo)
			}
			return nil, errIllegalArg("Malformed action/metadata line [%d], expected END_OBJECT but found [FIELD_NAME]", lineNo)
		}
		kind := ao.Keys[0]
		switch kind {
		case "index", "create", "update", "delete":
		default:
			return nil, errIllegalArg("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", lineNo, kind)
		}
		meta, ok := ao.Vals[0].(*Object)
		if !ok {
			return nil, errIllegalArg("Malformed action/metadata line [%d], expected START_OBJECT but found [%s]", lineNo, tokenName(ao.Vals[0]))
		}
		op := &writeOp{kind: kind, target: defIndex, pipeline: defPipeline, hasPipe: hasDefPipe, reqAlias: defReqAlias}
		for j, k := range meta.Keys {
			mv := meta.Vals[j]
			switch k {
			case "_index":
				op.target, _ = scalarString(mv)
			case "_id":
				op.id, _ = scalarString(mv)
			case "if_seq_no":
				n, ok := asInt(mv)
				if !ok {
					return nil, errIllegalArg("Malformed action/metadata line [%d], if_seq_no must be a number", lineNo)
				}
				op.ifSeq = &n
			case "if_primary_term":
				n, ok := asInt(mv)
				if !ok {
					return nil, errIllegalArg("Malformed action/metadata line [%d], if_primary_term must be a number", lineNo)
				}
				op.ifTerm = &n
			case "pipeline":
				op.pipeline, _ = scalarString(mv)
				op.hasPipe = true
			case "require_alias":
				op.reqAlias = mv == true
			case "routing", "retry_on_conflict", "version", "version_type", "dynamic_templates", "_source", "require_data_stream", "list_executed_pipelines":
			case "op_type":
				if t, _ := mv.(string); t == "create" && kind == "index" {
					op.kind = "create"
				}
			default:
				return nil, errIllegalArg("Action/metadata line [%d] contains an unknown parameter [%s]", lineNo, k)
			}
		}
		if op.target == "" {
			missingIndex = append(missingIndex, "index is missing")
		}
		if kind != "delete" {
			i++
			for i < len(lines) && len(bytes.TrimSpace(lines[i])) == 0 && false {
				i++
			}
			if i >= len(lines) {
				return nil, errIllegalArg("The bulk request must be terminated by a newline [\\n]")
			}
			src := bytes.TrimSpace(lines[i])
			if kind == "update" {
				uv, err := parseJSON(src)
				if err != nil {
					return nil, errXContent(err, "")
				}
				uo, _ := uv.(*Object)
				op.update = uo
			} else {
				op.src = src // copied into the index's slab when stored
			}
		}
		items = append(items, &bulkItem{op: op, line: lineNo})
	}
	if len(items) == 0 {
		return nil, errValidation("no requests added")
	}
	if len(missingIndex) > 0 {
		return nil, errValidation(missingIndex...)
	}
	return items, nil
}

func tokenName(v any) string {
	switch v.(type) {
	case string:
		return "VALUE_STRING"
	case Number:
		return "VALUE_NUMBER"
	case bool:
		return "VALUE_BOOLEAN"
	case nil:
		return "VALUE_NULL"
	case []any:
		return "START_ARRAY"
	}
	return "START_OBJECT"
}

func (s *Server) bulk(rq *request, defIndex string, f *Fault) (*response, *esError) {
	start := time.Now()
	pol, e := rq.refreshPolicy()
	if e != nil {
		return nil, e
	}
	items, e := s.parseBulk(rq, defIndex)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	for _, it := range items {
		if e := s.systemIndexGuard(rq, it.op.target, "write"); e != nil {
			s.mu.Unlock()
			return nil, e
		}
	}
	out := make([]any, len(items))
	errors := false
	touched := map[*index]int64{}
	for i, it := range items {
		op := it.op
		var res writeResult
		if fe := f.bulkItemError(i, op.id); fe != nil {
			res = writeResult{index: op.target, id: op.id, err: fe, status: fe.status}
			if ix, ok := s.indices[op.target]; ok {
				res.index = ix.name
			}
		} else if op.kind == "update" && op.update == nil {
			ee := errValidation("script or doc is missing")
			res = writeResult{index: op.target, id: op.id, err: ee, status: 400}
		} else if (op.ifSeq == nil) != (op.ifTerm == nil) {
			ee := errValidation("ifSeqNo is set, but primary term is [0]")
			res = writeResult{index: op.target, id: op.id, err: ee, status: 400}
		} else {
			res = s.applyWrite(op)
		}
		item := newObj("_index", res.index, "_id", res.id)
		if res.err != nil {
			errors = true
			item.Set("status", res.status)
			item.Set("error", res.err.object(true))
		} else {
			item.Set("_version", res.version)
			item.Set("result", res.result)
			if pol == refreshImmediate && !res.noop {
				item.Set("forced_refresh", true)
			}
			if res.noop {
				item.Set("_shards", shards(0, 0))
			} else {
				item.Set("_shards", shards(2, 1))
			}
			item.Set("_seq_no", res.seq)
			item.Set("_primary_term", 1)
			item.Set("status", res.status)
			if res.ix != nil && !res.noop {
				touched[res.ix] = res.seq
			}
		}
		if res.id == "" {
			item.Set("_id", nil)
		}
		out[i] = newObj(opName(op), item)
	}
	if pol == refreshImmediate {
		for ix := range touched {
			ix.refresh(s.now())
		}
	}
	s.mu.Unlock()
	if pol == refreshWaitFor {
		for ix, seq := range touched {
			s.waitForRefresh(rq, ix, seq)
		}
	}
	took := time.Since(start).Milliseconds()
	return ok(newObj("errors", errors, "took", took, "items", out)), nil
}

func opName(op *writeOp) string {
	return op.kind
}
