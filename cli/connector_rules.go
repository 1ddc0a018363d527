package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/rules"
)

type rulesOptions struct {
	rules    []string
	fromFile string
	advanced string
	clear    bool
}

func (a *App) connectorRulesCommand() *cobra.Command {
	var o rulesOptions
	cmd := &cobra.Command{
		Use:   "rules CONNECTOR_ID",
		Short: "Show or set a connector's sync rules (basic and advanced), validated before they apply",
		Long: `Without flags, shows the connector's active sync rules, its draft and the draft's
validation. With flags, sets new rules:

  --rule "POLICY FIELD RULE VALUE"   a basic rule (repeatable, applied in the order given):
                                     POLICY is include or exclude; RULE is equals, contains,
                                     starts_with, ends_with, regex, > or <; VALUE is the rest
                                     of the text, e.g. --rule "exclude path ends_with .tmp"
  --from-file FILE                   basic rules as a JSON array of
                                     {"policy", "field", "rule", "value"} objects
  --advanced JSON|@FILE              the source's advanced rules (a JSON object or array)
  --clear                            only the default rule, no advanced rules

The default rule (include everything) always comes last. Rules not given keep the
draft's: --rule alone keeps the advanced rules, --advanced alone keeps the basic rules.
The new rules are validated as the service validates Kibana's drafts (rule schema, no
match-all regex, regexes that compile, no duplicates, and the source's own check of
advanced rules): when they are valid they are saved and activated, and the next sync
uses them; when not, every problem is printed with the rule it concerns, nothing is
written and the exit status is 1.

` + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.connectorRules(cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.rules, "rule", nil, `basic rule "POLICY FIELD RULE VALUE" (repeatable)`)
	f.StringVar(&o.fromFile, "from-file", "", "JSON file with the basic rules")
	f.StringVar(&o.advanced, "advanced", "", "advanced rules as JSON, or @FILE")
	f.BoolVar(&o.clear, "clear", false, "remove every rule but the default one, and the advanced rules")
	return cmd
}

// parseRule reads "POLICY FIELD RULE VALUE".
func parseRule(s string) (rules.Rule, error) {
	parts := strings.Fields(s)
	if len(parts) < 4 {
		return rules.Rule{}, fmt.Errorf("--rule %q: write POLICY FIELD RULE VALUE, e.g. \"exclude path ends_with .tmp\"", s)
	}
	// The value is the rest of the text after the third word, as typed.
	rest := s
	for i := 0; i < 3; i++ {
		rest = strings.TrimLeft(rest, " \t")
		rest = rest[len(parts[i]):]
	}
	return rules.Rule{Policy: strings.ToLower(parts[0]), Field: parts[1], Rule: strings.ToLower(parts[2]), Value: strings.TrimSpace(rest)}, nil
}

func (a *App) connectorRules(cmd *cobra.Command, id string, o rulesOptions) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	setBasic := len(o.rules) > 0 || o.fromFile != "" || o.clear
	setAdvanced := o.advanced != "" || o.clear
	if o.clear && (len(o.rules) > 0 || o.fromFile != "" || o.advanced != "") {
		return usagef("--clear cannot be combined with --rule, --from-file or --advanced")
	}
	var basic []rules.Rule
	for _, r := range o.rules {
		rule, err := parseRule(r)
		if err != nil {
			return usagef("%v", err)
		}
		basic = append(basic, rule)
	}
	if o.fromFile != "" {
		raw, err := os.ReadFile(o.fromFile)
		if err != nil {
			return fmt.Errorf("--from-file: %w", err)
		}
		// Ids and order are optional in the file: they are given here.
		var fileRules []struct {
			ID     string `json:"id"`
			Policy string `json:"policy"`
			Field  string `json:"field"`
			Rule   string `json:"rule"`
			Value  any    `json:"value"`
		}
		if err := json.Unmarshal(raw, &fileRules); err != nil {
			return fmt.Errorf("--from-file: %s is not a JSON array of {policy, field, rule, value} rules: %v", o.fromFile, err)
		}
		for _, r := range fileRules {
			if r.ID == rules.DefaultRuleID {
				continue // it is added last anyway
			}
			value := ""
			if r.Value != nil {
				value = fmt.Sprint(r.Value)
			}
			basic = append(basic, rules.Rule{ID: r.ID, Policy: r.Policy, Field: r.Field, Rule: r.Rule, Value: value})
		}
	}
	var advanced any
	if o.advanced != "" {
		text := o.advanced
		if strings.HasPrefix(text, "@") {
			raw, err := os.ReadFile(text[1:])
			if err != nil {
				return fmt.Errorf("--advanced: %w", err)
			}
			text = string(raw)
		}
		if err := json.Unmarshal([]byte(text), &advanced); err != nil {
			return usagef("--advanced: not JSON: %v", err)
		}
		switch advanced.(type) {
		case map[string]any, []any:
		default:
			return usagef("--advanced: advanced rules are a JSON object or array")
		}
	}

	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	store, c, err := env.connector(ctx, id)
	if err != nil {
		return err
	}
	entries, entry, err := filteringOf(c)
	if err != nil {
		return err
	}
	if !setBasic && !setAdvanced {
		return a.printRules(entry, asJSON)
	}

	features := featuresOf(c)
	if setBasic && !o.clear && !features.BasicRules && !features.AdvancedRules {
		return fmt.Errorf("connector %s (%s) has sync rules off: its source does not support them", id, dash(c.Type()))
	}
	if o.advanced != "" && !features.AdvancedRules {
		return fmt.Errorf("connector %s (%s) does not support advanced sync rules", id, dash(c.Type()))
	}
	draft := entry.Draft.Clone()
	now := protocol.Now()
	if setBasic {
		draft.Rules = nil
		for i, r := range basic {
			if r.ID == "" {
				r.ID = newID()[:8]
			}
			r.Order = i
			r.CreatedAt, r.UpdatedAt = now, now
			draft.Rules = append(draft.Rules, r)
		}
		def := rules.DefaultRule()
		def.Order = len(draft.Rules)
		def.CreatedAt, def.UpdatedAt = now, now
		draft.Rules = append(draft.Rules, def)
	}
	if setAdvanced {
		if advanced == nil {
			advanced = map[string]any{}
		}
		draft.AdvancedSnippet = rules.AdvancedSnippet{Value: advanced, CreatedAt: now, UpdatedAt: now}
	}

	validator, closeSource, note := a.rulesValidator(ctx, c)
	result := validator.Validate(ctx, &draft)
	closeSource()
	if result.State != rules.StateValid {
		if asJSON {
			_ = writeJSON(a, map[string]any{"connector_id": id, "validation": result, "saved": false})
		}
		fmt.Fprintf(a.Stderr, "The sync rules are not valid; nothing was saved:\n")
		for _, e := range result.Errors {
			fmt.Fprintf(a.Stderr, "  %s: %s\n", strings.Join(e.IDs, ", "), strings.Join(e.Messages, " "))
		}
		return &exitError{code: ExitError}
	}
	draft.Validation = &rules.Validation{State: rules.StateEdited, Errors: []rules.ValidationError{}}
	if err := env.writeDraft(ctx, store, c, entries, draft); err != nil {
		return err
	}
	// Store the validation (valid) the way the service does, which also
	// activates the draft.
	fresh, err := getConnector(ctx, store, id)
	if err != nil {
		return err
	}
	validation := map[string]any{"state": string(rules.StateValid), "errors": []any{}}
	if err := store.StoreFilteringValidation(ctx, fresh, validation); err != nil {
		return fmt.Errorf("the rules of connector %s were saved as a draft but not activated: %w", id, err)
	}
	if note != "" {
		fmt.Fprintln(a.Stderr, note)
	}
	fresh, err = getConnector(ctx, store, id)
	if err != nil {
		return err
	}
	_, entry, err = filteringOf(fresh)
	if err != nil {
		return err
	}
	if !asJSON {
		fmt.Fprintf(a.Stdout, "The sync rules of connector %s are valid and active; the next sync uses them.\n", id)
	}
	return a.printRules(entry, asJSON)
}

