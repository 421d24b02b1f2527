//go:build !unix

package workspace

import "io/fs"

func stampOf(fi fs.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), mtime: fi.ModTime()}
}

// linkCount is how many names the file has: not known here, taken as one.
func linkCount(fs.FileInfo) uint64 { return 1 }
