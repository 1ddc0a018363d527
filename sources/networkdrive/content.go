package networkdrive

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2"
)

// content is the lazy download of a file. The service opens it only when the file's content is
// to be extracted and its size is within the cap; the number of downloads running at once is
// the service's concurrent_downloads setting, as in the original, all over the source's one SMB
// session.
func (s *Source) content(share, path, name string, size int64) *connector.Content {
	return &connector.Content{
		Name: name,
		Size: size,
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			c, err := s.connection(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.shareOf(ctx, c, share)
			if err != nil {
				return nil, s.downloadError(ctx, c, path, err)
			}
			f, err := sh.WithContext(ctx).Open(path)
			if err != nil {
				return nil, s.downloadError(ctx, c, path, err)
			}
			return &smbReader{ctx: ctx, f: f, s: s, c: c, path: path}, nil
		},
	}
}

func (s *Source) downloadError(ctx context.Context, c *smbConn, path string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.dropIfBroken(c, err)
	return fmt.Errorf("downloading %q from %s: %w", path, s.addr(), err)
}

// smbReader reads a file opened for one download. Reads are requests on the download's context,
// so cancelling it interrupts a read in flight; Close releases the handle even then.
type smbReader struct {
	ctx  context.Context
	f    *smb2.File
	s    *Source
	c    *smbConn
	path string
}

func (r *smbReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF {
		if r.ctx.Err() != nil {
			return n, r.ctx.Err()
		}
		var ce *smb2.ContextError
		if errors.As(err, &ce) {
			return n, ce.Err
		}
		r.s.dropIfBroken(r.c, err)
		return n, fmt.Errorf("reading %q from %s: %w", r.path, r.s.addr(), err)
	}
	return n, err
}

func (r *smbReader) Close() error {
	closeFile(r.f)
	return nil
}
