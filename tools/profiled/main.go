// Command profiled is the connectors binary with profiling: the same commands, plus a CPU profile
// and a heap profile written when it exits. It is for measuring the service (make ftest runs it
// with -service), never for shipping.
//
//	go build -o bin/connectors-profiled ./tools/profiled
//	PROFILE_DIR=tmp/prof bin/ftest -name dir -service bin/connectors-profiled
//	go tool pprof -top bin/connectors-profiled tmp/prof/cpu.pprof
//
// PROFILE_DIR names the folder for cpu.pprof and heap.pprof (the in-use heap at exit, after a GC)
// and allocs.pprof (every allocation since start); MEMPROFILE_RATE sets runtime.MemProfileRate;
// PROFILE_HEAP_EVERY=500ms adds numbered snapshots of the in-use heap while it runs.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/connectors-go/connectors/cli"
	_ "github.com/connectors-go/connectors/sources/all"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := os.Getenv("PROFILE_DIR")
	if dir == "" {
		return cli.Main(os.Args)
	}
	if r, err := strconv.Atoi(os.Getenv("MEMPROFILE_RATE")); err == nil {
		runtime.MemProfileRate = r
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		return 1
	}
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		return 1
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		return 1
	}
	if every, err := time.ParseDuration(os.Getenv("PROFILE_HEAP_EVERY")); err == nil && every > 0 {
		// Snapshots of the in-use heap while the service works (heap-1.pprof, heap-2.pprof, …):
		// the heap at exit says little about the heap during a sync.
		go func() {
			for n := 1; ; n++ {
				time.Sleep(every)
				out, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", n)))
				if err != nil {
					return
				}
				_ = pprof.Lookup("heap").WriteTo(out, 0)
				out.Close()
			}
		}()
	}
	code := cli.Main(os.Args)
	pprof.StopCPUProfile()
	f.Close()
	for _, p := range []string{"heap", "allocs"} {
		if p == "heap" {
			runtime.GC()
		}
		out, err := os.Create(filepath.Join(dir, p+".pprof"))
		if err == nil {
			_ = pprof.Lookup(p).WriteTo(out, 0)
			out.Close()
		}
	}
	return code
}
