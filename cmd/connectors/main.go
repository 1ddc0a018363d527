// Command connectors is the connector service and its operator CLI. Called
// as elastic-ingest (a symlink or copy of this binary) it answers the Python
// service's flags instead.
package main

import (
	"os"

	"github.com/connectors-go/connectors/cli"
	_ "github.com/connectors-go/connectors/sources/all" // every source we ship
)

func main() {
	os.Exit(cli.Main(os.Args))
}
