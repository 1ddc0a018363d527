package estest

import (
	"strings"
)

// Names of the connector indices and aliases (connector-api.md §1.1).
const (
	ConnectorsIndex = ".elastic-connectors-v1"
	ConnectorsAlias = ".elastic-connectors"
	SyncJobsIndex   = ".elastic-connectors-sync-jobs-v1"
	SyncJobsAlias   = ".elastic-connectors-sync-jobs"
	SecretsIndex    = ".connector-secrets-1"
	SecretsAlias    = ".connector-secrets"
	ACLIndexPrefix  = ".search-acl-filter-"
	DefaultPipeline = "search-default-ingestion"
)

func typ(t string) *Object { return newObj("type", t) }

func props(kv ...any) *Object { return newObj("properties", newObj(kv...)) }

func dynFalse(kv ...any) *Object {
	return newObj("dynamic", "false", "properties", newObj(kv...))
}

func dynFalseObject() *Object { return newObj("type", "object", "dynamic", "false") }

func (s *Server) filteringRulesMapping() *Object {
	return props("created_at", typ("date"), "field", typ("keyword"), "id", typ("keyword"), "order", typ("short"),
		"policy", typ("keyword"), "rule", typ("keyword"), "updated_at", typ("date"), "value", typ("keyword"))
}

func (s *Server) snippetMapping() *Object {
	return props("created_at", typ("date"), "updated_at", typ("date"), "value", dynFalseObject())
}

func (s *Server) pipelineMapping() *Object {
	return dynFalse("extract_binary_content", typ("boolean"), "name", typ("keyword"),
		"reduce_whitespace", typ("boolean"), "run_ml_inference", typ("boolean"))
}

// connectorsMapping is the mapping of .elastic-connectors-v1 (connector-api.md §6.3): strict at the
// root in 9.x, dynamic false in 8.x.
func (s *Server) connectorsMapping() *Object {
	rules := func() *Object {
		return props("advanced_snippet", s.snippetMapping(), "rules", s.filteringRulesMapping(),
			"validation", props("errors", props("ids", typ("keyword"), "messages", typ("text")), "state", typ("keyword")))
	}
	sched := func() *Object { return props("enabled", typ("boolean"), "interval", typ("text")) }
	root := "strict"
	if s.major < 9 {
		root = "false"
	}
	return newObj("dynamic", root, "_meta", newObj("version", s.opts.Version, "managed_index_mappings_version", 3),
		"properties", newObj(
			"api_key_id", typ("keyword"), "api_key_secret_id", typ("keyword"),
			"configuration", dynFalseObject(), "custom_scheduling", dynFalseObject(),
			"deleted", typ("boolean"), "description", typ("text"), "error", typ("keyword"),
			"features", dynFalse("filtering_advanced_config", typ("boolean"), "filtering_rules", typ("boolean"),
				"incremental_sync", props("enabled", typ("boolean")),
				"sync_rules", props("advanced", props("enabled", typ("boolean")), "basic", props("enabled", typ("boolean")))),
			"filtering", dynFalse("active", rules(), "domain", typ("keyword"), "draft", rules()),
			"index_name", typ("keyword"), "is_native", typ("boolean"), "language", typ("keyword"),
			"last_access_control_sync_error", typ("keyword"), "last_access_control_sync_scheduled_at", typ("date"),
			"last_access_control_sync_status", typ("keyword"), "last_deleted_document_count", typ("long"),
			"last_incremental_sync_scheduled_at", typ("date"), "last_indexed_document_count", typ("long"),
			"last_seen", typ("date"), "last_sync_error", typ("keyword"), "last_sync_scheduled_at", typ("date"),
			"last_sync_status", typ("keyword"), "last_synced", typ("date"), "name", typ("keyword"),
			"pipeline", s.pipelineMapping(),
			"scheduling", dynFalse("access_control", sched(), "full", sched(), "incremental", sched()),
			"service_type", typ("keyword"), "status", typ("keyword"), "sync_cursor", dynFalseObject(),
			"sync_now", typ("boolean")))
}

// syncJobsMapping is the mapping of .elastic-connectors-sync-jobs-v1 (connector-api.md §7.3).
func (s *Server) syncJobsMapping() *Object {
	root := "strict"
	if s.major < 9 {
		root = "false"
	}
	return newObj("dynamic", root, "_meta", newObj("version", s.opts.Version, "managed_index_mappings_version", 3),
		"properties", newObj(
			"cancelation_requested_at", typ("date"), "canceled_at", typ("date"), "completed_at", typ("date"),
			"connector", props("configuration", dynFalseObject(),
				"filtering", dynFalse("advanced_snippet", s.snippetMapping(), "domain", typ("keyword"),
					"rules", s.filteringRulesMapping(),
					"warnings", props("ids", typ("keyword"), "messages", typ("text"))),
				"id", typ("keyword"), "index_name", typ("keyword"), "language", typ("keyword"),
				"pipeline", s.pipelineMapping(), "service_type", typ("keyword"), "sync_cursor", dynFalseObject()),
			"created_at", typ("date"), "deleted_document_count", typ("integer"), "error", typ("keyword"),
			"indexed_document_count", typ("integer"), "indexed_document_volume", typ("integer"),
			"job_type", typ("keyword"), "last_seen", typ("date"), "metadata", dynFalseObject(),
			"started_at", typ("date"), "status", typ("keyword"), "total_document_count", typ("integer"),
			"trigger_method", typ("keyword"), "worker_hostname", typ("keyword")))
}

