package networkdrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

var (
	mtime1 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
)

// TestAcceptance runs the SDK's acceptance suite against Samba: 3 levels of folders, 40 files,
// checkpoints every 7 entries so that resuming is exercised in and across folders.
func TestAcceptance(t *testing.T) {
	s := newSamba(t)
	n := 0
	for d := 0; d < 4; d++ {
		for f := 0; f < 10; f++ {
			rel := fmt.Sprintf("d%d/sub%d/f%02d.txt", d, d%2, f)
			if f%3 == 0 {
				rel = fmt.Sprintf("d%d/f%02d.txt", d, f)
			}
			s.write(t, rel, strings.Repeat("text ", f+1), mtime1)
			n++
		}
	}
	folders := 4 + 4 // d0..d3 and one sub per d
	old := checkpointEvery
	checkpointEvery = 7
	t.Cleanup(func() { checkpointEvery = old })
	connectortest.Run(t, Factory, s.config(nil),
		connectortest.ExpectDocs(n+folders),
		connectortest.InvalidConfig(map[string]any{"drive_path": "/" + s.drivePath}, "drive_path"),
		connectortest.InvalidConfig(map[string]any{"drive_path": `\` + s.drivePath}, "drive_path"),
	)
}

// TestGoldenDocuments compares every document field by field with values computed from the
// files' stat: nested folders, unicode and awkward names, an empty file, a large file.
func TestGoldenDocuments(t *testing.T) {
	s := newSamba(t)
	files := map[string]string{
		"readme.txt":                         "hello",
		"empty.txt":                          "",
		"Ünïcødé ファイル/日本語.txt":               "こんにちは",
		"a/b/c/deep.md":                      "# deep",
		"spaces and (parens)/x y.html":       "<p>x</p>",
		"a/emoji 🎉.txt":                      "party",
		"a/b/.hidden":                        "h",
		"no-extension":                       "raw",
		"big.bin":                            strings.Repeat("x", 1<<20),
		"a/b/c/semicolon;comma,quote'.txt":   "q",
		"a/b/c/percent%20and#hash&amp.txt":   "p",
		"a/UPPER.TXT":                        "upper",
		"a/b/c/d/e/f/g/h/i/j/very-deep.json": "{}",
	}
	local := map[string]string{} // document path -> local path
	root := `\\` + s.vals["SAMBA_HOST"] + "/" + s.drivePath
	for rel, content := range files {
		p := s.write(t, rel, content, mtime1)
		local[root+`\`+strings.ReplaceAll(rel, "/", `\`)] = p
	}
	s.mkdir(t, "empty folder")
	// Folders: every parent of a file, and the empty one.
	err := filepath.Walk(s.dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == s.dir || !info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(s.dir, p)
		local[root+`\`+strings.ReplaceAll(filepath.ToSlash(rel), "/", `\`)] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	src := s.open(t, nil, Factory.Features)
	got, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.incomplete) > 0 {
		t.Errorf("incomplete: %v", got.incomplete)
	}
	if len(got.docs) != len(local) {
		t.Errorf("%d documents, want %d:\n%s", len(got.docs), len(local), strings.Join(got.paths(), "\n"))
	}
	for docPath, p := range local {
		d, ok := got.docs[docPath]
		if !ok {
			t.Errorf("no document for %s", docPath)
			continue
		}
		compareDoc(t, d, expectedDoc(t, docPath, p))
		if d.AllowAccessControl != nil {
			t.Errorf("%s: _allow_access_control %v without DLS", docPath, d.AllowAccessControl)
		}
		wantContent := d.Fields["type"] == "file" && (strings.HasSuffix(docPath, ".txt") || strings.HasSuffix(docPath, ".md") ||
			strings.HasSuffix(docPath, ".html") || strings.HasSuffix(docPath, ".json") || strings.HasSuffix(docPath, ".TXT"))
		if (d.Content != nil) != wantContent {
			t.Errorf("%s: content %v, want %v", docPath, d.Content != nil, wantContent)
		}
	}
	// The content of a unicode-named file, read over SMB.
	d := got.docs[root+`\Ünïcødé ファイル\日本語.txt`]
	if d.Content == nil {
		t.Fatal("no content for the unicode file")
	}
	rc, err := d.Content.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "こんにちは" || d.Content.Size != int64(len("こんにちは")) {
		t.Errorf("content %q (%v), size %d", b, err, d.Content.Size)
	}
	// _source.id is the decimal string, as the original's sanitize() writes every id
	// (testdata/parity/nd-default.json).
	body, _ := connector.MarshalJSON(d.Body())
	if !strings.Contains(string(body), `"id":"`+d.ID+`"`) {
		t.Errorf("_source.id is not the string %q: %s", d.ID, body)
	}
}

// TestTimestampChanges checks what the timestamp optimisation of incremental syncs relies on:
// _timestamp stays the same for an untouched file and changes for a rewritten one.
func TestTimestampChanges(t *testing.T) {
	s := newSamba(t)
	s.write(t, "same.txt", "same", mtime1)
	changed := s.write(t, "changed.txt", "v1", mtime1)
	src := s.open(t, nil, Factory.Features)
	first, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // ctime has a resolution of the kernel's tick
	if err := os.WriteFile(changed, []byte("version 2"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range first.docs {
		d2 := second.docs[p]
		same := d.Timestamp == d2.Timestamp
		if strings.HasSuffix(p, "changed.txt") == same {
			t.Errorf("%s: _timestamp %s then %s", p, d.Timestamp, d2.Timestamp)
		}
		if d.ID != d2.ID {
			t.Errorf("%s: _id %s then %s", p, d.ID, d2.ID)
		}
	}
}

// TestUnreadableFolder: a folder the user may not list is reported, its siblings are indexed,
// and the sync does not fail.
func TestUnreadableFolder(t *testing.T) {
	s := newSamba(t)
	s.write(t, "open/a.txt", "a", mtime1)
	s.write(t, "secret/b.txt", "b", mtime1)
	s.write(t, "z.txt", "z", mtime1)
	if err := os.Chmod(filepath.Join(s.dir, "secret"), 0o700); err != nil {
		t.Fatal(err)
	}
	src := s.open(t, nil, Factory.Features)
	got, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	root := `\\` + s.vals["SAMBA_HOST"] + "/" + s.drivePath
	want := []string{root + `\open`, root + `\open\a.txt`, root + `\secret`, root + `\z.txt`}
	if fmt.Sprint(got.paths()) != fmt.Sprint(want) {
		t.Errorf("documents\n%v\nwant\n%v", got.paths(), want)
	}
	if cause, ok := got.incomplete[root+`\secret`]; !ok || !strings.Contains(cause, "access denied") {
		t.Errorf("incomplete = %v, want %s with access denied", got.incomplete, root+`\secret`)
	}
}

// TestErrors: configuration mistakes are reported with the field and the cause.
func TestErrors(t *testing.T) {
	s := newSamba(t)
	// A port where nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cases := []struct {
		name  string
		extra map[string]any
		want  []string
	}{
		{"wrong password", map[string]any{"password": "wrong"}, []string{`"username" and "password"`, "wrong password", s.vals["SAMBA_USER"]}},
		{"unknown user", map[string]any{"username": "nobody-here"}, []string{`"username" and "password"`, "nobody-here"}},
		{"unknown share", map[string]any{"drive_path": "no-such-share/x"}, []string{`"drive_path"`, `no share named "no-such-share"`}},
		{"missing folder", map[string]any{"drive_path": s.drivePath + "/missing"}, []string{`"drive_path"`, "does not exist"}},
		{"unreachable", map[string]any{"server_port": closedPort}, []string{`"server_ip" and "server_port"`, "cannot reach", "refused"}},
		{"file as folder", map[string]any{"drive_path": s.drivePath + "/f.txt"}, []string{`"drive_path"`, "is a file"}},
	}
	s.write(t, "f.txt", "x", mtime1)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := s.open(t, c.extra, Factory.Features)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := src.Ping(ctx)
			if err == nil {
				t.Fatal("Ping succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), s.vals["SAMBA_PASSWORD"]) || strings.Contains(err.Error(), "wrong\"") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestCancelDownload: cancelling a download interrupts it and the handle is released.
func TestCancelDownload(t *testing.T) {
	s := newSamba(t)
	s.write(t, "large.txt", strings.Repeat("0123456789", 5<<20), mtime1) // 50 MB
	src := s.open(t, nil, Factory.Features)
	got, err := collect(t, src, connector.DocsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var doc connector.Document
	for _, d := range got.docs {
		doc = d
	}
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := doc.Content.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	if _, err := rc.Read(buf); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := rc.Read(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(5 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) && err != io.EOF {
			t.Errorf("read after cancel: %v", err)
		}
		if err == io.EOF {
			t.Log("the download finished before the cancellation reached it")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled download did not stop")
	}
	t.Logf("stopped %v after the cancellation", time.Since(start))
	rc.Close()
	// The session still works.
	rc2, err := doc.Content.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc2)
	rc2.Close()
	if err != nil || n != 50<<20 {
		t.Errorf("second download: %d bytes, %v", n, err)
	}
	_, err = doc.Content.Open(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v", err)
	}
	_ = strconv.Itoa
}

// TestReconnect: a connection lost in the middle of a folder is replaced, the folder is listed
// again from where it was, and no document is emitted twice or missed.
func TestReconnect(t *testing.T) {
	s := newSamba(t)
	for i := 0; i < 30; i++ {
		s.write(t, fmt.Sprintf("a/f%02d.txt", i), "x", mtime1)
		s.write(t, fmt.Sprintf("b/g%02d.txt", i), "x", mtime1)
	}
	src := s.open(t, nil, Factory.Features)
	src.backoff = time.Millisecond
	n, cuts := 0, 0
	seen := map[string]bool{}
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(d connector.Document) error {
		if seen[d.ID] {
			t.Errorf("%s emitted twice", d.Fields["path"])
		}
		seen[d.ID] = true
		n++
		if n == 10 || n == 45 {
			// Cut the TCP connection under the walk.
			src.mu.Lock()
			c := src.conn
			src.mu.Unlock()
			c.tcp.Close()
			cuts++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 62 || cuts != 2 {
		t.Errorf("%d documents after %d cuts, want 62", n, cuts)
	}
}

// TestLogonErrors: the NT status codes of a refused sign-in name the field and the cause, with
// the original's wording where it has one. Samba's passdb cannot be put in most of these states
// here, so the statuses are made up.
func TestLogonErrors(t *testing.T) {
	s := &Source{username: "alice", host: "fs1", port: 445}
	cases := map[uint32]string{
		statusLogonFailure:       `configuration fields "username" and "password": fs1:445 refused the sign-in of "alice": unknown user or wrong password`,
		statusInvalidWorkstation: `configuration field "server_ip": Client does not have permission to access server: (fs1:445)`,
		statusPasswordMustChange: `configuration field "username": The password for User: alice must be changed before logging on for the first time`,
		statusNoLogonServers:     `configuration field "server_ip": No logon servers available for connecting to server: (fs1:445)`,
		statusAccountDisabled:    `configuration field "username": Account with Username: alice is disabled`,
		statusInvalidLogonHours:  `configuration field "username": User: alice cannot logon outside the specified logon hours`,
		statusPasswordExpired:    `configuration field "password": the password of "alice" has expired on fs1:445`,
		statusAccountLockedOut:   `configuration field "username": the account "alice" is locked out on fs1:445`,
	}
	for code, want := range cases {
		if got := s.logonError(&smb2.ResponseError{Code: code}).Error(); got != want {
			t.Errorf("%#x: %q, want %q", code, got, want)
		}
	}
	if got := s.mountError("docs", &smb2.ResponseError{Code: statusBadNetworkName}).Error(); got != `configuration field "drive_path": fs1:445 has no share named "docs"` {
		t.Errorf("bad network name: %q", got)
	}
	if got := s.mountError("docs", os.ErrPermission).Error(); !strings.Contains(got, `"alice" may not open the share "docs"`) {
		t.Errorf("access denied: %q", got)
	}
}
