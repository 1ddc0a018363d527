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
			asJSON, err := a.jsonOutput()
			if err != nil {
				return err
			}
			if asJSON {
				var out []map[string]any
				for _, f := range connector.Registered() {
					out = append(out, map[string]any{"service_type": f.ServiceType, "name": f.DisplayName, "features": f.Features.Object()})
				}
				return writeJSON(a, out)
			}
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
		Short: "Show a source's configuration fields (or, with -o json, the configuration written into a connector)",
		Long: `Shows a source's configuration fields: order, key, type, whether it is required, the
initial value a new connector gets (for dir, $SYSTEM_DIR or the working directory of the
process that creates the connector), the default_value the source falls back to when a
value is empty, dependencies and description. Sensitive fields never show a value.
With -o json (or --json), prints the configuration and features objects exactly as they
are written into a connector document.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeServiceTypes,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, ok := connector.Lookup(args[0])
			if !ok {
				return usagef("unknown service type %q (see `connectors source list`)", args[0])
			}
			jsonOut, err := a.jsonOutput()
			if err != nil {
				return err
			}
			if asJSON || jsonOut {
				out, err := f.SchemaJSON()
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.Stdout, string(out))
				return err
			}
			fmt.Fprintf(a.Stdout, "%s (%s)\n\n", f.DisplayName, f.ServiceType)
			t := tablewriter.NewWriter(a.Stdout)
			t.Header("Order", "Key", "Type", "Required", "Initial value", "Default value", "Depends on", "Description")
			fields := append([]connector.Field(nil), f.Fields...)
			sort.SliceStable(fields, func(i, j int) bool { return fields[i].EffectiveOrder() < fields[j].EffectiveOrder() })
			for _, fd := range fields {
				props := fd.Properties()
				initial, def := props["value"], props["default_value"]
				if fd.Sensitive {
					initial, def = "", ""
				}
				var deps []string
				for _, d := range fd.DependsOn {
					deps = append(deps, fmt.Sprintf("%s=%v", d.Field, d.Value))
				}
				desc := fd.EffectiveLabel()
				if fd.Tooltip != "" {
					desc += ": " + fd.Tooltip
				}
				if err := t.Append(fmt.Sprint(fd.EffectiveOrder()), fd.Key, string(fd.EffectiveType()), yesNo(fd.Required()), fmt.Sprint(orEmpty(initial)), dashAny(def), strings.Join(deps, ", "), desc); err != nil {
					return err
				}
			}
			return t.Render()
		},
	}
	describe.Flags().BoolVar(&asJSON, "json", false, "print the schema as JSON (same as -o json)")
	cmd.AddCommand(describe)
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dashAny(v any) string {
	if v == nil || v == "" {
		return "-"
	}
	return fmt.Sprint(v)
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
