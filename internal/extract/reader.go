package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// capReader hands out at most max bytes of r. Asked for more, it checks with a one-byte read whether the
// source really has more and, if so, fails with ErrTooLarge instead of silently truncating the file.
type capReader struct {
	r       io.Reader
	left    int64
	max     int64
	setting string // the configuration key that raises the limit, for the error message
}

func newCapReader(r io.Reader, max int64, setting string) *capReader {
	return &capReader{r: r, left: max, max: max, setting: setting}
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		for {
			n, err := c.r.Read(one[:])
			if n > 0 {
				return 0, tooLarge(c.max, c.setting)
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// ctxReader stops reading once ctx is done, so a slow download or a long parse of streamed input ends
// promptly when the job is cancelled or the per-file timeout fires.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	// deadline, when set, ends the reading with timedOut: the per-file timeout of streamed formats.
	deadline time.Time
	timedOut error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if !c.deadline.IsZero() && time.Now().After(c.deadline) {
		return 0, c.timedOut
	}
	return c.r.Read(p)
}

// maxPrealloc bounds how much memory a declared size may reserve up front; a source can declare anything,
// and the bytes actually read are what the limits are enforced on.
const maxPrealloc = 64 << 20

// readAll reads r (already capped) into memory, sized from the declared size when there is one.
func readAll(r io.Reader, size, max int64) ([]byte, error) {
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(min(size, max, maxPrealloc)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// isCtxErr reports whether err comes from a cancelled or expired context.
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// errSource marks an error of the caller's reader, which is returned as is rather than blamed on the
// content.
var errSource = errors.New("reading the content")

// sourceErrReader records the first error of the caller's reader. Parsers wrap what they read in their own
// errors; this lets Extract report a failed download as such.
type sourceErrReader struct {
	r   io.Reader
	err error
}

func (s *sourceErrReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		if s.err == nil {
			s.err = err
		}
		return n, fmt.Errorf("%w: %w", errSource, err)
	}
	return n, err
}
