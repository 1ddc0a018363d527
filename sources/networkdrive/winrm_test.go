package networkdrive

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

// fakeWinRM stands in for a Windows server's WinRM listener: NTLM over HTTP per connection,
// sealed bodies, and the shell operations, answering PowerShell commands from testdata/winrm.
type fakeWinRM struct {
	t        *testing.T
	srv      *httptest.Server
	accounts map[string]string
	// timeouts makes the first n Receives of each command fail with w:TimedOut.
	timeouts int
	// overrides replace testdata/winrm files by name.
	overrides map[string][]byte

	mu       sync.Mutex
	conns    map[string]*smb2.NTLMServer // by remote address: NTLM authenticates a connection
	authed   map[string]bool
	commands map[string]string // command id -> PowerShell script
	received map[string]int
	shells   int
	scripts  []string
}

func newFakeWinRM(t *testing.T, accounts map[string]string) *fakeWinRM {
	f := &fakeWinRM{t: t, accounts: accounts, conns: map[string]*smb2.NTLMServer{}, authed: map[string]bool{},
		commands: map[string]string{}, received: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWinRM) client() *winrmClient {
	c := newWinRM("127.0.0.1", "FILESRV\\search-user", "Passw0rd!")
	c.url = f.srv.URL + "/wsman"
	f.t.Cleanup(c.close)
	return c
}

func (f *fakeWinRM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/wsman" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	conn := r.RemoteAddr
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, _ := strings.Cut(auth, " ")
		msg, err := base64.StdEncoding.DecodeString(tok)
		if scheme != "Negotiate" || err != nil || len(msg) < 12 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch msg[8] {
		case 1:
			s := smb2.NewNTLMServer("FILESRV", f.accounts)
			challenge, err := s.Challenge(msg)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			f.conns[conn] = s
			delete(f.authed, conn)
			w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(challenge))
			w.WriteHeader(http.StatusUnauthorized)
		case 3:
			s := f.conns[conn]
			if s == nil || s.Authenticate(msg) != nil {
				w.Header().Add("WWW-Authenticate", "Negotiate")
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			f.authed[conn] = true
			w.WriteHeader(http.StatusOK)
		}
		return
	}
	s := f.conns[conn]
	if !f.authed[conn] || s == nil {
		w.Header().Add("WWW-Authenticate", "Negotiate")
		w.Header().Add("WWW-Authenticate", "Kerberos")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"` {
		f.t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Contains(body, []byte("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=")) {
		f.t.Errorf("encrypted body without OriginalContent: %q", body[:min(200, len(body))])
	}
	sig, sealed, err := unwrapEncrypted(body)
	if err != nil {
		f.t.Errorf("request body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	plain, err := s.Unseal(sig, sealed)
	if err != nil {
		f.t.Errorf("request body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	status, answer := f.answer(plain)
	sig, sealed = s.Seal([]byte(answer))
	w.Header().Set("Content-Type", `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`)
	w.WriteHeader(status)
	w.Write(wrapEncrypted(sig, sealed, len(answer)))
}

// request is the part of a WS-Management request the fake checks.
type request struct {
	Header struct {
		To          string `xml:"To"`
		Action      string `xml:"Action"`
		ResourceURI string `xml:"ResourceURI"`
		MessageID   string `xml:"MessageID"`
		SelectorSet struct {
			Selector []struct {
				Name  string `xml:"Name,attr"`
				Value string `xml:",chardata"`
			} `xml:"Selector"`
		} `xml:"SelectorSet"`
		OptionSet struct {
			Option []struct {
				Name  string `xml:"Name,attr"`
				Value string `xml:",chardata"`
			} `xml:"Option"`
		} `xml:"OptionSet"`
	} `xml:"Header"`
	Body struct {
		Command string `xml:"CommandLine>Command"`
		Receive struct {
			Stream struct {
				CommandID string `xml:"CommandId,attr"`
				Value     string `xml:",chardata"`
			} `xml:"DesiredStream"`
		} `xml:"Receive"`
		Signal struct {
			CommandID string `xml:"CommandId,attr"`
			Code      string `xml:"Code"`
		} `xml:"Signal"`
		Shell struct {
			InputStreams  string `xml:"InputStreams"`
			OutputStreams string `xml:"OutputStreams"`
		} `xml:"Shell"`
	} `xml:"Body"`
}

func (f *fakeWinRM) template(name string, vals map[string]string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "winrm", name))
	if err != nil {
		f.t.Fatal(err)
	}
	s := string(b)
	for k, v := range vals {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

func (f *fakeWinRM) answer(plain []byte) (int, string) {
	var req request
	if err := xml.Unmarshal(plain, &req); err != nil {
		f.t.Errorf("request is not XML: %v", err)
		return http.StatusBadRequest, ""
	}
	h := req.Header
	// pywinrm sends a fixed To (http://windows-host:5985/wsman), so To is not checked.
	if h.ResourceURI != shellResource || !strings.HasPrefix(h.MessageID, "uuid:") {
		f.t.Errorf("request header: %+v", h)
	}
	vals := map[string]string{"message_id": "00000000-0000-0000-0000-000000000001", "relates_to": strings.TrimPrefix(h.MessageID, "uuid:"),
		"host": "FILESRV", "owner": "FILESRV\\search-user", "action": h.Action}
	shellID := ""
	for _, s := range h.SelectorSet.Selector {
		if s.Name == "ShellId" {
			shellID = s.Value
		}
	}
	switch h.Action {
	case actionCreate:
		if req.Body.Shell.OutputStreams != "stdout stderr" {
			f.t.Errorf("shell streams %+v", req.Body.Shell)
		}
		f.shells++
		vals["shell_id"] = fmt.Sprintf("11111111-2222-3333-4444-%012d", f.shells)
		return http.StatusOK, f.template("create.xml", vals)
	case actionCommand:
		script, ok := decodePSCommand(req.Body.Command)
		if !ok {
			f.t.Errorf("command %q is not powershell -encodedcommand", req.Body.Command)
		}
		id := fmt.Sprintf("AAAAAAAA-0000-0000-0000-%012d", len(f.commands)+1)
		f.commands[id] = script
		f.scripts = append(f.scripts, script)
		vals["command_id"] = id
		return http.StatusOK, f.template("command.xml", vals)
	case actionReceive:
		id := req.Body.Receive.Stream.CommandID
		script, ok := f.commands[id]
		if shellID == "" || !ok {
			f.t.Errorf("receive for unknown command %q in shell %q", id, shellID)
		}
		f.received[id]++
		if f.received[id] <= f.timeouts {
			return http.StatusInternalServerError, f.template("timeout-fault.xml", vals)
		}
		out := f.output(script)
		vals["command_id"] = id
		vals["state"] = "Done"
		vals["exit_code"] = "<rsp:ExitCode>0</rsp:ExitCode>"
		// The output in two chunks, as Windows sends it in pieces.
		half := len(out) / 2
		vals["streams"] = fmt.Sprintf(`<rsp:Stream Name="stdout" CommandId="%s">%s</rsp:Stream><rsp:Stream Name="stdout" CommandId="%s">%s</rsp:Stream><rsp:Stream Name="stdout" CommandId="%s" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="%s" End="true"></rsp:Stream>`,
			id, base64.StdEncoding.EncodeToString(out[:half]), id, base64.StdEncoding.EncodeToString(out[half:]), id, id)
		if strings.Contains(script, "NoSuchGroup") {
			vals["exit_code"] = "<rsp:ExitCode>1</rsp:ExitCode>"
			vals["streams"] = fmt.Sprintf(`<rsp:Stream Name="stderr" CommandId="%s">%s</rsp:Stream>`, id,
				base64.StdEncoding.EncodeToString([]byte(`#< CLIXML`+"\r\n"+`<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">Get-LocalGroupMember : Group NoSuchGroup was not found._x000D__x000A_</S></Objs>`)))
		}
		return http.StatusOK, f.template("receive.xml", vals)
	case actionSignal, actionDelete:
		return http.StatusOK, f.template("empty.xml", vals)
	}
	f.t.Errorf("unexpected action %q", h.Action)
	return http.StatusBadRequest, ""
}

// output is the recorded output of a script.
func (f *fakeWinRM) output(script string) []byte {
	name := ""
	switch {
	case script == psUsers:
		name = "get-localuser.txt"
	case script == psGroups:
		name = "get-localgroup.txt"
	case strings.HasPrefix(script, `Get-LocalGroupMember -Name "`):
		group := strings.TrimSuffix(strings.TrimPrefix(script, `Get-LocalGroupMember -Name "`), `" | Select-Object Name, SID`)
		name = "get-localgroupmember-" + group + ".txt"
	default:
		f.t.Errorf("unexpected script %q", script)
		return nil
	}
	if b, ok := f.overrides[name]; ok {
		return b
	}
	b, err := os.ReadFile(filepath.Join("testdata", "winrm", name))
	if err != nil {
		return nil
	}
	return b
}

// decodePSCommand reads "powershell -encodedcommand <base64 of UTF-16LE>".
func decodePSCommand(cmd string) (string, bool) {
	b64, ok := strings.CutPrefix(cmd, "powershell -encodedcommand ")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), true
}

var fakeAccounts = map[string]string{"search-user": "Passw0rd!"}

func TestWinRMUsersAndGroups(t *testing.T) {
	f := newFakeWinRM(t, fakeAccounts)
	f.timeouts = 1 // every command's first Receive times out, as a slow command's does
	c := f.client()
	ctx := context.Background()
	users, err := c.LocalUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantUsers := []Account{
		{"Administrator", "S-1-5-21-3623811015-3361044348-30300820-500"},
		{"DefaultAccount", "S-1-5-21-3623811015-3361044348-30300820-503"},
		{"Guest", "S-1-5-21-3623811015-3361044348-30300820-501"},
		{"Jürgen Müller", "S-1-5-21-3623811015-3361044348-30300820-1001"},
		{"search-user", "S-1-5-21-3623811015-3361044348-30300820-1002"},
	}
	if !reflect.DeepEqual(users, wantUsers) {
		t.Errorf("users %v", users)
	}
	groups, err := c.LocalGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 4 || groups[1] != (Account{"Remote Desktop Users", "S-1-5-32-555"}) {
		t.Errorf("groups %v", groups)
	}
	members, err := c.GroupMembers(ctx, "Administrators")
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0] != (Account{`FILESRV\Administrator`, "S-1-5-21-3623811015-3361044348-30300820-500"}) {
		t.Errorf("members %v", members)
	}
	_, err = c.GroupMembers(ctx, "NoSuchGroup")
	if err == nil || !strings.Contains(err.Error(), "Group NoSuchGroup was not found.") {
		t.Errorf("missing group: %v", err)
	}
	wantScripts := []string{psUsers, psGroups, `Get-LocalGroupMember -Name "Administrators" | Select-Object Name, SID`,
		`Get-LocalGroupMember -Name "NoSuchGroup" | Select-Object Name, SID`}
	if !reflect.DeepEqual(f.scripts, wantScripts) {
		t.Errorf("scripts %q", f.scripts)
	}
}

func TestWinRMErrors(t *testing.T) {
	f := newFakeWinRM(t, map[string]string{"search-user": "another password"})
	_, err := f.client().LocalUsers(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"username" and "password"`) || strings.Contains(err.Error(), "Passw0rd!") {
		t.Errorf("wrong password: %v", err)
	}
	c := f.client()
	f.srv.Close()
	_, err = c.LocalUsers(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot reach the WinRM service at "+c.url) {
		t.Errorf("closed server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.client().LocalUsers(ctx); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestParsePSTable(t *testing.T) {
	// The original's own example: two header lines after a first line, then "key   value".
	out := "\n            Header1  Value1\n            Header2  Value2\n            Key 1    Value1\n            Key 2    Value2\n            Key 3    Value3\n        "
	want := []Account{{"Key 1", "Value1"}, {"Key 2", "Value2"}, {"Key 3", "Value3"}}
	if got := parsePSTable(out); !reflect.DeepEqual(got, want) {
		t.Errorf("%v", got)
	}
	if got := parsePSTable("a\r\nb"); got != nil {
		t.Errorf("two lines: %v", got)
	}
	// A name twice keeps its place and takes the last SID.
	got := parsePSTable("\r\nName SID\r\n---- ---\r\nx S-1\r\ny S-2\r\nx S-3\r\nlonely\r\n")
	if want := []Account{{"x", "S-3"}, {"y", "S-2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("%v", got)
	}
	if got := decodeConsole([]byte("J\x81rgen")); got != "Jürgen" {
		t.Errorf("code page 437: %q", got)
	}
}

// TestWindowsDLS: on a Windows drive, ACEs of local groups are replaced by the groups' members
// (read over WinRM), and the access-control documents are the local users. The ACLs come from
// Samba, the groups from the fake: the Samba group's SID is made one of the fake's groups.
func TestWindowsDLS(t *testing.T) {
	s := newSamba(t)
	f := newFakeWinRM(t, fakeAccounts)
	p := s.write(t, "finance.txt", "x", mtime1)
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	setfacl(t, "-m", "g:"+s.vals["SAMBA_GROUP"]+":r", p)
	grp := groupSID(t, s.vals["SAMBA_GROUP"])
	// The fake lists the Samba group as "Finance", whose member is Jürgen.
	groups, err := os.ReadFile(filepath.Join("testdata", "winrm", "get-localgroup.txt"))
	if err != nil {
		t.Fatal(err)
	}
	f.overrides = map[string][]byte{
		"get-localgroup.txt": bytes.Replace(groups, []byte("S-1-5-21-3623811015-3361044348-30300820-1010"), []byte(grp), 1),
	}

	src := s.open(t, map[string]any{"use_document_level_security": true, "drive_type": "windows"}, Factory.Features)
	src.groups = f.client()
	got, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	d := got.docs[`\\`+s.vals["SAMBA_HOST"]+"/"+s.drivePath+`\finance.txt`]
	want := []string{
		"sid:S-1-22-1-" + fmt.Sprint(os.Getuid()),
		"sid:S-1-22-2-" + fmt.Sprint(os.Getgid()),
		"sid:S-1-5-21-3623811015-3361044348-30300820-1001", // the group's member instead of the group
	}
	if !reflect.DeepEqual(d.AllowAccessControl, want) {
		t.Errorf("_allow_access_control %v, want %v", d.AllowAccessControl, want)
	}

	var ids []string
	err = src.AccessControl(context.Background(), func(d connector.Document) error {
		ids = append(ids, d.ID+"="+d.Fields["identity"].(map[string]any)["username"].(string))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{
		"S-1-5-21-3623811015-3361044348-30300820-500=user:Administrator",
		"S-1-5-21-3623811015-3361044348-30300820-503=user:DefaultAccount",
		"S-1-5-21-3623811015-3361044348-30300820-501=user:Guest",
		"S-1-5-21-3623811015-3361044348-30300820-1001=user:Jürgen Müller",
		"S-1-5-21-3623811015-3361044348-30300820-1002=user:search-user",
	}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("identities %v", ids)
	}
}

func groupSID(t *testing.T, name string) string {
	t.Helper()
	g, err := user.LookupGroup(name)
	if err != nil {
		t.Fatal(err)
	}
	return "S-1-22-2-" + g.Gid
}

// TestFakeWinRMAgainstPywinrm runs pywinrm (0.4.3, what the original pins) against the fake, so
// that the fake is known to speak what the original's client speaks (NTLM over HTTP, sealed
// bodies, the shell operations), and compares its parse with ours. It needs a Python with
// pywinrm, named by NETWORK_DRIVE_PYWINRM (pip install pywinrm==0.4.3); CI does not install it.
func TestFakeWinRMAgainstPywinrm(t *testing.T) {
	python := os.Getenv("NETWORK_DRIVE_PYWINRM")
	if python == "" {
		t.Skip("NETWORK_DRIVE_PYWINRM is not set (a python with pywinrm 0.4.3)")
	}
	f := newFakeWinRM(t, fakeAccounts)
	for _, script := range []string{psUsers, psGroups, fmt.Sprintf(psMembers, "Administrators")} {
		out, err := exec.Command(python, "testdata/winrm/pywinrm_run_ps.py", f.srv.URL+"/wsman", "search-user", "Passw0rd!", script).CombinedOutput()
		if err != nil {
			t.Fatalf("pywinrm: %v\n%s", err, out)
		}
		want := f.output(script)
		if !bytes.Equal(out, want) {
			t.Errorf("pywinrm read %q, the fake sent %q", out, want)
		}
	}
	if len(f.scripts) != 3 {
		t.Errorf("the fake ran %q", f.scripts)
	}
}
