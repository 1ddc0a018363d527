// Package csvfile is a connector source that indexes the rows of one CSV file: one document per
// row, identified by a column the user picks, with the row's cells as fields.
//
// It is the worked example of a source written outside the connectors module: it uses only the
// public SDK (package connector) and registers itself from init, so a binary gets it by importing
// this package.
package csvfile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/connectors-go/connectors/connector"
)

// ServiceType is the connector service type of this source.
const ServiceType = "csv_file"

// Delimiter values offered by the delimiter dropdown. Words rather than the characters
// themselves, because a tab cannot be typed into a Kibana text box and a stored "\t" would be
// ambiguous.
const (
	Comma     = "comma"
	Semicolon = "semicolon"
	Tab       = "tab"
	Pipe      = "pipe"
)

var delimiters = map[string]rune{Comma: ',', Semicolon: ';', Tab: '\t', Pipe: '|'}

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "CSV File",
	Features:    connector.Features{BasicRules: true},
	Fields: []connector.Field{
		{
			Key:   "path",
			Label: "CSV file",
			Order: 1,
			Tooltip: "Path of the file on the machine that runs the connectors service. " +
				"Relative paths are resolved from the service's working directory. The first line must name the columns.",
		},
		{
			Key:     "id_column",
			Label:   "ID column",
			Order:   2,
			Value:   "id",
			Tooltip: "Name of the column that identifies a row. Its values must be unique and non-empty; they become the document ids.",
		},
		{
			Key:      "timestamp_column",
			Label:    "Last-modified column",
			Order:    3,
			Optional: true,
			Tooltip: "Name of a column holding when the row last changed, as an ISO 8601 date and time. " +
				"Leave empty to use the file's modification time for every row.",
		},
		{
			Key:         "columns",
			Label:       "Columns to index",
			Order:       4,
			Type:        connector.TypeList,
			Optional:    true,
			Validations: []connector.Validation{connector.ListType("str")},
			Tooltip:     "Comma-separated column names. Leave empty to index every column.",
		},
		{
			Key:     "delimiter",
			Label:   "Delimiter",
			Order:   5,
			Display: connector.DisplayDropdown,
			Value:   Comma,
			Tooltip: "Character that separates the cells of a row.",
			Options: []connector.Option{
				{Label: "Comma (,)", Value: Comma},
				{Label: "Semicolon (;)", Value: Semicolon},
				{Label: "Tab", Value: Tab},
				{Label: "Pipe (|)", Value: Pipe},
			},
			// Kibana only offers the options, but the API and hand-edited documents accept anything.
			Validations:    []connector.Validation{connector.IncludedIn(Comma, Semicolon, Tab, Pipe)},
			UIRestrictions: []string{connector.UIAdvanced},
		},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// New builds a source from a converted configuration. It does not touch the file; ValidateConfig,
// Ping and Docs do.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	delim, ok := delimiters[cfg.String("delimiter")]
	if !ok {
		// Validate has already rejected other values; this guards direct callers.
		return nil, fmt.Errorf("configuration field \"delimiter\": %q is not one of comma, semicolon, tab, pipe", cfg.String("delimiter"))
	}
	return &Source{
		path:      cfg.String("path"),
		idColumn:  cfg.String("id_column"),
		tsColumn:  cfg.String("timestamp_column"),
		columns:   cfg.List("columns"),
		delimiter: delim,
		env:       env,
	}, nil
}

// Source reads one CSV file.
type Source struct {
	path      string
	idColumn  string
	tsColumn  string
	columns   []string
	delimiter rune
	env       connector.Env
}

var _ connector.ConfigValidator = (*Source)(nil)

// ValidateConfig checks what field validation cannot: that the file can be read and that the
// configured columns exist in its header. Every error names the field to fix.
func (s *Source) ValidateConfig(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, r, err := s.open()
	if err != nil {
		return err
	}
	defer f.Close()
	header, err := s.readHeader(r)
	if err != nil {
		return err
	}
	_, err = s.plan(header)
	return err
}

// Ping checks that the file exists and can be opened. A missing file must fail here: a sync that
// found no rows would delete every document indexed before.
func (s *Source) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, _, err := s.open()
	if err != nil {
		return err
	}
	return f.Close()
}

// Docs emits one document per row, reading the file as it goes so memory does not grow with the
// file (apart from the set of ids seen, needed to report duplicates).
func (s *Source) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, r, err := s.open()
	if err != nil {
		return err
	}
	defer f.Close()
	header, err := s.readHeader(r)
	if err != nil {
		return err
	}
	p, err := s.plan(header)
	if err != nil {
		return err
	}
	fileTime := ""
	if st, err := f.Stat(); err == nil {
		fileTime = connector.FormatTime(st.ModTime())
	}
	seen := map[string]int{} // id -> line, to name both rows of a duplicate
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", s.path, err)
		}
		line, _ := r.FieldPos(0)
		doc, err := s.document(p, rec, line, fileTime)
		if err != nil {
			return err
		}
		if first, dup := seen[doc.ID]; dup {
			return fmt.Errorf("%s line %d: id %q in column %q was already used on line %d; the ID column must hold unique values",
				s.path, line, doc.ID, s.idColumn, first)
		}
		seen[doc.ID] = line
		if err := emit(doc); err != nil {
			return connector.DocError(doc.ID, err)
		}
	}
}

