package estest

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

type principal struct {
	username string
	apiKey   *apiKey
}

type apiKey struct {
	id, name, key string
	owner         string
	created       time.Time
	expires       time.Time // zero: never
	invalidated   bool
	metadata      any
	roles         any
}

func (k *apiKey) encoded() string {
	return base64.StdEncoding.EncodeToString([]byte(k.id + ":" + k.key))
}

func (s *Server) authOn() bool { return len(s.opts.Users) > 0 || len(s.opts.APIKeys) > 0 }

func (s *Server) addConfiguredKey(k string) {
	raw := k
	if b, err := base64.StdEncoding.DecodeString(k); err == nil && strings.Contains(string(b), ":") {
		raw = string(b)
	}
	parts := strings.SplitN(raw, ":", 2)
	if len(parts) != 2 {
		return
	}
	s.keys[parts[0]] = &apiKey{id: parts[0], name: "configured", key: parts[1], owner: "elastic", created: s.now()}
}

func authFailure(reason string, extra ...any) *esError {
	e := newErr(401, "security_exception", reason, extra...)
	hdr := []any{`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, "ApiKey"}
	if e.extra == nil {
		e.extra = &Object{}
	}
	e.extra.Set("header", newObj("WWW-Authenticate", hdr))
	e.header = http.Header{"Www-Authenticate": {`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, "ApiKey"}}
	return e
}

// authenticate resolves the caller; with authentication on, a missing or wrong credential is a 401.
func (s *Server) authenticate(rq *request) *esError {
	h := rq.r.Header.Get("Authorization")
	uri := rq.r.URL.RequestURI()
	if !s.authOn() && h == "" {
		rq.user = &principal{username: "elastic"}
		return nil
	}
	if h == "" {
		return authFailure("missing authentication credentials for REST request [" + uri + "]")
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "basic":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return authFailure("missing authentication credentials for REST request [" + uri + "]")
		}
		user, pass, _ := strings.Cut(string(b), ":")
		want, ok := s.opts.Users[user]
		if !ok && !s.authOn() {
			rq.user = &principal{username: user}
			return nil
		}
		if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
			return authFailure("unable to authenticate user [" + user + "] for REST request [" + uri + "]")
		}
		rq.user = &principal{username: user}
		return nil
	case "apikey":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil || !strings.Contains(string(b), ":") {
			return authFailure("unable to authenticate with provided credentials and anonymous access is not allowed for this request",
				"additional_unsuccessful_credentials", "API key: invalid ApiKey value")
		}
		id, key, _ := strings.Cut(string(b), ":")
		s.mu.Lock()
		k := s.keys[id]
		s.mu.Unlock()
		switch {
		case k == nil:
			return authFailure("unable to authenticate with provided credentials and anonymous access is not allowed for this request",
				"additional_unsuccessful_credentials", "API key: unable to find apikey with id "+id)
		case subtle.ConstantTimeCompare([]byte(k.key), []byte(key)) != 1:
			return authFailure("unable to authenticate with provided credentials and anonymous access is not allowed for this request",
				"additional_unsuccessful_credentials", "API key: invalid credentials for API key ["+id+"]")
		case k.invalidated:
			return authFailure("unable to authenticate with provided credentials and anonymous access is not allowed for this request",
				"additional_unsuccessful_credentials", "API key: api key ["+id+"] has been invalidated")
		case !k.expires.IsZero() && s.now().After(k.expires):
			return authFailure("unable to authenticate with provided credentials and anonymous access is not allowed for this request",
				"additional_unsuccessful_credentials", "API key: api key is expired")
		}
		rq.user = &principal{username: k.owner, apiKey: k}
		return nil
	case "bearer":
		return authFailure("unable to authenticate with provided credentials and anonymous access is not allowed for this request",
			"additional_unsuccessful_credentials", "oauth2 token: token malformed")
	}
	return authFailure("missing authentication credentials for REST request [" + uri + "]")
}

// ---- system index access ----

var allowedOrigins = map[string]bool{"kibana": true, "connectors": true, "cloud": true}

func isConnectorSystemName(n string) bool {
	return strings.HasPrefix(n, ".elastic-connectors")
}

// systemIndexGuard enforces Options.RequireProductOrigin for direct access to the connector indices.
// Caller holds s.mu.
func (s *Server) systemIndexGuard(rq *request, expr, action string) *esError {
	if !s.opts.RequireProductOrigin || rq == nil || allowedOrigins[strings.ToLower(rq.origin)] {
		return nil
	}
	var hit []string
	for _, part := range strings.Split(expr, ",") {
		if isConnectorSystemName(part) {
			hit = append(hit, part)
		}
	}
	if len(hit) == 0 {
		return nil
	}
	return errIllegalArg("Indices [%s] use and access is reserved for system operations", strings.Join(hit, ", "))
}

