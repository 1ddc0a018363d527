package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Source is one configured instance of a data source, built by Factory.New for one job (or one
// ping) and closed afterwards.
//
// The service calls, in order: the optional [ConfigValidator] and [ChangeDetector] checks, Ping,
// then one of Docs, [IncrementalSource].IncrementalDocs or [AccessControlSource].AccessControl,
// and always Close. Content.Open functions of emitted documents may be called after Docs has
// returned, but never after Close.
type Source interface {
	// Ping checks that the third-party system is reachable with this configuration. Its error
	// becomes the connector's error in Kibana, so it should say what is wrong and with which
	// setting.
	Ping(ctx context.Context) error

	// Docs streams every document of a full sync through emit.
	//
	// emit blocks while the service's queue is full (backpressure) and returns an error when the
	// job is cancelled or has failed; Docs must then stop and return an error that wraps it
	// (errors.Is must find it). Docs must also return promptly, with ctx.Err() wrapped, once ctx
	// is done. emit is safe to call from several goroutines, but never after Docs has returned.
	//
	// Memory must stay bounded: stream pages from the remote system instead of collecting them.
	// An error for a particular document should name it (see [DocumentError]).
	Docs(ctx context.Context, req DocsRequest, emit func(Document) error) error

	// Close releases connections and goroutines. It is always called, also after a failed Ping,
	// and must be safe to call more than once.
	Close() error
}

// DocsRequest carries what the service passes to a sync besides the configuration.
type DocsRequest struct {
	// AdvancedRules is the decoded `advanced_snippet.value` of the job's active filtering, nil
	// when there is none. Basic rules are applied by the service, never by the source.
	AdvancedRules any

	// AdvancedRulesJSON is the same snippet as the JSON text it was stored as, nil when the
	// service does not have it. Decoding into AdvancedRules loses the order of object keys, which
	// matters to some sources (a MongoDB $sort stage, an embedded document to match exactly);
	// such sources decode this instead when it is set.
	AdvancedRulesJSON json.RawMessage

	// Checkpoint is the last checkpoint this source saved with [DocsRequest.SaveCheckpoint] in an
	// earlier run of the same job, when the service resumes a job whose worker died or was
	// stopped; nil for a job that starts from the beginning. A source that saves checkpoints
	// must, given one, skip what it had already emitted before saving it. A source that never
	// saves checkpoints always gets nil.
	Checkpoint map[string]any

	// OnIncomplete receives the parts of the listing the source could not read; the service
	// sets it. Sources call [DocsRequest.ReportIncomplete] instead of calling it directly.
	OnIncomplete func(scope string, cause error)

	// OnCheckpoint receives the checkpoints the source saves; the service sets it. Sources call
	// [DocsRequest.SaveCheckpoint] instead of calling it directly.
	OnCheckpoint func(checkpoint map[string]any)
}

// ReportIncomplete tells the service that part of the listing could not be read: a folder that
// cannot be opened, a page that still fails after retries, a table that vanished mid-sync. scope
// names that part (a path, a table, a project key) so that the job can say what was missed;
// cause says why.
//
// The source then goes on with the rest of the listing (or returns, if nothing else can be
// read). Because the items in that scope were not seen, the service deletes nothing in this job
// that could have been among them: a missing item is not a deleted one. A later complete sync
// catches up. Silently skipping an unreadable part instead would make the service delete its
// documents from the index.
//
// Safe to call from several goroutines. Without an OnIncomplete hook (a request built by hand)
// the report is ignored.
func (r DocsRequest) ReportIncomplete(scope string, cause error) {
	if r.OnIncomplete != nil {
		r.OnIncomplete(scope, cause)
	}
}

// SaveCheckpoint records where a resumed job may start again. It promises that every document
// this job must emit before that point has already been passed to emit and emit has returned;
// the service persists the checkpoint once all those documents are acknowledged by
// Elasticsearch, and passes the last persisted one back as [DocsRequest.Checkpoint] if the job
// is resumed after its worker died or stopped.
//
// The value must be JSON-encodable and small (a path, a table name and a key, a page token).
// Call it now and then (every few hundred documents, or at a boundary such as the end of a
// table), not for every document. Optional: a source that never calls it is resumed from the
// start. Without an OnCheckpoint hook the checkpoint is ignored.
func (r DocsRequest) SaveCheckpoint(checkpoint map[string]any) {
	if r.OnCheckpoint != nil {
		r.OnCheckpoint(checkpoint)
	}
}

// IncompleteListingError is how the service words a job's incomplete listing: what could not be
// read, and that nothing was deleted because of it.
type IncompleteListingError struct {
	Scope string
	Cause error
}

func (e *IncompleteListingError) Error() string {
	return fmt.Sprintf("could not read %s: %v", e.Scope, e.Cause)
}
func (e *IncompleteListingError) Unwrap() error { return e.Cause }

// HasAdvancedRules reports whether the job carries a non-empty advanced rules snippet, the
// original's has_advanced_rules().
func (r DocsRequest) HasAdvancedRules() bool {
	switch v := normalize(r.AdvancedRules).(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// Document is one item yielded by a source. The service turns it into the indexed _source: the
// Fields, plus `id` = ID, `_timestamp` = Timestamp and `_allow_access_control` (see [Document.Body]).
type Document struct {
	// ID is the document id; required and non-empty. IDs longer than 512 bytes are replaced by
	// [HashID] of the ID by the service, as in the original.
	ID string

	// Timestamp is the `_timestamp`, an ISO-8601 string that changes whenever the document does.
	// It is a string, not a time.Time, so values taken from a remote system are stored and
	// compared byte for byte, as the original does; use [FormatTime] to produce one from a time.
	// Empty means "now" for a new document.
	Timestamp string

	// Fields become the document's _source. Values should be JSON-like: strings, bools, ints,
	// float64, json.Number, nil, []any, map[string]any (and typed slices/maps of those). Encode
	// with [MarshalJSON] so floats keep their float-ness as in the original. Fields must not use
	// the keys the service owns: "_id", "id", "_timestamp", "_allow_access_control".
	Fields map[string]any

	// Content is the document's binary content, read lazily by the service; nil when there is
	// none.
	Content *Content

	// AllowAccessControl lists the DLS identities allowed to see this document, written as
	// `_allow_access_control`. nil leaves the field out; a non-nil empty slice writes [].
	AllowAccessControl []string
}

// Reserved document keys that Fields must not contain.
var reservedKeys = []string{"_id", "id", "_timestamp", "_allow_access_control"}

// ReservedKeys returns the _source keys the service sets itself.
func ReservedKeys() []string { return append([]string(nil), reservedKeys...) }

// Body returns the _source the service indexes for this document, before content extraction and
// the pipeline control fields: a shallow copy of Fields plus id, _timestamp (when set) and
// _allow_access_control (when non-nil).
func (d Document) Body() map[string]any {
	// Room for what the service adds after this: the three pipeline switches and the extracted
	// body. A map that grows once per document costs more than the copy.
	out := make(map[string]any, len(d.Fields)+3+4)
	for k, v := range d.Fields {
		out[k] = v
	}
	out["id"] = d.ID
	if d.Timestamp != "" {
		out["_timestamp"] = d.Timestamp
	}
	if d.AllowAccessControl != nil {
		acl := make([]any, len(d.AllowAccessControl))
		for i, s := range d.AllowAccessControl {
			acl[i] = s
		}
		out["_allow_access_control"] = acl
	}
	return out
}

// Content is binary content the service may download and extract text from.
//
// The service, not the source, decides whether to open it (content extraction on for the job,
// supported type, size within service.max_file_download_size) and reads at most the size cap.
// Sources should only attach Content for file types worth extracting.
type Content struct {
	// Name is the file name including its extension; the service derives the file type from it.
	Name string
	// Size in bytes, or -1 when unknown (the service then enforces its cap while reading).
	Size int64
	// Open starts the download. It may be called from any goroutine, possibly after Docs has
	// returned but before Close, and more than once (a retry). It must honour ctx, also while
	// the returned reader is being read; the service always closes the reader.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Env carries what the framework gives a source besides its configuration.
type Env struct {
	// Logger is scoped to the connector (and job) by the service; use it instead of a global.
	Logger *slog.Logger
	// MaxFileSize is service.max_file_download_size in bytes (default 10 MiB). Sources may use it
	// to avoid listing content they could never deliver; the service enforces it regardless.
	MaxFileSize int64
	// Features are the connector's stored feature flags (the original's set_features), which
	// can differ from the factory's: e.g. a source checks Features.DocumentLevelSecurity together
	// with its own use_document_level_security setting.
	Features Features
}

// DefaultMaxFileSize is the original's service.max_file_download_size default.
const DefaultMaxFileSize = 10 * 1024 * 1024

// Log returns the logger, or one that discards everything when none was given.
func (e Env) Log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// FileSizeLimit returns MaxFileSize, or the default when it is not set.
func (e Env) FileSizeLimit() int64 {
	if e.MaxFileSize <= 0 {
		return DefaultMaxFileSize
	}
	return e.MaxFileSize
}

// DocumentError ties an error to the document it concerns, so the job error and logs name it.
type DocumentError struct {
	ID  string
	Err error
}

func (e *DocumentError) Error() string { return fmt.Sprintf("document %q: %v", e.ID, e.Err) }
func (e *DocumentError) Unwrap() error { return e.Err }

// DocError wraps err with the document id; it returns nil for a nil err.
func DocError(id string, err error) error {
	if err == nil {
		return nil
	}
	return &DocumentError{ID: id, Err: err}
}

// Optional capabilities. The service discovers them with type assertions on the Source.

// ConfigValidator performs checks beyond the declared field validations (which the service has
// already applied with Config.Validate), such as asking the remote system whether a configured
// project exists. It is the original's validate_config().
type ConfigValidator interface {
	ValidateConfig(ctx context.Context) error
}

// ChangeDetector lets a source say that nothing changed since the last sync; the service then
// completes the job without syncing (the original's changed()).
type ChangeDetector interface {
	Changed(ctx context.Context) (bool, error)
}

// Op is the operation of an incremental change.
type Op string

// Incremental operations: index replaces a document, update merges fields into it (upsert),
// delete removes it (only the ID is used).
const (
	OpIndex  Op = "index"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one item of an incremental sync.
type Change struct {
	Op       Op
	Document Document
}

// IncrementalSource is a source with its own cursor (the original's get_docs_incrementally): an
// incremental job asks only for changes since the stored cursor, and nothing is deleted unless
// the source says so. A source with Features.IncrementalSync that does not implement this gets
// the original's timestamp optimisation instead: Docs runs and unchanged documents are skipped.
type IncrementalSource interface {
	Source
	// IncrementalDocs streams the changes since cursor (nil on the first run) with the same
	// emit contract as Docs.
	IncrementalDocs(ctx context.Context, req DocsRequest, cursor map[string]any, emit func(Change) error) error
	// SyncCursor returns the cursor to store on the connector. The service calls it after every
	// completed content job, full or incremental, so a full sync must set it too.
	SyncCursor() map[string]any
}

// AccessControlSource yields the identity documents of a document-level-security sync (the
// original's get_access_control), written to the `.search-acl-filter-<index>` index.
type AccessControlSource interface {
	AccessControl(ctx context.Context, emit func(Document) error) error
}

// AdvancedRulesValidator checks an advanced rules snippet; the service calls it for drafts and
// at job start. It returns the messages describing what is wrong (none when valid); err is for
// failures to validate at all (remote system unreachable).
type AdvancedRulesValidator interface {
	ValidateAdvancedRules(ctx context.Context, rules any) (problems []string, err error)
}

// DownloadConcurrencyLimiter lets a source bound how many Content downloads the service runs at
// once (the original's tweak_bulk_options setting concurrent_downloads). Return 0 for the
// service default.
type DownloadConcurrencyLimiter interface {
	MaxConcurrentDownloads() int
}
