package protocol

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/connectors-go/connectors/internal/faultproxy"
)

// TestWritesWhoseAnswerIsLost cuts the answer of a write after Elasticsearch
// applied it: the retry then meets the first attempt's effect (a version
// conflict for a conditional write, an existing id for a create), which must
// be read as success, not as someone else's change.
func TestWritesWhoseAnswerIsLost(t *testing.T) {
	tests := []struct {
		name string
		only string // path of the request whose answer is cut
	}{
		{"claim: connector lock", "/" + ConnectorsAlias + "/_update/"},
		{"claim: job update", "/" + JobsAlias + "/_update/"},
		{"create job", "/_create/"},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(string(mode)+"/"+tt.name, func(t *testing.T) {
				srv, direct := startES(t)
				setup := open(t, direct, mode)
				ctx := context.Background()
				if err := direct.Request(ctx, "PUT", "/_connector/c1", map[string]any{"index_name": "search-c1", "service_type": "dir", "name": "c1"}, nil); err != nil {
					t.Fatal(err)
				}
				proxy, err := faultproxy.New(srv.URL(), faultproxy.Mix{Cut: 1, Only: tt.only, MaxFaults: 1}, 1)
				if err != nil {
					t.Fatal(err)
				}
				front := httptest.NewServer(proxy)
				defer front.Close()
				s := open(t, client(t, front.URL), mode)

				conn, err := s.GetConnector(ctx, "c1")
				if err != nil {
					t.Fatal(err)
				}
				jobID, err := s.CreateJob(ctx, conn, JobFull, TriggerOnDemand)
				if err != nil {
					t.Fatal(err)
				}
				j, err := s.GetJob(ctx, jobID)
				if err != nil {
					t.Fatal(err)
				}
				claimed, err := s.Claim(ctx, j, Worker{Hostname: "worker-1"})
				if err != nil {
					t.Fatalf("claim: %v (proxy: %s)", err, proxy.Stats())
				}
				if claimed.Status != JobInProgress || deref(claimed.WorkerHostname) != "worker-1" {
					t.Fatalf("claimed job is %s on %q", claimed.Status, deref(claimed.WorkerHostname))
				}
				if err := direct.Request(ctx, "POST", "/"+JobsAlias+"/_refresh", nil, nil); err != nil {
					t.Fatal(err)
				}
				pending, err := setup.ListJobs(ctx, JobQuery{ConnectorIDs: []string{"c1"}})
				if err != nil {
					t.Fatal(err)
				}
				if len(pending) != 1 {
					t.Fatalf("%d jobs exist, want 1", len(pending))
				}
				if mode == ModeIndex || tt.only != "/_create/" {
					if st := proxy.Stats(); st.Cut != 1 {
						t.Fatalf("the proxy cut %d answers, want 1: %s", st.Cut, st)
					}
				}
			})
		}
	}
}
