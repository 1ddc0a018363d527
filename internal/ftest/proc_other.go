//go:build !linux

package ftest

import (
	"errors"
	"syscall"
)

// The harness measures the service through /proc, which only Linux has.
var errNoProc = errors.New("ftest measures the service through /proc and runs on Linux only")

func procCPU(int) (float64, error)    { return 0, errNoProc }
func procPeakRSS(int) (int64, error)  { return 0, errNoProc }
func procRSS(int) (int64, error)      { return 0, errNoProc }
func resetPeakRSS(int) error          { return errNoProc }
func childAttr() *syscall.SysProcAttr { return nil }
