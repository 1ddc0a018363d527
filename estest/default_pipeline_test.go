package estest_test

import (
	"testing"

	"github.com/connectors-go/connectors/estest"
)

// The default connector pipeline's text clean-up (U+FFFD dropped, white space squeezed, trimmed,
// control fields removed), which estest runs without regular expressions for speed.
func TestDefaultPipelineCleansBody(t *testing.T) {
	srv := start(t, estest.Options{})
	cases := []struct{ body, want string }{
		{`" a\ufffdb \t\n c \r\n"`, "ab c"},
		{`"plain single spaces"`, "plain single spaces"},
		{`"\ufffd\ufffd"`, ""},
		{`"x\u000by"`, "x\u000by"}, // Go's \s, like estest's regular expression, has no vertical tab
	}
	for i, tc := range cases {
		doc := `{"body":` + tc.body + `,"_extract_binary_content":true,"_reduce_whitespace":true,"_run_ml_inference":true}`
		u := srv.URL() + "/search-pipe/_doc/" + string(rune('a'+i))
		if code, _, res := do(t, "PUT", u+"?pipeline=search-default-ingestion&refresh=true", doc); code != 201 {
			t.Fatalf("index %s: %d %v", tc.body, code, res)
		}
		_, _, got := do(t, "GET", u, "")
		src, _ := got["_source"].(map[string]any)
		if src["body"] != tc.want {
			t.Errorf("body %s: got %q, want %q", tc.body, src["body"], tc.want)
		}
		for _, k := range []string{"_extract_binary_content", "_reduce_whitespace", "_run_ml_inference"} {
			if _, ok := src[k]; ok {
				t.Errorf("body %s: %s left in the document", tc.body, k)
			}
		}
	}
}
