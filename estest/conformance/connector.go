package conformance

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var instantRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,9}Z$`)

// testConnectorAPI covers the 34 _connector endpoints (connector-api.md) with success and error
// cases. Connector ids and index names carry the run prefix; everything is hard-deleted at the end.
func testConnectorAPI(t *testing.T, c *client) {
	cid := c.name("conn")
	idx := c.name("idx")
	var created []string
	defer func() {
		for _, id := range created {
			c.do("DELETE", "/_connector/"+id+"?hard=true&delete_sync_jobs=true", nil)
		}
	}()
	track := func(id string) { created = append(created, id) }

	t.Run("create and get", func(t *testing.T) {
		r := c.do("PUT", "/_connector/"+cid, map[string]any{"index_name": idx, "name": "My connector", "service_type": "gitlab", "language": "en"})
		c.status(r, 201, "put new connector")
		track(cid)
		c.eq(str(r.Body, "result"), "created", "result")
		c.eq(str(r.Body, "id"), cid, "id")
		g := c.do("GET", "/_connector/"+cid, nil)
		c.ok(g, "get connector")
		b := g.Body
		c.eq(str(b, "id"), cid, "id first")
		if !strings.HasPrefix(string(g.Raw), `{"id":`) {
			t.Errorf("id must come first: %.40s", g.Raw)
		}
		for k, v := range map[string]any{"index_name": idx, "name": "My connector", "service_type": "gitlab", "language": "en",
			"status": "created", "is_native": false, "sync_now": false, "deleted": false} {
			c.eq(get(b, k), v, k)
		}
		c.eq(jsonString(get(b, "configuration")), "{}", "configuration")
		c.eq(jsonString(get(b, "custom_scheduling")), "{}", "custom_scheduling")
		c.eq(str(b, "scheduling.full.interval"), "0 0 0 * * ?", "default interval")
		c.eq(get(b, "scheduling.access_control.enabled"), false, "access_control disabled")
		c.eq(len(list(b, "filtering")), 1, "one filtering element")
		c.eq(str(b, "filtering.0.domain"), "DEFAULT", "domain")
		rule := get(b, "filtering.0.active.rules.0")
		for k, v := range map[string]any{"id": "DEFAULT", "field": "_", "policy": "include", "rule": "regex", "value": ".*"} {
			c.eq(get(rule, k), v, "default rule "+k)
		}
		c.eq(num(rule, "order"), 0, "default rule order")
		if !instantRe.MatchString(str(rule, "created_at")) {
			t.Errorf("created_at %q is not an instant", str(rule, "created_at"))
		}
		c.eq(str(b, "filtering.0.draft.validation.state"), "valid", "draft state")
		for _, absent := range []string{"api_key_id", "api_key_secret_id", "description", "error", "features", "last_seen", "sync_cursor", "pipeline", "last_synced"} {
			if has(b, absent) {
				t.Errorf("new connector must not have %s", absent)
			}
		}
		missing := c.do("GET", "/_connector/"+c.name("nope"), nil)
		c.esError(missing, 404, "resource_not_found_exception", "connector ["+c.name("nope")+"] not found", "get missing")
		again := c.do("PUT", "/_connector/"+cid, map[string]any{"index_name": idx, "name": "Renamed"})
		c.status(again, 200, "re-put")
		c.eq(str(again.Body, "result"), "updated", "re-put result")
		g = c.do("GET", "/_connector/"+cid, nil)
		if has(g.Body, "service_type") || has(g.Body, "language") {
			t.Errorf("re-put must reset fields not given: %s", g.Raw)
		}
		c.ok(c.do("PUT", "/_connector/"+cid, map[string]any{"index_name": idx, "name": "My connector", "service_type": "gitlab"}), "restore")
		p := c.do("POST", "/_connector", map[string]any{"name": "posted", "is_native": true})
		c.status(p, 201, "post connector")
		pid := str(p.Body, "id")
		track(pid)
		c.eq(str(c.do("GET", "/_connector/"+pid, nil).Body, "status"), "needs_configuration", "native connector status")
		auto := c.do("PUT", "/_connector", map[string]any{"name": "auto"})
		c.status(auto, 201, "put without id")
		track(str(auto.Body, "id"))
	})

	t.Run("create errors", func(t *testing.T) {
		other := c.name("other")
		r := c.do("PUT", "/_connector/"+other, map[string]any{"index_name": idx})
		c.esError(r, 400, "status_exception", "Index name ["+idx+"] is used by another connector.", "index name taken")
		r = c.do("PUT", "/_connector/"+other, map[string]any{"name": "x", "foo": 1})
		c.esError(r, 400, "x_content_parse_exception", "", "unknown field")
		if !strings.Contains(str(r.Body, "error.reason"), "[connector_put_request] unknown field [foo]") {
			t.Errorf("unknown field reason: %s", r.Raw)
		}
		r = c.do("PUT", "/_connector/"+other, map[string]any{"name": map[string]any{}})
		c.esError(r, 400, "x_content_parse_exception", "", "wrong type")
		r = c.do("PUT", "/_connector/"+other, map[string]any{"index_name": "Bad Name"})
		c.esError(r, 400, "action_request_validation_exception", "", "invalid index name")
		r = c.do("PUT", "/_connector/"+other, map[string]any{"index_name": "search-x", "is_native": true})
		c.esError(r, 400, "action_request_validation_exception",
			"Validation Failed: 1: Index [search-x] is invalid. Index attached to an Elastic-managed connector must start with the prefix: [content-];", "native prefix")
	})

	t.Run("list", func(t *testing.T) {
		second := c.name("conn2")
		c.ok(c.do("PUT", "/_connector/"+second, map[string]any{"index_name": c.name("aaa"), "name": "Second", "service_type": "jira", "description": "Tracks Issues"}), "second")
		track(second)
		noIdx := c.name("conn3")
		c.ok(c.do("PUT", "/_connector/"+noIdx, map[string]any{"name": "Third", "service_type": "jira"}), "third")
		track(noIdx)
		r := c.do("GET", "/_connector?service_type=jira,gitlab&size=100", nil)
		c.ok(r, "list")
		var mine []string
		for _, x := range list(r.Body, "results") {
			if strings.HasPrefix(str(x, "id"), c.prefix) {
				mine = append(mine, str(x, "id"))
			}
		}
		c.eq(strings.Join(mine, ","), strings.Join([]string{second, cid, noIdx}, ","), "sorted by index_name, missing last")
		r = c.do("GET", "/_connector?index_name="+idx, nil)
		c.eq(num(r.Body, "count"), 1, "index_name filter")
		r = c.do("GET", "/_connector?connector_name=Second,Third", nil)
		c.eq(num(r.Body, "count"), 2, "connector_name filter")
		r = c.do("GET", "/_connector?query=issues&service_type=jira", nil)
		c.eq(num(r.Body, "count"), 1, "query matches description tokens")
		r = c.do("GET", "/_connector?service_type=jira&size=1&from=1", nil)
		c.eq(num(r.Body, "count"), 2, "count is the total")
		c.eq(len(list(r.Body, "results")), 1, "page size")
		c.esError(c.do("GET", "/_connector?from=-1", nil), 400, "action_request_validation_exception", "", "negative from")
		c.esError(c.do("GET", "/_connector?size=-1", nil), 400, "action_request_validation_exception", "", "negative size")
	})

	t.Run("blind updates", func(t *testing.T) {
		r := c.do("PUT", "/_connector/"+cid+"/_check_in", nil)
		c.ok(r, "check_in")
		c.eq(str(r.Body, "result"), "updated", "check_in result")
		g := c.do("GET", "/_connector/"+cid, nil)
		if !instantRe.MatchString(str(g.Body, "last_seen")) {
			t.Errorf("last_seen %q", str(g.Body, "last_seen"))
		}
		c.esError(c.do("PUT", "/_connector/"+c.name("nope")+"/_check_in", nil), 404, "document_missing_exception", "["+c.name("nope")+"]: document missing", "check_in missing")

		r = c.do("PUT", "/_connector/"+cid+"/_last_sync", map[string]any{"last_sync_status": "COMPLETED", "last_synced": "2023-12-04T08:45:50.567149Z",
			"last_indexed_document_count": 10, "sync_cursor": map[string]any{"k": 1}, "last_sync_error": nil})
		c.ok(r, "last_sync")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "last_sync_status"), "completed", "status lower-cased")
		c.eq(str(g.Body, "last_synced"), "2023-12-04T08:45:50.567149Z", "timestamp round-trips")
		c.eq(num(g.Body, "last_indexed_document_count"), 10, "count")
		if has(g.Body, "last_sync_error") {
			t.Errorf("null last_sync fields must not be written")
		}
		c.eq(str(c.do("PUT", "/_connector/"+cid+"/_last_sync", map[string]any{}).Body, "result"), "noop", "empty last_sync")
		c.esError(c.do("PUT", "/_connector/"+cid+"/_last_sync", map[string]any{"last_seen": "2023-01-01T00:00:00Z"}), 400, "x_content_parse_exception", "", "last_seen not accepted")
		c.status(c.do("PUT", "/_connector/"+cid+"/_last_sync", map[string]any{"last_sync_status": "bogus"}), 400, "bad status")

		c.esError(c.do("PUT", "/_connector/"+cid+"/_api_key_id", map[string]any{}), 400, "action_request_validation_exception",
			"Validation Failed: 1: [api_key_id] and [api_key_secret_id] cannot both be [null]. Please provide a value for at least one of them.;", "api_key_id both null")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_api_key_id", map[string]any{"api_key_id": "k1"}), "api_key_id")
		c.eq(str(c.do("GET", "/_connector/"+cid, nil).Body, "api_key_id"), "k1", "api_key_id stored")

		c.esError(c.do("PUT", "/_connector/"+cid+"/_name", map[string]any{}), 400, "action_request_validation_exception",
			"Validation Failed: 1: [name] and [description] cannot both be [null]. Please provide a value for at least one of them.;", "name both null")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_name", map[string]any{"description": "desc"}), "name")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "name"), "My connector", "name kept")
		c.eq(str(g.Body, "description"), "desc", "description")
		c.eq(str(c.do("PUT", "/_connector/"+cid+"/_name", map[string]any{"description": "desc"}).Body, "result"), "noop", "same name noop")

		r = c.do("PUT", "/_connector/"+cid+"/_error", map[string]any{"error": "boom"})
		c.ok(r, "error")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "status"), "error", "error sets status")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_error", map[string]any{"error": nil}), "clear error")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "status"), "connected", "cleared error sets connected")
		if !has(g.Body, "error") || get(g.Body, "error") != nil {
			t.Errorf("cleared error must be stored as null: %s", g.Raw)
		}
		c.status(c.do("PUT", "/_connector/"+cid+"/_error", map[string]any{}), 400, "error key missing")
		c.status(c.do("PUT", "/_connector/"+cid+"/_error", map[string]any{"error": map[string]any{}}), 400, "error object")

		c.ok(c.do("PUT", "/_connector/"+cid+"/_features", map[string]any{"features": map[string]any{"document_level_security": map[string]any{"enabled": true}}}), "features")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_features", map[string]any{"features": map[string]any{"sync_rules": map[string]any{"basic": map[string]any{"enabled": true}}}}), "features merge")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(get(g.Body, "features.document_level_security.enabled"), true, "features kept")
		c.eq(get(g.Body, "features.sync_rules.basic.enabled"), true, "features added")

		c.esError(c.do("PUT", "/_connector/"+cid+"/_pipeline", map[string]any{}), 400, "action_request_validation_exception", "Validation Failed: 1: [pipeline] cannot be [null].;", "pipeline null")
		c.status(c.do("PUT", "/_connector/"+cid+"/_pipeline", map[string]any{"pipeline": map[string]any{"name": "p"}}), 400, "pipeline incomplete")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_pipeline", map[string]any{"pipeline": map[string]any{"extract_binary_content": true, "name": "search-default-ingestion", "reduce_whitespace": true, "run_ml_inference": false}}), "pipeline")
		c.eq(str(c.do("GET", "/_connector/"+cid, nil).Body, "pipeline.name"), "search-default-ingestion", "pipeline stored")

		c.esError(c.do("PUT", "/_connector/"+cid+"/_scheduling", map[string]any{"scheduling": map[string]any{}}), 400, "action_request_validation_exception",
			"Validation Failed: 1: [scheduling] object needs to define at least one schedule type: [full | incremental | access_control];", "empty scheduling")
		c.status(c.do("PUT", "/_connector/"+cid+"/_scheduling", map[string]any{"scheduling": map[string]any{"access_control": map[string]any{"enabled": true, "interval": "0 0 0 * * ?"}}}), 400, "access_control alone")
		c.status(c.do("PUT", "/_connector/"+cid+"/_scheduling", map[string]any{"scheduling": map[string]any{"full": map[string]any{"enabled": true, "interval": "61 0 0 * * ?"}}}), 400, "invalid cron")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_scheduling", map[string]any{"scheduling": map[string]any{"full": map[string]any{"enabled": true, "interval": "0 30 1 ? * MON-FRI"}}}), "scheduling")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "scheduling.full.interval"), "0 30 1 ? * MON-FRI", "full updated")
		c.eq(str(g.Body, "scheduling.incremental.interval"), "0 0 0 * * ?", "incremental kept")
	})

	t.Run("read-first updates", func(t *testing.T) {
		c.esError(c.do("PUT", "/_connector/"+cid+"/_status", map[string]any{}), 400, "action_request_validation_exception", "Validation Failed: 1: [status] cannot be [null].;", "status null")
		c.status(c.do("PUT", "/_connector/"+cid+"/_status", map[string]any{"status": "bogus"}), 400, "unknown status")
		fresh := c.name("fresh")
		c.ok(c.do("PUT", "/_connector/"+fresh, map[string]any{"name": "f"}), "fresh")
		track(fresh)
		r := c.do("PUT", "/_connector/"+fresh+"/_status", map[string]any{"status": "connected"})
		c.esError(r, 400, "status_exception", "Invalid transition attempt from [created] to [connected]. Such a status transition is not supported by the Connector Protocol.", "bad transition")
		c.ok(c.do("PUT", "/_connector/"+fresh+"/_status", map[string]any{"status": "NEEDS_CONFIGURATION"}), "good transition")
		c.esError(c.do("PUT", "/_connector/"+c.name("nope")+"/_status", map[string]any{"status": "error"}), 404, "resource_not_found_exception", "", "status missing connector")

		c.esError(c.do("PUT", "/_connector/"+fresh+"/_service_type", map[string]any{"service_type": ""}), 400, "action_request_validation_exception", "", "empty service type")
		c.ok(c.do("PUT", "/_connector/"+fresh+"/_service_type", map[string]any{"service_type": "s3"}), "service type")
		g := c.do("GET", "/_connector/"+fresh, nil)
		c.eq(str(g.Body, "status"), "needs_configuration", "service type on non-created connector")

		c.esError(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{}), 400, "action_request_validation_exception",
			"Validation Failed: 1: [configuration] and [values] cannot both be null.;", "configuration both null")
		c.esError(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"configuration": map[string]any{}, "values": map[string]any{}}), 400, "action_request_validation_exception",
			"Validation Failed: 1: [configuration] and [values] cannot both be provided in the same request.;", "configuration both given")
		cfg := map[string]any{
			"host":  map[string]any{"label": "Host", "value": "h", "type": "str", "display": "textbox", "order": 1, "required": true},
			"token": map[string]any{"label": "Token", "sensitive": true, "tooltip": nil},
			// "text" is what the connector service writes for plain fields.
			"path": map[string]any{"label": "Path", "value": "/x", "type": "str", "display": "text", "order": 2},
		}
		r = c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"configuration": cfg})
		c.ok(r, "configuration")
		c.eq(str(r.Body, "result"), "updated", "configuration result")
		g = c.do("GET", "/_connector/"+fresh, nil)
		c.eq(str(g.Body, "status"), "configured", "configuration sets configured")
		tok := get(g.Body, "configuration.token")
		c.eq(get(tok, "required"), false, "required default")
		c.eq(get(tok, "sensitive"), true, "sensitive")
		if !has(tok, "value") || get(tok, "value") != nil || !has(tok, "default_value") || has(tok, "tooltip") {
			t.Errorf("normalised entry: %s", jsonString(tok))
		}
		c.eq(str(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"configuration": cfg}).Body, "result"), "updated", "replace is always updated")
		r = c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"values": map[string]any{"zzz": 1, "aaa": 2}})
		c.esError(r, 400, "status_exception", "", "unknown values")
		if !strings.HasPrefix(str(r.Body, "error.reason"), "Unknown [configuration] fields in the request payload: [") ||
			!strings.HasSuffix(str(r.Body, "error.reason"), "]. Remove them from request or register their schema first.") {
			t.Errorf("unknown values reason: %s", str(r.Body, "error.reason"))
		}
		c.ok(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"values": map[string]any{"token": "secret"}}), "values")
		g = c.do("GET", "/_connector/"+fresh, nil)
		c.eq(str(g.Body, "configuration.token.value"), "secret", "value set")
		c.eq(str(g.Body, "configuration.token.label"), "Token", "entry kept")
		c.eq(str(g.Body, "configuration.host.value"), "h", "other entry kept")
		c.eq(str(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"values": map[string]any{"token": "secret"}}).Body, "result"), "noop", "same values noop")
		c.status(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"configuration": map[string]any{"x": map[string]any{"value": 1}}}), 400, "entry without label")
		c.status(c.do("PUT", "/_connector/"+fresh+"/_configuration", map[string]any{"configuration": map[string]any{"x": map[string]any{"label": "X", "display": "bogus"}}}), 400, "bad display")

		r = c.do("PUT", "/_connector/"+fresh+"/_index_name", map[string]any{"index_name": idx})
		c.esError(r, 400, "status_exception", "Index name ["+idx+"] is used by another connector.", "index name taken")
		r = c.do("PUT", "/_connector/"+c.name("nope")+"/_index_name", map[string]any{"index_name": idx})
		c.esError(r, 400, "status_exception", "", "uniqueness is checked before existence")
		c.ok(c.do("PUT", "/_connector/"+fresh+"/_index_name", map[string]any{"index_name": c.name("fresh-idx")}), "index name")
		c.eq(str(c.do("PUT", "/_connector/"+fresh+"/_index_name", map[string]any{"index_name": c.name("fresh-idx")}).Body, "result"), "noop", "same index name noop")
		r = c.do("PUT", "/_connector/"+fresh+"/_native", map[string]any{"is_native": true})
		c.esError(r, 400, "status_exception", "The index name ["+c.name("fresh-idx")+"] attached to the connector ["+fresh+"] must start with the required prefix: [content-] to be Elastic-managed. Please update the attached index first to comply with this requirement.", "native with wrong prefix")
		c.ok(c.do("PUT", "/_connector/"+fresh+"/_index_name", map[string]any{"index_name": nil}), "detach index")
		g = c.do("GET", "/_connector/"+fresh, nil)
		if !has(g.Body, "index_name") || get(g.Body, "index_name") != nil {
			t.Errorf("detached index_name must be null: %s", g.Raw)
		}
		c.ok(c.do("PUT", "/_connector/"+fresh+"/_native", map[string]any{"is_native": true}), "native")
		r = c.do("PUT", "/_connector/"+fresh+"/_index_name", map[string]any{"index_name": "search-x-" + c.prefix})
		c.esError(r, 400, "status_exception", "Index attached to an Elastic-managed connector must start with the prefix: [content-]. The index name in the payload [search-x-"+c.prefix+"] doesn't comply with this requirement.", "native index prefix")
	})

	t.Run("filtering", func(t *testing.T) {
		c.esError(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{}), 400, "action_request_validation_exception",
			"Validation Failed: 1: [advanced_snippet] and [rules] cannot be both [null].;", "filtering empty")
		c.esError(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"filtering": []any{}, "rules": []any{}}), 400, "action_request_validation_exception",
			"Validation Failed: 1: If [filtering] is specified, [rules] and [advanced_snippet] should not be present in the request body.;", "filtering mixed")
		rules := []any{
			map[string]any{"id": "r2", "field": "b", "order": 5, "policy": "EXCLUDE", "rule": "equals", "value": "x"},
			map[string]any{"id": "r1", "field": "a", "order": 1, "policy": "include", "rule": "contains", "value": "y"},
		}
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"rules": rules}), "draft rules")
		g := c.do("GET", "/_connector/"+cid, nil)
		dr := list(g.Body, "filtering.0.draft.rules")
		if len(dr) != 3 {
			t.Fatalf("draft rules: %s", jsonString(dr))
		}
		c.eq(str(dr[0], "id")+","+str(dr[1], "id")+","+str(dr[2], "id"), "r1,r2,DEFAULT", "sorted, DEFAULT last")
		c.eq(num(dr[2], "order"), 6, "DEFAULT order")
		c.eq(str(dr[1], "policy"), "exclude", "policy lower-cased")
		c.eq(str(g.Body, "filtering.0.draft.validation.state"), "edited", "draft edited")
		c.eq(len(list(g.Body, "filtering.0.active.rules")), 1, "active untouched")
		c.status(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"rules": []any{map[string]any{"id": "x", "field": "a", "order": 1, "policy": "maybe", "rule": "equals", "value": "v"}}}), 400, "bad policy")
		c.status(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"rules": []any{map[string]any{"id": "x", "field": "a", "order": 1, "policy": "include", "rule": "like", "value": "v"}}}), 400, "bad rule")
		r := c.do("PUT", "/_connector/"+cid+"/_filtering/_activate", nil)
		c.esError(r, 400, "status_exception", "Filtering draft needs to be validated by the connector service before activation. Current filtering draft validation state [edited] is not equal to [valid].", "activate unvalidated")
		c.esError(c.do("PUT", "/_connector/"+cid+"/_filtering/_validation", map[string]any{}), 400, "action_request_validation_exception", "Validation Failed: 1: [validation] cannot be [null].;", "validation null")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering/_validation", map[string]any{"validation": map[string]any{"state": "valid", "errors": []any{}}}), "validation")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering/_activate", nil), "activate")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(jsonString(get(g.Body, "filtering.0.active")), jsonString(get(g.Body, "filtering.0.draft")), "active == draft")
		c.esError(c.do("PUT", "/_connector/"+c.name("nope")+"/_filtering/_activate", nil), 404, "resource_not_found_exception", "", "activate missing")
		snippet := map[string]any{"value": map[string]any{"query": "x"}}
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"advanced_snippet": snippet}), "snippet only")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "filtering.0.draft.advanced_snippet.value.query"), "x", "snippet stored")
		c.eq(len(list(g.Body, "filtering.0.draft.rules")), 3, "rules kept")
		full := map[string]any{"filtering": []any{map[string]any{"domain": "OTHER",
			"active": map[string]any{"advanced_snippet": map[string]any{"value": map[string]any{}}, "rules": []any{}, "validation": map[string]any{"state": "valid", "errors": []any{}}},
			"draft":  map[string]any{"advanced_snippet": map[string]any{"value": map[string]any{}}, "rules": []any{}, "validation": map[string]any{"state": "invalid", "errors": []any{map[string]any{"ids": []string{"r"}, "messages": []string{"m"}}}}}}}}
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering", full), "full replace")
		g = c.do("GET", "/_connector/"+cid, nil)
		c.eq(str(g.Body, "filtering.0.domain"), "DEFAULT", "domain forced")
		c.eq(len(list(g.Body, "filtering.0.draft.rules")), 0, "no DEFAULT insertion in full mode")
		c.eq(str(g.Body, "filtering.0.draft.validation.state"), "invalid", "state as given")
		c.status(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"filtering": []any{map[string]any{"active": full["filtering"].([]any)[0].(map[string]any)["active"]}}}), 400, "element without draft")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering", map[string]any{"rules": []any{}}), "reset rules")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering/_validation", map[string]any{"validation": map[string]any{"state": "valid", "errors": []any{}}}), "revalidate")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_filtering/_activate", nil), "reactivate")
	})

	var jobID string
	t.Run("sync jobs", func(t *testing.T) {
		c.esError(c.do("POST", "/_connector/_sync_job", map[string]any{"id": ""}), 400, "action_request_validation_exception", "Validation Failed: 1: [id] of the connector cannot be null or empty;", "job without id")
		c.esError(c.do("POST", "/_connector/_sync_job", map[string]any{"id": c.name("nope")}), 404, "resource_not_found_exception", "Connector with id '"+c.name("nope")+"' does not exist.", "job for missing connector")
		c.status(c.do("POST", "/_connector/_sync_job", map[string]any{"id": cid, "job_type": "weekly"}), 400, "bad job type")
		noIdx := c.name("conn3")
		c.esError(c.do("POST", "/_connector/_sync_job", map[string]any{"id": noIdx}), 400, "status_exception",
			"Cannot start a sync for connector ["+noIdx+"] with no index attached. Set the [index_name] property for the connector to enable syncing data.", "job without index")
		nst := c.name("nst")
		c.ok(c.do("PUT", "/_connector/"+nst, map[string]any{"index_name": c.name("nst-idx")}), "connector without service type")
		track(nst)
		c.esError(c.do("POST", "/_connector/_sync_job", map[string]any{"id": nst}), 400, "status_exception",
			"Cannot start a sync for connector ["+nst+"] with [service_type] not defined. Set the service type of your connector before starting the sync.", "job without service type")

		r := c.do("POST", "/_connector/_sync_job", map[string]any{"id": cid})
		c.status(r, 201, "create job")
		jobID = str(r.Body, "id")
		g := c.do("GET", "/_connector/_sync_job/"+jobID, nil)
		c.ok(g, "get job")
		b := g.Body
		for k, v := range map[string]any{"status": "pending", "job_type": "full", "trigger_method": "on_demand", "connector.id": cid,
			"connector.index_name": idx, "connector.service_type": "gitlab", "connector.pipeline.name": "search-default-ingestion"} {
			c.eq(get(b, k), v, "job "+k)
		}
		for _, k := range []string{"deleted_document_count", "indexed_document_count", "indexed_document_volume", "total_document_count"} {
			c.eq(num(b, k), 0, k)
		}
		c.eq(str(b, "created_at"), str(b, "last_seen"), "created_at == last_seen")
		c.eq(jsonString(get(b, "metadata")), "{}", "metadata")
		c.eq(str(b, "connector.filtering.rules.0.id"), "DEFAULT", "active filtering snapshot")
		if has(b, "connector.filtering.domain") || has(b, "connector.sync_cursor") || has(b, "started_at") || has(b, "worker_hostname") {
			t.Errorf("job snapshot shape: %s", g.Raw)
		}
		time.Sleep(5 * time.Millisecond) // created_at sorts at millisecond resolution
		acl := c.do("POST", "/_connector/_sync_job", map[string]any{"id": cid, "job_type": "ACCESS_CONTROL", "trigger_method": "scheduled"})
		c.status(acl, 201, "acl job")
		ag := c.do("GET", "/_connector/_sync_job/"+str(acl.Body, "id"), nil)
		c.eq(str(ag.Body, "connector.index_name"), ".search-acl-filter-"+idx, "acl index name")
		c.eq(str(ag.Body, "trigger_method"), "scheduled", "trigger")

		l := c.do("GET", "/_connector/_sync_job?connector_id="+cid, nil)
		c.eq(num(l.Body, "count"), 2, "list count")
		c.eq(str(l.Body, "results.0.id"), str(acl.Body, "id"), "newest first")
		l = c.do("GET", "/_connector/_sync_job?connector_id="+cid+"&job_type=full", nil)
		c.eq(num(l.Body, "count"), 1, "job_type filter")
		l = c.do("GET", "/_connector/_sync_job?connector_id="+cid+"&status=pending&size=1", nil)
		c.eq(len(list(l.Body, "results")), 1, "page")
		c.status(c.do("GET", "/_connector/_sync_job?status=bogus", nil), 400, "bad status filter")

		c.esError(c.do("GET", "/_connector/_sync_job/"+c.name("nojob"), nil), 404, "resource_not_found_exception", "", "get missing job")
		r = c.do("PUT", "/_connector/_sync_job/"+jobID+"/_error", map[string]any{"error": "x"})
		c.esError(r, 400, "status_exception", "Invalid transition attempt from [pending] to [error]. Such a ConnectorSyncStatus transition is not supported by the Connector Protocol.", "error from pending")
		c.esError(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_error", map[string]any{"error": ""}), 400, "action_request_validation_exception", "", "empty error")
		c.status(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_claim", map[string]any{}), 400, "claim without hostname")
		r = c.do("PUT", "/_connector/_sync_job/"+jobID+"/_claim", map[string]any{"worker_hostname": "host1", "sync_cursor": map[string]any{"c": 1}})
		c.ok(r, "claim")
		c.eq(str(r.Body, "result"), "updated", "claim result")
		g = c.do("GET", "/_connector/_sync_job/"+jobID, nil)
		c.eq(str(g.Body, "status"), "in_progress", "claimed")
		c.eq(str(g.Body, "worker_hostname"), "host1", "hostname")
		c.eq(num(g.Body, "connector.sync_cursor.c"), 1, "cursor")
		c.eq(str(g.Body, "connector.id"), cid, "connector snapshot kept")
		if has(c.do("GET", "/_connector/"+cid, nil).Body, "sync_cursor.c") {
			t.Errorf("claim must not touch the connector")
		}
		c.ok(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_check_in", nil), "job check_in")
		c.esError(c.do("PUT", "/_connector/_sync_job/"+c.name("nojob")+"/_check_in", nil), 404, "resource_not_found_exception", "connector sync job ["+c.name("nojob")+"] not found", "check_in missing job")
		r = c.do("PUT", "/_connector/_sync_job/"+jobID+"/_stats", map[string]any{"deleted_document_count": 1, "indexed_document_count": 2, "indexed_document_volume": 3, "metadata": map[string]any{"a": 1}})
		c.ok(r, "stats")
		c.ok(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_stats", map[string]any{"deleted_document_count": 1, "indexed_document_count": 2, "indexed_document_volume": 3, "total_document_count": 9, "metadata": map[string]any{"b": 2}}), "stats again")
		g = c.do("GET", "/_connector/_sync_job/"+jobID, nil)
		c.eq(num(g.Body, "indexed_document_count"), 2, "indexed")
		c.eq(num(g.Body, "total_document_count"), 9, "total")
		c.eq(num(g.Body, "metadata.a")+num(g.Body, "metadata.b"), 3, "metadata merges")
		c.esError(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_stats", map[string]any{"deleted_document_count": -1, "indexed_document_count": 2, "indexed_document_volume": 3}), 400,
			"action_request_validation_exception", "Validation Failed: 1: [deleted_document_count] cannot be negative.;", "negative stats")
		c.status(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_stats", map[string]any{"indexed_document_count": 2}), 400, "stats missing fields")
		c.esError(c.do("PUT", "/_connector/_sync_job/"+c.name("nojob")+"/_stats", map[string]any{"deleted_document_count": 1, "indexed_document_count": 2, "indexed_document_volume": 3}),
			404, "resource_not_found_exception", "connector sync job ["+c.name("nojob")+"] not found", "stats missing job")

		r = c.do("PUT", "/_connector/_sync_job/"+jobID+"/_cancel", nil)
		c.ok(r, "cancel in_progress")
		c.eq(str(c.do("GET", "/_connector/_sync_job/"+jobID, nil).Body, "status"), "canceling", "canceling")
		c.ok(c.do("PUT", "/_connector/_sync_job/"+jobID+"/_error", map[string]any{"error": "failed"}), "error from canceling")
		g = c.do("GET", "/_connector/_sync_job/"+jobID, nil)
		c.eq(str(g.Body, "status"), "error", "job error")
		if has(g.Body, "completed_at") {
			t.Errorf("_error must not set completed_at")
		}
		r = c.do("PUT", "/_connector/_sync_job/"+str(acl.Body, "id")+"/_cancel", nil)
		c.ok(r, "cancel pending")
		ag = c.do("GET", "/_connector/_sync_job/"+str(acl.Body, "id"), nil)
		c.eq(str(ag.Body, "status"), "canceled", "canceled")
		c.eq(str(ag.Body, "canceled_at"), str(ag.Body, "completed_at"), "canceled_at == completed_at")
		c.eq(str(ag.Body, "canceled_at"), str(ag.Body, "cancelation_requested_at"), "canceled_at == cancelation_requested_at")
		r = c.do("PUT", "/_connector/_sync_job/"+str(acl.Body, "id")+"/_cancel", nil)
		c.esError(r, 400, "status_exception", "Invalid transition attempt from [canceled] to [canceling]. Such a ConnectorSyncStatus transition is not supported by the Connector Protocol.", "cancel canceled")
		c.ok(c.do("PUT", "/_connector/_sync_job/"+str(acl.Body, "id")+"/_claim", map[string]any{"worker_hostname": "h"}), "claim ignores the state machine")
		c.esError(c.do("PUT", "/_connector/_sync_job/"+c.name("nojob")+"/_cancel", nil), 404, "resource_not_found_exception", "", "cancel missing")

		d := c.do("DELETE", "/_connector/_sync_job/"+str(acl.Body, "id"), nil)
		c.ok(d, "delete job")
		c.eq(get(d.Body, "acknowledged"), true, "acknowledged")
		c.status(c.do("DELETE", "/_connector/_sync_job/"+str(acl.Body, "id"), nil), 404, "delete missing job")

		dr := c.do("GET", "/.elastic-connectors-sync-jobs/_doc/"+jobID, nil, header("X-elastic-product-origin", "connectors"))
		c.eq(str(dr.Body, "_source.status"), "error", "direct index readers see API writes")
		s := c.do("POST", "/.elastic-connectors/_search", map[string]any{"query": map[string]any{"ids": map[string]any{"values": []string{cid}}}}, header("X-elastic-product-origin", "connectors"))
		c.eq(num(s.Body, "hits.total.value"), 1, "API writes are searchable at once")
	})

	t.Run("secrets", func(t *testing.T) {
		r := c.do("POST", "/_connector/_secret", map[string]any{"value": "s3cr3t"})
		c.status(r, 200, "post secret")
		sid := str(r.Body, "id")
		g := c.do("GET", "/_connector/_secret/"+sid, nil)
		c.ok(g, "get secret")
		c.eq(str(g.Body, "value"), "s3cr3t", "value")
		c.eq(str(g.Body, "id"), sid, "id")
		c.esError(c.do("POST", "/_connector/_secret", map[string]any{"value": ""}), 400, "action_request_validation_exception", "", "empty secret")
		c.status(c.do("POST", "/_connector/_secret", map[string]any{"value": nil}), 400, "null secret")
		pid := c.name("secret")
		p := c.do("PUT", "/_connector/_secret/"+pid, map[string]any{"value": "a"})
		c.status(p, 201, "put secret")
		c.eq(str(p.Body, "result"), "created", "created")
		p = c.do("PUT", "/_connector/_secret/"+pid, map[string]any{"value": "b"})
		c.status(p, 200, "put again")
		c.eq(str(p.Body, "result"), "updated", "updated")
		c.status(c.do("PUT", "/_connector/_secret/"+pid, map[string]any{"value": ""}), 400, "empty put")
		for _, id := range []string{sid, pid} {
			d := c.do("DELETE", "/_connector/_secret/"+id, nil)
			c.ok(d, "delete secret")
			c.eq(get(d.Body, "deleted"), true, "deleted")
		}
		c.esError(c.do("GET", "/_connector/_secret/"+pid, nil), 404, "resource_not_found_exception", "No secret with id ["+pid+"]", "get deleted secret")
		c.esError(c.do("DELETE", "/_connector/_secret/"+pid, nil), 404, "resource_not_found_exception", "No secret with id ["+pid+"]", "delete deleted secret")
	})

	t.Run("delete", func(t *testing.T) {
		c.ok(c.do("POST", "/_connector/_sync_job", map[string]any{"id": cid}), "another job")
		d := c.do("DELETE", "/_connector/"+cid, nil)
		c.ok(d, "soft delete")
		c.eq(get(d.Body, "acknowledged"), true, "acknowledged")
		c.esError(c.do("GET", "/_connector/"+cid, nil), 404, "resource_not_found_exception", "", "soft-deleted get")
		g := c.do("GET", "/_connector/"+cid+"?include_deleted=true", nil)
		c.ok(g, "include_deleted")
		c.eq(get(g.Body, "deleted"), true, "deleted flag")
		l := c.do("GET", "/_connector?index_name="+idx, nil)
		c.eq(num(l.Body, "count"), 0, "list hides soft-deleted")
		l = c.do("GET", "/_connector?index_name="+idx+"&include_deleted=true", nil)
		c.eq(num(l.Body, "count"), 1, "list include_deleted")
		c.ok(c.do("PUT", "/_connector/"+cid+"/_check_in", nil), "blind update on soft-deleted")
		c.status(c.do("PUT", "/_connector/"+cid+"/_status", map[string]any{"status": "error"}), 404, "read-first update on soft-deleted")
		c.status(c.do("DELETE", "/_connector/"+cid, nil), 404, "second soft delete")
		reuse := c.name("reuse")
		c.status(c.do("PUT", "/_connector/"+reuse, map[string]any{"index_name": idx}), 201, "index name free after soft delete")
		track(reuse)
		c.ok(c.do("POST", "/_connector/_sync_job", map[string]any{"id": cid}), "job post ignores deleted")
		jobs := c.do("GET", "/_connector/_sync_job?connector_id="+cid, nil)
		if num(jobs.Body, "count") < 2 {
			t.Fatalf("jobs before hard delete: %s", jobs.Raw)
		}
		c.ok(c.do("DELETE", "/_connector/"+cid+"?hard=true&delete_sync_jobs=true", nil), "hard delete")
		c.esError(c.do("GET", "/_connector/"+cid+"?include_deleted=true", nil), 404, "resource_not_found_exception", "", "hard deleted")
		c.eq(num(c.do("GET", "/_connector/_sync_job?connector_id="+cid, nil).Body, "count"), 0, "jobs deleted")
		c.status(c.do("DELETE", "/_connector/"+cid+"?hard=true", nil), 404, "hard delete missing")
	})
}
