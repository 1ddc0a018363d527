package networkdrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

// checkpointEvery is how many listing entries the walk handles between two checkpoints.
var checkpointEvery = 250

// Docs emits one document per file and folder under drive_path, or, with advanced rules, per
// file and folder matching them.
//
// The walk goes folder by folder: a folder's entries are read from the server a batch at a time
// (a few hundred per request) and emitted as they come, and only the names of its subfolders
// are kept, which are then walked in name order. A folder that cannot be listed is reported
// with ReportIncomplete and the walk goes on, so the service deletes nothing in that job.
//
// Checkpoints ({"folder": "a/b", "skip": n}, plus "rule" with advanced rules) say that every
// folder before a/b in the walk's order is done and that the first n entries of a/b, in the
// server's listing order, are; a resumed job skips those.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var rules []string
	if req.HasAdvancedRules() {
		var err error
		if rules, err = parseRules(req.AdvancedRules); err != nil {
			return fmt.Errorf("advanced sync rules: %w", err)
		}
	}
	if _, err := s.connection(ctx); err != nil {
		return err
	}
	w := &walker{s: s, ctx: ctx, req: req, emit: emit}
	if req.Checkpoint != nil {
		p, err := parsePosition(req.Checkpoint)
		if err != nil {
			return fmt.Errorf("resuming from checkpoint %v: %w", req.Checkpoint, err)
		}
		w.resume = p
		s.log.Info("Resuming the walk after a checkpoint", "rule", p.rule, "folder", strings.Join(p.folder, "/"), "skip", p.skip)
	}
	if s.dls {
		groups, err := s.localGroups(ctx)
		if err != nil {
			return err
		}
		w.groups = groups
	}
	if rules == nil {
		share, dir := splitDrivePath(s.drivePath)
		root := &walkRoot{
			docPath:    `\\` + s.host + "/" + s.drivePath,
			share:      share,
			dir:        dir,
			configured: true,
		}
		if err := w.folder(root, nil, nil); err != nil {
			return err
		}
		return ctx.Err()
	}
	w.rules = true
	return w.walkRules(rules)
}

// walkRules walks each rule's base folder in turn. An entry is emitted for the first rule it
// matches: a later rule skips what an earlier one matched, as in the original.
func (w *walker) walkRules(patterns []string) error {
	globs := make([]glob, len(patterns))
	for i, p := range patterns {
		globs[i] = compileGlob(p)
	}
	for i, pattern := range patterns {
		if w.resume != nil && i < w.resume.rule {
			continue
		}
		if w.resume != nil && i > w.resume.rule {
			w.resume = nil // the checkpoint's folder is gone; it was in an earlier rule's tree
		}
		w.rule = i
		g, earlier := globs[i], globs[:i]
		docPath, base := ruleBase(w.s.host, pattern)
		share, dir := splitDrivePath(base)
		if share == "" {
			w.req.ReportIncomplete(fmt.Sprintf("advanced rule %q", pattern),
				errors.New("the pattern must start with the name of a share on the server"))
			continue
		}
		root := &walkRoot{
			docPath:     docPath,
			share:       share,
			dir:         dir,
			matchPrefix: strings.Join(splitPath(base), "/"),
			match: func(path string) bool {
				if !g.match(path) {
					return false
				}
				for _, e := range earlier {
					if e.match(path) {
						return false
					}
				}
				return true
			},
			descend: g.canContain,
		}
		if err := w.folder(root, nil, nil); err != nil {
			return err
		}
	}
	return w.ctx.Err()
}

