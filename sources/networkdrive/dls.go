package networkdrive

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

// Document-level security, as the original does it:
//
//   - A document's _allow_access_control is read from the file's or folder's DACL: every
//     access-allowed ACE grants "sid:<SID>", every access-denied ACE withholds it, and the
//     result is the granted minus the withheld. Like the original, an ACE that denies exactly the
//     write rights (mask 278) counts as granting: it says the SID may read. On a Windows drive,
//     an ACE for a local group is replaced by the group's members, read over WinRM.
//   - The access-control documents are one per user, with the user's SID, name and groups: from
//     the CSV file of identity_mappings for a Linux (Samba) drive, from WinRM (Get-LocalUser)
//     for a Windows drive.

// ACE types and the one mask the original treats specially (MS-DTYP 2.4.4.1, 2.4.3).
const (
	aceAccessAllowed = 0
	aceAccessDenied  = 1
	aceSystemAudit   = 2
	// maskWriteOnly is FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES.
	maskWriteOnly = 278

	seDACLPresent = 0x0004
)

// nobody is the identity written when a DACL grants no one: the NULL SID, which no user's
// access-control document lists. An empty _allow_access_control would make the document
// visible to everyone, since Elasticsearch treats an empty list as a missing field.
const nobody = "sid:S-1-0-0"

// ace is one access control entry of a DACL.
type ace struct {
	typ  uint8
	mask uint32
	sid  string
}

// parseDACL reads the DACL of a self-relative security descriptor (MS-DTYP 2.4.6). present is
// false when the descriptor has no DACL, which grants everyone everything.
func parseDACL(sd []byte) (aces []ace, present bool, err error) {
	if len(sd) < 20 {
		return nil, false, errors.New("security descriptor too short")
	}
	control := binary.LittleEndian.Uint16(sd[2:4])
	off := int(binary.LittleEndian.Uint32(sd[16:20]))
	if control&seDACLPresent == 0 || off == 0 {
		return nil, false, nil
	}
	if off+8 > len(sd) {
		return nil, true, errors.New("DACL offset beyond the security descriptor")
	}
	acl := sd[off:]
	size := int(binary.LittleEndian.Uint16(acl[2:4]))
	count := int(binary.LittleEndian.Uint16(acl[4:6]))
	if size < 8 || size > len(acl) {
		return nil, true, errors.New("DACL size beyond the security descriptor")
	}
	acl = acl[8:size]
	for i := 0; i < count; i++ {
		if len(acl) < 4 {
			return nil, true, fmt.Errorf("ACE %d: truncated", i)
		}
		typ := acl[0]
		n := int(binary.LittleEndian.Uint16(acl[2:4]))
		if n < 4 || n > len(acl) {
			return nil, true, fmt.Errorf("ACE %d: size %d beyond the DACL", i, n)
		}
		body := acl[4:n]
		acl = acl[n:]
		switch typ {
		case aceAccessAllowed, aceAccessDenied, aceSystemAudit:
		default:
			continue // object and callback ACEs: the original's library leaves them unparsed
		}
		if len(body) < 4 {
			return nil, true, fmt.Errorf("ACE %d: truncated", i)
		}
		sid, err := sidString(body[4:])
		if err != nil {
			return nil, true, fmt.Errorf("ACE %d: %w", i, err)
		}
		aces = append(aces, ace{typ: typ, mask: binary.LittleEndian.Uint32(body[:4]), sid: sid})
	}
	return aces, true, nil
}

