package config

import (
	"fmt"
	"net/url"
	"strings"
)

// LogLevels are the level names the original accepts, upper-cased.
var LogLevels = []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}

// NormalizeLogLevel maps a level name (any case, WARN accepted) to one of
// LogLevels, reporting whether it was recognised.
func NormalizeLogLevel(s string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "WARN" {
		u = "WARNING"
	}
	if u == "NOTSET" {
		u = "DEBUG"
	}
	for _, l := range LogLevels {
		if u == l {
			return u, true
		}
	}
	return "", false
}

type check struct {
	problems []Problem
}

func (c *check) add(key, format string, args ...any) {
	c.problems = append(c.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

func (c *check) positiveInt(key string, v int) {
	if v <= 0 {
		c.add(key, "must be > 0, got %d", v)
	}
}

func (c *check) nonNegativeInt(key string, v int) {
	if v < 0 {
		c.add(key, "must be >= 0, got %d", v)
	}
}

func (c *check) positive(key string, v float64) {
	if v <= 0 {
		c.add(key, "must be > 0, got %g", v)
	}
}

func (c *check) nonNegative(key string, v float64) {
	if v < 0 {
		c.add(key, "must be >= 0, got %g", v)
	}
}

func (c *check) httpURL(key, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(key, "must be a URL starting with http:// or https://, got %q", redactURL(v))
	}
}

// RedactURL hides the user-info part (user name and password) of a URL
// before it is shown. Text that does not parse as a URL is cut at the last
// '@' after the scheme, so that a malformed URL holding a password is not
// shown either.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err == nil {
		if u.User == nil {
			return s
		}
		u.User = url.User(Redacted)
		return u.String()
	}
	rest, scheme := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return scheme + Redacted + rest[at:]
	}
	return s
}

// Redacted stands for a hidden secret in everything shown to a person.
const Redacted = "REDACTED"

func redactURL(s string) string { return RedactURL(s) }

