package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	goredis "github.com/redis/go-redis/v9"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// scanCount is the COUNT hint of every SCAN, the original's page size.
const scanCount = 1000

// valueBatchBytes bounds the values fetched in one pipeline by the sizes MEMORY USAGE reported, so
// a batch of large keys is read a few at a time.
const valueBatchBytes = 8 << 20

// attempts is how often a failing command is tried before the part of the listing it belongs to
// is reported as unread.
const attempts = 4

// scope is one SCAN over one database: the whole database, or one advanced rule.
type scope struct {
	db int
	// label is the document's "database" value: the configured string, or the number when the
	// database comes from "*" or from a rule (the original's types, kept so ids and values match).
	label   any
	pattern string
	keyType string
}

func (sc scope) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "database %v", sc.label)
	if sc.pattern != "*" && sc.pattern != "" {
		fmt.Fprintf(&b, " keys %q", sc.pattern)
	}
	if sc.keyType != "" {
		fmt.Fprintf(&b, " type %s", sc.keyType)
	}
	return b.String()
}

// Docs emits one document per key of every database (or of every advanced rule).
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.interruptOnCancel(ctx)()
	scopes, err := s.scopes(ctx, req)
	if err != nil {
		return err
	}
	startScope, startCursor := resumePoint(req.Checkpoint, scopes)
	for i := startScope; i < len(scopes); i++ {
		cursor := uint64(0)
		if i == startScope {
			cursor = startCursor
		}
		err := s.scanScope(ctx, req, i, scopes, cursor, emit)
		s.release(scopes[i].db, scopes[i+1:])
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errEmit):
			return err
		default:
			s.log.Warn("Part of Redis could not be read; nothing is deleted in this sync", "scope", scopes[i].String(), "error", err)
			req.ReportIncomplete(scopes[i].String(), err)
		}
	}
	return ctx.Err()
}

// release closes the client of a database no later scope reads, so that a sync over many
// databases keeps one connection pool at a time.
func (s *Source) release(db int, later []scope) {
	for _, sc := range later {
		if sc.db == db {
			return
		}
	}
	if c, ok := s.clients[db]; ok && db != 0 {
		_ = c.Close()
		delete(s.clients, db)
	}
}

// scopes lists what to scan: the advanced rules, or the configured databases.
func (s *Source) scopes(ctx context.Context, req connector.DocsRequest) ([]scope, error) {
	if req.HasAdvancedRules() {
		rules, err := parseRules(req.AdvancedRules)
		if err != nil {
			return nil, fmt.Errorf("advanced sync rules: %w", err)
		}
		out := make([]scope, len(rules))
		for i, r := range rules {
			pattern := r.KeyPattern
			out[i] = scope{db: r.Database, label: r.Database, pattern: pattern, keyType: r.Type}
		}
		return out, nil
	}
	if len(s.databases) == 1 && s.databases[0] == allDatabases {
		n, err := s.databaseCount(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]scope, n)
		for i := range out {
			out[i] = scope{db: i, label: i, pattern: "*"}
		}
		return out, nil
	}
	var out []scope
	for _, d := range s.databases {
		n, ok := parseDBNumber(d)
		if !ok {
			return nil, fmt.Errorf("configuration field %q: All database element should be integer. Please correct database name: %s", "database", d)
		}
		out = append(out, scope{db: n, label: d, pattern: "*"})
	}
	return out, nil
}

// databaseCount is the server's number of databases: CONFIG GET databases, as the original asks.
// Servers that forbid CONFIG (managed services, restricted ACL users) are probed with SELECT
// instead; the original then silently indexes nothing, which would delete the whole index.
func (s *Source) databaseCount(ctx context.Context) (int, error) {
	c, err := s.client(0)
	if err != nil {
		return 0, err
	}
	var reply map[string]string
	err = s.retry(ctx, "CONFIG GET databases", func() error {
		var e error
		reply, e = c.ConfigGet(ctx, "databases").Result()
		return e
	})
	if err == nil {
		if n, convErr := strconv.Atoi(reply["databases"]); convErr == nil && n > 0 {
			return n, nil
		}
	} else if ctx.Err() != nil {
		return 0, ctx.Err()
	} else if isConnError(err) {
		return 0, s.connError(ctx, err)
	}
	s.log.Info("CONFIG GET databases is not available; counting databases with SELECT", "error", err)
	n := 0
	for n < 10000 {
		if err := s.selectable(ctx, n); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if isConnError(err) {
				return 0, s.connError(ctx, err)
			}
			break
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("redis at %s: no database can be selected", s.addr())
	}
	return n, nil
}

