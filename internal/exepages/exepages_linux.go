package exepages

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Release drops the process's read-only mappings of its executable from its page tables
// (madvise MADV_DONTNEED) and says how many bytes of address space it covered. The pages stay in
// the page cache; what the process uses again faults back in.
func Release() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("finding the executable: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("reading the process's mappings: %w", err)
	}
	var released int64
	for _, m := range readOnlyMappings(maps, exe) {
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("madvise %#x-%#x: %w", m.start, m.end, errno)
		}
		released += int64(m.end - m.start)
	}
	return released, nil
}

type mapping struct{ start, end uintptr }

// readOnlyMappings lists the mappings of path in a /proc/<pid>/smaps text that are neither
// writable nor shared and hold no private copy of a page: the executable's code and read-only data
// as they are in the file. A mapping with anonymous pages (a dynamically linked or PIE build's
// RELRO segment, written by the loader before it was made read-only) is left alone, because
// dropping those pages would bring back the file's unrelocated bytes.
func readOnlyMappings(smaps []byte, path string) []mapping {
	var out []mapping
	var cur *mapping // the candidate whose attribute lines are being read
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Text()
		// address perms offset dev inode path
		fields := strings.SplitN(line, " ", 6)
		lo, hi, isHeader := strings.Cut(fields[0], "-")
		if isHeader && len(fields) >= 5 && !strings.HasSuffix(fields[0], ":") {
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				flush()
				perms := fields[1]
				if len(fields) == 6 && strings.TrimLeft(fields[5], " ") == path && end > start &&
					len(perms) == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' {
					cur = &mapping{uintptr(start), uintptr(end)}
				}
				continue
			}
		}
		if cur == nil {
			continue
		}
		if v, ok := strings.CutPrefix(line, "Anonymous:"); ok {
			if kb := strings.TrimSuffix(strings.TrimSpace(v), " kB"); kb != "0" {
				cur = nil
			}
		}
	}
	flush()
	return out
}
