// Command faultproxy puts an unreliable network in front of an Elasticsearch
// cluster: a reverse proxy that answers a share of requests 429 or 503, drops
// connections, and cuts or garbles answers after the cluster applied the
// request. Point the service's elasticsearch.host at the address it prints.
//
//	go run ./tools/faultproxy -target http://localhost:9200 -storm -seed 7
//
// The decisions come from -seed, so a storm can be replayed. On SIGINT or
// SIGTERM it prints what it did and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/internal/faultproxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		listen = flag.String("listen", "127.0.0.1:0", "address to listen on")
		target = flag.String("target", "http://127.0.0.1:9200", "the cluster's URL")
		seed   = flag.Uint64("seed", 1, "seed of the fault decisions")
		storm  = flag.Bool("storm", false, "start from the measured storm: -bulk-429 0.3 -unavailable 0.1 -cut 0.05 (other flags override)")
		mix    faultproxy.Mix
	)
	flag.Float64Var(&mix.Drop, "drop", 0, "share of requests whose connection is closed before forwarding")
	flag.Float64Var(&mix.Unavailable, "unavailable", 0, "share of requests answered 503 without forwarding")
	flag.Float64Var(&mix.Bulk429, "bulk-429", 0, "share of _bulk requests answered 429 without forwarding")
	flag.Float64Var(&mix.Cut, "cut", 0, "share of forwarded requests whose answer is cut half-way")
	flag.Float64Var(&mix.Garble, "garble", 0, "share of forwarded requests whose answer body is truncated but framed as complete")
	flag.DurationVar(&mix.RetryAfter, "retry-after", 0, "Retry-After sent with 429 and 503 answers (0: none)")
	flag.StringVar(&mix.Only, "only", "", "inject faults only into requests whose path contains this")
	flag.Int64Var(&mix.MaxFaults, "max-faults", 0, "stop injecting after this many faults (0: never)")
	flag.Parse()
	if *storm {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["bulk-429"] {
			mix.Bulk429 = faultproxy.Storm.Bulk429
		}
		if !set["unavailable"] {
			mix.Unavailable = faultproxy.Storm.Unavailable
		}
		if !set["cut"] {
			mix.Cut = faultproxy.Storm.Cut
		}
	}
	p, err := faultproxy.New(*target, mix, *seed)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	fmt.Printf("FAULTPROXY_URL=http://%s\n", ln.Addr())
	fmt.Fprintf(os.Stderr, "faultproxy: forwarding to %s with drop=%v unavailable=%v bulk-429=%v cut=%v garble=%v seed=%d\n",
		*target, mix.Drop, mix.Unavailable, mix.Bulk429, mix.Cut, mix.Garble, *seed)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(os.Stderr, "faultproxy:", p.Stats())
	return nil
}
