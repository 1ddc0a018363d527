package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// oleMagic starts every OLE compound file. An Office Open XML document that starts with it has been
// encrypted with a password (the encrypted package is wrapped in OLE).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// zipDoc is an opened Office Open XML or OpenDocument package with a budget on how many bytes may be
// decompressed from it in total. The budget is what makes a zip bomb harmless: decompression stops as soon
// as the budget is spent, whatever the archive's headers claim.
type zipDoc struct {
	ctx    context.Context
	zr     *zip.Reader
	files  map[string]*zip.File
	budget int64
	limit  int64
}

func openZip(ctx context.Context, data []byte, maxUnzipped int64) (*zipDoc, error) {
	if bytes.HasPrefix(data, oleMagic) {
		return nil, ErrEncrypted
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, malformed("not a zip package: %v", err)
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		// Part names are case-insensitive in OPC; some writers also use backslashes.
		files[strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))] = f
	}
	return &zipDoc{ctx: ctx, zr: zr, files: files, budget: maxUnzipped, limit: maxUnzipped}, nil
}

func (z *zipDoc) has(name string) bool { return z.files[strings.ToLower(name)] != nil }

// open returns a reader over one part that charges every decompressed byte to the budget.
func (z *zipDoc) open(name string) (io.ReadCloser, error) {
	f := z.files[strings.ToLower(name)]
	if f == nil {
		return nil, malformed("missing part %s", name)
	}
	if err := z.ctx.Err(); err != nil {
		return nil, err
	}
	if f.UncompressedSize64 > uint64(z.budget) {
		return nil, z.overBudget()
	}
	rc, err := f.Open()
	if err != nil {
		return nil, malformed("part %s: %v", name, err)
	}
	return &budgetReader{rc: rc, z: z, name: name}, nil
}

func (z *zipDoc) overBudget() error {
	return fmt.Errorf("%w: package expands to more than %d bytes (the local extractor's limit on unpacked bytes)", ErrTooLarge, z.limit)
}

type budgetReader struct {
	rc   io.ReadCloser
	z    *zipDoc
	name string
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if err := b.z.ctx.Err(); err != nil {
		return 0, err
	}
	if b.z.budget <= 0 {
		// The budget is spent: the part may still end exactly here, which a one-byte read tells apart.
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, b.z.overBudget()
	}
	if int64(len(p)) > b.z.budget {
		p = p[:b.z.budget]
	}
	n, err := b.rc.Read(p)
	b.z.budget -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		// archive/zip reports a checksum mismatch or a part longer than its header says as ErrFormat.
		err = malformed("part %s: %v", b.name, err)
	}
	return n, err
}

func (b *budgetReader) Close() error { return b.rc.Close() }

// walk streams one part through the XML rules.
func (z *zipDoc) walk(name string, rules *xmlRules, t *textBuf) error {
	rc, err := z.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return walkXML(z.ctx, rc, rules, t)
}

// relationship is one entry of an OPC .rels part.
type relationship struct {
	ID         string `xml:"Id,attr"`
	Type       string `xml:"Type,attr"`
	Target     string `xml:"Target,attr"`
	TargetMode string `xml:"TargetMode,attr"`
}

// maxRelsSize bounds a .rels part; real ones are a few kilobytes even for large presentations.
const maxRelsSize = 4 << 20

