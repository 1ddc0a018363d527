package estest

import (
	"encoding/json"
	"strings"

	"github.com/connectors-go/connectors/internal/sysindex"
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

// systemMapping is the mapping of a connector system index: the field
// definitions the service also uses on clusters without the ent-search
// module (internal/sysindex), strict at the root in 9.x and dynamic false
// in 8.x (connector-api.md §6.3, §7.3).
func (s *Server) systemMapping(name string) *Object {
	props, err := json.Marshal(sysindex.Properties(name))
	if err != nil {
		panic("estest: system index mapping: " + err.Error())
	}
	v, err := parseJSON(props)
	if err != nil {
		panic("estest: system index mapping: " + err.Error())
	}
	return newObj("dynamic", sysindex.RootDynamic(s.major),
		"_meta", newObj("version", s.opts.Version, "managed_index_mappings_version", 3),
		"properties", v)
}

// templateFor returns the built-in template body (settings, mappings, aliases) for an index name.
func (s *Server) templateFor(name string) *Object {
	if s.opts.NoEntSearch {
		return nil
	}
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
		return newObj("settings", sysSettings(), "mappings", s.systemMapping(ConnectorsIndex), "aliases", alias(ConnectorsAlias))
	case name == SyncJobsIndex:
		return newObj("settings", sysSettings(), "mappings", s.systemMapping(SyncJobsIndex), "aliases", alias(SyncJobsAlias))
	case name == SecretsIndex:
		return newObj("settings", newObj("index", newObj("hidden", true, "number_of_shards", "1", "auto_expand_replicas", "0-1")),
			"mappings", newObj("dynamic", "false", "properties", newObj("value", newObj("type", "keyword", "index", false))),
			"aliases", alias(SecretsAlias))
	case strings.HasPrefix(name, ACLIndexPrefix):
		return newObj("settings", newObj("index", newObj("hidden", true, "number_of_shards", 1, "number_of_replicas", 1)),
			"mappings", newObj("dynamic", "false", "properties", newObj("created_at", newObj("type", "date"))))
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
