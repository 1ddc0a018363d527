package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"

	"github.com/connectors-go/connectors/internal/es"
)

// Errors callers branch on.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("changed by someone else")
	ErrNoIndices = errors.New("the connector indices do not exist yet")
)

// NotClaimableError says why a job was not claimed.
type NotClaimableError struct{ JobID, Why string }

func (e *NotClaimableError) Error() string {
	return fmt.Sprintf("sync job %s was not claimed: %s", e.JobID, e.Why)
}

// docs wraps the raw document calls both back ends need.
type docs struct {
	es *es.Client
}

type hit struct {
	ID          string          `json:"_id"`
	SeqNo       int64           `json:"_seq_no"`
	PrimaryTerm int64           `json:"_primary_term"`
	Found       bool            `json:"found"`
	Source      json.RawMessage `json:"_source"`
}

// get reads one document in real time, with its concurrency token.
func (d docs) get(ctx context.Context, index, id string) (*hit, error) {
	var h hit
	err := d.es.Request(ctx, "GET", "/"+index+"/_doc/"+url.PathEscape(id), nil, &h)
	if es.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !h.Found {
		return nil, ErrNotFound
	}
	return &h, nil
}

// update applies a partial document. With cas set, the write only happens
// if the document is still at seqNo/primaryTerm; otherwise ErrConflict.
// It returns the new concurrency token.
func (d docs) update(ctx context.Context, index, id string, doc map[string]any, cas bool, seqNo, primaryTerm int64) (int64, int64, error) {
	path := "/" + index + "/_update/" + url.PathEscape(id)
	if cas {
		path += "?if_seq_no=" + strconv.FormatInt(seqNo, 10) + "&if_primary_term=" + strconv.FormatInt(primaryTerm, 10)
	}
	var res struct {
		SeqNo       int64 `json:"_seq_no"`
		PrimaryTerm int64 `json:"_primary_term"`
	}
	err := d.es.Request(ctx, "POST", path, map[string]any{"doc": doc}, &res)
	switch {
	case es.IsConflict(err) && es.IsRepeated(err):
		// The write was sent again after an attempt whose answer was lost:
		// the conflict may be with that attempt, i.e. our own write.
		if h, ok := d.holds(ctx, index, id, doc); ok {
			return h.SeqNo, h.PrimaryTerm, nil
		}
		return 0, 0, fmt.Errorf("%s/%s: %w", index, id, ErrConflict)
	case es.IsConflict(err):
		return 0, 0, fmt.Errorf("%s/%s: %w", index, id, ErrConflict)
	case es.IsNotFound(err):
		return 0, 0, fmt.Errorf("%s/%s: %w", index, id, ErrNotFound)
	case err != nil:
		return 0, 0, err
	}
	return res.SeqNo, res.PrimaryTerm, nil
}

// holds reads a document and reports whether it carries every value of a
// partial document (objects compared key by key, as an update merges them).
func (d docs) holds(ctx context.Context, index, id string, doc map[string]any) (*hit, bool) {
	h, err := d.get(ctx, index, id)
	if err != nil {
		return nil, false
	}
	var stored map[string]any
	if json.Unmarshal(h.Source, &stored) != nil {
		return nil, false
	}
	want, err := normalize(doc)
	if err != nil {
		return nil, false
	}
	return h, containsAll(stored, want.(map[string]any))
}

// normalize turns a value into what decoding its JSON gives.
func normalize(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(data, &out)
	return out, err
}

func containsAll(stored, want map[string]any) bool {
	for k, w := range want {
		s, ok := stored[k]
		if wm, isMap := w.(map[string]any); isMap {
			sm, _ := s.(map[string]any)
			if !ok || sm == nil || !containsAll(sm, wm) {
				return false
			}
			continue
		}
		if !ok && w == nil {
			continue
		}
		if !ok || !reflect.DeepEqual(s, w) {
			return false
		}
	}
	return true
}

// search pages through all hits of a query on an alias, 100 at a time, as
// the original does; a missing index is an empty result.
func (d docs) search(ctx context.Context, index string, query map[string]any, sort []any, each func(hit) error) error {
	const page = 100
	for from := 0; ; from += page {
		body := map[string]any{
			"query":               query,
			"from":                from,
			"size":                page,
			"seq_no_primary_term": true,
		}
		if sort != nil {
			body["sort"] = sort
		}
		var res struct {
			Hits struct {
				Total struct {
					Value int `json:"value"`
				} `json:"total"`
				Hits []hit `json:"hits"`
			} `json:"hits"`
		}
		err := d.es.Request(ctx, "POST", "/"+index+"/_search?expand_wildcards=all&ignore_unavailable=true", body, &res)
		if es.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, h := range res.Hits.Hits {
			if err := each(h); err != nil {
				return err
			}
		}
		if len(res.Hits.Hits) < page || from+page >= res.Hits.Total.Value || from+page >= 10000 {
			return nil
		}
	}
}

func decodeConnector(h *hit) (*Connector, error) {
	var c Connector
	if err := json.Unmarshal(h.Source, &c); err != nil {
		return nil, fmt.Errorf("connector %s has a malformed document: %w", h.ID, err)
	}
	c.ID, c.SeqNo, c.PrimaryTerm = h.ID, h.SeqNo, h.PrimaryTerm
	return &c, nil
}

func decodeJob(h *hit) (*Job, error) {
	var j Job
	if err := json.Unmarshal(h.Source, &j); err != nil {
		return nil, fmt.Errorf("sync job %s has a malformed document: %w", h.ID, err)
	}
	j.ID, j.SeqNo, j.PrimaryTerm = h.ID, h.SeqNo, h.PrimaryTerm
	return &j, nil
}