// validate checks ranges and relations after decoding, and normalises the
// connectors list (ids stringified, entries without ids dropped, later
// duplicates winning) as the original does.
func (cfg *Config) validate() []Problem {
	c := &check{}
	es := &cfg.Elasticsearch
	c.httpURL("elasticsearch.host", es.Host)
	if es.APIKey != nil && strings.TrimSpace(*es.APIKey) == "" {
		c.add("elasticsearch.api_key", "must not be empty; remove the key to use username/password")
	}
	if es.Proxy != "" {
		c.httpURL("elasticsearch.proxy", es.Proxy)
	}
	c.positive("elasticsearch.request_timeout", es.RequestTimeout)
	c.nonNegativeInt("elasticsearch.max_retries", es.MaxRetries)
	c.nonNegative("elasticsearch.retry_interval", es.RetryInterval)
	if es.RetryBudget != nil {
		c.nonNegative("elasticsearch.retry_budget", *es.RetryBudget)
	}
	c.positive("elasticsearch.retry_backoff_initial", es.RetryBackoffInitial)
	if es.RetryBackoffMax != nil {
		c.positive("elasticsearch.retry_backoff_max", *es.RetryBackoffMax)
	}
	c.nonNegative("elasticsearch.max_wait_duration", es.MaxWaitDuration)
	c.positive("elasticsearch.initial_backoff_duration", es.InitialBackoffDuration)
	if es.BackoffMultiplier < 1 {
		c.add("elasticsearch.backoff_multiplier", "must be >= 1, got %g", es.BackoffMultiplier)
	}
	if _, ok := NormalizeLogLevel(es.LogLevel); !ok {
		c.add("elasticsearch.log_level", "must be one of %s, got %q", strings.Join(LogLevels, ", "), es.LogLevel)
	}

	b := &es.Bulk
	c.positiveInt("elasticsearch.bulk.queue_max_size", b.QueueMaxSize)
	c.positive("elasticsearch.bulk.queue_max_mem_size", b.QueueMaxMemSize)
	c.positive("elasticsearch.bulk.queue_refresh_interval", b.QueueRefreshInterval)
	c.positive("elasticsearch.bulk.queue_refresh_timeout", b.QueueRefreshTimeout)
	c.positiveInt("elasticsearch.bulk.display_every", b.DisplayEvery)
	c.positiveInt("elasticsearch.bulk.chunk_size", b.ChunkSize)
	c.positive("elasticsearch.bulk.chunk_max_mem_size", b.ChunkMaxMemSize)
	c.nonNegative("elasticsearch.bulk.max_text_document_size", b.MaxTextDocumentSize)
	c.positiveInt("elasticsearch.bulk.max_concurrency", b.MaxConcurrency)
	c.positiveInt("elasticsearch.bulk.concurrent_downloads", b.ConcurrentDownloads)
	c.nonNegativeInt("elasticsearch.bulk.max_retries", b.MaxRetries)
	c.nonNegative("elasticsearch.bulk.retry_interval", b.RetryInterval)
	em := &b.ErrorMonitor
	c.nonNegativeInt("elasticsearch.bulk.error_monitor.max_total_errors", em.MaxTotalErrors)
	c.nonNegativeInt("elasticsearch.bulk.error_monitor.max_consecutive_errors", em.MaxConsecutiveErrors)
	if em.MaxErrorRate < 0 || em.MaxErrorRate > 1 {
		c.add("elasticsearch.bulk.error_monitor.max_error_rate", "must be between 0 and 1, got %g", em.MaxErrorRate)
	}
	c.positiveInt("elasticsearch.bulk.error_monitor.error_window_size", em.ErrorWindowSize)
	c.positiveInt("elasticsearch.bulk.error_monitor.error_queue_size", em.ErrorQueueSize)

	s := &cfg.Service
	c.positive("service.idling", s.Idling)
	c.positive("service.heartbeat", s.Heartbeat)
	c.nonNegativeInt("service.preflight_max_attempts", s.PreflightMaxAttempts)
	c.nonNegative("service.preflight_idle", s.PreflightIdle)
	c.nonNegativeInt("service.max_errors", s.MaxErrors)
	c.positive("service.max_errors_span", s.MaxErrorsSpan)
	c.positiveInt("service.max_concurrent_content_syncs", s.MaxConcurrentContentSyncs)
	c.positiveInt("service.max_concurrent_access_control_syncs", s.MaxConcurrentAccessControlSyncs)
	c.positiveInt("service.max_concurrent_scheduling_tasks", s.MaxConcurrentSchedulingTasks)
	if s.MaxConcurrentSyncs != nil {
		c.positiveInt("service.max_concurrent_syncs", *s.MaxConcurrentSyncs)
	}
	if s.MaxFileDownloadSize <= 0 {
		c.add("service.max_file_download_size", "must be > 0, got %d", s.MaxFileDownloadSize)
	}
	c.positive("service.job_cleanup_interval", s.JobCleanupInterval)
	if s.IdleJobThreshold < MinIdleJobThreshold.Seconds() {
		c.add("service.idle_job_threshold", "must be at least %g seconds, got %g: a running job reports progress at most once per %s, and %d reports must fit in the threshold before other instances may take it for dead",
			MinIdleJobThreshold.Seconds(), s.IdleJobThreshold, MinProgressInterval, progressReportsPerThreshold)
	}
	c.nonNegativeInt("service.max_job_resumes", s.MaxJobResumes)
	if s.InstanceName != "" && strings.TrimSpace(s.InstanceName) != s.InstanceName {
		c.add("service.instance_name", "must not start or end with spaces, got %q", s.InstanceName)
	}
	switch strings.ToLower(s.ExtractionMode) {
	case "local", "attachment", "auto":
	case "service":
		if cfg.ExtractionService == nil {
			c.add("service.extraction_mode", "is \"service\" but there is no extraction_service section")
		}
	default:
		c.add("service.extraction_mode", "must be one of local, attachment, service, auto, got %q", s.ExtractionMode)
	}
	if _, ok := NormalizeLogLevel(s.LogLevel); !ok {
		c.add("service.log_level", "must be one of %s, got %q", strings.Join(LogLevels, ", "), s.LogLevel)
	}

	if x := cfg.ExtractionService; x != nil {
		if x.Host == "" {
			c.add("extraction_service.host", "is required when extraction_service is set")
		} else {
			c.httpURL("extraction_service.host", x.Host)
		}
		c.positive("extraction_service.timeout", x.Timeout)
		c.positiveInt("extraction_service.stream_chunk_size", x.StreamChunkSize)
		if x.UseFilePointers && x.SharedVolumeDir == "" {
			c.add("extraction_service.shared_volume_dir", "is required when use_file_pointers is true")
		}
	}

	cfg.normalizeConnectors()
	for i, e := range cfg.Connectors {
		if e.APIKey != nil && strings.TrimSpace(*e.APIKey) == "" {
			c.add(cfg.connectorKey(i)+".api_key", "must not be empty; remove the key to use the global credentials")
		}
	}
	cfg.warnRelations()
	return c.problems
}

