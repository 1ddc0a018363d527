// Package protocol owns every read and write of connector and sync-job
// documents. Two back ends sit behind one Store: the `_connector` API of
// Elasticsearch 8.12+ and direct access to the `.elastic-connectors*` indices
// with optimistic concurrency. Field names and enum values are exactly those
// the Python service and Kibana use.
package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Index aliases the service reads and writes.
const (
	ConnectorsAlias = ".elastic-connectors"
	JobsAlias       = ".elastic-connectors-sync-jobs"
	// ACLIndexPrefix prefixes a content index name to form its access-control index.
	ACLIndexPrefix = ".search-acl-filter-"
)

// ConnectorStatus values.
const (
	StatusCreated            = "created"
	StatusNeedsConfiguration = "needs_configuration"
	StatusConfigured         = "configured"
	StatusConnected          = "connected"
	StatusError              = "error"
)

// JobStatus is a sync job's status (also used for last_sync_status).
type JobStatus string

// Job statuses.
const (
	JobPending    JobStatus = "pending"
	JobInProgress JobStatus = "in_progress"
	JobCanceling  JobStatus = "canceling"
	JobCanceled   JobStatus = "canceled"
	JobSuspended  JobStatus = "suspended"
	JobCompleted  JobStatus = "completed"
	JobError      JobStatus = "error"
)

// Terminal reports statuses a job never leaves.
func (s JobStatus) Terminal() bool {
	return s == JobCompleted || s == JobCanceled || s == JobError
}

// JobType is full, incremental or access_control.
type JobType string

// Job types.
const (
	JobFull          JobType = "full"
	JobIncremental   JobType = "incremental"
	JobAccessControl JobType = "access_control"
)

// ParseJobType accepts the three names case-insensitively.
func ParseJobType(s string) (JobType, error) {
	switch t := JobType(strings.ToLower(strings.TrimSpace(s))); t {
	case JobFull, JobIncremental, JobAccessControl:
		return t, nil
	}
	return "", fmt.Errorf("unknown job type %q (use full, incremental or access_control)", s)
}

// IsContent reports full and incremental jobs, which share the connector's
// last_sync_* fields; access-control jobs have their own.
func (t JobType) IsContent() bool { return t == JobFull || t == JobIncremental }

// TriggerMethod says who created a job.
type TriggerMethod string

// Trigger methods.
const (
	TriggerOnDemand  TriggerMethod = "on_demand"
	TriggerScheduled TriggerMethod = "scheduled"
)

// Pipeline is the ingest pipeline configuration of a connector or job.
type Pipeline struct {
	Name                 string `json:"name"`
	ExtractBinaryContent bool   `json:"extract_binary_content"`
	ReduceWhitespace     bool   `json:"reduce_whitespace"`
	RunMLInference       bool   `json:"run_ml_inference"`
}

// DefaultPipeline is merged under a connector's own pipeline settings.
var DefaultPipeline = Pipeline{Name: "search-default-ingestion", ExtractBinaryContent: true, ReduceWhitespace: true, RunMLInference: true}

// Schedule is one entry of a connector's scheduling.
type Schedule struct {
	Enabled  bool   `json:"enabled"`
	Interval string `json:"interval"`
}

// Scheduling holds the three schedules.
type Scheduling struct {
	AccessControl Schedule `json:"access_control"`
	Full          Schedule `json:"full"`
	Incremental   Schedule `json:"incremental"`
}

// For returns the schedule of a job type.
func (s Scheduling) For(t JobType) Schedule {
	switch t {
	case JobIncremental:
		return s.Incremental
	case JobAccessControl:
		return s.AccessControl
	default:
		return s.Full
	}
}

// Connector is a connector document as stored in .elastic-connectors.
// Configuration, filtering, features and sync_cursor are kept as decoded JSON
// so that properties this service does not know survive untouched.
type Connector struct {
	ID          string `json:"-"`
	SeqNo       int64  `json:"-"`
	PrimaryTerm int64  `json:"-"`

	APIKeyID                         *string         `json:"api_key_id,omitempty"`
	APIKeySecretID                   *string         `json:"api_key_secret_id,omitempty"`
	Configuration                    map[string]any  `json:"configuration"`
	CustomScheduling                 map[string]any  `json:"custom_scheduling,omitempty"`
	Deleted                          bool            `json:"deleted"`
	Description                      *string         `json:"description,omitempty"`
	Error                            *string         `json:"error,omitempty"`
	Features                         map[string]any  `json:"features,omitempty"`
	Filtering                        json.RawMessage `json:"filtering,omitempty"`
	IndexName                        *string         `json:"index_name,omitempty"`
	IsNative                         bool            `json:"is_native"`
	Language                         *string         `json:"language,omitempty"`
	LastSeen                         *string         `json:"last_seen,omitempty"`
	LastAccessControlSyncError       *string         `json:"last_access_control_sync_error,omitempty"`
	LastAccessControlSyncScheduledAt *string         `json:"last_access_control_sync_scheduled_at,omitempty"`
	LastAccessControlSyncStatus      *JobStatus      `json:"last_access_control_sync_status,omitempty"`
	LastDeletedDocumentCount         *int64          `json:"last_deleted_document_count,omitempty"`
	LastIncrementalSyncScheduledAt   *string         `json:"last_incremental_sync_scheduled_at,omitempty"`
	LastIndexedDocumentCount         *int64          `json:"last_indexed_document_count,omitempty"`
	LastSyncError                    *string         `json:"last_sync_error,omitempty"`
	LastSyncScheduledAt              *string         `json:"last_sync_scheduled_at,omitempty"`
	LastSyncStatus                   *JobStatus      `json:"last_sync_status,omitempty"`
	LastSynced                       *string         `json:"last_synced,omitempty"`
	Name                             string          `json:"name"`
	Pipeline                         *Pipeline       `json:"pipeline,omitempty"`
	Scheduling                       Scheduling      `json:"scheduling"`
	ServiceType                      *string         `json:"service_type,omitempty"`
	Status                           string          `json:"status"`
	SyncCursor                       any             `json:"sync_cursor,omitempty"`
	SyncNow                          bool            `json:"sync_now"`
}

