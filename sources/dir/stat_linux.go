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
		dev:   uint64(st.Dev),
		nlink: uint64(st.Nlink),
		uid:   st.Uid,
		gid:   st.Gid,
		size:  int64(st.Size),
		atime: timespec{int64(st.Atim.Sec), int64(st.Atim.Nsec)},
		mtime: timespec{int64(st.Mtim.Sec), int64(st.Mtim.Nsec)},
		ctime: timespec{int64(st.Ctim.Sec), int64(st.Ctim.Nsec)},
	}
}
