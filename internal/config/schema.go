package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Key describes one configuration key: the schema the configuration
// reference (docs/configuration.md) is generated from, and that tests check
// the rest of the documentation against.
type Key struct {
	// Path is the dotted key; list items are written connectors[].api_key.
	Path string
	// Type is the YAML type expected: string, integer, number, boolean,
	// list of strings, mapping of strings.
	Type string
	// Default is the value used when the key is absent, as YAML text, or
	// "absent" when the key has no value by default.
	Default string
	// Doc says what the key does.
	Doc string
	// Ours marks keys the original service does not have.
	Ours bool
	// Deprecated names the key that replaces this one.
	Deprecated string
	// Secret marks values that are never shown.
	Secret bool
}

// keyDoc is the hand-written part of a key's description.
type keyDoc struct {
	doc        string
	ours       bool
	deprecated string
	// def replaces the default shown when it is derived from other keys.
	def string
}

// keyDocs describes every key of Config. A key without an entry here fails
// TestSchemaDocumentsEveryKey, so that a new setting cannot land
// undocumented.
var keyDocs = map[string]keyDoc{
	"elasticsearch":                            {doc: "How to reach the cluster, and how documents are sent to it."},
	"elasticsearch.host":                       {doc: "Cluster URL; the scheme decides TLS. A user name and password in the URL (`http://user:pass@host:9200`) are used for basic auth, win over `username`/`password`, and are never shown."},
	"elasticsearch.api_key":                    {doc: "When present, sent as `Authorization: ApiKey …` and used instead of any user name and password (a warning says so when both are set). The encoded form Kibana shows, or the raw `id:key` pair."},
	"elasticsearch.username":                   {doc: "Basic auth user, used when there is no `api_key`."},
	"elasticsearch.password":                   {doc: "Basic auth password, used when there is no `api_key`."},
	"elasticsearch.ssl":                        {doc: "Whether `verify_certs` and `ca_certs` apply (TLS itself follows the URL scheme)."},
	"elasticsearch.verify_certs":               {doc: "Verify the server certificate."},
	"elasticsearch.ca_certs":                   {doc: "PEM file of certificate authorities to trust, added to the system pool."},
	"elasticsearch.request_timeout":            {doc: "Seconds per request attempt."},
	"elasticsearch.retry_on_timeout":           {doc: "Retry requests that time out."},
	"elasticsearch.max_retries":                {doc: "With `retry_interval`, sets the default `retry_budget` (see [Retries](#retries)); `1` or `0` turns retries off."},
	"elasticsearch.retry_interval":             {doc: "Seconds; the longest single wait between attempts unless `retry_backoff_max` is set, and the unit of the default `retry_budget`."},
	"elasticsearch.retry_budget":               {doc: "Seconds during which a call that failed transiently is retried, counted from its first failure; `0` turns retries off.", ours: true, def: "retry_interval × (1 + … + (max_retries − 1)), 100 with the defaults"},
	"elasticsearch.retry_backoff_initial":      {doc: "Seconds of the first wait; each further wait doubles.", ours: true},
	"elasticsearch.retry_backoff_max":          {doc: "Seconds; the longest single wait.", ours: true, def: "retry_interval"},
	"elasticsearch.max_wait_duration":          {doc: "Seconds to wait for the cluster at start-up."},
	"elasticsearch.initial_backoff_duration":   {doc: "First wait at start-up, in seconds, multiplied by `backoff_multiplier` after each attempt."},
	"elasticsearch.backoff_multiplier":         {doc: "Growth of the start-up waits."},
	"elasticsearch.log_level":                  {doc: "Level of the Elasticsearch transport log."},
	"elasticsearch.feature_use_connectors_api": {doc: "Use the `_connector` API where the cluster has it (8.12 and later); otherwise the connector indices are written directly."},
	"elasticsearch.headers":                    {doc: "Extra HTTP headers on every request. `User-Agent` may be overridden; `X-Elastic-Product-Origin: connectors` may not. Values are hidden by `config show`, except harmless ones such as `User-Agent`."},
	"elasticsearch.proxy":                      {doc: "HTTP(S) proxy URL for Elasticsearch traffic; without it `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply. Credentials in the URL are never shown.", ours: true},

	"elasticsearch.bulk":                           {doc: "How documents are queued and sent with `_bulk`."},
	"elasticsearch.bulk.queue_max_size":            {doc: "Documents waiting between the source and `_bulk`."},
	"elasticsearch.bulk.queue_max_mem_size":        {doc: "MiB waiting between the source and `_bulk`."},
	"elasticsearch.bulk.queue_refresh_interval":    {doc: "Seconds between checks of a full queue."},
	"elasticsearch.bulk.queue_refresh_timeout":     {doc: "Seconds a full queue may block before the sync fails as \"Elasticsearch overloaded\"."},
	"elasticsearch.bulk.display_every":             {doc: "Progress log every N documents."},
	"elasticsearch.bulk.chunk_size":                {doc: "NDJSON lines per `_bulk` request (an index operation is 2 lines, a delete 1)."},
	"elasticsearch.bulk.chunk_max_mem_size":        {doc: "MiB per `_bulk` request."},
	"elasticsearch.bulk.max_text_document_size":    {doc: "MiB cap on one document without binary content; `0` disables the cap."},
	"elasticsearch.bulk.max_concurrency":           {doc: "`_bulk` requests in flight per sync."},
	"elasticsearch.bulk.concurrent_downloads":      {doc: "Binary downloads in flight per sync."},
	"elasticsearch.bulk.max_retries":               {doc: "Accepted for compatibility; as in the original, not used: bulk requests and items retry under the `elasticsearch.*` retry settings."},
	"elasticsearch.bulk.retry_interval":            {doc: "Accepted for compatibility; as in the original, not used: bulk requests and items retry under the `elasticsearch.*` retry settings."},
	"elasticsearch.bulk.enable_operations_logging": {doc: "Log every bulk item result at DEBUG."},

	"elasticsearch.bulk.error_monitor":                        {doc: "When document errors fail a sync."},
	"elasticsearch.bulk.error_monitor.enabled":                {doc: "When false, document errors are only counted."},
	"elasticsearch.bulk.error_monitor.max_total_errors":       {doc: "The sync fails when the document errors exceed this number."},
	"elasticsearch.bulk.error_monitor.max_consecutive_errors": {doc: "… or when consecutive errors exceed this number."},
	"elasticsearch.bulk.error_monitor.max_error_rate":         {doc: "… or when the error rate over the window exceeds this fraction."},
	"elasticsearch.bulk.error_monitor.error_window_size":      {doc: "Documents in the window of the rate."},
	"elasticsearch.bulk.error_monitor.error_queue_size":       {doc: "Last errors kept for the report."},

	"service":                                     {doc: "The service's loops, limits and logging."},
	"service.worker_mode":                         {doc: "Pick up every non-native connector of `service_types` instead of (or besides) the `connectors` list."},
	"service.service_types":                       {doc: "Service types picked up by service type. As in the original, honoured even without `worker_mode` (a warning says so)."},
	"service.idling":                              {doc: "Seconds between polls for connectors and jobs."},
	"service.heartbeat":                           {doc: "Minimum seconds between connector check-ins."},
	"service.preflight_max_attempts":              {doc: "Retries for creating the system indices at start-up. A wrongly mapped existing index is not retried: it stops the start-up at once ([the connector indices](service.md#the-connector-indices))."},
	"service.preflight_idle":                      {doc: "Seconds between those retries."},
	"service.max_errors":                          {doc: "Loop errors tolerated within `max_errors_span` before the service stops."},
	"service.max_errors_span":                     {doc: "Seconds after which the error count starts again."},
	"service.max_concurrent_content_syncs":        {doc: "Full and incremental syncs run at once by this process."},
	"service.max_concurrent_access_control_syncs": {doc: "Access-control syncs run at once by this process."},
	"service.max_concurrent_scheduling_tasks":     {doc: "Connectors scheduled in parallel."},
	"service.max_concurrent_syncs":                {doc: "The original's old name of `max_concurrent_content_syncs`: used, with a warning, when that key is not set; ignored, with a warning, when it is.", deprecated: "service.max_concurrent_content_syncs"},
	"service.max_file_download_size":              {doc: "Bytes; larger files are indexed without their content (one log line per file, counted as `binary_docs_skipped` in the job's metadata)."},
	"service.job_cleanup_interval":                {doc: "Seconds between cleanup runs."},
	"service.log_level":                           {doc: "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`; `--log-level` wins."},
	"service.fips_mode":                           {doc: "Accepted for compatibility."},
	"service.idle_job_threshold":                  {doc: "Seconds a running job may go without any change before another instance takes its worker for dead (fixed at 300 in the original). At least 3; a running job reports progress every third of it, at most every 10 s (the original's interval), so a live job reports at least three times within it. See [crashes](service.md#shutdown-and-crashes).", ours: true},
	"service.resume_crashed_jobs":                 {doc: "A job whose worker died is handed to the next instance that polls and continued from the source's last checkpoint (or from the start), instead of being marked `error` as in the original.", ours: true},
	"service.max_job_resumes":                     {doc: "How often one job may be handed on that way before it is marked `error` after all.", ours: true},
	"service.instance_name":                       {doc: "This process's name in logs, metrics and job histories; empty means the host name plus a random suffix, new at every start. `worker_hostname` stays the host name.", ours: true},
	"service.extraction_mode":                     {doc: "How binary content becomes text: `local` (in this process), `attachment` (base64 in `_attachment` for the ingest pipeline, as the original), `service` (the Data Extraction Service of `extraction_service`) or `auto` (the original's choice per connector). See [extraction](extraction.md).", ours: true},
	"service.metrics_addr":                        {doc: "Address for `/metrics`, `/healthz` and `/readyz`, e.g. `127.0.0.1:9110`; empty disables the listener.", ours: true},

	"connectors":                {doc: "The connectors this service runs. Entries without `connector_id` are ignored with a warning; a repeated id keeps the later entry (and `config validate` fails)."},
	"connectors[].connector_id": {doc: "The connector's id, from Kibana or `connectors connector create`."},
	"connectors[].service_type": {doc: "The connector's source; it must be compiled into this binary (`connectors source list`), or `config validate` fails."},
	"connectors[].api_key":      {doc: "Optional API key used only to write documents into the connector's index."},
	"connector_id":              {doc: "Deprecated single-connector form, used only when `connectors` is empty.", deprecated: "connectors"},
	"service_type":              {doc: "Deprecated single-connector form, used only when `connectors` is empty.", deprecated: "connectors"},
	"sources":                   {doc: "Service type → implementation, merged over the original's 31 built-in names. The keys are the enabled set; the values (Python class paths) are informational here."},

	"extraction_service":                   {doc: "A Data Extraction Service for binary content. Absent by default; the defaults below apply once the section is present. Start-up pings `<host>/ping/` and only warns when that fails."},
	"extraction_service.host":              {doc: "Base URL of the service (required when the section is present)."},
	"extraction_service.timeout":           {doc: "Seconds for one extraction request, upload included."},
	"extraction_service.use_file_pointers": {doc: "Send a path in the shared volume instead of the bytes."},
	"extraction_service.stream_chunk_size": {doc: "Bytes handed to the HTTP client per read while uploading."},
	"extraction_service.shared_volume_dir": {doc: "Where the temporary files go when file pointers are used."},
}

