//go:build linux

package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// wsRoot is an open workspace folder. Paths beneath it are resolved with
// openat2(RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH), or, where the kernel has
// no openat2 (before 5.6, or a seccomp filter refusing it), by opening
// each folder in turn with O_NOFOLLOW: either way a link on any part of
// the path fails the call, and no check-then-open race can swap one in.
type wsRoot struct {
	f *os.File
	// walk is set once openat2 turned out to be unavailable.
	walk *atomic.Bool
}

// openRoot opens the workspace folder at path. Links on the way to it are
// the operator's and are followed.
func openRoot(path string, walk *atomic.Bool) (*wsRoot, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return &wsRoot{f: f, walk: walk}, nil
}

func (w *wsRoot) Close() error { return w.f.Close() }

// resolve opens rel (clean, slash-separated, "" for the folder itself)
// with flags, refusing a link on any part of it.
func (w *wsRoot) resolve(rel string, flags int) (*os.File, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if rel == "" {
		rel = "."
	}
	if !w.walk.Load() {
		fd, err := unix.Openat2(int(w.f.Fd()), rel, &unix.OpenHow{
			Flags:   uint64(flags),
			Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
		})
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), rel), nil
		case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM) && !w.canOpenat2():
			w.walk.Store(true)
		case errors.Is(err, unix.ELOOP):
			return nil, fmt.Errorf("%s: %w", rel, errLink)
		default:
			return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
		}
	}
	return w.walkTo(rel, flags)
}

// canOpenat2 tells an EPERM of openat2 itself (a seccomp filter) from an
// EPERM of the file, by opening the workspace folder.
func (w *wsRoot) canOpenat2() bool {
	fd, err := unix.Openat2(int(w.f.Fd()), ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// walkTo opens each folder of rel in turn without following links, then
// rel itself with flags (which hold O_NOFOLLOW).
func (w *wsRoot) walkTo(rel string, flags int) (*os.File, error) {
	parts := strings.Split(rel, "/")
	dir := int(w.f.Fd())
	for i, name := range parts {
		last := i == len(parts)-1
		fl := unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if last {
			fl = flags
		}
		fd, err := unix.Openat(dir, name, fl, 0)
		if err != nil {
			sub := strings.Join(parts[:i+1], "/")
			var st unix.Stat_t
			isLink := errors.Is(err, unix.ELOOP) ||
				(errors.Is(err, unix.ENOTDIR) && unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK)
			if dir != int(w.f.Fd()) {
				unix.Close(dir)
			}
			if isLink {
				return nil, fmt.Errorf("%s: %w", sub, errLink)
			}
			return nil, &fs.PathError{Op: "open", Path: sub, Err: err}
		}
		if dir != int(w.f.Fd()) {
			unix.Close(dir)
		}
		dir = fd
	}
	return os.NewFile(uintptr(dir), rel), nil
}

// lstat describes rel without following a link anywhere on it.
func (w *wsRoot) lstat(rel string) (fs.FileInfo, error) {
	f, err := w.resolve(rel, unix.O_PATH)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s: %w", rel, errLink) // O_PATH|O_NOFOLLOW opened the link itself
	}
	return fi, nil
}

// openRegular opens rel for reading when it is a regular file. The type
// is checked before the open (a device is never opened), and the open is
// non-blocking (a FIFO swapped in meanwhile cannot hang it) and checked
// again after, on the file actually opened.
func (w *wsRoot) openRegular(rel string) (*os.File, error) {
	fi, err := w.lstat(rel)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(fi); err != nil {
		return nil, err
	}
	f, err := w.resolve(rel, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, err
	}
	got, err := f.Stat()
	if err == nil {
		err = checkRegular(got)
	}
	if err == nil && !os.SameFile(fi, got) {
		err = fmt.Errorf("%s was replaced while it was opened", rel)
	}
	if err == nil {
		err = unix.SetNonblock(int(f.Fd()), false)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readDir lists the folder rel.
func (w *wsRoot) readDir(rel string) ([]fs.DirEntry, error) {
	f, err := w.resolve(rel, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}
