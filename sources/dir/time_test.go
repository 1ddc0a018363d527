package dir

import (
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// TestPythonTime checks stat times against Python 3.11:
//
//	f = float(sec) + nsec * 1e-9   # os.stat_result.st_mtime
//	repr(f), datetime.fromtimestamp(f, tz=timezone.utc).isoformat()
func TestPythonTime(t *testing.T) {
	tests := []struct {
		sec, nsec int64
		float     string
		iso       string
	}{
		{1714979289, 123456789, "1714979289.1234567", "2024-05-06T07:08:09.123457+00:00"},
		{1714979289, 123456500, "1714979289.1234565", "2024-05-06T07:08:09.123456+00:00"},
		{1714979289, 999999700, "1714979289.9999998", "2024-05-06T07:08:10+00:00"},
		{1714979289, 400, "1714979289.0000005", "2024-05-06T07:08:09+00:00"},
		{1, 500, "1.0000005", "1970-01-01T00:00:01.000001+00:00"},
		{1, 1500, "1.0000015", "1970-01-01T00:00:01.000001+00:00"},
		{0, 0, "0.0", "1970-01-01T00:00:00+00:00"},
		{1700000000, 999999999, "1700000001.0", "2023-11-14T22:13:21+00:00"},
		{-1, 500000000, "-0.5", "1969-12-31T23:59:59.500000+00:00"},
	}
	for _, tt := range tests {
		ts := timespec{tt.sec, tt.nsec}
		js, err := connector.MarshalJSON(ts.float())
		if err != nil {
			t.Fatal(err)
		}
		if string(js) != tt.float {
			t.Errorf("%d.%09d: float %s, want %s", tt.sec, tt.nsec, js, tt.float)
		}
		if got := connector.FormatTime(pythonTime(ts)); got != tt.iso {
			t.Errorf("%d.%09d: iso %s, want %s", tt.sec, tt.nsec, got, tt.iso)
		}
	}
}
