package mongodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// checkpointEvery is how many documents a whole-collection read emits between two checkpoints (a
// variable for the tests).
var checkpointEvery = 250

// attempts is how often the command that opens the cursor is tried when the server is unreachable
// or overloaded, and how many re-opens in a row a broken whole-collection read gets.
const attempts = 4

// Docs streams the collection (or the result of the advanced rules) one cursor batch at a time.
//
// A whole-collection read is sorted by _id, so that a cursor broken by a passing failure (a cut
// connection, a timeout, an overloaded or electing server) is re-opened after the last _id read
// instead of ending the read: up to attempts re-opens in a row that bring no document, with
// capped exponential backoff and jitter. Only then, or for advanced rules (whose results are not
// in _id order, and whose skip and limit count from the start), is the collection reported
// incomplete.
//
// A whole-collection read also saves a checkpoint every checkpointEvery documents: the database,
// the collection and the last _id emitted. A job resumed from it reads the _ids after that one,
// with the bound of a re-opened cursor. Advanced rules save none: such a job starts again.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q, err := buildCommand(nil, s.collection)
	resumable := !req.HasAdvancedRules()
	if resumable {
		q.cmd = append(q.cmd, bson.E{Key: "sort", Value: bson.D{{Key: "_id", Value: int32(1)}}})
	} else {
		q, err = rulesQuery(req.AdvancedRules, req.AdvancedRulesJSON, s.collection)
		if err != nil {
			return fmt.Errorf("advanced sync rules: %w", err)
		}
	}
	if err != nil {
		return err
	}
	if !slices.Contains(datetimeModes, s.datetimeMode) {
		return s.ValidateConfig(ctx) // names the field
	}
	c, err := s.connect()
	if err != nil {
		return err
	}
	db := c.Database(s.database)
	runOpts := options.RunCmd()
	if s.opts != nil && s.opts.ReadPreference != nil {
		runOpts.SetReadPreference(s.opts.ReadPreference) // as the original's collection.find
	}
	var last bson.RawValue // the last _id read, where a resumed read starts
	if resumable && req.Checkpoint != nil {
		last = s.checkpointID(req.Checkpoint)
	}
	var cur *mongo.Cursor
	err = s.retry(ctx, func() error {
		var e error
		cur, e = s.reopen(ctx, db, q.cmd, last, runOpts)
		return e
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if mongo.IsNetworkError(err) || mongo.IsTimeout(err) || isAuthError(err) {
			return s.connError(ctx, err)
		}
		what := fmt.Sprintf("reading collection %s.%s", s.database, s.collection)
		if req.HasAdvancedRules() {
			what = fmt.Sprintf("running the advanced rules' %s on %s.%s", q.kind, s.database, s.collection)
		}
		return fmt.Errorf("%s: %s", what, redactURI(err.Error(), s.host))
	}
	n := 0        // documents read, over every cursor
	failures := 0 // cursor failures and failed re-opens since a cursor last gave a document
	sinceCheckpoint := 0
	save := func() {} // called after each document passed to emit
	if resumable {
		save = func() {
			if sinceCheckpoint++; sinceCheckpoint >= checkpointEvery {
				if cp := s.checkpoint(last); cp != nil {
					req.SaveCheckpoint(cp)
					sinceCheckpoint = 0
				}
			}
		}
	}
	for {
		read, err := s.drain(ctx, cur, q.batchSize, emit, func(id bson.RawValue) {
			if id.Type != 0 {
				last = bson.RawValue{Type: id.Type, Value: append(last.Value[:0], id.Value...)}
			}
		}, save)
		n += read
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			return nil
		}
		var ce *cursorError
		if !errors.As(err, &ce) {
			return err // a document that cannot be converted, or emit failed
		}
		err = ce.err
		if read > 0 {
			failures = 0
		}
		// Re-open after the last _id read, until a cursor opens or the budget is spent.
		for cur = nil; cur == nil; {
			failures++
			if !resumable || !resumeAfter(err) || failures > attempts || (last.Type != 0 && !canResumeAfter(last.Type)) {
				scope := fmt.Sprintf("collection %s.%s after %d documents", s.database, s.collection, n)
				if resumable && resumeAfter(err) && failures > attempts {
					s.log.Warn("The MongoDB cursor failed and could not be resumed; nothing is deleted in this sync", "read", n, "attempts", failures-1, "error", err)
					err = fmt.Errorf("gave up after %d attempts to resume the read: %w", failures-1, err)
				} else {
					// Advanced rules, or a failure that repeating cannot fix.
					s.log.Warn("The MongoDB cursor failed; nothing is deleted in this sync", "read", n, "error", err)
				}
				req.ReportIncomplete(scope, s.connError(ctx, err))
				return nil
			}
			d := retry.Backoff(failures-1, 500*time.Millisecond, 500*time.Millisecond<<(attempts-1))
			s.log.Warn("The MongoDB cursor failed; resuming the read after the last _id", "read", n, "attempt", failures, "wait", d, "error", err)
			if serr := s.sleep(ctx, d); serr != nil {
				return serr
			}
			cur, err = s.reopen(ctx, db, q.cmd, last, runOpts)
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
}

// reopen runs cmd (a find sorted by _id) for the documents after last (all of them when nothing
// was read).
func (s *Source) reopen(ctx context.Context, db *mongo.Database, cmd bson.D, last bson.RawValue, opts *options.RunCmdOptionsBuilder) (*mongo.Cursor, error) {
	if last.Type == 0 {
		return db.RunCommandCursor(ctx, cmd, opts)
	}
	filter, rare := s.resumeFilter(last)
	cur, err := db.RunCommandCursor(ctx, append(slices.Clone(cmd), bson.E{Key: "filter", Value: filter}), opts)
	if err != nil && rare && isUnknownType(err) {
		// A server that does not know some BSON types (FerretDB) holds no _id of them: ask again
		// without them.
		s.commonTypesOnly = true
		filter, _ = s.resumeFilter(last)
		cur, err = db.RunCommandCursor(ctx, append(slices.Clone(cmd), bson.E{Key: "filter", Value: filter}), opts)
	}
	return cur, err
}

// typeOrder groups the BSON types an _id can have (not arrays, regular expressions, undefined) in
// MongoDB's sort order; the types of a group compare by value with one another.
var typeOrder = [][]bson.Type{
	{bson.TypeMinKey},
	{bson.TypeNull},
	{bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128},
	{bson.TypeString, bson.TypeSymbol},
	{bson.TypeEmbeddedDocument},
	{bson.TypeBinary},
	{bson.TypeObjectID},
	{bson.TypeBoolean},
	{bson.TypeDateTime},
	{bson.TypeTimestamp},
	{bson.TypeDBPointer},
	{bson.TypeJavaScript},
	{bson.TypeCodeWithScope},
	{bson.TypeMaxKey},
}

// rareTypes are types some MongoDB-compatible servers do not implement and refuse in $type.
var rareTypes = []bson.Type{bson.TypeMinKey, bson.TypeDecimal128, bson.TypeSymbol, bson.TypeDBPointer,
	bson.TypeJavaScript, bson.TypeCodeWithScope, bson.TypeMaxKey}

// resumeAfter says whether a read broken by err (the job not being cancelled) is worth resuming:
// the failures retry retries, timeouts (the driver's own: no server could be selected in time, a
// socket or operation timeout), and a cursor the server no longer has (CursorNotFound: it was
// idle longer than the server keeps cursors, killed, or the server restarted).
func resumeAfter(err error) bool {
	return retryable(err) || mongo.IsTimeout(err) || cursorNotFound(err)
}

// cursorNotFound says whether the server answered that it has no such cursor (code 43).
func cursorNotFound(err error) bool {
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorCode(43)
}

// canResumeAfter says whether an _id of type t has a place in typeOrder (an _id is never of the
// other types).
func canResumeAfter(t bson.Type) bool {
	return slices.ContainsFunc(typeOrder, func(g []bson.Type) bool { return slices.Contains(g, t) })
}

// resumeFilter matches the _ids after last in the order of a find sorted by _id. A comparison
// such as $gt only matches values of its own type group (MongoDB's type bracketing), so the
// groups that sort after last's are added by type. rare says whether the filter names rareTypes.
func (s *Source) resumeFilter(last bson.RawValue) (filter bson.D, rare bool) {
	gt := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: last}}}}
	var later bson.A
	after := false
	for _, group := range typeOrder {
		if after {
			for _, t := range group {
				if slices.Contains(rareTypes, t) {
					if s.commonTypesOnly {
						continue
					}
					rare = true
				}
				later = append(later, int32(int8(t))) // MinKey is -1
			}
		}
		after = after || slices.Contains(group, last.Type)
	}
	if len(later) == 0 {
		return gt, rare
	}
	return bson.D{{Key: "$or", Value: bson.A{gt, bson.D{{Key: "_id", Value: bson.D{{Key: "$type", Value: later}}}}}}}, rare
}