// filteringOf reads a connector's filtering and its DEFAULT entry, making
// one (with only the default rule) when the document has none.
func filteringOf(c *protocol.Connector) ([]rules.Entry, *rules.Entry, error) {
	var entries []rules.Entry
	if len(c.Filtering) > 0 && string(c.Filtering) != "null" {
		if err := json.Unmarshal(c.Filtering, &entries); err != nil {
			return nil, nil, fmt.Errorf("connector %s has sync rules that cannot be read: %w", c.ID, err)
		}
	}
	if e := rules.DefaultEntry(entries); e != nil {
		return entries, e, nil
	}
	entries = append(entries, rules.Entry{Domain: rules.DefaultDomain, Active: rules.NewFiltering(), Draft: rules.NewFiltering()})
	return entries, &entries[len(entries)-1], nil
}

// writeDraft saves a draft: PUT _connector/ID/_filtering with the API, else
// the filtering array with the DEFAULT entry's draft replaced.
func (e *operatorEnv) writeDraft(ctx context.Context, store *protocol.Store, c *protocol.Connector, entries []rules.Entry, draft rules.Filtering) error {
	if store.Mode() == protocol.ModeAPI {
		return e.writeConnector(ctx, store, c.ID, "filtering", map[string]any{"rules": draft.Rules, "advanced_snippet": draft.AdvancedSnippet})
	}
	for i := range entries {
		if entries[i].Domain == rules.DefaultDomain {
			entries[i].Draft = draft
		}
	}
	if err := store.UpdateConnector(ctx, c, map[string]any{"filtering": entries}); err != nil {
		if errors.Is(err, protocol.ErrConflict) {
			return fmt.Errorf("connector %s changed while its rules were being saved: run the command again", c.ID)
		}
		return fmt.Errorf("cannot save the sync rules of connector %s: %w", c.ID, err)
	}
	return nil
}

