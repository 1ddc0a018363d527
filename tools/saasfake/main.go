// Command saasfake runs a SaaS fake on its own, for trying a source by hand or pointing the
// original service at it:
//
//	go run ./tools/saasfake -vendor atlassian -flavor cloud -projects 5 -spaces 3 -addr 127.0.0.1:9696
//	go run ./tools/saasfake -vendor github -projects 3 -issues 20    # HTTPS, an Enterprise Server URL
//	go run ./tools/saasfake -vendor gitlab -projects 3 -issues 20    # set GITLAB_FTEST_HOST and RUNNING_FTEST
//
// It prints the URL and the credentials, validates every answer against the vendor's API
// description and logs any violation, and injects throttling with -throttle-every N.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/connectors-go/connectors/internal/saasfake"
	"github.com/connectors-go/connectors/internal/saasfake/atlassian"
	"github.com/connectors-go/connectors/internal/saasfake/github"
	"github.com/connectors-go/connectors/internal/saasfake/gitlab"
)

func main() {
	vendor := flag.String("vendor", "atlassian", "the fake to run (atlassian, github, gitlab)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flavor := flag.String("flavor", "cloud", "cloud, server or data_center")
	projects := flag.Int("projects", 5, "Jira projects, GitHub repositories, GitLab projects")
	issues := flag.Int("issues", 20, "issues per project (and pull or merge requests, files)")
	spaces := flag.Int("spaces", 3, "Confluence spaces")
	pages := flag.Int("pages", 20, "pages (and blog posts) per space")
	attachments := flag.Int("attachments", 1, "attachments per issue and per page")
	throttle := flag.Int("throttle-every", 0, "answer every Nth request with 429 and Retry-After: 1")
	flag.Parse()
	switch *vendor {
	case "atlassian":
	case "github", "gitlab":
		runCodeHost(*vendor, *addr, *projects, *issues, *throttle)
		return
	default:
		fmt.Fprintf(os.Stderr, "saasfake: no fake for vendor %q (have: atlassian, github, gitlab)\n", *vendor)
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

// runCodeHost serves the GitHub fake (over HTTPS with a self-signed certificate, since the
// source wants an https:// Enterprise Server URL) or the GitLab fake.
func runCodeHost(vendor, addr string, projects, issues, throttle int) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	var v *saasfake.Validator
	var h http.Handler
	switch vendor {
	case "github":
		f := github.New(github.Config{Repos: projects, IssuesPerRepo: issues, PullsPerRepo: issues, FilesPerRepo: issues})
		f.Faults.Set(saasfake.FaultConfig{ThrottleEvery: throttle, ThrottleStatus: 403, EpochReset: true})
		v, err = github.NewValidator()
		h = f
		fmt.Printf("HOST=https://%s\nTOKEN=%s\nORG=demo_org\nAPP_ID=4242\nAPP_PRIVATE_KEY<<EOF\n%sEOF\n", ln.Addr(), github.Token, f.AppPrivateKeyPEM())
	default:
		f := gitlab.New(gitlab.Config{Projects: projects, IssuesPerProj: issues, MRsPerProj: issues, Releases: 3, Epics: 3})
		f.Faults.Set(saasfake.FaultConfig{ThrottleEvery: throttle, RetryAfter: 1})
		v, err = gitlab.NewValidator()
		h = f
		fmt.Printf("GITLAB_FTEST_HOST=http://%s\nRUNNING_FTEST=1\nTOKEN=%s\n", ln.Addr(), gitlab.Token)
	}
	if err != nil {
		log.Fatal(err)
	}
	v.OnViolation = func(viol saasfake.Violation) { log.Printf("VIOLATION %s", viol) }
	srv := &http.Server{Handler: v.Middleware(h)}
	if vendor == "github" {
		srv.TLSConfig = selfSigned()
		log.Fatal(srv.ServeTLS(ln, "", ""))
	}
	log.Fatal(srv.Serve(ln))
}

// selfSigned makes a throw-away certificate for 127.0.0.1 and localhost.
func selfSigned() *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "saasfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}
