//go:build !unix

package workspace

import "io/fs"

func stampOf(fi fs.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), mtime: fi.ModTime()}
}
