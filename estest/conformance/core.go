package conformance

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// Run executes the whole suite against cfg.URL.
func Run(t *testing.T, cfg Config) {
	groups := []struct {
		name string
		fn   func(*testing.T, *client)
	}{
		{"Info", testInfo},
		{"MediaTypes", testMediaTypes},
		{"MediaTypeRules", testMediaTypeRules},
		{"Clients", testClientShapes},
		{"Security", testSecurity},
		{"IndexLifecycle", testIndexLifecycle},
		{"Mappings", testMappings},
		{"Documents", testDocuments},
		{"NearRealTime", testNearRealTime},
		{"Bulk", testBulk},
		{"Search", testSearch},
		{"QueryString", testQueryString},
		{"ScrollAndPIT", testScrollAndPIT},
		{"DeleteByQuery", testDeleteByQuery},
		{"Aliases", testAliases},
		{"Ingest", testIngest},
		{"BuiltinTemplates", testBuiltinTemplates},
		{"Connector", testConnectorAPI},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			if g.name == "Connector" && cfg.SkipConnectorAPI {
				t.Skip("connector API disabled by Config.SkipConnectorAPI")
			}
			for _, s := range cfg.Skip {
				if s == g.name {
					t.Skip("skipped by Config.Skip")
				}
			}
			c := newClient(t, cfg)
			g.fn(t, c)
		})
	}
}

func testInfo(t *testing.T, c *client) {
	r := c.do("GET", "/", nil)
	c.ok(r, "GET /")
	if r.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("X-Elastic-Product header = %q", r.Header.Get("X-Elastic-Product"))
	}
	for _, k := range []string{"name", "cluster_name", "cluster_uuid", "version.number", "version.build_flavor", "tagline"} {
		if !has(r.Body, k) {
			t.Errorf("GET / lacks %s: %s", k, r.Raw)
		}
	}
	c.eq(str(r.Body, "tagline"), "You Know, for Search", "tagline")
	h := c.do("HEAD", "/", nil)
	c.status(h, 200, "HEAD /")
	if len(h.Raw) != 0 {
		t.Errorf("HEAD / has a body: %q", h.Raw)
	}
	l := c.do("GET", "/_license", nil)
	c.ok(l, "GET /_license")
	if typ := str(l.Body, "license.type"); typ == "" || str(l.Body, "license.status") == "" {
		t.Errorf("licence lacks type or status: %s", l.Raw)
	}
	hl := c.do("GET", "/_cluster/health", nil)
	c.ok(hl, "cluster health")
	if s := str(hl.Body, "status"); s != "green" && s != "yellow" && s != "red" {
		t.Errorf("health status %q", s)
	}
	e := c.do("GET", "/_nonexistent_api/foo/bar", nil)
	c.status(e, 400, "unknown endpoint")
	if !strings.HasPrefix(str(e.Body, "error"), "no handler found for uri [/_nonexistent_api/foo/bar] and method [GET]") {
		t.Errorf("unknown endpoint body: %s", e.Raw)
	}
}

