package atlassian

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/sources/internal/saasclient"
)

// TestRefused: which answers refuse the credentials for the whole site (the sync ends) and which
// are about one item (reported incomplete), and what Explain says of them.
func TestRefused(t *testing.T) {
	status := func(code int, seraph ...string) error {
		h := http.Header{}
		for _, v := range seraph {
			h.Add("X-Seraph-LoginReason", v)
		}
		return fmt.Errorf("reading: %w", &saasclient.StatusError{URL: "https://x.example/rest/api/2/issue/A-1", Status: code, Header: h})
	}
	for _, tc := range []struct {
		name    string
		err     error
		refused bool
		says    string
	}{
		{"401", status(401, "AUTHENTICATED_FAILED"), true, `configuration field "data_center_personal_access_token": Jira refused the credentials`},
		{"401 without Seraph", status(401), true, "Jira refused the credentials"},
		{"403 CAPTCHA", status(403, "AUTHENTICATION_DENIED"), true, "Jira denied the sign-in (X-Seraph-LoginReason AUTHENTICATION_DENIED"},
		{"403 CAPTCHA, listed", status(403, "OUT, AUTHENTICATED_FAILED"), true, "Jira denied the sign-in (X-Seraph-LoginReason AUTHENTICATED_FAILED"},
		{"403 on an item", status(403), false, "the account lacks a permission Jira asked for"},
		{"403 on an item, signed in", status(403, "OK"), false, "the account lacks a permission"},
		{"403 not authorised", status(403, "AUTHORISATION_FAILED"), false, "the account lacks a permission"},
		{"404", status(404), false, "HTTP 404"},
		{"500", status(500), false, "HTTP 500"},
		{"other", errors.New("boom"), false, "boom"},
	} {
		if got := Refused(tc.err); got != tc.refused {
			t.Errorf("%s: Refused %v, want %v", tc.name, got, tc.refused)
		}
		explained := Explain(tc.err, "Jira", `"data_center_personal_access_token"`, "jira_url", "https://x.example")
		if !strings.Contains(explained.Error(), tc.says) {
			t.Errorf("%s: %v, want it to say %q", tc.name, explained, tc.says)
		}
		var ce *CredentialsError
		if errors.As(explained, &ce) != tc.refused || Refused(explained) != tc.refused {
			t.Errorf("%s: explained as %T, refused %v", tc.name, explained, Refused(explained))
		}
		// A listing explains a refusal where it meets it; the levels above return it unchanged.
		if again := Explain(explained, "Jira", `"x"`, "jira_url", "https://x.example"); tc.refused && again.Error() != explained.Error() {
			t.Errorf("%s: explained twice: %v", tc.name, again)
		}
	}
	two := Explain(status(401), "Confluence", `"username" and "password"`, "confluence_url", "https://x.example")
	if !strings.HasPrefix(two.Error(), `configuration fields "username" and "password": Confluence refused the credentials`) {
		t.Errorf("two fields: %v", two)
	}
}