// resumePoint finds where a resumed job starts: the scope and SCAN cursor of the checkpoint, when
// it was saved for the same list of scopes.
func resumePoint(cp map[string]any, scopes []scope) (int, uint64) {
	if cp == nil || cp["scopes"] != scopesKey(scopes) {
		return 0, 0
	}
	idx, ok1 := cp["scope"].(string)
	cur, ok2 := cp["cursor"].(string)
	if !ok1 || !ok2 {
		return 0, 0
	}
	i, err1 := strconv.Atoi(idx)
	c, err2 := strconv.ParseUint(cur, 10, 64)
	if err1 != nil || err2 != nil || i < 0 || i >= len(scopes) {
		return 0, 0
	}
	return i, c
}

func scopesKey(scopes []scope) string {
	parts := make([]string, len(scopes))
	for i, sc := range scopes {
		parts[i] = fmt.Sprintf("%d|%v|%s|%s", sc.db, sc.label, sc.pattern, sc.keyType)
	}
	return connector.HashID(strings.Join(parts, "\n"))
}

// scanScope runs one SCAN to its end, emitting a document per key.
func (s *Source) scanScope(ctx context.Context, req connector.DocsRequest, idx int, scopes []scope, cursor uint64, emit func(connector.Document) error) error {
	sc := scopes[idx]
	c, err := s.client(sc.db)
	if err != nil {
		return err
	}
	key := scopesKey(scopes)
	for {
		var keys []string
		var next uint64
		err := s.retry(ctx, "SCAN", func() error {
			var e error
			keys, next, e = c.ScanType(ctx, cursor, sc.pattern, scanCount, sc.keyType).Result()
			return e
		})
		if err != nil {
			return s.scopeError(ctx, err)
		}
		unread := func(key string, err error) {
			s.log.Warn("A key could not be read; nothing is deleted in this sync", "database", sc.label, "key", key, "error", err)
			req.ReportIncomplete(fmt.Sprintf("database %v key %q", sc.label, key), err)
		}
		if err := s.emitKeys(ctx, c, sc, keys, unread, emit); err != nil {
			return err
		}
		if next == 0 {
			return nil
		}
		cursor = next
		// Every key of the SCAN pages before this cursor has been emitted; a resumed job starts
		// here. SCAN cursors stay valid across connections.
		req.SaveCheckpoint(map[string]any{"scopes": key, "scope": strconv.Itoa(idx), "cursor": strconv.FormatUint(cursor, 10)})
	}
}

func (s *Source) scopeError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if isConnError(err) {
		return s.connError(ctx, err)
	}
	return err
}

// keyInfo is what the first pipeline learns about a key.
type keyInfo struct {
	key  string
	typ  string
	size any // int64, or nil when the server did not say
}

// emitKeys reads the types, sizes and values of one SCAN page and emits its documents in order.
// Keys whose type or value the server refuses to give (a NOPERM for some keys, a key whose type
// changed between two commands) go to unread: they are neither indexed nor, in this sync,
// deleted.
func (s *Source) emitKeys(ctx context.Context, c *goredis.Client, sc scope, keys []string, unread func(string, error), emit func(connector.Document) error) error {
	if len(keys) == 0 {
		return nil
	}
	infos, err := s.describe(ctx, c, keys, unread)
	if err != nil {
		return s.scopeError(ctx, err)
	}
	for start := 0; start < len(infos); {
		end, budget := start, int64(0)
		for end < len(infos) {
			sz, _ := infos[end].size.(int64)
			if end > start && budget+sz > valueBatchBytes {
				break
			}
			budget += sz
			end++
		}
		values, err := s.values(ctx, c, infos[start:end], unread)
		if err != nil {
			return s.scopeError(ctx, err)
		}
		for i, info := range infos[start:end] {
			v := values[i]
			if v.gone {
				continue
			}
			doc := s.document(sc, info, v.text)
			if err := emit(doc); err != nil {
				return &emitError{connector.DocError(doc.ID, err)}
			}
		}
		start = end
	}
	return nil
}

// errEmit marks an error returned by emit, which ends the sync instead of marking a scope unread.
var errEmit = errors.New("emit failed")

type emitError struct{ err error }

func (e *emitError) Error() string        { return e.err.Error() }
func (e *emitError) Unwrap() error        { return e.err }
func (e *emitError) Is(target error) bool { return target == errEmit }

