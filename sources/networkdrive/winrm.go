package networkdrive

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

// The Windows side of DLS: the original reads the server's local users and groups by running
// PowerShell over WinRM (pywinrm, NTLM, http://<server_ip>:5985/wsman, bodies sealed with
// NTLM). This is the same exchange: WS-Management's shell operations (MS-WSMV 3.1.4.1: Create,
// Command, Receive, Signal, Delete) over HTTP with NTLM authentication and the
// "application/HTTP-SPNEGO-session-encrypted" multipart bodies. There is no Windows server here:
// it is tested against a fake built from the protocol documents, not against Windows.

// PowerShell commands the original runs, byte for byte.
const (
	psUsers   = "Get-LocalUser | Select Name, SID"
	psGroups  = "Get-LocalGroup | Select-Object Name, SID"
	psMembers = `Get-LocalGroupMember -Name "%s" | Select-Object Name, SID`
)

// winrmPort is WinRM's HTTP port, which the original uses (pywinrm's default for a bare host).
const winrmPort = 5985

type winrmClient struct {
	url                string
	user, password     string
	domain             string
	http               *http.Client
	operationTimeout   time.Duration
	maxEnvelopeSizeKiB int
}

func newWinRM(host, user, password string) *winrmClient {
	domain, name := "", user
	if i := strings.IndexAny(user, `\/`); i >= 0 {
		domain, name = user[:i], user[i+1:]
	}
	return &winrmClient{
		url:      "http://" + net.JoinHostPort(host, strconv.Itoa(winrmPort)) + "/wsman",
		user:     name,
		password: password,
		domain:   domain,
		// NTLM authenticates a connection, not a request: one connection per client, reused.
		http: &http.Client{Transport: &http.Transport{
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     30 * time.Second,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		}},
		operationTimeout:   20 * time.Second,
		maxEnvelopeSizeKiB: 150,
	}
}

func (c *winrmClient) LocalUsers(ctx context.Context) ([]Account, error) {
	out, err := c.runPS(ctx, psUsers)
	if err != nil {
		return nil, err
	}
	return parsePSTable(out), nil
}

func (c *winrmClient) LocalGroups(ctx context.Context) ([]Account, error) {
	out, err := c.runPS(ctx, psGroups)
	if err != nil {
		return nil, err
	}
	return parsePSTable(out), nil
}

func (c *winrmClient) GroupMembers(ctx context.Context, group string) ([]Account, error) {
	out, err := c.runPS(ctx, fmt.Sprintf(psMembers, group))
	if err != nil {
		return nil, err
	}
	return parsePSTable(out), nil
}

func (c *winrmClient) close() { c.http.CloseIdleConnections() }

// parsePSTable reads PowerShell's table output the way the original does: the first three
// lines (a blank line, the header and its underline) are skipped, and every other line with at
// least two words is a name (everything before the last word) and a SID (the last word). A
// name listed twice keeps its last SID, in the place of its first.
func parsePSTable(out string) []Account {
	lines := splitLines(out)
	if len(lines) <= 2 {
		return nil
	}
	var accounts []Account
	index := map[string]int{}
	for _, line := range lines[min(3, len(lines)):] {
		line = strings.TrimRightFunc(line, isPySpace)
		i := strings.LastIndexFunc(line, isPySpace)
		if i < 0 {
			continue
		}
		name := strings.TrimFunc(line[:i], isPySpace)
		sid := line[i+1:]
		if name == "" {
			continue
		}
		if k, ok := index[name]; ok {
			accounts[k].SID = sid
			continue
		}
		index[name] = len(accounts)
		accounts = append(accounts, Account{Name: name, SID: sid})
	}
	return accounts
}

