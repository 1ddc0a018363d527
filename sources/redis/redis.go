// Package redis is the Redis source (service type redis): one document per key of the configured
// databases, with the key's type, its value rendered as the original renders it (Python's str() of
// the client's reply) and its memory usage.
//
// Keys are listed with SCAN, never KEYS, one batch at a time: the types and sizes of a batch are
// read in one pipelined round trip and the values in pipelines bounded by their reported size, so
// memory stays flat however many keys a database holds.
package redis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/pemtext"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// ServiceType is the connector service type of this source.
const ServiceType = "redis"

// allDatabases is the database value that means every database of the server.
const allDatabases = "*"

// Factory declares the source with the original's configuration fields.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Redis",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true},
	Fields: []connector.Field{
		{Key: "host", Label: "Host", Order: 1,
			Tooltip: "Name or IP address of the Redis server."},
		{Key: "port", Label: "Port", Order: 2, Type: connector.TypeInt},
		{Key: "username", Label: "Username", Order: 3, Optional: true,
			Tooltip: "ACL user (Redis 6 and later). Leave empty for the default user."},
		{Key: "password", Label: "Password", Order: 4, Optional: true, Sensitive: true},
		{Key: "database", Label: "Databases (comma-separated)", Order: 5, Type: connector.TypeList,
			Display: connector.DisplayTextarea, Value: allDatabases,
			Tooltip: "Database numbers to index, e.g. 0,2, or * for every database of the server. " +
				"Advanced sync rules, when set, choose the databases instead."},
		{Key: "ssl_enabled", Label: "Use SSL/TLS", Order: 6, Type: connector.TypeBool,
			Display: connector.DisplayToggle, Value: false,
			Tooltip: "Connect with TLS (rediss://). The server's certificate must be trusted by this machine."},
		{Key: "mutual_tls_enabled", Label: "Use a client certificate (mutual TLS)", Order: 7,
			Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			DependsOn: []connector.Dependency{{Field: "ssl_enabled", Value: true}},
			Tooltip:   "Present a client certificate to a server that requires one."},
		{Key: "tls_certfile", Label: "Client certificate (PEM)", Order: 8, Optional: true,
			DependsOn: []connector.Dependency{{Field: "mutual_tls_enabled", Value: true}},
			Tooltip:   "The client certificate in PEM form (-----BEGIN CERTIFICATE----- …), or the path of a PEM file on the machine running the service."},
		{Key: "tls_keyfile", Label: "Client private key (PEM)", Order: 9, Optional: true,
			DependsOn: []connector.Dependency{{Field: "mutual_tls_enabled", Value: true}},
			Tooltip:   "The client certificate's private key in PEM form, or the path of a PEM file on the machine running the service."},
	},
	New: New,
}

func init() {
	connector.Register(Factory)
	// The client library logs pool events through a global logger; keep them out of the service's
	// output (our errors say what failed) and at debug level in its log.
	goredis.SetLogger(libLogger{})
}

type libLogger struct{}

func (libLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

// handshakeTimeout bounds a TLS handshake: a server that does not speak TLS never answers one.
const handshakeTimeout = 10 * time.Second

// Source reads keys from one Redis server.
type Source struct {
	host, username, password string
	port                     int
	databases                []string
	ssl, mutual              bool
	certPEM, keyPEM          string
	log                      *slog.Logger

	// clients holds one client per database number, created on first use.
	clients map[int]*goredis.Client
	// conns tracks the open connections so that cancellation can interrupt a command in flight
	// (the client library only honours deadlines).
	conns   connSet
	tls     *tls.Config
	tlsErr  error
	tlsDone bool
	// certAsked records that a server asked for a client certificate we did not have. Under
	// TLS 1.3 such a server rejects the connection only after the handshake, and the client may
	// then see a bare reset or EOF instead of the "certificate required" alert.
	certAsked atomic.Bool

	// roots verifies the server's certificate; nil means the machine's trusted authorities (the
	// original has no setting for another). Tests set it.
	roots *x509.CertPool

	// now, sleep and handshakeTimeout are replaced by tests.
	now              func() time.Time
	sleep            func(ctx context.Context, d time.Duration) error
	handshakeTimeout time.Duration
}

// New builds a source from a converted configuration; it does not connect.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := &Source{
		host:     strings.TrimSpace(cfg.String("host")),
		port:     cfg.Int("port"),
		username: cfg.String("username"),
		password: cfg.String("password"),
		ssl:      cfg.Bool("ssl_enabled"),
		mutual:   cfg.Bool("mutual_tls_enabled"),
		certPEM:  cfg.String("tls_certfile"),
		keyPEM:   cfg.String("tls_keyfile"),
		log:      env.Log().With("service_type", ServiceType),
		clients:  map[int]*goredis.Client{},
		now:      time.Now,
		sleep:    retry.Sleep,

		handshakeTimeout: handshakeTimeout,
	}
	seen := map[string]bool{}
	for _, d := range cfg.List("database") {
		if !seen[d] {
			seen[d] = true
			s.databases = append(s.databases, d)
		}
	}
	return s, nil
}

