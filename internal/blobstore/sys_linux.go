//go:build linux

package blobstore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// control runs fn on f's descriptor without changing the file's mode (as
// File.Fd would for a pipe or socket).
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// lockDir takes an flock on an open folder: shared, or exclusive. flock
// locks belong to the open file, so they exclude other opens of the same
// folder in this process as well as in others.
func lockDir(d *os.File, exclusive bool) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	return control(d, func(fd int) error {
		for {
			err := unix.Flock(fd, how)
			if err != unix.EINTR {
				return err
			}
		}
	})
}

func unlockDir(d *os.File) error {
	return control(d, func(fd int) error { return unix.Flock(fd, unix.LOCK_UN) })
}

// startWriteback asks the kernel to start writing the range to disk now,
// without waiting, so that the final fsync has little left to do.
func startWriteback(f *os.File, off, n int64) {
	_ = control(f, func(fd int) error {
		return unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}

// adviseSequential tells the kernel src will be read once, front to back,
// so it reads ahead further. Harmless when src is not a regular file.
func adviseSequential(f *os.File) {
	_ = control(f, func(fd int) error { return unix.Fadvise(fd, 0, 0, unix.FADV_SEQUENTIAL) })
}

// noSpace reports whether err says the file system is full: no space
// left, or the user's quota used up.
func noSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}