// splitLines is Python's str.splitlines.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\r':
			lines = append(lines, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
			start = i + n
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// isPySpace is Python's str.isspace for one character.
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// runPS runs a PowerShell script the way pywinrm's run_ps does (powershell -encodedcommand
// with the script in UTF-16LE) and returns its standard output.
func (c *winrmClient) runPS(ctx context.Context, script string) (string, error) {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, x := range u {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	stdout, stderr, code, err := c.runCommand(ctx, "powershell -encodedcommand "+base64.StdEncoding.EncodeToString(b))
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", fmt.Errorf("PowerShell %q ended with exit code %d: %s", script, code, cleanPSError(stderr))
	}
	return decodeConsole(stdout), nil
}

// decodeConsole turns console output into text: UTF-8 when it is valid, else code page 437,
// the shell's code page (the original decodes UTF-8 only and fails on other names).
func decodeConsole(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := charmap.CodePage437.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// cleanPSError extracts the messages of PowerShell's CLIXML error stream.
func cleanPSError(b []byte) string {
	s := string(b)
	if !strings.HasPrefix(s, "#< CLIXML") {
		return strings.TrimSpace(s)
	}
	var msgs []string
	for _, part := range strings.Split(s, `<S S="Error">`)[1:] {
		if i := strings.Index(part, "</S>"); i >= 0 {
			m := strings.ReplaceAll(part[:i], "_x000D__x000A_", "\n")
			msgs = append(msgs, strings.TrimSpace(m))
		}
	}
	return strings.Join(msgs, " ")
}

// session is one authenticated, sealed connection to the WinRM service.
type winrmSession struct {
	c    *winrmClient
	ntlm *smb2.NTLMClient
}

// runCommand opens a shell, runs one command in it, reads its output and closes it.
func (c *winrmClient) runCommand(ctx context.Context, command string) (stdout, stderr []byte, code int, err error) {
	s, err := c.authenticate(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	defer c.http.CloseIdleConnections() // the next command authenticates again

	resp, err := s.call(ctx, actionCreate, "", `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`,
		map[string]string{"WINRS_NOPROFILE": "FALSE", "WINRS_CODEPAGE": "437"})
	if err != nil {
		return nil, nil, 0, err
	}
	shellID := resp.Body.Shell.ShellID
	if shellID == "" {
		shellID = resp.Header.SelectorSet.value("ShellId")
	}
	if shellID == "" {
		return nil, nil, 0, errors.New("the WinRM service created a shell without an id")
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = s.call(dctx, actionDelete, shellID, "", nil)
	}()

	resp, err = s.call(ctx, actionCommand, shellID,
		`<rsp:CommandLine><rsp:Command>`+xmlText(command)+`</rsp:Command></rsp:CommandLine>`,
		map[string]string{"WINRS_CONSOLEMODE_STDIN": "TRUE", "WINRS_SKIP_CMD_SHELL": "FALSE"})
	if err != nil {
		return nil, nil, 0, err
	}
	commandID := resp.Body.CommandResponse.CommandID
	if commandID == "" {
		return nil, nil, 0, errors.New("the WinRM service started a command without an id")
	}
	var out, errOut bytes.Buffer
	for {
		resp, err = s.call(ctx, actionReceive, shellID,
			`<rsp:Receive><rsp:DesiredStream CommandId="`+xmlText(commandID)+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`, nil)
		if err != nil {
			var f *soapFault
			if errors.As(err, &f) && f.timedOut() {
				continue // no output within the operation timeout: ask again
			}
			return nil, nil, 0, err
		}
		for _, st := range resp.Body.ReceiveResponse.Streams {
			data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
			if err != nil {
				return nil, nil, 0, fmt.Errorf("the WinRM service sent a %s stream that is not base64", st.Name)
			}
			if st.Name == "stderr" {
				errOut.Write(data)
			} else {
				out.Write(data)
			}
		}
		state := resp.Body.ReceiveResponse.CommandState
		if strings.HasSuffix(state.State, "/Done") {
			code = state.ExitCode
			break
		}
	}
	_, _ = s.call(ctx, actionSignal, shellID,
		`<rsp:Signal CommandId="`+xmlText(commandID)+`"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate</rsp:Code></rsp:Signal>`, nil)
	return out.Bytes(), errOut.Bytes(), code, nil
}

// authenticate runs the NTLM handshake on a fresh connection with an empty body, as pywinrm
// does before it seals messages, and returns the session for that connection.
func (c *winrmClient) authenticate(ctx context.Context) (*winrmSession, error) {
	c.http.CloseIdleConnections()
	n := smb2.NewNTLMClient(c.user, c.password, c.domain)
	nego, err := n.Negotiate()
	if err != nil {
		return nil, err
	}
	resp, err := c.post(ctx, "Negotiate "+base64.StdEncoding.EncodeToString(nego), "", nil)
	if err != nil {
		return nil, err
	}
	drain(resp)
	if resp.StatusCode != http.StatusUnauthorized {
		return nil, fmt.Errorf("%s answered the NTLM negotiation with HTTP %d, not 401", c.url, resp.StatusCode)
	}
	challenge, ok := authToken(resp.Header.Values("WWW-Authenticate"))
	if !ok {
		return nil, fmt.Errorf("%s offers no Negotiate or NTLM authentication (WWW-Authenticate: %q)", c.url, resp.Header.Values("WWW-Authenticate"))
	}
	auth, err := n.Authenticate(challenge)
	if err != nil {
		return nil, fmt.Errorf("NTLM challenge from %s: %w", c.url, err)
	}
	resp, err = c.post(ctx, "Negotiate "+base64.StdEncoding.EncodeToString(auth), "", nil)
	if err != nil {
		return nil, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("configuration fields \"username\" and \"password\": %s refused the sign-in of %q", c.url, c.user)
	default:
		return nil, fmt.Errorf("%s answered the NTLM sign-in with HTTP %d", c.url, resp.StatusCode)
	}
	return &winrmSession{c: c, ntlm: n}, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// authToken finds the token of a Negotiate or NTLM challenge.
func authToken(values []string) ([]byte, bool) {
	for _, v := range values {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || (!strings.EqualFold(scheme, "Negotiate") && !strings.EqualFold(scheme, "NTLM")) {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok))
		if err == nil {
			return b, true
		}
	}
	return nil, false
}

func (c *winrmClient) post(ctx context.Context, authorization, contentType string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "Python WinRM client")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach the WinRM service at %s: %w", c.url, netCause(err))
	}
	return resp, nil
}

const encryptedBoundary = "Encrypted Boundary"

const (
	actionCreate  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	actionDelete  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
	actionCommand = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
	actionReceive = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
	actionSignal  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
	shellResource = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
)

// call sends one sealed WS-Management request and returns the unsealed, decoded answer; a SOAP
// fault becomes a *soapFault error.
func (s *winrmSession) call(ctx context.Context, action, shellID, body string, options map[string]string) (*envelope, error) {
	msg := []byte(s.c.envelope(action, shellID, body, options))
	sig, sealed, err := s.ntlm.Seal(msg)
	if err != nil {
		return nil, err
	}
	resp, err := s.c.post(ctx, "", `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="`+encryptedBoundary+`"`,
		wrapEncrypted(sig, sealed, len(msg)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", s.c.url, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("configuration fields \"username\" and \"password\": %s refused %q", s.c.url, s.c.user)
	}
	plain := raw
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(strings.ToLower(ct), "multipart/encrypted") {
		sig, sealed, err := unwrapEncrypted(raw)
		if err != nil {
			return nil, fmt.Errorf("answer of %s: %w", s.c.url, err)
		}
		if plain, err = s.ntlm.Unseal(sig, sealed); err != nil {
			return nil, fmt.Errorf("answer of %s: %w", s.c.url, err)
		}
	} else if len(raw) > 0 && resp.StatusCode == http.StatusOK {
		return nil, fmt.Errorf("%s answered without encryption (%s)", s.c.url, resp.Header.Get("Content-Type"))
	}
	var env envelope
	if len(bytes.TrimSpace(plain)) > 0 {
		if err := xml.Unmarshal(plain, &env); err != nil {
			return nil, fmt.Errorf("answer of %s to %s is not a SOAP envelope: %w", s.c.url, action, err)
		}
	}
	if env.Body.Fault != nil {
		return nil, env.Body.Fault
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s with HTTP %d", s.c.url, action, resp.StatusCode)
	}
	return &env, nil
}

// wrapEncrypted builds the multipart body of a sealed message (the layout pywinrm and Windows
// use): a header part naming the original content and its length, then the 4-byte
// little-endian signature length, the signature and the sealed message.
func wrapEncrypted(sig, sealed []byte, plainLen int) []byte {
	var b bytes.Buffer
	b.WriteString("--" + encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n")
	b.WriteString("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + strconv.Itoa(plainLen) + "\r\n")
	b.WriteString("--" + encryptedBoundary + "\r\n")
	b.WriteString("\tContent-Type: application/octet-stream\r\n")
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(sig)))
	b.Write(n[:])
	b.Write(sig)
	b.Write(sealed)
	b.WriteString("--" + encryptedBoundary + "--\r\n")
	return b.Bytes()
}

// unwrapEncrypted takes a sealed body apart.
func unwrapEncrypted(body []byte) (sig, sealed []byte, err error) {
	const marker = "Content-Type: application/octet-stream\r\n"
	i := bytes.Index(body, []byte(marker))
	if i < 0 {
		return nil, nil, errors.New("encrypted body without its octet-stream part")
	}
	rest := body[i+len(marker):]
	if len(rest) < 4 {
		return nil, nil, errors.New("encrypted body truncated")
	}
	n := int(binary.LittleEndian.Uint32(rest[:4]))
	rest = rest[4:]
	if n > len(rest) {
		return nil, nil, errors.New("encrypted body truncated")
	}
	sig, rest = rest[:n], rest[n:]
	end := bytes.LastIndex(rest, []byte("--"+encryptedBoundary+"--"))
	if end < 0 {
		return nil, nil, errors.New("encrypted body without its closing boundary")
	}
	return sig, rest[:end], nil
}

// envelope builds a WS-Management request.
func (c *winrmClient) envelope(action, shellID, body string, options map[string]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	b.WriteString(`<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><env:Header>`)
	b.WriteString(`<a:To>` + xmlText(c.url) + `</a:To>`)
	b.WriteString(`<a:ReplyTo><a:Address env:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>`)
	fmt.Fprintf(&b, `<w:MaxEnvelopeSize env:mustUnderstand="true">%d</w:MaxEnvelopeSize>`, c.maxEnvelopeSizeKiB*1024)
	b.WriteString(`<a:MessageID>uuid:` + newUUID() + `</a:MessageID>`)
	b.WriteString(`<w:Locale xml:lang="en-US" env:mustUnderstand="false"/><p:DataLocale xml:lang="en-US" env:mustUnderstand="false"/>`)
	fmt.Fprintf(&b, `<w:OperationTimeout>PT%dS</w:OperationTimeout>`, int(c.operationTimeout/time.Second))
	b.WriteString(`<w:ResourceURI env:mustUnderstand="true">` + shellResource + `</w:ResourceURI>`)
	b.WriteString(`<a:Action env:mustUnderstand="true">` + action + `</a:Action>`)
	if shellID != "" {
		b.WriteString(`<w:SelectorSet><w:Selector Name="ShellId">` + xmlText(shellID) + `</w:Selector></w:SelectorSet>`)
	}
	if len(options) > 0 {
		b.WriteString(`<w:OptionSet>`)
		for _, k := range sortedKeys(options) {
			b.WriteString(`<w:Option Name="` + xmlText(k) + `">` + xmlText(options[k]) + `</w:Option>`)
		}
		b.WriteString(`</w:OptionSet>`)
	}
	b.WriteString(`</env:Header><env:Body>` + body + `</env:Body></env:Envelope>`)
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// envelope is the part of a WS-Management answer the client reads.
type envelope struct {
	Header struct {
		SelectorSet selectorSet `xml:"SelectorSet"`
	} `xml:"Header"`
	Body struct {
		Shell struct {
			ShellID string `xml:"ShellId"`
		} `xml:"Shell"`
		ResourceCreated struct {
			ReferenceParameters struct {
				SelectorSet selectorSet `xml:"SelectorSet"`
			} `xml:"ReferenceParameters"`
		} `xml:"ResourceCreated"`
		CommandResponse struct {
			CommandID string `xml:"CommandId"`
		} `xml:"CommandResponse"`
		ReceiveResponse struct {
			Streams []struct {
				Name string `xml:"Name,attr"`
				Data string `xml:",chardata"`
			} `xml:"Stream"`
			CommandState struct {
				State    string `xml:"State,attr"`
				ExitCode int    `xml:"ExitCode"`
			} `xml:"CommandState"`
		} `xml:"ReceiveResponse"`
		Fault *soapFault `xml:"Fault"`
	} `xml:"Body"`
}

type selectorSet struct {
	Selectors []struct {
		Name  string `xml:"Name,attr"`
		Value string `xml:",chardata"`
	} `xml:"Selector"`
}

func (s selectorSet) value(name string) string {
	for _, x := range s.Selectors {
		if x.Name == name {
			return strings.TrimSpace(x.Value)
		}
	}
	return ""
}

// soapFault is a WS-Management fault (MS-WSMV 2.2.4.41 WSManFault inside a SOAP fault).
type soapFault struct {
	Code struct {
		Subcode struct {
			Value string `xml:"Value"`
		} `xml:"Subcode"`
	} `xml:"Code"`
	Reason struct {
		Text string `xml:"Text"`
	} `xml:"Reason"`
	Detail struct {
		WSManFault struct {
			Code    string `xml:"Code,attr"`
			Message string `xml:"Message"`
		} `xml:"WSManFault"`
	} `xml:"Detail"`
}

func (f *soapFault) Error() string {
	msg := strings.TrimSpace(f.Detail.WSManFault.Message)
	if msg == "" {
		msg = strings.TrimSpace(f.Reason.Text)
	}
	if f.Detail.WSManFault.Code != "" {
		return fmt.Sprintf("WinRM fault %s: %s", f.Detail.WSManFault.Code, msg)
	}
	return "WinRM fault: " + msg
}

// timedOut reports the fault a Receive gets when the command printed nothing within the
// operation timeout (w:TimedOut, WSManFault code 2150858793).
func (f *soapFault) timedOut() bool {
	return strings.HasSuffix(f.Code.Subcode.Value, ":TimedOut") || f.Detail.WSManFault.Code == "2150858793"
}
