//go:build !linux

package workspace

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
)

// wsRoot is an open workspace folder. Off Linux, paths are checked part
// by part with Lstat through an os.Root (which keeps them inside the
// folder), and an opened file must be the very file checked
// (os.SameFile). Airlock runs on Linux, where safe_linux.go closes the
// race between the checks and the open.
type wsRoot struct {
	r *os.Root
}

func openRoot(path string, _ *atomic.Bool) (*wsRoot, error) {
	r, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return &wsRoot{r: r}, nil
}

func (w *wsRoot) Close() error { return w.r.Close() }

func (w *wsRoot) lstat(rel string) (fs.FileInfo, error) {
	if rel == "" {
		return w.r.Stat(".")
	}
	parts := strings.Split(rel, "/")
	var fi fs.FileInfo
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		var err error
		if fi, err = w.r.Lstat(sub); err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s: %w", sub, errLink)
		}
	}
	return fi, nil
}

func (w *wsRoot) openRegular(rel string) (*os.File, error) {
	fi, err := w.lstat(rel)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(fi); err != nil {
		return nil, err
	}
	f, err := w.r.Open(rel)
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
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (w *wsRoot) readDir(rel string) ([]fs.DirEntry, error) {
	fi, err := w.lstat(rel)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, notRegularError{fi.Mode()}
	}
	name := rel
	if name == "" {
		name = "."
	}
	f, err := w.r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	got, err := f.Stat()
	if err != nil || !os.SameFile(fi, got) {
		return nil, fmt.Errorf("%s was replaced while it was opened", rel)
	}
	return f.ReadDir(-1)
}
