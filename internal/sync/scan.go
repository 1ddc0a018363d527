package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/connectors-go/connectors/internal/es"
)

// scanPage is how many documents one page of a scan holds.
const scanPage = 1000

// scanIndex streams the id and _timestamp of every document of an index in
// index order. A missing index has no documents.
//
// The original uses a scroll; we page through a point in time with
// search_after instead, because a scroll page whose answer is lost cannot be
// asked for again (the retry gets the next page, and the lost page's stale
// documents would escape deletion), while a search_after page can.
func scanIndex(ctx context.Context, client *es.Client, index string, each func(id, stamp string) error) error {
	type page struct {
		PitID  string `json:"pit_id"`
		Shards struct {
			Failed int `json:"failed"`
		} `json:"_shards"`
		Hits struct {
			Hits []struct {
				ID     string `json:"_id"`
				Source struct {
					Timestamp any `json:"_timestamp"`
				} `json:"_source"`
				Sort []json.RawMessage `json:"sort"`
			} `json:"hits"`
		} `json:"hits"`
	}
	// Make writes of a sync that just ended visible, or their documents
	// would escape this one's diff. Failure is harmless: the cluster's own
	// refresh catches up by the next sync.
	_ = client.Request(ctx, "POST", "/"+url.PathEscape(index)+"/_refresh?ignore_unavailable=true", nil, nil)
	var pit struct {
		ID string `json:"id"`
	}
	err := client.Request(ctx, "POST", "/"+url.PathEscape(index)+"/_pit?keep_alive=5m", nil, &pit)
	if es.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot list the documents of index %s: %w", index, err)
	}
	pitID := pit.ID
	defer func() {
		// Free the point in time even when the sync is being cancelled.
		_ = client.Request(context.WithoutCancel(ctx), "DELETE", "/_pit", map[string]any{"id": pitID}, nil)
	}()
	var after []json.RawMessage
	for {
		body := map[string]any{
			"size":             scanPage,
			"_source":          []string{"_timestamp"},
			"sort":             []any{"_shard_doc"},
			"pit":              map[string]any{"id": pitID, "keep_alive": "5m"},
			"track_total_hits": false,
		}
		if after != nil {
			body["search_after"] = after
		}
		var p page
		if err := client.Request(ctx, "POST", "/_search", body, &p); err != nil {
			return fmt.Errorf("cannot list the documents of index %s: %w", index, err)
		}
		if p.Shards.Failed > 0 {
			return fmt.Errorf("cannot list the documents of index %s: %d shards failed", index, p.Shards.Failed)
		}
		if p.PitID != "" {
			pitID = p.PitID
		}
		hits := p.Hits.Hits
		for _, h := range hits {
			// The document's _id is what a delete needs and what this
			// service indexes with (it equals _source.id).
			stamp := ""
			if h.Source.Timestamp != nil {
				if s, ok := h.Source.Timestamp.(string); ok {
					stamp = s
				} else {
					b, _ := json.Marshal(h.Source.Timestamp)
					stamp = string(b)
				}
			}
			if err := each(h.ID, stamp); err != nil {
				return err
			}
		}
		if len(hits) < scanPage {
			return nil
		}
		after = hits[len(hits)-1].Sort
		if len(after) == 0 {
			return fmt.Errorf("cannot list the documents of index %s: a page came without sort values", index)
		}
	}
}

// countDocs refreshes an index and counts its documents; a missing index
// has none.
func countDocs(ctx context.Context, client *es.Client, index string) (int64, error) {
	path := "/" + url.PathEscape(index)
	_ = client.Request(ctx, "POST", path+"/_refresh?ignore_unavailable=true", nil, nil)
	var res struct {
		Count int64 `json:"count"`
	}
	err := client.Request(ctx, "GET", path+"/_count", nil, &res)
	if es.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cannot count the documents of index %s: %w", index, err)
	}
	return res.Count, nil
}
