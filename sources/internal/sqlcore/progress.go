package sqlcore

import (
	"sync"

	"github.com/connectors-go/connectors/connector"
)

// progress tracks which units (tables, rules) a sync has finished and how far it has read the
// ones in flight, saves that as the job's checkpoint, and, on a resumed job, says what to skip.
//
// The checkpoint is small whatever the number of tables: units are processed in a fixed order
// (tables by name, rules by position), so "every unit before X is done" is one key; the units
// finished out of order (several are read at once) and the positions of those in flight are
// listed besides it:
//
//	{"v": 1, "first": "t:orders", "done": ["t:payments"], "at": {"t:orders": ["1041"]},
//	 "marks": {"3f…": "2026-01-02 10:00:00"}}
type progress struct {
	mu     sync.Mutex
	req    connector.DocsRequest
	keys   []string
	index  map[string]int
	done   []bool
	prefix int
	at     map[string][]string
	rows   map[string]int
	marks  map[string]string // rule key -> cursor mark, for finished rules
	// pending marks of rules in flight, by unit key
	pending map[string][2]string
	skipped map[string]bool
}

func newProgress(req connector.DocsRequest, units []unit) *progress {
	p := &progress{
		req:     req,
		index:   map[string]int{},
		at:      map[string][]string{},
		rows:    map[string]int{},
		marks:   map[string]string{},
		pending: map[string][2]string{},
		skipped: map[string]bool{},
	}
	for i, u := range units {
		p.keys = append(p.keys, u.key)
		p.index[u.key] = i
	}
	p.done = make([]bool, len(units))
	p.resume(req.Checkpoint)
	return p
}

// resume applies a checkpoint saved by an earlier run of the same job. Units it does not know
// (tables added since) are read; positions of units that are gone are ignored.
func (p *progress) resume(cp map[string]any) {
	if cp == nil {
		return
	}
	if v, _ := cp["v"].(float64); v != 1 {
		if n, ok := cp["v"].(int); !ok || n != 1 {
			return
		}
	}
	if first, ok := cp["first"].(string); ok {
		if i, found := p.index[first]; found {
			for j := 0; j < i; j++ {
				p.markSkipped(j)
			}
		} else if first == "" {
			for j := range p.keys {
				p.markSkipped(j)
			}
		}
	}
	if list, ok := cp["done"].([]any); ok {
		for _, x := range list {
			if k, ok := x.(string); ok {
				if i, found := p.index[k]; found {
					p.markSkipped(i)
				}
			}
		}
	}
	if at, ok := cp["at"].(map[string]any); ok {
		for k, v := range at {
			list, ok := v.([]any)
			if !ok {
				continue
			}
			pos := make([]string, 0, len(list))
			for _, x := range list {
				s, ok := x.(string)
				if !ok {
					pos = nil
					break
				}
				pos = append(pos, s)
			}
			if pos != nil {
				if _, found := p.index[k]; found {
					p.at[k] = pos
				}
			}
		}
	}
	if marks, ok := cp["marks"].(map[string]any); ok {
		for k, v := range marks {
			if s, ok := v.(string); ok {
				p.marks[k] = s
			}
		}
	}
	for p.prefix < len(p.done) && p.done[p.prefix] {
		p.prefix++
	}
}

func (p *progress) markSkipped(i int) {
	p.done[i] = true
	p.skipped[p.keys[i]] = true
}

// skip reports whether a resumed job finished the unit before.
func (p *progress) skip(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skipped[key]
}

// position is where a resumed job continues reading a table (nil: from the start).
func (p *progress) position(key string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at[key]
}

// advance records that every row of the table up to pos has been emitted. At page ends, once
// enough rows have passed, it saves a checkpoint.
func (p *progress) advance(key string, pos []string, pageEnd bool) {
	if pos == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !pageEnd {
		p.rows[key]++
		return
	}
	p.at[key] = pos
	if p.rows[key] >= checkpointRows {
		p.rows[key] = 0
		p.saveLocked()
	}
}

// setMark records a rule's cursor mark, kept once the rule is finished.
func (p *progress) setMark(unitKey, ruleKey, mark string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending[unitKey] = [2]string{ruleKey, mark}
}

// finish records a unit as done and saves a checkpoint.
func (p *progress) finish(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.index[key]
	if !ok {
		return
	}
	p.done[i] = true
	delete(p.at, key)
	delete(p.rows, key)
	if m, ok := p.pending[key]; ok {
		if m[1] != "" {
			p.marks[m[0]] = m[1]
		}
		delete(p.pending, key)
	}
	for p.prefix < len(p.done) && p.done[p.prefix] {
		p.prefix++
	}
	p.saveLocked()
}

func (p *progress) saveLocked() {
	if p.req.OnCheckpoint == nil {
		return
	}
	first := ""
	if p.prefix < len(p.keys) {
		first = p.keys[p.prefix]
	}
	var done []any
	for i := p.prefix; i < len(p.done); i++ {
		if p.done[i] {
			done = append(done, p.keys[i])
		}
	}
	at := map[string]any{}
	for k, pos := range p.at {
		list := make([]any, len(pos))
		for i, s := range pos {
			list[i] = s
		}
		at[k] = list
	}
	marks := map[string]any{}
	for k, v := range p.marks {
		marks[k] = v
	}
	if done == nil {
		done = []any{}
	}
	p.req.SaveCheckpoint(map[string]any{"v": 1, "first": first, "done": done, "at": at, "marks": marks})
}

// cursor is the sync cursor after a completed sync: the mark of every cursor rule, or the
// previous one when the rule's query returned no rows.
func (p *progress) cursor(rules []Rule, prior map[string]string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	marks := map[string]any{}
	for _, r := range rules {
		if r.CursorColumn == "" {
			continue
		}
		k := r.Key()
		if m := p.marks[k]; m != "" {
			marks[k] = m
		} else if m := prior[k]; m != "" {
			marks[k] = m
		}
	}
	return map[string]any{"v": 1, "rules": marks}
}

// priorMarks reads the rule marks of a stored sync cursor.
func priorMarks(cursor map[string]any) map[string]string {
	out := map[string]string{}
	rules, _ := cursor["rules"].(map[string]any)
	for k, v := range rules {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
