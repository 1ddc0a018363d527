// Command faketoken runs a local OAuth token endpoint for a Google service account (package
// internal/faketoken) and writes that account's JSON credentials, whose token_uri points at it.
// scripts/backends/fake-gcs-server.sh starts it next to the storage emulator.
//
//	faketoken -addr 127.0.0.1:4444 -project connectors-test -credentials service-account.json
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/connectors-go/connectors/internal/faketoken"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	project := flag.String("project", "connectors-test", "project id of the service account")
	creds := flag.String("credentials", "", "file to write the service-account JSON to (required)")
	flag.Parse()
	if *creds == "" {
		log.Fatal("faketoken: -credentials is required")
	}
	srv, err := faketoken.New(*project)
	if err != nil {
		log.Fatalf("faketoken: %v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("faketoken: %v", err)
	}
	srv.TokenURL = fmt.Sprintf("http://%s/token", ln.Addr())
	data, err := srv.Credentials()
	if err != nil {
		log.Fatalf("faketoken: %v", err)
	}
	// Written after the listener is up, so whoever waits for the file can use it at once.
	tmp := *creds + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		log.Fatalf("faketoken: %v", err)
	}
	if err := os.Rename(tmp, *creds); err != nil {
		log.Fatalf("faketoken: %v", err)
	}
	log.Printf("faketoken: token endpoint %s for %s", srv.TokenURL, srv.ClientEmail)
	log.Fatal(http.Serve(ln, srv))
}
