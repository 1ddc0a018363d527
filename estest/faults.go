package estest

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as "500ms", "2s" (or nanoseconds).
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "500ms" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("delay %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("delay must be a duration string or nanoseconds")
	}
	*d = Duration(n)
	return nil
}

// Fault makes matching requests misbehave. Method and Path select requests (empty = any); Path is
// a glob over the URL path where * matches within one segment and a trailing /** any suffix.
// Count limits how many requests it affects (0 = until removed). A fault can delay the request,
// drop the connection, answer with an error status, or (for _bulk) fail chosen items.
type Fault struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Count  int    `json:"count,omitempty"`

	// Status, when non-zero, answers the request with this status and an Elasticsearch error body.
	Status int `json:"status,omitempty"`
	// ErrorType and Reason override the error body's type and reason.
	ErrorType string `json:"error_type,omitempty"`
	Reason    string `json:"reason,omitempty"`

	// Delay is added before the request is handled (or answered with Status).
	Delay Duration `json:"delay,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`

	// BulkItems fails selected items of matching _bulk requests; the others are applied.
	BulkItems *BulkItemFault `json:"bulk_items,omitempty"`

	id        int
	remaining int
}

// BulkItemFault selects bulk items to fail: those whose _id is in IDs, and every Every-th item
// (1-based: Every=3 fails items 3, 6, 9...). Status 429 gives es_rejected_execution_exception,
// anything else a document parsing (mapping) error, unless ErrorType/Reason are set.
type BulkItemFault struct {
	IDs       []string `json:"ids,omitempty"`
	Every     int      `json:"every,omitempty"`
	Status    int      `json:"status,omitempty"`
	ErrorType string   `json:"error_type,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// Faults holds the active faults of a server.
type Faults struct {
	s      *Server
	mu     sync.Mutex
	list   []*Fault
	nextID int
}

// Add installs a fault and returns its id.
func (f *Faults) Add(fault Fault) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	fault.id = f.nextID
	fault.remaining = fault.Count
	fault.Method = strings.ToUpper(fault.Method)
	cp := fault
	f.list = append(f.list, &cp)
	return cp.id
}

// FailNext makes the next n requests matching method and path answer with status.
func (f *Faults) FailNext(n int, method, path string, status int) int {
	return f.Add(Fault{Method: method, Path: path, Count: n, Status: status})
}

// Remove deletes one fault.
func (f *Faults) Remove(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.list {
		if x.id == id {
			f.list = append(f.list[:i], f.list[i+1:]...)
			return
		}
	}
}

// Clear removes every fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = nil
}

// List returns the active faults.
func (f *Faults) List() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, len(f.list))
	for i, x := range f.list {
		out[i] = *x
		out[i].Count = x.remaining
	}
	return out
}

func globMatch(pattern, p string) bool {
	if pattern == "" || pattern == "*" || pattern == "/**" {
		return true
	}
	if strings.HasSuffix(pattern, "/**") {
		prefix := strings.TrimSuffix(pattern, "/**")
		if globMatch(prefix, p) {
			return true
		}
		segs := strings.Split(strings.Trim(p, "/"), "/")
		for i := len(segs); i > 0; i-- {
			if globMatch(prefix, "/"+strings.Join(segs[:i], "/")) {
				return true
			}
		}
		return false
	}
	m, _ := path.Match(pattern, p)
	return m
}

// match consumes one use of the first fault matching the request.
func (f *Faults) match(method, p string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.list {
		if x.Method != "" && x.Method != method {
			continue
		}
		if !globMatch(x.Path, p) {
			continue
		}
		if x.BulkItems != nil && !strings.HasSuffix(strings.TrimSuffix(p, "/"), "/_bulk") {
			continue
		}
		cp := *x
		if x.Count > 0 {
			x.remaining--
			if x.remaining <= 0 {
				f.list = append(f.list[:i], f.list[i+1:]...)
			}
		}
		return &cp
	}
	return nil
}

func (f *Fault) esError() *esError {
	typ, reason := f.ErrorType, f.Reason
	if typ == "" {
		switch f.Status {
		case 429:
			typ = "es_rejected_execution_exception"
		case 401, 403:
			typ = "security_exception"
		case 404:
			typ = "resource_not_found_exception"
		case 408, 504:
			typ = "timeout_exception"
		case 503:
			typ = "cluster_block_exception"
		case 500, 502:
			typ = "exception"
		default:
			typ = "illegal_argument_exception"
		}
	}
	if reason == "" {
		switch typ {
		case "es_rejected_execution_exception":
			reason = "rejected execution of coordinating operation [estest injected fault]"
		case "cluster_block_exception":
			reason = "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"
		default:
			reason = fmt.Sprintf("estest injected fault (status %d)", f.Status)
		}
	}
	return newErr(f.Status, typ, reason)
}

// bulkItemError returns the injected failure for item i (0-based) with id, if the fault selects it.
func (f *Fault) bulkItemError(i int, id string) *esError {
	if f == nil || f.BulkItems == nil {
		return nil
	}
	b := f.BulkItems
	hit := b.Every > 0 && (i+1)%b.Every == 0
	for _, x := range b.IDs {
		if x == id {
			hit = true
		}
	}
	if !hit {
		return nil
	}
	st := b.Status
	if st == 0 {
		st = 400
	}
	typ, reason := b.ErrorType, b.Reason
	if typ == "" {
		if st == 429 {
			typ = "es_rejected_execution_exception"
		} else {
			typ = "document_parsing_exception"
		}
	}
	if reason == "" {
		if st == 429 {
			reason = "rejected execution of primary operation [estest injected fault]"
		} else {
			reason = fmt.Sprintf("[1:1] failed to parse field [estest] of type [long] in document with id '%s'. Preview of field's value: 'injected'", id)
		}
	}
	return newErr(st, typ, reason)
}