var (
	_ connector.ConfigValidator        = (*Source)(nil)
	_ connector.AdvancedRulesValidator = (*Source)(nil)
)

func (s *Source) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// tlsConfig builds the TLS settings once: server verification against the system's roots, plus
// the client certificate for mutual TLS.
func (s *Source) tlsConfig() (*tls.Config, error) {
	if !s.ssl {
		return nil, nil
	}
	if s.tlsDone {
		return s.tls, s.tlsErr
	}
	s.tlsDone = true
	cfg := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12, RootCAs: s.roots}
	if s.mutual {
		cert, err := s.clientCertificate()
		if err != nil {
			s.tlsErr = err
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	} else {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			s.certAsked.Store(true)
			return &tls.Certificate{}, nil // send none, as without the callback
		}
	}
	s.tls = cfg
	return cfg, nil
}

func (s *Source) clientCertificate() (tls.Certificate, error) {
	certPEM, err := pemValue("tls_certfile", s.certPEM, "CERTIFICATE")
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := pemValue("tls_keyfile", s.keyPEM, "PRIVATE KEY")
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf(`configuration fields "tls_certfile" and "tls_keyfile": the client certificate and key cannot be used together: %v`, err)
	}
	return cert, nil
}

// pemValue reads a PEM field: the PEM text itself (as the original expects, also with its line
// breaks turned into spaces by a one-line text box) or, as a convenience, the path of a file.
func pemValue(key, value, kind string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("configuration field %q: mutual TLS needs a %s in PEM form", key, strings.ToLower(kind))
	}
	if !strings.Contains(value, "-----BEGIN") {
		data, err := os.ReadFile(value)
		if err != nil {
			return "", fmt.Errorf("configuration field %q: neither PEM text (-----BEGIN …) nor a readable file: %v", key, err)
		}
		value = string(data)
	}
	return pemtext.Normalize(value), nil
}

// client returns the client for database db.
func (s *Source) client(db int) (*goredis.Client, error) {
	if c, ok := s.clients[db]; ok {
		return c, nil
	}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	c := goredis.NewClient(&goredis.Options{
		Addr:     s.addr(),
		Dialer:   s.dial(tlsCfg),
		Username: s.username,
		Password: s.password,
		DB:       db,
		// RESP2, as the original's client speaks: replies keep the server's order (hash fields,
		// stream entries) and no server push features are involved.
		Protocol:              2,
		DisableIdentity:       true,
		ContextTimeoutEnabled: true, // cancellation interrupts a command in flight
		DialTimeout:           10 * time.Second,
		DialerRetries:         1,                // a failed dial is retried by our own loop, with backoff
		ReadTimeout:           60 * time.Second, // one reply can be a whole large list
		WriteTimeout:          30 * time.Second,
		PoolSize:              2,
		MaxRetries:            -1, // retries are ours, with backoff and error classes
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	})
	s.clients[db] = c
	return c, nil
}

// dial opens a connection (TLS when configured) and tracks it.
func (s *Source) dial(tlsCfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn := s.conns.add(raw)
		if tlsCfg == nil {
			return conn, nil
		}
		tc := tls.Client(conn, tlsCfg)
		hctx, cancel := context.WithTimeout(ctx, s.handshakeTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			tc.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &handshakeError{err}
		}
		return tc, nil
	}
}

// handshakeError is a failed TLS handshake, which points at the TLS settings rather than the
// address.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "TLS handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// interruptOnCancel closes every open connection once ctx is done, so that a command waiting on
// a slow server returns at once. The returned function stops watching.
func (s *Source) interruptOnCancel(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, s.conns.closeAll)
}

// connSet is the set of open connections.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

func (cs *connSet) add(c net.Conn) net.Conn {
	tc := &trackedConn{Conn: c, set: cs}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.conns == nil {
		cs.conns = map[*trackedConn]struct{}{}
	}
	cs.conns[tc] = struct{}{}
	return tc
}

