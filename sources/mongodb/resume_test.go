package mongodb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/faultproxy"
)

// checkEachOnce fails t unless every wanted document was emitted exactly once and nothing else.
func checkEachOnce(t *testing.T, count int, seen map[string]int, want map[string]bool) {
	t.Helper()
	if count != len(want) || len(seen) != len(want) {
		t.Errorf("%d documents emitted, %d distinct, want %d", count, len(seen), len(want))
	}
	for id, n := range seen {
		if !want[id] || n != 1 {
			t.Errorf("document %s emitted %d times (expected: %v)", id, n, want[id])
		}
	}
}

// mixedIDs fills a collection with 1,000 documents whose _ids are of three types (numbers, strings,
// ObjectIds: a resumed read must cross from one type to the next) in shuffled order, and returns
// the document ids the source gives them.
func mixedIDs(t *testing.T, srv server, db, coll string) map[string]bool {
	t.Helper()
	c := srv.collection(t, db, coll)
	var docs []any
	want := map[string]bool{}
	for i := range 400 {
		docs = append(docs, bson.D{{Key: "_id", Value: int32(i)}, {Key: "n", Value: i}})
		want[strconv.Itoa(i)] = true
	}
	for i := range 300 {
		id := fmt.Sprintf("s%04d", i)
		docs = append(docs, bson.D{{Key: "_id", Value: id}, {Key: "n", Value: i}})
		want[id] = true
	}
	for i := range 300 {
		oid := bson.NewObjectID()
		docs = append(docs, bson.D{{Key: "_id", Value: oid}, {Key: "n", Value: i}})
		want[oid.Hex()] = true
	}
	rand.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	insert(t, c, docs...)
	return want
}

