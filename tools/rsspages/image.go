package main

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// image is the binary's loaded sections and symbols.
type image struct {
	f    *elf.File
	syms map[string]elf.Symbol
	data map[string][]byte
}

func (b *image) section(name string) (*elf.Section, []byte, error) {
	s := b.f.Section(name)
	if s == nil {
		return nil, nil, fmt.Errorf("no %s section", name)
	}
	if b.data == nil {
		b.data = map[string][]byte{}
	}
	d, ok := b.data[name]
	if !ok && s.Type != elf.SHT_NOBITS {
		var err error
		if d, err = s.Data(); err != nil {
			return nil, nil, err
		}
		b.data[name] = d
	}
	return s, d, nil
}

// bytesAt returns the loaded bytes at addr, up to the end of its section.
func (b *image) bytesAt(addr uint64) []byte {
	for _, s := range b.f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || addr < s.Addr || addr >= s.Addr+s.Size {
			continue
		}
		_, d, err := b.section(s.Name)
		if err != nil {
			return nil
		}
		return d[addr-s.Addr:]
	}
	return nil
}

// containers are symbols that span whole tables; their contents are attributed one by one.
var containers = map[string]bool{
	"type:*": true, "runtime.types": true, "runtime.pclntab": true, "go:func.*": true,
	"runtime.functab": true, "runtime.filetab": true, "runtime.pctab": true,
	"runtime.funcnametab": true, "runtime.cutab": true, "runtime.pcheader": true,
	"runtime.epclntab": true, "runtime.etypes": true, "runtime.rodata": true,
	"go:string.*": true,
}

func (b *image) spans(syms []elf.Symbol) ([]span, error) {
	var spans []span
	secKind := map[string]string{".text": "text", ".rodata": "rodata", ".gopclntab": "pcln",
		".noptrdata": "data", ".data": "data", ".typelink": "types", ".itablink": "types"}
	for _, s := range syms {
		if s.Size == 0 || containers[s.Name] || int(s.Section) >= len(b.f.Sections) || s.Section == elf.SHN_UNDEF {
			continue
		}
		sec := b.f.Sections[s.Section]
		kind := secKind[sec.Name]
		if kind == "" {
			continue
		}
		if strings.HasPrefix(s.Name, "go:itab.") {
			kind = "types"
		}
		spans = append(spans, span{s.Value, s.Value + s.Size, s.Name, kind})
	}
	pcln, err := b.pclntab()
	if err != nil {
		return nil, fmt.Errorf("pclntab: %w", err)
	}
	spans = append(spans, pcln...)
	refs := b.references()
	types, err := b.types()
	if err != nil {
		return nil, fmt.Errorf("types: %w", err)
	}
	spans = append(spans, types...)
	spans = append(spans, b.unnamed(spans, refs)...)
	return spans, nil
}

func (b *image) addr(name string) (uint64, bool) {
	s, ok := b.syms[name]
	return s.Value, ok
}

