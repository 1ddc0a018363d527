package jira_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Oslo, the fake user's zone, wherever the test runs

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/parity"
	fake "github.com/connectors-go/connectors/internal/saasfake/atlassian"
	"github.com/connectors-go/connectors/sources/jira"
)

// recordedURLs are where the fakes ran when the recordings were made (testdata/parity/README.md);
// the URLs in the documents (self links, avatars) start with them.
var recordedURLs = map[fake.Flavor]string{fake.Cloud: "http://127.0.0.1:9696", fake.Server: "http://127.0.0.1:9697", fake.DataCenter: "http://127.0.0.1:9698"}

// TestParityWithOriginal syncs the Atlassian fake, with the data set the recordings were made
// from, and compares the index with what the original wrote, field by field.
func TestParityWithOriginal(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		recording string
		flavor    fake.Flavor
		values    map[string]any
	}{
		{"jira-cloud.json", fake.Cloud, map[string]any{"data_source": "jira_cloud", "account_email": fake.User, "api_token": fake.Password}},
		{"jira-server.json", fake.Server, map[string]any{"data_source": "jira_server", "username": fake.User, "password": fake.Password}},
		{"jira-data-center.json", fake.DataCenter, map[string]any{"data_source": "jira_data_center", "data_center_username": fake.User, "data_center_password": fake.Password}},
	} {
		t.Run(strings.TrimSuffix(tc.recording, ".json"), func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			if rec.Job.Status != "completed" {
				t.Fatalf("recorded job %+v", rec.Job)
			}
			// The data set of `saasfake -vendor atlassian -projects 2 -issues 3 -spaces 2
			// -pages 3 -attachments 1`.
			ts := fake.NewTestServer(t, fake.Config{Flavor: tc.flavor, Projects: 2, IssuesPerProject: 3, AttachmentsPerIssue: 1,
				Spaces: 2, PagesPerSpace: 3, AttachmentsPerPage: 1})
			values := map[string]any{"jira_url": ts.URL, "projects": "*", "concurrent_downloads": 10}
			for k, v := range tc.values {
				values[k] = v
			}
			start := time.Now()
			ours, err := parity.Run(t, parity.Sync{Factory: jira.Factory, Values: values})
			if err != nil {
				t.Fatal(err)
			}
			st := parity.Compare(t, rec.Docs, ours, parity.Rules{
				Rewrite: func(s string) string { return strings.ReplaceAll(s, recordedURLs[tc.flavor], ts.URL) },
				Live: map[string]parity.LiveCheck{
					// Issues and attachments carry Jira's own times, compared exactly;
					// projects the time of the sync in the Jira user's zone.
					"_timestamp": func(golden, ours map[string]any, v any) error {
						if ours["Type"] != "Project" {
							return parity.Same(golden["_timestamp"], v)
						}
						return parity.SyncTime(start, oslo)(golden, ours, v)
					},
				},
			})
			t.Logf("compared with the original v9.5.2: %s", st)
		})
	}
}

// TestParityDocumentLevelSecurity compares, with document-level security on (Cloud), the
// content documents' access lists and the access-control sync's identity documents.
func TestParityDocumentLevelSecurity(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	rec := parity.Load(t, filepath.Join("testdata", "parity", "jira-cloud-dls.json"))
	if rec.Job.Status != "completed" || rec.AccessControlJob == nil || rec.AccessControlJob.Status != "completed" {
		t.Fatalf("recorded jobs %+v, %+v", rec.Job, rec.AccessControlJob)
	}
	ts := fake.NewTestServer(t, fake.Config{Flavor: fake.Cloud, Projects: 2, IssuesPerProject: 3, AttachmentsPerIssue: 1,
		Spaces: 2, PagesPerSpace: 3, AttachmentsPerPage: 1})
	sync := parity.Sync{Factory: jira.Factory, Features: connector.Features{DocumentLevelSecurity: true}, Values: map[string]any{
		"data_source": "jira_cloud", "account_email": fake.User, "api_token": fake.Password, "jira_url": ts.URL,
		"projects": "*", "concurrent_downloads": 10, "use_document_level_security": true}}
	rewrite := func(s string) string { return strings.ReplaceAll(s, recordedURLs[fake.Cloud], ts.URL) }
	start := time.Now()
	ours, err := parity.Run(t, sync)
	if err != nil {
		t.Fatal(err)
	}
	st := parity.Compare(t, rec.Docs, ours, parity.Rules{
		Rewrite: rewrite,
		Live: map[string]parity.LiveCheck{
			"_timestamp": func(golden, ours map[string]any, v any) error {
				if ours["Type"] != "Project" {
					return parity.Same(golden["_timestamp"], v)
				}
				return parity.SyncTime(start, oslo)(golden, ours, v)
			},
			// The original's access lists come from Python sets, in no order; ours are sorted
			// (docs/sources/jira.md, differences).
			"_allow_access_control": parity.SameSet("_allow_access_control"),
		},
	})
	t.Logf("content documents compared with the original v9.5.2: %s", st)

	st = parity.CompareAccessControl(t, sync, rec, rewrite)
	t.Logf("access-control documents compared with the original v9.5.2: %s", st)
}
