package mongodb

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func decoded(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The messages are the original's (its schema validator's wording).
func TestValidateAdvancedRules(t *testing.T) {
	tests := []struct{ rules, want string }{
		{`{"find": {"filter": {"a": 1}, "projection": ["a", "b"], "skip": 1, "limit": 10, "batch_size": 5, "max_time_ms": 1000, "no_cursor_timeout": true, "allow_disk_use": true}}`, ""},
		{`{"find": {"projection": {"a": 0}}}`, ""},
		{`{"find": {}}`, ""},
		{`{"aggregate": {"pipeline": [{"$match": {"a": 1}}], "allowDiskUse": true, "maxTimeMS": 5, "batchSize": 10, "let": {"x": 1}}}`, ""},
		{`{"find": {"filter": {"_id": {"$oid": "5f1b2c3d4e5f6a7b8c9d0e1f"}, "at": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}}}`, ""},
		{`[]`, "data must be object"},
		{`{"find": {}, "aggregate": {"pipeline": [{}]}}`, "data must contain less than or equal to 1 properties"},
		{`{"search": {}}`, "data must not contain {'search'} properties"},
		{`{"find": []}`, "data.find must be object"},
		{`{"find": {"filter": []}}`, "data.find.filter must be object"},
		{`{"find": {"projection": "a"}}`, "data.find.projection must be array or object"},
		{`{"find": {"projection": []}}`, "data.find.projection must contain at least 1 items"},
		{`{"find": {"limit": "10"}}`, "data.find.limit must be integer"},
		{`{"find": {"skip": 1.5}}`, "data.find.skip must be integer"},
		{`{"find": {"no_cursor_timeout": 1}}`, "data.find.no_cursor_timeout must be boolean"},
		{`{"find": {"sort": {"a": 1}}}`, "data.find must not contain {'sort'} properties"},
		{`{"aggregate": {}}`, ""},
		{`{"aggregate": {"pipeline": []}}`, "data.aggregate.pipeline must contain at least 1 items"},
		{`{"aggregate": {"pipeline": {}}}`, "data.aggregate.pipeline must be array"},
		{`{"aggregate": {"pipeline": [{}], "let": 1}}`, "data.aggregate.let must be object"},
		{`{"aggregate": {"pipeline": [{}], "comment": "x"}}`, "data.aggregate must not contain {'comment'} properties"},
		{`{"find": {"projection": [1]}}`, "advanced rules: find.projection lists field names, and 1 is not a string"},
		{`{"find": {"filter": {"_id": {"$oid": "xyz"}}}}`, `advanced rules: $oid "xyz" is not a 24-character hex string`},
	}
	s := &Source{log: discard()}
	for _, tt := range tests {
		problems, err := s.ValidateAdvancedRules(context.Background(), decoded(t, tt.rules))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(problems, "; "); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.rules, got, tt.want)
		}
	}
	// JSON text is accepted too.
	if problems, _ := s.ValidateAdvancedRules(context.Background(), `{"find": {"limit": 1}}`); len(problems) != 0 {
		t.Errorf("text: %v", problems)
	}
}

func TestRulesCommands(t *testing.T) {
	tests := []struct {
		name, rules, want string
		batch             int32
	}{
		{"whole collection", ``, `{"find": "c"}`, 0},
		{"find options", `{"find": {"filter": {"z": 1, "a": {"$gt": 2.5}}, "projection": ["b", "a"], "skip": 3, "limit": -4, "batch_size": 7, "max_time_ms": 100, "no_cursor_timeout": true, "allow_partial_results": false, "return_key": true, "show_record_id": true, "allow_disk_use": false}}`,
			`{"find": "c","filter": {"z": {"$numberInt":"1"},"a": {"$gt": {"$numberDouble":"2.5"}}},"projection": {"b": {"$numberInt":"1"},"a": {"$numberInt":"1"}},"skip": {"$numberLong":"3"},"limit": {"$numberLong":"4"},"singleBatch": true,"batchSize": {"$numberInt":"7"},"maxTimeMS": {"$numberLong":"100"},"noCursorTimeout": true,"returnKey": true,"showRecordId": true,"allowDiskUse": false}`, 7},
		{"aggregate keeps stage and key order", `{"aggregate": {"pipeline": [{"$match": {"a": 1}}, {"$sort": {"z": -1, "a": 1}}], "batchSize": 9, "allowDiskUse": true, "let": {"v": "x"}}}`,
			`{"aggregate": "c","pipeline": [{"$match": {"a": {"$numberInt":"1"}}},{"$sort": {"z": {"$numberInt":"-1"},"a": {"$numberInt":"1"}}}],"cursor": {"batchSize": {"$numberInt":"9"}},"allowDiskUse": true,"let": {"v": "x"}}`, 9},
		{"extended JSON", `{"find": {"filter": {"_id": {"$oid": "5f1b2c3d4e5f6a7b8c9d0e1f"}, "at": {"$lt": {"$date": "2024-01-02T03:04:05Z"}}, "n": {"$numberLong": "5000000000"}, "big": 5000000000}}}`,
			`{"find": "c","filter": {"_id": {"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"},"at": {"$lt": {"$date":{"$numberLong":"1704164645000"}}},"n": {"$numberLong":"5000000000"},"big": {"$numberLong":"5000000000"}}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q query
			var err error
			if tt.rules == "" {
				q, err = buildCommand(nil, "c")
			} else {
				q, err = rulesQuery(decoded(t, tt.rules), json.RawMessage(tt.rules), "c")
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := bson.MarshalExtJSON(q.cmd, true, false)
			if err != nil {
				t.Fatal(err)
			}
			if compact(string(got)) != compact(tt.want) || q.batchSize != tt.batch {
				t.Errorf("got %s (batch %d)\nwant %s (batch %d)", got, q.batchSize, tt.want, tt.batch)
			}
		})
	}
	// Without the stored text, the decoded value still works (keys sorted).
	q, err := rulesQuery(decoded(t, `{"find": {"filter": {"b": 1, "a": 2}}}`), nil, "c")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := bson.MarshalExtJSON(q.cmd, false, false)
	if string(got) != `{"find":"c","filter":{"a":2,"b":1}}` {
		t.Errorf("decoded: %s", got)
	}
}

func compact(s string) string {
	return strings.NewReplacer(" ", "", "\n", "").Replace(s)
}
