// Package exepages gives back to the kernel the pages of the process's own executable that
// start-up touched and a long-running service no longer needs.
//
// A Go binary's package initialisers run for every package linked in, whatever the process goes on
// to do: the service's binary links every source and its driver, and their initialisers (and the
// command-line set-up) leave some 26 MiB of the executable's code, type metadata and tables mapped
// in, most of which no sync ever touches again (docs/performance.md, "Peak RSS"). These pages are
// clean copies of the file, so the kernel can drop them from the process's page tables at no risk;
// a page used again later is mapped back from the page cache by a minor fault. Only the read-only
// mappings of the executable are released: a writable one holds the program's variables, which
// would be lost.
package exepages

// EnvVar switches the release off when set to "0", "false" or "off".
const EnvVar = "CONNECTORS_RELEASE_STARTUP_PAGES"

// Enabled reports whether the environment leaves the release on (the default).
func Enabled(getenv func(string) string) bool {
	switch getenv(EnvVar) {
	case "0", "false", "off", "no":
		return false
	}
	return true
}
