package extract

import (
	"context"
	"encoding/xml"
	"errors"
	"io"

	"golang.org/x/net/html/charset"
)

// xmlRules say how one XML vocabulary maps to text. Elements are matched by local name: the namespaces of
// the formats read here are fixed by their part, and the strict and transitional OOXML flavours use
// different namespace URIs for the same element names.
type xmlRules struct {
	// textIn, when set, limits text to character data inside these elements (OOXML keeps text in <w:t>,
	// <a:t>, … and puts only layout whitespace elsewhere). When nil, all character data is text.
	textIn map[string]bool
	// skip drops whole subtrees, e.g. deleted revisions or scripts.
	skip map[string]bool
	// lineAfter and tabAfter add a separator when the element ends; paraAfter a blank line.
	lineAfter, tabAfter, paraAfter map[string]bool
	// emit maps empty marker elements (tabs, breaks) to the separator they stand for.
	emit map[string]sepKind
	// allLines adds a line break after every element: generic XML has no layout vocabulary, and element
	// boundaries are the best guess at where one value ends and the next starts.
	allLines bool
	// preserve keeps character data as is instead of squeezing white space; OOXML runs are literal text.
	preserve bool
	// count returns how many spaces an element stands for (ODF's <text:s text:c="3"/>); 0 means none.
	count func(xml.StartElement) int
}

// walkXML streams one XML document into t according to rules. It never builds a tree: memory is the
// decoder's buffer plus the current element path, and decoding stops at the first syntax error.
func walkXML(ctx context.Context, r io.Reader, rules *xmlRules, t *textBuf) error {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charset.NewReaderLabel
	skip, in := 0, 0
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return malformed("XML line %d: %s", se.Line, se.Msg)
			}
			// Errors of the readers underneath (limits, cancellation) pass through; everything else the
			// decoder says (bad version, unknown charset, ...) is about the content.
			if isCtxErr(err) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) || errors.Is(err, errSource) {
				return err
			}
			return malformed("XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			if skip > 0 || rules.skip[name] {
				skip++
				continue
			}
			if rules.textIn[name] {
				in++
			}
			if k, ok := rules.emit[name]; ok {
				t.sep(k)
			}
			if rules.count != nil {
				if c := rules.count(el); c > 0 {
					if err := t.raw(spaces(c)); err != nil {
						return err
					}
				}
			}
		case xml.EndElement:
			name := el.Name.Local
			if skip > 0 {
				skip--
				continue
			}
			if rules.textIn[name] && in > 0 {
				in--
			}
			switch {
			case rules.paraAfter[name]:
				t.sep(sepPara)
			case rules.lineAfter[name], rules.allLines:
				t.sep(sepLine)
			case rules.tabAfter[name]:
				t.sep(sepTab)
			}
		case xml.CharData:
			if skip > 0 || (rules.textIn != nil && in == 0) {
				continue
			}
			var err error
			if rules.preserve {
				err = t.raw(string(el))
			} else {
				err = t.words(string(el))
			}
			if err != nil {
				return err
			}
		}
	}
}

func spaces(n int) string {
	const s = "                "
	if n > len(s) {
		n = len(s)
	}
	return s[:n]
}

// genericXMLRules read any XML file: every piece of character data, one element per line.
var genericXMLRules = &xmlRules{allLines: true}

// svgRules keep what a viewer shows or a screen reader says: text, titles and descriptions.
var svgRules = &xmlRules{
	textIn:    map[string]bool{"text": true, "title": true, "desc": true},
	skip:      map[string]bool{"style": true, "script": true, "metadata": true},
	lineAfter: map[string]bool{"text": true, "title": true, "desc": true},
}
