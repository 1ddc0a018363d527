package mongodb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/connectors-go/connectors/connector"
)

// manyTypes fills a collection with documents whose _ids are of every type FerretDB stores as an
// _id and whose canonical Extended JSON differs from plain JSON: int32, int64 and doubles of
// interleaved values (one type group, compared by value), strings, embedded documents, binary of
// two subtypes, ObjectIds, booleans and dates, in shuffled order.
func manyTypes(t *testing.T, srv server, db, coll string) {
	t.Helper()
	c := srv.collection(t, db, coll)
	var docs []any
	add := func(id any) { docs = append(docs, bson.D{{Key: "_id", Value: id}, {Key: "n", Value: len(docs)}}) }
	for i := range 60 {
		switch i % 3 {
		case 0:
			add(int32(i))
		case 1:
			add(int64(i) + 1<<40) // above every int32 and double here
		default:
			add(float64(i) + 0.5)
		}
	}
	add("é") // 31 strings: with a checkpoint every 3 documents, one lands after each type
	for i := range 30 {
		add(fmt.Sprintf("é-%03d", i))
		add(bson.D{{Key: "b", Value: int32(i % 5)}, {Key: "a", Value: fmt.Sprint(i)}}) // keys not in name order
		add(bson.Binary{Subtype: 4, Data: []byte(fmt.Sprintf("uuid-%011d", i))})
		add(bson.Binary{Subtype: 0, Data: []byte{byte(i), 0, 255}})
		add(bson.NewObjectID())
		add(bson.NewDateTimeFromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1234567 * time.Millisecond)))
	}
	add(true)
	add(false)
	rand.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	insert(t, c, docs...)
}

// TestCheckpointResume: a whole-collection read saves checkpoints that survive being stored as
// JSON, and a read resumed from any of them emits exactly the documents emitted after it in the
// first read, in the same order: none again, none skipped, across collections with _ids of many
// types. A checkpoint of another collection is ignored (the read starts from the beginning), and
// advanced rules save none.
func TestCheckpointResume(t *testing.T) {
	srv := realMongo(t)
	mixedIDs(t, srv, "connectors_checkpoint", "mixed")
	manyTypes(t, srv, "connectors_checkpoint", "types")
	defer func(n int) { checkpointEvery = n }(checkpointEvery)

	type saved struct {
		value   map[string]any
		emitted int
	}
	firstRead := func(t *testing.T, coll string) ([]string, []saved) {
		src := newSource(t, srv.config("connectors_checkpoint", coll, nil))
		var ids []string
		var points []saved
		err := src.Docs(context.Background(), connector.DocsRequest{OnCheckpoint: func(cp map[string]any) {
			data, err := json.Marshal(cp) // the service stores checkpoints as JSON
			if err != nil {
				t.Fatalf("checkpoint %v: %v", cp, err)
			}
			var back map[string]any
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			points = append(points, saved{back, len(ids)})
		}}, func(d connector.Document) error { ids = append(ids, d.ID); return nil })
		if err != nil {
			t.Fatalf("Docs: %v", err)
		}
		return ids, points
	}
	resumed := func(t *testing.T, coll string, cp map[string]any) []string {
		src := newSource(t, srv.config("connectors_checkpoint", coll, nil))
		var ids []string
		err := src.Docs(context.Background(), connector.DocsRequest{Checkpoint: cp},
			func(d connector.Document) error { ids = append(ids, d.ID); return nil })
		if err != nil {
			t.Fatalf("Docs from %v: %v", cp, err)
		}
		return ids
	}
	checkpoints := map[string][]saved{}
	for _, tt := range []struct {
		coll  string
		every int
		types int // _id types the checkpoints land after
	}{{"mixed", 37, 3}, {"types", 3, 9}} {
		coll := tt.coll
		checkpointEvery = tt.every
		t.Run(coll, func(t *testing.T) {
			all, points := firstRead(t, coll)
			if len(points) != len(all)/checkpointEvery {
				t.Fatalf("%d checkpoints for %d documents, want one every %d", len(points), len(all), checkpointEvery)
			}
			checkpoints[coll] = points
			types := map[string]bool{}
			for _, p := range points {
				var doc bson.Raw
				if err := bson.UnmarshalExtJSON([]byte(p.value["after"].(string)), true, &doc); err != nil {
					t.Fatalf("checkpoint %v: %v", p.value, err)
				}
				types[doc.Lookup("_id").Type.String()] = true
				got := resumed(t, coll, p.value)
				want := all[p.emitted:]
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("resumed from %v (after %d documents): %d documents, want the %d that followed it; got %v…, want %v…",
						p.value, p.emitted, len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
				}
			}
			t.Logf("%d documents, %d checkpoints after _ids of types %v", len(all), len(points), keys(types))
			if len(types) != tt.types {
				t.Errorf("checkpoints after _ids of types %v only", keys(types))
			}
		})
	}
	if t.Failed() {
		return
	}
	// A checkpoint of the other collection (the configuration changed) restarts the read.
	all, _ := firstRead(t, "types")
	if got := resumed(t, "types", checkpoints["mixed"][1].value); len(got) != len(all) {
		t.Errorf("a checkpoint of another collection: %d documents, want all %d", len(got), len(all))
	}
	// Advanced rules: no checkpoint, and one given is not used.
	rules := `{"find": {"filter": {}}}`
	var v any
	_ = json.Unmarshal([]byte(rules), &v)
	src := newSource(t, srv.config("connectors_checkpoint", "types", nil))
	n := 0
	err := src.Docs(context.Background(), connector.DocsRequest{AdvancedRules: v, AdvancedRulesJSON: json.RawMessage(rules),
		Checkpoint:   checkpoints["types"][2].value,
		OnCheckpoint: func(cp map[string]any) { t.Errorf("advanced rules saved checkpoint %v", cp) },
	}, func(connector.Document) error { n++; return nil })
	if err != nil || n != len(all) {
		t.Errorf("advanced rules with a checkpoint: %d documents (err %v), want all %d", n, err, len(all))
	}
}

