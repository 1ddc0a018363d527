// Command ftest is `make ftest`: a functional test of one source (or all of them) through the
// service binary, against the source's real backend and an Elasticsearch, with one summary line
// per run (see docs/testing.md).
//
//	ftest -name dir -size medium            # NAME=dir DATA_SIZE=medium
//	ftest -name all -size small             # every fixture, one Elasticsearch
//	FTEST_ES=estest ftest -name dir         # estest instead of a real node
//
// It exits 0 when every run passed, 1 when one failed, 2 on a usage error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/internal/ftest"
	_ "github.com/connectors-go/connectors/internal/ftest/fixtures"
)

func main() {
	os.Exit(run())
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run() int {
	name := flag.String("name", env("NAME", ""), `source to test (its service type), or "all" (env NAME)`)
	size := flag.String("size", env("DATA_SIZE", "medium"), "data size: small, medium, large or xlarge (env DATA_SIZE)")
	esChoice := flag.String("es", env("FTEST_ES", ftest.ESAuto), "Elasticsearch: auto (a real node when scripts/es-up.sh can start one, else estest), real or estest; ES_URL uses a running one (env FTEST_ES)")
	svc := flag.String("service", "bin/connectors", "the service binary under test")
	estestBin := flag.String("estest", "bin/estest", "the estest binary")
	work := flag.String("workdir", "tmp/ftest", "folder for each run's data, config and service log")
	induce := flag.String("induce-failure", env("FTEST_INDUCE_FAILURE", ""), `"count": expect one document too many, so the run must fail (env FTEST_INDUCE_FAILURE)`)
	maxRSS := flag.Float64("max-rss-mb", envFloat("FTEST_MAX_RSS_MB"), "peak RSS limit of the service per sync in MiB, 0 for the default (env FTEST_MAX_RSS_MB)")
	maxSec := flag.Float64("max-seconds", envFloat("FTEST_MAX_SECONDS"), "duration limit per sync, 0 for the default (env FTEST_MAX_SECONDS)")
	keep := flag.Bool("keep", false, "keep the data, config and service log of each run")
	jsonOut := flag.String("json", env("FTEST_JSON", ""), "append each run's result as a JSON line to this file (env FTEST_JSON)")
	flag.Parse()

	if *name == "" {
		fmt.Fprintf(os.Stderr, "ftest: NAME is required: make ftest NAME=<source> (sources with a fixture: %s)\n", strings.Join(ftest.Names(), ", "))
		return 2
	}
	sz, err := ftest.ParseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ftest:", err)
		return 2
	}
	switch *induce {
	case "", "count":
	default:
		fmt.Fprintf(os.Stderr, "ftest: -induce-failure %q: the only induced failure is \"count\"\n", *induce)
		return 2
	}
	opts := ftest.Options{Size: sz, ES: *esChoice, ServiceBinary: *svc, EstestBinary: *estestBin, WorkDir: *work,
		InduceFailure: *induce, Keep: *keep, Out: os.Stdout}
	if *maxRSS > 0 || *maxSec > 0 {
		l := ftest.DefaultLimits(sz)
		if *maxRSS > 0 {
			l.MaxRSSBytes = int64(*maxRSS * (1 << 20))
		}
		if *maxSec > 0 {
			l.MaxDuration = time.Duration(*maxSec * float64(time.Second))
		}
		opts.Limits = &l
	}
	names := []string{*name}
	if *name == "all" {
		names = ftest.Names()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	results, err := ftest.RunNamed(ctx, names, opts)
	if *jsonOut != "" {
		if werr := appendJSON(*jsonOut, results); werr != nil {
			fmt.Fprintln(os.Stderr, "ftest:", werr)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ftest:", err)
		return 1
	}
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "ftest: %d of %d runs failed\n", failed, len(results))
		return 1
	}
	return 0
}

func envFloat(key string) float64 {
	v, _ := strconv.ParseFloat(os.Getenv(key), 64)
	return v
}

func appendJSON(path string, results []*ftest.Result) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
