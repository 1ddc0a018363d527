package extract

import (
	"bufio"
	"errors"
	"io"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// htmlSkipped elements hold no readable text (scripts, styles, inert templates, fallbacks for missing
// features), so their content is dropped like BeautifulSoup's get_text and Tika both do.
var htmlSkipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Template: true, atom.Noscript: true, atom.Iframe: true,
	atom.Noembed: true, atom.Noframes: true, atom.Svg: true,
}

// htmlBlocks start and end a line; everything else is inline and flows into the surrounding text.
var htmlBlocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true, atom.Br: true,
	atom.Caption: true, atom.Dd: true, atom.Div: true, atom.Dl: true, atom.Dt: true, atom.Fieldset: true,
	atom.Figcaption: true, atom.Figure: true, atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hr: true, atom.Li: true,
	atom.Main: true, atom.Nav: true, atom.Ol: true, atom.Option: true, atom.P: true, atom.Pre: true,
	atom.Section: true, atom.Table: true, atom.Tbody: true, atom.Tfoot: true, atom.Thead: true,
	atom.Title: true, atom.Tr: true, atom.Ul: true, atom.Body: true, atom.Html: true,
}

// extractHTML walks the token stream (never building a DOM, so memory stays at the tokenizer's buffer)
// and keeps the visible text.
func extractHTML(r io.Reader, t *textBuf, serverPage bool) error {
	if serverPage {
		r = &serverTagStripper{r: bufio.NewReader(r)}
	}
	z := html.NewTokenizer(htmlDecoder(r))
	skip := 0 // depth inside skipped elements
	pre := 0  // depth inside <pre>, where white space is significant
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return z.Err()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			var err error
			if pre > 0 {
				err = t.raw(string(z.Text()))
			} else {
				err = t.words(string(z.Text()))
			}
			if err != nil {
				return err
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			start := tt != html.EndTagToken
			switch {
			case htmlSkipped[a]:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case a == atom.Pre:
				if tt == html.StartTagToken {
					pre++
				} else if tt == html.EndTagToken && pre > 0 {
					pre--
				}
				t.sep(sepLine)
			case htmlBlocks[a]:
				t.sep(sepLine)
			case a == atom.Td || a == atom.Th:
				if start {
					t.sep(sepTab)
				}
			case a == atom.Img && start:
				// The alternative text is what a reader would see if the image did not load.
				for {
					key, val, more := z.TagAttr()
					if string(key) == "alt" && len(val) > 0 {
						t.sep(sepSpace)
						if err := t.words(string(val)); err != nil {
							return err
						}
						t.sep(sepSpace)
					}
					if !more {
						break
					}
				}
			}
		}
	}
}

// htmlDecoder converts a page to UTF-8. A byte-order mark or a <meta> charset in the first kilobyte decides;
// without one, charset.DetermineEncoding guesses Windows-1252 whenever that kilobyte is plain ASCII, which
// garbles UTF-8 pages whose first accent comes later, so the lenient UTF-8 reader is used instead.
func htmlDecoder(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	enc, name, certain := charset.DetermineEncoding(head, "text/html")
	if !certain && (name == "windows-1252" || name == "utf-8") {
		return transform.NewReader(br, lenientUTF8{})
	}
	return transform.NewReader(br, enc.NewDecoder())
}

// serverTagStripper removes ASP.NET server blocks ("<% ... %>") from a stream. They are code, not page
// text, and an HTML tokenizer would otherwise report them as text because "<%" cannot start a tag.
type serverTagStripper struct {
	r      *bufio.Reader
	inside bool
}

func (s *serverTagStripper) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c, err := s.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if s.inside {
			if c == '%' {
				if next, err := s.r.Peek(1); err == nil && next[0] == '>' {
					_, _ = s.r.ReadByte()
					s.inside = false
				}
			}
			continue
		}
		if c == '<' {
			if next, err := s.r.Peek(1); err == nil && next[0] == '%' {
				_, _ = s.r.ReadByte()
				s.inside = true
				continue
			}
		}
		p[n] = c
		n++
	}
	return n, nil
}
