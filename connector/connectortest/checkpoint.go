package connectortest

import (
	"context"
	"encoding/json"
	gosync "sync"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// testCheckpoints checks the resume contract of a source that saves checkpoints: resumed from
// any of them, it emits every document it had not emitted before saving it. A source that saves
// none is skipped.
func (s *suite) testCheckpoints(t *testing.T) {
	type saved struct {
		value   map[string]any
		emitted int // documents emitted when it was saved
	}
	var mu gosync.Mutex
	var first []connector.Document
	var points []saved
	req := connector.DocsRequest{OnCheckpoint: func(cp map[string]any) {
		// The service stores checkpoints as JSON; what comes back is what a resumed run gets.
		data, err := json.Marshal(cp)
		if err != nil {
			t.Errorf("SaveCheckpoint(%v): the checkpoint cannot be encoded as JSON: %v", cp, err)
			return
		}
		var back map[string]any
		_ = json.Unmarshal(data, &back)
		mu.Lock()
		points = append(points, saved{value: back, emitted: len(first)})
		mu.Unlock()
	}}
	s.docsWith(t, req, func(d connector.Document) {
		mu.Lock()
		first = append(first, d)
		mu.Unlock()
	})
	if len(points) == 0 {
		t.Skip("the source saves no checkpoints")
	}
	all := map[string]bool{}
	for _, d := range first {
		all[d.ID] = true
	}
	picks := []saved{points[0], points[len(points)/2], points[len(points)-1]}
	for _, p := range picks {
		got := map[string]bool{}
		s.docsWith(t, connector.DocsRequest{Checkpoint: p.value}, func(d connector.Document) {
			mu.Lock()
			got[d.ID] = true
			mu.Unlock()
		})
		missing, again := 0, 0
		example := ""
		for i, d := range first {
			switch {
			case i >= p.emitted && !got[d.ID]:
				missing++
				if example == "" {
					example = d.ID
				}
			case i < p.emitted && got[d.ID]:
				again++
			}
		}
		if missing > 0 {
			t.Errorf("resumed from checkpoint %v, the source did not emit %d documents it had not emitted before saving it (e.g. %q); a resumed sync would lose them", p.value, missing, example)
		}
		for id := range got {
			if !all[id] {
				t.Errorf("resumed from checkpoint %v, the source emitted %q, which a full sync does not", p.value, id)
				break
			}
		}
		if again > 0 {
			t.Logf("resumed from checkpoint %v, the source emitted again %d documents it had emitted before saving it (allowed, but wasted work)", p.value, again)
		}
	}
}

// docsWith runs a full sync with req, passing each document to each.
func (s *suite) docsWith(t *testing.T, req connector.DocsRequest, each func(connector.Document)) {
	t.Helper()
	src := s.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), s.o.syncTimeout)
	defer cancel()
	err := src.Docs(ctx, req, func(d connector.Document) error {
		each(d)
		return nil
	})
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
}
