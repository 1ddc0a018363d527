// Additions to go-smb2 v1.1.0 for the network_drive source (see README.md).

package smb2

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"

	. "github.com/connectors-go/connectors/sources/networkdrive/internal/smb2/internal/erref"
	. "github.com/connectors-go/connectors/sources/networkdrive/internal/smb2/internal/smb2"
)

// DirEntry is one entry of a directory listing with file ids (FileIdFullDirectoryInformation).
type DirEntry struct {
	Name string
	// FileID is the server's 64-bit id of the file, stable while the file exists.
	FileID uint64
	// The times are FILETIME values: 100-nanosecond intervals since 1601-01-01 UTC.
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime uint64
	EndOfFile                                               int64
	FileAttributes                                          uint32
}

// IsDir reports whether the entry is a directory.
func (e *DirEntry) IsDir() bool { return e.FileAttributes&FILE_ATTRIBUTE_DIRECTORY != 0 }

// IsReparsePoint reports whether the entry is a reparse point (a symbolic link or junction).
func (e *DirEntry) IsReparsePoint() bool { return e.FileAttributes&FILE_ATTRIBUTE_REPARSE_POINT != 0 }

// dirBatchBytes bounds one QUERY_DIRECTORY response: a few hundred entries, so listing a folder
// of millions of files holds one batch at a time, never the folder.
const dirBatchBytes = 64 * 1024

// ReadDirEntries returns the next entries of the directory f, one server response at a time,
// without "." and "..". It returns io.EOF once the listing is complete. A batch may be empty
// when a response held only "." and "..".
func (f *File) ReadDirEntries() (entries []DirEntry, err error) {
	f.m.Lock()
	defer f.m.Unlock()

	if f.noMoreFiles {
		return nil, io.EOF
	}

	size := dirBatchBytes
	if m := f.maxTransactSize(); m < size {
		size = m
	}
	req := &QueryDirectoryRequest{
		FileInfoClass:      FileIdFullDirectoryInformation,
		OutputBufferLength: uint32(size),
		FileName:           "*",
	}

	req.CreditCharge, _, err = f.fs.loanCredit(size)
	defer func() {
		if err != nil && err != io.EOF {
			f.fs.chargeCredit(req.CreditCharge)
		}
	}()
	if err != nil {
		return nil, err
	}

	req.FileId = f.fd

	res, err := f.sendRecv(SMB2_QUERY_DIRECTORY, req)
	if err != nil {
		if rerr, ok := err.(*ResponseError); ok && NtStatus(rerr.Code) == STATUS_NO_MORE_FILES {
			f.noMoreFiles = true
			return nil, io.EOF
		}
		return nil, &os.PathError{Op: "readdir", Path: f.name, Err: err}
	}

	r := QueryDirectoryResponseDecoder(res)
	if r.IsInvalid() {
		return nil, &InvalidResponseError{"broken query directory response format"}
	}

	output := r.OutputBuffer()
	entries = []DirEntry{}
	for len(output) > 0 {
		info := FileIdFullDirectoryInformationDecoder(output)
		if info.IsInvalid() {
			return nil, &InvalidResponseError{"broken query directory response format"}
		}
		if name := info.FileName(); name != "." && name != ".." {
			entries = append(entries, DirEntry{
				Name:           name,
				FileID:         info.FileId(),
				CreationTime:   info.CreationTime(),
				LastAccessTime: info.LastAccessTime(),
				LastWriteTime:  info.LastWriteTime(),
				ChangeTime:     info.ChangeTime(),
				EndOfFile:      info.EndOfFile(),
				FileAttributes: info.FileAttributes(),
			})
		}
		next := info.NextEntryOffset()
		if next == 0 {
			break
		}
		if int(next) > len(output) {
			return nil, &InvalidResponseError{"broken query directory response format"}
		}
		output = output[next:]
	}
	return entries, nil
}

// Security information classes for SecurityDescriptor (MS-DTYP 2.4.7, SECURITY_INFORMATION).
const (
	OwnerSecurityInformation = OWNER_SECURITY_INFORMATION
	GroupSecurityInformation = GROUP_SECUIRTY_INFORMATION
	DACLSecurityInformation  = DACL_SECUIRTY_INFORMATION
)

// securityBufferBytes is the largest security descriptor asked for: an ACL cannot exceed 64 KiB.
const securityBufferBytes = 64 * 1024

// SecurityDescriptor returns the self-relative security descriptor of f (MS-DTYP 2.4.6) with
// the parts selected by info (a combination of the *SecurityInformation constants). f must have
// been opened with READ_CONTROL access, as OpenReadControl does.
func (f *File) SecurityDescriptor(info uint32) ([]byte, error) {
	size := securityBufferBytes
	if m := f.maxTransactSize(); m < size {
		size = m
	}
	req := &QueryInfoRequest{
		InfoType:              SMB2_0_INFO_SECURITY,
		FileInfoClass:         0,
		OutputBufferLength:    uint32(size),
		AdditionalInformation: info,
	}
	b, err := f.queryInfo(req)
	if err != nil {
		return nil, &os.PathError{Op: "query security", Path: f.name, Err: err}
	}
	return b, nil
}

// OpenReadControl opens name, a file or a directory, with no other right than READ_CONTROL:
// enough to read its security descriptor, which a user may be allowed to do without being
// allowed to read the data.
func (fs *Share) OpenReadControl(name string) (*File, error) {
	name = normPath(name)
	if err := validatePath("open", name, false); err != nil {
		return nil, err
	}
	req := &CreateRequest{
		RequestedOplockLevel: SMB2_OPLOCK_LEVEL_NONE,
		ImpersonationLevel:   Impersonation,
		DesiredAccess:        READ_CONTROL,
		FileAttributes:       FILE_ATTRIBUTE_NORMAL,
		ShareAccess:          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
		CreateDisposition:    FILE_OPEN,
	}
	f, err := fs.createFile(name, req, true)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

// CloseContext is Close with the request sent under ctx instead of the context of the share f
// was opened from, so that a handle opened for a download that was then cancelled can still be
// released on the server.
func (f *File) CloseContext(ctx context.Context) error {
	if f == nil || f.fd == nil {
		return os.ErrInvalid
	}
	req := &CloseRequest{}
	req.CreditCharge = 1
	req.FileId = f.fd
	res, err := f.fs.WithContext(ctx).sendRecv(SMB2_CLOSE, req)
	if err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	if CloseResponseDecoder(res).IsInvalid() {
		return &os.PathError{Op: "close", Path: f.name, Err: &InvalidResponseError{"broken close response format"}}
	}
	f.fd = nil
	runtime.SetFinalizer(f, nil)
	return nil
}

// NtStatusOf returns the NT status code carried by err when it is, or wraps, an error response
// from the server, and false otherwise.
func NtStatusOf(err error) (uint32, bool) {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}
