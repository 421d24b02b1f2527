package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// Inside a workspace folder airlock follows no symbolic link at all (a
// link could show any file of the workspace, or of the machine, under the
// name of a released output), and opens nothing but regular files (a FIFO
// or a device would block, or act, when opened). The workspace folder
// itself may be a link: that is the operator's layout, not the job's.
//
// The platform files (safe_linux.go, safe_other.go) implement wsRoot:
//
//	lstat(rel)       describes rel without following a link on any part
//	                 of it; errLink when any part is a link
//	openRegular(rel) opens rel for reading when it is a regular file
//	                 reached through no link, without blocking on a FIFO
//	readDir(rel)     lists a folder reached through no link

// errLink is the error (wrapped) for a path that is, or lies under, a
// symbolic link.
var errLink = errors.New("it is a symbolic link, or lies in a folder reached through one, and airlock follows no link inside a workspace")

// notRegularError is the error for a path that is not a regular file.
type notRegularError struct{ mode fs.FileMode }

func (e notRegularError) Error() string {
	return "it is " + kindOf(e.mode) + ", not a regular file"
}

// kindOf names a file type for a person.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

// checkRegular turns a FileInfo into the error of a path that must be a
// regular file.
func checkRegular(fi fs.FileInfo) error {
	switch m := fi.Mode(); {
	case m&fs.ModeSymlink != 0:
		return errLink
	case !m.IsRegular():
		return notRegularError{m}
	case linkCount(fi) > 1:
		return errHardLink
	}
	return nil
}

// errHardLink is the error for a regular file that has other names: the
// same bytes may stand elsewhere under a name the valid tree hides (a
// highly sensitive output), so airlock serves only files with one name.
var errHardLink = errors.New("it is one of several names of the same file (hard links), and airlock serves only a file that has one name, so that a hidden file cannot be shown under a listed one")

// ErrUnusable is wrapped by the errors for a file of the valid tree that
// cannot be used: not on disk as a regular file reached through no link,
// or listed by a manifest entry that is not valid. Pages say so where a
// path that is not in the tree at all would take the person elsewhere.
var ErrUnusable = errors.New("the workspace file cannot be used")

// unusable is a refusal of kind (ErrNotFound, ErrInvalidInput) that also
// wraps ErrUnusable.
func unusable(kind error, format string, args ...any) error {
	return &domain.Error{Kind: unusableKind{kind}, Msg: fmt.Sprintf(format, args...)}
}

type unusableKind struct{ kind error }

func (k unusableKind) Error() string   { return k.kind.Error() }
func (k unusableKind) Unwrap() []error { return []error{k.kind, ErrUnusable} }

// diskError describes, for a person, why a path of a workspace cannot be
// used; the kind is ErrNotFound (the file the manifest describes is not
// there as a regular file) or, for a disk that does not answer,
// ErrUnavailable.
func diskError(workspace, p string, err error) error {
	var de *domain.Error
	var nr notRegularError
	switch {
	case errors.As(err, &de):
		return err
	case errors.Is(err, errLink):
		return unusable(domain.ErrNotFound, "%s in workspace %s cannot be used: %v", p, workspace, errLink)
	case errors.Is(err, errHardLink):
		return unusable(domain.ErrNotFound, "%s in workspace %s cannot be used: %v", p, workspace, errHardLink)
	case errors.As(err, &nr):
		return unusable(domain.ErrNotFound, "%s in workspace %s cannot be used: %v", p, workspace, nr)
	case errors.Is(err, fs.ErrNotExist):
		return unusable(domain.ErrNotFound, "%s is listed in the manifest of workspace %s but is not in its folder", p, workspace)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("workspace: %s/%s: %w", workspace, p, err)
	}
	return unusable(domain.ErrNotFound, "%s in workspace %s cannot be read: %v", p, workspace, errors.Unwrap(err))
}

// DefaultDiskTimeout bounds each open, stat or folder read of a workspace
// (not a whole file's read): a disk that does not answer in that time
// gives an error instead of a request that never ends.
const DefaultDiskTimeout = 10 * time.Second

// Option changes how a Reader works.
type Option func(*Reader)

// WithDiskTimeout sets the bound on each open, stat or folder read of a
// workspace (DefaultDiskTimeout by default).
func WithDiskTimeout(d time.Duration) Option {
	return func(r *Reader) {
		if d > 0 {
			r.timeout = d
		}
	}
}

// bounded runs a disk operation, waiting at most r.timeout or until ctx
// ends. A system call on a hung disk cannot be interrupted: the operation
// is then left to finish on its own, and drop releases what it returns
// when it does.
func bounded[T any](ctx context.Context, r *Reader, what string, op func() (T, error), drop func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		if r.beforeDisk != nil {
			r.beforeDisk()
		}
		v, err := op()
		ch <- result{v, err}
	}()
	t := time.NewTimer(r.timeout)
	defer t.Stop()
	var err error
	select {
	case res := <-ch:
		return res.v, res.err
	case <-t.C:
		err = domain.Errorf(domain.ErrUnavailable, "%s: the workspace disk did not answer within %s; try again later, or ask the operators to check it", what, r.timeout)
	case <-ctx.Done():
		err = fmt.Errorf("workspace: %s: %w", what, ctx.Err())
	}
	go func() {
		if res := <-ch; res.err == nil && drop != nil {
			drop(res.v)
		}
	}()
	var zero T
	return zero, err
}

// File is an open regular file of a workspace. Its reads stop with the
// context it was opened with: a request that ends stops reading.
type File struct {
	f   *os.File
	ctx context.Context
}

func (f *File) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.f.Read(p)
}

// ReadAt reads at an offset, leaving the file's offset alone.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

// Seek sets the offset of the next Read.
func (f *File) Seek(off int64, whence int) (int64, error) { return f.f.Seek(off, whence) }

// Stat describes the open file.
func (f *File) Stat() (fs.FileInfo, error) { return f.f.Stat() }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// OSFile is the underlying file, for hints to the kernel (read-ahead);
// reading through it does not stop with the context.
func (f *File) OSFile() *os.File { return f.f }