// walkRoot is where one walk starts: the whole configured folder, or an advanced rule's base.
type walkRoot struct {
	// docPath is the original's path string of the root folder: `\\<server_ip>/<drive_path>`
	// or, for a rule, `\\<server_ip>/<the rule's fixed folders>/`. Entries append `\<name>`.
	docPath string
	// share and dir locate the folder on the server: the share name and the folder inside it
	// ('\'-separated, "" for the share's root).
	share, dir string
	// matchPrefix is the rule path of the root ("share/a/b"), which entries extend with
	// "/<name>" before they are matched; only for rules.
	matchPrefix string
	// match reports whether a rule path is to be indexed; nil indexes everything.
	match func(path string) bool
	// descend reports whether a folder's subtree can hold matches; nil descends everywhere.
	descend func(path string) bool
	// configured marks the root of drive_path, whose failure fails the sync; a rule's base
	// that cannot be read is reported as incomplete instead.
	configured bool
}

// position is where a checkpoint says the walk was.
type position struct {
	rule   int
	folder []string
	skip   int
}

func parsePosition(cp map[string]any) (*position, error) {
	p := &position{}
	num := func(key string) (int, error) {
		switch v := cp[key].(type) {
		case nil:
			return 0, nil
		case float64:
			return int(v), nil
		case int:
			return v, nil
		case int64:
			return int(v), nil
		case json.Number:
			n, err := v.Int64()
			return int(n), err
		}
		return 0, fmt.Errorf("%q is %T, not a number", key, cp[key])
	}
	var err error
	if p.rule, err = num("rule"); err != nil {
		return nil, err
	}
	if p.skip, err = num("skip"); err != nil {
		return nil, err
	}
	folder, ok := cp["folder"].(string)
	if !ok {
		return nil, errors.New(`"folder" is missing`)
	}
	if folder != "" {
		p.folder = strings.Split(folder, "/")
	}
	return p, nil
}

// walker is one Docs call's walk.
type walker struct {
	s      *Source
	ctx    context.Context
	req    connector.DocsRequest
	emit   func(connector.Document) error
	resume *position
	rule   int
	// groups expands Windows local-group SIDs to their members' SIDs (DLS).
	groups map[string][]string
	// handled counts entries since the last checkpoint.
	handled int
	// rules is set when advanced rules drive the walk; checkpoints then carry the rule.
	rules bool
}