// Schema lists every configuration key in file order, with its type, its
// default and its documentation.
func Schema() []Key {
	var keys []Key
	def := Default()
	schemaStruct("", reflect.ValueOf(def).Elem(), reflect.ValueOf(def.Map(false)), &keys)
	for i := range keys {
		if d := keyDocs[keys[i].Path].def; d != "" {
			keys[i].Default = d
		}
	}
	return keys
}

func schemaStruct(prefix string, v reflect.Value, defaults reflect.Value, out *[]Key) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("cfg")
		if tag == "" || tag == "-" {
			continue
		}
		path := join(prefix, tag)
		ft := t.Field(i).Type
		var dv reflect.Value
		if defaults.IsValid() && defaults.Kind() == reflect.Map {
			dv = defaults.MapIndex(reflect.ValueOf(tag))
		}
		k := Key{Path: path, Secret: secretKeys[tag]}
		d := keyDocs[path]
		k.Doc, k.Ours, k.Deprecated = d.doc, d.ours, d.deprecated
		elem := ft
		if elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		switch {
		case elem.Kind() == reflect.Struct:
			k.Type = "mapping"
			*out = append(*out, k)
			sub := reflect.New(elem).Elem()
			var subDefaults reflect.Value
			if dv.IsValid() {
				subDefaults = reflect.ValueOf(dv.Interface())
			} else if elem == reflect.TypeOf(ExtractionService{}) {
				// The section is absent by default; its keys have defaults
				// once it is present.
				subDefaults = reflect.ValueOf(structMap(reflect.ValueOf(defaultExtractionService()).Elem(), false))
			}
			schemaStruct(path, sub, subDefaults, out)
		case elem.Kind() == reflect.Slice && elem.Elem().Kind() == reflect.Struct:
			k.Type = "list of mappings"
			k.Default = "absent"
			*out = append(*out, k)
			schemaStruct(path+"[]", reflect.New(elem.Elem()).Elem(), reflect.Value{}, out)
		default:
			k.Type = typeName(elem)
			k.Default = "absent"
			if dv.IsValid() && ft.Kind() != reflect.Pointer {
				k.Default = yamlText(dv.Interface())
			}
			*out = append(*out, k)
		}
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	case reflect.Map:
		return "mapping of " + typeName(t.Elem()) + "s"
	}
	return t.Kind().String()
}