// TestDroppedCursorIsResumed: a cursor the server no longer has (killed here from another
// connection; on MongoDB also one idle longer than cursorTimeoutMillis while Elasticsearch pushes
// back) makes the next getMore fail with CursorNotFound; a whole-collection read resumes after
// the last _id read instead of ending.
func TestDroppedCursorIsResumed(t *testing.T) {
	srv := realMongo(t)
	want := mixedIDs(t, srv, "connectors_resume", "killed")
	var mu sync.Mutex
	var cursors []int64
	var failed []string
	mon := &event.CommandMonitor{
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			if e.CommandName == "find" {
				mu.Lock()
				cursors = append(cursors, e.Reply.Lookup("cursor", "id").Int64())
				mu.Unlock()
			}
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			mu.Lock()
			failed = append(failed, e.CommandName+": "+e.Failure.Error())
			mu.Unlock()
		},
	}
	c, err := mongo.Connect(options.Client().ApplyURI(srv.url).SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(t, srv.config("connectors_resume", "killed", nil))
	src.client = c // the source's own client, watched
	src.sleep = func(context.Context, time.Duration) error { return nil }
	var incomplete []string
	seen := map[string]int{}
	count := 0
	killed := 0
	err = src.Docs(context.Background(), connector.DocsRequest{
		OnIncomplete: func(scope string, cause error) { incomplete = append(incomplete, scope+": "+cause.Error()) },
	}, func(d connector.Document) error {
		count++
		seen[d.ID]++
		if count == 50 || count == 180 || count == 300 { // within the first batch of the current cursor
			mu.Lock()
			id := cursors[len(cursors)-1]
			mu.Unlock()
			var reply struct {
				Killed []int64 `bson:"cursorsKilled"`
			}
			err := srv.client.Database("connectors_resume").RunCommand(context.Background(),
				bson.D{{Key: "killCursors", Value: "killed"}, {Key: "cursors", Value: bson.A{id}}}).Decode(&reply)
			if err != nil || len(reply.Killed) != 1 {
				t.Errorf("killCursors %d: %v %+v", id, err, reply)
			}
			killed++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
	if len(incomplete) > 0 {
		t.Errorf("reported incomplete: %v", incomplete)
	}
	checkEachOnce(t, count, seen, want)
	mu.Lock()
	defer mu.Unlock()
	notFound := 0
	for _, f := range failed {
		if strings.HasPrefix(f, "getMore: (CursorNotFound)") {
			notFound++
		}
	}
	t.Logf("failed commands: %v", failed)
	if killed != 3 || notFound != 3 || len(cursors) != 4 {
		t.Errorf("%d cursors killed, %d getMores failed for it (%v), %d cursors opened; want 3, 3, 4", killed, notFound, failed, len(cursors))
	}
}

// TestCheckpointRoundTrip: the _id of a checkpoint comes back, through JSON, as the same BSON
// type and bytes, also for the types FerretDB cannot store and for values that plain or relaxed
// JSON would turn into another type (a small int64, an integral double, a decimal).
func TestCheckpointRoundTrip(t *testing.T) {
	dec, _ := bson.ParseDecimal128("1.10")
	oid := bson.NewObjectID()
	for _, id := range []any{
		int32(7), int64(7), 7.0, math.Copysign(0, -1), 2.5, dec, "x\u00e9\"{}", oid, true,
		bson.NewDateTimeFromTime(time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)),
		bson.Binary{Subtype: 4, Data: []byte("0123456789abcdef")}, bson.Binary{Subtype: 0x80, Data: []byte{0, 1}},
		bson.D{{Key: "z", Value: int64(1)}, {Key: "a", Value: bson.A{1.5, "s"}}},
		bson.Timestamp{T: 5, I: 1}, bson.MinKey{}, bson.MaxKey{}, bson.Null{}, bson.Symbol("sym"),
		bson.JavaScript("f()"), bson.DBPointer{DB: "d", Pointer: oid},
	} {
		raw, err := bson.Marshal(bson.D{{Key: "_id", Value: id}})
		if err != nil {
			t.Fatal(err)
		}
		last := bson.Raw(raw).Lookup("_id")
		s := &Source{database: "db", collection: "c", log: slog.New(slog.DiscardHandler)}
		cp := s.checkpoint(last)
		if cp == nil {
			t.Errorf("%T %v: no checkpoint", id, id)
			continue
		}
		data, _ := json.Marshal(cp)
		var back map[string]any
		_ = json.Unmarshal(data, &back)
		got := s.checkpointID(back)
		if got.Type != last.Type || !bytes.Equal(got.Value, last.Value) {
			t.Errorf("%T %v: checkpoint %s gives back %v %v", id, id, data, got.Type, got)
		}
	}
	s := &Source{database: "db", collection: "c", log: slog.New(slog.DiscardHandler)}
	for _, cp := range []map[string]any{
		{"v": 1.0, "database": "db", "collection": "other", "after": `{"_id":1}`},
		{"v": 2.0, "database": "db", "collection": "c", "after": `{"_id":1}`},
		{"v": 1.0, "database": "db", "collection": "c", "after": `{"_id":`},
		{"v": 1.0, "database": "db", "collection": "c", "after": `{"x":1}`},
		{"after": "nonsense"},
	} {
		if got := s.checkpointID(cp); got.Type != 0 {
			t.Errorf("checkpoint %v: resumes after %v, want from the start", cp, got)
		}
	}
}
