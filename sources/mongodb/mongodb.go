// Package mongodb is the MongoDB source (service type mongodb): one document per document of one
// collection, read through a streaming cursor, with BSON values turned into JSON the way the
// original does (ObjectIds as hex strings, dates as ISO strings, decimals as floats, UUIDs as
// strings). Advanced sync rules run a find (filter, projection, options) or an aggregation
// pipeline instead of reading the whole collection.
package mongodb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/pemtext"
	"github.com/connectors-go/connectors/sources/internal/retry"
)

// ServiceType is the connector service type of this source.
const ServiceType = "mongodb"

// Values of the datetime_conversion field: how dates outside years 1–9999 are indexed.
const (
	DatetimeRaise = "DATETIME"       // the sync fails (the original's legacy behaviour)
	DatetimeClamp = "DATETIME_CLAMP" // clamped to the first or last representable instant
	DatetimeMS    = "DATETIME_MS"    // every date as milliseconds since 1970
	DatetimeAuto  = "DATETIME_AUTO"  // out-of-range dates as milliseconds, the others as ISO strings
)

// datetimeModes in the order the original lists them in its error message.
var datetimeModes = []string{DatetimeRaise, DatetimeClamp, DatetimeMS, DatetimeAuto}

// Factory declares the source with the original's configuration fields.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "MongoDB",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true},
	Fields: []connector.Field{
		{Key: "host", Label: "Server hostname or connection string", Order: 1,
			Tooltip: "A MongoDB connection string (mongodb://host:27017/ or mongodb+srv://cluster.example.net/) or a host name. Options in the string (replicaSet, authSource, readPreference, …) are honoured."},
		{Key: "user", Label: "Username", Order: 2, Optional: true},
		{Key: "password", Label: "Password", Order: 3, Optional: true, Sensitive: true},
		{Key: "database", Label: "Database", Order: 4},
		{Key: "collection", Label: "Collection", Order: 5},
		{Key: "direct_connection", Label: "Direct connection", Order: 6, Type: connector.TypeBool,
			Display: connector.DisplayToggle, Value: false,
			Tooltip: "Talk to the given host only, without discovering the other members of its replica set."},
		{Key: "ssl_enabled", Label: "Use SSL/TLS", Order: 7, Type: connector.TypeBool,
			Display: connector.DisplayToggle, Value: false,
			Tooltip: "Connect with TLS. Turn this on for clusters reached through a mongodb+srv:// (DNS seed list) string, such as Atlas. It must agree with a tls= or ssl= option in the connection string."},
		{Key: "ssl_ca", Label: "Certificate authority (PEM)", Order: 8, Optional: true,
			DependsOn: []connector.Dependency{{Field: "ssl_enabled", Value: true}},
			Tooltip:   "The PEM certificate of the authority that signed the server's certificate. When set, only this authority is trusted; when empty, the machine's trusted authorities are."},
		{Key: "tls_insecure", Label: "Skip certificate verification", Order: 9, Type: connector.TypeBool,
			Display: connector.DisplayToggle, Value: false, UIRestrictions: []string{connector.UIAdvanced},
			DependsOn: []connector.Dependency{{Field: "ssl_enabled", Value: true}},
			Tooltip:   "Accept any server certificate and host name. Only for testing: the connection is encrypted but anyone in between can read it."},
		{Key: "datetime_conversion", Label: "Dates outside years 1 to 9999", Order: 10, Optional: true,
			Display: connector.DisplayDropdown, Value: DatetimeRaise, UIRestrictions: []string{connector.UIAdvanced},
			Options: []connector.Option{
				{Label: "Fail the sync (legacy)", Value: DatetimeRaise},
				{Label: "Clamp to the earliest or latest date", Value: DatetimeClamp},
				{Label: "Milliseconds since 1970 for out-of-range dates", Value: DatetimeAuto},
				{Label: "Milliseconds since 1970 for every date", Value: DatetimeMS},
			},
			Tooltip: "MongoDB dates can lie outside the years 1 to 9999, which the original connector cannot represent as dates. Choose whether such a date fails the sync, is clamped, or is indexed as a number of milliseconds."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source reads one collection.
type Source struct {
	host, user, password  string
	database, collection  string
	direct, ssl, insecure bool
	caPEM                 string
	datetimeMode          string
	log                   *slog.Logger

	client *mongo.Client
	opts   *options.ClientOptions

	// commonTypesOnly is set once the server refused a $type code of a rare BSON type (see
	// resumeFilter).
	commonTypesOnly bool

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// New builds a source from a converted configuration; it does not connect.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	mode := strings.TrimSpace(cfg.String("datetime_conversion"))
	if mode == "" {
		mode = DatetimeRaise
	}
	return &Source{
		host:         strings.TrimSpace(cfg.String("host")),
		user:         cfg.String("user"),
		password:     cfg.String("password"),
		database:     cfg.String("database"),
		collection:   cfg.String("collection"),
		direct:       cfg.Bool("direct_connection"),
		ssl:          cfg.Bool("ssl_enabled"),
		insecure:     cfg.Bool("tls_insecure"),
		caPEM:        cfg.String("ssl_ca"),
		datetimeMode: mode,
		log:          env.Log().With("service_type", ServiceType),
		now:          time.Now,
		sleep:        retry.Sleep,
	}, nil
}

var (
	_ connector.ConfigValidator        = (*Source)(nil)
	_ connector.AdvancedRulesValidator = (*Source)(nil)
)

// uri is the host as a connection string; a bare host name or host:port is accepted, as the
// original's client accepts it.
func (s *Source) uri() string {
	if strings.Contains(s.host, "://") {
		return s.host
	}
	return "mongodb://" + s.host
}

// where names the server without the credentials a connection string may carry.
func (s *Source) where() string {
	if s.opts != nil && len(s.opts.Hosts) > 0 {
		return strings.Join(s.opts.Hosts, ",")
	}
	u := s.uri()
	scheme, rest, _ := strings.Cut(u, "://")
	if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}

// connect creates the client once. It contacts the server only for DNS seed lists
// (mongodb+srv://); the driver connects lazily.
func (s *Source) connect() (*mongo.Client, error) {
	if s.client != nil {
		return s.client, nil
	}
	opts := options.Client().ApplyURI(s.uri())
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("configuration field %q: not a valid MongoDB connection string: %s", "host", redactURI(err.Error(), s.host))
	}
	if s.direct {
		opts.SetDirect(true)
	}
	if s.user != "" || s.password != "" {
		cred := options.Credential{}
		if opts.Auth != nil {
			cred = *opts.Auth // keep authSource and authMechanism from the connection string
		}
		cred.Username, cred.Password, cred.PasswordSet = s.user, s.password, true
		opts.SetAuth(cred)
	}
	if s.ssl {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.insecure} //nolint:gosec // the user's explicit choice
		if strings.TrimSpace(s.caPEM) != "" {
			pool, err := certPool(s.caPEM)
			if err != nil {
				return nil, fmt.Errorf("configuration field %q: %v", "ssl_ca", err)
			}
			cfg.RootCAs = pool
		}
		opts.SetTLSConfig(cfg)
	} else {
		opts.TLSConfig = nil // also for mongodb+srv://, where the driver would turn TLS on
	}
	if opts.ServerSelectionTimeout == nil {
		opts.SetServerSelectionTimeout(30 * time.Second)
	}
	opts.SetAppName("connectors-go")
	c, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("configuration field %q: %s", "host", redactURI(err.Error(), s.host))
	}
	s.client, s.opts = c, opts
	return c, nil
}

