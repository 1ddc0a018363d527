package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Sample files are generated here, at test time, so the repository holds no binary fixtures and every
// expectation is visible next to the input that produces it.

// pdfEscape escapes a PDF literal string.
func pdfEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

// makePDF writes a minimal, valid PDF 1.4 file: one page per entry, each line of an entry shown with Tj on
// its own text line in Helvetica. Object offsets in the xref table are computed, not guessed.
func makePDF(pages ...[]string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) int {
		offsets = append(offsets, b.Len())
		n := len(offsets)
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
		return n
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects 1 (catalog), 2 (pages) and 3 (font) come first so pages can refer to them by number.
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, lines := range pages {
		var content strings.Builder
		content.WriteString("BT /F1 12 Tf 14 TL 72 720 Td\n")
		for _, l := range lines {
			fmt.Fprintf(&content, "(%s) Tj T*\n", pdfEscape(l))
		}
		content.WriteString("ET")
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// zipParts writes a zip with the given parts, in order.
func zipParts(t testing.TB, parts ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, p := range parts {
		f, err := w.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	nsW   = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	nsR   = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	nsA   = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"`
	nsP   = `xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"`
	relNS = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	relT  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

func rootRels(target string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + relNS + `><Relationship Id="rId1" Type="` +
		relT + `officeDocument" Target="` + target + `"/></Relationships>`
}

// makeDOCX writes a Word document: each paragraph is split into runs at "|" to check that runs join
// without spaces, "\t" becomes <w:tab/>, and a header part is linked through the document's relationships.
func makeDOCX(t testing.TB, header string, paragraphs ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, p := range paragraphs {
		body.WriteString("<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>")
		for i, run := range strings.Split(p, "|") {
			if i > 0 {
				body.WriteString(`<w:r><w:rPr><w:b/></w:rPr>`)
			} else {
				body.WriteString(`<w:r>`)
			}
			for j, piece := range strings.Split(run, "\t") {
				if j > 0 {
					body.WriteString(`<w:tab/>`)
				}
				fmt.Fprintf(&body, `<w:t xml:space="preserve">%s</w:t>`, xmlEscape(piece))
			}
			body.WriteString(`</w:r>`)
		}
		body.WriteString("</w:p>")
	}
	// A deleted revision must not appear in the text.
	body.WriteString(`<w:p><w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del></w:p>`)
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + nsW + ` ` + nsR + `><w:body>` +
		body.String() + `</w:body></w:document>`
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"_rels/.rels", rootRels("word/document.xml")},
		{"word/document.xml", doc},
	}
	if header != "" {
		parts = append(parts,
			[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0"?><Relationships ` + relNS +
				`><Relationship Id="rId7" Type="` + relT + `header" Target="header1.xml"/></Relationships>`},
			[2]string{"word/header1.xml", `<?xml version="1.0"?><w:hdr ` + nsW + `><w:p><w:r><w:t>` + xmlEscape(header) + `</w:t></w:r></w:p></w:hdr>`},
		)
	}
	return zipParts(t, parts...)
}

// makePPTX writes a presentation whose slide parts are numbered in the reverse of their presentation
// order, so the test sees whether sldIdLst is honoured.
func makePPTX(t testing.TB, slides ...[]string) []byte {
	t.Helper()
	n := len(slides)
	var ids, rels strings.Builder
	parts := [][2]string{{"_rels/.rels", rootRels("ppt/presentation.xml")}}
	for i, paras := range slides {
		part := n - i // slide i is stored as slide<n-i>.xml
		fmt.Fprintf(&ids, `<p:sldId id="%d" r:id="rId%d"/>`, 256+i, 10+i)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%sslide" Target="slides/slide%d.xml"/>`, 10+i, relT, part)
		var sp strings.Builder
		for _, p := range paras {
			fmt.Fprintf(&sp, `<a:p><a:r><a:rPr lang="en-US"/><a:t>%s</a:t></a:r></a:p>`, xmlEscape(p))
		}
		slide := `<?xml version="1.0"?><p:sld ` + nsA + ` ` + nsP + ` ` + nsR + `><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>` +
			sp.String() + `</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
		parts = append(parts, [2]string{fmt.Sprintf("ppt/slides/slide%d.xml", part), slide})
	}
	parts = append(parts,
		[2]string{"ppt/presentation.xml", `<?xml version="1.0"?><p:presentation ` + nsP + ` ` + nsR +
			`><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst>` +
			ids.String() + `</p:sldIdLst></p:presentation>`},
		[2]string{"ppt/_rels/presentation.xml.rels", `<?xml version="1.0"?><Relationships ` + relNS + `>` + rels.String() + `</Relationships>`},
	)
	return zipParts(t, parts...)
}

// makeXLSX writes a workbook with excelize: one sheet per entry, rows of cells.
func makeXLSX(t testing.TB, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// makeODT writes an OpenDocument text with a heading, paragraphs, a run of spaces and a tab.
func makeODT(t testing.TB) []byte {
	t.Helper()
	content := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0">
<office:automatic-styles><style:style style:name="P1"/></office:automatic-styles>
<office:body><office:text>
<text:h text:outline-level="1">ODT heading</text:h>
<text:p>First <text:span>para</text:span>graph</text:p>
<text:p>a<text:s text:c="3"/>b<text:tab/>c</text:p>
</office:text></office:body></office:document-content>`
	return zipParts(t,
		[2]string{"mimetype", "application/vnd.oasis.opendocument.text"},
		[2]string{"content.xml", content},
	)
}

// makeVSDX writes a Visio drawing with two pages of shape text.
func makeVSDX(t testing.TB) []byte {
	t.Helper()
	page := func(texts ...string) string {
		var s strings.Builder
		s.WriteString(`<?xml version="1.0"?><PageContents xmlns="http://schemas.microsoft.com/office/visio/2012/main"><Shapes>`)
		for i, tx := range texts {
			fmt.Fprintf(&s, `<Shape ID="%d"><Cell N="PinX" V="1"/><Text><cp IX="0"/>%s</Text></Shape>`, i+1, xmlEscape(tx))
		}
		s.WriteString(`</Shapes></PageContents>`)
		return s.String()
	}
	return zipParts(t,
		[2]string{"_rels/.rels", rootRels("visio/document.xml")},
		[2]string{"visio/document.xml", `<?xml version="1.0"?><VisioDocument xmlns="http://schemas.microsoft.com/office/visio/2012/main"/>`},
		[2]string{"visio/pages/page1.xml", page("Start", "Decision")},
		[2]string{"visio/pages/page2.xml", page("End")},
	)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
