package mongodb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// The original's schema for advanced rules: an object with at most one of "find" (the keyword
// arguments of a find) and "aggregate" (those of an aggregation), nothing else.
var (
	aggregateSchema = &schemacheck.Schema{
		Type: []string{"object"},
		Properties: []schemacheck.Property{
			{Name: "allowDiskUse", Schema: &schemacheck.Schema{Type: []string{"boolean"}}},
			{Name: "maxTimeMS", Schema: &schemacheck.Schema{Type: []string{"integer"}}},
			{Name: "batchSize", Schema: &schemacheck.Schema{Type: []string{"integer"}}},
			{Name: "let", Schema: &schemacheck.Schema{Type: []string{"object"}}},
			{Name: "pipeline", Schema: &schemacheck.Schema{Type: []string{"array"}, MinItems: schemacheck.Int(1)}},
		},
		NoAdditional: true,
	}
	findSchema = &schemacheck.Schema{
		Type: []string{"object"},
		Properties: []schemacheck.Property{
			{Name: "filter", Schema: &schemacheck.Schema{Type: []string{"object"}}},
			{Name: "projection", Schema: &schemacheck.Schema{Type: []string{"array", "object"}, MinItems: schemacheck.Int(1)}},
			{Name: "skip", Schema: &schemacheck.Schema{Type: []string{"integer"}}},
			{Name: "limit", Schema: &schemacheck.Schema{Type: []string{"integer"}}},
			{Name: "no_cursor_timeout", Schema: &schemacheck.Schema{Type: []string{"boolean"}}},
			{Name: "allow_partial_results", Schema: &schemacheck.Schema{Type: []string{"boolean"}}},
			{Name: "batch_size", Schema: &schemacheck.Schema{Type: []string{"integer"}}},
			{Name: "return_key", Schema: &schemacheck.Schema{Type: []string{"boolean"}}},
			{Name: "show_record_id", Schema: &schemacheck.Schema{Type: []string{"boolean"}}},
			{Name: "max_time_ms", Schema: &schemacheck.Schema{Type: []string{"integer"}}},
			{Name: "allow_disk_use", Schema: &schemacheck.Schema{Type: []string{"boolean"}}},
		},
		NoAdditional: true,
	}
	rulesSchema = &schemacheck.Schema{
		Type:          []string{"object"},
		MaxProperties: schemacheck.Int(1),
		Properties: []schemacheck.Property{
			{Name: "aggregate", Schema: aggregateSchema},
			{Name: "find", Schema: findSchema},
		},
		NoAdditional: true,
	}
)

// decodeRules accepts the snippet as the service hands it over (decoded JSON), or as JSON text.
func decodeRules(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return decodeJSON([]byte(x))
	case json.RawMessage:
		return decodeJSON(x)
	}
	return v, nil
}

func decodeJSON(b []byte) (any, error) {
	var out any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("advanced rules are not valid JSON: %v", err)
	}
	return out, nil
}

// ValidateAdvancedRules checks the rules against the original's schema; like the original it
// does not ask the server. Extended JSON values ($oid, $date, …) are checked too.
func (s *Source) ValidateAdvancedRules(_ context.Context, raw any) ([]string, error) {
	v, err := decodeRules(raw)
	if err != nil {
		return []string{err.Error()}, nil
	}
	if msg := rulesSchema.Validate(v); msg != "" {
		return []string{msg}, nil
	}
	if _, err := fromDecoded(v); err != nil {
		return []string{"advanced rules: " + err.Error()}, nil
	}
	if _, err := buildCommand(mustD(fromDecoded(v)), "c"); err != nil {
		return []string{err.Error()}, nil
	}
	return nil, nil
}

func mustD(v any, _ error) bson.D {
	d, _ := v.(bson.D)
	return d
}

// query is the command that lists the documents, and the batch size of its getMore calls.
type query struct {
	cmd       bson.D
	batchSize int32
	kind      string // "find" or "aggregate", for messages
}

// buildCommand turns validated rules into the find or aggregate command the original's driver
// sends for them (nil rules: a find of the whole collection).
func buildCommand(rules bson.D, collection string) (query, error) {
	if len(rules) == 0 {
		return query{cmd: bson.D{{Key: "find", Value: collection}}, kind: "find"}, nil
	}
	args, _ := rules[0].Value.(bson.D)
	switch rules[0].Key {
	case "find":
		return findCommand(args, collection)
	case "aggregate":
		return aggregateCommand(args, collection)
	}
	return query{}, fmt.Errorf("advanced rules: unknown key %q", rules[0].Key)
}

