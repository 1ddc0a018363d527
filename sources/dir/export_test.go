package dir

import (
	"io/fs"
	"os"
)

// FailOpen makes the walk fail to open path with err, as a folder without read permission does
// (except for root, whom permissions do not stop), until the returned function is called.
func FailOpen(path string, err error) (restore func()) {
	orig := openDir
	openDir = func(name string) (*os.File, error) {
		if name == path {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return orig(name)
	}
	return func() { openDir = orig }
}

// FailStat makes examining path fail with err until the returned function is called.
func FailStat(path string, err error) (restore func()) {
	orig := statPath
	statPath = func(name string) (fs.FileInfo, error) {
		if name == path {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
		}
		return orig(name)
	}
	return func() { statPath = orig }
}
