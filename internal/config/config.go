// Package config loads config.yml the way the original connector service does
// (environment and .env interpolation, dotted top-level keys, defaults merged
// underneath) and validates it, reporting every problem with its key path.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is the whole service configuration. Field tags name the YAML keys.
type Config struct {
	Elasticsearch     Elasticsearch      `cfg:"elasticsearch"`
	Service           Service            `cfg:"service"`
	Connectors        []ConnectorEntry   `cfg:"connectors"`
	ConnectorID       string             `cfg:"connector_id"`
	ServiceType       string             `cfg:"service_type"`
	Sources           map[string]string  `cfg:"sources"`
	ExtractionService *ExtractionService `cfg:"extraction_service"`

	// Path is the file the configuration came from ("" for defaults only).
	Path string `cfg:"-"`
	// Warnings are non-fatal findings: unknown keys, deprecated forms,
	// settings that work against each other.
	Warnings []string `cfg:"-"`

	// explicit holds the keys the file or the environment set (dotted
	// paths, list items as connectors[0].api_key).
	explicit map[string]bool
	// duplicates are the connectors entries dropped because a later entry
	// has the same connector_id.
	duplicates []Problem
	// connectorIndex is, for each entry of Connectors, its position in
	// the file's list (entries without connector_id and duplicates are
	// dropped, so the two differ), for key paths in messages.
	connectorIndex []int
}

// IsSet reports whether the file or the environment gave key (a dotted
// path such as service.max_concurrent_content_syncs) a value, as opposed to
// the default.
func (cfg *Config) IsSet(key string) bool { return cfg.explicit[key] }

// Elasticsearch holds the elasticsearch.* keys.
type Elasticsearch struct {
	Host           string  `cfg:"host"`
	APIKey         *string `cfg:"api_key"`
	Username       string  `cfg:"username"`
	Password       string  `cfg:"password"`
	SSL            bool    `cfg:"ssl"`
	VerifyCerts    bool    `cfg:"verify_certs"`
	CACerts        string  `cfg:"ca_certs"`
	RequestTimeout float64 `cfg:"request_timeout"`
	RetryOnTimeout bool    `cfg:"retry_on_timeout"`
	MaxRetries     int     `cfg:"max_retries"`
	RetryInterval  float64 `cfg:"retry_interval"`
	// RetryBudget is our addition: seconds during which a call that failed
	// transiently is retried, counted from its first failure. Absent, it is
	// what the original would wait in total, retry_interval × (1 + … +
	// (max_retries−1)); 0 disables retries.
	RetryBudget *float64 `cfg:"retry_budget"`
	// RetryBackoffInitial is our addition: the first wait, in seconds; each
	// further wait doubles, up to RetryBackoffMax, with jitter.
	RetryBackoffInitial float64 `cfg:"retry_backoff_initial"`
	// RetryBackoffMax is our addition: the longest single wait in seconds;
	// absent, retry_interval.
	RetryBackoffMax         *float64          `cfg:"retry_backoff_max"`
	MaxWaitDuration         float64           `cfg:"max_wait_duration"`
	InitialBackoffDuration  float64           `cfg:"initial_backoff_duration"`
	BackoffMultiplier       float64           `cfg:"backoff_multiplier"`
	LogLevel                string            `cfg:"log_level"`
	FeatureUseConnectorsAPI bool              `cfg:"feature_use_connectors_api"`
	Headers                 map[string]string `cfg:"headers"`
	// Proxy is our addition: an HTTP(S) proxy URL for Elasticsearch traffic.
	// Empty means the standard HTTPS_PROXY/HTTP_PROXY/NO_PROXY variables apply.
	Proxy string `cfg:"proxy"`
	Bulk  Bulk   `cfg:"bulk"`
	// Serverless is set after preflight from GET /; never read from the file.
	Serverless bool `cfg:"-"`
}