// rulesValidator is the service's validator, with the source's check of
// advanced rules when the source can be built from the connector's
// configuration; otherwise the note says the service will check them.
func (a *App) rulesValidator(ctx context.Context, c *protocol.Connector) (*rules.Validator, func(), string) {
	none := func() {}
	f, ok := connector.Lookup(c.Type())
	if !ok {
		return rules.NewValidator(), none, fmt.Sprintf("Note: service type %q is not compiled into this binary; only the basic rules were checked here.", c.Type())
	}
	cfg, err := f.NewConfig(c.Configuration)
	if err != nil {
		return rules.NewValidator(), none, "Note: the connector is not configured yet, so its source could not check the advanced rules; the service will."
	}
	src, err := f.New(cfg, connector.Env{Logger: slog.New(slog.DiscardHandler), Features: connector.ParseFeatures(c.Features)})
	if err != nil {
		return rules.NewValidator(), none, "Note: the source could not be set up to check the advanced rules (" + err.Error() + "); the service will."
	}
	closeSource := func() { _ = src.Close() }
	av, ok := src.(connector.AdvancedRulesValidator)
	if !ok {
		return rules.NewValidator(), closeSource, ""
	}
	return rules.NewValidator(func(ctx context.Context, value any) []rules.ValidationError {
		problems, err := av.ValidateAdvancedRules(ctx, value)
		if err != nil {
			problems = append(problems, "advanced rules could not be validated: "+err.Error())
		}
		var out []rules.ValidationError
		for _, p := range problems {
			out = append(out, rules.ValidationError{IDs: []string{rules.AdvancedSnippetID}, Messages: []string{p}})
		}
		return out
	}), closeSource, ""
}

func (a *App) printRules(e *rules.Entry, asJSON bool) error {
	if asJSON {
		return writeJSON(a, map[string]any{"active": e.Active, "draft": e.Draft})
	}
	if err := a.printRuleSet("Active rules", &e.Active); err != nil {
		return err
	}
	if sameRules(e.Active, e.Draft) && e.Draft.State() == rules.StateValid {
		fmt.Fprintln(a.Stdout, "Draft: the same as the active rules.")
		return nil
	}
	return a.printRuleSet("Draft rules", &e.Draft)
}

func (a *App) printRuleSet(title string, f *rules.Filtering) error {
	fmt.Fprintf(a.Stdout, "%s (%s):\n", title, f.State())
	t := newTable(a.Stdout)
	t.Header("Order", "Policy", "Field", "Rule", "Value", "Id")
	for _, r := range f.Rules {
		id := r.ID
		if r.IsDefault() {
			id += " (default)"
		}
		if err := t.Append(strconv.Itoa(r.Order+1), r.Policy, r.Field, r.Rule, r.Value, id); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if f.HasAdvancedRules() {
		adv, _ := json.Marshal(f.AdvancedRules())
		fmt.Fprintf(a.Stdout, "Advanced rules: %s\n", adv)
	} else {
		fmt.Fprintln(a.Stdout, "Advanced rules: none")
	}
	if f.Validation != nil {
		for _, e := range f.Validation.Errors {
			fmt.Fprintf(a.Stdout, "  problem with %s: %s\n", strings.Join(e.IDs, ", "), strings.Join(e.Messages, " "))
		}
	}
	return nil
}

// featuresOf returns a connector's stored features, or its source's when
// no service has written them yet (a connector just created in Kibana).
func featuresOf(c *protocol.Connector) connector.Features {
	if len(c.Features) == 0 {
		if f, ok := connector.Lookup(c.Type()); ok {
			return f.Features
		}
	}
	return connector.ParseFeatures(c.Features)
}
