package conformance

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// testMediaTypeRules pins down how Elasticsearch reads Content-Type and
// Accept, measured over a grid of 240 combinations on a 9.5.3 node: a
// header that is not a media type is refused whatever the body; Accept's
// compatible-with version is always checked, Content-Type's only when a
// body comes with it; with a body both must carry the same version and the
// body's type must be one Elasticsearch reads (else 406); an Accept that
// lists several types is not parsed at all; the answer takes Accept's
// type when it names one, else the body's, and repeats only Accept's
// version.
func testMediaTypeRules(t *testing.T, c *client) {
	ix := c.name("mediarules")
	defer c.cleanup("/" + ix)
	c.ok(c.do("PUT", "/"+ix, nil), "create")
	cur, prev := c.major, c.major-1
	vnd := func(v int) string { return fmt.Sprintf("application/vnd.elasticsearch+json; compatible-with=%d", v) }
	const plainVnd = "application/vnd.elasticsearch+json"
	answer := func(v int) string { return fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", v) }
	for _, tc := range []struct {
		name          string
		body          string
		contentType   string
		accept        string
		status        int
		answerType    string // "" when the case does not say
		errorType     string
		reasonContain string
	}{
		{"bodiless octet-stream (elasticsearch-py)", "", "application/octet-stream", vnd(cur), 200, answer(cur), "", ""},
		{"bodiless text/plain", "", "text/plain", "", 200, "application/json", "", ""},
		{"bodiless form type", "", "application/x-www-form-urlencoded", "", 200, "application/json", "", ""},
		{"bodiless vendor type without version", "", plainVnd, "", 200, plainVnd, "", ""},
		{"bodiless Content-Type version is not checked", "", vnd(cur - 2), "", 200, plainVnd, "", ""},
		{"bodiless Content-Type version needs no Accept", "", vnd(prev), "application/json", 200, "application/json", "", ""},
		{"bodiless Accept version is checked", "", "", vnd(cur - 2), 400, "application/json", "media_type_header_exception",
			fmt.Sprintf("Accept version must be either version %d or %d, but found %d.", cur, prev, cur-2)},
		{"Content-Type that is not a media type, without body", "", "garbage", "", 400, "", "media_type_header_exception", ""},
		{"Accept that is not a media type", "", "", "garbage", 400, "", "media_type_header_exception", ""},
		{"Accept list is not parsed", "", "", vnd(cur) + ", */*", 200, "application/json", "", ""},
		{"Accept list falls back to the body's type", "", vnd(cur), "application/json, text/plain, */*", 200, plainVnd, "", ""},
		{"Accept vendor x-ndjson answers vendor json", "", "", "application/vnd.elasticsearch+x-ndjson; compatible-with=" + fmt.Sprint(cur), 200, answer(cur), "", ""},
		{"Accept other parameters are echoed", "", "", vnd(cur) + "; charset=utf-8", 200, answer(cur) + ";charset=utf-8", "", ""},
		{"Accept unknown type answers JSON", "", "", "text/plain", 200, "application/json", "", ""},
		{"body with octet-stream", "{}", "application/octet-stream", "", 406, "application/json", "", ""},
		{"body without Content-Type", "{}", "", "", 406, "application/json", "", ""},
		{"body with vendor type without version", "{}", plainVnd, "", 200, plainVnd, "", ""},
		{"body with charset", "{}", "application/json; charset=UTF-8", "", 200, "application/json", "", ""},
		{"body with versions on both", "{}", vnd(prev), vnd(prev), 200, answer(prev), "", ""},
		{"body with version on Content-Type only", "{}", vnd(cur), "", 400, "application/json", "media_type_header_exception",
			"A compatible version is required on both Content-Type and Accept headers"},
		{"body with version on Accept only", "{}", "application/json", vnd(cur), 400, "application/json", "media_type_header_exception",
			"A compatible version is required on both Content-Type and Accept headers"},
		{"body with different versions", "{}", vnd(prev), vnd(cur), 400, "application/json", "media_type_header_exception",
			"the compatible versions must match"},
		{"body with octet-stream and a vendor Accept", "{}", "application/octet-stream", vnd(cur), 400, "application/json", "media_type_header_exception", ""},
		{"body with an unsupported Content-Type version", "{}", vnd(cur - 2), vnd(cur - 2), 400, "application/json", "media_type_header_exception", ""},
		{"empty Accept header", "", "", emptyValue, 400, "application/json", "media_type_header_exception", "Header [Accept] cannot be empty."},
		{"empty Content-Type header", "", emptyValue, "", 400, "application/json", "media_type_header_exception", "Header [Content-Type] cannot be empty."},
		{"empty headers: Accept reported first", "{}", emptyValue, emptyValue, 400, "application/json", "media_type_header_exception", "Header [Accept] cannot be empty."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": tc.contentType, "Accept": tc.accept}
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := c.raw("POST", "/"+ix+"/_count", body, h, false)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if tc.answerType != "" && !sameMediaType(r.Header.Get("Content-Type"), tc.answerType) {
				t.Errorf("answer Content-Type %q, want %q", r.Header.Get("Content-Type"), tc.answerType)
			}
			if tc.errorType != "" && str(r.Body, "error.type") != tc.errorType {
				t.Errorf("error type %q, want %q: %s", str(r.Body, "error.type"), tc.errorType, r.Raw)
			}
			if tc.reasonContain != "" && !strings.Contains(string(r.Raw), tc.reasonContain) {
				t.Errorf("answer lacks %q: %s", tc.reasonContain, r.Raw)
			}
			if tc.status == 406 && str(r.Body, "error") != "Content-Type header ["+tc.contentType+"] is not supported" {
				t.Errorf("406 body %s", r.Raw)
			}
		})
	}
}