// Bulk holds the elasticsearch.bulk.* keys.
type Bulk struct {
	QueueMaxSize            int          `cfg:"queue_max_size"`
	QueueMaxMemSize         float64      `cfg:"queue_max_mem_size"`
	QueueRefreshInterval    float64      `cfg:"queue_refresh_interval"`
	QueueRefreshTimeout     float64      `cfg:"queue_refresh_timeout"`
	DisplayEvery            int          `cfg:"display_every"`
	ChunkSize               int          `cfg:"chunk_size"`
	ChunkMaxMemSize         float64      `cfg:"chunk_max_mem_size"`
	MaxTextDocumentSize     float64      `cfg:"max_text_document_size"`
	MaxConcurrency          int          `cfg:"max_concurrency"`
	ConcurrentDownloads     int          `cfg:"concurrent_downloads"`
	MaxRetries              int          `cfg:"max_retries"`
	RetryInterval           float64      `cfg:"retry_interval"`
	EnableOperationsLogging bool         `cfg:"enable_operations_logging"`
	ErrorMonitor            ErrorMonitor `cfg:"error_monitor"`
}

// ErrorMonitor holds elasticsearch.bulk.error_monitor.*.
type ErrorMonitor struct {
	Enabled              bool    `cfg:"enabled"`
	MaxTotalErrors       int     `cfg:"max_total_errors"`
	MaxConsecutiveErrors int     `cfg:"max_consecutive_errors"`
	MaxErrorRate         float64 `cfg:"max_error_rate"`
	ErrorWindowSize      int     `cfg:"error_window_size"`
	ErrorQueueSize       int     `cfg:"error_queue_size"`
}

// Service holds the service.* keys.
type Service struct {
	WorkerMode                      bool     `cfg:"worker_mode"`
	ServiceTypes                    []string `cfg:"service_types"`
	Idling                          float64  `cfg:"idling"`
	Heartbeat                       float64  `cfg:"heartbeat"`
	PreflightMaxAttempts            int      `cfg:"preflight_max_attempts"`
	PreflightIdle                   float64  `cfg:"preflight_idle"`
	MaxErrors                       int      `cfg:"max_errors"`
	MaxErrorsSpan                   float64  `cfg:"max_errors_span"`
	MaxConcurrentContentSyncs       int      `cfg:"max_concurrent_content_syncs"`
	MaxConcurrentAccessControlSyncs int      `cfg:"max_concurrent_access_control_syncs"`
	MaxConcurrentSchedulingTasks    int      `cfg:"max_concurrent_scheduling_tasks"`
	// MaxConcurrentSyncs is the original's deprecated name of
	// max_concurrent_content_syncs; see applyDeprecated.
	MaxConcurrentSyncs  *int    `cfg:"max_concurrent_syncs"`
	MaxFileDownloadSize int64   `cfg:"max_file_download_size"`
	JobCleanupInterval  float64 `cfg:"job_cleanup_interval"`
	LogLevel            string  `cfg:"log_level"`
	FIPSMode            bool    `cfg:"fips_mode"`
	// IdleJobThreshold is our addition: seconds without a heartbeat after
	// which cleanup marks a running job as failed (fixed at 300 in the original).
	IdleJobThreshold float64 `cfg:"idle_job_threshold"`
	// ResumeCrashedJobs is our addition: a job whose worker stopped
	// reporting is handed to a live instance and continued (from the
	// source's last checkpoint where it saves them) instead of failed.
	ResumeCrashedJobs bool `cfg:"resume_crashed_jobs"`
	// MaxJobResumes bounds those takeovers per job, so that a job that
	// brings its worker down every time (a poison document, memory) ends
	// in error instead of taking down instance after instance.
	MaxJobResumes int `cfg:"max_job_resumes"`
	// InstanceName is our addition: how this process is named in logs,
	// metrics and job metadata; "" means the host name plus a random
	// suffix, unique per start.
	InstanceName string `cfg:"instance_name"`
	// ExtractionMode is our addition: how binary content becomes text —
	// local (in this process, the default), attachment (base64 for the
	// ingest pipeline, as the original), service (the Data Extraction
	// Service) or auto (the original's choice per connector).
	ExtractionMode string `cfg:"extraction_mode"`
	// MetricsAddr is our addition: where to serve /metrics and health checks
	// ("" disables the listener).
	MetricsAddr string `cfg:"metrics_addr"`
}

