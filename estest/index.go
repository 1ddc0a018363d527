package estest

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// doc is one version of a document. Sources are kept as the raw bytes the client sent.
type doc struct {
	id      string
	src     []byte
	seq     int64
	version int64
	dead    int64 // seq number of the operation that replaced or deleted this version; 0 while live
}

// visibleAt tells whether this version is part of a searcher opened at checkpoint cp.
func (d *doc) visibleAt(cp int64) bool {
	return d.seq <= cp && (d.dead == 0 || d.dead > cp)
}

type tombstone struct {
	version int64
	seq     int64
	at      time.Time
}

// index is one single-shard index. log holds versions in sequence order; a search sees the
// versions visible at the last refresh checkpoint, GET sees live.
type index struct {
	name     string
	uuid     string
	created  time.Time
	settings *Object // flat "index.*" keys with string values, in creation order
	mapping  *fieldMapping
	aliases  map[string]*Object

	log   []*doc
	live  map[string]*doc
	tombs map[string]tombstone
	seq   int64 // last assigned sequence number (-1 when none)

	refreshed     int64 // checkpoint visible to search
	lastRefresh   time.Time
	lastSearch    time.Time
	refreshCh     chan struct{} // closed at each refresh
	explicitRI    bool          // refresh_interval set explicitly (disables search-idle)
	refreshEvery  time.Duration
	deletedDocs   int64
	indexingTotal int64
	arena         []byte // current slab that small sources are copied into
}

// store copies a source into the index's slab: one allocation per MiB instead of one per document,
// which avoids the allocator's size-class rounding (12% on 1 KiB documents). A slab stays alive while
// any version in it is referenced.
func (ix *index) store(src []byte) []byte {
	if len(src) > 64<<10 {
		return append([]byte(nil), src...)
	}
	if cap(ix.arena)-len(ix.arena) < len(src) {
		ix.arena = make([]byte, 0, 1<<20)
	}
	start := len(ix.arena)
	ix.arena = append(ix.arena, src...)
	return ix.arena[start:len(ix.arena):len(ix.arena)]
}

func (ix *index) setting(key string) (string, bool) {
	v, ok := ix.settings.Get("index." + key)
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	return s, true
}

func (ix *index) hidden() bool {
	v, _ := ix.setting("hidden")
	return v == "true"
}