// certPool holds only the configured authorities, as the original's tlsCAFile does.
func certPool(ca string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	certs, err := pemtext.Certificates(ca)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// redactURI removes the host value (which may hold a password) from a driver message.
func redactURI(msg, host string) string {
	if host != "" {
		msg = strings.ReplaceAll(msg, host, "<host>")
	}
	return msg
}

// Ping runs the ping command, as the original does.
func (s *Source) Ping(ctx context.Context) error {
	c, err := s.connect()
	if err != nil {
		return err
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return s.connError(ctx, err)
	}
	return nil
}

// connError words a failure to reach or log in to the server with the fields to check.
func (s *Source) connError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("MongoDB at %s: %w", s.where(), ctx.Err())
	}
	msg := redactURI(err.Error(), s.host)
	if s.password != "" {
		msg = strings.ReplaceAll(msg, s.password, "********")
	}
	switch {
	case strings.Contains(msg, "AuthenticationFailed"), strings.Contains(msg, "Authentication failed"),
		strings.Contains(msg, "auth error"), strings.Contains(msg, "unable to authenticate"):
		return fmt.Errorf(`configuration fields "user" and "password": MongoDB at %s rejected the credentials (check them, and authSource in the connection string): %s`, s.where(), msg)
	case strings.Contains(msg, "x509:"), strings.Contains(msg, "tls:"), strings.Contains(msg, "certificate"):
		return fmt.Errorf(`configuration fields "ssl_enabled" and "ssl_ca": TLS with MongoDB at %s failed: %s`, s.where(), msg)
	case mongo.IsNetworkError(err), mongo.IsTimeout(err), strings.Contains(msg, "server selection"):
		hint := ""
		if !s.ssl && strings.HasPrefix(s.uri(), "mongodb+srv://") {
			hint = ` (mongodb+srv:// clusters usually need "ssl_enabled")`
		}
		return fmt.Errorf(`configuration field "host": cannot reach MongoDB at %s%s: %s`, s.where(), hint, msg)
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) && (ce.Code == 13 || ce.Name == "Unauthorized") {
		return fmt.Errorf(`configuration field "user": the user may not run this command on MongoDB at %s: %s`, s.where(), msg)
	}
	return fmt.Errorf("MongoDB at %s: %s", s.where(), msg)
}