// ---- info, licence, health ----

func (s *Server) info(rq *request) (*response, *esError) {
	if rq.method == "HEAD" {
		return &response{status: 200}, nil
	}
	lucene := "10.3.1"
	minWire, minIdx := "8.19.0", "8.0.0"
	if s.major == 8 {
		lucene, minWire, minIdx = "9.12.0", "7.17.0", "7.0.0"
	}
	v := newObj("number", s.opts.Version, "build_flavor", s.opts.BuildFlavor, "build_type", "docker",
		"build_hash", "estest", "build_date", "2026-01-01T00:00:00.000Z", "build_snapshot", false,
		"lucene_version", lucene, "minimum_wire_compatibility_version", minWire,
		"minimum_index_compatibility_version", minIdx)
	return ok(newObj("name", "estest-node", "cluster_name", s.opts.ClusterName, "cluster_uuid", s.uuid,
		"version", v, "tagline", "You Know, for Search")), nil
}

func (s *Server) license(rq *request) (*response, *esError) {
	issue := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := "active"
	if s.opts.LicenseExpired {
		st = "expired"
	}
	l := newObj("status", st, "uid", "estest-"+s.uuid, "type", s.opts.License,
		"issue_date", issue.Format("2006-01-02T15:04:05.000Z"), "issue_date_in_millis", issue.UnixMilli())
	if s.opts.License != "basic" {
		exp := issue.AddDate(1, 0, 0)
		if s.opts.LicenseExpired {
			exp = issue.AddDate(0, 1, 0)
		}
		l.Set("expiry_date", exp.Format("2006-01-02T15:04:05.000Z"))
		l.Set("expiry_date_in_millis", exp.UnixMilli())
	}
	l.Set("max_nodes", 1000)
	l.Set("max_resource_units", nil)
	l.Set("issued_to", s.opts.ClusterName)
	l.Set("issuer", "elasticsearch")
	l.Set("start_date_in_millis", -1)
	return ok(newObj("license", l)), nil
}

func (s *Server) clusterHealth(rq *request) (*response, *esError) {
	s.mu.Lock()
	n, unassigned := 0, 0
	for _, ix := range s.indices {
		n++
		rep, _ := ix.setting("number_of_replicas")
		if _, auto := ix.setting("auto_expand_replicas"); !auto && rep != "0" && rep != "" {
			unassigned++
		}
	}
	s.mu.Unlock()
	st := "green"
	if unassigned > 0 {
		st = "yellow"
	}
	timedOut := false
	code := 200
	if want := rq.param("wait_for_status"); want != "" {
		rank := map[string]int{"green": 0, "yellow": 1, "red": 2}
		if r, ok := rank[want]; ok && rank[st] > r {
			d := 30 * time.Second
			if t, ok := parseDuration(rq.param("timeout")); ok && rq.param("timeout") != "" {
				d = t
			}
			select {
			case <-time.After(d):
			case <-rq.r.Context().Done():
			case <-s.stop:
			}
			timedOut, code = true, 408
		}
	}
	pct := 100.0
	if n+unassigned > 0 {
		pct = float64(n) * 100 / float64(n+unassigned)
	}
	return status(code, newObj("cluster_name", s.opts.ClusterName, "status", st, "timed_out", timedOut,
		"number_of_nodes", 1, "number_of_data_nodes", 1, "active_primary_shards", n, "active_shards", n,
		"relocating_shards", 0, "initializing_shards", 0, "unassigned_shards", unassigned,
		"unassigned_primary_shards", 0, "delayed_unassigned_shards", 0, "number_of_pending_tasks", 0,
		"number_of_in_flight_fetch", 0, "task_max_waiting_in_queue_millis", 0,
		"active_shards_percent_as_number", pct)), nil
}

// ---- _security ----

func (s *Server) routeSecurity(rq *request) (*response, *esError) {
	g := rq.segs
	if len(g) == 2 && g[1] == "_authenticate" {
		if !methodIs(rq, "GET") {
			return nil, badMethod(rq, "GET")
		}
		return s.authenticateAPI(rq)
	}
	if len(g) == 2 && g[1] == "api_key" {
		switch rq.method {
		case "PUT", "POST":
			return s.createAPIKey(rq)
		case "GET":
			return s.getAPIKeys(rq)
		case "DELETE":
			return s.invalidateAPIKeys(rq)
		}
		return nil, badMethod(rq, "DELETE", "GET", "POST", "PUT")
	}
	return nil, noHandler(rq)
}

