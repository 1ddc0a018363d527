package storehttp

import "testing"

func TestEscape(t *testing.T) {
	for _, tt := range []struct{ in, safe, want string }{
		{"a/b c.txt", "-_.~/", "a/b%20c.txt"},
		{"a/b c.txt", "_.-~'", "a%2Fb%20c.txt"},
		{"it's ü", "_.-~'", "it's%20%C3%BC"},
		{"it's", "-_.~/", "it%27s"},
		{"AZaz09-_.~", "-_.~", "AZaz09-_.~"},
		{"%+&", "", "%25%2B%26"},
	} {
		if got := Escape(tt.in, tt.safe); got != tt.want {
			t.Errorf("Escape(%q, %q) = %q, want %q", tt.in, tt.safe, got, tt.want)
		}
	}
}
