// Command testbin is the connectors binary plus a "slow" source, for the
// end-to-end tests: it behaves exactly like bin/connectors, and the extra
// source lets tests hold a job running for as long as they need.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/connectors-go/connectors/cli"
	"github.com/connectors-go/connectors/connector"
	_ "github.com/connectors-go/connectors/sources/all"
)

type slow struct {
	docs  int
	delay time.Duration
}

func (s *slow) Ping(context.Context) error { return nil }
func (s *slow) Close() error               { return nil }
func (s *slow) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < s.docs; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.delay):
		}
		if err := emit(connector.Document{ID: fmt.Sprintf("slow-%d", i), Fields: map[string]any{"i": i}}); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	connector.Register(connector.Factory{
		ServiceType: "slow",
		DisplayName: "Slow test source",
		Features:    connector.Features{BasicRules: true},
		Fields: []connector.Field{
			{Key: "docs", Label: "Documents", Type: connector.TypeInt, Display: connector.DisplayNumeric, Value: 10, Order: 1},
			{Key: "delay_ms", Label: "Delay per document (ms)", Type: connector.TypeInt, Display: connector.DisplayNumeric, Value: 100, Order: 2},
		},
		New: func(cfg *connector.Config, env connector.Env) (connector.Source, error) {
			return &slow{docs: cfg.Int("docs"), delay: time.Duration(cfg.Int("delay_ms")) * time.Millisecond}, nil
		},
	})
}

func main() { os.Exit(cli.Main(os.Args)) }