// Index returns the content index name, "" when none is attached.
func (c *Connector) Index() string { return deref(c.IndexName) }

// Type returns the service type, "" when unset.
func (c *Connector) Type() string { return deref(c.ServiceType) }

// EffectivePipeline merges the connector's pipeline over the defaults.
func (c *Connector) EffectivePipeline() Pipeline {
	if c.Pipeline == nil {
		return DefaultPipeline
	}
	p := *c.Pipeline
	if p.Name == "" {
		p.Name = DefaultPipeline.Name
	}
	return p
}

// LastScheduledAt returns last_*_sync_scheduled_at for a job type.
func (c *Connector) LastScheduledAt(t JobType) (time.Time, bool) {
	var s *string
	switch t {
	case JobIncremental:
		s = c.LastIncrementalSyncScheduledAt
	case JobAccessControl:
		s = c.LastAccessControlSyncScheduledAt
	default:
		s = c.LastSyncScheduledAt
	}
	if s == nil {
		return time.Time{}, false
	}
	ts, err := ParseTime(*s)
	return ts, err == nil
}

// ScheduledAtField names last_*_sync_scheduled_at for a job type.
func ScheduledAtField(t JobType) string {
	switch t {
	case JobIncremental:
		return "last_incremental_sync_scheduled_at"
	case JobAccessControl:
		return "last_access_control_sync_scheduled_at"
	default:
		return "last_sync_scheduled_at"
	}
}

// SyncStatus returns the last status for the job type's kind (content or ACL).
func (c *Connector) SyncStatus(t JobType) JobStatus {
	if t == JobAccessControl {
		if c.LastAccessControlSyncStatus != nil {
			return *c.LastAccessControlSyncStatus
		}
		return ""
	}
	if c.LastSyncStatus != nil {
		return *c.LastSyncStatus
	}
	return ""
}

// FeatureEnabled reads a dotted path such as "sync_rules.basic.enabled"
// from the stored features; absent means false.
func (c *Connector) FeatureEnabled(path string) bool {
	var cur any = c.Features
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		cur = m[p]
	}
	b, _ := cur.(bool)
	return b
}

// JobConnector is the snapshot of the connector inside a sync job.
type JobConnector struct {
	ID            string          `json:"id"`
	Filtering     json.RawMessage `json:"filtering,omitempty"`
	IndexName     string          `json:"index_name"`
	Language      *string         `json:"language,omitempty"`
	Pipeline      *Pipeline       `json:"pipeline,omitempty"`
	ServiceType   string          `json:"service_type"`
	Configuration map[string]any  `json:"configuration"`
	SyncCursor    any             `json:"sync_cursor,omitempty"`
}

// Job is a sync job document of .elastic-connectors-sync-jobs.
type Job struct {
	ID          string `json:"-"`
	SeqNo       int64  `json:"-"`
	PrimaryTerm int64  `json:"-"`

	CancelationRequestedAt *string        `json:"cancelation_requested_at,omitempty"`
	CanceledAt             *string        `json:"canceled_at,omitempty"`
	CompletedAt            *string        `json:"completed_at,omitempty"`
	Connector              JobConnector   `json:"connector"`
	CreatedAt              *string        `json:"created_at,omitempty"`
	DeletedDocumentCount   int64          `json:"deleted_document_count"`
	Error                  *string        `json:"error,omitempty"`
	IndexedDocumentCount   int64          `json:"indexed_document_count"`
	IndexedDocumentVolume  int64          `json:"indexed_document_volume"`
	JobType                JobType        `json:"job_type"`
	LastSeen               *string        `json:"last_seen,omitempty"`
	Metadata               map[string]any `json:"metadata,omitempty"`
	StartedAt              *string        `json:"started_at,omitempty"`
	Status                 JobStatus      `json:"status"`
	TotalDocumentCount     *int64         `json:"total_document_count,omitempty"`
	TriggerMethod          TriggerMethod  `json:"trigger_method"`
	WorkerHostname         *string        `json:"worker_hostname,omitempty"`
}

// Pipeline returns the job's pipeline merged over the defaults.
func (j *Job) Pipeline() Pipeline {
	if j.Connector.Pipeline == nil {
		return DefaultPipeline
	}
	p := *j.Connector.Pipeline
	if p.Name == "" {
		p.Name = DefaultPipeline.Name
	}
	return p
}

// LastSeenTime parses last_seen; zero when absent.
func (j *Job) LastSeenTime() time.Time {
	if j.LastSeen == nil {
		return time.Time{}
	}
	t, _ := ParseTime(*j.LastSeen)
	return t
}

// JobStats are the counters written while and after a job runs.
type JobStats struct {
	IndexedDocumentCount  int64
	IndexedDocumentVolume int64 // MiB, rounded half to even as the original
	DeletedDocumentCount  int64
	TotalDocumentCount    *int64
	Metadata              map[string]any
	// Resume, when set, is persisted as the job's resume point.
	Resume *ResumePoint
}

// Now formats the current time as the original does: ISO-8601 with
// microseconds and an explicit +00:00 offset.
func Now() string { return FormatTime(time.Now()) }

// FormatTime formats t like Now.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// ParseTime reads the timestamps found in connector documents: ours, the
// ones Elasticsearch writes (`Z`, 3–9 fraction digits), and zone-less ones,
// which are UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read timestamp %q", s)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