func (cfg *Config) normalizeConnectors() {
	var kept []ConnectorEntry
	var origin []int
	index := map[string]int{}
	for i, e := range cfg.Connectors {
		if strings.TrimSpace(e.ConnectorID) == "" {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("connectors[%d] has no connector_id and is ignored", i))
			continue
		}
		if at, dup := index[e.ConnectorID]; dup {
			// Reported by ConnectorProblems: an error for `config validate`,
			// logged at start by the service, which keeps the later entry.
			msg := fmt.Sprintf("connector_id %q is listed more than once; the later entry wins and the earlier one is ignored: remove one of them", e.ConnectorID)
			cfg.duplicates = append(cfg.duplicates, Problem{Key: fmt.Sprintf("connectors[%d].connector_id", i), Message: msg})
			kept[at], origin[at] = e, i
			continue
		}
		index[e.ConnectorID] = len(kept)
		kept = append(kept, e)
		origin = append(origin, i)
	}
	cfg.Connectors, cfg.connectorIndex = kept, origin
}

// connectorKey is the key path of Connectors[i] in the file's list.
func (cfg *Config) connectorKey(i int) string {
	if i < len(cfg.connectorIndex) {
		i = cfg.connectorIndex[i]
	}
	return fmt.Sprintf("connectors[%d]", i)
}

// applyDeprecated maps the original's deprecated keys onto their
// replacements. service.max_concurrent_syncs is the old name of
// service.max_concurrent_content_syncs: the original reads it only when the
// new key is absent, and warns. (Its own defaults always supply the new key,
// so there the old one never takes effect; here it does, when the file does
// not set the new key, which is what the warning promises.)
func (cfg *Config) applyDeprecated() {
	s := &cfg.Service
	if s.MaxConcurrentSyncs == nil {
		return
	}
	if cfg.IsSet("service.max_concurrent_content_syncs") {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("service.max_concurrent_syncs is deprecated and ignored: service.max_concurrent_content_syncs (%d) is set and wins; remove service.max_concurrent_syncs", s.MaxConcurrentContentSyncs))
		return
	}
	s.MaxConcurrentContentSyncs = *s.MaxConcurrentSyncs
	cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("service.max_concurrent_syncs is deprecated: its value %d is used for service.max_concurrent_content_syncs; rename the key", *s.MaxConcurrentSyncs))
}

// warnCredentials says which credentials win when several are configured:
// the API key over anything else, as in the original (which warns unless the
// user name and password are its defaults), then a user name and password
// embedded in the host URL over the username/password keys.
func (cfg *Config) warnCredentials() {
	es := cfg.Elasticsearch
	urlUser := false
	if u, err := url.Parse(es.Host); err == nil && u.User != nil {
		urlUser = true
	}
	def := Default().Elasticsearch
	basic := es.Username != def.Username || es.Password != def.Password
	switch {
	case es.APIKey != nil && urlUser:
		cfg.Warnings = append(cfg.Warnings, "elasticsearch.api_key is set and elasticsearch.host holds a user name and password: the API key is used and the credentials in the URL are ignored")
	case es.APIKey != nil && basic:
		cfg.Warnings = append(cfg.Warnings, "elasticsearch.api_key and elasticsearch.username/password are both set: the API key is used and the user name and password are ignored")
	case urlUser && (cfg.IsSet("elasticsearch.username") || cfg.IsSet("elasticsearch.password")):
		cfg.Warnings = append(cfg.Warnings, "elasticsearch.host holds a user name and password and elasticsearch.username/password are set too: the credentials in the URL are used")
	}
}