// How often a running job reports progress (which is also its heartbeat):
// the original's fixed 10 s, or less when service.idle_job_threshold is
// short, so that a live job always reports several times within the
// threshold.
const (
	MaxProgressInterval         = 10 * time.Second
	MinProgressInterval         = time.Second
	progressReportsPerThreshold = 3
	// MinIdleJobThreshold is the shortest service.idle_job_threshold.
	MinIdleJobThreshold = progressReportsPerThreshold * MinProgressInterval
)

// ProgressInterval is how often a running job writes its progress: a third
// of service.idle_job_threshold, at most 10 s (the original's interval).
func (s Service) ProgressInterval() time.Duration {
	d := Seconds(s.IdleJobThreshold) / progressReportsPerThreshold
	if d > MaxProgressInterval {
		d = MaxProgressInterval
	}
	if d < MinProgressInterval {
		d = MinProgressInterval
	}
	return d
}

// ConnectorEntry is one item of the connectors list.
type ConnectorEntry struct {
	ConnectorID string  `cfg:"connector_id"`
	ServiceType string  `cfg:"service_type"`
	APIKey      *string `cfg:"api_key"`
}

// ExtractionService configures the optional local Data Extraction Service.
type ExtractionService struct {
	Host            string  `cfg:"host"`
	Timeout         float64 `cfg:"timeout"`
	UseFilePointers bool    `cfg:"use_file_pointers"`
	StreamChunkSize int     `cfg:"stream_chunk_size"`
	SharedVolumeDir string  `cfg:"shared_volume_dir"`
}

// DefaultSources is the original's registry of service types. The values are
// informational (Python class paths); the keys are the enabled set.
var DefaultSources = map[string]string{
	"azure_blob_storage":   "connectors.sources.azure_blob_storage:AzureBlobStorageDataSource",
	"box":                  "connectors.sources.box:BoxDataSource",
	"confluence":           "connectors.sources.atlassian.confluence:ConfluenceDataSource",
	"dir":                  "connectors.sources.directory:DirectoryDataSource",
	"dropbox":              "connectors.sources.dropbox:DropboxDataSource",
	"github":               "connectors.sources.github:GitHubDataSource",
	"gitlab":               "connectors.sources.gitlab:GitLabDataSource",
	"gmail":                "connectors.sources.gmail:GMailDataSource",
	"google_cloud_storage": "connectors.sources.google_cloud_storage:GoogleCloudStorageDataSource",
	"google_drive":         "connectors.sources.google_drive:GoogleDriveDataSource",
	"graphql":              "connectors.sources.graphql:GraphQLDataSource",
	"jira":                 "connectors.sources.atlassian.jira:JiraDataSource",
	"microsoft_teams":      "connectors.sources.microsoft_teams:MicrosoftTeamsDataSource",
	"mongodb":              "connectors.sources.mongo:MongoDataSource",
	"mssql":                "connectors.sources.mssql:MSSQLDataSource",
	"mysql":                "connectors.sources.mysql:MySqlDataSource",
	"network_drive":        "connectors.sources.network_drive:NASDataSource",
	"notion":               "connectors.sources.notion:NotionDataSource",
	"onedrive":             "connectors.sources.onedrive:OneDriveDataSource",
	"oracle":               "connectors.sources.oracle:OracleDataSource",
	"outlook":              "connectors.sources.outlook:OutlookDataSource",
	"postgresql":           "connectors.sources.postgresql:PostgreSQLDataSource",
	"redis":                "connectors.sources.redis:RedisDataSource",
	"s3":                   "connectors.sources.s3:S3DataSource",
	"salesforce":           "connectors.sources.salesforce:SalesforceDataSource",
	"sandfly":              "connectors.sources.sandfly:SandflyDataSource",
	"servicenow":           "connectors.sources.servicenow:ServiceNowDataSource",
	"sharepoint_online":    "connectors.sources.sharepoint.sharepoint_online:SharepointOnlineDataSource",
	"sharepoint_server":    "connectors.sources.sharepoint.sharepoint_server:SharepointServerDataSource",
	"slack":                "connectors.sources.slack:SlackDataSource",
	"zoom":                 "connectors.sources.zoom:ZoomDataSource",
}

