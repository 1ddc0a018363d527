package es

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Info is the part of GET / the service uses.
type Info struct {
	Name        string `json:"name"`
	ClusterName string `json:"cluster_name"`
	Version     struct {
		Number      string `json:"number"`
		BuildFlavor string `json:"build_flavor"`
	} `json:"version"`
	Tagline string `json:"tagline"`
}

// Serverless reports an Elastic Cloud Serverless project.
func (i *Info) Serverless() bool { return i.Version.BuildFlavor == "serverless" }

// NotElasticsearchError means the server answered but is not Elasticsearch.
type NotElasticsearchError struct{ Host, Why string }

func (e *NotElasticsearchError) Error() string {
	return fmt.Sprintf("the server at %s is not Elasticsearch (%s); connectors needs Elasticsearch 8.x or 9.x", e.Host, e.Why)
}

// Info calls GET / and checks that the answer comes from Elasticsearch, the
// way the official clients' product check does (X-Elastic-Product header).
func (c *Client) Info(ctx context.Context) (*Info, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return nil, err
	}
	res, err := c.Perform(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return nil, parseError(res.StatusCode, raw, http.MethodGet, "/")
	}
	if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		return nil, &NotElasticsearchError{Host: c.host, Why: "its answer lacks the X-Elastic-Product: Elasticsearch header"}
	}
	var info Info
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&info); err != nil {
		return nil, &NotElasticsearchError{Host: c.host, Why: "GET / did not return a JSON info document"}
	}
	if info.Version.Number == "" {
		return nil, &NotElasticsearchError{Host: c.host, Why: "GET / has no version.number"}
	}
	return &info, nil
}

// CompatLevel grades a version comparison.
type CompatLevel int

// The outcomes of the version rule.
const (
	Compatible CompatLevel = iota
	CompatibleWithWarning
	Incompatible
)

// VersionCheck is the outcome of comparing the service and cluster versions.
type VersionCheck struct {
	Level      CompatLevel
	Message    string
	Serverless bool
}

// AllowMismatchEnv is the original's escape hatch for version mismatches.
const AllowMismatchEnv = "ALLOW_ES_VERSION_MISMATCH"

// CheckVersion applies the original service's compatibility rule
// (service-spec §3.3): same major required; the cluster's minor may be newer
// (warning) but not older; patch differences warn; build suffixes are ignored;
// serverless skips the check. getenv is os.Getenv unless a test replaces it.
func CheckVersion(info *Info, serviceVersion string, getenv func(string) string) VersionCheck {
	if getenv == nil {
		getenv = os.Getenv
	}
	if info.Serverless() {
		return VersionCheck{Level: Compatible, Serverless: true, Message: "Elasticsearch is serverless: version check skipped"}
	}
	esRaw := info.Version.Number
	esV, esErr := parseVersion(esRaw, "-")
	svcV, svcErr := parseVersion(serviceVersion, "+")
	var check VersionCheck
	switch {
	case esErr != nil:
		check = VersionCheck{Level: Incompatible, Message: fmt.Sprintf("cannot read the Elasticsearch version %q: %v", esRaw, esErr)}
	case svcErr != nil:
		check = VersionCheck{Level: Incompatible, Message: fmt.Sprintf("cannot read the connectors version %q: %v", serviceVersion, svcErr)}
	case esV[0] != svcV[0]:
		check = VersionCheck{Level: Incompatible, Message: fmt.Sprintf("Elasticsearch %s and connectors %s have different major versions; use a connectors build of the same major and minor version as the cluster", esRaw, serviceVersion)}
	case esV[1] < svcV[1]:
		check = VersionCheck{Level: Incompatible, Message: fmt.Sprintf("Elasticsearch %s is older than connectors %s; upgrade Elasticsearch or use a connectors build of version %d.%d", esRaw, serviceVersion, esV[0], esV[1])}
	case esV[1] > svcV[1]:
		check = VersionCheck{Level: CompatibleWithWarning, Message: fmt.Sprintf("Elasticsearch %s is newer than connectors %s; consider upgrading connectors to the same minor version", esRaw, serviceVersion)}
	case esV[2] != svcV[2]:
		check = VersionCheck{Level: CompatibleWithWarning, Message: fmt.Sprintf("Elasticsearch %s and connectors %s differ in patch version", esRaw, serviceVersion)}
	default:
		return VersionCheck{Level: Compatible, Message: fmt.Sprintf("Elasticsearch %s is compatible with connectors %s", esRaw, serviceVersion)}
	}
	if check.Level == Incompatible {
		switch strings.ToLower(strings.TrimSpace(getenv(AllowMismatchEnv))) {
		case "true", "1", "yes":
			check.Level = CompatibleWithWarning
			check.Message += fmt.Sprintf(" (allowed by %s)", AllowMismatchEnv)
		}
	}
	return check
}

func parseVersion(v, cut string) ([3]int, error) {
	var out [3]int
	if i := strings.Index(v, cut); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(strings.TrimSpace(v), ".")
	if len(parts) != 3 {
		return out, fmt.Errorf("want major.minor.patch")
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, fmt.Errorf("%q is not a number", p)
		}
		out[i] = n
	}
	return out, nil
}
