package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// CommandReference renders the command tree as Markdown: every command with
// its usage, description and flags. docs/cli.md holds it between markers,
// and a test fails when it differs from the tree (make docs rewrites it).
func CommandReference() string {
	a := &App{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	root := a.rootCommand()
	root.InitDefaultCompletionCmd()
	var b strings.Builder
	b.WriteString("### Global flags\n\nEvery command accepts these.\n\n")
	writeFlags(&b, root.PersistentFlags())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			writeCommand(&b, sub)
			walk(sub)
		}
	}
	walk(root)
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func writeCommand(b *strings.Builder, c *cobra.Command) {
	fmt.Fprintf(b, "### `%s`\n\n%s.\n\n", c.CommandPath(), strings.TrimSuffix(c.Short, "."))
	if c.Runnable() {
		fmt.Fprintf(b, "```\n%s\n```\n\n", c.UseLine())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(b, "Also: `%s`.\n\n", strings.Join(c.Aliases, "`, `"))
	}
	if long := strings.TrimSpace(c.Long); long != "" && long != strings.TrimSpace(c.Short) {
		fmt.Fprintf(b, "```text\n%s\n```\n\n", long)
	}
	if c.HasAvailableLocalFlags() {
		writeFlags(b, c.LocalNonPersistentFlags())
	}
}

func writeFlags(b *strings.Builder, fs *pflag.FlagSet) {
	var rows []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "`--" + f.Name + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		def := ""
		switch {
		case f.Value.Type() == "bool" && f.DefValue == "false":
		case f.DefValue == "" || f.DefValue == "[]" || f.DefValue == "0s" && f.Value.Type() == "duration" && strings.Contains(f.Usage, "0 waits"):
		default:
			def = "`" + f.DefValue + "`"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s |", name, def, strings.ReplaceAll(f.Usage, "|", "\\|")))
	})
	if len(rows) == 0 {
		return
	}
	b.WriteString("| Flag | Default | Meaning |\n|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n"))
	b.WriteString("\n\n")
}