// TestCursorResumesAfterCuts: connections cut in the middle of a whole-collection read, once while
// the server also stays unreachable for two more tries, are resumed after the last _id read: every
// document arrives exactly once and nothing is reported incomplete.
func TestCursorResumesAfterCuts(t *testing.T) {
	srv := realMongo(t)
	want := mixedIDs(t, srv, "connectors_resume", "items")
	p := faultproxy.Start(t, srv.host+":"+srv.port)
	src := newSource(t, srv.config("connectors_resume", "items", map[string]any{
		"host": fmt.Sprintf("mongodb://%s/?directConnection=true&serverSelectionTimeoutMS=1000", p.Addr())}))
	var waits []time.Duration
	brokenAt := -1
	src.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		if brokenAt >= 0 && len(waits)-brokenAt == 3 {
			p.Mend() // the third try after the break reaches the server again
		}
		return nil
	}
	var incomplete []string
	seen := map[string]int{}
	count := 0
	err := src.Docs(context.Background(), connector.DocsRequest{
		OnIncomplete: func(scope string, cause error) { incomplete = append(incomplete, scope+": "+cause.Error()) },
	}, func(d connector.Document) error {
		count++
		seen[d.ID]++
		switch count {
		case 150, 380, 800: // a blip: the next getMore fails, a new connection works
			p.Drop()
		case 520: // an outage spanning two reopen attempts
			brokenAt = len(waits)
			p.Break()
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
	var missing []string
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d documents missing, such as %v", len(missing), missing[:min(5, len(missing))])
	}
	// Four cuts, one of them followed by two failed reopens: at least six waits, the three in a
	// row growing.
	if len(waits) < 6 || brokenAt < 0 || len(waits) < brokenAt+3 || waits[brokenAt+2] <= waits[brokenAt]/2 {
		t.Errorf("waits %v (break after wait %d); want a wait per cut and growing waits during the outage", waits, brokenAt)
	}
	if p.Accepted() < 5 {
		t.Errorf("%d connections: the cuts did not reach the cursor", p.Accepted())
	}
	if !src.commonTypesOnly {
		t.Errorf("FerretDB refuses $type codes of the rare types, and the resume did not fall back to the others")
	}
}

// TestResumeFilter pins the bound of a resumed read for the types FerretDB cannot store: the
// type groups after the last _id's, in MongoDB's order, are matched by type since $gt only
// compares within a group.
func TestResumeFilter(t *testing.T) {
	for _, tt := range []struct {
		last        bson.RawValue
		all, common string
	}{
		{bson.RawValue{Type: bson.TypeString, Value: bsoncoreString("k")},
			`{"$or": [{"_id": {"$gt": "k"}},{"_id": {"$type": [3,5,7,8,9,17,12,13,15,127]}}]}`,
			`{"$or": [{"_id": {"$gt": "k"}},{"_id": {"$type": [3,5,7,8,9,17]}}]}`},
		{bson.RawValue{Type: bson.TypeNull},
			`{"$or": [{"_id": {"$gt": null}},{"_id": {"$type": [1,16,18,19,2,14,3,5,7,8,9,17,12,13,15,127]}}]}`,
			`{"$or": [{"_id": {"$gt": null}},{"_id": {"$type": [1,16,18,2,3,5,7,8,9,17]}}]}`},
		{bson.RawValue{Type: bson.TypeTimestamp, Value: []byte{1, 0, 0, 0, 5, 0, 0, 0}},
			`{"$or": [{"_id": {"$gt": {"$timestamp":{"t":5,"i":1}}}},{"_id": {"$type": [12,13,15,127]}}]}`,
			`{"_id": {"$gt": {"$timestamp":{"t":5,"i":1}}}}`},
		{bson.RawValue{Type: bson.TypeMaxKey}, `{"_id": {"$gt": {"$maxKey":1}}}`, `{"_id": {"$gt": {"$maxKey":1}}}`},
	} {
		for _, common := range []bool{false, true} {
			s := &Source{commonTypesOnly: common}
			f, rare := s.resumeFilter(tt.last)
			b, err := bson.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.all
			if common {
				want = tt.common
			}
			got := numberInt.ReplaceAllString(bson.Raw(b).String(), "$1")
			if got != want {
				t.Errorf("after %v (common types only: %v):\n got %s\nwant %s", tt.last, common, got, want)
			}
			if rare != (!common && strings.Contains(want, "127")) {
				t.Errorf("after %v: rare %v", tt.last, rare)
			}
		}
	}
	for _, ty := range []bson.Type{bson.TypeArray, bson.TypeRegex, bson.TypeUndefined} {
		if canResumeAfter(ty) {
			t.Errorf("%v cannot be an _id, and has no place in the order", ty)
		}
	}
}

var numberInt = regexp.MustCompile(`\{"\$numberInt":"(-?\d+)"\}`)

func bsoncoreString(s string) []byte {
	n := len(s) + 1
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}, append([]byte(s), 0)...)
}

// TestCursorResumeGivesUp: a server that stays away after the cursor broke is tried attempts
// times with growing waits, then the collection is reported incomplete (nothing is deleted) and
// what was read stays, each document once.
func TestCursorResumeGivesUp(t *testing.T) {
	srv := realMongo(t)
	want := mixedIDs(t, srv, "connectors_resume", "gone")
	p := faultproxy.Start(t, srv.host+":"+srv.port)
	src := newSource(t, srv.config("connectors_resume", "gone", map[string]any{
		"host": fmt.Sprintf("mongodb://%s/?directConnection=true&serverSelectionTimeoutMS=500", p.Addr())}))
	var waits []time.Duration
	src.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	var incomplete []string
	seen := map[string]int{}
	count := 0
	err := src.Docs(context.Background(), connector.DocsRequest{
		OnIncomplete: func(scope string, cause error) { incomplete = append(incomplete, scope+": "+cause.Error()) },
	}, func(d connector.Document) error {
		count++
		seen[d.ID]++
		if count == 150 {
			p.Break()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
	if len(incomplete) != 1 || !strings.Contains(incomplete[0], "collection connectors_resume.gone after") {
		t.Errorf("reported %v; want the collection reported incomplete once", incomplete)
	}
	if count >= len(want) || count != len(seen) {
		t.Errorf("%d documents emitted, %d distinct, of %d", count, len(seen), len(want))
	}
	if len(waits) != attempts {
		t.Errorf("waits %v; want %d reopen attempts before giving up", waits, attempts)
	} else if waits[attempts-1] <= waits[0] {
		t.Errorf("waits %v do not grow", waits)
	}
}
