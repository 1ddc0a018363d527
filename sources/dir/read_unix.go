//go:build unix

package dir

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"
)

// openFile opens a file for content extraction. A sync reads thousands of small files a second,
// so this reads the descriptor directly: no *os.File set-up (which costs a system call of its
// own), and no read only to learn of the end of a file that has already given the size the
// listing saw.
func openFile(ctx context.Context, path string, size int64) (io.ReadCloser, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return &fileReader{ctx: ctx, fd: fd, path: path, size: size}, nil
	}
}

type fileReader struct {
	ctx  context.Context
	fd   int
	path string
	size int64 // the size the listing saw
	read int64
	eof  bool
}

// Read stops a read of a large file once the download is cancelled. A short read that brings the
// file to its listed size is the end of it (a regular file reads short only at its end); a file
// that grew since it was listed is read on to its new end.
func (r *fileReader) Read(p []byte) (int, error) {
	if r.eof {
		return 0, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(r.fd, p)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: r.path, Err: err}
		}
		if n == 0 {
			r.eof = true
			return 0, io.EOF
		}
		r.read += int64(n)
		if n < len(p) && r.read >= r.size {
			r.eof = true
			return n, io.EOF
		}
		return n, nil
	}
}

func (r *fileReader) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := syscall.Close(r.fd)
	r.fd = -1
	if err != nil {
		return &fs.PathError{Op: "close", Path: r.path, Err: err}
	}
	return nil
}
