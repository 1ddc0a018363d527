package extract

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// Document fields an extractor fills.
const (
	FieldBody       = "body"        // extracted text
	FieldAttachment = "_attachment" // base64 content for the ingest pipeline's attachment processor
)

// Mode names a way of extracting content.
type Mode string

const (
	// ModeAuto chooses per job like the original service: a job whose connector configuration has a truthy
	// use_text_extraction_service gets ModeService when extraction_service.host is set and ModeLocal
	// otherwise; every other job gets ModeAttachment.
	ModeAuto Mode = "auto"
	// ModeAttachment base64-encodes the file into _attachment for the ingest pipeline.
	ModeAttachment Mode = "attachment"
	// ModeService sends the file to the Data Extraction Service and sets body.
	ModeService Mode = "service"
	// ModeLocal extracts the text in this process and sets body.
	ModeLocal Mode = "local"
)

// ParseMode reads a mode from configuration; "" means ModeAuto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return ModeAuto, nil
	case ModeAuto, ModeAttachment, ModeService, ModeLocal:
		return m, nil
	}
	return "", fmt.Errorf("unknown extraction mode %q (use auto, attachment, service or local)", s)
}

// Content is what an extractor produced for one file: one field to merge into the document.
type Content struct {
	// Field is FieldBody or FieldAttachment.
	Field string
	// Value is the text or the base64 content. It may be "" (an empty file, or a service that failed,
	// which the original also indexes as an empty body).
	Value string
	// Truncated is set when the text was cut at the output limit.
	Truncated bool
	// Warning explains a failure that was not fatal for the document, in the original's spirit: the
	// Data Extraction Service failed and the body is empty. The caller logs it with the document's id.
	Warning string
}

// Fields returns the content as a document fragment to merge, like the mapping a lazy download returns.
func (c Content) Fields() map[string]any {
	return map[string]any{c.Field: c.Value}
}

// Extractor turns a file's bytes into a document field.
//
// The sync engine's use for one file is:
//
//	if err := ex.Check(name, size); err != nil { /* index the document without content; say why at debug level */ }
//	c, err := ex.Extract(ctx, name, body, size)
//	if err != nil { /* log a warning naming the document; index it without content */ }
//	if c.Warning != "" { /* log it */ }
//	merge c.Fields() into the document
//
// Errors wrap ErrUnsupported, ErrTooLarge, ErrMalformed or ErrEncrypted for content problems, a context
// error on cancellation, or the error returned by r. Implementations are safe for concurrent use.
type Extractor interface {
	// Mode says which way of extracting this is.
	Mode() Mode
	// Check decides before any download whether a file of this name and declared size (-1 if unknown)
	// is worth downloading.
	Check(filename string, size int64) error
	// Extract reads r, at most to its limit, and returns the field to merge.
	Extract(ctx context.Context, filename string, r io.Reader, size int64) (Content, error)
}

// Attachment is the original default: the file goes base64-encoded into _attachment and Elasticsearch's
// attachment processor extracts it in the ingest pipeline.
type Attachment struct {
	maxFileSize int64
}

// NewAttachment returns the attachment extractor. maxFileSize is service.max_file_download_size in bytes:
// 0 means the default, negative no limit.
func NewAttachment(maxFileSize int64) *Attachment {
	if maxFileSize == 0 {
		maxFileSize = DefaultMaxFileSize
	}
	return &Attachment{maxFileSize: maxFileSize}
}

// Mode implements Extractor.
func (a *Attachment) Mode() Mode { return ModeAttachment }

// Check implements Extractor: supported extension and a known size within the limit.
func (a *Attachment) Check(filename string, size int64) error {
	if !Supported(filename) {
		return fileError(filename, fmt.Errorf("%w: extension %q is not in the supported list", ErrUnsupported, Extension(filename)))
	}
	if a.maxFileSize >= 0 && size > a.maxFileSize {
		return fileError(filename, tooLarge(a.maxFileSize, "service.max_file_download_size"))
	}
	return nil
}

// Extract implements Extractor. The content is encoded as it streams in, so the raw bytes are never held
// whole: memory is the base64 text, 4/3 of the file.
func (a *Attachment) Extract(ctx context.Context, filename string, r io.Reader, size int64) (Content, error) {
	if a.maxFileSize >= 0 && size > a.maxFileSize {
		return Content{}, fileError(filename, tooLarge(a.maxFileSize, "service.max_file_download_size"))
	}
	if a.maxFileSize >= 0 {
		r = newCapReader(r, a.maxFileSize, "service.max_file_download_size")
	}
	var out strings.Builder
	if size > 0 {
		n := size
		if a.maxFileSize >= 0 {
			n = min(n, a.maxFileSize)
		}
		n = min(n, maxPrealloc)
		out.Grow(base64.StdEncoding.EncodedLen(int(n)))
	}
	enc := base64.NewEncoder(base64.StdEncoding, &out)
	if _, err := io.Copy(enc, &ctxReader{ctx: ctx, r: r}); err != nil {
		return Content{}, fileError(filename, err)
	}
	if err := enc.Close(); err != nil {
		return Content{}, fileError(filename, err)
	}
	return Content{Field: FieldAttachment, Value: out.String()}, nil
}
