package testkit

import (
	"io"
	"os"
	"sync"
	"syscall"
)

// FullDisk stands for a file system's free space in fault-injection
// tests. Its Wrap, given to blobstore.WithWriteHook, lets writes through
// while space is left and then fails them as a full disk does: the part
// that fits is written, and the write returns ENOSPC (wrapped in an
// *os.PathError, as the os package reports it).
type FullDisk struct {
	mu   sync.Mutex
	free int64
}

// NewFullDisk is a disk with free bytes left.
func NewFullDisk(free int64) *FullDisk { return &FullDisk{free: free} }

// SetFree sets the bytes left, as an operator freeing space does.
func (d *FullDisk) SetFree(n int64) {
	d.mu.Lock()
	d.free = n
	d.mu.Unlock()
}

// Wrap returns a writer to w that spends the disk's free space.
func (d *FullDisk) Wrap(w io.Writer) io.Writer { return &fullDiskWriter{d: d, w: w} }

type fullDiskWriter struct {
	d *FullDisk
	w io.Writer
}

func (f *fullDiskWriter) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	room := min(int64(len(p)), f.d.free)
	f.d.free -= room
	f.d.mu.Unlock()
	n, err := f.w.Write(p[:room])
	if err != nil {
		return n, err
	}
	if n < len(p) {
		name := "file"
		if nf, ok := f.w.(interface{ Name() string }); ok {
			name = nf.Name()
		}
		return n, &os.PathError{Op: "write", Path: name, Err: syscall.ENOSPC}
	}
	return n, nil
}
