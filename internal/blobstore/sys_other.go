//go:build !linux

package blobstore

import (
	"errors"
	"os"
	"syscall"
)

// On systems other than Linux the store works, without the folder lock that
// makes GC and a concurrent Put of an existing blob exclude each other (GC's
// grace period still protects young blobs) and without early writeback.

func lockDir(*os.File, bool) error          { return nil }
func unlockDir(*os.File) error              { return nil }
func startWriteback(*os.File, int64, int64) {}
func adviseSequential(*os.File)             {}

// noSpace reports whether err says the file system is full.
func noSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
