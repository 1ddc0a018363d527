package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/connectors-go/connectors/connector"
)

// Advanced rules, as the original accepts them: a list of
// {"repository": "owner/name", "filter": {"issue"|"pr"|"branch"|"path": "…"}}.

var filterKeys = []string{"issue", "pr", "branch", "path"}

// validateRulesShape checks the rules as the original's JSON schema does, with fastjsonschema's
// messages (the first problem only, as fastjsonschema stops at it).
func validateRulesShape(rules any) []string {
	l, ok := rules.([]any)
	if !ok {
		return []string{"data must be array"}
	}
	nonEmpty := func(path string, v any) string {
		s, ok := v.(string)
		if !ok {
			return path + " must be string"
		}
		if len([]rune(s)) < 1 {
			return path + " must be longer than or equal to 1 characters"
		}
		return ""
	}
	extra := func(path string, obj map[string]any, allowed []string) string {
		var x []string
		for k := range obj {
			if !contains(allowed, k) {
				x = append(x, "'"+k+"'")
			}
		}
		if len(x) == 0 {
			return ""
		}
		sort.Strings(x)
		return path + " must not contain {" + strings.Join(x, ", ") + "} properties"
	}
	for i, item := range l {
		path := fmt.Sprintf("data[%d]", i)
		obj, ok := item.(map[string]any)
		if !ok {
			return []string{path + " must be object"}
		}
		_, hasRepo := obj["repository"]
		_, hasFilter := obj["filter"]
		if !hasRepo || !hasFilter {
			return []string{path + " must contain ['repository', 'filter'] properties"}
		}
		if p := nonEmpty(path+".repository", obj["repository"]); p != "" {
			return []string{p}
		}
		filter, ok := obj["filter"].(map[string]any)
		if !ok {
			return []string{path + ".filter must be object"}
		}
		if len(filter) < 1 {
			return []string{path + ".filter must contain at least 1 properties"}
		}
		for _, k := range filterKeys {
			if v, has := filter[k]; has {
				if p := nonEmpty(path+".filter."+k, v); p != "" {
					return []string{p}
				}
			}
		}
		if p := extra(path+".filter", filter, filterKeys); p != "" {
			return []string{p}
		}
		if p := extra(path, obj, []string{"repository", "filter"}); p != "" {
			return []string{p}
		}
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
