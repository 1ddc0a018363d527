package sync

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	gosync "sync"
)

// idSet remembers which document ids a sync has seen, as 64-bit hashes.
// The original keeps every id and timestamp of the index in a dict, which is
// what runs it out of memory on large indices. Here memory stays flat: up to
// memEntries hashes are held in memory; beyond that they go to sorted run
// files in a temporary directory, merged into one sorted file when the source
// is done, and looked up through a small in-memory index of that file.
//
// A hash collision (about 1 in 10^7 for 10^6 ids) can only make a stale
// document survive one more sync, never delete a live one.
type idSet struct {
	seed       maphash.Seed
	memEntries int
	dir        string // "" until the first spill

	mu     gosync.Mutex
	mem    []uint64
	runs   []string
	sealed bool
	err    error

	// After seal, with spilled runs: the merged file and every
	// blockEntries-th hash of it.
	merged *os.File
	count  int
	sparse []uint64
	block  []byte
}

const (
	defaultMemEntries = 1 << 17 // 1 MiB of hashes in memory before spilling
	blockEntries      = 512     // hashes per looked-up block of the merged file (4 KiB)
)

func newIDSet() *idSet { return &idSet{seed: maphash.MakeSeed(), memEntries: defaultMemEntries} }

func (s *idSet) hash(id string) uint64 { return maphash.String(s.seed, id) }

// reserve sizes the in-memory part for about n ids (the index's document count), so that it is
// allocated once instead of doubling its way up, each step leaving the last as garbage.
func (s *idSet) reserve(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.mem) == 0 && cap(s.mem) == 0 {
		s.mem = make([]uint64, 0, min(n+n/8+16, int64(s.memEntries)))
	}
}

func (s *idSet) add(id string) error {
	h := s.hash(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.mem = append(s.mem, h)
	if len(s.mem) >= s.memEntries {
		s.err = s.spill()
	}
	return s.err
}

// spill writes the in-memory hashes as a sorted run file.
func (s *idSet) spill() error {
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "connectors-sync-ids-")
		if err != nil {
			return fmt.Errorf("cannot create a temporary folder for the sync's id list: %w", err)
		}
		s.dir = dir
	}
	slices.Sort(s.mem)
	path := fmt.Sprintf("%s/run-%d", s.dir, len(s.runs))
	if err := writeHashes(path, s.mem); err != nil {
		return err
	}
	s.runs = append(s.runs, path)
	s.mem = s.mem[:0]
	return nil
}

func writeHashes(path string, hashes []uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write the sync's id list: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	var buf [8]byte
	for _, h := range hashes {
		binary.LittleEndian.PutUint64(buf[:], h)
		if _, err := w.Write(buf[:]); err != nil {
			f.Close()
			return fmt.Errorf("cannot write the sync's id list: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("cannot write the sync's id list: %w", err)
	}
	return f.Close()
}

// seal ends adding; contains is valid only after it.
func (s *idSet) seal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.sealed {
		return s.err
	}
	s.sealed = true
	if len(s.runs) == 0 {
		slices.Sort(s.mem)
		s.mem = slices.Compact(s.mem)
		return nil
	}
	if len(s.mem) > 0 {
		if s.err = s.spill(); s.err != nil {
			return s.err
		}
	}
	s.mem = nil
	s.err = s.merge()
	return s.err
}

// merge combines the sorted runs into one sorted, de-duplicated file and
// keeps every blockEntries-th hash in memory.
func (s *idSet) merge() error {
	out, err := os.Create(s.dir + "/merged")
	if err != nil {
		return fmt.Errorf("cannot write the sync's id list: %w", err)
	}
	w := bufio.NewWriterSize(out, 64<<10)
	h := &runHeap{}
	for _, path := range s.runs {
		f, err := os.Open(path)
		if err != nil {
			out.Close()
			return err
		}
		defer f.Close()
		r := &runReader{r: bufio.NewReaderSize(f, 16<<10)}
		if r.next() {
			heap.Push(h, r)
		} else if r.err != nil {
			out.Close()
			return r.err
		}
	}
	var last uint64
	var buf [8]byte
	for h.Len() > 0 {
		r := (*h)[0]
		v := r.cur
		if s.count == 0 || v != last {
			if s.count%blockEntries == 0 {
				s.sparse = append(s.sparse, v)
			}
			binary.LittleEndian.PutUint64(buf[:], v)
			if _, err := w.Write(buf[:]); err != nil {
				out.Close()
				return err
			}
			s.count++
			last = v
		}
		if r.next() {
			heap.Fix(h, 0)
		} else {
			if r.err != nil {
				out.Close()
				return r.err
			}
			heap.Pop(h)
		}
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	for _, path := range s.runs {
		os.Remove(path)
	}
	s.runs = nil
	s.merged = out
	s.block = make([]byte, blockEntries*8)
	return nil
}

type runReader struct {
	r   *bufio.Reader
	cur uint64
	err error
	buf [8]byte
}

func (r *runReader) next() bool {
	if _, err := io.ReadFull(r.r, r.buf[:]); err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = err
		}
		return false
	}
	r.cur = binary.LittleEndian.Uint64(r.buf[:])
	return true
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur < h[j].cur }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// contains reports whether id was added. It must be called after seal and
// from one goroutine at a time (the deletion pass).
func (s *idSet) contains(id string) (bool, error) {
	v := s.hash(id)
	if s.merged == nil {
		_, ok := slices.BinarySearch(s.mem, v)
		return ok, nil
	}
	// The block whose first hash is the last one <= v.
	i, found := slices.BinarySearch(s.sparse, v)
	if found {
		return true, nil
	}
	if i == 0 {
		return false, nil
	}
	blk := i - 1
	n := min(blockEntries, s.count-blk*blockEntries)
	data := s.block[:n*8]
	if _, err := s.merged.ReadAt(data, int64(blk*blockEntries*8)); err != nil {
		return false, fmt.Errorf("cannot read the sync's id list: %w", err)
	}
	lo, hi := 0, n
	for lo < hi {
		m := (lo + hi) / 2
		x := binary.LittleEndian.Uint64(data[m*8:])
		switch {
		case x == v:
			return true, nil
		case x < v:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false, nil
}

// close removes the temporary files.
func (s *idSet) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.merged != nil {
		s.merged.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
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
