//go:build !unix

package dir

import (
	"context"
	"io"
	"os"
)

// openFile opens a file for content extraction.
func openFile(ctx context.Context, path string, _ int64) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &ctxReader{ctx: ctx, f: f}, nil
}

// ctxReader stops a read of a large file once the download is cancelled.
type ctxReader struct {
	ctx context.Context
	f   *os.File
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}

func (r *ctxReader) Close() error { return r.f.Close() }
