// Additions to go-smb2 v1.1.0 for the network_drive source (see ../../README.md).

package smb2

import (
	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2/internal/utf16le"
)

// FileIdFullDirectoryInformationDecoder reads one FILE_ID_FULL_DIR_INFORMATION entry
// (MS-FSCC 2.4.18): FileDirectoryInformation plus the extended-attribute size and the 64-bit
// file id.
type FileIdFullDirectoryInformationDecoder []byte

func (c FileIdFullDirectoryInformationDecoder) IsInvalid() bool {
	return len(c) < 80 || uint64(len(c)) < 80+uint64(c.FileNameLength())
}

func (c FileIdFullDirectoryInformationDecoder) NextEntryOffset() uint32 {
	return le.Uint32(c[:4])
}

// Times are returned as the raw FILETIME: 100-nanosecond intervals since 1601-01-01 UTC.

func (c FileIdFullDirectoryInformationDecoder) CreationTime() uint64 {
	return le.Uint64(c[8:16])
}

func (c FileIdFullDirectoryInformationDecoder) LastAccessTime() uint64 {
	return le.Uint64(c[16:24])
}

func (c FileIdFullDirectoryInformationDecoder) LastWriteTime() uint64 {
	return le.Uint64(c[24:32])
}

func (c FileIdFullDirectoryInformationDecoder) ChangeTime() uint64 {
	return le.Uint64(c[32:40])
}

func (c FileIdFullDirectoryInformationDecoder) EndOfFile() int64 {
	return int64(le.Uint64(c[40:48]))
}

func (c FileIdFullDirectoryInformationDecoder) FileAttributes() uint32 {
	return le.Uint32(c[56:60])
}

func (c FileIdFullDirectoryInformationDecoder) FileNameLength() uint32 {
	return le.Uint32(c[60:64])
}

func (c FileIdFullDirectoryInformationDecoder) FileId() uint64 {
	return le.Uint64(c[72:80])
}

func (c FileIdFullDirectoryInformationDecoder) FileName() string {
	return utf16le.DecodeToString(c[80 : 80+c.FileNameLength()])
}
