package mongodb

import (
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// checkpointVersion is the "v" of the checkpoints this source saves; a checkpoint of another
// version is not understood, and the read starts from the beginning.
const checkpointVersion = 1

// checkpoint is what a whole-collection read saves after emitting the document whose _id is last:
// where it reads, and last as canonical Extended JSON, which keeps the BSON type of every value
// an _id can hold (int32, int64, double and decimal apart, dates, binary subtypes, ObjectIds,
// embedded documents with their key order), so that the resumed read's bound is the same value.
// nil when last cannot be a resume bound.
func (s *Source) checkpoint(last bson.RawValue) map[string]any {
	if last.Type == 0 || !canResumeAfter(last.Type) {
		return nil
	}
	data, err := bson.MarshalExtJSON(bson.D{{Key: "_id", Value: last}}, true, false)
	if err != nil {
		return nil
	}
	return map[string]any{"v": checkpointVersion, "database": s.database, "collection": s.collection, "after": string(data)}
}

// checkpointID is the _id after which a read resumed from cp starts; the zero value (read
// everything) when cp is not one of this source's checkpoints for the configured collection.
// Emitting documents again is allowed, skipping them is not, so a doubtful checkpoint is ignored.
func (s *Source) checkpointID(cp map[string]any) bson.RawValue {
	db, _ := cp["database"].(string)
	coll, _ := cp["collection"].(string)
	after, _ := cp["after"].(string)
	v, _ := cp["v"].(float64) // a number that came back from JSON
	if iv, ok := cp["v"].(int); ok {
		v = float64(iv)
	}
	if v != checkpointVersion || db != s.database || coll != s.collection || after == "" {
		s.log.Warn("Ignoring a checkpoint that is not for this collection; reading it from the start",
			"database", s.database, "collection", s.collection, "checkpoint", cp)
		return bson.RawValue{}
	}
	var doc bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(after), true, &doc); err != nil {
		s.log.Warn("Ignoring a checkpoint whose _id cannot be read; reading the collection from the start", "checkpoint", cp, "error", err)
		return bson.RawValue{}
	}
	id, err := doc.LookupErr("_id")
	if err != nil || !canResumeAfter(id.Type) {
		s.log.Warn("Ignoring a checkpoint without a usable _id; reading the collection from the start", "checkpoint", cp)
		return bson.RawValue{}
	}
	s.log.Info("Resuming the read of the collection after a checkpoint", "database", s.database, "collection", s.collection, "after", after)
	return bson.RawValue{Type: id.Type, Value: slices.Clone(id.Value)}
}
