package extract

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is. Every one of them means "index the document without a body":
// the caller must never drop a document because its content could not be extracted.
var (
	// ErrUnsupported: the extension is not in the supported list, or this extractor cannot read the format
	// (for example a legacy binary .doc in local mode).
	ErrUnsupported = errors.New("unsupported format")
	// ErrTooLarge: the content is larger than the configured limit. Detected from the declared size before
	// download when known, and always while reading: no extractor reads past its limit.
	ErrTooLarge = errors.New("content too large")
	// ErrMalformed: the content could not be parsed as the format its extension claims.
	ErrMalformed = errors.New("malformed content")
	// ErrEncrypted: the document is password protected.
	ErrEncrypted = errors.New("document is encrypted")
)

// errParserPanic marks a panic recovered from a parser, so tests can tell our own parsers' bugs from
// ordinary malformed input.
var errParserPanic = errors.New("parser failed")

// Error describes a failure to extract one file. It names the file, so a caller can log it as is.
type Error struct {
	Filename string
	Format   string // extension, e.g. ".pdf"; "" when unknown
	Err      error  // wraps one of the sentinel errors, a context error, or a transport error
}

func (e *Error) Error() string {
	return fmt.Sprintf("extracting %q: %v", e.Filename, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func fileError(filename string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	return &Error{Filename: filename, Format: Extension(filename), Err: err}
}

// malformed wraps a parser's complaint so that errors.Is(err, ErrMalformed) holds and the cause stays visible.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// tooLarge says which limit was hit and which setting raises it.
func tooLarge(limit int64, setting string) error {
	return fmt.Errorf("%w: more than %d bytes (raise %s to allow it)", ErrTooLarge, limit, setting)
}
