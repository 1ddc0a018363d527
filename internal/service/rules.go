package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/rules"
	syncer "github.com/connectors-go/connectors/internal/sync"
)

// RulesEngine is how the service validates and applies sync rules.
type RulesEngine interface {
	// JobFilter checks a job's filtering snapshot (invalid rules fail the
	// job) and returns the basic-rule filter and the advanced rules.
	JobFilter(ctx context.Context, snapshot json.RawMessage, src connector.Source, f connector.Features) (syncer.Filter, any, error)
	// ValidateDraft validates the draft rules of a connector's filtering
	// when Kibana has edited them; it returns the validation to store, or
	// nil when the draft is not waiting for validation.
	ValidateDraft(ctx context.Context, filtering json.RawMessage, src connector.Source) (map[string]any, error)
}

type defaultRules struct{}

func validatorFor(src connector.Source) *rules.Validator {
	av, ok := src.(connector.AdvancedRulesValidator)
	if !ok {
		return rules.NewValidator()
	}
	return rules.NewValidator(func(ctx context.Context, value any) []rules.ValidationError {
		problems, err := av.ValidateAdvancedRules(ctx, value)
		if err != nil {
			problems = append(problems, "advanced rules could not be validated: "+err.Error())
		}
		var out []rules.ValidationError
		for _, p := range problems {
			out = append(out, rules.ValidationError{IDs: []string{"advanced_snippet"}, Messages: []string{p}})
		}
		return out
	})
}

func (defaultRules) JobFilter(ctx context.Context, snapshot json.RawMessage, src connector.Source, f connector.Features) (syncer.Filter, any, error) {
	var fl rules.Filtering
	if len(snapshot) > 0 && string(snapshot) != "null" {
		if err := json.Unmarshal(snapshot, &fl); err != nil {
			return nil, nil, fmt.Errorf("the job's sync rules cannot be read: %w", err)
		}
	}
	if err := validatorFor(src).Check(ctx, &fl); err != nil {
		return nil, nil, err
	}
	engine, err := rules.Compile(fl.Rules)
	if err != nil {
		return nil, nil, err
	}
	var advanced any
	if f.AdvancedRules && fl.HasAdvancedRules() {
		advanced = fl.AdvancedRules()
	}
	if engine.Len() == 0 {
		return nil, advanced, nil // only the default rule: everything passes
	}
	return engine, advanced, nil
}

func (defaultRules) ValidateDraft(ctx context.Context, filtering json.RawMessage, src connector.Source) (map[string]any, error) {
	if len(filtering) == 0 || string(filtering) == "null" {
		return nil, nil
	}
	var entries []rules.Entry
	if err := json.Unmarshal(filtering, &entries); err != nil {
		return nil, fmt.Errorf("the connector's sync rules cannot be read: %w", err)
	}
	e := rules.DefaultEntry(entries)
	if e == nil {
		return nil, nil
	}
	validated, _ := validatorFor(src).ValidateDraft(ctx, e)
	if !validated {
		return nil, nil
	}
	data, err := json.Marshal(e.Draft.Validation)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(data, &out)
	return out, err
}

// validateDraft validates and stores a connector's edited draft rules.
func (s *Service) validateDraft(ctx context.Context, c *protocol.Connector, src connector.Source, log *slog.Logger) error {
	validation, err := s.Rules.ValidateDraft(ctx, c.Filtering, src)
	if err != nil || validation == nil {
		return err
	}
	log.Info("Validated draft sync rules", "state", validation["state"])
	if err := s.Store.StoreFilteringValidation(ctx, c, validation); err != nil {
		return fmt.Errorf("cannot store the sync rules validation: %w", err)
	}
	return nil
}