// isUnknownType says whether the server refused a $type code it does not know.
func isUnknownType(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 2 || ce.Code == 238) && strings.Contains(strings.ToLower(ce.Message), "type")
}

// cursorError is the cursor's own failure, as opposed to a document's or emit's.
type cursorError struct{ err error }

func (e *cursorError) Error() string { return e.err.Error() }

// drain emits the documents of cur and closes it. It returns how many documents it read, and
// the cursor's failure as a *cursorError.
func (s *Source) drain(ctx context.Context, cur *mongo.Cursor, batchSize int32, emit func(connector.Document) error, seen func(bson.RawValue), emitted func()) (int, error) {
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = cur.Close(cctx)
	}()
	if batchSize > 0 {
		cur.SetBatchSize(batchSize)
	}
	n := 0
	for cur.Next(ctx) {
		seen(cur.Current.Lookup("_id"))
		doc, skip, err := s.document(cur.Current)
		if err != nil {
			return n, err
		}
		n++
		if skip {
			continue
		}
		if err := emit(doc); err != nil {
			return n, connector.DocError(doc.ID, err)
		}
		emitted()
	}
	if err := cur.Err(); err != nil {
		return n, &cursorError{err}
	}
	return n, nil
}

// document converts one BSON document. skip is true for a document the original leaves out (a
// null or empty _id).
func (s *Source) document(raw bson.Raw) (connector.Document, bool, error) {
	idValue := raw.Lookup("_id")
	conv := &converter{datetimeMode: s.datetimeMode}
	var warnings []string
	conv.warn = func(path, msg string) { warnings = append(warnings, path+": "+msg) }
	fields, err := conv.document(raw, "")
	if err != nil {
		return connector.Document{}, false, s.docError(idValue, err)
	}
	id, err := idString(fields["_id"])
	if err != nil {
		return connector.Document{}, false, s.docError(idValue, fmt.Errorf("_id: %w", err))
	}
	if len(warnings) > 0 {
		s.log.Warn("Values left out of a MongoDB document", "_id", id, "fields", warnings)
	}
	if id == "" {
		s.log.Warn("Document without an _id skipped", "fields", len(fields))
		return connector.Document{}, true, nil
	}
	doc := connector.Document{ID: id, Timestamp: connector.FormatTime(s.now())}
	// A string _timestamp in the document is kept, as the original's framework keeps it.
	if ts, ok := fields["_timestamp"].(string); ok && ts != "" {
		if _, err := connector.ParseTime(ts); err == nil {
			doc.Timestamp = ts
		}
	}
	for _, k := range connector.ReservedKeys() {
		delete(fields, k)
	}
	doc.Fields = fields
	return doc, false, nil
}

