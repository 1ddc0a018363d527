package protocol

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/connectors-go/connectors/internal/es"
)

// indexBackend writes the connector indices directly.
type indexBackend struct{ s *Store }

func (b indexBackend) heartbeat(ctx context.Context, c *Connector) error {
	return b.s.PatchConnector(ctx, c.ID, map[string]any{"last_seen": FormatTime(b.s.now())})
}

func (b indexBackend) createJob(ctx context.Context, c *Connector, t JobType, trigger TriggerMethod) (string, error) {
	if c.Index() == "" {
		return "", fmt.Errorf("connector %s has no index attached: set its index_name before syncing", c.ID)
	}
	if c.Type() == "" {
		return "", fmt.Errorf("connector %s has no service_type: set it before syncing", c.ID)
	}
	index := c.Index()
	if t == JobAccessControl {
		index = ACLIndexPrefix + index
	}
	pipeline := c.EffectivePipeline()
	conn := map[string]any{
		"id":            c.ID,
		"filtering":     activeFiltering(c),
		"index_name":    index,
		"language":      c.Language,
		"pipeline":      pipeline,
		"service_type":  c.Type(),
		"configuration": c.Configuration,
	}
	now := FormatTime(b.s.now())
	doc := map[string]any{
		"connector":               conn,
		"trigger_method":          trigger,
		"job_type":                t,
		"status":                  JobPending,
		"indexed_document_count":  0,
		"indexed_document_volume": 0,
		"deleted_document_count":  0,
		"created_at":              now,
		"last_seen":               now,
	}
	// The id is chosen here rather than by Elasticsearch so that a create
	// sent again after a lost answer cannot make a second job.
	id := newDocID()
	err := b.s.es.Request(ctx, "PUT", "/"+JobsAlias+"/_create/"+id, doc, nil)
	if es.IsConflict(err) && es.IsRepeated(err) {
		err = nil // the lost attempt created it
	}
	if err != nil {
		return "", fmt.Errorf("cannot create a %s sync job for connector %s: %w", t, c.ID, err)
	}
	return id, nil
}

// newDocID returns a random id shaped like the ones Elasticsearch
// generates: 20 URL-safe base64 characters.
func newDocID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// storeValidation sets draft.validation of the DEFAULT filtering entry and,
// when valid, copies the draft into active: one compare-and-set write.
func (b indexBackend) storeValidation(ctx context.Context, c *Connector, validation map[string]any) error {
	for attempt := 1; ; attempt++ {
		var entries []map[string]any
		if len(c.Filtering) > 0 {
			if err := json.Unmarshal(c.Filtering, &entries); err != nil {
				return fmt.Errorf("connector %s has malformed filtering: %w", c.ID, err)
			}
		}
		found := false
		for _, e := range entries {
			if d, _ := e["domain"].(string); d != "DEFAULT" && d != "" {
				continue
			}
			found = true
			draft, _ := e["draft"].(map[string]any)
			if draft == nil {
				draft = map[string]any{}
				e["draft"] = draft
			}
			draft["validation"] = validation
			if validation["state"] == "valid" {
				e["active"] = deepCopy(draft)
			}
		}
		if !found {
			return nil // nothing to validate
		}
		err := b.s.UpdateConnector(ctx, c, map[string]any{"filtering": entries})
		if errors.Is(err, ErrConflict) && attempt < 3 {
			fresh, gerr := b.s.GetConnector(ctx, c.ID)
			if gerr != nil {
				return gerr
			}
			*c = *fresh
			continue
		}
		return err
	}
}

func deepCopy(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

// apiBackend uses the _connector endpoints where the original does.
type apiBackend struct{ s *Store }

func (b apiBackend) heartbeat(ctx context.Context, c *Connector) error {
	return b.s.es.Request(ctx, "PUT", "/_connector/"+url.PathEscape(c.ID)+"/_check_in", nil, nil)
}

func (b apiBackend) createJob(ctx context.Context, c *Connector, t JobType, trigger TriggerMethod) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	err := b.s.es.Request(ctx, "POST", "/_connector/_sync_job", map[string]any{
		"id": c.ID, "job_type": t, "trigger_method": trigger,
	}, &res)
	if err != nil {
		return "", fmt.Errorf("cannot create a %s sync job for connector %s: %w", t, c.ID, err)
	}
	return res.ID, nil
}

func (b apiBackend) storeValidation(ctx context.Context, c *Connector, validation map[string]any) error {
	id := url.PathEscape(c.ID)
	if err := b.s.es.Request(ctx, "PUT", "/_connector/"+id+"/_filtering/_validation", map[string]any{"validation": validation}, nil); err != nil {
		return err
	}
	if validation["state"] == "valid" {
		return b.s.es.Request(ctx, "PUT", "/_connector/"+id+"/_filtering/_activate", nil, nil)
	}
	return nil
}
