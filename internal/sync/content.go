package sync

import "context"

// enqueueKeepingContent writes a document whose content could not be read
// without replacing what is indexed: a partial update (an upsert for a new
// document) that carries its other fields but no content and no
// _timestamp. The indexed body stays, and so does the indexed _timestamp,
// so that the next sync sees the document as changed and tries the content
// again instead of skipping it as unchanged. Full and incremental jobs alike.
func (e *Engine) enqueueKeepingContent(ctx context.Context, q *queue, p *prepared) error {
	delete(p.body, "_timestamp")
	e.keptContent.Add(1)
	return e.enqueue(ctx, q, OpUpdate, p)
}