func (ix *index) maxResultWindow() int {
	if v, ok := ix.setting("max_result_window"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return 10000
}

func (ix *index) defaultPipeline() string {
	v, _ := ix.setting("default_pipeline")
	if v == "_none" {
		return ""
	}
	return v
}

func (ix *index) finalPipeline() string {
	v, _ := ix.setting("final_pipeline")
	if v == "_none" {
		return ""
	}
	return v
}

func (ix *index) applyRefreshSetting() {
	ix.refreshEvery = time.Second
	ix.explicitRI = false
	if v, ok := ix.setting("refresh_interval"); ok {
		if d, ok := parseDuration(v); ok {
			ix.refreshEvery = d
			ix.explicitRI = true
		}
	}
}

func (ix *index) searchIdle(now time.Time) bool {
	if ix.explicitRI {
		return false
	}
	after := 30 * time.Second
	if v, ok := ix.setting("search.idle.after"); ok {
		if d, ok := parseDuration(v); ok {
			after = d
		}
	}
	return now.Sub(ix.lastSearch) >= after
}

// refresh makes every operation so far visible to search.
func (ix *index) refresh(now time.Time) {
	ix.lastRefresh = now
	if ix.refreshed == ix.seq {
		return
	}
	ix.refreshed = ix.seq
	close(ix.refreshCh)
	ix.refreshCh = make(chan struct{})
	ix.compact()
}

// compact drops versions that no searcher can see any more. Open scrolls and PITs hold their own
// references to the versions they need.
func (ix *index) compact() {
	deadCount := len(ix.log) - len(ix.live)
	if deadCount < 1024 || deadCount < len(ix.live)/4 {
		return
	}
	kept := ix.log[:0]
	for _, d := range ix.log {
		if d.dead != 0 && d.dead <= ix.refreshed {
			continue
		}
		kept = append(kept, d)
	}
	for i := len(kept); i < len(ix.log); i++ {
		ix.log[i] = nil
	}
	ix.log = kept
}

// searchable returns the versions a searcher opened now would see, in index order.
func (ix *index) searchable() []*doc {
	cp := ix.refreshed
	out := make([]*doc, 0, len(ix.live))
	for _, d := range ix.log {
		if d.visibleAt(cp) {
			out = append(out, d)
		}
	}
	return out
}

func (ix *index) searchableCount() int {
	n := 0
	cp := ix.refreshed
	for _, d := range ix.log {
		if d.visibleAt(cp) {
			n++
		}
	}
	return n
}

// put stores a new version of id and returns it.
func (ix *index) put(id string, src []byte, version int64) *doc {
	ix.seq++
	d := &doc{id: id, src: ix.store(src), seq: ix.seq, version: version}
	if old := ix.live[id]; old != nil {
		old.dead = ix.seq
	}
	ix.live[id] = d
	delete(ix.tombs, id)
	ix.log = append(ix.log, d)
	ix.indexingTotal++
	return d
}

// remove deletes id, returning the sequence number of the delete.
func (ix *index) remove(id string, now time.Time) (int64, int64) {
	old := ix.live[id]
	ix.seq++
	v := old.version + 1
	old.dead = ix.seq
	delete(ix.live, id)
	ix.tombs[id] = tombstone{version: v, seq: ix.seq, at: now}
	ix.deletedDocs++
	return ix.seq, v
}

// nextVersion is the version a write of id gets: one past the live or recently deleted version.
func (ix *index) nextVersion(id string, now time.Time) int64 {
	if d := ix.live[id]; d != nil {
		return d.version + 1
	}
	if t, ok := ix.tombs[id]; ok {
		if now.Sub(t.at) < 60*time.Second {
			return t.version + 1
		}
		delete(ix.tombs, id)
	}
	return 1
}

// ---- names and resolution ----

const invalidFilenameChars = `[' ','"','*',',','/','<','>','?','\','|']`

func validateIndexName(name string) *esError {
	if strings.ContainsAny(name, `\/*?"<>| ,`) {
		return errInvalidIndexName(name, "must not contain the following characters "+invalidFilenameChars)
	}
	if name == "" {
		return errInvalidIndexName(name, "must not be empty")
	}
	if strings.Contains(name, "#") {
		return errInvalidIndexName(name, "must not contain '#'")
	}
	if strings.Contains(name, ":") {
		return errInvalidIndexName(name, "must not contain ':'")
	}
	if c := name[0]; c == '_' || c == '-' || c == '+' {
		return errInvalidIndexName(name, "must not start with '_', '-', or '+'")
	}
	if len(name) > 255 {
		return errInvalidIndexName(name, fmt.Sprintf("index name is too long, (%d > 255)", len(name)))
	}
	if name == "." || name == ".." {
		return errInvalidIndexName(name, "must not be '.' or '..'")
	}
	if strings.ToLower(name) != name {
		return errInvalidIndexName(name, "must be lowercase")
	}
	return nil
}

type resolveOpts struct {
	ignoreUnavailable bool
	allowNoIndices    bool
	hidden            bool // expand_wildcards includes hidden
	open              bool // expand_wildcards includes open
}

func (rq *request) resolveOptions(defIgnore, defAllowNo bool) (resolveOpts, *esError) {
	o := resolveOpts{ignoreUnavailable: defIgnore, allowNoIndices: defAllowNo, open: true}
	var e *esError
	if o.ignoreUnavailable, e = rq.boolParam("ignore_unavailable", defIgnore); e != nil {
		return o, e
	}
	if o.allowNoIndices, e = rq.boolParam("allow_no_indices", defAllowNo); e != nil {
		return o, e
	}
	if rq.has("expand_wildcards") {
		o.open = false
		for _, w := range strings.Split(rq.param("expand_wildcards"), ",") {
			switch strings.TrimSpace(w) {
			case "open":
				o.open = true
			case "closed":
			case "hidden":
				o.hidden = true
			case "all":
				o.open, o.hidden = true, true
			case "none":
			default:
				return o, errIllegalArg("No enum constant org.elasticsearch.action.support.IndicesOptions.WildcardStates.%s", strings.ToUpper(w))
			}
		}
	}
	return o, nil
}

func (s *Server) aliasTargets(alias string) []*index {
	var out []*index
	for _, ix := range s.indices {
		if _, ok := ix.aliases[alias]; ok {
			out = append(out, ix)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Server) aliasHidden(alias string) bool {
	for _, ix := range s.aliasTargets(alias) {
		if v, ok := ix.aliases[alias].Get("is_hidden"); ok && v == true {
			return true
		}
	}
	return false
}

// resolve expands an index expression (comma list, wildcards, aliases, exclusions) to indices,
// sorted by name. Caller holds s.mu.
func (s *Server) resolve(expr string, o resolveOpts) ([]*index, *esError) {
	if expr == "" || expr == "_all" {
		expr = "*"
	}
	set := map[string]*index{}
	var order []string
	add := func(ix *index) {
		if _, ok := set[ix.name]; !ok {
			set[ix.name] = ix
			order = append(order, ix.name)
		}
	}
	sawWildcard := false
	for _, part := range strings.Split(expr, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "-") && sawWildcard {
			pat := part[1:]
			for name := range set {
				if m, _ := path.Match(pat, name); m || name == pat {
					delete(set, name)
				}
			}
			continue
		}
		if strings.Contains(part, "*") {
			sawWildcard = true
			if !o.open && !o.hidden {
				continue
			}
			dotPattern := strings.HasPrefix(part, ".")
			for _, name := range sortedKeys(s.indices) {
				ix := s.indices[name]
				if m, _ := path.Match(part, name); m {
					if ix.hidden() && !o.hidden && !(dotPattern && strings.HasPrefix(name, ".")) {
						continue
					}
					if !ix.hidden() && !o.open {
						continue
					}
					add(ix)
				}
			}
			for _, alias := range s.allAliases() {
				if m, _ := path.Match(part, alias); m {
					if s.aliasHidden(alias) && !o.hidden && !(dotPattern && strings.HasPrefix(alias, ".")) {
						continue
					}
					for _, ix := range s.aliasTargets(alias) {
						add(ix)
					}
				}
			}
			continue
		}
		if ix, ok := s.indices[part]; ok {
			add(ix)
			continue
		}
		if targets := s.aliasTargets(part); len(targets) > 0 {
			for _, ix := range targets {
				add(ix)
			}
			continue
		}
		if !o.ignoreUnavailable {
			return nil, errIndexNotFound(part)
		}
	}
	out := make([]*index, 0, len(set))
	for _, name := range order {
		if ix, ok := set[name]; ok {
			out = append(out, ix)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	if len(out) == 0 && !o.allowNoIndices {
		return nil, errIndexNotFound(expr)
	}
	return out, nil
}

func (s *Server) allAliases() []string {
	set := map[string]bool{}
	for _, ix := range s.indices {
		for a := range ix.aliases {
			set[a] = true
		}
	}
	return sortedKeys(set)
}

// writeTarget resolves a name for a document write: an index, or an alias with one target or a
// write index. ok=false means the name matches nothing (auto-create may apply).
func (s *Server) writeTarget(name string) (*index, bool, *esError) {
	if ix, ok := s.indices[name]; ok {
		return ix, true, nil
	}
	targets := s.aliasTargets(name)
	if len(targets) == 0 {
		return nil, false, nil
	}
	var write *index
	for _, ix := range targets {
		if v, ok := ix.aliases[name].Get("is_write_index"); ok && v == true {
			write = ix
		}
	}
	if write == nil && len(targets) == 1 {
		if v, ok := targets[0].aliases[name].Get("is_write_index"); !ok || v != false {
			write = targets[0]
		}
	}
	if write == nil {
		return nil, true, errIllegalArg("no write index is defined for alias [%s]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index", name)
	}
	return write, true, nil
}

// readTarget resolves a name for a single-document read: an index or an alias with exactly one index.
func (s *Server) readTarget(name string) (*index, *esError) {
	if ix, ok := s.indices[name]; ok {
		return ix, nil
	}
	targets := s.aliasTargets(name)
	switch len(targets) {
	case 0:
		return nil, errIndexNotFound(name)
	case 1:
		return targets[0], nil
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.name
	}
	return nil, errIllegalArg("alias [%s] has more than one index associated with it [%s], can't execute a single index op", name, strings.Join(names, ", "))
}

// ---- creation ----

// createIndex creates an index from an optional body, applying matching built-in templates.
// Caller holds s.mu.
func (s *Server) createIndex(name string, body *Object) (*index, *esError) {
	if e := validateIndexName(name); e != nil {
		return nil, e
	}
	if ix, ok := s.indices[name]; ok {
		return nil, errIndexExists(name, ix.uuid)
	}
	if len(s.aliasTargets(name)) > 0 {
		return nil, newErr(400, "invalid_index_name_exception", "Invalid index name ["+name+"], already exists as alias",
			"index_uuid", "_na_", "index", name)
	}
	now := s.now()
	ix := &index{name: name, uuid: s.newID()[:22], created: now, settings: &Object{}, mapping: newObjectMapping(),
		aliases: map[string]*Object{}, live: map[string]*doc{}, tombs: map[string]tombstone{}, seq: -1, refreshed: -1,
		lastRefresh: now, lastSearch: now, refreshCh: make(chan struct{})}
	if t := s.templateFor(name); t != nil {
		if err := applyIndexBody(ix, t, name); err != nil {
			return nil, err
		}
	}
	if body != nil {
		for _, k := range body.Keys {
			if k != "settings" && k != "mappings" && k != "aliases" {
				return nil, errParsing("unknown key [%s] for create index", k)
			}
		}
		if err := applyIndexBody(ix, body, name); err != nil {
			return nil, err
		}
	}
	for a := range ix.aliases {
		if _, clash := s.indices[a]; clash || a == name {
			return nil, newErr(400, "invalid_alias_name_exception", "Invalid alias name ["+a+"]: an index or data stream exists with the same name as the alias")
		}
	}
	defaults := [][2]string{{"routing.allocation.include._tier_preference", "data_content"}, {"number_of_shards", "1"},
		{"provided_name", name}, {"creation_date", strconv.FormatInt(now.UnixMilli(), 10)},
		{"number_of_replicas", "1"}, {"uuid", ix.uuid}, {"version.created", s.versionID()}}
	for _, kv := range defaults {
		if !ix.settings.Has("index." + kv[0]) {
			ix.settings.Set("index."+kv[0], kv[1])
		}
	}
	ix.applyRefreshSetting()
	s.indices[name] = ix
	return ix, nil
}

func (s *Server) versionID() string {
	return strconv.Itoa(s.major*1000000 + s.minor*10000 + 99)
}

// applyIndexBody merges settings, mappings and aliases from a create body or template.
func applyIndexBody(ix *index, body *Object, name string) *esError {
	if st := body.obj("settings"); st != nil {
		flat := &Object{}
		flattenSettings(st, "", flat)
		for i, k := range flat.Keys {
			key := k
			if !strings.HasPrefix(key, "index.") {
				key = "index." + key
			}
			if err := validateSetting(key, flat.Vals[i]); err != nil {
				return err
			}
			ix.settings.Set(key, settingString(flat.Vals[i]))
		}
	}
	if mp := body.obj("mappings"); mp != nil {
		if inner := mp.obj("_doc"); inner != nil && mp.Len() == 1 {
			mp = inner
		}
		m, err := parseMapping(mp, "", true)
		if err != nil {
			return err
		}
		if err := ix.mapping.merge(m, ""); err != nil {
			return err
		}
	}
	if al := body.obj("aliases"); al != nil {
		for i, a := range al.Keys {
			props, _ := al.Vals[i].(*Object)
			if props == nil {
				props = &Object{}
			}
			if e := validateIndexName(a); e != nil {
				return newErr(400, "invalid_alias_name_exception", "Invalid alias name ["+a+"]: "+strings.TrimPrefix(e.reason, "Invalid index name ["+a+"], "))
			}
			ix.aliases[a] = props
		}
	}
	return nil
}

func flattenSettings(o *Object, prefix string, out *Object) {
	for i, k := range o.Keys {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if c, ok := o.Vals[i].(*Object); ok {
			flattenSettings(c, key, out)
			continue
		}
		out.Set(key, o.Vals[i])
	}
}

func settingString(v any) string {
	switch t := v.(type) {
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i], _ = scalarString(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	s, _ := scalarString(v)
	return s
}

var settingGroups = []string{"number_of_shards", "number_of_replicas", "auto_expand_replicas", "refresh_interval",
	"hidden", "default_pipeline", "final_pipeline", "max_result_window", "analysis.", "mapping.", "search.",
	"routing.", "blocks.", "codec", "sort.", "query.", "similarity.", "lifecycle.", "highlight.", "max_",
	"priority", "store.", "translog.", "write.", "unassigned.", "shard.", "merge.", "indexing.", "knn",
	"number_of_routing_shards", "routing_partition_size", "format", "version.", "creation_date", "uuid",
	"provided_name", "requests.", "load_fixed_bitset_filters_eagerly", "gc_deletes", "soft_deletes.",
	"verified_before_close", "mode", "time_series.", "look_ahead_time", "semantic_text.", "plugin."}

func validateSetting(key string, v any) *esError {
	short := strings.TrimPrefix(key, "index.")
	known := false
	for _, g := range settingGroups {
		if short == g || (strings.HasSuffix(g, ".") && strings.HasPrefix(short, g)) || (strings.HasSuffix(g, "_") && strings.HasPrefix(short, g)) {
			known = true
			break
		}
	}
	if !known {
		return errIllegalArg("unknown setting [%s] please check that any required plugins are installed, or check the breaking changes documentation for removed settings", key)
	}
	str := settingString(v)
	switch short {
	case "number_of_shards":
		if n, err := strconv.Atoi(str); err != nil || n < 1 {
			return errIllegalArg("Failed to parse value [%s] for setting [index.number_of_shards] must be >= 1", str)
		}
	case "refresh_interval":
		if _, ok := parseDuration(str); !ok {
			return errIllegalArg("failed to parse setting [index.refresh_interval] with value [%s] as a time value: unit is missing or unrecognized", str)
		}
	case "hidden":
		if str != "true" && str != "false" {
			return errIllegalArg("Failed to parse value [%s] as only [true] or [false] are allowed.", str)
		}
	}
	return nil
}

func renderSettings(flat *Object) *Object {
	root := &Object{}
	for i, k := range flat.Keys {
		parts := strings.Split(k, ".")
		cur := root
		for _, p := range parts[:len(parts)-1] {
			next := cur.obj(p)
			if next == nil {
				next = &Object{}
				cur.Set(p, next)
			}
			cur = next
		}
		cur.Set(parts[len(parts)-1], flat.Vals[i])
	}
	return root
}

// ---- index APIs ----

func (s *Server) createIndexAPI(rq *request, name string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "create"); e != nil {
		return nil, e
	}
	if _, e := s.createIndex(name, body); e != nil {
		return nil, e
	}
	return ok(newObj("acknowledged", true, "shards_acknowledged", true, "index", name)), nil
}

func (s *Server) indexExists(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil || len(ixs) == 0 {
		return &response{status: 404}, nil
	}
	return &response{status: 200}, nil
}

func (s *Server) indexView(ix *index) *Object {
	aliases := &Object{}
	for _, a := range sortedKeys(ix.aliases) {
		aliases.Set(a, ix.aliases[a])
	}
	return newObj("aliases", aliases, "mappings", ix.mapping.render(true), "settings", renderSettings(ix.settings))
}

func (s *Server) getIndex(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	out := &Object{}
	for _, ix := range ixs {
		out.Set(ix.name, s.indexView(ix))
	}
	return ok(out), nil
}

func (s *Server) deleteIndex(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, part := range strings.Split(name, ",") {
		if strings.Contains(part, "*") || part == "_all" {
			return nil, errIllegalArg("Wildcard expressions or all indices are not allowed")
		}
		if _, isIndex := s.indices[part]; !isIndex && len(s.aliasTargets(part)) > 0 {
			return nil, errIllegalArg("The provided expression [%s] matches an alias, specify the corresponding concrete indices instead.", part)
		}
	}
	if e := s.systemIndexGuard(rq, name, "delete"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	for _, ix := range ixs {
		delete(s.indices, ix.name)
	}
	return ok(newObj("acknowledged", true)), nil
}

func (s *Server) getMapping(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	out := &Object{}
	for _, ix := range ixs {
		out.Set(ix.name, newObj("mappings", ix.mapping.render(true)))
	}
	return ok(out), nil
}

func (s *Server) putMapping(rq *request, name string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	if body == nil {
		return nil, errValidation("mapping source is missing")
	}
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	m, e := parseMapping(body, "", true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "write"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	// validate on copies first so that a conflict changes nothing
	updated := make([]*fieldMapping, len(ixs))
	for i, ix := range ixs {
		c := ix.mapping.clone()
		if e := c.merge(m.clone(), ""); e != nil {
			return nil, e
		}
		updated[i] = c
	}
	for i, ix := range ixs {
		ix.mapping = updated[i]
	}
	return ok(newObj("acknowledged", true)), nil
}

func (s *Server) getSettings(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "read"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	out := &Object{}
	for _, ix := range ixs {
		out.Set(ix.name, newObj("settings", renderSettings(ix.settings)))
	}
	return ok(out), nil
}

func (s *Server) putSettings(rq *request, name string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	if body == nil {
		return nil, errValidation("no settings to update")
	}
	if st := body.obj("settings"); st != nil {
		body = st
	}
	flat := &Object{}
	flattenSettings(body, "", flat)
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "write"); e != nil {
		return nil, e
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	for i, k := range flat.Keys {
		key := k
		if !strings.HasPrefix(key, "index.") {
			key = "index." + key
		}
		switch strings.TrimPrefix(key, "index.") {
		case "number_of_shards", "uuid", "creation_date", "provided_name", "version.created":
			return nil, errIllegalArg("final %s setting [%s], not updateable", name, key)
		}
		if flat.Vals[i] != nil {
			if e := validateSetting(key, flat.Vals[i]); e != nil {
				return nil, e
			}
		}
	}
	for _, ix := range ixs {
		for i, k := range flat.Keys {
			key := k
			if !strings.HasPrefix(key, "index.") {
				key = "index." + key
			}
			if flat.Vals[i] == nil {
				ix.settings.Delete(key)
			} else {
				ix.settings.Set(key, settingString(flat.Vals[i]))
			}
		}
		ix.applyRefreshSetting()
	}
	return ok(newObj("acknowledged", true)), nil
}

func (s *Server) refreshAPI(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.systemIndexGuard(rq, name, "refresh"); e != nil {
		return nil, e
	}
	if name == "" {
		o.hidden = true // POST /_refresh refreshes every index, hidden ones included
	}
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	now := s.now()
	for _, ix := range ixs {
		ix.refresh(now)
	}
	n := len(ixs)
	return ok(newObj("_shards", newObj("total", n*2, "successful", n, "failed", 0))), nil
}

func (s *Server) stats(rq *request, name string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	if s.opts.BuildFlavor == "serverless" {
		return nil, newErr(410, "api_not_available_exception", "Request for uri ["+rq.r.URL.RequestURI()+"] with method [GET] exists but is not available when running in serverless mode")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, e := s.resolve(name, o)
	if e != nil {
		return nil, e
	}
	indices := &Object{}
	var total, totalDeleted, totalBytes int64
	for _, ix := range ixs {
		cnt := int64(ix.searchableCount())
		var bytes int64
		for _, d := range ix.live {
			bytes += int64(len(d.src))
		}
		total += cnt
		totalDeleted += ix.deletedDocs
		totalBytes += bytes
		prim := newObj("docs", newObj("count", cnt, "deleted", ix.deletedDocs),
			"store", newObj("size_in_bytes", bytes, "total_data_set_size_in_bytes", bytes, "reserved_in_bytes", 0),
			"indexing", newObj("index_total", ix.indexingTotal))
		health := "yellow"
		if ix.hidden() || strings.HasPrefix(ix.name, ".") {
			health = "green"
		}
		indices.Set(ix.name, newObj("uuid", ix.uuid, "health", health, "status", "open", "primaries", prim, "total", prim))
	}
	all := newObj("docs", newObj("count", total, "deleted", totalDeleted),
		"store", newObj("size_in_bytes", totalBytes, "total_data_set_size_in_bytes", totalBytes, "reserved_in_bytes", 0))
	n := len(ixs)
	return ok(newObj("_shards", newObj("total", n*2, "successful", n, "failed", 0),
		"_all", newObj("primaries", all, "total", all), "indices", indices)), nil
}

func (s *Server) catIndices(rq *request) (*response, *esError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []any
	for _, name := range sortedKeys(s.indices) {
		ix := s.indices[name]
		if ix.hidden() {
			continue
		}
		rows = append(rows, newObj("health", "yellow", "status", "open", "index", name, "uuid", ix.uuid,
			"pri", "1", "rep", "1", "docs.count", strconv.Itoa(ix.searchableCount()),
			"docs.deleted", strconv.FormatInt(ix.deletedDocs, 10)))
	}
	if rows == nil {
		rows = []any{}
	}
	return ok(rows), nil
}

// ---- aliases ----

func (s *Server) getAliases(rq *request, name, alias string) (*response, *esError) {
	o, e := rq.resolveOptions(false, true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ixs []*index
	if name == "" {
		o.hidden = true
		ixs, _ = s.resolve("*", o)
	} else if ixs, e = s.resolve(name, o); e != nil {
		return nil, e
	}
	out := &Object{}
	found := alias == ""
	for _, ix := range ixs {
		al := &Object{}
		for _, a := range sortedKeys(ix.aliases) {
			if alias != "" {
				m, _ := path.Match(alias, a)
				if !m && a != alias {
					continue
				}
				found = true
			}
			al.Set(a, ix.aliases[a])
		}
		if alias != "" && al.Len() == 0 {
			continue
		}
		out.Set(ix.name, newObj("aliases", al))
	}
	if !found {
		if rq.method == "HEAD" {
			return &response{status: 404}, nil
		}
		return status(404, newObj("error", "alias ["+alias+"] missing", "status", 404)), nil
	}
	if rq.method == "HEAD" {
		return &response{status: 200}, nil
	}
	return ok(out), nil
}

func (s *Server) putAlias(rq *request, name, alias string) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	if body == nil {
		body = &Object{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, e := s.resolve(name, resolveOpts{open: true, allowNoIndices: false})
	if e != nil {
		return nil, e
	}
	for _, ix := range ixs {
		ix.aliases[alias] = body
	}
	return ok(newObj("acknowledged", true, "errors", false)), nil
}

func (s *Server) deleteAlias(rq *request, name, alias string) (*response, *esError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, e := s.resolve(name, resolveOpts{open: true, hidden: true, allowNoIndices: true})
	if e != nil {
		return nil, e
	}
	n := 0
	for _, ix := range ixs {
		if _, ok := ix.aliases[alias]; ok {
			delete(ix.aliases, alias)
			n++
		}
	}
	if n == 0 {
		return nil, newErr(404, "aliases_not_found_exception", "aliases ["+alias+"] missing", "resource.type", "aliases", "resource.id", alias)
	}
	return ok(newObj("acknowledged", true, "errors", false)), nil
}

func (s *Server) updateAliases(rq *request) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	acts, _ := body.Get("actions")
	list, ok2 := acts.([]any)
	if !ok2 || len(list) == 0 {
		return nil, errValidation("no actions specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type op struct {
		add   bool
		ix    *index
		alias string
		props *Object
	}
	var ops []op
	for _, a := range list {
		ao, _ := a.(*Object)
		if ao == nil || ao.Len() != 1 {
			return nil, errIllegalArg("invalid alias action")
		}
		kind := ao.Keys[0]
		spec, _ := ao.Vals[0].(*Object)
		if spec == nil {
			return nil, errIllegalArg("invalid alias action [%s]", kind)
		}
		idx := spec.str("index")
		alias := spec.str("alias")
		if kind != "add" && kind != "remove" {
			return nil, errIllegalArg("unsupported alias action [%s]", kind)
		}
		ixs, e := s.resolve(idx, resolveOpts{open: true, hidden: true})
		if e != nil {
			return nil, e
		}
		props := &Object{}
		for i, k := range spec.Keys {
			if k != "index" && k != "alias" && k != "indices" && k != "aliases" {
				props.Set(k, spec.Vals[i])
			}
		}
		for _, ix := range ixs {
			if kind == "remove" {
				if _, ok := ix.aliases[alias]; !ok {
					return nil, newErr(404, "aliases_not_found_exception", "aliases ["+alias+"] missing", "resource.type", "aliases", "resource.id", alias)
				}
			}
			ops = append(ops, op{kind == "add", ix, alias, props})
		}
	}
	for _, o := range ops {
		if o.add {
			o.ix.aliases[o.alias] = o.props
		} else {
			delete(o.ix.aliases, o.alias)
		}
	}
	return ok(newObj("acknowledged", true, "errors", false)), nil
}

// ---- periodic refresh ----

func (s *Server) refresher() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.RefreshTick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			now := s.now()
			for _, ix := range s.indices {
				if ix.refreshEvery <= 0 || ix.searchIdle(now) {
					continue
				}
				if now.Sub(ix.lastRefresh) >= ix.refreshEvery {
					ix.refresh(now)
				}
			}
			s.expireContexts(now)
			s.mu.Unlock()
		}
	}
}

// beforeSearch marks the searched indices active again. As observed on a
// real 9.5 node, a search on a search-idle shard does not wait for a
// refresh: it sees what was refreshed before, and the periodic refresh,
// skipped while the shard was idle, resumes. Caller holds s.mu.
func (s *Server) beforeSearch(ixs []*index) {
	now := s.now()
	for _, ix := range ixs {
		ix.lastSearch = now
	}
}