func testMediaTypes(t *testing.T, c *client) {
	ix := c.name("media")
	defer c.cleanup("/" + ix)
	cur := fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", c.major)
	r := c.do("PUT", "/"+ix+"/_doc/1?refresh=true", `{"a":1}`, header("Content-Type", cur), header("Accept", cur))
	c.status(r, 201, "vendor media type for the current major")
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "compatible-with="+fmt.Sprint(c.major)) {
		t.Errorf("response Content-Type %q does not echo the compatible version", ct)
	}
	prev := fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", c.major-1)
	r = c.do("GET", "/"+ix+"/_doc/1", nil, header("Accept", prev))
	c.status(r, 200, "previous major compatibility")
	next := fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", c.major+1)
	r = c.do("GET", "/", nil, header("Accept", next))
	c.esError(r, 400, "media_type_header_exception", "", "future compatible-with version")
	r = c.do("PUT", "/"+ix+"/_doc/2", `{"a":2}`, header("Content-Type", "text/plain"))
	c.status(r, 406, "text/plain body")
	c.eq(str(r.Body, "error"), "Content-Type header [text/plain] is not supported", "406 body")
	ndjson := fmt.Sprintf("application/vnd.elasticsearch+x-ndjson;compatible-with=%d", c.major)
	bulkBody := "{\"index\":{\"_index\":\"" + ix + "\",\"_id\":\"3\"}}\n{\"a\":3}\n"
	r = c.do("POST", "/_bulk", bulkBody, header("Content-Type", ndjson))
	// Real nodes name the two headers in either order from one start to the
	// next (seen on 9.5.3 and 8.19.21), so both are accepted.
	c.esError(r, 400, "media_type_header_exception", "", "vendor Content-Type without a vendor Accept")
	if got := str(r.Body, "error.reason"); got != "Invalid media-type value on headers [Content-Type, Accept]" && got != "Invalid media-type value on headers [Accept, Content-Type]" {
		t.Errorf("vendor Content-Type without a vendor Accept: reason %q", got)
	}
	if !strings.Contains(str(r.Body, "error.caused_by.reason"), "Accept=null, Content-Type="+ndjson) {
		t.Errorf("cause: %s", r.Raw)
	}
	r = c.do("POST", "/_bulk", bulkBody, header("Content-Type", ndjson), header("Accept", fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", c.major)))
	c.status(r, 200, "vendor ndjson bulk")
	r = c.do("PUT", "/"+ix+"/_doc/4", gzipped(`{"a":4}`), header("Content-Encoding", "gzip"))
	c.status(r, 201, "gzip request body")
	g := c.do("GET", "/"+ix+"/_doc/4", nil)
	c.eq(num(g.Body, "_source.a"), 4, "gzip body stored")
}

func testSecurity(t *testing.T, c *client) {
	a := c.do("GET", "/_security/_authenticate", nil)
	c.ok(a, "authenticate")
	if str(a.Body, "username") == "" || str(a.Body, "authentication_type") == "" {
		t.Errorf("authenticate lacks username/authentication_type: %s", a.Raw)
	}
	k := c.do("PUT", "/_security/api_key", map[string]any{"name": c.name("key"), "role_descriptors": map[string]any{}, "metadata": map[string]any{"created_by": "conformance"}})
	c.ok(k, "create api key")
	for _, f := range []string{"id", "name", "api_key", "encoded"} {
		if str(k.Body, f) == "" {
			t.Errorf("api key answer lacks %s: %s", f, k.Raw)
		}
	}
	want := base64.StdEncoding.EncodeToString([]byte(str(k.Body, "id") + ":" + str(k.Body, "api_key")))
	c.eq(str(k.Body, "encoded"), want, "encoded = base64(id:api_key)")
	ka := c.do("GET", "/_security/_authenticate", nil, header("Authorization", "ApiKey "+str(k.Body, "encoded")))
	c.ok(ka, "authenticate with the new key")
	c.eq(str(ka.Body, "authentication_type"), "api_key", "authentication_type")
	c.eq(str(ka.Body, "api_key.id"), str(k.Body, "id"), "api_key.id")
	nk := c.do("PUT", "/_security/api_key", map[string]any{})
	c.esError(nk, 400, "action_request_validation_exception", "Validation Failed: 1: api key name is required;", "api key without name")
	bad := c.do("GET", "/", nil, header("Authorization", "ApiKey "+base64.StdEncoding.EncodeToString([]byte("nope:nope"))))
	c.esError(bad, 401, "security_exception", "", "unknown api key")
	if c.cfg.AuthEnabled {
		r := c.do("GET", "/_cluster/health", nil, noAuth())
		c.esError(r, 401, "security_exception", "missing authentication credentials for REST request [/_cluster/health]", "no credentials")
		if len(r.Header.Values("WWW-Authenticate")) == 0 {
			t.Errorf("401 without WWW-Authenticate header")
		}
		r = c.do("GET", "/", nil, header("Authorization", basic("nobody-"+c.prefix, "wrong")))
		c.esError(r, 401, "security_exception", "unable to authenticate user [nobody-"+c.prefix+"] for REST request [/]", "wrong user")
	}
}

func testIndexLifecycle(t *testing.T, c *client) {
	ix := c.name("life")
	defer c.cleanup("/" + ix)
	body := map[string]any{
		"settings": map[string]any{"number_of_shards": 1, "index": map[string]any{"refresh_interval": "5s"}},
		"mappings": map[string]any{"properties": map[string]any{"title": map[string]any{"type": "keyword"}}},
		"aliases":  map[string]any{ix + "-alias": map[string]any{}},
	}
	r := c.do("PUT", "/"+ix, body)
	c.ok(r, "create index")
	c.eq(get(r.Body, "acknowledged"), true, "acknowledged")
	c.eq(str(r.Body, "index"), ix, "index")
	dup := c.do("PUT", "/"+ix, nil)
	if c.esError(dup, 400, "resource_already_exists_exception", "", "duplicate index"); !strings.HasPrefix(str(dup.Body, "error.reason"), "index ["+ix+"/") || !strings.HasSuffix(str(dup.Body, "error.reason"), "] already exists") {
		t.Errorf("duplicate reason %q", str(dup.Body, "error.reason"))
	}
	for _, tc := range []struct{ name, reason string }{
		{"a%23b", "Invalid index name [a#b], must not contain '#'"},
		{"Upper", "Invalid index name [Upper], must be lowercase"},
		{"_under", "Invalid index name [_under], must not start with '_', '-', or '+'"},
		{"-dash", "Invalid index name [-dash], must not start with '_', '-', or '+'"},
		{"..", "Invalid index name [..], must not be '.' or '..'"},
		{"a*b", `Invalid index name [a*b], must not contain the following characters [' ','"','*',',','/','<','>','?','\','|']`},
	} {
		r := c.do("PUT", "/"+tc.name, nil)
		c.esError(r, 400, "invalid_index_name_exception", tc.reason, "create "+tc.name)
	}
	c.status(c.do("HEAD", "/"+ix, nil), 200, "HEAD existing index")
	c.status(c.do("HEAD", "/"+c.name("missing"), nil), 404, "HEAD missing index")
	g := c.do("GET", "/"+ix, nil)
	c.ok(g, "GET index")
	c.eq(str(g.Body, ix+".mappings.properties.title.type"), "keyword", "mapping stored")
	c.eq(str(getKeys(g.Body, ix, "settings", "index", "refresh_interval"), ""), "5s", "settings stored as strings")
	c.eq(str(getKeys(g.Body, ix, "settings", "index", "number_of_shards"), ""), "1", "number_of_shards")
	if getKeys(g.Body, ix, "aliases", ix+"-alias") == nil {
		t.Errorf("alias not stored: %s", g.Raw)
	}
	miss := c.do("GET", "/"+c.name("missing"), nil)
	c.esError(miss, 404, "index_not_found_exception", "no such index ["+c.name("missing")+"]", "GET missing index")
	c.eq(str(miss.Body, "error.index"), c.name("missing"), "error.index")
	iu := c.do("GET", "/"+c.name("missing")+"?ignore_unavailable=true", nil)
	c.status(iu, 200, "ignore_unavailable")
	c.eq(jsonString(iu.Body), "{}", "ignore_unavailable body")
	wc := c.do("GET", "/"+c.name("nomatch")+"*", nil)
	c.status(wc, 200, "wildcard without match")
	c.eq(jsonString(wc.Body), "{}", "wildcard without match body")
	dw := c.do("DELETE", "/"+c.prefix+"*", nil)
	c.esError(dw, 400, "illegal_argument_exception", "Wildcard expressions or all indices are not allowed", "wildcard delete")
	da := c.do("DELETE", "/"+ix+"-alias", nil)
	c.esError(da, 400, "illegal_argument_exception", "", "delete through alias")

	hid := c.name("hidden")
	defer c.cleanup("/" + hid)
	c.ok(c.do("PUT", "/"+hid, map[string]any{"settings": map[string]any{"index.hidden": true}}), "create hidden")
	all := c.do("GET", "/"+c.prefix+"*", nil)
	if getKeys(all.Body, hid) != nil {
		t.Errorf("hidden index matched a plain wildcard")
	}
	allh := c.do("GET", "/"+c.prefix+"*?expand_wildcards=all", nil)
	if getKeys(allh.Body, hid) == nil {
		t.Errorf("expand_wildcards=all did not include the hidden index: %s", allh.Raw)
	}
	st := c.do("GET", "/*/_stats", nil)
	c.ok(st, "GET /*/_stats")
	if getKeys(st.Body, "indices", ix, "primaries", "docs", "count") == nil {
		t.Errorf("_stats lacks indices.%s.primaries.docs.count", ix)
	}
	d := c.do("DELETE", "/"+ix, nil)
	c.ok(d, "delete index")
	c.eq(get(d.Body, "acknowledged"), true, "delete acknowledged")
	c.esError(c.do("DELETE", "/"+ix, nil), 404, "index_not_found_exception", "", "delete missing")
}

func testMappings(t *testing.T, c *client) {
	ix := c.name("dyn")
	defer c.cleanup("/" + ix)
	doc := `{"count":5,"ratio":1.5,"ok":true,"when":"2024-03-01T10:00:00Z","day":"2024-03-01","title":"Hello World","obj":{"inner":"x"},"list":[1,2],"none":null,"empty":[]}`
	c.ok(c.do("PUT", "/"+ix+"/_doc/1", doc), "auto-create by first write")
	m := c.do("GET", "/"+ix+"/_mapping", nil)
	p := getKeys(m.Body, ix, "mappings", "properties")
	for field, typ := range map[string]string{"count": "long", "ratio": "float", "ok": "boolean", "when": "date", "day": "date", "title": "text", "list": "long"} {
		c.eq(str(getKeys(p, field), "type"), typ, "dynamic type of "+field)
	}
	c.eq(str(getKeys(p, "title", "fields", "keyword"), "type"), "keyword", "title.keyword multi-field")
	c.eq(num(getKeys(p, "title", "fields", "keyword"), "ignore_above"), 256, "ignore_above")
	c.eq(str(getKeys(p, "obj", "properties", "inner"), "type"), "text", "object sub-field")
	if getKeys(p, "none") != nil || getKeys(p, "empty") != nil {
		t.Errorf("null and empty array must not create mappings: %s", m.Raw)
	}
	bad := c.do("PUT", "/"+ix+"/_doc/2", `{"count":"many"}`)
	wantType := "document_parsing_exception"
	if c.major < 8 || (c.major == 8 && c.minor < 8) {
		wantType = "mapper_parsing_exception"
	}
	c.esError(bad, 400, wantType, "", "long field given a word")
	if !strings.Contains(str(bad.Body, "error.reason"), "failed to parse field [count] of type [long] in document with id '2'. Preview of field's value: 'many'") {
		t.Errorf("mapping conflict reason: %s", str(bad.Body, "error.reason"))
	}
	c.eq(str(bad.Body, "error.caused_by.type"), "illegal_argument_exception", "caused_by.type")
	c.eq(str(bad.Body, "error.caused_by.reason"), `For input string: "many"`, "caused_by.reason")
	c.status(c.do("PUT", "/"+ix+"/_doc/3", `{"count":"12"}`), 201, "numeric string is coerced")
	bo := c.do("PUT", "/"+ix+"/_doc/4", `{"ok":"yes"}`)
	c.esError(bo, 400, wantType, "", "boolean given yes")
	c.eq(str(bo.Body, "error.caused_by.reason"), "Failed to parse value [yes] as only [true] or [false] are allowed.", "boolean cause")
	ob := c.do("PUT", "/"+ix+"/_doc/5", `{"obj":"flat"}`)
	c.esError(ob, 400, wantType, "", "object given a scalar")
	if !strings.Contains(str(ob.Body, "error.reason"), "object mapping for [obj] tried to parse field [obj] as object, but found a concrete value") {
		t.Errorf("object conflict reason: %s", str(ob.Body, "error.reason"))
	}

	st := c.name("strict")
	defer c.cleanup("/" + st)
	c.ok(c.do("PUT", "/"+st, map[string]any{"mappings": map[string]any{"dynamic": "strict", "properties": map[string]any{"a": map[string]any{"type": "keyword"}, "o": map[string]any{"properties": map[string]any{"x": map[string]any{"type": "long"}}}}}}), "strict index")
	sr := c.do("PUT", "/"+st+"/_doc/1", `{"a":"x","b":1}`)
	c.esError(sr, 400, "strict_dynamic_mapping_exception", "", "strict rejects unknown field")
	if !strings.HasSuffix(str(sr.Body, "error.reason"), "mapping set to strict, dynamic introduction of [b] within [_doc] is not allowed") {
		t.Errorf("strict reason: %s", str(sr.Body, "error.reason"))
	}
	sr = c.do("PUT", "/"+st+"/_doc/1", `{"o":{"y":1}}`)
	if !strings.HasSuffix(str(sr.Body, "error.reason"), "dynamic introduction of [y] within [o] is not allowed") {
		t.Errorf("nested strict reason: %s", sr.Raw)
	}
	c.status(c.do("PUT", "/"+st+"/_doc/1", `{"a":"x","o":{"x":2}}`), 201, "strict accepts mapped fields")

	df := c.name("dynfalse")
	defer c.cleanup("/" + df)
	c.ok(c.do("PUT", "/"+df, map[string]any{"mappings": map[string]any{"dynamic": false, "properties": map[string]any{"a": map[string]any{"type": "keyword"}}}}), "dynamic false index")
	c.status(c.do("PUT", "/"+df+"/_doc/1?refresh=true", `{"a":"x","free":"y"}`), 201, "dynamic false stores unknown fields")
	g := c.do("GET", "/"+df+"/_doc/1", nil)
	c.eq(str(g.Body, "_source.free"), "y", "unknown field kept in _source")
	s := c.do("POST", "/"+df+"/_search", map[string]any{"query": map[string]any{"term": map[string]any{"free": "y"}}})
	c.eq(num(s.Body, "hits.total.value"), 0, "unmapped field is not searchable")
	fm := c.do("GET", "/"+df+"/_mapping", nil)
	c.eq(str(getKeys(fm.Body, df, "mappings"), "dynamic"), "false", "dynamic rendered as a string")

	pm := c.do("PUT", "/"+df+"/_mapping", map[string]any{"properties": map[string]any{"b": map[string]any{"type": "long"}}})
	c.ok(pm, "put mapping adds a field")
	pc := c.do("PUT", "/"+df+"/_mapping", map[string]any{"properties": map[string]any{"a": map[string]any{"type": "long"}}})
	c.esError(pc, 400, "illegal_argument_exception", "mapper [a] cannot be changed from type [keyword] to [long]", "mapping type change")
	ut := c.do("PUT", "/"+c.name("badtype"), map[string]any{"mappings": map[string]any{"properties": map[string]any{"a": map[string]any{"type": "nope"}}}})
	c.esError(ut, 400, "mapper_parsing_exception", "Failed to parse mapping: The mapper type [nope] declared on field [a] does not exist. It might have been created within a future version or requires a plugin to be installed. Check the documentation.", "unknown field type")
}

func testDocuments(t *testing.T, c *client) {
	ix := c.name("docs")
	defer c.cleanup("/" + ix)
	r := c.do("PUT", "/"+ix+"/_doc/1", `{"a":1,"b":{"c":"x"}}`)
	c.status(r, 201, "index new doc")
	c.eq(str(r.Body, "result"), "created", "result")
	c.eq(num(r.Body, "_version"), 1, "_version")
	c.eq(num(r.Body, "_seq_no"), 0, "_seq_no")
	c.eq(num(r.Body, "_primary_term"), 1, "_primary_term")
	c.eq(num(r.Body, "_shards.successful"), 1, "_shards.successful")
	r = c.do("PUT", "/"+ix+"/_doc/1", `{"a":2}`)
	c.status(r, 200, "reindex existing doc")
	c.eq(str(r.Body, "result"), "updated", "result")
	c.eq(num(r.Body, "_version"), 2, "_version")
	c.eq(num(r.Body, "_seq_no"), 1, "_seq_no")
	g := c.do("GET", "/"+ix+"/_doc/1", nil)
	c.ok(g, "get")
	c.eq(get(g.Body, "found"), true, "found")
	c.eq(num(g.Body, "_seq_no"), 1, "get _seq_no")
	c.eq(num(g.Body, "_version"), 2, "get _version")
	c.eq(jsonString(get(g.Body, "_source")), `{"a":2}`, "_source replaced")
	c.status(c.do("HEAD", "/"+ix+"/_doc/1", nil), 200, "HEAD doc")
	c.status(c.do("HEAD", "/"+ix+"/_doc/nope", nil), 404, "HEAD missing doc")
	m := c.do("GET", "/"+ix+"/_doc/nope", nil)
	c.status(m, 404, "get missing doc")
	c.eq(get(m.Body, "found"), false, "found false")
	c.esError(c.do("GET", "/"+c.name("noindex")+"/_doc/1", nil), 404, "index_not_found_exception", "", "get from missing index")

	p := c.do("POST", "/"+ix+"/_doc", `{"auto":true}`)
	c.status(p, 201, "auto id")
	if len(str(p.Body, "_id")) < 10 {
		t.Errorf("auto id %q", str(p.Body, "_id"))
	}
	cr := c.do("PUT", "/"+ix+"/_doc/1?op_type=create", `{"a":3}`)
	c.esError(cr, 409, "version_conflict_engine_exception", "[1]: version conflict, document already exists (current version [2])", "op_type=create on existing")
	c.eq(str(cr.Body, "error.index"), ix, "conflict error.index")
	cr = c.do("PUT", "/"+ix+"/_create/1", `{"a":3}`)
	c.esError(cr, 409, "version_conflict_engine_exception", "[1]: version conflict, document already exists (current version [2])", "_create on existing")
	c.status(c.do("PUT", "/"+ix+"/_create/2", `{"a":3}`), 201, "_create new")

	cas := c.do("PUT", "/"+ix+"/_doc/1?if_seq_no=0&if_primary_term=1", `{"a":9}`)
	c.esError(cas, 409, "version_conflict_engine_exception", "[1]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]", "stale if_seq_no")
	cas = c.do("PUT", "/"+ix+"/_doc/1?if_seq_no=1&if_primary_term=1", `{"a":9}`)
	c.status(cas, 200, "matching if_seq_no")
	cas = c.do("PUT", "/"+ix+"/_doc/zz?if_seq_no=1&if_primary_term=1", `{"a":9}`)
	c.esError(cas, 409, "version_conflict_engine_exception", "[zz]: version conflict, required seqNo [1], primary term [1]. but no document was found", "if_seq_no on missing doc")

	c.ok(c.do("PUT", "/"+ix+"/_doc/u", `{"a":1,"o":{"x":1,"y":2},"arr":[1,2]}`), "seed update doc")
	u := c.do("POST", "/"+ix+"/_update/u", map[string]any{"doc": map[string]any{"o": map[string]any{"y": 3}, "arr": []int{9}, "n": nil}})
	c.status(u, 200, "partial update")
	c.eq(str(u.Body, "result"), "updated", "update result")
	g = c.do("GET", "/"+ix+"/_doc/u", nil)
	c.eq(jsonString(get(g.Body, "_source")), `{"a":1,"arr":[9],"n":null,"o":{"x":1,"y":3}}`, "objects merge, arrays replace, null stored")
	n := c.do("POST", "/"+ix+"/_update/u", map[string]any{"doc": map[string]any{"a": 1}})
	c.status(n, 200, "noop update")
	c.eq(str(n.Body, "result"), "noop", "noop result")
	c.eq(num(n.Body, "_version"), num(g.Body, "_version"), "noop keeps version")
	c.eq(num(n.Body, "_shards.total"), 0, "noop _shards.total")
	n = c.do("POST", "/"+ix+"/_update/u", map[string]any{"doc": map[string]any{"a": 1}, "detect_noop": false})
	c.eq(str(n.Body, "result"), "updated", "detect_noop=false")
	mu := c.do("POST", "/"+ix+"/_update/missing", map[string]any{"doc": map[string]any{"a": 1}})
	c.esError(mu, 404, "document_missing_exception", "[missing]: document missing", "update missing doc")
	up := c.do("POST", "/"+ix+"/_update/up1", map[string]any{"doc": map[string]any{"a": 1}, "doc_as_upsert": true})
	c.status(up, 201, "doc_as_upsert creates")
	c.eq(str(up.Body, "result"), "created", "doc_as_upsert result")
	up = c.do("POST", "/"+ix+"/_update/up2", map[string]any{"doc": map[string]any{"a": 1}, "upsert": map[string]any{"a": 0, "fresh": true}})
	c.status(up, 201, "upsert creates")
	g = c.do("GET", "/"+ix+"/_doc/up2", nil)
	c.eq(jsonString(get(g.Body, "_source")), `{"a":0,"fresh":true}`, "upsert body used")
	uc := c.do("POST", "/"+ix+"/_update/up2?if_seq_no=0&if_primary_term=1", map[string]any{"doc": map[string]any{"a": 5}})
	c.esError(uc, 409, "version_conflict_engine_exception", "", "update with stale if_seq_no")

	f := c.do("GET", "/"+ix+"/_doc/u?_source_includes=o.x,a", nil)
	c.eq(jsonString(get(f.Body, "_source")), `{"a":1,"o":{"x":1}}`, "_source_includes")
	f = c.do("GET", "/"+ix+"/_doc/u?_source_excludes=o", nil)
	c.eq(jsonString(get(f.Body, "_source")), `{"a":1,"arr":[9],"n":null}`, "_source_excludes")
	f = c.do("GET", "/"+ix+"/_doc/u?_source=false", nil)
	if has(f.Body, "_source") {
		t.Errorf("_source=false still returns _source")
	}
	src := c.do("GET", "/"+ix+"/_source/up2", nil)
	c.eq(jsonString(src.Body), `{"a":0,"fresh":true}`, "_source endpoint")

	mg := c.do("POST", "/_mget", map[string]any{"docs": []any{map[string]any{"_index": ix, "_id": "up2"}, map[string]any{"_index": ix, "_id": "nope"}}})
	c.ok(mg, "mget")
	c.eq(get(mg.Body, "docs.0.found"), true, "mget found")
	c.eq(get(mg.Body, "docs.1.found"), false, "mget missing")
	mg = c.do("POST", "/"+ix+"/_mget", map[string]any{"ids": []string{"up1", "up2"}})
	c.eq(len(list(mg.Body, "docs")), 2, "mget ids")

	d := c.do("DELETE", "/"+ix+"/_doc/up1", nil)
	c.status(d, 200, "delete doc")
	c.eq(str(d.Body, "result"), "deleted", "delete result")
	c.eq(num(d.Body, "_version"), 2, "delete bumps version")
	d = c.do("DELETE", "/"+ix+"/_doc/up1", nil)
	c.status(d, 404, "delete missing doc")
	c.eq(str(d.Body, "result"), "not_found", "not_found result")
	re := c.do("PUT", "/"+ix+"/_doc/up1", `{"again":true}`)
	c.eq(str(re.Body, "result"), "created", "recreate after delete")
	c.eq(num(re.Body, "_version"), 4, "version continues after delete")
}

func testNearRealTime(t *testing.T, c *client) {
	ix := c.name("nrt")
	defer c.cleanup("/" + ix)
	c.ok(c.do("PUT", "/"+ix, map[string]any{"settings": map[string]any{"index.refresh_interval": "-1"}}), "index without periodic refresh")
	count := func() int64 {
		return num(c.do("GET", "/"+ix+"/_count", nil).Body, "count")
	}
	hits := func() int64 {
		return num(c.do("POST", "/"+ix+"/_search", map[string]any{"query": map[string]any{"match_all": map[string]any{}}}).Body, "hits.total.value")
	}
	c.ok(c.do("PUT", "/"+ix+"/_doc/1", `{"a":1}`), "write")
	g := c.do("GET", "/"+ix+"/_doc/1", nil)
	c.eq(get(g.Body, "found"), true, "GET is realtime")
	c.eq(hits(), 0, "search before refresh")
	c.eq(count(), 0, "count before refresh")
	rf := c.do("POST", "/"+ix+"/_refresh", nil)
	c.ok(rf, "refresh")
	c.eq(hits(), 1, "search after refresh")
	c.ok(c.do("PUT", "/"+ix+"/_doc/2?refresh=true", `{"a":2}`), "refresh=true write")
	c.eq(count(), 2, "refresh=true makes the write searchable")
	w := c.do("PUT", "/"+ix+"/_doc/3?refresh=true", `{"a":3}`)
	c.eq(get(w.Body, "forced_refresh"), true, "forced_refresh")
	c.ok(c.do("DELETE", "/"+ix+"/_doc/1", nil), "delete without refresh")
	c.eq(count(), 3, "delete not visible before refresh")
	c.eq(get(c.do("GET", "/"+ix+"/_doc/1", nil).Body, "found"), false, "delete visible to GET at once")
	c.ok(c.do("POST", "/_refresh", nil), "global refresh")
	c.eq(count(), 2, "delete visible after refresh")

	c.ok(c.do("PUT", "/"+ix+"/_settings", map[string]any{"index": map[string]any{"refresh_interval": "200ms"}}), "enable periodic refresh")
	c.ok(c.do("PUT", "/"+ix+"/_doc/4", `{"a":4}`), "write with periodic refresh")
	deadline := time.Now().Add(10 * time.Second)
	for count() != 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	c.eq(count(), 3, "periodic refresh makes the write visible")
	wf := c.do("PUT", "/"+ix+"/_doc/5?refresh=wait_for", `{"a":5}`)
	c.status(wf, 201, "refresh=wait_for")
	c.eq(count(), 4, "wait_for returns once searchable")

	idle := c.name("idle")
	defer c.cleanup("/" + idle)
	c.ok(c.do("PUT", "/"+idle, map[string]any{"settings": map[string]any{"index.search.idle.after": "1s"}}), "search-idle index")
	time.Sleep(1500 * time.Millisecond)
	c.ok(c.do("PUT", "/"+idle+"/_doc/1", `{"a":1}`), "write to idle shard")
	r := c.do("GET", "/"+idle+"/_count", nil)
	c.eq(num(r.Body, "count"), 0, "a search on a search-idle shard does not wait for a refresh")
	deadline = time.Now().Add(10 * time.Second)
	for num(c.do("GET", "/"+idle+"/_count", nil).Body, "count") != 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	c.eq(num(c.do("GET", "/"+idle+"/_count", nil).Body, "count"), 1, "the search woke the shard: periodic refresh resumes")
}

func testBulk(t *testing.T, c *client) {
	ix := c.name("bulk")
	defer c.cleanup("/" + ix)
	body := strings.Join([]string{
		`{"index":{"_index":"` + ix + `","_id":"1"}}`, `{"a":1}`,
		`{"create":{"_index":"` + ix + `","_id":"1"}}`, `{"a":2}`,
		`{"update":{"_index":"` + ix + `","_id":"1"}}`, `{"doc":{"b":2}}`,
		`{"update":{"_index":"` + ix + `","_id":"1"}}`, `{"doc":{"b":2}}`,
		`{"update":{"_index":"` + ix + `","_id":"nope"}}`, `{"doc":{"b":2}}`,
		`{"delete":{"_index":"` + ix + `","_id":"nope"}}`,
		`{"index":{"_index":"` + ix + `","_id":"2"}}`, `{"a":"not a number"}`,
		`{"index":{"_id":"3"}}`, `{"a":3}`,
		`{"delete":{"_index":"` + ix + `","_id":"1"}}`,
	}, "\n") + "\n"
	r := c.do("POST", "/"+ix+"/_bulk?refresh=true", body)
	c.ok(r, "bulk")
	c.eq(get(r.Body, "errors"), true, "errors flag")
	items := list(r.Body, "items")
	if len(items) != 9 {
		t.Fatalf("bulk items: %d: %s", len(items), r.Raw)
	}
	type exp struct {
		op, result, errType string
		status              int
	}
	for i, e := range []exp{
		{"index", "created", "", 201},
		{"create", "", "version_conflict_engine_exception", 409},
		{"update", "updated", "", 200},
		{"update", "noop", "", 200},
		{"update", "", "document_missing_exception", 404},
		{"delete", "not_found", "", 404},
		{"index", "", "document_parsing_exception", 400},
		{"index", "created", "", 201},
		{"delete", "deleted", "", 200},
	} {
		it := getKeys(items[i], e.op)
		if it == nil {
			t.Errorf("item %d: no %q key: %s", i, e.op, jsonString(items[i]))
			continue
		}
		c.eq(num(it, "status"), e.status, fmt.Sprintf("item %d status", i))
		if e.result != "" {
			c.eq(str(it, "result"), e.result, fmt.Sprintf("item %d result", i))
		}
		if e.errType != "" {
			if e.errType == "document_parsing_exception" && (c.major < 8 || c.major == 8 && c.minor < 8) {
				e.errType = "mapper_parsing_exception"
			}
			c.eq(str(it, "error.type"), e.errType, fmt.Sprintf("item %d error.type", i))
		}
	}
	c.eq(str(getKeys(items[1], "create"), "error.reason"), "[1]: version conflict, document already exists (current version [1])", "bulk create conflict reason")
	c.eq(str(getKeys(items[0], "index"), "_index"), ix, "item _index")
	c.eq(num(c.do("GET", "/"+ix+"/_count", nil).Body, "count"), 1, "refresh=true on bulk")

	ok := c.do("POST", "/_bulk", `{"index":{"_index":"`+ix+`","_id":"9"}}`+"\n"+`{"a":9}`+"\n")
	c.eq(get(ok.Body, "errors"), false, "errors false")
	if !has(ok.Body, "took") {
		t.Errorf("bulk answer lacks took")
	}
	c.esError(c.do("POST", "/_bulk", `{"index":{"_index":"`+ix+`"}}`+"\n"+`{"a":1}`), 400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]", "missing final newline")
	c.esError(c.do("POST", "/_bulk", `{"explode":{"_index":"`+ix+`"}}`+"\n"+`{"a":1}`+"\n"), 400, "illegal_argument_exception", "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [explode]", "unknown bulk action")
	c.esError(c.do("POST", "/_bulk", `{"index":{"_index":"`+ix+`","foo":1}}`+"\n"+`{"a":1}`+"\n"), 400, "illegal_argument_exception", "Action/metadata line [1] contains an unknown parameter [foo]", "unknown metadata key")
	pr := c.do("POST", "/_bulk?pipeline="+c.name("nopipe"), `{"index":{"_index":"`+ix+`","_id":"p"}}`+"\n"+`{"a":1}`+"\n")
	c.ok(pr, "bulk with unknown pipeline")
	c.eq(get(pr.Body, "errors"), true, "unknown pipeline errors")
	c.eq(num(pr.Body, "items.0.index.status"), 400, "unknown pipeline item status")
	c.eq(str(pr.Body, "items.0.index.error.type"), "illegal_argument_exception", "unknown pipeline item type")
	c.eq(str(pr.Body, "items.0.index.error.reason"), "pipeline with id ["+c.name("nopipe")+"] does not exist", "unknown pipeline reason")
	mis := c.do("POST", "/_bulk", `{"index":{"_id":"x"}}`+"\n"+`{"a":1}`+"\n")
	c.esError(mis, 400, "action_request_validation_exception", "Validation Failed: 1: index is missing;", "bulk without index")
}

func testSearch(t *testing.T, c *client) {
	ix := c.name("search")
	defer c.cleanup("/" + ix)
	c.ok(c.do("PUT", "/"+ix, map[string]any{"mappings": map[string]any{"properties": map[string]any{
		"title": map[string]any{"type": "text"}, "tag": map[string]any{"type": "keyword"},
		"n": map[string]any{"type": "long"}, "at": map[string]any{"type": "date"}, "flag": map[string]any{"type": "boolean"},
	}}}), "search index")
	docs := []string{
		`{"title":"The quick brown fox","tag":"animal","n":1,"at":"2024-01-01T00:00:00Z","flag":true}`,
		`{"title":"Lazy dogs sleep","tag":"animal","n":2,"at":"2024-02-01T00:00:00Z","flag":false}`,
		`{"title":"Quick reports","tag":"doc","n":3,"at":"2024-03-01T00:00:00Z"}`,
		`{"title":"Nothing here","tag":"misc","n":4}`,
		`{"title":"Brown paper","tag":["doc","misc"]}`,
	}
	var bulk strings.Builder
	for i, d := range docs {
		fmt.Fprintf(&bulk, `{"index":{"_id":"d%d"}}`+"\n%s\n", i+1, d)
	}
	c.ok(c.do("POST", "/"+ix+"/_bulk?refresh=true", bulk.String()), "seed")
	search := func(q map[string]any) resp {
		return c.do("POST", "/"+ix+"/_search", q)
	}
	sorted := func(r resp) []string {
		s := ids(r)
		sort.Strings(s)
		return s
	}
	q := func(query map[string]any) map[string]any { return map[string]any{"query": query} }
	for _, tc := range []struct {
		name  string
		query map[string]any
		want  []string
	}{
		{"match_all", map[string]any{"match_all": map[string]any{}}, []string{"d1", "d2", "d3", "d4", "d5"}},
		{"match_none", map[string]any{"match_none": map[string]any{}}, nil},
		{"term keyword", map[string]any{"term": map[string]any{"tag": "animal"}}, []string{"d1", "d2"}},
		{"term keyword is exact", map[string]any{"term": map[string]any{"tag": "Animal"}}, nil},
		{"term keyword case_insensitive", map[string]any{"term": map[string]any{"tag": map[string]any{"value": "Animal", "case_insensitive": true}}}, []string{"d1", "d2"}},
		{"term on text sees tokens", map[string]any{"term": map[string]any{"title": "quick"}}, []string{"d1", "d3"}},
		{"term on text is not analysed", map[string]any{"term": map[string]any{"title": "Quick"}}, nil},
		{"term array field", map[string]any{"term": map[string]any{"tag": "misc"}}, []string{"d4", "d5"}},
		{"terms", map[string]any{"terms": map[string]any{"tag": []string{"doc", "misc"}}}, []string{"d3", "d4", "d5"}},
		{"ids", map[string]any{"ids": map[string]any{"values": []string{"d2", "d4", "zz"}}}, []string{"d2", "d4"}},
		{"term numeric", map[string]any{"term": map[string]any{"n": "3"}}, []string{"d3"}},
		{"term boolean", map[string]any{"term": map[string]any{"flag": false}}, []string{"d2"}},
		{"range numbers", map[string]any{"range": map[string]any{"n": map[string]any{"gt": 1, "lte": 3}}}, []string{"d2", "d3"}},
		{"range dates", map[string]any{"range": map[string]any{"at": map[string]any{"gte": "2024-02-01", "lt": "now"}}}, []string{"d2", "d3"}},
		{"range date math rounding", map[string]any{"range": map[string]any{"at": map[string]any{"lte": "2024-01-01||/M"}}}, []string{"d1"}},
		{"range keyword strings", map[string]any{"range": map[string]any{"tag": map[string]any{"gte": "b", "lt": "e"}}}, []string{"d3", "d5"}},
		{"exists", map[string]any{"exists": map[string]any{"field": "at"}}, []string{"d1", "d2", "d3"}},
		{"prefix", map[string]any{"prefix": map[string]any{"tag": "an"}}, []string{"d1", "d2"}},
		{"wildcard", map[string]any{"wildcard": map[string]any{"tag": map[string]any{"value": "m*c"}}}, []string{"d4", "d5"}},
		{"match or", map[string]any{"match": map[string]any{"title": "QUICK paper"}}, []string{"d1", "d3", "d5"}},
		{"match and", map[string]any{"match": map[string]any{"title": map[string]any{"query": "quick brown", "operator": "and"}}}, []string{"d1"}},
		{"bool", map[string]any{"bool": map[string]any{
			"filter":   []any{map[string]any{"term": map[string]any{"tag": "animal"}}},
			"must_not": []any{map[string]any{"term": map[string]any{"flag": true}}}}}, []string{"d2"}},
		{"bool should minimum_should_match", map[string]any{"bool": map[string]any{
			"should":               []any{map[string]any{"term": map[string]any{"tag": "doc"}}, map[string]any{"term": map[string]any{"tag": "misc"}}, map[string]any{"term": map[string]any{"n": 3}}},
			"minimum_should_match": 2}}, []string{"d3", "d5"}},
		{"bool should with filter is optional", map[string]any{"bool": map[string]any{
			"filter": []any{map[string]any{"term": map[string]any{"tag": "animal"}}},
			"should": []any{map[string]any{"term": map[string]any{"n": 99}}}}}, []string{"d1", "d2"}},
		{"unmapped field", map[string]any{"term": map[string]any{"nosuch": "x"}}, nil},
	} {
		r := search(q(tc.query))
		if r.Status != 200 {
			t.Errorf("%s: status %d: %s", tc.name, r.Status, r.Raw)
			continue
		}
		c.eq(strings.Join(sorted(r), ","), strings.Join(tc.want, ","), tc.name)
	}

	r := search(map[string]any{"sort": []any{map[string]any{"n": "desc"}}, "size": 10})
	c.eq(strings.Join(ids(r), ","), "d4,d3,d2,d1,d5", "sort desc, missing last")
	c.eq(jsonString(get(r.Body, "hits.hits.0.sort")), "[4]", "sort values")
	if get(r.Body, "hits.hits.0._score") != nil || get(r.Body, "hits.max_score") != nil {
		t.Errorf("field sort must give null _score and max_score: %s", r.Raw)
	}
	r = search(map[string]any{"sort": []any{map[string]any{"n": map[string]any{"order": "asc", "missing": "_first"}}}})
	c.eq(strings.Join(ids(r), ","), "d5,d1,d2,d3,d4", "missing _first")
	r = search(map[string]any{"sort": []any{"tag", map[string]any{"n": "desc"}}})
	c.eq(strings.Join(ids(r), ","), "d2,d1,d3,d5,d4", "multi-valued keyword sorts by min ascending")
	r = search(map[string]any{"sort": []any{map[string]any{"at": "asc"}}, "size": 1})
	c.eq(jsonString(get(r.Body, "hits.hits.0.sort")), "[1704067200000]", "date sort value is epoch millis")
	r = search(map[string]any{"sort": []any{"_doc"}, "from": 1, "size": 2})
	c.eq(len(ids(r)), 2, "from/size page")
	c.eq(num(r.Body, "hits.total.value"), 5, "total is all matches")
	r = search(map[string]any{"sort": []any{map[string]any{"n": "asc"}}, "size": 2, "search_after": []any{2}})
	c.eq(strings.Join(ids(r), ","), "d3,d4", "search_after")
	r = search(map[string]any{"track_total_hits": false})
	if has(r.Body, "hits.total") {
		t.Errorf("track_total_hits=false must omit hits.total")
	}
	r = search(map[string]any{"track_total_hits": 2})
	c.eq(num(r.Body, "hits.total.value"), 2, "track_total_hits threshold value")
	c.eq(str(r.Body, "hits.total.relation"), "gte", "track_total_hits threshold relation")
	r = search(map[string]any{"query": map[string]any{"ids": map[string]any{"values": []string{"d1"}}}, "_source": map[string]any{"includes": []string{"t*"}, "excludes": []string{"tag"}}})
	c.eq(jsonString(get(r.Body, "hits.hits.0._source")), `{"title":"The quick brown fox"}`, "_source includes/excludes with wildcards")
	r = search(map[string]any{"query": map[string]any{"ids": map[string]any{"values": []string{"d1"}}}, "_source": false, "seq_no_primary_term": true, "version": true})
	h := get(r.Body, "hits.hits.0")
	if has(h, "_source") || !has(h, "_seq_no") || !has(h, "_primary_term") || !has(h, "_version") {
		t.Errorf("hit fields: %s", jsonString(h))
	}
	r = search(map[string]any{"query": map[string]any{"match": map[string]any{"title": "quick"}}})
	if f, ok := get(r.Body, "hits.max_score").(interface{ String() string }); !ok || f.String() == "0" {
		t.Errorf("relevance search must report max_score: %s", r.Raw)
	}
	w := search(map[string]any{"from": 9995, "size": 10})
	c.esError(w, 400, "search_phase_execution_exception", "all shards failed", "result window")
	c.eq(str(w.Body, "error.root_cause.0.type"), "illegal_argument_exception", "window root cause")
	if !strings.HasPrefix(str(w.Body, "error.root_cause.0.reason"), "Result window is too large, from + size must be less than or equal to: [10000] but was [10005].") {
		t.Errorf("window reason: %s", str(w.Body, "error.root_cause.0.reason"))
	}
	ts := search(map[string]any{"sort": []any{"title"}})
	c.esError(ts, 400, "search_phase_execution_exception", "", "sort on text field")
	if !strings.HasPrefix(str(ts.Body, "error.root_cause.0.reason"), "Fielddata is disabled on [title] in ["+ix+"]") {
		t.Errorf("text sort reason: %s", ts.Raw)
	}
	us := search(map[string]any{"sort": []any{"nosuch"}})
	c.esError(us, 400, "search_phase_execution_exception", "", "sort on unmapped field")
	c.eq(str(us.Body, "error.root_cause.0.reason"), "No mapping found for [nosuch] in order to sort on", "unmapped sort reason")
	c.ok(search(map[string]any{"sort": []any{map[string]any{"nosuch": map[string]any{"unmapped_type": "long"}}}}), "unmapped_type")
	uq := search(q(map[string]any{"nosuchquery": map[string]any{}}))
	c.esError(uq, 400, "parsing_exception", "unknown query [nosuchquery]", "unknown query")
	uk := search(map[string]any{"nosuchkey": 1})
	c.esError(uk, 400, "parsing_exception", "Unknown key for a VALUE_NUMBER in [nosuchkey].", "unknown search key")
	cnt := c.do("POST", "/"+ix+"/_count", q(map[string]any{"term": map[string]any{"tag": "animal"}}))
	c.eq(num(cnt.Body, "count"), 2, "_count with query")
	g := c.do("GET", "/"+ix+"/_search?size=1&sort=n:desc", nil)
	c.eq(strings.Join(ids(g), ","), "d4", "URL size and sort")
	multi := c.do("POST", "/"+ix+","+c.name("nosuch")+"/_search", nil)
	c.esError(multi, 404, "index_not_found_exception", "", "comma list with a missing index")
	multi = c.do("POST", "/"+ix+","+c.name("nosuch")+"/_search?ignore_unavailable=true", nil)
	c.eq(num(multi.Body, "hits.total.value"), 5, "ignore_unavailable in a list")
	pat := c.do("POST", "/"+c.prefix+"sear*/_search", nil)
	c.eq(num(pat.Body, "hits.total.value"), 5, "wildcard pattern")
}

func testScrollAndPIT(t *testing.T, c *client) {
	ix := c.name("scroll")
	defer c.cleanup("/" + ix)
	var b strings.Builder
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&b, `{"index":{"_id":"%02d"}}`+"\n"+`{"i":%d}`+"\n", i, i)
	}
	c.ok(c.do("POST", "/"+ix+"/_bulk?refresh=true", b.String()), "seed")
	r := c.do("POST", "/"+ix+"/_search?scroll=1m", map[string]any{"sort": "_doc", "size": 10, "_source": []string{"i"}})
	c.ok(r, "open scroll")
	sid := str(r.Body, "_scroll_id")
	if sid == "" {
		t.Fatalf("no _scroll_id: %s", r.Raw)
	}
	seen := len(ids(r))
	c.eq(num(r.Body, "hits.total.value"), 25, "scroll total")
	c.ok(c.do("PUT", "/"+ix+"/_doc/99?refresh=true", `{"i":99}`), "write during scroll")
	for {
		n := c.do("POST", "/_search/scroll", map[string]any{"scroll": "1m", "scroll_id": sid})
		c.ok(n, "scroll page")
		page := len(ids(n))
		if page == 0 {
			break
		}
		seen += page
		sid = str(n.Body, "_scroll_id")
	}
	c.eq(seen, 25, "scroll sees the snapshot, not later writes")
	cl := c.do("DELETE", "/_search/scroll", map[string]any{"scroll_id": sid})
	c.ok(cl, "clear scroll")
	c.eq(get(cl.Body, "succeeded"), true, "clear succeeded")
	c.eq(num(cl.Body, "num_freed"), 1, "num_freed")
	gone := c.do("POST", "/_search/scroll", map[string]any{"scroll": "1m", "scroll_id": sid})
	c.status(gone, 404, "scroll after clear")
	c.eq(str(gone.Body, "error.root_cause.0.type"), "search_context_missing_exception", "missing scroll root cause")
	again := c.do("DELETE", "/_search/scroll", map[string]any{"scroll_id": sid})
	c.status(again, 404, "clearing a freed scroll")
	c.eq(num(again.Body, "num_freed"), 0, "nothing freed")

	p := c.do("POST", "/"+ix+"/_pit?keep_alive=1m", nil)
	c.ok(p, "open pit")
	pid := str(p.Body, "id")
	c.ok(c.do("PUT", "/"+ix+"/_doc/100?refresh=true", `{"i":100}`), "write after pit")
	s := c.do("POST", "/_search", map[string]any{"size": 10, "pit": map[string]any{"id": pid, "keep_alive": "1m"}, "sort": []any{map[string]any{"i": "asc"}}})
	c.ok(s, "search with pit")
	c.eq(num(s.Body, "hits.total.value"), 26, "pit snapshot")
	if str(s.Body, "pit_id") == "" {
		t.Errorf("pit search lacks pit_id")
	}
	hits := list(s.Body, "hits.hits")
	last := getKeys(hits[len(hits)-1], "sort")
	c.eq(len(last.([]any)), 2, "pit sort gets the _shard_doc tiebreaker")
	s2 := c.do("POST", "/_search", map[string]any{"size": 100, "pit": map[string]any{"id": pid}, "sort": []any{map[string]any{"i": "asc"}}, "search_after": last})
	c.eq(len(ids(s2)), 16, "search_after within pit")
	// Paging through a point in time, as the sync engine's scan does: every document once, in
	// order, whatever search ran on the same point in time before.
	pageAll := func(query map[string]any, order string) []string {
		var got []string
		var after any
		for range 30 {
			body := map[string]any{"size": 4, "pit": map[string]any{"id": pid}, "sort": []any{map[string]any{"i": order}}, "query": query}
			if after != nil {
				body["search_after"] = after
			}
			r := c.do("POST", "/_search", body)
			c.ok(r, "pit page")
			page := list(r.Body, "hits.hits")
			if len(page) == 0 {
				return got
			}
			got = append(got, ids(r)...)
			after = getKeys(page[len(page)-1], "sort")
		}
		t.Fatalf("paging did not end")
		return nil
	}
	all := pageAll(map[string]any{"match_all": map[string]any{}}, "desc")
	c.eq(strings.Join(all, ","), "99,24,23,22,21,20,19,18,17,16,15,14,13,12,11,10,09,08,07,06,05,04,03,02,01,00", "paging a pit by 4, descending")
	some := pageAll(map[string]any{"range": map[string]any{"i": map[string]any{"gte": 20}}}, "asc")
	c.eq(strings.Join(some, ","), "20,21,22,23,24,99", "paging another query on the same pit")
	wi := c.do("POST", "/"+ix+"/_search", map[string]any{"pit": map[string]any{"id": pid}})
	c.esError(wi, 400, "action_request_validation_exception", "", "pit with an index in the path")
	cp := c.do("DELETE", "/_pit", map[string]any{"id": pid})
	c.ok(cp, "close pit")
	c.eq(num(cp.Body, "num_freed"), 1, "pit freed")
	gp := c.do("POST", "/_search", map[string]any{"pit": map[string]any{"id": pid}})
	c.status(gp, 404, "search with a closed pit")
}

