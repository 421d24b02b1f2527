// Package workspace reads the workspaces that research jobs write: their
// manifest.json, the valid tree it describes, and the files in it. Every
// file access goes through os.Root and the valid-tree check, so no path a
// user sends can reach anything else.
package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// ManifestPath is where a workspace's manifest lives.
const ManifestPath = "metadata/manifest.json"

// Reader reads the workspaces under one folder. Parsed manifests are
// cached and shared, and parsed again only when the file changes.
type Reader struct {
	dir string

	mu    sync.Mutex
	cache map[string]*entry
}

// entry caches one workspace's tree; its mutex makes concurrent first
// readers wait for one parse.
type entry struct {
	mu   sync.Mutex
	stat fileStamp
	tree *Tree
	// hashes caches the content hash of files under metadata/, which the
	// manifest does not list, by path and stamp.
	hashes map[string]hashed
}

type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
}

type hashed struct {
	stamp fileStamp
	sum   string
}

// NewReader reads workspaces under dir.
func NewReader(dir string) *Reader {
	return &Reader{dir: dir, cache: map[string]*entry{}}
}

// Workspaces lists the workspaces that have a manifest, by name.
func (r *Reader) Workspaces(ctx context.Context) ([]string, error) {
	des, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("workspace: list %s: %w", r.dir, err)
	}
	var out []string
	for _, de := range des {
		if !de.IsDir() || CheckName(de.Name()) != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(r.dir, de.Name(), filepath.FromSlash(ManifestPath))); err == nil {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

// root opens a workspace's folder as an os.Root.
func (r *Reader) root(name string) (*os.Root, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(filepath.Join(r.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, domain.Errorf(domain.ErrNotFound, "no workspace %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: open %s: %w", name, err)
	}
	return root, nil
}

// Tree returns the valid tree of a workspace, parsing its manifest only
// when it changed since the last parse. A missing or broken manifest makes
// the workspace unavailable, with a message saying why.
func (r *Reader) Tree(ctx context.Context, name string) (*Tree, error) {
	root, err := r.root(name)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	e := r.entry(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	fi, err := root.Stat(ManifestPath)
	if err != nil {
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: it has no %s", name, ManifestPath)
	}
	st := stampOf(fi)
	if e.tree != nil && e.stat == st {
		return e.tree, nil
	}
	raw, err := root.ReadFile(ManifestPath)
	if err != nil {
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: its manifest cannot be read", name)
	}
	if e.tree != nil && e.tree.Hash == hashBytes(raw) {
		e.stat = st // touched, not changed
		return e.tree, nil
	}
	t, err := ParseManifest(raw)
	if err != nil {
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: %v", name, err)
	}
	e.tree, e.stat = t, st
	return t, nil
}

// TreeInfo returns the sha256 of the workspace's manifest and its count
// of out-of-date outputs (Tree reads the manifest again when the file
// changed).
func (r *Reader) TreeInfo(ctx context.Context, name string) (domain.WorkspaceTreeInfo, error) {
	t, err := r.Tree(ctx, name)
	if err != nil {
		return domain.WorkspaceTreeInfo{}, err
	}
	return domain.WorkspaceTreeInfo{ManifestHash: t.Hash, OutOfDate: t.OutOfDate}, nil
}

func (r *Reader) entry(name string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[name]
	if !ok {
		e = &entry{hashes: map[string]hashed{}}
		r.cache[name] = e
	}
	return e
}

// Item is a file or folder of a workspace, as the file browser shows it.
type Item = domain.WorkspaceEntry

// File looks a path up in a workspace: Valid false when it is not in the
// valid tree (out-of-date action outputs included). Folders are not files.
func (r *Reader) File(ctx context.Context, workspace, relpath string) (domain.WorkspaceFile, error) {
	it, err := r.Stat(ctx, workspace, relpath)
	if err != nil {
		return domain.WorkspaceFile{}, err
	}
	if it.Dir {
		it.Valid = false
	}
	return it.WorkspaceFile, nil
}

// Stat looks a path up in a workspace's valid tree. A path not in it comes
// back with Valid false.
func (r *Reader) Stat(ctx context.Context, workspace, relpath string) (Item, error) {
	p, err := CleanPath(relpath)
	if err != nil {
		return Item{}, err
	}
	t, err := r.Tree(ctx, workspace)
	if err != nil {
		return Item{}, err
	}
	if n, ok := t.Node(p); ok {
		return itemOf(n), nil
	}
	if p == "metadata" || strings.HasPrefix(p, "metadata/") {
		return r.statMetadata(workspace, p)
	}
	return Item{WorkspaceFile: domain.WorkspaceFile{Relpath: p}, Name: path.Base(p)}, nil
}

func itemOf(n *Node) Item {
	it := Item{Name: n.Name, Dir: n.Dir, WorkspaceFile: domain.WorkspaceFile{Relpath: n.Path, Valid: true}}
	if o := n.Output; o != nil {
		it.ContentHash, it.Size, it.Timestamp = o.ContentHash, o.Size, o.Timestamp
		it.JobID, it.Commit, it.Repo = o.JobID, o.Commit, o.Repo
		it.RowCount, it.ColCount, it.OutOfDateAction = o.RowCount, o.ColCount, o.OutOfDateAction
	}
	return it
}

// statMetadata describes a file or folder under metadata/ from the disk.
func (r *Reader) statMetadata(workspace, p string) (Item, error) {
	root, err := r.root(workspace)
	if err != nil {
		return Item{}, err
	}
	defer root.Close()
	it := Item{WorkspaceFile: domain.WorkspaceFile{Relpath: p}, Name: path.Base(p)}
	fi, err := root.Lstat(p)
	if err != nil || !(fi.Mode().IsRegular() || fi.IsDir()) {
		return it, nil // missing, or a link or device: not in the tree
	}
	it.Valid, it.Dir = true, fi.IsDir()
	if it.Dir {
		return it, nil
	}
	it.Size, it.Timestamp = fi.Size(), float64(fi.ModTime().UnixNano())/1e9
	sum, err := r.metadataHash(root, workspace, p, fi)
	if err != nil {
		return Item{}, err
	}
	it.ContentHash = sum
	return it, nil
}

// metadataHash hashes a file under metadata/, once per change.
func (r *Reader) metadataHash(root *os.Root, workspace, p string, fi fs.FileInfo) (string, error) {
	e := r.entry(workspace)
	st := stampOf(fi)
	e.mu.Lock()
	h, ok := e.hashes[p]
	e.mu.Unlock()
	if ok && h.stamp == st {
		return h.sum, nil
	}
	f, err := root.Open(p)
	if err != nil {
		return "", fmt.Errorf("workspace: open %s/%s: %w", workspace, p, err)
	}
	defer f.Close()
	sh := sha256.New()
	if _, err := io.Copy(sh, f); err != nil {
		return "", fmt.Errorf("workspace: read %s/%s: %w", workspace, p, err)
	}
	sum := hex.EncodeToString(sh.Sum(nil))
	e.mu.Lock()
	e.hashes[p] = hashed{st, sum}
	e.mu.Unlock()
	return sum, nil
}

// List returns the items of a folder of the valid tree, as the file
// browser orders them. Outputs of out-of-date actions are left out unless
// showOutOfDate. Listing a folder reads only that folder.
func (r *Reader) List(ctx context.Context, workspace, dir string, showOutOfDate bool) ([]Item, error) {
	p, err := CleanPath(dir)
	if err != nil {
		return nil, err
	}
	t, err := r.Tree(ctx, workspace)
	if err != nil {
		return nil, err
	}
	if p == "metadata" || strings.HasPrefix(p, "metadata/") {
		return r.listMetadata(workspace, p)
	}
	n, ok := t.Node(p)
	if !ok || !n.Dir {
		return nil, domain.Errorf(domain.ErrNotFound, "no folder %q in workspace %s", p, workspace)
	}
	var out []Item
	if p == "" {
		if it, err := r.statMetadata(workspace, "metadata"); err == nil && it.Valid && it.Dir {
			out = append(out, it)
		}
	}
	for _, c := range t.Children(p) {
		if !showOutOfDate && !c.Dir && c.Output.OutOfDateAction {
			continue
		}
		out = append(out, itemOf(c))
	}
	return out, nil
}

// listMetadata lists a folder under metadata/ from the disk.
func (r *Reader) listMetadata(workspace, p string) ([]Item, error) {
	root, err := r.root(workspace)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(p)
	if err != nil {
		return nil, domain.Errorf(domain.ErrNotFound, "no folder %q in workspace %s", p, workspace)
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, domain.Errorf(domain.ErrNotFound, "no folder %q in workspace %s", p, workspace)
	}
	var nodes []*Node
	for _, de := range des {
		if de.Type().IsRegular() || de.IsDir() {
			nodes = append(nodes, &Node{Path: p + "/" + de.Name(), Name: de.Name(), Dir: de.IsDir()})
		}
	}
	SortNodes(nodes)
	out := make([]Item, 0, len(nodes))
	for _, n := range nodes {
		it, err := r.statMetadata(workspace, n.Path)
		if err != nil {
			return nil, err
		}
		if it.Valid {
			out = append(out, it)
		}
	}
	return out, nil
}

// Open opens a file of the valid tree for reading, through os.Root so
// that no link leads out of the workspace.
func (r *Reader) Open(ctx context.Context, workspace, relpath string) (*os.File, Item, error) {
	it, err := r.Stat(ctx, workspace, relpath)
	if err != nil {
		return nil, Item{}, err
	}
	if !it.Valid || it.Dir {
		return nil, Item{}, domain.Errorf(domain.ErrNotFound, "no file %q in workspace %s", relpath, workspace)
	}
	root, err := r.root(workspace)
	if err != nil {
		return nil, Item{}, err
	}
	defer root.Close()
	f, err := root.Open(it.Relpath)
	if err != nil {
		return nil, Item{}, domain.Errorf(domain.ErrNotFound, "file %q of workspace %s cannot be opened: %v", relpath, workspace, errors.Unwrap(err))
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, Item{}, domain.Errorf(domain.ErrNotFound, "%q in workspace %s is not a regular file", relpath, workspace)
	}
	return f, it, nil
}

// OpenFile implements the service's workspace reader: it opens a file of
// the valid tree, for reading from anywhere in it.
func (r *Reader) OpenFile(ctx context.Context, workspace, relpath string) (interface {
	io.Reader
	io.ReaderAt
	io.Closer
}, error) {
	f, _, err := r.Open(ctx, workspace, relpath)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