// folder lists one folder, emits its entries and then walks its subfolders in name order.
// ancestors holds the file ids of the folders above, to stop at a folder that contains itself
// through a link.
func (w *walker) folder(root *walkRoot, segs []string, ancestors []uint64) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	// Where this folder stands relative to a checkpoint being resumed.
	skip, emitEntries := 0, true
	if r := w.resume; r != nil {
		switch {
		case len(segs) < len(r.folder) && isPrefix(segs, r.folder):
			emitEntries = false // an ancestor: its entries came before the checkpoint
		case equalSegs(segs, r.folder):
			skip = r.skip
			w.resume = nil
		}
	}
	docDir := root.docPath
	for _, seg := range segs {
		docDir += `\` + seg
	}
	type sub struct {
		name string
		id   uint64
	}
	var subs []sub
	err := w.list(root, segs, func(i int, e *smb2.DirEntry) error {
		if e.IsDir() {
			subs = append(subs, sub{e.Name, e.FileID})
		}
		if !emitEntries || i < skip {
			return nil
		}
		if err := w.entry(root, segs, docDir, e); err != nil {
			return err
		}
		w.handled++
		if w.handled >= checkpointEvery {
			w.handled = 0
			w.checkpoint(segs, i+1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	for _, c := range subs {
		child := append(segs[:len(segs):len(segs)], c.name)
		if r := w.resume; r != nil && len(segs) < len(r.folder) && isPrefix(segs, r.folder) && c.name < r.folder[len(segs)] {
			continue // walked before the checkpoint
		}
		if containsID(ancestors, c.id) {
			w.s.log.Warn("Not descending into a folder that contains itself through a link", "path", docDir+`\`+c.name)
			continue
		}
		if root.descend != nil && !root.descend(root.matchPrefix+"/"+strings.Join(child, "/")) {
			continue
		}
		if err := w.folder(root, child, append(ancestors[:len(ancestors):len(ancestors)], c.id)); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) checkpoint(segs []string, skip int) {
	cp := map[string]any{"folder": strings.Join(segs, "/"), "skip": skip}
	if w.rules {
		cp["rule"] = w.rule
	}
	w.req.SaveCheckpoint(cp)
}

func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalSegs(a, b []string) bool { return len(a) == len(b) && isPrefix(a, b) }

func containsID(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id && id != 0 {
			return true
		}
	}
	return false
}

// smbPath is the path of segs below root inside the share.
func smbPath(root *walkRoot, segs []string) string {
	parts := make([]string, 0, len(segs)+1)
	if root.dir != "" {
		parts = append(parts, root.dir)
	}
	parts = append(parts, segs...)
	return strings.Join(parts, `\`)
}

// list reads one folder's listing and calls fn for each entry with its index in the listing.
// A lost connection is retried on a new one (up to the source's retries, with exponential
// backoff), skipping the entries already handled. A folder the server refuses to list is
// reported as incomplete and yields no entries; one that vanished yields none either.
func (w *walker) list(root *walkRoot, segs []string, fn func(int, *smb2.DirEntry) error) error {
	path := smbPath(root, segs)
	display := displayPath(root, segs)
	done := 0
	for attempt := 0; ; attempt++ {
		err := w.listOnce(root.share, path, done, func(i int, e *smb2.DirEntry) error {
			if err := fn(i, e); err != nil {
				return err
			}
			done = i + 1
			return nil
		})
		if err == nil {
			return nil
		}
		if ce := (*callbackError)(nil); errors.As(err, &ce) {
			return ce.err
		}
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		if !isConnectionError(err) {
			if len(segs) == 0 && root.configured {
				// The configured folder is the configuration's business: fail the sync.
				return w.s.pathError(w.ctx, "drive_path", path, err)
			}
			if errors.Is(err, os.ErrNotExist) && len(segs) == 0 {
				w.req.ReportIncomplete(display, errors.New("the folder of this advanced rule does not exist"))
				return nil
			}
			if errors.Is(err, os.ErrNotExist) {
				w.s.log.Info("Folder vanished during the walk", "path", display)
				return nil
			}
			w.req.ReportIncomplete(display, listingCause(err))
			w.s.log.Warn("Cannot list a folder; nothing will be deleted in this sync", "path", display, "error", err)
			return nil
		}
		if attempt >= w.s.retries {
			return fmt.Errorf("listing %s: the connection to %s failed %d times: %w", display, w.s.addr(), attempt+1, err)
		}
		wait := w.s.backoff << attempt
		w.s.log.Warn("Connection to the SMB server lost; reconnecting", "path", display, "error", err, "retry_in", wait)
		select {
		case <-w.ctx.Done():
			return w.ctx.Err()
		case <-time.After(wait):
		}
	}
}

// callbackError carries an error of the entry callback (emit failed, job cancelled) through the
// listing unchanged.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

func listingCause(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return errors.New("access denied")
	}
	return err
}

// displayPath names a folder in job errors and logs: the original's path string.
func displayPath(root *walkRoot, segs []string) string {
	p := root.docPath
	for _, s := range segs {
		p += `\` + s
	}
	return p
}

// listOnce opens a folder on the current connection and streams its entries, skipping the
// first skip.
func (w *walker) listOnce(shareName, path string, skip int, fn func(int, *smb2.DirEntry) error) error {
	c, err := w.s.connection(w.ctx)
	if err != nil {
		return err
	}
	share, err := w.s.shareOf(w.ctx, c, shareName)
	if err != nil {
		return err
	}
	f, err := share.WithContext(w.ctx).Open(dirOrRoot(path))
	if err != nil {
		w.s.dropIfBroken(c, err)
		return err
	}
	defer closeFile(f)
	i := 0
	for {
		batch, err := f.ReadDirEntries()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			w.s.dropIfBroken(c, err)
			return err
		}
		for k := range batch {
			if i >= skip {
				if err := fn(i, &batch[k]); err != nil {
					return &callbackError{err}
				}
			}
			i++
		}
	}
}

// dropIfBroken forgets the connection c when err says it is unusable.
func (s *Source) dropIfBroken(c *smbConn, err error) {
	if isConnectionError(err) {
		s.reconnect(c)
	}
}

// isConnectionError reports whether err is a failure of the connection rather than the
// server's answer about a path.
func isConnectionError(err error) bool {
	if err == nil || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrExist) {
		return false
	}
	if code, ok := smb2.NtStatusOf(err); ok {
		return code == statusNetworkSessionExpired || code == statusUserSessionDeleted
	}
	var ce *smb2.ContextError
	if errors.As(err, &ce) {
		return false
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		var re *smb2.ResponseError
		if errors.As(pe.Err, &re) {
			return false
		}
	}
	return true
}

// shareOf returns the mounted share of name on connection c: the configured one, or another
// share of the server that an advanced rule names.
func (s *Source) shareOf(ctx context.Context, c *smbConn, name string) (*smb2.Share, error) {
	configured, _ := splitDrivePath(s.drivePath)
	if strings.EqualFold(name, configured) {
		return c.share, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.others == nil {
		c.others = map[string]*smb2.Share{}
	}
	if sh, ok := c.others[strings.ToLower(name)]; ok {
		return sh, nil
	}
	sh, err := c.session.WithContext(ctx).Mount(name)
	if err != nil {
		return nil, err
	}
	c.others[strings.ToLower(name)] = sh
	return sh, nil
}

// entry emits the document of one listing entry.
func (w *walker) entry(root *walkRoot, segs []string, docDir string, e *smb2.DirEntry) error {
	if root.match != nil {
		rel := root.matchPrefix + "/" + strings.Join(append(segs[:len(segs):len(segs)], e.Name), "/")
		if !root.match(rel) {
			return nil
		}
	}
	doc := w.s.document(docDir, root.share, smbPath(root, append(segs[:len(segs):len(segs)], e.Name)), e)
	if w.s.dls {
		acl, err := w.s.allowed(w.ctx, root.share, smbPath(root, append(segs[:len(segs):len(segs)], e.Name)), w.groups)
		if err != nil {
			if w.ctx.Err() != nil {
				return w.ctx.Err()
			}
			if errors.Is(err, os.ErrNotExist) {
				return nil // deleted since the listing
			}
			// Without an _allow_access_control the document would be visible to everyone
			// (the original indexes an empty list, which Elasticsearch treats the same): it
			// is indexed for nobody until its permissions can be read.
			w.s.log.Warn("Cannot read the permissions of a file or folder; it is indexed as visible to no one",
				"path", doc.Fields["path"], "error", listingCause(err))
			acl = []string{nobody}
		}
		doc.AllowAccessControl = acl
	}
	if err := w.emit(doc); err != nil {
		return connector.DocError(doc.ID, err)
	}
	return nil
}

// document builds the original's document of an entry: _id is the server's file id, and the
// times are rendered as the original renders them (see pyISO).
func (s *Source) document(docDir, share, path string, e *smb2.DirEntry) connector.Document {
	typ := "file"
	if e.IsDir() {
		typ = "folder"
	}
	docPath := docDir + `\` + e.Name
	doc := connector.Document{
		ID:        strconv.FormatUint(e.FileID, 10),
		Timestamp: pyISO(e.ChangeTime),
		Fields: map[string]any{
			"path":       docPath,
			"size":       e.EndOfFile,
			"created_at": pyISO(e.CreationTime),
			"type":       typ,
			"title":      e.Name,
		},
	}
	if typ == "file" && extract.Supported(e.Name) {
		doc.Content = s.content(share, path, e.Name, e.EndOfFile)
	}
	return doc
}
