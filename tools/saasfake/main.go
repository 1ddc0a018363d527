// Command saasfake runs a SaaS fake on its own, for trying a source by hand or pointing the
// original service at it:
//
//	go run ./tools/saasfake -vendor atlassian -flavor cloud -projects 5 -spaces 3 -addr 127.0.0.1:9696
//
// It prints the URL and the credentials, validates every answer against the vendor's API
// description and logs any violation, and injects throttling with -throttle-every N.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/connectors-go/connectors/internal/saasfake"
	"github.com/connectors-go/connectors/internal/saasfake/atlassian"
)

func main() {
	vendor := flag.String("vendor", "atlassian", "the fake to run (atlassian)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flavor := flag.String("flavor", "cloud", "cloud, server or data_center")
	projects := flag.Int("projects", 5, "Jira projects")
	issues := flag.Int("issues", 20, "issues per project")
	spaces := flag.Int("spaces", 3, "Confluence spaces")
	pages := flag.Int("pages", 20, "pages (and blog posts) per space")
	attachments := flag.Int("attachments", 1, "attachments per issue and per page")
	throttle := flag.Int("throttle-every", 0, "answer every Nth request with 429 and Retry-After: 1")
	flag.Parse()
	if *vendor != "atlassian" {
		fmt.Fprintf(os.Stderr, "saasfake: no fake for vendor %q (have: atlassian)\n", *vendor)
		os.Exit(2)
	}
	f := atlassian.New(atlassian.Config{Flavor: atlassian.Flavor(*flavor), Projects: *projects, IssuesPerProject: *issues,
		AttachmentsPerIssue: *attachments, Spaces: *spaces, PagesPerSpace: *pages, AttachmentsPerPage: *attachments})
	f.Faults.Set(saasfake.FaultConfig{ThrottleEvery: *throttle, RetryAfter: 1})
	v, err := atlassian.NewValidator()
	if err != nil {
		log.Fatal(err)
	}
	v.OnViolation = func(viol saasfake.Violation) { log.Printf("VIOLATION %s", viol) }
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("URL=http://%s\nUSER=%s\nPASSWORD=%s\nTOKEN=%s\n", ln.Addr(), atlassian.User, atlassian.Password, atlassian.Token)
	log.Fatal(http.Serve(ln, v.Middleware(f)))
}
