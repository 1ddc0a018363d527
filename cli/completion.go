package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/protocol"
)

// Shell completion: cobra's `connectors completion bash|zsh|fish|powershell`
// prints the scripts; these functions complete values of arguments and flags.

func completeJobTypes(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{string(protocol.JobFull), string(protocol.JobIncremental), string(protocol.JobAccessControl)}, cobra.ShellCompDirectiveNoFileComp
}

func completeServiceTypes(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, f := range connector.Registered() {
		out = append(out, f.ServiceType+"\t"+f.DisplayName)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeConnectorIDs asks the cluster for connector ids, with their names
// as descriptions. Completion must never fail loudly, so any error gives no
// suggestions.
func (a *App) completeConnectorIDs(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Flags().Lookup("connector-id") == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	// Completion runs with the user's terminal: keep logs off it.
	saved := a.logLevel
	a.logLevel = "CRITICAL"
	defer func() { a.logLevel = saved }()
	env, err := a.operator(cmd)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	store, err := env.Store(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	conns, err := store.AllConnectors(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, c := range conns {
		if !c.Deleted && strings.HasPrefix(c.ID, prefix) {
			out = append(out, c.ID+"\t"+c.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