func (s *Server) authenticateAPI(rq *request) (*response, *esError) {
	u := rq.user
	o := newObj("username", u.username, "roles", []any{"superuser"}, "full_name", nil, "email", nil,
		"metadata", &Object{}, "enabled", true)
	if u.apiKey != nil {
		realm := newObj("name", "_es_api_key", "type", "_es_api_key")
		o.Set("roles", []any{})
		o.Set("authentication_realm", realm)
		o.Set("lookup_realm", realm)
		o.Set("authentication_type", "api_key")
		o.Set("api_key", newObj("id", u.apiKey.id, "name", u.apiKey.name))
	} else {
		realm := newObj("name", "reserved", "type", "reserved")
		if u.username != "elastic" {
			realm = newObj("name", "default_native", "type", "native")
		}
		o.Set("authentication_realm", realm)
		o.Set("lookup_realm", realm)
		o.Set("authentication_type", "realm")
	}
	return ok(o), nil
}

func (s *Server) createAPIKey(rq *request) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	if body == nil {
		return nil, errValidation("api key name is required")
	}
	for _, k := range body.Keys {
		switch k {
		case "name", "expiration", "role_descriptors", "metadata":
		default:
			return nil, errXContent(nil, "[1:2] [api_key_request] unknown field ["+k+"]")
		}
	}
	name := body.str("name")
	if name == "" {
		return nil, errValidation("api key name is required")
	}
	if len(name) > 1024 {
		return nil, errValidation("api key name may not be more than [1024] characters long")
	}
	k := &apiKey{id: s.newID()[:20], name: name, key: s.newID()[:22], owner: rq.user.username, created: s.now()}
	k.metadata, _ = body.Get("metadata")
	k.roles, _ = body.Get("role_descriptors")
	out := newObj("id", k.id, "name", k.name)
	if exp := body.str("expiration"); exp != "" {
		d, ok := parseDuration(exp)
		if !ok {
			return nil, errIllegalArg("failed to parse setting [expiration] with value [%s] as a time value: unit is missing or unrecognized", exp)
		}
		k.expires = k.created.Add(d)
		out.Set("expiration", k.expires.UnixMilli())
	}
	out.Set("api_key", k.key)
	out.Set("encoded", k.encoded())
	s.mu.Lock()
	s.keys[k.id] = k
	s.mu.Unlock()
	return ok(out), nil
}

func (s *Server) keyView(k *apiKey) *Object {
	o := newObj("id", k.id, "name", k.name, "type", "rest", "creation", k.created.UnixMilli())
	if !k.expires.IsZero() {
		o.Set("expiration", k.expires.UnixMilli())
	}
	o.Set("invalidated", k.invalidated)
	o.Set("username", k.owner)
	o.Set("realm", "reserved")
	md := k.metadata
	if md == nil {
		md = &Object{}
	}
	o.Set("metadata", md)
	return o
}

func (s *Server) getAPIKeys(rq *request) (*response, *esError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, name := rq.param("id"), rq.param("name")
	var list []any
	for _, kid := range sortedKeys(s.keys) {
		k := s.keys[kid]
		if (id != "" && k.id != id) || (name != "" && k.name != name) {
			continue
		}
		list = append(list, s.keyView(k))
	}
	if list == nil {
		if id != "" || name != "" {
			return nil, errResourceNotFound("api key not found")
		}
		list = []any{}
	}
	return ok(newObj("api_keys", list)), nil
}

func (s *Server) invalidateAPIKeys(rq *request) (*response, *esError) {
	body, e := rq.jsonBody()
	if e != nil {
		return nil, e
	}
	var ids []string
	if body != nil {
		if v, ok := body.Get("ids"); ok {
			arr, _ := v.([]any)
			for _, x := range arr {
				if s, ok := x.(string); ok {
					ids = append(ids, s)
				}
			}
		}
		if id := body.str("id"); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, errValidation("One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, prev := []any{}, []any{}
	for _, id := range ids {
		if k := s.keys[id]; k != nil {
			if k.invalidated {
				prev = append(prev, id)
			} else {
				k.invalidated = true
				inv = append(inv, id)
			}
		}
	}
	return ok(newObj("invalidated_api_keys", inv, "previously_invalidated_api_keys", prev, "error_count", 0)), nil
}