func (cs *connSet) closeAll() {
	cs.mu.Lock()
	conns := make([]net.Conn, 0, len(cs.conns))
	for c := range cs.conns {
		conns = append(conns, c.Conn)
	}
	cs.mu.Unlock()
	for _, c := range conns {
		_ = c.Close() // the pool notices and drops the connection
	}
}

// Ping checks that the server answers with these credentials.
func (s *Source) Ping(ctx context.Context) error {
	defer s.interruptOnCancel(ctx)()
	c, err := s.client(0)
	if err != nil {
		return err
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return s.connError(ctx, err)
	}
	return nil
}

// connError words a connection or authentication failure with the fields to check.
func (s *Source) connError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("redis at %s: %w", s.addr(), ctx.Err())
	}
	msg := err.Error()
	var hsErr *handshakeError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "NOAUTH"),
		strings.Contains(msg, "invalid password"), strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf(`configuration fields "username" and "password": Redis at %s rejected the credentials: %s`, s.addr(), msg)
	case strings.Contains(msg, "NOPERM"):
		return fmt.Errorf(`configuration field "username": the user may not run the commands this connector needs (PING, SELECT, SCAN, TYPE, MEMORY USAGE and the value reads): %s`, msg)
	case s.certAsked.Load() && !errors.As(err, &certErr) && !strings.Contains(msg, "x509:") && (errors.As(err, &hsErr) || strings.Contains(msg, "tls:") ||
		strings.Contains(msg, "connection reset") || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return fmt.Errorf(`configuration field "ssl_enabled": TLS with %s failed: the server asked for a client certificate and closed the connection without one (turn on "mutual_tls_enabled"): %s`, s.addr(), msg)
	case errors.As(err, &hsErr), errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostErr),
		strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return fmt.Errorf(`configuration field "ssl_enabled": TLS with %s failed (turn it off if the server does not use TLS, or check that this machine trusts its certificate): %s`, s.addr(), msg)
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.As(err, &netErr) || strings.Contains(msg, "connection reset") || errors.Is(err, os.ErrDeadlineExceeded) {
		hint := ""
		if !s.ssl && strings.Contains(msg, "connection reset") {
			hint = " (if the server requires TLS, turn on \"ssl_enabled\")"
		}
		return fmt.Errorf(`configuration fields "host" and "port": cannot reach Redis at %s: %s%s`, s.addr(), msg, hint)
	}
	return fmt.Errorf("redis at %s: %s", s.addr(), msg)
}

// ValidateConfig checks the configured databases as the original does: each must be a
// non-negative number the server can SELECT. "*" needs no check.
func (s *Source) ValidateConfig(ctx context.Context) error {
	if len(s.databases) == 1 && s.databases[0] == allDatabases {
		return nil
	}
	defer s.interruptOnCancel(ctx)()
	if err := s.Ping(ctx); err != nil {
		return err
	}
	var invalidType, invalidDB []string
	for _, d := range s.databases {
		n, ok := parseDBNumber(d)
		if !ok {
			invalidType = append(invalidType, d)
			continue
		}
		if err := s.selectable(ctx, n); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("Database not available", "database", d, "error", err)
			invalidDB = append(invalidDB, d)
		}
	}
	var msg string
	switch {
	case len(invalidType) > 0 && len(invalidDB) > 0:
		msg = fmt.Sprintf("Database %s are not available. Also database element should be integer. Please correct database name: %s",
			strings.Join(invalidDB, ", "), strings.Join(invalidType, ", "))
	case len(invalidDB) > 0:
		msg = fmt.Sprintf("Database %s are not available.", strings.Join(invalidDB, ", "))
	case len(invalidType) > 0:
		msg = fmt.Sprintf("All database element should be integer. Please correct database name: %s", strings.Join(invalidType, ", "))
	}
	if msg != "" {
		return fmt.Errorf("configuration field %q: %s", "database", msg)
	}
	return nil
}

// parseDBNumber accepts what the original's str.isdigit() check accepts (ASCII digits here).
func parseDBNumber(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// selectable reports whether SELECT db succeeds: a client for db selects it when it connects.
func (s *Source) selectable(ctx context.Context, db int) error {
	c, err := s.client(db)
	if err != nil {
		return err
	}
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		delete(s.clients, db)
		return err
	}
	return nil
}

// Close closes every client.
func (s *Source) Close() error {
	var errs []error
	for db, c := range s.clients {
		if err := c.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		delete(s.clients, db)
	}
	return errors.Join(errs...)
}