func (s *Source) docError(id bson.RawValue, err error) error {
	if id.Type == 0 {
		return fmt.Errorf("a document of %s.%s: %w", s.database, s.collection, err)
	}
	return connector.DocError(id.String(), err)
}

// retry runs op until it succeeds, fails for a reason retrying cannot fix, or has been tried
// attempts times, with capped exponential backoff and jitter: for a server that is unreachable
// for a moment, overloaded, or electing a new primary.
func (s *Source) retry(ctx context.Context, op func() error) error {
	var err error
	for i := range attempts {
		if err = op(); err == nil || ctx.Err() != nil || !retryable(err) {
			return err
		}
		if i == attempts-1 {
			break
		}
		// Capped where the last retry reaches: the doubling alone bounds these few attempts.
		d := retry.Backoff(i, 500*time.Millisecond, 500*time.Millisecond<<(attempts-2))
		s.log.Debug("MongoDB command failed; retrying", "attempt", i+1, "wait", d, "error", err)
		if serr := s.sleep(ctx, d); serr != nil {
			return serr
		}
	}
	return err
}

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if mongo.IsNetworkError(err) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, label := range []string{"RetryableError", "SystemOverloadedError", "RetryableWriteError", "TransientTransactionError"} {
			if se.HasErrorLabel(label) {
				return true
			}
		}
		// Primary stepped down, not primary, shutting down, too many requests.
		for _, code := range []int{91, 189, 10107, 11600, 11602, 13435, 13436, 462} {
			if se.HasErrorCode(code) {
				return true
			}
		}
	}
	return false
}
