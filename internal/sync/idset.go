package sync

import (
	"hash/maphash"
	"slices"
	gosync "sync"
)

// idSet remembers which document ids a sync has seen, in 8 bytes per id:
// a 64-bit hash appended to a slice, sorted once the source is done. The
// original keeps every id and timestamp of the index in a dict, which is
// what runs it out of memory on large indices.
//
// A hash collision (about 1 in 10^7 for 10^6 ids) can only make a stale
// document survive one more sync, never delete a live one.
type idSet struct {
	seed   maphash.Seed
	mu     gosync.Mutex
	hashes []uint64
	sorted bool
}

func newIDSet() *idSet { return &idSet{seed: maphash.MakeSeed()} }

func (s *idSet) hash(id string) uint64 { return maphash.String(s.seed, id) }

func (s *idSet) add(id string) {
	h := s.hash(id)
	s.mu.Lock()
	s.hashes = append(s.hashes, h)
	s.sorted = false
	s.mu.Unlock()
}

// seal sorts the set; contains is valid only after it.
func (s *idSet) seal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sorted {
		slices.Sort(s.hashes)
		s.hashes = slices.Compact(s.hashes)
		s.sorted = true
	}
}

func (s *idSet) contains(id string) bool {
	_, ok := slices.BinarySearch(s.hashes, s.hash(id))
	return ok
}

// stampSet maps id hashes to timestamp hashes (16 bytes per document), for
// the syncs that skip unchanged documents: incremental syncs of sources
// without a cursor, and access-control syncs.
type stampSet struct {
	seed    maphash.Seed
	entries []stampEntry
}

type stampEntry struct{ id, stamp uint64 }

func newStampSet(seed maphash.Seed) *stampSet { return &stampSet{seed: seed} }

func (s *stampSet) add(id, stamp string) {
	s.entries = append(s.entries, stampEntry{maphash.String(s.seed, id), maphash.String(s.seed, stamp)})
}

func (s *stampSet) seal() {
	slices.SortFunc(s.entries, func(a, b stampEntry) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
}

// lookup reports whether id is indexed and whether its stored timestamp
// equals stamp.
func (s *stampSet) lookup(id, stamp string) (exists, same bool) {
	h := maphash.String(s.seed, id)
	i, ok := slices.BinarySearchFunc(s.entries, h, func(e stampEntry, t uint64) int {
		switch {
		case e.id < t:
			return -1
		case e.id > t:
			return 1
		}
		return 0
	})
	if !ok {
		return false, false
	}
	return true, stamp != "" && s.entries[i].stamp == maphash.String(s.seed, stamp)
}
