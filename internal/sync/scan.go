package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/connectors-go/connectors/internal/es"
)

// scanIndex streams the id and _timestamp of every document of an index,
// with a scroll in _doc order as the original does. A missing index has no
// documents.
func scanIndex(ctx context.Context, client *es.Client, index string, each func(id, stamp string) error) error {
	type page struct {
		ScrollID string `json:"_scroll_id"`
		Shards   struct {
			Failed int `json:"failed"`
		} `json:"_shards"`
		Hits struct {
			Hits []struct {
				ID     string `json:"_id"`
				Source struct {
					Timestamp any `json:"_timestamp"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	// Make writes of a sync that just ended visible, or their documents
	// would escape this one's diff. Failure is harmless: the cluster's own
	// refresh catches up by the next sync.
	_ = client.Request(ctx, "POST", "/"+url.PathEscape(index)+"/_refresh?ignore_unavailable=true", nil, nil)
	body := map[string]any{"sort": []any{"_doc"}, "_source": []string{"_timestamp"}, "size": 1000}
	var p page
	err := client.Request(ctx, "POST", "/"+url.PathEscape(index)+"/_search?scroll=5m", body, &p)
	if es.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot list the documents of index %s: %w", index, err)
	}
	scrollID := p.ScrollID
	defer func() {
		if scrollID != "" {
			// Free the scroll even when the sync is being cancelled.
			_ = client.Request(context.WithoutCancel(ctx), "DELETE", "/_search/scroll", map[string]any{"scroll_id": scrollID}, nil)
		}
	}()
	for {
		if p.Shards.Failed > 0 {
			return fmt.Errorf("cannot list the documents of index %s: %d shards failed", index, p.Shards.Failed)
		}
		if len(p.Hits.Hits) == 0 {
			return nil
		}
		for _, h := range p.Hits.Hits {
			// The document's _id is what a delete needs and what this
			// service indexes with (it equals _source.id).
			id := h.ID
			stamp := ""
			if h.Source.Timestamp != nil {
				if s, ok := h.Source.Timestamp.(string); ok {
					stamp = s
				} else {
					b, _ := json.Marshal(h.Source.Timestamp)
					stamp = string(b)
				}
			}
			if err := each(id, stamp); err != nil {
				return err
			}
		}
		if p.ScrollID != "" {
			scrollID = p.ScrollID
		}
		p = page{}
		if err := client.Request(ctx, "POST", "/_search/scroll", map[string]any{"scroll": "5m", "scroll_id": scrollID}, &p); err != nil {
			return fmt.Errorf("cannot list the documents of index %s: %w", index, err)
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
