// Package pemtext repairs PEM text pasted into a connector's configuration. Kibana's one-line text
// fields turn the line breaks of a certificate into spaces; the original accepts both forms, so
// the sources that take certificates or keys as text do too.
package pemtext

import (
	"regexp"
	"strings"
)

// block finds PEM blocks whose line breaks may have become spaces.
var block = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----(?s)(.*?)-----END ([A-Z0-9 ]+)-----`)

// Normalize returns PEM text with one header, base64 lines and one footer per block, whatever
// whitespace the value had: proper multi-line PEM (indentation and blank lines dropped), or one
// line where the newlines became spaces. Several blocks may follow each other. Text without a
// PEM block is returned trimmed.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	matches := block.FindAllStringSubmatch(s, -1)
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	for _, m := range matches {
		b.WriteString("-----BEGIN " + m[1] + "-----\n")
		for _, part := range strings.Fields(m[2]) {
			b.WriteString(part + "\n")
		}
		b.WriteString("-----END " + m[3] + "-----\n")
	}
	return b.String()
}
