// Command pie releases its start-up pages and then works on: built as a position-independent
// executable, whose relocated read-only data must survive the release.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/connectors-go/connectors/internal/exepages"
)

func main() {
	if _, err := exepages.Release(); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	var parts []string
	for i := range 1000 {
		parts = append(parts, fmt.Sprintf("%d", i))
	}
	runtime.GC()
	fmt.Println("ok", len(strings.Join(parts, ",")))
}
