// Command custom-connector is the connectors service with one more source compiled in: the
// csv_file source of this module next to every built-in one. It has the same commands as the
// stock binary (run, config validate, source list, …) because it runs the same command tree.
package main

import (
	"os"

	"github.com/connectors-go/connectors/cli"
	_ "github.com/connectors-go/connectors/sources/all" // the built-in sources

	_ "example.com/custom-connector/csvfile" // our own source
)

func main() {
	os.Exit(cli.Main(os.Args))
}
