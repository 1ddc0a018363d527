package mongodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// attempts is how often the command that opens the cursor is tried when the server is unreachable
// or overloaded.
const attempts = 4

// Docs streams the collection (or the result of the advanced rules) one cursor batch at a time.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q, err := buildCommand(nil, s.collection)
	if req.HasAdvancedRules() {
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
	var cur *mongo.Cursor
	err = s.retry(ctx, func() error {
		var e error
		cur, e = db.RunCommandCursor(ctx, q.cmd, runOpts)
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
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = cur.Close(cctx)
	}()
	if q.batchSize > 0 {
		cur.SetBatchSize(q.batchSize)
	}
	n := 0
	for cur.Next(ctx) {
		doc, skip, err := s.document(cur.Current)
		if err != nil {
			return err
		}
		n++
		if skip {
			continue
		}
		if err := emit(doc); err != nil {
			return connector.DocError(doc.ID, err)
		}
	}
	if err := cur.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The cursor cannot be resumed where it broke; what was read stays indexed and nothing is
		// deleted in this sync.
		scope := fmt.Sprintf("collection %s.%s after %d documents", s.database, s.collection, n)
		s.log.Warn("The MongoDB cursor failed; nothing is deleted in this sync", "read", n, "error", err)
		req.ReportIncomplete(scope, s.connError(ctx, err))
		return nil
	}
	return ctx.Err()
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