// Default returns the configuration the original uses when a key is absent.
func Default() *Config {
	sources := make(map[string]string, len(DefaultSources))
	for k, v := range DefaultSources {
		sources[k] = v
	}
	return &Config{
		Elasticsearch: Elasticsearch{
			Host:                    "http://localhost:9200",
			Username:                "elastic",
			Password:                "changeme",
			SSL:                     true,
			VerifyCerts:             true,
			RequestTimeout:          240,
			RetryOnTimeout:          true,
			MaxRetries:              5,
			RetryInterval:           10,
			RetryBackoffInitial:     0.5,
			MaxWaitDuration:         240,
			InitialBackoffDuration:  1,
			BackoffMultiplier:       2,
			LogLevel:                "info",
			FeatureUseConnectorsAPI: true,
			Bulk: Bulk{
				QueueMaxSize:         1024,
				QueueMaxMemSize:      25,
				QueueRefreshInterval: 1,
				QueueRefreshTimeout:  1300,
				DisplayEvery:         100,
				ChunkSize:            500,
				ChunkMaxMemSize:      3,
				MaxTextDocumentSize:  3,
				MaxConcurrency:       5,
				ConcurrentDownloads:  10,
				MaxRetries:           5,
				RetryInterval:        10,
				ErrorMonitor: ErrorMonitor{
					Enabled:              true,
					MaxTotalErrors:       1000,
					MaxConsecutiveErrors: 10,
					MaxErrorRate:         0.15,
					ErrorWindowSize:      100,
					ErrorQueueSize:       10,
				},
			},
		},
		Service: Service{
			ServiceTypes:                    []string{},
			Idling:                          30,
			Heartbeat:                       300,
			PreflightMaxAttempts:            10,
			PreflightIdle:                   30,
			MaxErrors:                       20,
			MaxErrorsSpan:                   600,
			MaxConcurrentContentSyncs:       1,
			MaxConcurrentAccessControlSyncs: 1,
			MaxConcurrentSchedulingTasks:    4,
			MaxFileDownloadSize:             10485760,
			JobCleanupInterval:              300,
			LogLevel:                        "INFO",
			IdleJobThreshold:                300,
			ResumeCrashedJobs:               true,
			MaxJobResumes:                   3,
			ExtractionMode:                  "local",
		},
		Sources: sources,
	}
}

func defaultExtractionService() *ExtractionService {
	return &ExtractionService{
		Timeout:         30,
		StreamChunkSize: 65536,
		SharedVolumeDir: "/app/files",
	}
}

// EffectiveRetryBudget is retry_budget, or the original's total wait when
// it is absent: retry_interval × (1 + 2 + … + (max_retries−1)), 100 s with
// the defaults.
func (e Elasticsearch) EffectiveRetryBudget() time.Duration {
	if e.RetryBudget != nil {
		return Seconds(*e.RetryBudget)
	}
	if e.MaxRetries < 2 {
		return 0
	}
	return Seconds(e.RetryInterval * float64(e.MaxRetries*(e.MaxRetries-1)/2))
}

// EffectiveBackoffMax is retry_backoff_max, or retry_interval when it is
// absent.
func (e Elasticsearch) EffectiveBackoffMax() time.Duration {
	if e.RetryBackoffMax != nil {
		return Seconds(*e.RetryBackoffMax)
	}
	return Seconds(e.RetryInterval)
}

// Seconds converts a configuration value in seconds to a duration.
func Seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}

// MiB converts a configuration value in mebibytes to bytes.
func MiB(m float64) int64 {
	return int64(m * 1024 * 1024)
}

// Problem is one validation failure, tied to the key that caused it.
type Problem struct {
	Key     string // dotted path, e.g. elasticsearch.bulk.chunk_size
	Message string
	Origin  string // where the value came from, e.g. config.yml:12
}

func (p Problem) String() string {
	s := p.Key + ": " + p.Message
	if p.Key == "" {
		s = p.Message
	}
	if p.Origin != "" {
		s += " (" + p.Origin + ")"
	}
	return s
}

// Error carries every problem found while loading or validating.
type Error struct {
	Path     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	prefix := "invalid configuration"
	if e.Path != "" {
		prefix += " in " + e.Path
	}
	if len(lines) == 1 {
		return prefix + ": " + lines[0]
	}
	return prefix + ":\n  " + strings.Join(lines, "\n  ")
}

