package release

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/workspace"
)

// Folder releases files into a folder, for deployments without
// job-server: <dir>/<workspace>/<request id>/<path>, each file written
// atomically, with a manifest.json of the paths and their sha256.
type Folder struct {
	dir    string
	copies Copies
}

// NewFolder releases into dir.
func NewFolder(dir string, copies Copies) *Folder {
	return &Folder{dir: dir, copies: copies}
}

// folderManifest lists what a release holds.
type folderManifest struct {
	Request    string      `json:"request"`
	Workspace  string      `json:"workspace"`
	ReleasedBy string      `json:"released_by"`
	Files      []fileEntry `json:"files"`
}

// root opens the release folder of a request through os.Root, creating it.
func (d *Folder) root(r *domain.Request) (*os.Root, error) {
	if err := workspace.CheckName(r.Workspace); err != nil {
		return nil, err
	}
	if err := workspace.CheckName(r.ID); err != nil {
		return nil, err
	}
	dir := path.Join(d.dir, r.Workspace, r.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("release: create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("release: open %s: %w", dir, err)
	}
	return root, nil
}

// CreateRelease writes the release's manifest.json.
func (d *Folder) CreateRelease(ctx context.Context, r *domain.Request, files []domain.RequestFile, user string) error {
	body, err := fileList(d.copies, r, files)
	if err != nil {
		return fmt.Errorf("release: describe files of %s: %w", r.ID, err)
	}
	raw, err := json.MarshalIndent(folderManifest{Request: r.ID, Workspace: r.Workspace, ReleasedBy: user, Files: body.Files}, "", "  ")
	if err != nil {
		return fmt.Errorf("release: encode manifest: %w", err)
	}
	root, err := d.root(r)
	if err != nil {
		return err
	}
	defer root.Close()
	return writeAtomic(root, "manifest.json", bytes.NewReader(append(raw, '\n')), "")
}

// Upload copies one file into the release folder. A file already there
// with the same bytes is left alone; one with other bytes is an error,
// never overwritten.
func (d *Folder) Upload(ctx context.Context, r *domain.Request, f domain.RequestFile, user string, content io.Reader) error {
	rel, err := workspace.CleanPath(f.Relpath)
	if err != nil || rel == "" {
		return fmt.Errorf("release: %q is not a path to release", f.Relpath)
	}
	root, err := d.root(r)
	if err != nil {
		return err
	}
	defer root.Close()
	if existing, err := root.Open(rel); err == nil {
		h := sha256.New()
		_, err := io.Copy(h, existing)
		existing.Close()
		if err == nil && hex.EncodeToString(h.Sum(nil)) == f.FileID {
			return nil
		}
		return fmt.Errorf("release: %s/%s already holds different bytes for %s", r.Workspace, r.ID, rel)
	}
	if dir := path.Dir(rel); dir != "." {
		if err := root.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("release: create %s: %w", dir, err)
		}
	}
	return writeAtomic(root, rel, content, f.FileID)
}

// writeAtomic writes name under root through a temporary file in the same
// folder, fsynced and renamed into place; when want is set the bytes must
// hash to it.
func writeAtomic(root *os.Root, name string, content io.Reader, want string) (err error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), ".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("release: write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	h := sha256.New()
	if _, err = io.Copy(io.MultiWriter(f, h), content); err != nil {
		return fmt.Errorf("release: write %s: %w", name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); want != "" && got != want {
		return fmt.Errorf("release: the stored copy of %s hashes to %s, not %s", name, got, want)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("release: sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("release: close %s: %w", name, err)
	}
	if err = root.Rename(tmp, name); err != nil {
		return fmt.Errorf("release: rename %s: %w", name, err)
	}
	if dir, err := root.Open(path.Dir(name)); err == nil {
		dir.Sync()
		dir.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release: sync folder of %s: %w", name, err)
	}
	return nil
}
