package github

import (
	"context"
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// Advanced rules, as the original accepts them: a list of
// {"repository": "owner/name", "filter": {"issue"|"pr"|"branch"|"path": "…"}}.

var filterKeys = []string{"issue", "pr", "branch", "path"}

// rulesSchema is the original's JSON schema for the advanced rules.
var rulesSchema = func() *schemacheck.Schema {
	text := &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}
	filter := &schemacheck.Schema{Type: []string{"object"}, MinProperties: schemacheck.Int(1), NoAdditional: true}
	for _, k := range filterKeys {
		filter.Properties = append(filter.Properties, schemacheck.Property{Name: k, Schema: text})
	}
	return &schemacheck.Schema{
		Type: []string{"array"},
		Items: &schemacheck.Schema{
			Type:         []string{"object"},
			Required:     []string{"repository", "filter"},
			Properties:   []schemacheck.Property{{Name: "repository", Schema: text}, {Name: "filter", Schema: filter}},
			NoAdditional: true,
		},
	}
}()

// validateRulesShape checks the rules against rulesSchema, with fastjsonschema's message for the
// first problem (it stops at it).
func validateRulesShape(rules any) []string {
	if msg := rulesSchema.Validate(rules); msg != "" {
		return []string{msg}
	}
	return nil
}

type rule struct {
	repo                    string
	issue, pr, branch, path string
}

func parseRules(rules any) []rule {
	var out []rule
	l, _ := rules.([]any)
	for _, item := range l {
		r := rule{repo: str(item, "repository")}
		r.issue, r.pr = str(item, "filter", "issue"), str(item, "filter", "pr")
		r.branch, r.path = str(item, "filter", "branch"), str(item, "filter", "path")
		out = append(out, r)
	}
	return out
}

// ValidateAdvancedRules checks the rules' shape and that their repositories can be read.
func (s *Source) ValidateAdvancedRules(ctx context.Context, rules any) ([]string, error) {
	if l, ok := rules.([]any); ok && len(l) == 0 {
		return nil, nil
	}
	if problems := validateRulesShape(rules); len(problems) > 0 {
		return problems, nil
	}
	seen := map[string]bool{}
	var repos []string
	for _, r := range parseRules(rules) {
		if !seen[r.repo] {
			seen[r.repo] = true
			repos = append(repos, r.repo)
		}
	}
	bad, err := s.invalidRepos(ctx, repos)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return []string{fmt.Sprintf("Inaccessible repositories '%s'.", strings.Join(bad, ", "))}, nil
	}
	return nil, nil
}

// searchQueryFor adds the repository and the kind to a rule's search, as the original does; a
// pr rule that asks for issues (or the reverse) is skipped.
func searchQueryFor(repo, q string, pull bool) (string, bool) {
	want, other := "is:issue", "is:pr"
	if pull {
		want, other = "is:pr", "is:issue"
	}
	if strings.Contains(q, other) {
		return q, false
	}
	if strings.Contains(q, want) {
		return "repo:" + repo + " " + q, true
	}
	return "repo:" + repo + " " + want + " " + q, true
}

// ruleDocs emits, for each rule, its repository and what its filter selects. Documents are not
// deduplicated across rules (the original does not either).
func (s *Source) ruleDocs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	noACL := func(d connector.Document) connector.Document { return d }
	for _, r := range parseRules(req.AdvancedRules) {
		node, err := s.configuredRepo(ctx, r.repo)
		if err != nil {
			if isStop(ctx, err) {
				return err
			}
			var nf *notFound
			if asNotFound(err, &nf) {
				//lint:ignore ST1005 the original's message, which users know
				return fmt.Errorf("advanced sync rules: Inaccessible repositories '%s'.", nf.name)
			}
			req.ReportIncomplete("GitHub repository "+r.repo, err)
			continue
		}
		doc := repoDoc(node)
		if err := emit(doc); err != nil {
			return connector.DocError(doc.ID, err)
		}
		name := str(node, "nameWithOwner")
		for _, x := range []struct {
			q    string
			pull bool
		}{{r.pr, true}, {r.issue, false}} {
			if x.q == "" {
				continue
			}
			q, ok := searchQueryFor(name, x.q, x.pull)
			if !ok {
				s.log.Warn("skipping a rule's search that asks for the other kind", "query", x.q)
				continue
			}
			if err := s.threads(ctx, req, name, searchQuery(x.pull), map[string]any{"filter_query": q}, []string{"search"}, x.pull, noACL, emit); err != nil {
				return err
			}
		}
		if r.branch != "" {
			if err := s.treeFiles(ctx, req, name, r.branch, noACL, emit); err != nil {
				return err
			}
		}
		if r.path != "" {
			if err := s.pathFiles(ctx, req, name, r.path, emit); err != nil {
				return err
			}
		}
	}
	return nil
}
