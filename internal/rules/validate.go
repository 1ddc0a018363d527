package rules

import (
	"context"
	"fmt"
	"strings"
)

// BasicValidator checks a list of basic rules as stored (the DEFAULT rule included) and returns one
// error per problem. Sources may add their own to the defaults.
type BasicValidator func(rules []Rule) []ValidationError

// AdvancedValidator checks a source's advanced rules. It runs only when the advanced snippet's value
// is non-empty, and usually reports errors under the id "advanced_snippet". It may reach the remote
// system (to check that a table exists, say) and should honour ctx.
type AdvancedValidator func(ctx context.Context, value any) []ValidationError

// Validator validates rule sets: drafts when Kibana edits them, and a job's snapshot before a sync.
type Validator struct {
	Basic    []BasicValidator
	Advanced []AdvancedValidator
}

// NewValidator returns a validator with the default basic validators and the given advanced ones.
func NewValidator(advanced ...AdvancedValidator) *Validator {
	return &Validator{Basic: DefaultBasicValidators(), Advanced: advanced}
}

// DefaultBasicValidators returns the validators every connector applies, in the order they run:
// the rule schema, no match-all regex, regexes that compile, and no semantic duplicates.
func DefaultBasicValidators() []BasicValidator {
	return []BasicValidator{ValidateSchema, ValidateNoMatchAllRegex, ValidateRegexSyntax, ValidateNoDuplicates}
}

// Validate runs every validator and folds the errors into a result: invalid if there is any error.
func (v *Validator) Validate(ctx context.Context, f *Filtering) Validation {
	errs := []ValidationError{}
	for _, check := range v.Basic {
		errs = append(errs, check(f.Rules)...)
	}
	if f.HasAdvancedRules() {
		for _, check := range v.Advanced {
			errs = append(errs, check(ctx, f.AdvancedRules())...)
		}
	}
	if len(errs) > 0 {
		return Validation{State: StateInvalid, Errors: errs}
	}
	return Validation{State: StateValid, Errors: errs}
}

// ValidateDraft handles a draft Kibana has edited: it validates the draft, stores the result in
// the draft and, if it is valid, activates it. It does nothing (and returns false) unless the
// draft's state is "edited". The caller then writes the entry back.
func (v *Validator) ValidateDraft(ctx context.Context, e *Entry) (validated, activated bool) {
	if e.Draft.State() != StateEdited {
		return false, false
	}
	result := v.Validate(ctx, &e.Draft)
	e.Draft.Validation = &result
	return true, e.Activate()
}

// InvalidFilteringError is returned by Check for a sync job whose rules are not valid.
type InvalidFilteringError struct {
	State  ValidationState
	Errors []ValidationError
}

func (e *InvalidFilteringError) Error() string {
	var parts []string
	for _, ve := range e.Errors {
		parts = append(parts, fmt.Sprintf("(ids: %s, messages: %s)", strings.Join(ve.IDs, ", "), strings.Join(ve.Messages, " ")))
	}
	return fmt.Sprintf("Filtering in state %s, errors: [%s].", e.State, strings.Join(parts, ", "))
}

// Check validates a sync job's rule snapshot, as the Python service does before every content sync
// when a sync-rule feature is enabled, and returns an *InvalidFilteringError unless it is valid.
func (v *Validator) Check(ctx context.Context, f *Filtering) error {
	result := v.Validate(ctx, f)
	if result.State != StateValid {
		return &InvalidFilteringError{State: result.State, Errors: result.Errors}
	}
	return nil
}

// label names a rule in messages the way Kibana users know it: by position (order + 1) and id.
func label(r *Rule) string {
	return fmt.Sprintf("Basic rule %d (id: '%s')", r.Order+1, shortID(r.ID))
}

// shortID keeps the two ends of a long id (Kibana's ids are UUIDs).
func shortID(id string) string {
	runes := []rune(id)
	if len(runes) <= 13 {
		return id
	}
	return string(runes[:5]) + "..." + string(runes[len(runes)-5:])
}

func invalid(id, message string) ValidationError {
	return ValidationError{IDs: []string{id}, Messages: []string{message}}
}

