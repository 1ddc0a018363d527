package dir

import (
	"io/fs"
	"syscall"
)

func statOf(info fs.FileInfo) stat {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fallbackStat(info)
	}
	return stat{
		mode:  uint32(st.Mode),
		ino:   uint64(st.Ino),
		dev:   uint64(uint32(st.Dev)),
		nlink: uint64(st.Nlink),
		uid:   st.Uid,
		gid:   st.Gid,
		size:  int64(st.Size),
		atime: timespec{int64(st.Atimespec.Sec), int64(st.Atimespec.Nsec)},
		mtime: timespec{int64(st.Mtimespec.Sec), int64(st.Mtimespec.Nsec)},
		ctime: timespec{int64(st.Ctimespec.Sec), int64(st.Ctimespec.Nsec)},
	}
}