func testDeleteByQuery(t *testing.T, c *client) {
	ix := c.name("dbq")
	defer c.cleanup("/" + ix)
	c.ok(c.do("PUT", "/"+ix, map[string]any{"settings": map[string]any{"index.refresh_interval": "-1"}}), "index")
	c.ok(c.do("POST", "/"+ix+"/_bulk?refresh=true", `{"index":{"_id":"1"}}`+"\n"+`{"k":"a"}`+"\n"+`{"index":{"_id":"2"}}`+"\n"+`{"k":"a"}`+"\n"+`{"index":{"_id":"3"}}`+"\n"+`{"k":"b"}`+"\n"), "seed")
	c.ok(c.do("PUT", "/"+ix+"/_doc/4", `{"k":"a"}`), "unrefreshed doc")
	c.ok(c.do("PUT", "/"+ix+"/_doc/2", `{"k":"a","changed":true}`), "doc changed since the last refresh")
	r := c.do("POST", "/"+ix+"/_delete_by_query?conflicts=proceed&refresh=true", map[string]any{"query": map[string]any{"term": map[string]any{"k.keyword": "a"}}})
	c.ok(r, "delete by query")
	c.eq(num(r.Body, "deleted"), 1, "deleted")
	c.eq(num(r.Body, "version_conflicts"), 1, "version_conflicts")
	c.eq(num(r.Body, "total"), 2, "total from the refreshed view")
	c.eq(get(c.do("GET", "/"+ix+"/_doc/4", nil).Body, "found"), true, "unrefreshed doc survives")
	c.eq(get(c.do("GET", "/"+ix+"/_doc/1", nil).Body, "found"), false, "matching doc deleted")
	c.ok(c.do("PUT", "/"+ix+"/_doc/3", `{"k":"b","v":2}`), "change doc 3")
	ab := c.do("POST", "/"+ix+"/_delete_by_query", map[string]any{"query": map[string]any{"term": map[string]any{"k.keyword": "b"}}})
	c.status(ab, 409, "conflicts abort")
	c.eq(str(ab.Body, "failures.0.cause.type"), "version_conflict_engine_exception", "failure cause")
	c.ok(c.do("POST", "/"+ix+"/_refresh", nil), "refresh before match_all")
	all := c.do("POST", "/"+ix+"/_delete_by_query?refresh=true", map[string]any{"query": map[string]any{"match_all": map[string]any{}}})
	c.ok(all, "match_all delete")
	c.eq(num(c.do("GET", "/"+ix+"/_count", nil).Body, "count"), 0, "index empty")
	iu := c.do("POST", "/"+c.name("nosuch")+"/_delete_by_query?ignore_unavailable=true", map[string]any{"query": map[string]any{"match_all": map[string]any{}}})
	c.ok(iu, "ignore_unavailable delete by query")
}