var schemaKeys = []string{"id", "policy", "field", "rule", "value", "order"}

// schemaProblems lists what is wrong with a rule's keys and values, in key order.
func schemaProblems(r *Rule) []string {
	var out []string
	for _, key := range schemaKeys {
		if msg, bad := r.problems[key]; bad {
			out = append(out, msg)
			continue
		}
		switch key {
		case "id", "field", "value":
			s := map[string]string{"id": r.ID, "field": r.Field, "value": r.Value}[key]
			if s == "" {
				out = append(out, fmt.Sprintf("%q must be a non-empty string", key))
			}
		case "policy":
			if _, err := ParsePolicy(r.Policy); err != nil {
				out = append(out, fmt.Sprintf(`"policy" must be include or exclude, not %q`, r.Policy))
			}
		case "rule":
			if _, err := ParseCondition(r.Rule); err != nil {
				out = append(out, fmt.Sprintf(`"rule" must be one of equals, contains, starts_with, ends_with, regex, >, <, not %q`, r.Rule))
			}
		}
	}
	return out
}

// ValidateSchema checks that every rule has all six keys with usable values: non-empty strings for
// id, field and value, a known policy and rule, a numeric order. One error per faulty rule.
func ValidateSchema(rules []Rule) []ValidationError {
	var errs []ValidationError
	for i := range rules {
		r := &rules[i]
		if problems := schemaProblems(r); len(problems) > 0 {
			errs = append(errs, invalid(r.ID, fmt.Sprintf("%s: %s.", label(r), strings.Join(problems, "; "))))
		}
	}
	return errs
}

// matchAllRegexes are the patterns that would include every document, which only the DEFAULT rule
// may use.
var matchAllRegexes = []string{".*", "(.*)"}

// ValidateNoMatchAllRegex refuses a regex rule whose value is exactly ".*" or "(.*)", except the
// DEFAULT rule. Rules the schema check refuses are skipped here.
func ValidateNoMatchAllRegex(rules []Rule) []ValidationError {
	var errs []ValidationError
	for i := range rules {
		r := &rules[i]
		if r.IsDefault() || len(schemaProblems(r)) > 0 {
			continue
		}
		if c, _ := ParseCondition(r.Rule); c != Regex {
			continue
		}
		for _, all := range matchAllRegexes {
			if r.Value == all {
				errs = append(errs, invalid(r.ID, fmt.Sprintf(
					"%s uses a match all regexps ['.*', '(.*)'], which are not allowed.", label(r))))
				break
			}
		}
	}
	return errs
}

// ValidateRegexSyntax refuses a regex rule whose pattern does not compile. The Python service did
// not check this; its sync failed instead, on the first document that had the field.
func ValidateRegexSyntax(rules []Rule) []ValidationError {
	var errs []ValidationError
	for i := range rules {
		r := &rules[i]
		if r.IsDefault() || len(schemaProblems(r)) > 0 {
			continue
		}
		if c, _ := ParseCondition(r.Rule); c != Regex {
			continue
		}
		if _, err := compilePythonRegex(r.Value); err != nil {
			errs = append(errs, invalid(r.ID, fmt.Sprintf("%s uses an invalid regular expression: %v.", label(r), err)))
		}
	}
	return errs
}

// ValidateNoDuplicates refuses two rules with the same field, rule and value (whatever their
// policies), the DEFAULT rule included. Like the Python service it reports only the first such pair,
// with one error for each of the two rules so that Kibana marks both.
func ValidateNoDuplicates(rules []Rule) []ValidationError {
	type key struct {
		field string
		cond  Condition
		value string
	}
	seen := map[key]*Rule{}
	for i := range rules {
		r := &rules[i]
		if len(schemaProblems(r)) > 0 {
			continue
		}
		c, _ := ParseCondition(r.Rule)
		k := key{r.Field, c, r.Value}
		if first, dup := seen[k]; dup {
			return []ValidationError{
				invalid(r.ID, fmt.Sprintf("%s is semantically equal to %s.", label(r), label(first))),
				invalid(first.ID, fmt.Sprintf("%s is semantically equal to %s.", label(first), label(r))),
			}
		}
		seen[k] = r
	}
	return nil
}