func findCommand(args bson.D, collection string) (query, error) {
	q := query{cmd: bson.D{{Key: "find", Value: collection}}, kind: "find"}
	for _, e := range args {
		switch e.Key {
		case "filter":
			q.cmd = append(q.cmd, bson.E{Key: "filter", Value: e.Value})
		case "projection":
			p, err := projection(e.Value)
			if err != nil {
				return q, err
			}
			q.cmd = append(q.cmd, bson.E{Key: "projection", Value: p})
		case "skip":
			if n := asInt(e.Value); n != 0 {
				if n < 0 {
					return q, fmt.Errorf("advanced rules: find.skip must be 0 or more, not %d", n)
				}
				q.cmd = append(q.cmd, bson.E{Key: "skip", Value: n})
			}
		case "limit":
			// A negative limit means one batch of at most that many documents, as in the
			// original's driver.
			if n := asInt(e.Value); n != 0 {
				if n < 0 {
					q.cmd = append(q.cmd, bson.E{Key: "limit", Value: -n}, bson.E{Key: "singleBatch", Value: true})
				} else {
					q.cmd = append(q.cmd, bson.E{Key: "limit", Value: n})
				}
			}
		case "batch_size":
			n := asInt(e.Value)
			if n < 0 {
				return q, fmt.Errorf("advanced rules: find.batch_size must be 0 or more, not %d", n)
			}
			if n > 0 {
				q.batchSize = int32(min(n, 1<<31-1))
				q.cmd = append(q.cmd, bson.E{Key: "batchSize", Value: q.batchSize})
			}
		case "no_cursor_timeout":
			q.cmd = appendTrue(q.cmd, "noCursorTimeout", e.Value)
		case "allow_partial_results":
			q.cmd = appendTrue(q.cmd, "allowPartialResults", e.Value)
		case "return_key":
			q.cmd = appendTrue(q.cmd, "returnKey", e.Value)
		case "show_record_id":
			q.cmd = appendTrue(q.cmd, "showRecordId", e.Value)
		case "allow_disk_use":
			if b, ok := e.Value.(bool); ok {
				q.cmd = append(q.cmd, bson.E{Key: "allowDiskUse", Value: b})
			}
		case "max_time_ms":
			if n := asInt(e.Value); n != 0 {
				q.cmd = append(q.cmd, bson.E{Key: "maxTimeMS", Value: n})
			}
		}
	}
	return q, nil
}

func aggregateCommand(args bson.D, collection string) (query, error) {
	q := query{kind: "aggregate"}
	var pipeline any = bson.A{}
	cursor := bson.D{}
	var rest bson.D
	for _, e := range args {
		switch e.Key {
		case "pipeline":
			pipeline = e.Value
		case "batchSize":
			n := asInt(e.Value)
			if n < 0 {
				return q, fmt.Errorf("advanced rules: aggregate.batchSize must be 0 or more, not %d", n)
			}
			q.batchSize = int32(min(n, 1<<31-1))
			cursor = bson.D{{Key: "batchSize", Value: q.batchSize}}
		case "allowDiskUse", "let":
			rest = append(rest, e)
		case "maxTimeMS":
			if n := asInt(e.Value); n != 0 {
				rest = append(rest, bson.E{Key: "maxTimeMS", Value: n})
			}
		}
	}
	q.cmd = append(bson.D{{Key: "aggregate", Value: collection}, {Key: "pipeline", Value: pipeline}, {Key: "cursor", Value: cursor}}, rest...)
	return q, nil
}

// projection accepts the original's two forms: a document, or a list of field names to include.
func projection(v any) (any, error) {
	list, ok := v.(bson.A)
	if !ok {
		return v, nil
	}
	d := bson.D{}
	for _, f := range list {
		name, ok := f.(string)
		if !ok {
			return nil, fmt.Errorf("advanced rules: find.projection lists field names, and %v is not a string", f)
		}
		d = append(d, bson.E{Key: name, Value: int32(1)})
	}
	return d, nil
}

func appendTrue(cmd bson.D, key string, v any) bson.D {
	if b, ok := v.(bool); ok && b {
		return append(cmd, bson.E{Key: key, Value: true})
	}
	return cmd
}

func asInt(v any) int64 {
	switch n := v.(type) {
	case int32:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// rulesQuery is the command for a job's advanced rules: from the stored JSON text when the service
// passes it (key order kept), else from the decoded value.
func rulesQuery(decoded any, text json.RawMessage, collection string) (query, error) {
	v, err := decodeRules(decoded)
	if err != nil {
		return query{}, err
	}
	if msg := rulesSchema.Validate(v); msg != "" {
		return query{}, fmt.Errorf("%s", msg)
	}
	var b any
	if len(text) > 0 {
		b, err = toBSON(text)
	} else {
		b, err = fromDecoded(v)
	}
	if err != nil {
		return query{}, err
	}
	d, ok := b.(bson.D)
	if !ok {
		return query{}, fmt.Errorf("advanced rules must be a JSON object")
	}
	return buildCommand(d, collection)
}