// yamlText renders a default the way it would be written in config.yml.
func yamlText(v any) string {
	switch t := v.(type) {
	case string:
		if t == "" {
			return "absent"
		}
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = fmt.Sprint(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if len(t) == 0 {
			return "absent"
		}
		return fmt.Sprintf("%d entries", len(t))
	case map[string]string:
		if len(t) == 0 {
			return "{}"
		}
		return fmt.Sprintf("%d entries", len(t))
	}
	return fmt.Sprint(v)
}

// KnownKey reports whether path (dotted, list items as connectors[0].x or
// connectors[].x) names a configuration key. Keys under a free-form mapping
// (elasticsearch.headers.X, sources.X) count as known.
func KnownKey(path string) bool {
	norm := listIndex.ReplaceAllString(path, "[]")
	for _, k := range Schema() {
		if k.Path == norm {
			return true
		}
		if strings.HasPrefix(k.Type, "mapping of") && strings.HasPrefix(norm, k.Path+".") {
			return true
		}
	}
	return false
}

var listIndex = regexp.MustCompile(`\[\d+\]`)

// TopLevelKeys are the keys config.yml may have at its top level, sorted.
func TopLevelKeys() []string {
	var out []string
	for _, k := range Schema() {
		if !strings.ContainsAny(k.Path, ".[") {
			out = append(out, k.Path)
		}
	}
	sort.Strings(out)
	return out
}

// Reference renders the schema as the Markdown tables of
// docs/configuration.md: one table per mapping, in file order.
func Reference() string {
	var b strings.Builder
	keys := Schema()
	type section struct {
		title string
		doc   string
		rows  []Key
	}
	var sections []*section
	byPath := map[string]*section{}
	top := &section{title: "Top level"}
	for _, k := range keys {
		if k.Type == "mapping" || k.Type == "list of mappings" {
			s := &section{title: k.Path, doc: k.Doc}
			if k.Type == "list of mappings" {
				s.title = k.Path + "[]"
			}
			sections = append(sections, s)
			byPath[s.title] = s
			if k.Type == "list of mappings" {
				top.rows = append(top.rows, k)
			}
			continue
		}
		parent := ""
		if i := strings.LastIndex(k.Path, "."); i >= 0 {
			parent = k.Path[:i]
		}
		if s, ok := byPath[parent]; ok {
			s.rows = append(s.rows, k)
		} else {
			top.rows = append(top.rows, k)
		}
	}
	sections = append(sections, top)
	for _, s := range sections {
		if len(s.rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s\n\n", sectionTitle(s.title))
		if s.doc != "" {
			b.WriteString(s.doc + "\n\n")
		}
		b.WriteString("| Key | Type | Default | Meaning |\n|---|---|---|---|\n")
		for _, k := range s.rows {
			name := k.Path
			if s.title != "Top level" {
				name = strings.TrimPrefix(k.Path, s.title+".")
			}
			doc := k.Doc
			switch {
			case k.Deprecated != "":
				doc = fmt.Sprintf("**Deprecated**, use `%s`. %s", k.Deprecated, doc)
			case k.Ours:
				doc = "**Ours.** " + doc
			}
			def := k.Default
			switch {
			case keyDocs[k.Path].def != "":
				// Derived from other keys: prose, not a value.
			case def != "absent":
				def = "`" + def + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, k.Type, def, strings.ReplaceAll(doc, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func sectionTitle(t string) string {
	if t == "Top level" {
		return t
	}
	return "`" + t + "`"
}
