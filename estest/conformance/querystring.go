package conformance

import (
	"net/url"
	"sort"
	"strings"
	"testing"
)

// testQueryString checks the Lucene query syntax of the q= parameter (and
// the query_string query that shares it) against documents mapped by
// dynamic mapping, the way `connectors dev` users search their first sync.
// Every expectation was measured on a real 9.5.3 node.
func testQueryString(t *testing.T, c *client) {
	ix := c.name("qs")
	defer c.cleanup("/" + ix)
	docs := []string{
		`{"title":"Hello World","body":"the quick brown fox","tags":["a","b"],"count":5,"price":9.5,"date":"2024-01-15T10:00:00Z","flag":true,"path":"/tmp/p1.html"}`,
		`{"title":"Goodbye world","body":"lazy dog jumps","tags":["b"],"count":10,"price":1.25,"date":"2024-02-01","flag":false,"path":"/tmp/p2.html"}`,
		`{"title":"hello again","body":"quick quick fox","count":0,"date":"2023-12-31T23:00:00Z","path":"/x/y/readme.txt","code":"ABC-123"}`,
		`{"title":"Ünïcode ÇASE","body":"Brown bear","tags":["c"],"count":-3,"flag":true,"empty":""}`,
		`{"other":"no title here","count":7}`,
	}
	for i, d := range docs {
		c.ok(c.do("PUT", "/"+ix+"/_doc/"+string(rune('1'+i)), d), "seed")
	}
	c.ok(c.do("POST", "/"+ix+"/_refresh", nil), "refresh")
	sortedIDs := func(r resp) string {
		s := ids(r)
		sort.Strings(s)
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		q          string
		params     string // extra URL parameters
		want       string // sorted ids
		parseError bool
		errReason  string // root cause reason, when the search fails otherwise
	}{
		{q: "hello", want: "1 3"},
		{q: "Hello", want: "1 3"},
		{q: "title:hello", want: "1 3"},
		{q: "title:Hello", want: "1 3"},
		{q: "title.keyword:Hello", want: ""},
		{q: "title.keyword:\"Hello World\"", want: "1"},
		{q: "title:\"hello world\"", want: "1"},
		{q: "title:\"world hello\"", want: ""},
		{q: "body:qu*", want: "1 3"},
		{q: "body:QU*", want: "1 3"},
		{q: "body:*ick", want: "1 3"},
		{q: "body:q?ick", want: "1 3"},
		{q: "title:*", want: "1 2 3 4"},
		{q: "other:*", want: "5"},
		{q: "missing:*", want: ""},
		{q: "_exists_:tags", want: "1 2 4"},
		{q: "NOT title:hello", want: "2 4 5"},
		{q: "-title:hello", want: "2 4 5"},
		{q: "title:hello AND body:fox", want: "1 3"},
		{q: "title:hello OR body:dog", want: "1 2 3"},
		{q: "title:hello && body:fox", want: "1 3"},
		{q: "title:(hello goodbye)", want: "1 2 3"},
		{q: "+title:hello -body:fox", want: ""},
		{q: "count:5", want: "1"},
		{q: "count:[1 TO 5]", want: "1"},
		{q: "count:{0 TO 5}", want: ""},
		{q: "count:[5 TO *]", want: "1 2 5"},
		{q: "count:>5", want: "2 5"},
		{q: "count:>=5", want: "1 2 5"},
		{q: "count:<0", want: "4"},
		{q: "price:>2", want: "1"},
		{q: "date:2024-01-15", want: "1"},
		{q: "date:[2024-01-01 TO 2024-01-31]", want: "1"},
		{q: "date:>2024-01-20", want: "2"},
		{q: "flag:true", want: "1 4"},
		{q: "tags:b", want: "1 2"},
		{q: "tags:B", want: "1 2"},
		{q: "count:abc", want: ""},
		{q: "5", want: "1"},
		{q: "fox", want: "1 3"},
		{q: "brown", want: "1 4"},
		{q: "\"quick fox\"", want: "3"},
		{q: "quick fox", want: "1 3"},
		{q: "quick AND fox", want: "1 3"},
		{q: "quick -fox", want: ""},
		{q: "(quick OR lazy) AND NOT dog", want: "1 3"},
		{q: "title:hello^2 OR body:dog", want: "1 2 3"},
		{q: "/qu.ck/", want: "1 3"},
		{q: "body:/qu.ck/", want: "1 3"},
		{q: "fox~", want: "1 3"},
		{q: "foxx~", want: "1 3"},
		{q: "path:p1.html", want: "1 2"},
		{q: "path:\"/tmp/p1.html\"", want: "1"},
		{q: "path:\\/tmp\\/p1.html", want: "1 2"},
		{q: "code:ABC-123", want: "3"},
		{q: "code:abc-123", want: "3"},
		{q: "ABC-123", want: "3"},
		{q: "\u00dcn\u00efcode", want: "4"},
		{q: "\u00fcn\u00efcode", want: "4"},
		{q: "\u00e7ase", want: "4"},
		{q: "*", want: "1 2 3 4 5"},
		{q: "*:*", want: "1 2 3 4 5"},
		{q: "title:hello AND", parseError: true},
		{q: "AND", parseError: true},
		{q: "\"unterminated", parseError: true},
		{q: "title:[1 TO", parseError: true},
		{q: "count:5 title:hello", want: "1 3"},
		{q: "empty:\"\"", want: ""},
		{q: "world", want: "1 2"},
		{q: "quick AND fox OR dog", want: "1 3"},
		{q: "quick OR fox AND dog", want: ""},
		{q: "a AND b AND NOT c", want: "1"},
		{q: "NOT quick NOT dog", want: "4 5"},
		{q: "title:hello -title:again", want: "1"},
		{q: "tags:a tags:c", want: "1 4"},
		{q: "t*:hello", parseError: true},
		{q: "title:hel*o", want: "1 3"},
		{q: "body:\"quick fox\"~2", want: "1 3"},
		{q: "count:[* TO 0]", want: "3 4"},
		{q: "date:2024-01", want: ""},
		{q: "tags:(a OR c)", want: "1 4"},
		{q: "title:(+hello -again)", want: "1"},
		{q: "fxxx~", want: ""},
		{q: "fxxx~2", want: "1 3"},
		{q: "body:/QU.CK/", want: ""},
		{q: "title:(-again)", want: "1 2 4 5"},
		{q: "title:(hello -again)", want: "1"},
		{q: "count:\"5\"", want: "1"},
		{q: "title:\"Hello\"", want: "1 3"},
		{q: "title.keyword:hello*", want: "3"},
		{q: "title.keyword:Hello*", want: "1"},
		{q: "tags:(a AND b)", want: "1"},
		{q: "body:(quick AND -fox)", want: ""},
		{q: "!quick", want: "2 4 5"},
		{q: "quick || dog", want: "1 2 3"},
		{q: "body:quick^2", want: "1 3"},
		{q: "title:hello~", want: "1 3"},
		{q: "\"fox quick\"~2", want: "3"},
		{q: "\"fox quick\"~1", want: ""},
		{q: "count:[5 TO 10}", want: "1 5"},
		{q: "date:[2024-01-15 TO 2024-01-15]", want: "1"},
		{q: "date:<=2024-01-15", want: "1 3"},
		{q: "date:<2024-01-15", want: "3"},
		{q: "date:>=2024-01", want: "1 2"},
		{q: "price:9.5", want: "1"},
		{q: "count:5.5", want: ""},
		{q: "\\*", want: ""},
		{q: "quick\\ fox", want: "1 3"},
		{q: "title:hello\\ world", want: "1 2 3"},
		{q: "field\\:x:1", want: ""},
		{q: "count:>=", want: ""},
		{q: "title:", parseError: true},
		{q: ":", parseError: true},
		{q: "()", parseError: true},
		{q: "title:()", parseError: true},
		{q: "hello^", parseError: true},
		{q: "hello^abc", parseError: true},
		{q: "title:[a TO h]", want: "2 3"},
		{q: "title.keyword:[A TO H]", want: "2"},
		{q: "count:[1 TO 5", parseError: true},
		{q: "[1 TO 5]", want: "1 2 3"},
		{q: "NOT", parseError: true},
		{q: "-", parseError: true},
		{q: "+hello", want: "1 3"},
		{q: "hello +", parseError: true},
		{q: "a OR OR b", parseError: true},
		{q: "count:-3", parseError: true},
		{q: "count:\\-3", want: "4"},
		{q: "title:hello AND (body:fox OR body:dog) NOT count:0", want: "1"},
		{q: "(title:hello)^3", want: "1 3"},
		{q: "title:hello^0.5", want: "1 3"},
		{q: "date:[now-10y TO now]", want: "1 2 3"},
		{q: "date:{* TO 2024-01-01}", want: "3"},
		{q: "_exists_:empty", want: "4"},
		{q: "_exists_:nope", want: ""},
		{q: "other:here", want: "5"},
		{q: "\"no title\"", want: "5"},
		{q: "no AND title AND here", want: "5"},
		{q: "title:hello OR -title:again", want: "1"},
		{q: "*:hello", want: "1 3"},
		{q: "*ck", want: "1 3"},
		{q: "?uick", want: "1 3"},
		{q: "qu?ck*", want: "1 3"},
		{q: "hello", params: "&df=body", want: ""},
		{q: "quick fox", params: "&default_operator=AND", want: "1 3"},
		{q: "path:p1.html", params: "&default_operator=AND", want: "1"},
		{q: "count:abc", params: "&df=body", errReason: `failed to create query: For input string: "abc"`},
		{q: "count:abc", params: "&lenient=false", errReason: `failed to create query: For input string: "abc"`},
		{q: "count:abc", params: "&df=title&lenient=true", want: ""},
		{q: "hello", params: "&df=title.keyword", want: ""},
		{q: "Hello*", params: "&df=title.keyword", want: "1"},
	} {
		t.Run(tc.q+tc.params, func(t *testing.T) {
			r := c.do("GET", "/"+ix+"/_search?size=20&q="+url.QueryEscape(tc.q)+tc.params, nil)
			switch {
			case tc.parseError:
				c.esError(r, 400, "search_phase_execution_exception", "all shards failed", "query "+tc.q)
				c.eq(str(r.Body, "error.root_cause.0.type"), "query_shard_exception", "root cause type")
				c.eq(str(r.Body, "error.root_cause.0.reason"), "Failed to parse query ["+tc.q+"]", "root cause reason")
			case tc.errReason != "":
				c.esError(r, 400, "search_phase_execution_exception", "all shards failed", "query "+tc.q)
				c.eq(str(r.Body, "error.root_cause.0.reason"), tc.errReason, "root cause reason")
			default:
				c.status(r, 200, "query "+tc.q)
				if got := sortedIDs(r); got != tc.want {
					t.Errorf("q=%s%s matched [%s], want [%s]", tc.q, tc.params, got, tc.want)
				}
			}
		})
	}
	t.Run("q= wins over a query in the body", func(t *testing.T) {
		r := c.do("POST", "/"+ix+"/_search?q=title:again", map[string]any{"query": map[string]any{"match_all": map[string]any{}}})
		c.eq(sortedIDs(r), "3", "hits")
	})
	t.Run("_count", func(t *testing.T) {
		r := c.do("GET", "/"+ix+"/_count?q=hello", nil)
		c.eq(num(r.Body, "count"), 2, "count")
	})
	t.Run("query_string query", func(t *testing.T) {
		for _, tc := range []struct {
			body map[string]any
			want string
		}{
			{map[string]any{"query": "hello", "fields": []any{"title", "body"}}, "1 3"},
			{map[string]any{"query": "quick fox", "default_field": "body", "default_operator": "AND"}, "1 3"},
			{map[string]any{"query": "count:abc"}, ""},
			{map[string]any{"query": "NOT title:hello"}, "2 4 5"},
		} {
			r := c.do("POST", "/"+ix+"/_search?size=20", map[string]any{"query": map[string]any{"query_string": tc.body}})
			c.status(r, 200, jsonString(tc.body))
			if got := sortedIDs(r); got != tc.want {
				t.Errorf("%s matched [%s], want [%s]", jsonString(tc.body), got, tc.want)
			}
		}
		r := c.do("POST", "/"+ix+"/_search", map[string]any{"query": map[string]any{"query_string": map[string]any{"query": "count:abc", "default_field": "body"}}})
		c.esError(r, 400, "search_phase_execution_exception", "all shards failed", "non-lenient query_string")
	})
	t.Run("date range bounds fill missing time fields upwards", func(t *testing.T) {
		for _, tc := range []struct {
			rng  map[string]any
			want string
		}{
			{map[string]any{"lte": "2024-01-15"}, "1 3"},
			{map[string]any{"lt": "2024-01-15"}, "3"},
			{map[string]any{"gt": "2024-01-15"}, "2"},
			{map[string]any{"lte": "2024-01"}, "3"},
			{map[string]any{"gte": "2024-01"}, "1 2"},
			{map[string]any{"lte": "2024-01-15T10"}, "1 3"},
			{map[string]any{"lt": "2024-01-15T10"}, "3"},
		} {
			r := c.do("POST", "/"+ix+"/_search", map[string]any{"query": map[string]any{"range": map[string]any{"date": tc.rng}}})
			if got := sortedIDs(r); got != tc.want {
				t.Errorf("range %v matched [%s], want [%s]", tc.rng, got, tc.want)
			}
		}
	})
}
