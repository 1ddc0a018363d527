package sync

import (
	"fmt"
	"os"
	"testing"
)

func TestIDSet(t *testing.T) {
	for _, memEntries := range []int{1 << 20, 1000, 7} { // in memory; spilled; many tiny runs
		t.Run(fmt.Sprint(memEntries), func(t *testing.T) {
			s := newIDSet()
			s.memEntries = memEntries
			const n = 20000
			for i := 0; i < n; i += 2 { // even ids, some twice
				if err := s.add(fmt.Sprintf("doc-%d", i)); err != nil {
					t.Fatal(err)
				}
				if i%10 == 0 {
					if err := s.add(fmt.Sprintf("doc-%d", i)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := s.seal(); err != nil {
				t.Fatal(err)
			}
			dir := s.dir
			for i := 0; i < n; i++ {
				got, err := s.contains(fmt.Sprintf("doc-%d", i))
				if err != nil {
					t.Fatal(err)
				}
				if got != (i%2 == 0) {
					t.Fatalf("contains(doc-%d) = %v", i, got)
				}
			}
			s.close()
			if dir != "" {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Fatalf("temporary folder %s left behind", dir)
				}
			}
			if (memEntries < n/2) != (dir != "") {
				t.Fatalf("spilled = %v with %d entries in memory", dir != "", memEntries)
			}
		})
	}
}

func BenchmarkIDSetSpilled(b *testing.B) {
	s := newIDSet()
	for i := 0; i < 1_000_000; i++ {
		_ = s.add(fmt.Sprintf("doc-%d", i))
	}
	if err := s.seal(); err != nil {
		b.Fatal(err)
	}
	defer s.close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = s.contains(fmt.Sprintf("doc-%d", i%2_000_000))
	}
}
