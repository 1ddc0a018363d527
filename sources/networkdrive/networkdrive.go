// Package networkdrive is the "Network Drive" source (service type network_drive): it indexes
// the files and folders of an SMB share (Windows file servers, Samba, NAS appliances) over
// SMB 2/3, one document per file and per folder, with the file's content offered for
// extraction, and with document-level security taken from the files' Windows ACLs.
//
// The SMB client is a copy of go-smb2 v1.1.0 with the two requests the source needs added
// (internal/smb2/README.md). docs/sources/network_drive.md describes the documents, rules, DLS
// and the differences from the original connector.
package networkdrive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

// ServiceType is the connector service type of this source.
const ServiceType = "network_drive"

// Drive types: what the server is, which decides where DLS identities come from.
const (
	DriveWindows = "windows"
	DriveLinux   = "linux"
)

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Network Drive",
	Features: connector.Features{
		BasicRules:            true,
		AdvancedRules:         true,
		DocumentLevelSecurity: true,
		IncrementalSync:       true,
	},
	Fields: []connector.Field{
		{Key: "username", Label: "Username", Order: 1,
			Tooltip: "Account used to connect to the share. Its rights decide what is indexed: folders it cannot list are reported in the sync job."},
		{Key: "password", Label: "Password", Order: 2, Sensitive: true},
		{Key: "server_ip", Label: "SMB IP", Order: 3,
			Tooltip: "Address or host name of the file server."},
		{Key: "server_port", Label: "SMB port", Order: 4, Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Tooltip: "Usually 445."},
		{Key: "drive_path", Label: "SMB path", Order: 5,
			Tooltip: "The share name, optionally followed by a folder inside it (for example 'Documents' or 'Documents/Finance'), without a leading slash."},
		{Key: "use_document_level_security", Label: "Enable document level security", Order: 6,
			Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			Tooltip: "Index who may read each file and folder, from their Windows permissions, so that searches only return what the searching user is allowed to see. Access control syncs keep the list of users and their groups up to date."},
		{Key: "drive_type", Label: "Drive type", Order: 7, Display: connector.DisplayDropdown, Value: DriveWindows,
			DependsOn: []connector.Dependency{{Field: "use_document_level_security", Value: true}},
			Options: []connector.Option{
				{Label: "Windows", Value: DriveWindows},
				{Label: "Linux", Value: DriveLinux},
			},
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "Windows: users and local groups are read from the server over WinRM (PowerShell remoting, port 5985). Linux (Samba): they are read from the CSV file below."},
		{Key: "identity_mappings", Label: "Path of CSV file containing users and groups SID (For Linux Network Drive)", Order: 8,
			Optional: true,
			DependsOn: []connector.Dependency{
				{Field: "use_document_level_security", Value: true},
				{Field: "drive_type", Value: DriveLinux},
			},
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "A file on the machine running the connectors service, one user per line: name;user SID;group SIDs separated by commas."},
		{Key: "use_text_extraction_service", Label: "Use text extraction service", Order: 9,
			Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "Extract text with a separately deployed Elastic text extraction service instead of the ingest pipeline; turn off extraction in the pipeline settings when you use it."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source reads one share. It connects on first use and keeps one SMB session, shared by the
// listing and the content downloads, until Close.
type Source struct {
	username, password string
	host               string
	port               int
	drivePath          string
	dls                bool
	driveType          string
	identityMappings   string
	maxFileSize        int64
	log                *slog.Logger

	// groups answers the Windows local-group lookups; nil until needed (see dls.go).
	groups GroupResolver
	// dial opens the TCP connection; tests replace it.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	mu      sync.Mutex
	conn    *smbConn
	closed  bool
	retries int
	backoff time.Duration
}

// smbConn is one established session with the share mounted.
type smbConn struct {
	tcp     net.Conn
	session *smb2.Session
	share   *smb2.Share
	// others are further shares of the server that advanced rules name, by lower-case name;
	// guarded by the Source's mutex.
	others map[string]*smb2.Share
}

func (c *smbConn) close() {
	if c.share != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for _, sh := range c.others {
			_ = sh.WithContext(ctx).Umount()
		}
		_ = c.share.WithContext(ctx).Umount()
		_ = c.session.WithContext(ctx).Logoff()
		cancel()
	}
	_ = c.tcp.Close()
}

// New builds a source from a converted configuration. It does not connect; Ping and Docs do.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := &Source{
		username:    cfg.String("username"),
		password:    cfg.String("password"),
		host:        strings.TrimSpace(cfg.String("server_ip")),
		port:        cfg.Int("server_port"),
		drivePath:   cfg.String("drive_path"),
		dls:         env.Features.DocumentLevelSecurity && cfg.Bool("use_document_level_security"),
		driveType:   cfg.String("drive_type"),
		maxFileSize: env.FileSizeLimit(),
		log:         env.Log().With("service_type", ServiceType),
		retries:     3,
		backoff:     2 * time.Second,
	}
	if cfg.Has("identity_mappings") {
		s.identityMappings = cfg.String("identity_mappings")
	}
	var d net.Dialer
	s.dial = d.DialContext
	return s, nil
}

