package extract

import "strings"

// supportedExtensions is the list of extensions the connector framework downloads for content extraction
// (service-spec §7.4). It is interface data: a file whose extension is not here is indexed without content.
var supportedExtensions = map[string]bool{
	".txt": true, ".py": true, ".rst": true, ".html": true, ".markdown": true, ".json": true, ".xml": true,
	".csv": true, ".md": true, ".ppt": true, ".rtf": true, ".docx": true, ".odt": true, ".xls": true,
	".xlsx": true, ".rb": true, ".paper": true, ".sh": true, ".pptx": true, ".pdf": true, ".doc": true,
	".aspx": true, ".xlsb": true, ".xlsm": true, ".tsv": true, ".svg": true, ".msg": true, ".potx": true,
	".vsd": true, ".vsdx": true, ".vsdm": true,
}

// SupportedExtensions returns the extensions (lower case, with the leading dot) whose files are downloaded
// for content extraction, in no particular order.
func SupportedExtensions() []string {
	out := make([]string, 0, len(supportedExtensions))
	for e := range supportedExtensions {
		out = append(out, e)
	}
	return out
}

// Supported reports whether a file of this name is downloaded for content extraction: its extension,
// lower-cased, is in the original service's list. It says nothing about size; see [Extractor.Check].
func Supported(filename string) bool {
	return supportedExtensions[Extension(filename)]
}

// Extension returns the lower-cased extension of filename, dot included, or "" if it has none.
//
// It splits the way Python's os.path.splitext does, because sources compute extensions that way: only the
// last path element counts, leading dots do not start an extension (".bashrc" has none), and "a." has ".".
func Extension(filename string) string {
	base := filename
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 {
		return ""
	}
	// A name made only of leading dots before the last one (e.g. "..x" has dot index 1) has no extension.
	if strings.TrimLeft(base[:dot], ".") == "" {
		return ""
	}
	return strings.ToLower(base[dot:])
}