// pclntab attributes the runtime's function tables to the functions they describe.
func (b *image) pclntab() ([]span, error) {
	sec, d, err := b.section(".gopclntab")
	if err != nil {
		return nil, err
	}
	base := sec.Addr
	le := binary.LittleEndian
	nfunc := int(le.Uint64(d[8:]))
	funcname := le.Uint64(d[32:])
	cu := le.Uint64(d[40:])
	filetab := le.Uint64(d[48:])
	pctab := le.Uint64(d[56:])
	pcln := le.Uint64(d[64:])
	gofunc, ok := b.addr("go:func.*")
	if !ok {
		return nil, fmt.Errorf("no go:func.* symbol")
	}
	var spans []span
	spans = append(spans,
		span{base, base + funcname, "runtime.pcheader", "pcln"},
		span{base + cu, base + filetab, "runtime.cutab", "pcln"},
		span{base + filetab, base + pctab, "runtime.filetab", "pcln"})
	type fd struct {
		addr  uint64
		owner string
	}
	var funcdata []fd
	seenPC := map[uint64]bool{}
	for i := 0; i < nfunc; i++ {
		ft := pcln + uint64(i)*8
		funcoff := uint64(le.Uint32(d[ft+4:]))
		f := d[pcln+funcoff:]
		nameOff := uint64(le.Uint32(f[4:]))
		nameEnd := funcname + nameOff
		for d[nameEnd] != 0 {
			nameEnd++
		}
		name := string(d[funcname+nameOff : nameEnd])
		npcdata := int(le.Uint32(f[28:]))
		nfuncdata := int(f[43])
		spans = append(spans,
			span{base + ft, base + ft + 8, name, "pcln"},
			span{base + pcln + funcoff, base + pcln + funcoff + 44 + uint64(4*npcdata+4*nfuncdata), name, "pcln"},
			span{base + funcname + nameOff, base + nameEnd + 1, name, "pcln"})
		tabs := []uint32{le.Uint32(f[16:]), le.Uint32(f[20:]), le.Uint32(f[24:])}
		for j := 0; j < npcdata; j++ {
			tabs = append(tabs, le.Uint32(f[44+4*j:]))
		}
		for _, t := range tabs {
			if t == 0 || seenPC[uint64(t)] {
				continue
			}
			seenPC[uint64(t)] = true
			n := pcvalueLen(d[pctab+uint64(t):])
			spans = append(spans, span{base + pctab + uint64(t), base + pctab + uint64(t) + uint64(n), name, "pcln"})
		}
		for j := 0; j < nfuncdata; j++ {
			off := le.Uint32(f[44+4*npcdata+4*j:])
			if off != ^uint32(0) {
				funcdata = append(funcdata, fd{gofunc + uint64(off), name})
			}
		}
	}
	// Funcdata (stack maps, inline trees, open-coded defer info) lies in go:func.*; each piece
	// runs to the next one.
	sort.Slice(funcdata, func(i, j int) bool { return funcdata[i].addr < funcdata[j].addr })
	end := gofunc + b.syms["go:func.*"].Size
	for i, x := range funcdata {
		if i+1 < len(funcdata) && funcdata[i+1].addr == x.addr {
			continue
		}
		e := end
		if i+1 < len(funcdata) {
			e = funcdata[i+1].addr
		}
		spans = append(spans, span{x.addr, e, x.owner, "pcln"})
	}
	return spans, nil
}

// pcvalueLen is the length of an encoded pc-value table.
func pcvalueLen(p []byte) int {
	n, first := 0, true
	for n < len(p) {
		v, k := binary.Uvarint(p[n:])
		n += k
		if v == 0 && !first {
			return n
		}
		first = false
		_, k = binary.Uvarint(p[n:])
		n += k
	}
	return n
}

// ref is an address that code or data points at, and who points at it.
type ref struct {
	target uint64
	from   string
}

// references finds the addresses the code loads with RIP-relative LEAQ and MOVQ (REX.W 8D/8B
// with a disp32 operand), and the pointers in .data that point into the
// binary, each with the function or symbol it comes from.
func (b *image) references() []ref {
	var funcs []elf.Symbol
	var datas []elf.Symbol
	for _, s := range b.syms {
		if s.Size == 0 || int(s.Section) >= len(b.f.Sections) {
			continue
		}
		switch b.f.Sections[s.Section].Name {
		case ".text":
			funcs = append(funcs, s)
		case ".data": // .noptrdata holds no pointers by definition
			datas = append(datas, s)
		}
	}
	var refs []ref
	sec, text, err := b.section(".text")
	if err != nil {
		return nil
	}
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].Value < funcs[j].Value })
	fi := 0
	for i := 0; i+7 <= len(text); i++ {
		if (text[i] != 0x48 && text[i] != 0x4c) || (text[i+1] != 0x8d && text[i+1] != 0x8b) || text[i+2]&0xc7 != 0x05 {
			continue
		}
		pc := sec.Addr + uint64(i)
		for fi+1 < len(funcs) && funcs[fi+1].Value <= pc {
			fi++
		}
		if fi >= len(funcs) || pc >= funcs[fi].Value+funcs[fi].Size {
			continue
		}
		disp := int32(binary.LittleEndian.Uint32(text[i+3:]))
		refs = append(refs, ref{uint64(int64(pc) + 7 + int64(disp)), funcs[fi].Name})
	}
	lo, hi := b.f.Sections[1].Addr, uint64(0)
	for _, s := range b.f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 {
			hi = max(hi, s.Addr+s.Size)
		}
	}
	for _, s := range datas {
		d := b.bytesAt(s.Value)
		if d == nil || uint64(len(d)) < s.Size {
			continue
		}
		for o := uint64(0); o+8 <= s.Size; o += 8 {
			p := binary.LittleEndian.Uint64(d[o:])
			if p >= lo && p < hi {
				refs = append(refs, ref{p, s.Name})
			}
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].target < refs[j].target })
	return refs
}