var (
	_ connector.ConfigValidator        = (*Source)(nil)
	_ connector.AdvancedRulesValidator = (*Source)(nil)
	_ connector.AccessControlSource    = (*Source)(nil)
)

// ValidateConfig checks what field validation cannot: the original's rule that the SMB path
// does not start with a slash, and that the share name is there at all.
func (s *Source) ValidateConfig(context.Context) error {
	p := s.drivePath
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return fmt.Errorf("configuration field \"drive_path\": SMB Path:%s should not start with '/' in the beginning", p)
	}
	if share, _ := splitDrivePath(p); share == "" {
		return fmt.Errorf("configuration field \"drive_path\": %q names no share; give the share name, optionally followed by a folder (Documents/Finance)", p)
	}
	if s.port <= 0 || s.port > 65535 {
		return fmt.Errorf("configuration field \"server_port\": %d is not a TCP port", s.port)
	}
	if s.dls && s.driveType == DriveLinux && strings.TrimSpace(s.identityMappings) == "" {
		return errors.New("configuration field \"identity_mappings\": CSV file path cannot be empty. Please provide a valid csv file path")
	}
	return nil
}

// splitDrivePath splits drive_path into the share name and the folder inside it (with '\'
// separators, "" for the share's root). Both separators are accepted, as smbclient does.
func splitDrivePath(p string) (share, dir string) {
	parts := strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' })
	if len(parts) == 0 {
		return "", ""
	}
	return parts[0], strings.Join(parts[1:], `\`)
}

// Ping connects, signs in and opens the configured folder.
func (s *Source) Ping(ctx context.Context) error {
	c, err := s.connection(ctx)
	if err != nil {
		return err
	}
	_, dir := splitDrivePath(s.drivePath)
	f, err := c.share.WithContext(ctx).Open(dirOrRoot(dir))
	if err != nil {
		return s.pathError(ctx, "drive_path", dir, err)
	}
	defer closeFile(f)
	st, err := f.Stat()
	if err != nil {
		return s.pathError(ctx, "drive_path", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("configuration field \"drive_path\": %q on %s is a file, not a folder", s.drivePath, s.addr())
	}
	s.log.Info("Successfully connected to the Network Drive")
	return nil
}

func dirOrRoot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

func (s *Source) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// connection returns the open session, connecting first when there is none.
func (s *Source) connection(ctx context.Context) (*smbConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the network drive source is closed")
	}
	if s.conn != nil {
		return s.conn, nil
	}
	c, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	s.conn = c
	return c, nil
}

// reconnect drops the session c (if it is still the current one) so that the next call to
// connection opens a new one.
func (s *Source) reconnect(c *smbConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == c && c != nil {
		s.conn = nil
		go c.close() // a dead connection may take its time to fail
	}
}

// connectTimeout bounds the TCP connection and the sign-in.
const connectTimeout = 30 * time.Second

func (s *Source) connect(ctx context.Context) (*smbConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.host == "" {
		return nil, errors.New("configuration field \"server_ip\" is empty")
	}
	share, _ := splitDrivePath(s.drivePath)
	if share == "" {
		return nil, fmt.Errorf("configuration field \"drive_path\": %q names no share", s.drivePath)
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	tcp, err := s.dial(cctx, "tcp", s.addr())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("configuration fields \"server_ip\" and \"server_port\": cannot reach the SMB server at %s: %w", s.addr(), netCause(err))
	}
	d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: s.username, Password: s.password}}
	session, err := d.DialContext(cctx, tcp)
	if err != nil {
		tcp.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.logonError(err)
	}
	mounted, err := session.WithContext(cctx).Mount(share)
	if err != nil {
		_ = session.WithContext(cctx).Logoff()
		tcp.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.mountError(share, err)
	}
	return &smbConn{tcp: tcp, session: session, share: mounted}, nil
}

// netCause shortens a dial error to its cause (connection refused, no such host, timeout),
// leaving out Go's "dial tcp" prefix.
func netCause(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// NT status codes the sign-in and tree connect map to messages. The first five are the
// original's, with its wording.
const (
	statusNoLogonServers        = 0xC000005E
	statusInvalidLogonHours     = 0xC000006F
	statusInvalidWorkstation    = 0xC0000070
	statusAccountDisabled       = 0xC0000072
	statusPasswordMustChange    = 0xC0000224
	statusLogonFailure          = 0xC000006D
	statusAccountRestriction    = 0xC000006E
	statusPasswordExpired       = 0xC0000071
	statusAccountLockedOut      = 0xC0000234
	statusBadNetworkName        = 0xC00000CC
	statusAccessDenied          = 0xC0000022
	statusNetworkSessionExpired = 0xC000035C
	statusUserSessionDeleted    = 0xC0000203
)

func (s *Source) logonError(err error) error {
	code, ok := smb2.NtStatusOf(err)
	if !ok {
		var te *smb2.TransportError
		if errors.As(err, &te) {
			return fmt.Errorf("configuration fields \"server_ip\" and \"server_port\": %s did not answer as an SMB 2/3 server: %v", s.addr(), err)
		}
		return fmt.Errorf("signing in to %s as %q: %v", s.addr(), s.username, err)
	}
	switch code {
	case statusInvalidWorkstation:
		return fmt.Errorf("configuration field \"server_ip\": Client does not have permission to access server: (%s:%d)", s.host, s.port)
	case statusPasswordMustChange:
		return fmt.Errorf("configuration field \"username\": The password for User: %s must be changed before logging on for the first time", s.username)
	case statusNoLogonServers:
		return fmt.Errorf("configuration field \"server_ip\": No logon servers available for connecting to server: (%s:%d)", s.host, s.port)
	case statusAccountDisabled:
		return fmt.Errorf("configuration field \"username\": Account with Username: %s is disabled", s.username)
	case statusInvalidLogonHours:
		return fmt.Errorf("configuration field \"username\": User: %s cannot logon outside the specified logon hours", s.username)
	case statusLogonFailure:
		return fmt.Errorf("configuration fields \"username\" and \"password\": %s refused the sign-in of %q: unknown user or wrong password", s.addr(), s.username)
	case statusPasswordExpired:
		return fmt.Errorf("configuration field \"password\": the password of %q has expired on %s", s.username, s.addr())
	case statusAccountLockedOut:
		return fmt.Errorf("configuration field \"username\": the account %q is locked out on %s", s.username, s.addr())
	case statusAccountRestriction:
		return fmt.Errorf("configuration field \"username\": an account restriction of %q (a blank password, for example) prevents signing in to %s", s.username, s.addr())
	}
	return fmt.Errorf("signing in to %s as %q: %v", s.addr(), s.username, err)
}

func (s *Source) mountError(share string, err error) error {
	code, ok := smb2.NtStatusOf(err)
	switch {
	case ok && code == statusBadNetworkName:
		return fmt.Errorf("configuration field \"drive_path\": %s has no share named %q", s.addr(), share)
	case errors.Is(err, os.ErrPermission) || (ok && code == statusAccessDenied):
		return fmt.Errorf("configuration fields \"username\" and \"drive_path\": %q may not open the share %q on %s", s.username, share, s.addr())
	}
	return fmt.Errorf("configuration field \"drive_path\": opening the share %q on %s: %v", share, s.addr(), err)
}

// pathError words a failure to open the configured folder.
func (s *Source) pathError(ctx context.Context, field, dir string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("configuration field %q: %q does not exist on %s", field, s.drivePath, s.addr())
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("configuration fields \"username\" and %q: %q may not read %q on %s", field, s.username, s.drivePath, s.addr())
	}
	return fmt.Errorf("configuration field %q: reading %q on %s: %v", field, s.drivePath, s.addr(), err)
}

// Close ends the session. It is safe to call more than once.
func (s *Source) Close() error {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.closed = true
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
	if w, ok := s.groups.(*winrmClient); ok {
		w.close()
	}
	return nil
}

// closeFile releases a handle whatever happened to the context it was opened under.
func closeFile(f *smb2.File) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = f.CloseContext(ctx)
}