func testAliases(t *testing.T, c *client) {
	ix := c.name("aliased")
	al := c.name("alias")
	defer c.cleanup("/" + ix)
	c.ok(c.do("PUT", "/"+ix, map[string]any{"aliases": map[string]any{al: map[string]any{}}}), "index with alias")
	w := c.do("PUT", "/"+al+"/_doc/1?refresh=true", `{"a":1}`)
	c.status(w, 201, "write through alias")
	c.eq(str(w.Body, "_index"), ix, "write resolves to the index")
	g := c.do("GET", "/"+al+"/_doc/1", nil)
	c.eq(str(g.Body, "_index"), ix, "read through alias")
	s := c.do("POST", "/"+al+"/_search", nil)
	c.eq(str(s.Body, "hits.hits.0._index"), ix, "search through alias")
	ga := c.do("GET", "/"+ix+"/_alias", nil)
	if getKeys(ga.Body, ix, "aliases", al) == nil {
		t.Errorf("GET _alias: %s", ga.Raw)
	}
	u := c.do("POST", "/"+al+"/_update/1", map[string]any{"doc": map[string]any{"b": 2}})
	c.status(u, 200, "update through alias")
	c.ok(c.do("POST", "/_aliases", map[string]any{"actions": []any{map[string]any{"remove": map[string]any{"index": ix, "alias": al}}}}), "remove alias")
	c.esError(c.do("GET", "/"+al+"/_doc/1", nil), 404, "index_not_found_exception", "", "removed alias")
}