// types attributes type metadata to the types, by the DWARF entries' runtime type addresses
// (DW_AT_go_runtime_type): a type runs from its descriptor to the next one, which covers its
// uncommon part, method table and field names. Without DWARF (a build with -w) type metadata
// is left to the references from code.
func (b *image) types() ([]span, error) {
	start, ok := b.addr("runtime.types")
	if !ok {
		return nil, fmt.Errorf("no runtime.types")
	}
	end, ok := b.addr("go:string.*")
	if !ok || end <= start {
		end = start + b.syms["type:*"].Size
	}
	d, err := b.f.DWARF()
	if err != nil {
		return nil, nil
	}
	const attrGoRuntimeType = dwarf.Attr(0x2904)
	names := map[uint64]string{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		off, ok := e.Val(attrGoRuntimeType).(uint64) // an offset from runtime.types
		v := start + off
		if !ok || v >= end {
			continue
		}
		if n, ok := e.Val(dwarf.AttrName).(string); ok {
			names[v] = n
		}
	}
	addrs := make([]uint64, 0, len(names))
	for a := range names {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
	var spans []span
	for i, a := range addrs {
		e := end
		if i+1 < len(addrs) {
			e = addrs[i+1]
		}
		spans = append(spans, span{a, e, "type:" + names[a], "types"})
	}
	return spans, nil
}

// unnamed attributes the bytes no other span covers (a map literal's arrays, a composite
// literal's backing array, a string constant's bytes) to whoever points at them: each stretch
// from one referenced address to the next belongs to the first function or symbol referring to
// its start.
func (b *image) unnamed(spans []span, refs []ref) []span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	// Merge covered intervals.
	var covered [][2]uint64
	for _, s := range spans {
		if n := len(covered); n > 0 && s.start <= covered[n-1][1] {
			covered[n-1][1] = max(covered[n-1][1], s.end)
			continue
		}
		covered = append(covered, [2]uint64{s.start, s.end})
	}
	isCovered := func(a uint64) bool {
		i := sort.Search(len(covered), func(i int) bool { return covered[i][1] > a })
		return i < len(covered) && covered[i][0] <= a
	}
	nextCovered := func(a uint64) uint64 {
		i := sort.Search(len(covered), func(i int) bool { return covered[i][0] > a })
		if i < len(covered) {
			return covered[i][0]
		}
		return ^uint64(0)
	}
	kindOf := func(a uint64) string {
		for _, s := range b.f.Sections {
			if a >= s.Addr && a < s.Addr+s.Size {
				switch s.Name {
				case ".rodata":
					return "rodata"
				case ".noptrdata", ".data":
					return "data"
				case ".gopclntab":
					return "pcln"
				}
				return ""
			}
		}
		return ""
	}
	var out []span
	for i := 0; i < len(refs); i++ {
		r := refs[i]
		if isCovered(r.target) {
			continue
		}
		kind := kindOf(r.target)
		if kind == "" {
			continue
		}
		// Skip further references to the same address.
		j := i + 1
		for j < len(refs) && refs[j].target == r.target {
			j++
		}
		e := nextCovered(r.target)
		if j < len(refs) && refs[j].target < e {
			e = refs[j].target
		}
		out = append(out, span{r.target, e, r.from, kind})
		i = j - 1
	}
	return out
}
