package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/connector"
)

func (a *App) sourceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "source",
		Aliases: []string{"sources"},
		Short:   "List the data sources compiled into this binary and describe their configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the compiled-in sources",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t := tablewriter.NewWriter(a.Stdout)
			t.Header("Service type", "Name", "Sync rules", "DLS", "Incremental")
			for _, f := range connector.Registered() {
				rules := "basic"
				if f.Features.AdvancedRules {
					rules += "+advanced"
				}
				if !f.Features.BasicRules && !f.Features.AdvancedRules {
					rules = "-"
				}
				if err := t.Append(f.ServiceType, f.DisplayName, rules, yesNo(f.Features.DocumentLevelSecurity), yesNo(f.Features.IncrementalSync)); err != nil {
					return err
				}
			}
			return t.Render()
		},
	})
	var asJSON bool
	describe := &cobra.Command{
		Use:   "describe SERVICE_TYPE",
		Short: "Show a source's configuration fields (or, with --json, the configuration written into a connector)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, ok := connector.Lookup(args[0])
			if !ok {
				return usagef("unknown service type %q (see `connectors source list`)", args[0])
			}
			if asJSON {
				out, err := f.SchemaJSON()
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.Stdout, string(out))
				return err
			}
			fmt.Fprintf(a.Stdout, "%s (%s)\n\n", f.DisplayName, f.ServiceType)
			t := tablewriter.NewWriter(a.Stdout)
			t.Header("Order", "Key", "Type", "Required", "Default", "Depends on", "Description")
			fields := append([]connector.Field(nil), f.Fields...)
			sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
			for _, fd := range fields {
				props := fd.Properties()
				def := props["value"]
				if fd.Sensitive {
					def = ""
				}
				var deps []string
				for _, d := range fd.DependsOn {
					deps = append(deps, fmt.Sprintf("%s=%v", d.Field, d.Value))
				}
				desc := fd.EffectiveLabel()
				if fd.Tooltip != "" {
					desc += ": " + fd.Tooltip
				}
				if err := t.Append(fmt.Sprint(fd.EffectiveOrder()), fd.Key, string(fd.EffectiveType()), yesNo(fd.Required()), fmt.Sprint(orEmpty(def)), strings.Join(deps, ", "), desc); err != nil {
					return err
				}
			}
			return t.Render()
		},
	}
	describe.Flags().BoolVar(&asJSON, "json", false, "print the schema as JSON")
	cmd.AddCommand(describe)
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// listSources is elastic-ingest --action list.
func (a *App) listSources() error {
	fmt.Fprintln(a.Stdout, "Registered connectors:")
	for _, f := range connector.Registered() {
		fmt.Fprintf(a.Stdout, "- %s\n", f.DisplayName)
	}
	fmt.Fprintln(a.Stdout, "Bye")
	return nil
}

// printDefaultConfiguration is elastic-ingest --action config --service-type T.
func (a *App) printDefaultConfiguration(serviceType string) error {
	f, ok := connector.Lookup(serviceType)
	if !ok {
		return usagef("Could not find a connector for service type %s", serviceType)
	}
	fmt.Fprintf(a.Stdout, "Getting default configuration for service type %s\n", serviceType)
	out, err := json.MarshalIndent(f.DefaultConfiguration(), "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, string(out))
	fmt.Fprintln(a.Stdout, "Bye")
	return nil
}