// warnRelations reports settings that are legal alone but defeat each other,
// the invariants the original's own configuration tests assert.
func (cfg *Config) warnRelations() {
	cfg.warnCredentials()
	s, b := cfg.Service, cfg.Elasticsearch.Bulk
	if s.Heartbeat <= s.Idling {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("service.heartbeat (%gs) should be greater than service.idling (%gs)", s.Heartbeat, s.Idling))
	}
	if s.JobCleanupInterval <= s.Idling {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("service.job_cleanup_interval (%gs) should be greater than service.idling (%gs)", s.JobCleanupInterval, s.Idling))
	}
	if b.ErrorMonitor.ErrorWindowSize <= b.ErrorMonitor.MaxConsecutiveErrors {
		cfg.Warnings = append(cfg.Warnings, "elasticsearch.bulk.error_monitor.error_window_size should be greater than max_consecutive_errors")
	}
	es := cfg.Elasticsearch
	// A bulk request can take its first attempt, the retry budget and one
	// last attempt started just before the budget ran out.
	worst := 2*es.RequestTimeout + es.EffectiveRetryBudget().Seconds()
	if b.QueueRefreshTimeout < worst {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("elasticsearch.bulk.queue_refresh_timeout (%gs) is shorter than the worst-case bulk retry time (%gs): a slow cluster may fail syncs as overloaded", b.QueueRefreshTimeout, worst))
	}
}

// ServiceProblems applies the original's start-up rules about which
// connectors the service should run (service-spec §3.4). They are separate
// from Load because the CLI can work with a file that has no connectors.
func (cfg *Config) ServiceProblems() []Problem {
	c := &check{}
	if cfg.Service.WorkerMode {
		if len(cfg.Service.ServiceTypes) == 0 {
			c.add("service.service_types", "service.worker_mode is true but no service types are configured")
		}
		return c.problems
	}
	entries := cfg.EffectiveConnectors()
	if len(entries) == 0 {
		c.add("connectors", "you must configure at least one connector: add a connectors list with connector_id and service_type (or set service.worker_mode with service.service_types)")
	}
	for i, e := range entries {
		if e.ConnectorID == "changeme" || e.ServiceType == "changeme" {
			c.add(cfg.connectorKey(i), "unmodified default configuration detected: replace the 'changeme' placeholders with a real connector_id and service_type")
		}
	}
	return c.problems
}

// ConnectorProblems lists the configured connectors that cannot run:
// without a service_type, with one this binary does not have (known says
// which it has), or dropped because their connector_id is listed again. The
// service still starts with them, as the original does (it logs and skips
// such connectors); `config validate` counts them as errors.
func (cfg *Config) ConnectorProblems(known func(serviceType string) bool) []Problem {
	c := &check{}
	c.problems = append(c.problems, cfg.duplicates...)
	for i, e := range cfg.EffectiveConnectors() {
		key := cfg.connectorKey(i) + ".service_type"
		if len(cfg.Connectors) == 0 {
			key = "service_type" // the deprecated top-level form
		}
		switch {
		case e.ServiceType == "":
			c.add(key, "connector %s has no service_type: the service will not sync it; add the connector's service type", e.ConnectorID)
		case e.ServiceType == "changeme":
			// ServiceProblems reports the placeholder.
		case known != nil && !known(e.ServiceType):
			c.add(key, "connector %s has service type %q, which is not compiled into this binary: its jobs would fail (see `connectors source list`)", e.ConnectorID, e.ServiceType)
		}
	}
	return c.problems
}

// EffectiveConnectors returns the connectors list, or the deprecated
// top-level connector_id/service_type pair when the list is empty.
func (cfg *Config) EffectiveConnectors() []ConnectorEntry {
	if len(cfg.Connectors) > 0 {
		return cfg.Connectors
	}
	if cfg.ConnectorID != "" && cfg.ServiceType != "" {
		return []ConnectorEntry{{ConnectorID: cfg.ConnectorID, ServiceType: cfg.ServiceType}}
	}
	return nil
}

// ServiceWarnings are the §3.4 warnings: ignored or deprecated settings.
func (cfg *Config) ServiceWarnings() []string {
	var w []string
	if !cfg.Service.WorkerMode && len(cfg.Service.ServiceTypes) > 0 {
		// The original warns that the list is ignored but honours it anyway;
		// we honour it too and say so.
		w = append(w, "service.service_types is set while service.worker_mode is false: connectors of those service types are still picked up, as in the original service")
	}
	if len(cfg.Connectors) == 0 && cfg.ConnectorID != "" && cfg.ServiceType != "" {
		w = append(w, "top-level connector_id/service_type are deprecated: move them into the connectors list")
	}
	return w
}

// ConnectorAPIKey returns the per-connector API key, if one is configured.
func (cfg *Config) ConnectorAPIKey(connectorID string) (string, bool) {
	for _, e := range cfg.Connectors {
		if e.ConnectorID == connectorID && e.APIKey != nil {
			return *e.APIKey, true
		}
	}
	return "", false
}