// describe pipelines TYPE and MEMORY USAGE for every key.
func (s *Source) describe(ctx context.Context, c *goredis.Client, keys []string, unread func(string, error)) ([]keyInfo, error) {
	var infos []keyInfo
	var failed []keyErr
	err := s.retry(ctx, "TYPE and MEMORY USAGE", func() error {
		pipe := c.Pipeline()
		types := make([]*goredis.StatusCmd, len(keys))
		sizes := make([]*goredis.IntCmd, len(keys))
		for i, k := range keys {
			types[i] = pipe.Type(ctx, k)
			sizes[i] = pipe.MemoryUsage(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil && isConnError(err) {
			return err
		}
		infos, failed = make([]keyInfo, 0, len(keys)), nil
		for i, k := range keys {
			t, err := types[i].Result()
			if err != nil {
				if isRetryable(err) {
					return err
				}
				failed = append(failed, keyErr{k, err})
				continue
			}
			if t == "none" {
				continue // deleted since SCAN listed it
			}
			var size any
			if n, err := sizes[i].Result(); err == nil {
				size = n
			} else if isRetryable(err) {
				return err
			}
			infos = append(infos, keyInfo{key: k, typ: t, size: size})
		}
		return nil
	})
	if err == nil {
		for _, f := range failed {
			unread(f.key, f.err)
		}
	}
	return infos, err
}

type keyErr struct {
	key string
	err error
}

// value is a key's rendered value; gone means the key vanished before it was read (or could not
// be read, and was reported).
type value struct {
	text string
	gone bool
}

// values pipelines the read of every key's value by its type, the commands the original uses.
func (s *Source) values(ctx context.Context, c *goredis.Client, infos []keyInfo, unread func(string, error)) ([]value, error) {
	var out []value
	var failed []keyErr
	err := s.retry(ctx, "reading values", func() error {
		pipe := c.Pipeline()
		cmds := make([]*goredis.Cmd, len(infos))
		for i, in := range infos {
			if args := readCommand(in.typ, in.key); args != nil {
				cmds[i] = pipe.Do(ctx, args...)
			}
		}
		if pipe.Len() > 0 {
			if _, err := pipe.Exec(ctx); err != nil && isConnError(err) {
				return err
			}
		}
		out, failed = make([]value, len(infos)), nil
		for i, in := range infos {
			if cmds[i] == nil {
				s.log.Warn("Redis type not read by this connector; indexed with an empty value", "key", in.key, "type", in.typ)
				continue
			}
			reply, err := cmds[i].Result()
			if err != nil && !errors.Is(err, goredis.Nil) {
				if isRetryable(err) {
					return err
				}
				failed = append(failed, keyErr{in.key, err})
				out[i] = value{gone: true}
				continue
			}
			out[i] = render(in.typ, in.key, reply, errors.Is(err, goredis.Nil), s)
		}
		return nil
	})
	if err == nil {
		for _, f := range failed {
			unread(f.key, f.err)
		}
	}
	return out, err
}

// readCommand is the command that reads a key of type typ; nil for types the original cannot read.
func readCommand(typ, key string) []any {
	switch typ {
	case "string":
		return []any{"GET", key}
	case "hash":
		return []any{"HGETALL", key}
	case "list":
		return []any{"LRANGE", key, 0, -1}
	case "set":
		return []any{"SMEMBERS", key}
	case "zset":
		return []any{"ZRANGE", key, 0, -1, "WITHSCORES"}
	case "stream":
		return []any{"XREAD", "STREAMS", key, "0"}
	case "ReJSON-RL":
		return []any{"JSON.GET", key}
	}
	return nil
}

// render turns a RESP2 reply into the original's value: str() of what redis-py returns.
func render(typ, key string, reply any, isNil bool, s *Source) value {
	if !validUTF8(reply) {
		// The original decodes replies as UTF-8 and indexes "" when that fails.
		s.log.Warn("Value is not valid UTF-8; indexed with an empty value", "key", key)
		return value{}
	}
	switch typ {
	case "string":
		if isNil {
			return value{gone: true}
		}
		str, _ := reply.(string)
		if v, err := pyJSONLoads(str); err == nil {
			return value{text: pyStr(v)}
		}
		return value{text: str}
	case "hash":
		items, _ := reply.([]any)
		if len(items) == 0 {
			return value{gone: true}
		}
		d := &pyDict{}
		for i := 0; i+1 < len(items); i += 2 {
			d.set(asString(items[i]), asString(items[i+1]))
		}
		return value{text: pyStr(d)}
	case "list":
		items, _ := reply.([]any)
		if len(items) == 0 {
			return value{gone: true}
		}
		l := make([]any, len(items))
		for i, it := range items {
			l[i] = asString(it)
		}
		return value{text: pyStr(l)}
	case "set":
		items, _ := reply.([]any)
		if len(items) == 0 {
			return value{gone: true}
		}
		// Python prints a set in hash order, which changes from run to run; sorted members keep
		// the value stable between syncs.
		set := make(pySet, len(items))
		for i, it := range items {
			set[i] = asString(it)
		}
		sort.Strings(set)
		return value{text: pyStr(set)}
	case "zset":
		items, _ := reply.([]any)
		if len(items) == 0 {
			return value{gone: true}
		}
		l := make([]any, 0, len(items)/2)
		for i := 0; i+1 < len(items); i += 2 {
			score, err := strconv.ParseFloat(asString(items[i+1]), 64)
			if err != nil {
				s.log.Warn("Unreadable sorted set score", "key", key, "score", asString(items[i+1]))
			}
			l = append(l, pyTuple{asString(items[i]), score})
		}
		return value{text: pyStr(l)}
	case "stream":
		return value{text: pyStr(streamValue(reply))}
	case "ReJSON-RL":
		if isNil {
			return value{gone: true}
		}
		v, err := pyJSONLoads(asString(reply))
		if err != nil {
			s.log.Warn("JSON.GET returned something that is not JSON; indexed as text", "key", key)
			return value{text: asString(reply)}
		}
		return value{text: pyStr(v)}
	}
	return value{}
}

// streamValue is redis-py's parsed XREAD reply: [[key, [(id, {field: value, …}), …]]], or [] when
// the stream has no entries.
func streamValue(reply any) any {
	streams, _ := reply.([]any)
	out := []any{}
	for _, st := range streams {
		pair, _ := st.([]any)
		if len(pair) != 2 {
			continue
		}
		rawEntries, _ := pair[1].([]any)
		entries := []any{}
		for _, re := range rawEntries {
			e, _ := re.([]any)
			if len(e) != 2 {
				entries = append(entries, pyTuple{nil, nil})
				continue
			}
			fields, _ := e[1].([]any)
			d := &pyDict{}
			for i := 0; i+1 < len(fields); i += 2 {
				d.set(asString(fields[i]), asString(fields[i+1]))
			}
			entries = append(entries, pyTuple{asString(e[0]), d})
		}
		out = append(out, []any{asString(pair[0]), entries})
	}
	return out
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func validUTF8(v any) bool {
	switch x := v.(type) {
	case string:
		return utf8.ValidString(x)
	case []any:
		for _, e := range x {
			if !validUTF8(e) {
				return false
			}
		}
	}
	return true
}

// document is the original's document for a key.
func (s *Source) document(sc scope, info keyInfo, text string) connector.Document {
	return connector.Document{
		ID:        connector.HashID(fmt.Sprintf("%v/%s", sc.label, info.key)),
		Timestamp: connector.FormatTime(s.now()),
		Fields: map[string]any{
			"key":           info.key,
			"value":         text,
			"size_in_bytes": info.size,
			"database":      sc.label,
			"key_type":      info.typ,
		},
	}
}

// retry runs op until it succeeds, fails with an error that retrying cannot fix, or has been
// tried attempts times, waiting with capped exponential backoff and jitter in between. Busy
// servers (LOADING, BUSY, TRYAGAIN) and dropped connections are retried.
func (s *Source) retry(ctx context.Context, what string, op func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = op(); err == nil || !isRetryable(err) || ctx.Err() != nil {
			return err
		}
		if i == attempts-1 {
			break
		}
		d := backoff(i)
		s.log.Debug("Redis command failed; retrying", "command", what, "attempt", i+1, "wait", d, "error", err)
		if serr := s.sleep(ctx, d); serr != nil {
			return serr
		}
	}
	return err
}

func backoff(attempt int) time.Duration {
	return retry.Backoff(attempt, 500*time.Millisecond, 10*time.Second)
}

// isRetryable reports errors worth another try: the server busy or loading, or the connection
// lost. Command errors (WRONGTYPE, NOPERM, unknown command) are not.
func isRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return isConnError(err)
}

// isConnError reports a transport failure (as opposed to an error reply from the server).
func isConnError(err error) bool {
	if err == nil {
		return false
	}
	var redisErr goredis.Error
	if errors.As(err, &redisErr) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe") ||
		strings.Contains(msg, "EOF") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "pool timeout")
}
