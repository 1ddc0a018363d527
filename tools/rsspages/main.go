// Command rsspages says which packages own the pages of a Go binary that a running process has
// resident: the file-backed part of its RSS, attributed page by page to the functions, tables and
// type metadata on each page. It is for finding what start-up and a sync touch in the binary (see
// docs/performance.md), not for shipping.
//
//	go build -trimpath -o tmp/connectors-syms ./cmd/connectors   # keep the symbol table: no -s -w
//	tmp/connectors-syms run -c config.yml &
//	go run ./tools/rsspages -pid $!                                # or -bin tmp/connectors-syms
//
// The process must run a binary with its symbol table (a build without -ldflags=-s); the layout of
// the loaded segments is the same as the stripped binary's but for a few bytes of build stamps.
// Resident pages come from /proc/<pid>/pagemap (the present bit, which needs no privilege). Each
// page's 4 KiB is split between the things it holds, in proportion to their bytes on it:
//
//   - functions' code (.text), by the symbol table;
//   - each function's part of the pclntab: its functab entry, its _func record, its name, its
//     pc-value tables (decoded to their exact length) and its funcdata (stack maps, inline trees);
//   - type metadata (type:*), by the types the typelinks table and the code point at, named by
//     the type's own name;
//   - named data (.rodata, .noptrdata, .data);
//   - data without a symbol (a map literal's key and value arrays, a composite literal's
//     backing array) by the function whose code points at it.
//
// What none of these explains is reported as "?<section>".
package main

import (
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	pid := flag.Int("pid", 0, "process whose resident pages to attribute")
	bin := flag.String("bin", "", "the binary with its symbol table (default /proc/<pid>/exe)")
	top := flag.Int("top", 40, "packages to list")
	by := flag.String("by", "pkg", "pkg: by package; sym: by function or symbol")
	filter := flag.String("kind", "", "only this kind (text, pcln, types, data, rodata)")
	show := flag.String("spans", "", "list the spans whose owner contains this string, with their resident bytes")
	flag.Parse()
	if *pid == 0 {
		fmt.Fprintln(os.Stderr, "usage: rsspages -pid PID [-bin BINARY] [-top N] [-by pkg|sym]")
		os.Exit(2)
	}
	path := *bin
	if path == "" {
		path = fmt.Sprintf("/proc/%d/exe", *pid)
	}
	if err := run(*pid, path, *top, *by, *filter, *show, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rsspages:", err)
		os.Exit(1)
	}
}

const pageSize = 4096

type span struct {
	start, end uint64
	owner      string // function or symbol name
	kind       string // text, pcln, types, data, rodata
}