func testIngest(t *testing.T, c *client) {
	pid := c.name("pipe")
	defer c.do("DELETE", "/_ingest/pipeline/"+pid, nil)
	ix := c.name("ingest")
	defer c.cleanup("/" + ix)
	def := map[string]any{"description": "conformance", "processors": []any{
		map[string]any{"set": map[string]any{"field": "added", "value": "{{src}}-x"}},
		map[string]any{"lowercase": map[string]any{"field": "name"}},
		map[string]any{"trim": map[string]any{"field": "pad"}},
		map[string]any{"gsub": map[string]any{"field": "dash", "pattern": "-", "replacement": "_"}},
		map[string]any{"rename": map[string]any{"field": "old", "target_field": "new", "ignore_missing": true}},
		map[string]any{"append": map[string]any{"field": "tags", "value": []string{"t2"}}},
		map[string]any{"remove": map[string]any{"field": "secret", "ignore_missing": true}},
		map[string]any{"rename": map[string]any{"field": "must_exist", "target_field": "x", "on_failure": []any{
			map[string]any{"set": map[string]any{"field": "failed", "value": "{{ _ingest.on_failure_message }}"}}}}},
	}}
	c.ok(c.do("PUT", "/_ingest/pipeline/"+pid, def), "put pipeline")
	gp := c.do("GET", "/_ingest/pipeline/"+pid, nil)
	c.eq(str(getKeys(gp.Body, pid), "description"), "conformance", "get pipeline")
	c.status(c.do("GET", "/_ingest/pipeline/"+c.name("none"), nil), 404, "missing pipeline")
	bad := c.do("PUT", "/_ingest/pipeline/"+c.name("bad"), map[string]any{"processors": []any{map[string]any{"nosuchproc": map[string]any{}}}})
	c.esError(bad, 400, "parse_exception", "No processor type exists with name [nosuchproc]", "unknown processor")
	miss := c.do("PUT", "/_ingest/pipeline/"+c.name("bad"), map[string]any{"processors": []any{map[string]any{"set": map[string]any{"value": 1}}}})
	c.esError(miss, 400, "parse_exception", "[field] required property is missing", "missing property")
	r := c.do("PUT", "/"+ix+"/_doc/1?pipeline="+pid, `{"src":"s","name":"MiXed","pad":"  p  ","dash":"a-b-c","old":1,"tags":["t1"],"secret":"x"}`)
	c.status(r, 201, "index through pipeline")
	g := c.do("GET", "/"+ix+"/_doc/1", nil)
	for k, v := range map[string]string{"added": "s-x", "name": "mixed", "pad": "p", "dash": "a_b_c", "failed": "field [must_exist] doesn't exist"} {
		c.eq(str(g.Body, "_source."+k), v, "pipeline "+k)
	}
	c.eq(jsonString(get(g.Body, "_source.tags")), `["t1","t2"]`, "append")
	c.eq(num(g.Body, "_source.new"), 1, "rename")
	if has(g.Body, "_source.secret") || has(g.Body, "_source.old") {
		t.Errorf("remove/rename left fields: %s", g.Raw)
	}
	up := c.do("PUT", "/"+ix+"/_doc/2?pipeline="+c.name("nonexistent"), `{"a":1}`)
	c.esError(up, 400, "illegal_argument_exception", "pipeline with id ["+c.name("nonexistent")+"] does not exist", "unknown pipeline on index")
	fail := c.do("PUT", "/"+ix+"/_doc/3?pipeline="+pid, `{"src":"s","name":5}`)
	c.status(fail, 400, "processor failure fails the write")

	dp := c.name("defpipe")
	c.ok(c.do("PUT", "/"+dp, map[string]any{"settings": map[string]any{"index.default_pipeline": pid}}), "index with default_pipeline")
	defer c.cleanup("/" + dp)
	c.ok(c.do("PUT", "/"+dp+"/_doc/1", `{"src":"d","name":"A","pad":"x","dash":"-"}`), "default pipeline runs")
	c.eq(str(c.do("GET", "/"+dp+"/_doc/1", nil).Body, "_source.added"), "d-x", "default pipeline applied")
	c.ok(c.do("PUT", "/"+dp+"/_doc/2?pipeline=_none", `{"src":"d"}`), "pipeline=_none")
	if has(c.do("GET", "/"+dp+"/_doc/2", nil).Body, "_source.added") {
		t.Errorf("pipeline=_none still ran the default pipeline")
	}

	sd := c.do("GET", "/_ingest/pipeline/search-default-ingestion", nil)
	c.ok(sd, "search-default-ingestion is preinstalled")
	ci := c.name("content")
	defer c.cleanup("/" + ci)
	att := base64.StdEncoding.EncodeToString([]byte("Hello \n\n   attached    world"))
	doc := fmt.Sprintf(`{"id":"1","_attachment":%q,"_extract_binary_content":true,"_reduce_whitespace":true,"_run_ml_inference":false}`, att)
	c.ok(c.do("PUT", "/"+ci+"/_doc/1?pipeline=search-default-ingestion", doc), "index through search-default-ingestion")
	sg := c.do("GET", "/"+ci+"/_doc/1", nil)
	c.eq(str(sg.Body, "_source.body"), "Hello attached world", "attachment text extracted and whitespace reduced")
	for _, f := range []string{"_attachment", "_extract_binary_content", "_reduce_whitespace", "_run_ml_inference", "_extracted_attachment"} {
		if has(sg.Body, "_source."+f) {
			t.Errorf("control field %s not removed: %s", f, sg.Raw)
		}
	}
	c.ok(c.do("PUT", "/"+ci+"/_doc/2?pipeline=search-default-ingestion", `{"body":"  keep   spacing  ","_extract_binary_content":false,"_reduce_whitespace":false}`), "no-op flags")
	c.eq(str(c.do("GET", "/"+ci+"/_doc/2", nil).Body, "_source.body"), "  keep   spacing  ", "flags off leave body alone")
	ub := c.do("POST", "/"+ci+"/_bulk?pipeline=search-default-ingestion&refresh=true",
		`{"update":{"_id":"3"}}`+"\n"+`{"doc":{"body":" a   b ","_reduce_whitespace":true,"_extract_binary_content":false},"doc_as_upsert":true}`+"\n")
	c.eq(get(ub.Body, "errors"), false, "doc_as_upsert update through a pipeline")
	ug := c.do("GET", "/"+ci+"/_doc/3", nil)
	c.eq(jsonString(get(ug.Body, "_source")), `{"body":"a b"}`, "the pipeline runs on a doc_as_upsert partial document")
	c.ok(c.do("DELETE", "/_ingest/pipeline/"+pid, nil), "delete pipeline")
	c.esError(c.do("DELETE", "/_ingest/pipeline/"+pid, nil), 404, "resource_not_found_exception", "pipeline ["+pid+"] is missing", "delete missing pipeline")
}

