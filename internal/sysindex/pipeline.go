package sysindex

// DefaultPipeline is the ingest pipeline connectors name unless configured
// otherwise; the ent-search module installs it.
const DefaultPipeline = "search-default-ingestion"

// controlFields are the per-document switches the service sends for the
// pipeline to act on and then drop.
var controlFields = []any{"_attachment", "_attachment_indexed_chars", "_extracted_attachment",
	"_extract_binary_content", "_reduce_whitespace", "_run_ml_inference"}

func onFailure(what string) []any {
	return []any{map[string]any{"append": map[string]any{
		"description": "Keep the failure on the document",
		"field":       "_ingestion_errors",
		"value":       "Processor " + what + " in pipeline '{{ _ingest.on_failure_pipeline }}' failed with message '{{ _ingest.on_failure_message }}'",
	}}}
}

func removeControlFields() map[string]any {
	return map[string]any{"remove": map[string]any{
		"tag": "remove_meta_fields", "description": "Drop the connector control fields",
		"field": controlFields, "ignore_missing": true,
		"on_failure": onFailure("'remove' with tag 'remove_meta_fields'"),
	}}
}

// DefaultPipelineBody is the pipeline the ent-search module installs, step
// for step (processor types, fields, conditions and failure records are the
// module's; the descriptions are ours): extract the base64 _attachment when
// _extract_binary_content is set, copy the text to body, drop U+FFFD, squash
// whitespace and trim when _reduce_whitespace is set, then remove the
// control fields.
func DefaultPipelineBody() map[string]any {
	extract := "ctx?._extract_binary_content == true"
	reduce := "ctx?._reduce_whitespace == true"
	return map[string]any{
		"description": "Default ingest pipeline for connector content (installed by the connectors service: this cluster lacks the ent-search module)",
		"_meta":       map[string]any{"managed_by": "connectors service"},
		"processors": []any{
			map[string]any{"attachment": map[string]any{
				"description": "Extract the text of the binary attachment", "field": "_attachment",
				"target_field": "_extracted_attachment", "ignore_missing": true,
				"indexed_chars_field": "_attachment_indexed_chars", "if": extract, "remove_binary": false,
				"on_failure": onFailure("'attachment'"),
			}},
			map[string]any{"set": map[string]any{
				"tag": "set_body", "description": "Put the extracted text in body", "field": "body",
				"copy_from": "_extracted_attachment.content", "ignore_empty_value": true, "if": extract,
				"on_failure": onFailure("'set' with tag 'set_body'"),
			}},
			map[string]any{"gsub": map[string]any{
				"tag": "remove_replacement_chars", "description": "Drop U+FFFD replacement characters", "field": "body",
				"pattern": "\uFFFD", "replacement": "", "ignore_missing": true, "if": extract,
				"on_failure": onFailure("'gsub' with tag 'remove_replacement_chars'"),
			}},
			map[string]any{"gsub": map[string]any{
				"tag": "remove_extra_whitespace", "description": "Collapse runs of whitespace", "field": "body",
				"pattern": `\s+`, "replacement": " ", "ignore_missing": true, "if": reduce,
				"on_failure": onFailure("'gsub' with tag 'remove_extra_whitespace'"),
			}},
			map[string]any{"trim": map[string]any{
				"description": "Trim body", "field": "body", "ignore_missing": true, "if": reduce,
				"on_failure": onFailure("'trim'"),
			}},
			removeControlFields(),
		},
	}
}

// ReducedPipelineBody is the stop-gap for a cluster that refuses the full
// pipeline (no ingest-common or attachment processors, no scripting for the
// conditions): it keeps only what runs there — removing the control fields
// when the remove processor exists — and records why, so that a later start
// can replace it.
func ReducedPipelineBody(canRemove bool, why string) map[string]any {
	procs := []any{}
	if canRemove {
		procs = append(procs, removeControlFields())
	}
	return map[string]any{
		"description": "Reduced stand-in for the default connector pipeline: this cluster cannot run the full one",
		"_meta":       map[string]any{"managed_by": "connectors service", "reduced": true, "refused_with": why},
		"processors":  procs,
	}
}