func run(pid int, binPath string, top int, by, filter, show string, w io.Writer) error {
	f, err := elf.Open(binPath)
	if err != nil {
		return err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return fmt.Errorf("%s has no symbol table (build it without -ldflags=-s): %w", binPath, err)
	}
	b := &image{f: f, syms: map[string]elf.Symbol{}}
	for _, s := range syms {
		b.syms[s.Name] = s
	}
	spans, err := b.spans(syms)
	if err != nil {
		return err
	}
	pages, err := residentPages(pid)
	if err != nil {
		return err
	}

	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	// Sections by address, for the unexplained bytes and the per-section totals.
	type secTotal struct {
		name     string
		addr, sz uint64
		resident uint64
	}
	var secs []*secTotal
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 {
			secs = append(secs, &secTotal{name: s.Name, addr: s.Addr, sz: s.Size})
		}
	}
	sectionOf := func(a uint64) *secTotal {
		for _, s := range secs {
			if a >= s.addr && a < s.addr+s.sz {
				return s
			}
		}
		return nil
	}

	type key struct{ name, kind string }
	bytes := map[key]float64{}
	var fileBytes, anonBytes uint64
	for _, pg := range pages {
		if pg.anon {
			anonBytes += pageSize
		} else {
			fileBytes += pageSize
		}
		lo, hi := pg.addr, pg.addr+pageSize
		// Spans overlapping [lo, hi): spans are sorted by start and may nest (the pclntab's parts
		// inside runtime.pclntab), so find the first whose start is >= lo-maxSpan... simpler: binary
		// search the first span starting at or after hi, walk back while they can overlap.
		i := sort.Search(len(spans), func(i int) bool { return spans[i].start >= hi })
		covered := uint64(0)
		for j := i - 1; j >= 0 && j >= i-4096; j-- {
			s := spans[j]
			if s.end <= lo {
				if s.start+maxSpan < lo {
					break
				}
				continue
			}
			a, e := max(s.start, lo), min(s.end, hi)
			if e > a {
				bytes[key{s.owner, s.kind}] += float64(e - a)
				covered += e - a
			}
		}
		if covered > pageSize { // nested spans: scale to the page
			scale := float64(pageSize) / float64(covered)
			for j := i - 1; j >= 0 && j >= i-4096; j-- {
				s := spans[j]
				if s.end <= lo {
					if s.start+maxSpan < lo {
						break
					}
					continue
				}
				a, e := max(s.start, lo), min(s.end, hi)
				if e > a {
					bytes[key{s.owner, s.kind}] -= float64(e-a) * (1 - scale)
				}
			}
			covered = pageSize
		}
		if sec := sectionOf(lo); sec != nil {
			sec.resident += pageSize
			if covered < pageSize {
				bytes[key{"?" + sec.name, "?"}] += float64(pageSize - covered)
			}
		}
	}

	if show != "" {
		resident := map[uint64]bool{}
		for _, pg := range pages {
			resident[pg.addr] = true
		}
		for _, s := range spans {
			if !strings.Contains(s.owner, show) {
				continue
			}
			n := 0
			for a := s.start &^ (pageSize - 1); a < s.end; a += pageSize {
				if resident[a] {
					n++
				}
			}
			fmt.Fprintf(w, "%#x-%#x %8d bytes %5d pages resident  %s %s\n", s.start, s.end, s.end-s.start, n, s.kind, s.owner)
		}
		return nil
	}
	fmt.Fprintf(w, "resident pages of %s in process %d: %.1f MiB file-backed, %.1f MiB copied on write\n\n",
		binPath, pid, float64(fileBytes)/(1<<20), float64(anonBytes)/(1<<20))
	fmt.Fprintf(w, "%-14s %10s %10s\n", "section", "size KiB", "resident")
	for _, s := range secs {
		fmt.Fprintf(w, "%-14s %10d %10d\n", s.name, s.sz>>10, s.resident>>10)
	}

	type row struct {
		name  string
		total float64
		kinds map[string]float64
	}
	rows := map[string]*row{}
	for k, v := range bytes {
		if filter != "" && k.kind != filter {
			continue
		}
		name := k.name
		if by == "pkg" && !strings.HasPrefix(name, "?") {
			name = packageOf(name)
		}
		r := rows[name]
		if r == nil {
			r = &row{name: name, kinds: map[string]float64{}}
			rows[name] = r
		}
		r.total += v
		r.kinds[k.kind] += v
	}
	var list []*row
	for _, r := range rows {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].total > list[j].total })
	kinds := []string{"text", "pcln", "types", "rodata", "data", "?"}
	fmt.Fprintf(w, "\n%9s %7s %7s %7s %7s %7s %7s  %s\n", "KiB", "text", "pcln", "types", "rodata", "data", "?", by)
	for i, r := range list {
		if i == top {
			break
		}
		fmt.Fprintf(w, "%9.0f", r.total/1024)
		for _, k := range kinds {
			fmt.Fprintf(w, " %7.0f", r.kinds[k]/1024)
		}
		fmt.Fprintf(w, "  %s\n", r.name)
	}
	return nil
}

// maxSpan bounds how far back a page looks for a span that reaches it.
const maxSpan = 64 << 20

type page struct {
	addr uint64
	anon bool // a private copy (a written .data page), not the file's page
}

// residentPages lists the resident pages of the process's mappings of the binary.
func residentPages(pid int) ([]page, error) {
	exe, _ := filepath.EvalSymlinks(fmt.Sprintf("/proc/%d/exe", pid))
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	var pages []page
	var buf []byte
	for _, line := range strings.Split(string(maps), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 6 {
			// The .bss and .noptrbss tail of the data segment is anonymous; its pages are the
			// program's variables, not the binary's, so they are not counted here.
			continue
		}
		if fields[5] != exe {
			continue
		}
		var lo, hi uint64
		if _, err := fmt.Sscanf(fields[0], "%x-%x", &lo, &hi); err != nil {
			return nil, err
		}
		n := (hi - lo) / pageSize
		if cap(buf) < int(n*8) {
			buf = make([]byte, n*8)
		}
		buf = buf[:n*8]
		if _, err := pm.ReadAt(buf, int64(lo/pageSize*8)); err != nil {
			return nil, fmt.Errorf("pagemap: %w", err)
		}
		for i := uint64(0); i < n; i++ {
			e := binary.LittleEndian.Uint64(buf[i*8:])
			if e&(1<<63) == 0 {
				continue
			}
			pages = append(pages, page{addr: lo + i*pageSize, anon: e&(1<<61) == 0})
		}
	}
	return pages, nil
}

// packageOf is the import path of the package that defines a function or symbol.
func packageOf(name string) string {
	for _, p := range []string{"type:", "go:itab.", "go:string.", "go:func."} {
		name = strings.TrimPrefix(name, p)
	}
	name = strings.TrimLeft(name, "*[]0123456789")
	name = strings.TrimPrefix(name, "map[")
	name = strings.TrimPrefix(name, "chan ")
	name = strings.TrimLeft(name, "*[]")
	if i := strings.IndexAny(name, "[,"); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndex(name, "/")
	if dot := strings.Index(name[slash+1:], "."); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}