func testBuiltinTemplates(t *testing.T, c *client) {
	acl := ".search-acl-filter-" + c.name("content")
	defer c.cleanup("/" + acl)
	c.ok(c.do("PUT", "/"+acl+"/_doc/u1", `{"identity":{"email":"a@b"},"created_at":"2024-01-01T00:00:00Z"}`), "auto-create acl index")
	g := c.do("GET", "/"+acl, nil)
	c.eq(str(getKeys(g.Body, acl, "settings", "index", "hidden"), ""), "true", "acl index hidden")
	c.eq(str(getKeys(g.Body, acl, "mappings"), "dynamic"), "false", "acl index dynamic false")
	c.eq(str(getKeys(g.Body, acl, "mappings", "properties", "created_at"), "type"), "date", "acl created_at date")

	for _, tc := range []struct{ index, alias string }{
		{".elastic-connectors-v1", ".elastic-connectors"},
		{".elastic-connectors-sync-jobs-v1", ".elastic-connectors-sync-jobs"},
	} {
		if c.do("HEAD", "/"+tc.index, nil, header("X-elastic-product-origin", "connectors")).Status == 404 {
			r := c.do("PUT", "/"+tc.index, nil, header("X-elastic-product-origin", "connectors"))
			c.ok(r, "create "+tc.index+" with no body")
		}
		m := c.do("GET", "/"+tc.alias+"/_mapping", nil, header("X-elastic-product-origin", "connectors"))
		c.ok(m, "mapping through "+tc.alias)
		props := getKeys(m.Body, tc.index, "mappings", "properties")
		if props == nil {
			t.Errorf("%s has no mapping through %s: %s", tc.index, tc.alias, m.Raw)
			continue
		}
		if tc.index == ".elastic-connectors-v1" {
			c.eq(str(getKeys(props, "index_name"), "type"), "keyword", "index_name keyword")
			c.eq(str(getKeys(props, "description"), "type"), "text", "description text")
			c.eq(str(getKeys(props, "scheduling", "properties", "full", "properties", "interval"), "type"), "text", "interval text")
		} else {
			c.eq(str(getKeys(props, "job_type"), "type"), "keyword", "job_type keyword")
			c.eq(str(getKeys(props, "created_at"), "type"), "date", "created_at date")
		}
		s := c.do("GET", "/"+tc.index+"/_settings", nil, header("X-elastic-product-origin", "connectors"))
		c.eq(str(getKeys(s.Body, tc.index, "settings", "index", "hidden"), ""), "true", tc.index+" hidden")
	}
}
