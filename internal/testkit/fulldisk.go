package testkit

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/airlock-go/airlock/internal/blobstore"
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

// DiskFault is a request folder whose disk fills up when asked: a
// blobstore made with blobstore.New(Root, Options...) then finds no room
// for a copy of 100 KiB or more, until Free.
type DiskFault struct {
	Root    string
	Options []blobstore.Option
	Fill    func() // leave less than 100 KiB of room
	Free    func() // give the room back
}

// DiskFaults are the two ways a test fills the request folder's disk,
// by name: a writer injected into the store that fails with ENOSPC once
// its budget is spent ("injected ENOSPC"), and a real 1 MiB tmpfs
// filled by another file ("tmpfs"; root only: skipped without it, except
// under CI=true).
func DiskFaults() map[string]func(t testing.TB) DiskFault {
	return map[string]func(t testing.TB) DiskFault{
		"injected ENOSPC": func(t testing.TB) DiskFault {
			d := NewFullDisk(1 << 40)
			return DiskFault{
				Root:    filepath.Join(t.TempDir(), "requests"),
				Options: []blobstore.Option{blobstore.WithWriteHook(d.Wrap)},
				Fill:    func() { d.SetFree(100 << 10) },
				Free:    func() { d.SetFree(1 << 40) },
			}
		},
		"tmpfs": func(t testing.TB) DiskFault {
			dir := Tmpfs(t, "1m")
			var filler string
			return DiskFault{
				Root: dir,
				Fill: func() { filler = FillUntilFull(t, dir, "filler", 100<<10) },
				Free: func() {
					if err := os.Remove(filler); err != nil {
						t.Fatal(err)
					}
				},
			}
		},
	}
}

// BigCSV is a 300 KiB table: more than a filled DiskFault's room, less
// than a freed one's.
var BigCSV = "region,count\n" + strings.Repeat("North,10\n", 300<<10/9)

// UseFullDisk replaces e's service by one that copies into fault's
// request folder (see UseDisk), over Workspace on disk holding
// output/small.csv (which fits a filled disk) and output/big.csv
// (BigCSV, which does not).
func (e *Env) UseFullDisk(fault DiskFault) {
	e.T.Helper()
	wsDir := e.T.TempDir()
	NewDiskWorkspace(e.T, wsDir, Workspace).
		Output("output/small.csv", "region,n\nNorth,10\n", nil).
		Output("output/big.csv", BigCSV, nil).
		Save()
	e.UseDisk(wsDir, fault.Root, fault.Options...)
}

// FilesUnder lists the files under dir, recursively, as sorted relative
// paths (folders left out).
func FilesUnder(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
