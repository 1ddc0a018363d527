package github

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
)

// indexedExtensions are the files the original indexes: Markdown and reStructuredText.
var indexedExtensions = []string{".markdown", ".md", ".rst"}

// extension is the original's: from the last dot of the file name (".md" for a file named
// ".md"), "" without a dot.
func extension(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

func indexed(name string) bool {
	return contains(indexedExtensions, strings.ToLower(extension(name)))
}

// fileEntry is a file the listing found: a tree entry or a contents entry.
type fileEntry struct {
	path, mode, typ string
	size            int64
	blobURL         string
}

// treeFiles emits the Markdown files of a branch, from its recursive tree.
func (s *Source) treeFiles(ctx context.Context, req connector.DocsRequest, repoName, branch string,
	withACL func(connector.Document) connector.Document, emit func(connector.Document) error) error {
	var tree struct {
		Tree []struct {
			Path string `json:"path"`
			Mode string `json:"mode"`
			Type string `json:"type"`
			Size int64  `json:"size"`
			URL  string `json:"url"`
		} `json:"tree"`
		Truncated bool `json:"truncated"`
	}
	u := fmt.Sprintf("%s/repos/%s/git/trees/%s?recursive=1", s.rest, repoName, url.PathEscape(branch))
	if err := s.client.GetJSON(ctx, u, &tree); err != nil {
		if isStop(ctx, err) {
			return s.explain(err)
		}
		req.ReportIncomplete(fmt.Sprintf("GitHub files of %s (branch %s)", repoName, branch), s.explain(err))
		return nil
	}
	if tree.Truncated {
		s.log.Warn("GitHub truncated the file tree; files past the limit are not indexed", "repository", repoName, "branch", branch)
	}
	var files []fileEntry
	for _, e := range tree.Tree {
		if e.Type == "blob" && indexed(e.Path[strings.LastIndexByte(e.Path, '/')+1:]) {
			files = append(files, fileEntry{path: e.Path, mode: e.Mode, typ: e.Type, size: e.Size, blobURL: e.URL})
		}
	}
	return s.fileDocs(ctx, req, repoName, files, withACL, emit)
}

// pathFiles emits the Markdown files in a folder (an advanced rule's path), from the contents
// API. A path naming one file gives that file (the original fails on it).
func (s *Source) pathFiles(ctx context.Context, req connector.DocsRequest, repoName, path string, emit func(connector.Document) error) error {
	u := fmt.Sprintf("%s/repos/%s/contents/%s", s.rest, repoName, escapePath(strings.Trim(path, "/")))
	var raw any
	if err := s.client.GetJSON(ctx, u, &raw); err != nil {
		if isStop(ctx, err) {
			return s.explain(err)
		}
		req.ReportIncomplete(fmt.Sprintf("GitHub path %s of %s", path, repoName), s.explain(err))
		return nil
	}
	items, ok := raw.([]any)
	if !ok {
		items = []any{raw}
	}
	var files []fileEntry
	for _, it := range items {
		if str(it, "type") != "file" || !indexed(str(it, "name")) {
			continue
		}
		size, _ := strconv.ParseInt(fmt.Sprint(get(it, "size")), 10, 64)
		files = append(files, fileEntry{path: str(it, "path"), typ: "file", size: size, blobURL: str(it, "git_url")})
	}
	return s.fileDocs(ctx, req, repoName, files, func(d connector.Document) connector.Document { return d }, emit)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, x := range parts {
		parts[i] = url.PathEscape(x)
	}
	return strings.Join(parts, "/")
}

// fileDocs emits file documents; each needs the date of the last commit touching the file,
// which is read for several files at once.
func (s *Source) fileDocs(ctx context.Context, req connector.DocsRequest, repoName string, files []fileEntry,
	withACL func(connector.Document) connector.Document, emit func(connector.Document) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan fileEntry)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) { once.Do(func() { firstErr = err; cancel(err) }) }
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				doc, err := s.fileDoc(ctx, repoName, f)
				if err != nil {
					if isStop(ctx, err) {
						fail(err)
						return
					}
					req.ReportIncomplete(fmt.Sprintf("GitHub file %s of %s", f.path, repoName), err)
					continue
				}
				if doc.ID == "" {
					continue
				}
				doc = withACL(doc)
				if err := emit(doc); err != nil {
					fail(connector.DocError(doc.ID, err))
					return
				}
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

// fileDoc is a file's document: its name, size, type, path, mode (tree entries only) and
// extension, stamped with the last commit's committer date, with the blob as lazy content.
func (s *Source) fileDoc(ctx context.Context, repoName string, f fileEntry) (connector.Document, error) {
	var commits []map[string]any
	u := fmt.Sprintf("%s/repos/%s/commits?path=%s", s.rest, repoName, url.QueryEscape(f.path))
	if err := s.client.GetJSON(ctx, u, &commits); err != nil {
		return connector.Document{}, fmt.Errorf("reading the last commit: %w", s.explain(err))
	}
	if len(commits) == 0 {
		s.log.Warn("no commit touches the file; it is left out", "repository", repoName, "path", f.path)
		return connector.Document{}, nil
	}
	name := f.path[strings.LastIndexByte(f.path, '/')+1:]
	fields := map[string]any{"name": name, "size": f.size, "type": f.typ, "path": f.path, "extension": extension(name)}
	if f.typ == "blob" {
		fields["mode"] = f.mode
	}
	doc := connector.Document{ID: repoName + "/" + f.path, Timestamp: str(commits[0], "commit", "committer", "date"), Fields: fields}
	if f.size > 0 && extract.Supported(name) && f.blobURL != "" {
		blob := f.blobURL
		doc.Content = &connector.Content{Name: name, Size: f.size, Open: func(ctx context.Context) (io.ReadCloser, error) {
			var b struct {
				Content string `json:"content"`
			}
			if err := s.client.GetJSON(ctx, blob, &b); err != nil {
				return nil, s.explain(err)
			}
			data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b.Content, "\n", ""))
			if err != nil {
				return nil, fmt.Errorf("decoding the blob of %s/%s: %w", repoName, f.path, err)
			}
			return io.NopCloser(strings.NewReader(string(data))), nil
		}}
	}
	return doc, nil
}
