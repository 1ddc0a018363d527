// Command estest runs the estest Elasticsearch-compatible test server as a standalone process.
//
//	estest -addr 127.0.0.1:9200 -version 9.6.0 -user elastic -password changeme
//
// It logs its URL on start and stops on SIGINT or SIGTERM. Faults can be injected over HTTP at
// /_estest/faults (see docs/estest.md).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/connectors-go/connectors/estest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9200", "listen address (host:port; port 0 picks a free one)")
	version := flag.String("version", "9.6.0", "Elasticsearch version to report and emulate")
	flavor := flag.String("flavor", "default", `build flavor: "default" or "serverless"`)
	license := flag.String("license", "trial", "licence type: basic, gold, platinum, enterprise or trial")
	expired := flag.Bool("license-expired", false, "report the licence as expired")
	user := flag.String("user", "", "user name for basic auth (turns authentication on)")
	password := flag.String("password", "", "password of -user")
	apiKey := flag.String("api-key", "", `accepted API key, "id:key" or its base64 form (turns authentication on)`)
	origin := flag.Bool("require-product-origin", false, "require X-elastic-product-origin on direct .elastic-connectors* access")
	noEntSearch := flag.Bool("no-ent-search", false, "serve a cluster without the ent-search module: no _connector API, no connector index templates, no default pipeline")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()

	switch *flavor {
	case "default", "serverless":
	default:
		fmt.Fprintf(os.Stderr, "estest: -flavor must be default or serverless, not %q\n", *flavor)
		os.Exit(2)
	}
	switch strings.ToLower(*license) {
	case "basic", "gold", "platinum", "enterprise", "trial":
	default:
		fmt.Fprintf(os.Stderr, "estest: -license must be basic, gold, platinum, enterprise or trial, not %q\n", *license)
		os.Exit(2)
	}
	if (*user == "") != (*password == "") {
		fmt.Fprintln(os.Stderr, "estest: -user and -password go together")
		os.Exit(2)
	}
	opts := estest.Options{Version: *version, BuildFlavor: *flavor, License: strings.ToLower(*license),
		LicenseExpired: *expired, RequireProductOrigin: *origin, NoEntSearch: *noEntSearch}
	if *user != "" {
		opts.Users = map[string]string{*user: *password}
	}
	if *apiKey != "" {
		opts.APIKeys = []string{*apiKey}
	}
	if *verbose {
		opts.Logf = log.Printf
	}
	srv := estest.New(opts)
	if err := srv.StartAddr(*addr); err != nil {
		log.Fatal(err)
	}
	log.Printf("estest %s (%s) listening on %s", *version, *flavor, srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	log.Printf("estest: %s received, stopping", s)
	srv.Close()
}