// ValidateConfig checks the settings the original checks: the date handling option, agreement
// between the TLS toggle and the connection string, and that the collection exists and can be
// read. Unlike the original it does not run the validate command, which scans the whole
// collection on MongoDB; listing collections answers the same question.
func (s *Source) ValidateConfig(ctx context.Context) error {
	if !slices.Contains(datetimeModes, s.datetimeMode) {
		return configErr(`configuration field "datetime_conversion"`, "Invalid 'Out-of-range date handling' value '%s'. Must be one of: %s.",
			s.datetimeMode, strings.Join(datetimeModes, ", "))
	}
	if err := s.checkTLSOption(); err != nil {
		return err
	}
	c, err := s.connect()
	if err != nil {
		return err
	}
	db := c.Database(s.database)
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: s.collection}},
		options.ListCollections().SetAuthorizedCollections(true).SetNameOnly(true))
	if err == nil && slices.Contains(names, s.collection) {
		return nil
	}
	if err != nil {
		if ctx.Err() != nil || mongo.IsNetworkError(err) || mongo.IsTimeout(err) || isAuthError(err) {
			return s.connError(ctx, err)
		}
		s.log.Debug("Listing collections failed", "database", s.database, "error", err)
		return s.notAccessible(err)
	}
	// The collection is not there: say whether the database is, with the names that exist.
	dbs, err := c.ListDatabaseNames(ctx, bson.D{}, options.ListDatabases().SetAuthorizedDatabases(true))
	if err != nil {
		if ctx.Err() != nil || mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
			return s.connError(ctx, err)
		}
		return s.notAccessible(err)
	}
	if !slices.Contains(dbs, s.database) {
		return fmt.Errorf("configuration field %q: Database '%s' does not exist. Existing databases: %s", "database", s.database, listNames(dbs))
	}
	all, err := db.ListCollectionNames(ctx, bson.D{}, options.ListCollections().SetAuthorizedCollections(true).SetNameOnly(true))
	if err != nil {
		if ctx.Err() != nil || mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
			return s.connError(ctx, err)
		}
		return s.notAccessible(err)
	}
	return fmt.Errorf("configuration field %q: Collection '%s' does not exist within database '%s'. Existing collections: %s", "collection", s.collection, s.database, listNames(all))
}

func (s *Source) notAccessible(err error) error {
	return fmt.Errorf(`configuration fields "database" and "collection": Database '%s' or collection '%s' is not accessible by user '%s'. Verify that these database and collection exist, and specified user has access to it (%s)`,
		s.database, s.collection, s.user, redactURI(err.Error(), s.host))
}

func isAuthError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "AuthenticationFailed") || strings.Contains(msg, "auth error")
}

// listNames joins names for a message, sorted, at most 50 of them.
func listNames(names []string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	if len(names) > 50 {
		return strings.Join(names[:50], ", ") + fmt.Sprintf(", … (%d more)", len(names)-50)
	}
	return strings.Join(names, ", ")
}

// checkTLSOption rejects a tls= or ssl= option in the connection string that contradicts the
// ssl_enabled toggle, with the original's message. Like the original, only the exact words true
// and false agree with the toggle.
func (s *Source) checkTLSOption() error {
	_, query, ok := strings.Cut(s.host, "?")
	if !ok {
		return nil
	}
	query, _, _ = strings.Cut(query, "#")
	values, _ := url.ParseQuery(query)
	for _, key := range []string{"ssl", "tls"} {
		vs := values[key]
		if len(vs) == 0 || vs[0] == "" {
			continue
		}
		agrees := (vs[0] == "true" && s.ssl) || (vs[0] == "false" && !s.ssl)
		if !agrees {
			return configErr(`configuration fields "host" and "ssl_enabled"`, "The value of SSL/TLS must be the same in the hostname and configuration field.")
		}
	}
	return nil
}

// Close disconnects the client.
func (s *Source) Close() error {
	if s.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.client.Disconnect(ctx)
	s.client = nil
	if errors.Is(err, mongo.ErrClientDisconnected) {
		return nil
	}
	return err
}

// configErr words a problem of the configuration: what to fix, then the original's message (with
// its capital and full stop).
func configErr(what, format string, args ...any) error {
	return errors.New(what + ": " + fmt.Sprintf(format, args...))
}
