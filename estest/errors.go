package estest

import (
	"fmt"
	"net/http"
)

// esError is an Elasticsearch error response: {"error":{root_cause,type,reason,...},"status":N}.
type esError struct {
	status    int
	typ       string
	reason    string
	extra     *Object // extra keys of the error object, in order (index_uuid, shard, index, ...)
	cause     *esError
	rootCause []*esError // nil: the error itself without its cause
	header    http.Header
}

func (e *esError) Error() string { return e.typ + ": " + e.reason }

func newErr(status int, typ, reason string, extra ...any) *esError {
	e := &esError{status: status, typ: typ, reason: reason}
	if len(extra) > 0 {
		e.extra = newObj(extra...)
	}
	return e
}

func errf(status int, typ, format string, a ...any) *esError {
	return newErr(status, typ, fmt.Sprintf(format, a...))
}

func (e *esError) withCause(c *esError) *esError { e.cause = c; return e }

// object renders the error object itself (what bulk items carry under "error").
func (e *esError) object(withCause bool) *Object {
	o := newObj("type", e.typ, "reason", e.reason)
	if e.extra != nil {
		for i, k := range e.extra.Keys {
			o.Set(k, e.extra.Vals[i])
		}
	}
	if withCause && e.cause != nil {
		o.Set("caused_by", e.cause.object(true))
	}
	return o
}

// body renders the full HTTP error body.
func (e *esError) body() *Object {
	roots := e.rootCause
	if roots == nil {
		roots = []*esError{e}
	}
	rc := make([]any, len(roots))
	for i, r := range roots {
		rc[i] = r.object(false)
	}
	inner := newObj("root_cause", rc)
	full := e.object(true)
	for i, k := range full.Keys {
		inner.Set(k, full.Vals[i])
	}
	return newObj("error", inner, "status", e.status)
}

// Common Elasticsearch errors, with the reasons clients and tests compare.

func errIndexNotFound(name string) *esError {
	return newErr(404, "index_not_found_exception", "no such index ["+name+"]",
		"resource.type", "index_or_alias", "resource.id", name, "index_uuid", "_na_", "index", name)
}

func errIndexExists(name, uuid string) *esError {
	return newErr(400, "resource_already_exists_exception", "index ["+name+"/"+uuid+"] already exists",
		"index_uuid", uuid, "index", name)
}

func errInvalidIndexName(name, why string) *esError {
	return newErr(400, "invalid_index_name_exception", "Invalid index name ["+name+"], "+why,
		"index_uuid", "_na_", "index", name)
}

func errIllegalArg(format string, a ...any) *esError {
	return errf(400, "illegal_argument_exception", format, a...)
}

func errParsing(format string, a ...any) *esError {
	return errf(400, "parsing_exception", format, a...)
}

func errValidation(msgs ...string) *esError {
	r := "Validation Failed: "
	for i, m := range msgs {
		r += fmt.Sprintf("%d: %s;", i+1, m)
	}
	return newErr(400, "action_request_validation_exception", r)
}

func errStatus(status int, format string, a ...any) *esError {
	return errf(status, "status_exception", format, a...)
}

func errResourceNotFound(format string, a ...any) *esError {
	return errf(404, "resource_not_found_exception", format, a...)
}

func errXContent(pe error, fallback string) *esError {
	if p, ok := pe.(*parseError); ok {
		return newErr(400, "x_content_parse_exception", fmt.Sprintf("[%d:%d] %s", p.Line, p.Col, p.Msg))
	}
	if pe != nil {
		return newErr(400, "x_content_parse_exception", pe.Error())
	}
	return newErr(400, "x_content_parse_exception", fallback)
}

func (s *Server) versionConflict(ix *index, id, reason string) *esError {
	return newErr(409, "version_conflict_engine_exception", "["+id+"]: version conflict, "+reason,
		"index_uuid", ix.uuid, "shard", "0", "index", ix.name)
}

func errDocMissing(ix *index, id string) *esError {
	return newErr(404, "document_missing_exception", "["+id+"]: document missing",
		"index_uuid", ix.uuid, "shard", "0", "index", ix.name)
}

// searchPhaseError wraps a shard-level failure the way a search with one failing shard reports it.
func searchPhaseError(ix string, cause *esError) *esError {
	e := newErr(cause.status, "search_phase_execution_exception", "all shards failed",
		"phase", "query", "grouped", true,
		"failed_shards", []any{newObj("shard", 0, "index", ix, "node", "estest-node", "reason", cause.object(true))})
	e.rootCause = []*esError{cause}
	e.cause = cause
	return e
}