// LoadOptions tune Load; the zero value reads the real environment.
type LoadOptions struct {
	// Environ replaces os.Environ() (KEY=VALUE strings) when non-nil.
	Environ []string
	// EnvFile is the .env path; "" means $ENV_FILE, else ./.env if present.
	EnvFile string
	// NoEnvFile skips .env files entirely.
	NoEnvFile bool
}

// Load reads, interpolates, merges and validates a config file.
// The returned error is an *Error for configuration problems, or a plain
// error for I/O failures.
func Load(path string, opts LoadOptions) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s not found (pass another path with -c, or copy config.yml.example)", path)
		}
		return nil, fmt.Errorf("cannot read config file %s: %w", path, err)
	}
	return Parse(path, raw, opts)
}

// Parse is Load on bytes already read; path is used in messages only.
func Parse(path string, raw []byte, opts LoadOptions) (*Config, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	dotEnv, dotEnvPath := map[string]string{}, ""
	if !opts.NoEnvFile {
		var err error
		if dotEnv, dotEnvPath, err = loadDotEnv(opts.EnvFile, env); err != nil {
			return nil, err
		}
	}
	lookup := func(name string) (string, bool) {
		if v, ok := dotEnv[name]; ok {
			return v, true
		}
		v, ok := env[name]
		return v, ok
	}
	_, lenient := env["ENVYAML_STRICT_DISABLE"]
	text, err := interpolate(string(raw), lookup, !lenient)
	if err != nil {
		return nil, &Error{Path: path, Problems: []Problem{{Message: err.Error()}}}
	}
	tree, err := parseYAML(path, []byte(text))
	if err != nil {
		return nil, &Error{Path: path, Problems: []Problem{{Message: err.Error()}}}
	}
	// Variables whose names look like configuration keys become configuration,
	// underneath the file's own values: environment first, then .env.
	merged := map[string]any{}
	applyFlatVars(merged, env, "environment variable")
	applyFlatVars(merged, dotEnv, dotEnvPath)
	for _, k := range tree.keys {
		setDotted(merged, k, tree.values[k])
	}
	cfg := Default()
	cfg.Path = path
	d := &decoder{}
	d.decodeStruct("", merged, cfg)
	cfg.explicit = d.set
	cfg.Warnings = append(cfg.Warnings, d.warnings...)
	cfg.applyDeprecated()
	problems := append(d.problems, cfg.validate()...)
	if len(problems) > 0 {
		return cfg, &Error{Path: path, Problems: problems}
	}
	return cfg, nil
}

func loadDotEnv(path string, env map[string]string) (map[string]string, string, error) {
	explicit := path != ""
	if !explicit {
		if p, ok := env["ENV_FILE"]; ok && p != "" {
			path, explicit = p, true
		} else {
			path = ".env"
		}
	}
	vars, err := readDotEnv(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !explicit {
			return map[string]string{}, path, nil
		}
		return nil, path, fmt.Errorf("cannot read env file %s: %w", path, err)
	}
	return vars, path, nil
}

// knownTopLevel lists the keys an environment variable may set.
var knownTopLevel = map[string]bool{
	"elasticsearch": true, "service": true, "connectors": true, "connector_id": true,
	"service_type": true, "sources": true, "extraction_service": true,
}

func applyFlatVars(merged map[string]any, vars map[string]string, origin string) {
	for _, k := range sortedKeys(vars) {
		first, _, _ := strings.Cut(k, ".")
		if !knownTopLevel[first] {
			continue // PATH, HOME and friends are not configuration
		}
		setDotted(merged, k, &leaf{value: vars[k], origin: origin + " " + k, fromEnv: true})
	}
}

// setDotted nests a top-level key on its dots and deep-merges mappings.
func setDotted(root map[string]any, key string, v any) {
	parts := strings.Split(key, ".")
	m := root
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if existing, ok := m[last].(map[string]any); ok {
		if incoming, ok := v.(map[string]any); ok {
			deepMerge(existing, incoming)
			return
		}
	}
	m[last] = v
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if dm, ok := dst[k].(map[string]any); ok {
			if sm, ok := v.(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}