// rels reads the relationships of a part, resolving targets to part names. A missing .rels part is not an
// error: it just means the part has no relationships.
func (z *zipDoc) rels(part string) ([]relationship, error) {
	dir, file := path.Split(part)
	relsName := dir + "_rels/" + file + ".rels"
	if !z.has(relsName) {
		return nil, nil
	}
	rc, err := z.open(relsName)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxRelsSize))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Rels []relationship `xml:"Relationship"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, malformed("%s: %v", relsName, err)
	}
	out := doc.Rels[:0]
	for _, r := range doc.Rels {
		if strings.EqualFold(r.TargetMode, "External") {
			continue
		}
		if strings.HasPrefix(r.Target, "/") {
			r.Target = strings.TrimPrefix(path.Clean(r.Target), "/")
		} else {
			r.Target = path.Clean(path.Join(dir, r.Target))
		}
		out = append(out, r)
	}
	return out, nil
}

// relOfType returns the targets of relationships whose type URI ends in "/"+kind. Matching the last
// segment covers both the transitional and the strict OOXML type URIs.
func relsOfType(rels []relationship, kind string) []string {
	var out []string
	for _, r := range rels {
		if strings.HasSuffix(r.Type, "/"+kind) {
			out = append(out, r.Target)
		}
	}
	return out
}

// mainPart finds the package's main document through its root relationships, falling back to the
// conventional name when the package has no usable _rels/.rels.
func (z *zipDoc) mainPart(fallback string) (string, error) {
	rels, err := z.rels("")
	if err != nil {
		return "", err
	}
	for _, t := range relsOfType(rels, "officeDocument") {
		if z.has(t) {
			return t, nil
		}
	}
	if z.has(fallback) {
		return fallback, nil
	}
	return "", malformed("no main document part (expected %s)", fallback)
}

// numbered lists the parts named prefix<N>.xml in numeric order (slide2 before slide10).
func (z *zipDoc) numbered(prefix string) []string {
	type part struct {
		name string
		n    int
	}
	var parts []part
	for name := range z.files {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(rest, ".xml")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			continue
		}
		parts = append(parts, part{name, n})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.name
	}
	return out
}

var docxRules = &xmlRules{
	textIn: map[string]bool{"t": true},
	// Deleted revisions and field codes are not document text; mc:Fallback repeats the text of the
	// mc:Choice next to it (text boxes are stored twice for old readers).
	skip:      map[string]bool{"delText": true, "instrText": true, "Fallback": true},
	lineAfter: map[string]bool{"p": true, "tr": true},
	tabAfter:  map[string]bool{"tc": true},
	emit:      map[string]sepKind{"tab": sepTab, "br": sepLine, "cr": sepLine},
	preserve:  true,
}

// extractDOCX reads the main document, then headers, footers, footnotes, endnotes and comments, in that
// order, the way a reader meets them.
func extractDOCX(z *zipDoc, t *textBuf) error {
	main, err := z.mainPart("word/document.xml")
	if err != nil {
		return err
	}
	if err := z.walk(main, docxRules, t); err != nil {
		return err
	}
	rels, err := z.rels(main)
	if err != nil {
		return err
	}
	for _, kind := range []string{"header", "footer", "footnotes", "endnotes", "comments"} {
		targets := relsOfType(rels, kind)
		sort.Strings(targets)
		for _, part := range targets {
			if !z.has(part) {
				continue
			}
			t.sep(sepPara)
			if err := z.walk(part, docxRules, t); err != nil {
				return err
			}
		}
	}
	return nil
}

var pptxRules = &xmlRules{
	textIn:    map[string]bool{"t": true},
	skip:      map[string]bool{"Fallback": true},
	lineAfter: map[string]bool{"p": true},
	tabAfter:  map[string]bool{"tc": true},
	emit:      map[string]sepKind{"br": sepLine, "tab": sepTab},
	preserve:  true,
}

// extractPPTX reads the slides in presentation order (the order of sldIdLst), falling back to the
// numbering of the slide parts when the presentation part cannot say.
func extractPPTX(z *zipDoc, t *textBuf) error {
	main, err := z.mainPart("ppt/presentation.xml")
	if err != nil {
		return err
	}
	slides, err := z.slideOrder(main)
	if err != nil {
		return err
	}
	if len(slides) == 0 {
		slides = z.numbered("ppt/slides/slide")
	}
	for _, s := range slides {
		t.sep(sepPara)
		if err := z.walk(s, pptxRules, t); err != nil {
			return err
		}
	}
	return nil
}

// slideOrder maps presentation.xml's slide id list through its relationships to slide part names.
func (z *zipDoc) slideOrder(main string) ([]string, error) {
	rels, err := z.rels(main)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]string, len(rels))
	for _, r := range rels {
		if strings.HasSuffix(r.Type, "/slide") {
			byID[r.ID] = r.Target
		}
	}
	rc, err := z.open(main)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var order []string
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return order, nil
			}
			return nil, malformed("%s: %v", main, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "sldMasterIdLst" || se.Name.Local == "notesMasterIdLst" {
			_ = d.Skip()
			continue
		}
		if se.Name.Local != "sldId" {
			continue
		}
		// The relationship id is the namespaced r:id; the bare id attribute is a numeric slide id.
		for _, a := range se.Attr {
			if a.Name.Local == "id" && a.Name.Space != "" {
				if target, ok := byID[a.Value]; ok && z.has(target) {
					order = append(order, target)
				}
			}
		}
	}
}

var visioRules = &xmlRules{
	textIn:    map[string]bool{"Text": true},
	lineAfter: map[string]bool{"Text": true},
}

// extractVSDX reads the shape text of every page of a Visio drawing.
func extractVSDX(z *zipDoc, t *textBuf) error {
	pages := z.numbered("visio/pages/page")
	if len(pages) == 0 {
		return malformed("no pages in the Visio package")
	}
	for _, p := range pages {
		t.sep(sepPara)
		if err := z.walk(p, visioRules, t); err != nil {
			return err
		}
	}
	return nil
}

var odtRules = &xmlRules{
	// Style and font declarations carry no text but are skipped to avoid walking them at all; tracked
	// changes hold deleted text.
	skip:      map[string]bool{"automatic-styles": true, "font-face-decls": true, "tracked-changes": true, "scripts": true},
	lineAfter: map[string]bool{"p": true, "h": true, "table-row": true},
	tabAfter:  map[string]bool{"table-cell": true},
	emit:      map[string]sepKind{"tab": sepTab, "line-break": sepLine},
	count: func(se xml.StartElement) int {
		if se.Name.Local != "s" {
			return 0
		}
		for _, a := range se.Attr {
			if a.Name.Local == "c" {
				if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
					return n
				}
			}
		}
		return 1
	},
}

// extractODT reads an OpenDocument text's content.xml.
func extractODT(z *zipDoc, t *textBuf) error {
	return z.walk("content.xml", odtRules, t)
}
