// Package version holds the service's version, stamped at build time with
// -ldflags "-X github.com/connectors-go/connectors/internal/version.Version=…".
// The version follows the Elasticsearch release it targets, because the
// start-up check compares it with the cluster's version as the original does.
package version

import "runtime/debug"

// Set by the linker; the defaults apply to `go run` and `go test`.
var (
	Version = "9.6.0"
	Commit  = ""
	Date    = ""
)

// Info returns a one-line description for --version.
func Info() string {
	commit, date := Commit, Date
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					commit = s.Value
				case "vcs.time":
					date = s.Value
				}
			}
		}
	}
	s := "connectors " + Version
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit != "" {
		s += " (commit " + commit
		if date != "" {
			s += ", built " + date
		}
		s += ")"
	}
	return s
}