// clientProfile is the header shape one real client gives its requests.
type clientProfile struct {
	name string
	// headers for a request with a JSON body, an NDJSON body, or none.
	headers func(method string, body string) map[string]string
	// answerType is the Content-Type every answer must have ("" skips).
	answerType func(hasBody bool) string
	// chunkedEmpty sends bodiless requests with an empty chunked body.
	chunkedEmpty bool
}

func clientProfiles(major int) []clientProfile {
	vnd := func(v int) string { return fmt.Sprintf("application/vnd.elasticsearch+json; compatible-with=%d", v) }
	vndND := func(v int) string {
		return fmt.Sprintf("application/vnd.elasticsearch+x-ndjson; compatible-with=%d", v)
	}
	answer := func(v int) string { return fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", v) }
	return []clientProfile{
		{
			// The original connector service: elasticsearch-py 8.18 on
			// elastic-transport's aiohttp node, as captured from its own
			// traffic. Bodiless PUT and POST carry aiohttp's
			// application/octet-stream with Content-Length: 0.
			name: "elasticsearch-py 8.18 (aiohttp), the original connector service",
			headers: func(method, body string) map[string]string {
				h := map[string]string{
					"Accept":                   vnd(8),
					"User-Agent":               "elastic-connectors-9.5.2/service",
					"X-Elastic-Client-Meta":    "es=8.18.0,py=3.11.7,t=8.17.1,ai=3.14.3",
					"X-Elastic-Product-Origin": "connectors",
				}
				switch {
				case strings.HasSuffix(body, "\n"):
					h["Content-Type"] = vndND(8)
				case body != "":
					h["Content-Type"] = vnd(8)
				case method == "PUT" || method == "POST":
					h["Content-Type"] = "application/octet-stream"
				}
				return h
			},
			answerType: func(bool) string { return answer(8) },
		},
		{
			// Kibana: elasticsearch-js on @elastic/transport, whose bodiless
			// requests send the vendor type as Content-Type and a list
			// (vendor type, text/plain) as Accept, which Elasticsearch does
			// not parse, so the answer takes the Content-Type's type.
			name: "Kibana (elasticsearch-js)",
			headers: func(method, body string) map[string]string {
				h := map[string]string{
					"User-Agent":               fmt.Sprintf("Kibana/%d.0.0", major),
					"X-Elastic-Client-Meta":    fmt.Sprintf("es=%d.0.0,js=22.17.0,t=%d.0.0,hc=22.17.0", major, major),
					"X-Elastic-Product-Origin": "kibana",
					"X-Opaque-Id":              "conformance-kibana",
				}
				switch {
				case strings.HasSuffix(body, "\n"):
					h["Content-Type"], h["Accept"] = vndND(major), vnd(major)
				case body != "":
					h["Content-Type"], h["Accept"] = vnd(major), vnd(major)
				default:
					h["Content-Type"], h["Accept"] = vnd(major), vnd(major)+",text/plain"
				}
				return h
			},
			answerType: func(hasBody bool) string {
				if hasBody {
					return answer(major)
				}
				return "application/vnd.elasticsearch+json"
			},
		},
		{
			// Kibana's Dev Tools console proxy forwards bodiless requests as
			// application/json with an empty chunked body.
			name: "Kibana console proxy",
			headers: func(method, body string) map[string]string {
				h := map[string]string{"X-Elastic-Product-Origin": "kibana", "Content-Type": "application/json"}
				if strings.HasSuffix(body, "\n") {
					h["Content-Type"] = "application/x-ndjson"
				}
				return h
			},
			answerType:   func(bool) string { return "application/json" },
			chunkedEmpty: true,
		},
		{
			// go-elasticsearch's esapi (what this service uses): JSON or
			// NDJSON content types, no Accept.
			name: "go-elasticsearch",
			headers: func(method, body string) map[string]string {
				h := map[string]string{
					"User-Agent":            "go-elasticsearch/9.5.2 (linux amd64; Go 1.26)",
					"X-Elastic-Client-Meta": "es=9.5.2,go=1.26.8,t=8.11.0,hc=1.26.8",
				}
				switch {
				case strings.HasSuffix(body, "\n"):
					h["Content-Type"] = "application/x-ndjson"
				case body != "":
					h["Content-Type"] = "application/json"
				}
				return h
			},
			answerType: func(bool) string { return "application/json" },
		},
		{
			// go-elasticsearch in compatibility mode sets the vendor JSON type
			// on every request with a body, _bulk included.
			name: "go-elasticsearch compatibility mode",
			headers: func(method, body string) map[string]string {
				h := map[string]string{"Accept": strings.ReplaceAll(vnd(major), " ", "")}
				if body != "" {
					h["Content-Type"] = strings.ReplaceAll(vnd(major), " ", "")
				}
				return h
			},
			answerType: func(bool) string { return answer(major) },
		},
	}
}

// testClientShapes replays, for each client, the calls a connector
// service and its users make, with that client's headers.
func testClientShapes(t *testing.T, c *client) {
	for _, p := range clientProfiles(c.major) {
		t.Run(p.name, func(t *testing.T) {
			ix := c.name("client")
			defer c.cleanup("/" + ix)
			step := func(method, path, body string, want int) resp {
				t.Helper()
				var b []byte
				if body != "" {
					b = []byte(body)
				}
				r := c.raw(method, path, b, p.headers(method, body), body == "" && p.chunkedEmpty && method != "HEAD")
				if r.Status != want {
					t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
				}
				if wantCT := p.answerType(body != ""); wantCT != "" && len(r.Raw) > 0 && r.Header.Get("Content-Type") != wantCT {
					t.Errorf("%s %s: answer Content-Type %q, want %q", method, path, r.Header.Get("Content-Type"), wantCT)
				}
				return r
			}
			step("GET", "/", "", 200)
			step("HEAD", "/"+ix, "", 404)
			step("PUT", "/"+ix, "", 200)
			step("PUT", "/"+ix+"/_doc/1", `{"title":"hello world","n":1}`, 201)
			bulk := fmt.Sprintf(`{"index":{"_index":%q,"_id":"2"}}`+"\n"+`{"title":"hello again","n":2}`+"\n", ix)
			if r := step("PUT", "/_bulk", bulk, 200); get(r.Body, "errors") != false {
				t.Fatalf("bulk errors: %s", r.Raw)
			}
			step("POST", "/"+ix+"/_refresh", "", 200)
			if r := step("POST", "/"+ix+"/_count", "", 200); num(r.Body, "count") != 2 {
				t.Errorf("count: %s", r.Raw)
			}
			if r := step("POST", "/"+ix+"/_search?q=title:again", "", 200); len(ids(r)) != 1 {
				t.Errorf("q= search: %s", r.Raw)
			}
			r := step("POST", "/"+ix+"/_search?expand_wildcards=hidden", `{"query":{"term":{"n":1}},"seq_no_primary_term":true,"size":100}`, 200)
			if len(ids(r)) != 1 || !has(get(r.Body, "hits.hits.0"), "_seq_no") {
				t.Fatalf("search: %s", r.Raw)
			}
			step("POST", "/"+ix+"/_update/1?if_seq_no="+fmt.Sprint(num(r.Body, "hits.hits.0._seq_no"))+"&if_primary_term=1", `{"doc":{"n":10}}`, 200)
			sc := step("POST", "/"+ix+"/_search?scroll=1m", `{"size":1,"sort":"_doc","_source":["title"]}`, 200)
			id := str(sc.Body, "_scroll_id")
			step("POST", "/_search/scroll", fmt.Sprintf(`{"scroll":"1m","scroll_id":%q}`, id), 200)
			step("DELETE", "/_search/scroll", fmt.Sprintf(`{"scroll_id":%q}`, id), 200)
			step("GET", "/"+ix+"/_doc/1", "", 200)
			step("DELETE", "/"+ix+"/_doc/2", "", 200)
			step("DELETE", "/"+ix, "", 200)
		})
	}
}

// sameMediaType compares media types with their parameters in any order:
// 9.5.3 repeats compatible-with first, 8.19.21 does not.
func sameMediaType(a, b string) bool {
	norm := func(s string) string {
		parts := strings.Split(s, ";")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		sort.Strings(parts[1:])
		return strings.Join(parts, ";")
	}
	return norm(a) == norm(b)
}
