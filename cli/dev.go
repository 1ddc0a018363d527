package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *App) devCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run the service on an embedded Elasticsearch-compatible server (no cluster needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("the embedded Elasticsearch (estest) is not part of this build yet: copy config.yml.example to config.yml, point elasticsearch.host at a cluster, and run `make run` again")
		},
	}
}