// templateFor returns the built-in template body (settings, mappings, aliases) for an index name.
func (s *Server) templateFor(name string) *Object {
	replicas := "0-1"
	if s.major < 9 {
		replicas = "0-3"
	}
	sysSettings := func() *Object {
		return newObj("index", newObj("hidden", true, "number_of_shards", "1", "auto_expand_replicas", replicas))
	}
	alias := func(a string) *Object {
		return newObj(a, newObj("is_hidden", true))
	}
	switch {
	case name == ConnectorsIndex:
		return newObj("settings", sysSettings(), "mappings", s.connectorsMapping(), "aliases", alias(ConnectorsAlias))
	case name == SyncJobsIndex:
		return newObj("settings", sysSettings(), "mappings", s.syncJobsMapping(), "aliases", alias(SyncJobsAlias))
	case name == SecretsIndex:
		return newObj("settings", newObj("index", newObj("hidden", true, "number_of_shards", "1", "auto_expand_replicas", "0-1")),
			"mappings", newObj("dynamic", "false", "properties", newObj("value", newObj("type", "keyword", "index", false))),
			"aliases", alias(SecretsAlias))
	case strings.HasPrefix(name, ACLIndexPrefix):
		return newObj("settings", newObj("index", newObj("hidden", true, "number_of_shards", 1, "number_of_replicas", 1)),
			"mappings", newObj("dynamic", "false", "properties", newObj("created_at", typ("date"))))
	}
	return nil
}

// installDefaultPipelines installs search-default-ingestion as Elasticsearch's ent-search registry does.
// The processors below are the documented behaviour; estest runs them with its own engine.
func (s *Server) installDefaultPipelines() {
	onFail := func(what string) []any {
		return []any{newObj("append", newObj("description", "Record the failure",
			"field", "_ingestion_errors",
			"value", "Processor '"+what+"' in pipeline '{{ _ingest.on_failure_pipeline }}' failed with message '{{ _ingest.on_failure_message }}'"))}
	}
	def := newObj("version", 1, "description", "Default ingest pipeline for connector content indices",
		"_meta", newObj("managed_by", "Enterprise Search", "managed", true),
		"processors", []any{
			newObj("attachment", newObj("description", "Extract text from the base64 _attachment",
				"field", "_attachment", "target_field", "_extracted_attachment", "ignore_missing", true,
				"indexed_chars_field", "_attachment_indexed_chars", "if", "ctx?._extract_binary_content == true",
				"on_failure", onFail("attachment"), "remove_binary", false)),
			newObj("set", newObj("tag", "set_body", "description", "Copy the extracted text into body",
				"field", "body", "copy_from", "_extracted_attachment.content", "ignore_empty_value", true,
				"if", "ctx?._extract_binary_content == true", "on_failure", onFail("set' with tag 'set_body"))),
			newObj("gsub", newObj("tag", "remove_replacement_chars", "description", "Drop U+FFFD replacement characters",
				"field", "body", "pattern", "\uFFFD", "replacement", "", "ignore_missing", true,
				"if", "ctx?._extract_binary_content == true", "on_failure", onFail("gsub' with tag 'remove_replacement_chars"))),
			newObj("gsub", newObj("tag", "remove_extra_whitespace", "description", "Collapse runs of whitespace",
				"field", "body", "pattern", `\s+`, "replacement", " ", "ignore_missing", true,
				"if", "ctx?._reduce_whitespace == true", "on_failure", onFail("gsub' with tag 'remove_extra_whitespace"))),
			newObj("trim", newObj("description", "Trim the body", "field", "body", "ignore_missing", true,
				"if", "ctx?._reduce_whitespace == true", "on_failure", onFail("trim"))),
			newObj("remove", newObj("tag", "remove_meta_fields", "description", "Remove the connector control fields",
				"field", []any{"_attachment", "_attachment_indexed_chars", "_extracted_attachment",
					"_extract_binary_content", "_reduce_whitespace", "_run_ml_inference"},
				"ignore_missing", true, "on_failure", onFail("remove' with tag 'remove_meta_fields"))),
		})
	p, e := compilePipeline(DefaultPipeline, def)
	if e != nil {
		panic("estest: built-in pipeline does not compile: " + e.reason)
	}
	s.pipes[DefaultPipeline] = p
}