// sidString renders a binary SID (MS-DTYP 2.4.2.2) as "S-1-5-21-...", with the identifier
// authority in decimal, as the original's library does.
func sidString(b []byte) (string, error) {
	if len(b) < 8 {
		return "", errors.New("SID truncated")
	}
	n := int(b[1])
	if len(b) < 8+4*n {
		return "", errors.New("SID truncated")
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	var s strings.Builder
	s.WriteString("S-")
	s.WriteString(strconv.Itoa(int(b[0])))
	s.WriteByte('-')
	s.WriteString(strconv.FormatUint(auth, 10))
	s.WriteByte('-')
	for i := 0; i < n; i++ {
		if i > 0 {
			s.WriteByte('-')
		}
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return s.String(), nil
}

// permissions applies the original's rule to a DACL: the identities allowed minus those denied,
// with local groups expanded to their members. The result is sorted. Like the original, it
// counts inherit-only ACEs too (CREATOR OWNER on a folder, for example).
func permissions(aces []ace, groups map[string][]string) []string {
	allow, deny := map[string]bool{}, map[string]bool{}
	for _, a := range aces {
		if a.typ == aceAccessAllowed && a.mask == 0 {
			// Grants nothing. Windows never writes such an ACE; Samba does for a POSIX ACL
			// entry without permissions ("u:someone:---"), which denies that user.
			continue
		}
		ids := []string{"sid:" + a.sid}
		if members := groups[a.sid]; len(members) > 0 {
			ids = ids[:0]
			for _, m := range members {
				ids = append(ids, "sid:"+m)
			}
		}
		if a.typ == aceAccessAllowed || a.mask == maskWriteOnly {
			for _, id := range ids {
				allow[id] = true
			}
		}
		if a.typ == aceAccessDenied && a.mask != maskWriteOnly {
			for _, id := range ids {
				deny[id] = true
			}
		}
	}
	out := make([]string, 0, len(allow))
	for id := range allow {
		if !deny[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// allowed reads the DACL of a file or folder and returns its _allow_access_control; nil when it
// has no DACL (everyone may read it, so the field is left out).
func (s *Source) allowed(ctx context.Context, share, path string, groups map[string][]string) ([]string, error) {
	c, err := s.connection(ctx)
	if err != nil {
		return nil, err
	}
	sh, err := s.shareOf(ctx, c, share)
	if err != nil {
		return nil, err
	}
	f, err := sh.WithContext(ctx).OpenReadControl(path)
	if err != nil {
		s.dropIfBroken(c, err)
		return nil, err
	}
	defer closeFile(f)
	sd, err := f.SecurityDescriptor(smb2.DACLSecurityInformation)
	if err != nil {
		s.dropIfBroken(c, err)
		return nil, err
	}
	aces, present, err := parseDACL(sd)
	if err != nil {
		return nil, fmt.Errorf("security descriptor: %w", err)
	}
	if !present {
		return nil, nil
	}
	ids := permissions(aces, groups)
	if len(ids) == 0 {
		return []string{nobody}, nil
	}
	return ids, nil
}

// Account is a user or group as the Windows server lists it.
type Account struct {
	Name string
	SID  string
}

// GroupResolver reads the local users and groups of a Windows file server (WinRM).
type GroupResolver interface {
	LocalUsers(ctx context.Context) ([]Account, error)
	LocalGroups(ctx context.Context) ([]Account, error)
	GroupMembers(ctx context.Context, group string) ([]Account, error)
}

func (s *Source) resolver() GroupResolver {
	if s.groups == nil {
		s.groups = newWinRM(s.host, s.username, s.password)
	}
	return s.groups
}

// localGroups returns, for a Windows drive, every local group's SID with its members' SIDs; nil
// for a Linux drive, whose ACEs are used as they are.
func (s *Source) localGroups(ctx context.Context) (map[string][]string, error) {
	if s.driveType != DriveWindows {
		return nil, nil
	}
	s.log.Info("Fetching all groups and members for drive", "drive_path", s.drivePath)
	r := s.resolver()
	groups, err := r.LocalGroups(ctx)
	if err != nil {
		return nil, s.winrmError(err)
	}
	out := make(map[string][]string, len(groups))
	for _, g := range groups {
		members, err := r.GroupMembers(ctx, g.Name)
		if err != nil {
			return nil, s.winrmError(err)
		}
		// The original keys members by name; a name listed twice keeps its last SID.
		byName := map[string]string{}
		var order []string
		for _, m := range members {
			if _, ok := byName[m.Name]; !ok {
				order = append(order, m.Name)
			}
			byName[m.Name] = m.SID
		}
		sids := make([]string, 0, len(order))
		for _, n := range order {
			sids = append(sids, byName[n])
		}
		out[g.SID] = sids
	}
	return out, nil
}

func (s *Source) winrmError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("configuration field \"drive_type\" is windows: reading users and groups from %s over WinRM: %w", s.host, err)
}

// AccessControl emits one access-control document per user.
func (s *Source) AccessControl(ctx context.Context, emit func(connector.Document) error) error {
	if !s.dls {
		s.log.Warn("DLS is not enabled. Skipping")
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.driveType == DriveLinux {
		if strings.TrimSpace(s.identityMappings) == "" {
			return errors.New("configuration field \"identity_mappings\": CSV file path cannot be empty. Please provide a valid csv file path")
		}
		s.log.Info("Fetching all groups and users from configured file path", "identity_mappings", s.identityMappings)
		return s.readIdentityMappings(ctx, func(name, sid string, groups []string) error {
			return emitIdentity(ctx, emit, name, sid, groups)
		})
	}
	s.log.Info("Fetching all users for drive", "drive_path", s.drivePath)
	users, err := s.resolver().LocalUsers(ctx)
	if err != nil {
		return s.winrmError(err)
	}
	for _, u := range users {
		if err := emitIdentity(ctx, emit, u.Name, u.SID, nil); err != nil {
			return err
		}
	}
	return nil
}

func emitIdentity(ctx context.Context, emit func(connector.Document) error, name, sid string, groups []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	doc := identityDocument(name, sid, groups)
	if err := emit(doc); err != nil {
		return connector.DocError(doc.ID, err)
	}
	return nil
}

// identityDocument is the original's access-control document of a user.
func identityDocument(name, sid string, groups []string) connector.Document {
	access := []string{"sid:" + sid, "user:" + name}
	for _, g := range groups {
		access = append(access, "sid:"+g)
	}
	return connector.Document{
		ID: sid,
		Fields: connector.AccessControlFields(map[string]any{
			"username": "user:" + name,
			"user_id":  "sid:" + sid,
		}, access),
	}
}

// readIdentityMappings reads the CSV file of identity_mappings: one user per line,
// "name;user SID;group SID,group SID,...". Empty lines are skipped.
func (s *Source) readIdentityMappings(ctx context.Context, fn func(name, sid string, groups []string) error) error {
	f, err := os.Open(s.identityMappings)
	if err != nil {
		return fmt.Errorf("configuration field \"identity_mappings\": cannot read %q on the machine running the connectors service: %w", s.identityMappings, errors.Unwrap(err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return fmt.Errorf("configuration field \"identity_mappings\": %q: %w", s.identityMappings, err)
		}
		if len(row) == 1 && row[0] == "" {
			continue
		}
		if len(row) < 3 {
			return fmt.Errorf("configuration field \"identity_mappings\": %q line %d has %d field(s); each line must be name;user SID;group SIDs (the last may be empty)", s.identityMappings, line, len(row))
		}
		var groups []string
		if row[2] != "" {
			groups = strings.Split(row[2], ",")
		}
		if err := fn(row[0], row[1], groups); err != nil {
			return err
		}
	}
}
