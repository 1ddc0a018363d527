package extract

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzTargets are the formats fuzzed, with the engine that reads them. ownParser marks the readers written
// in this package: a panic recovered from them is a bug, while one from a third-party library is only
// contained.
var fuzzTargets = []struct {
	file      string
	pure      bool
	ownParser bool
}{
	{"f.txt", false, true}, {"f.html", false, true}, {"f.aspx", false, true}, {"f.xml", false, true},
	{"f.svg", false, true}, {"f.rtf", false, true}, {"f.docx", false, true}, {"f.pptx", false, true},
	{"f.odt", false, true}, {"f.vsdx", false, true}, {"f.xlsx", false, false}, {"f.pdf", false, false},
	{"f.pdf", true, false},
}

const fuzzMaxText = 64 << 10

var (
	fuzzOnce              sync.Once
	fuzzLocal, fuzzPureEx *Local
)

func fuzzExtractors() (*Local, *Local) {
	fuzzOnce.Do(func() {
		cfg := LocalConfig{MaxTextSize: fuzzMaxText, MaxUnzippedSize: 8 << 20, Timeout: 20 * time.Second, CacheDir: testCacheDir}
		cfg.PDFEngine = PDFium
		fuzzLocal = NewLocal(cfg)
		cfg.PDFEngine = PDFPure
		fuzzPureEx = NewLocal(cfg)
	})
	return fuzzLocal, fuzzPureEx
}

// FuzzExtract checks that arbitrary bytes, under any supported extension, give either valid text within
// the output limit or one of the package's errors; never a crash, a hang, or a panic in our own parsers.
func FuzzExtract(f *testing.F) {
	seeds := map[string][]byte{
		"f.txt":  []byte("plain \xff text"),
		"f.html": []byte(`<html><body><p>a<b>b</b></p><script>x</script><pre> p </pre></body></html>`),
		"f.aspx": []byte(`<%@ Page %><p>x<% y %>z</p>`),
		"f.xml":  []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><a><b>t&amp;</b><![CDATA[c]]></a>`),
		"f.svg":  []byte(`<svg><title>t</title><text>x<tspan>y</tspan></text></svg>`),
		"f.rtf":  []byte(`{\rtf1\ansi\ansicpg932{\fonttbl{\f0 x;}}\'82\'a0 \u8364? {\*\x y}\bin3 abc\par z}`),
		"f.docx": makeDOCX(f, "head", "a|b", "c\td"),
		"f.pptx": makePPTX(f, []string{"s1"}, []string{"s2"}),
		"f.odt":  makeODT(f),
		"f.vsdx": makeVSDX(f),
		"f.xlsx": makeXLSX(f, map[string][][]any{"S": {{"a", 1}}}, "S"),
		"f.pdf":  makePDF([]string{"Hello", "PDF"}),
	}
	for i, tg := range fuzzTargets {
		seed := seeds[tg.file]
		f.Add(uint8(i), seed)
		// A truncated copy steers the fuzzer towards damaged files early.
		f.Add(uint8(i), seed[:len(seed)/2])
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		tg := fuzzTargets[int(kind)%len(fuzzTargets)]
		l, pure := fuzzExtractors()
		if tg.pure {
			l = pure
		}
		c, err := l.Extract(context.Background(), tg.file, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if tg.ownParser && errors.Is(err, errParserPanic) {
				t.Fatalf("%s: our parser panicked: %v", tg.file, err)
			}
			for _, known := range []error{ErrMalformed, ErrTooLarge, ErrEncrypted, ErrUnsupported} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("%s: unexpected error kind: %v", tg.file, err)
		}
		if !utf8.ValidString(c.Value) || len(c.Value) > fuzzMaxText {
			t.Fatalf("%s: %d bytes of text, valid UTF-8: %v", tg.file, len(c.Value), utf8.ValidString(c.Value))
		}
	})
}