// Close has nothing to release: Docs closes the file it opened before returning.
func (s *Source) Close() error { return nil }

// open opens the file and wraps it in a CSV reader configured for it.
func (s *Source) open() (*os.File, *csv.Reader, error) {
	if s.path == "" {
		return nil, nil, errors.New("configuration field \"path\": no file given")
	}
	st, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("configuration field \"path\": %q does not exist on the machine running the connectors service", s.path)
	case err != nil:
		return nil, nil, fmt.Errorf("configuration field \"path\": %w", err)
	case !st.Mode().IsRegular():
		return nil, nil, fmt.Errorf("configuration field \"path\": %q is not a regular file", s.path)
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration field \"path\": %w", err)
	}
	r := csv.NewReader(f)
	r.Comma = s.delimiter
	r.ReuseRecord = true
	return f, r, nil
}

// readHeader reads the column names from the first line.
func (s *Source) readHeader(r *csv.Reader) ([]string, error) {
	rec, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("configuration field \"path\": %s is empty; its first line must name the columns", s.path)
	}
	if err != nil {
		return nil, fmt.Errorf("configuration field \"path\": reading the header of %s: %w", s.path, err)
	}
	header := make([]string, len(rec))
	copy(header, rec)
	// Spreadsheet programs often start UTF-8 files with a byte order mark, which would otherwise
	// become part of the first column's name.
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	seen := map[string]bool{}
	for i, name := range header {
		if name == "" {
			return nil, fmt.Errorf("configuration field \"path\": column %d of the header of %s has no name", i+1, s.path)
		}
		if seen[name] {
			return nil, fmt.Errorf("configuration field \"path\": the header of %s names column %q twice", s.path, name)
		}
		seen[name] = true
	}
	return header, nil
}

// plan is where each wanted value sits in a row.
type plan struct {
	id, ts int // column indices; ts is -1 without a timestamp column
	fields []field
}

type field struct {
	name string
	idx  int
}

// plan maps the configuration onto the header, rejecting columns that do not exist and columns
// whose names would overwrite the fields the service writes itself.
func (s *Source) plan(header []string) (plan, error) {
	index := make(map[string]int, len(header))
	for i, name := range header {
		index[name] = i
	}
	missing := func(key, col string) error {
		return fmt.Errorf("configuration field %q: %s has no column %q (columns: %s)", key, s.path, col, strings.Join(header, ", "))
	}
	p := plan{ts: -1}
	var ok bool
	if p.id, ok = index[s.idColumn]; !ok {
		return plan{}, missing("id_column", s.idColumn)
	}
	if s.tsColumn != "" {
		if p.ts, ok = index[s.tsColumn]; !ok {
			return plan{}, missing("timestamp_column", s.tsColumn)
		}
	}
	wanted := header
	if len(s.columns) > 0 {
		wanted = s.columns
	}
	reserved := connector.ReservedKeys()
	for _, name := range wanted {
		i, ok := index[name]
		if !ok {
			return plan{}, missing("columns", name)
		}
		if contains(reserved, name) {
			// The id and timestamp columns already land in id and _timestamp.
			if i == p.id || i == p.ts {
				continue
			}
			return plan{}, fmt.Errorf("configuration field \"columns\": column %q of %s would overwrite the document's own %q field; "+
				"list the columns to index without it", name, s.path, name)
		}
		p.fields = append(p.fields, field{name: name, idx: i})
	}
	return p, nil
}

// document builds the document of one row. line is the row's line number in the file.
func (s *Source) document(p plan, rec []string, line int, fileTime string) (connector.Document, error) {
	id := rec[p.id]
	if id == "" {
		return connector.Document{}, fmt.Errorf("%s line %d: column %q (the ID column) is empty", s.path, line, s.idColumn)
	}
	ts := fileTime
	if p.ts >= 0 && rec[p.ts] != "" {
		t, err := connector.ParseTime(rec[p.ts])
		if err != nil {
			return connector.Document{}, fmt.Errorf("%s line %d: column %q (the last-modified column): %w", s.path, line, s.tsColumn, err)
		}
		ts = connector.FormatTime(t)
	}
	fields := make(map[string]any, len(p.fields))
	for _, f := range p.fields {
		fields[f.name] = rec[f.idx]
	}
	return connector.Document{ID: id, Timestamp: ts, Fields: fields}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
