package sqlcore

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/connector"
)

// DBPool is a dialect's database/sql pool, opened on first use (a source's New must not contact
// the server) and sized for the sync's concurrent readers.
type DBPool struct {
	open     func() (*sql.DB, error)
	maxConns int

	mu     sync.Mutex
	db     *sql.DB
	closed bool
	users  sync.WaitGroup // Acquire calls not yet released
}

// NewDBPool returns a pool of at most maxConns connections that open builds when it is first
// needed.
func NewDBPool(maxConns int, open func() (*sql.DB, error)) *DBPool {
	return &DBPool{open: open, maxConns: maxConns}
}

// DB returns the pool, opening it if needed.
func (p *DBPool) DB() (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		return p.db, nil
	}
	db, err := p.open()
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(p.maxConns)
	db.SetMaxIdleConns(p.maxConns)
	db.SetConnMaxIdleTime(time.Minute)
	p.db = db
	return db, nil
}

// Acquire returns the open pool for work done beside a statement (stopping it on the server)
// and a release function Close waits for; ok is false once the pool is closed or when it was
// never opened, and then there is nothing to release.
func (p *DBPool) Acquire() (db *sql.DB, release func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.db == nil {
		return nil, nil, false
	}
	p.users.Add(1)
	return p.db, p.users.Done, true
}

// Close waits for what Acquire handed out, then closes the pool.
func (p *DBPool) Close() error {
	p.mu.Lock()
	p.closed = true
	db := p.db
	p.db = nil
	p.mu.Unlock()
	p.users.Wait()
	if db != nil {
		return db.Close()
	}
	return nil
}

// Ping opens the pool and runs probe, a query answering one integer, or pings a connection
// when probe is empty; explain words what the server answered (errors from opening the pool
// are returned as they are).
func (p *DBPool) Ping(ctx context.Context, probe string, explain func(error) error) error {
	db, err := p.DB()
	if err != nil {
		return err
	}
	if probe == "" {
		err = db.PingContext(ctx)
	} else {
		var n int
		err = db.QueryRowContext(ctx, probe).Scan(&n)
	}
	if err != nil {
		return explain(err)
	}
	return nil
}

// ContextError returns the context error err comes from, if any, without the driver's words
// around it.
func ContextError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}

// ExplainConnect names the configuration field behind a failure to reach the server at addr
// (host:port) or to trust its certificate; other errors come back as "cannot connect to addr"
// around err, and a FieldError as it is. Dialects check their own server errors first.
func ExplainConnect(err error, host, addr string) error {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return FieldErr("host", nil, "cannot resolve host %q: %s", host, dnsErr.Err)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return FieldErr("port", nil, "nothing accepts connections at %s: check the host and port", addr)
	}
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownCA):
		return FieldErr("ssl_ca", nil, "the server's certificate is not signed by the configured SSL certificate (%v)", unknownCA)
	case errors.As(err, &badHost):
		return FieldErr("host", nil, "the server's certificate is not valid for host %q (%v)", host, badHost)
	case errors.As(err, &invalid):
		return FieldErr("ssl_ca", nil, "the server's certificate is not valid (%v)", invalid)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return FieldErr("host", nil, "no answer from %s within the connection timeout: check the host, port and firewalls", addr)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("cannot connect to %s: %w", addr, err)
}

// Conn is the connection part of a SQL source's configuration, which every dialect reads the
// same way.
type Conn struct {
	Host, User, Password, Database string
	Port                           int
	SSLEnabled                     bool
	SSLCA                          string
	// MaxConns sizes the pool for the sync's concurrent readers and a spare pair.
	MaxConns int
}

// ReadConn reads host, port, the user name (under userKey: "user" or "username"), password,
// database, ssl_enabled and ssl_ca; keys a source does not have read as empty.
func ReadConn(cfg *connector.Config, userKey string) Conn {
	return Conn{
		Host:       strings.TrimSpace(cfg.String("host")),
		Port:       cfg.Int("port"),
		User:       cfg.String(userKey),
		Password:   cfg.String("password"),
		Database:   cfg.String("database"),
		SSLEnabled: cfg.Bool("ssl_enabled"),
		SSLCA:      cfg.String("ssl_ca"),
		MaxConns:   DefaultConcurrency + 2,
	}
}

// Addr is the server's host:port.
func (c Conn) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }
