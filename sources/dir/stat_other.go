//go:build !linux && !darwin

package dir

import "io/fs"

// statOf on other platforms has no inode, device, link or owner information; see fallbackStat.
func statOf(info fs.FileInfo) stat { return fallbackStat(info) }
