// Package workspace reads the workspaces that research jobs write: their
// manifest.json, the valid tree it describes, and the files in it. Every
// path a user sends must be in the valid tree, and every file access
// follows no link inside the workspace and opens only regular files
// (safe.go), each within a time bound, so that nothing else can be read.
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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// ManifestPath is where a workspace's manifest lives.
const ManifestPath = "metadata/manifest.json"

// Reader reads the workspaces under one folder. Parsed manifests are
// cached and shared, and parsed again only when the file changes.
type Reader struct {
	dir     string
	timeout time.Duration
	// walk is set when the kernel has no openat2 (safe_linux.go).
	walk atomic.Bool
	// beforeDisk, when set (by tests), runs before each disk operation.
	beforeDisk func()

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
func NewReader(dir string, opts ...Option) *Reader {
	r := &Reader{dir: dir, timeout: DefaultDiskTimeout, cache: map[string]*entry{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Workspaces lists the workspaces that have a manifest, by name. A
// workspace folder may be a link (the operator's layout); its manifest is
// looked for without following any link inside it.
func (r *Reader) Workspaces(ctx context.Context) ([]string, error) {
	return bounded(ctx, r, "listing the workspaces", func() ([]string, error) {
		des, err := os.ReadDir(r.dir)
		if err != nil {
			return nil, fmt.Errorf("workspace: list %s: %w", r.dir, err)
		}
		var out []string
		for _, de := range des {
			if CheckName(de.Name()) != nil {
				continue
			}
			root, err := openRoot(filepath.Join(r.dir, de.Name()), &r.walk)
			if err != nil {
				continue // not a folder, nor a link to one
			}
			_, err = root.lstat(ManifestPath)
			root.Close()
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				out = append(out, de.Name()) // a broken manifest shows as unavailable
			}
		}
		return out, nil
	}, nil)
}

// root opens a workspace's folder (on the calling goroutine: use it
// inside bounded).
func (r *Reader) root(name string) (*wsRoot, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	root, err := openRoot(filepath.Join(r.dir, name), &r.walk)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, domain.Errorf(domain.ErrNotFound, "no workspace %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: open %s: %w", name, err)
	}
	return root, nil
}

// onDisk runs op on the workspace's open folder within the disk time
// bound; drop releases a result left behind after the bound.
func onDisk[T any](ctx context.Context, r *Reader, workspace, what string, op func(*wsRoot) (T, error), drop func(T)) (T, error) {
	if err := CheckName(workspace); err != nil {
		var zero T
		return zero, err
	}
	return bounded(ctx, r, what, func() (T, error) {
		root, err := r.root(workspace)
		if err != nil {
			var zero T
			return zero, err
		}
		defer root.Close()
		return op(root)
	}, drop)
}

// manifestRead is the manifest's stamp, and its bytes when they changed.
type manifestRead struct {
	stamp fileStamp
	raw   []byte // nil: unchanged since the cached stamp
}

// Tree returns the valid tree of a workspace, parsing its manifest only
// when it changed since the last parse. A missing or broken manifest makes
// the workspace unavailable, with a message saying why. The manifest must
// be a regular file reached through no link.
func (r *Reader) Tree(ctx context.Context, name string) (*Tree, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	e := r.entry(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	cached, have := e.stat, e.tree != nil
	m, err := onDisk(ctx, r, name, "reading the manifest of workspace "+name, func(root *wsRoot) (manifestRead, error) {
		fi, err := root.lstat(ManifestPath)
		if err == nil {
			err = checkRegular(fi)
		}
		if err != nil {
			return manifestRead{}, err
		}
		st := stampOf(fi)
		if have && st == cached {
			return manifestRead{stamp: st}, nil
		}
		f, err := root.openRegular(ManifestPath)
		if err != nil {
			return manifestRead{}, err
		}
		defer f.Close()
		raw, err := readAllSized(f, st.size)
		return manifestRead{stamp: st, raw: raw}, err
	}, nil)
	var de *domain.Error
	var nr notRegularError
	switch {
	case err == nil:
	case errors.As(err, &de), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, err
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: it has no %s", name, ManifestPath)
	case errors.Is(err, errLink):
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: %s %v", name, ManifestPath, errLink)
	case errors.Is(err, errHardLink):
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: %s %v", name, ManifestPath, errHardLink)
	case errors.As(err, &nr):
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: %s is not a regular file: %v", name, ManifestPath, nr)
	default:
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: its manifest cannot be read", name)
	}
	if m.raw == nil {
		return e.tree, nil
	}
	if e.tree != nil && e.tree.Hash == hashBytes(m.raw) {
		e.stat = m.stamp // touched, not changed
		return e.tree, nil
	}
	t, err := ParseManifest(m.raw)
	if err != nil {
		return nil, domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: %v", name, err)
	}
	e.tree, e.stat = t, m.stamp
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
	repo := t.Repo
	for _, p := range t.outputs {
		if repo != "" {
			break
		}
		repo = t.nodes[p].Output.Repo // as the reference: the first output's
	}
	return domain.WorkspaceTreeInfo{ManifestHash: t.Hash, OutOfDate: t.OutOfDate, Repo: repo}, nil
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
// back with Valid false. A file of the tree must also be on disk as a
// regular file reached through no link: otherwise Stat says why, as an
// error wrapping domain.ErrNotFound; an output whose manifest entry is
// not valid (a content_hash that is no sha256, text that is not UTF-8)
// is an error wrapping domain.ErrInvalidInput naming the problem.
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
		if !n.Dir {
			if err := r.checkFile(ctx, workspace, p); err != nil {
				return Item{}, err
			}
		}
		return itemOf(n), nil
	}
	if why, ok := t.Invalid(p); ok {
		return Item{}, unusable(domain.ErrInvalidInput, "%s in workspace %s cannot be used: its manifest entry is not valid: %s", p, workspace, why)
	}
	if p == "metadata" || strings.HasPrefix(p, "metadata/") {
		return r.statMetadata(ctx, workspace, p)
	}
	return Item{WorkspaceFile: domain.WorkspaceFile{Relpath: p}, Name: path.Base(p)}, nil
}

// checkFile checks that p is a regular file reached through no link.
func (r *Reader) checkFile(ctx context.Context, workspace, p string) error {
	_, err := onDisk(ctx, r, workspace, "looking at "+p+" in workspace "+workspace, func(root *wsRoot) (struct{}, error) {
		fi, err := root.lstat(p)
		if err == nil {
			err = checkRegular(fi)
		}
		return struct{}{}, err
	}, nil)
	if err != nil {
		return diskError(workspace, p, err)
	}
	return nil
}

func itemOf(n *Node) Item {
	it := Item{Name: n.Name, Dir: n.Dir, WorkspaceFile: domain.WorkspaceFile{Relpath: n.Path, Valid: true}}
	if o := n.Output; o != nil {
		it.ContentHash, it.Size, it.Timestamp = o.ContentHash, o.Size, o.Timestamp
		it.JobID, it.Commit, it.Repo, it.Action = o.JobID, o.Commit, o.Repo, o.Action
		it.RowCount, it.ColCount, it.OutOfDateAction = o.RowCount, o.ColCount, o.OutOfDateAction
	}
	return it
}

// statMetadata describes a file or folder under metadata/ from the disk:
// only regular files and folders reached through no link are in the tree.
// A link, FIFO, socket or device there is an error saying so (wrapping
// ErrUnusable).
func (r *Reader) statMetadata(ctx context.Context, workspace, p string) (Item, error) {
	it := Item{WorkspaceFile: domain.WorkspaceFile{Relpath: p}, Name: path.Base(p)}
	fi, err := onDisk(ctx, r, workspace, "looking at "+p+" in workspace "+workspace, func(root *wsRoot) (fs.FileInfo, error) {
		fi, err := root.lstat(p)
		if err == nil && !fi.IsDir() {
			err = checkRegular(fi)
		}
		return fi, err
	}, nil)
	var de *domain.Error
	var nr notRegularError
	switch {
	case errors.As(err, &de), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Item{}, err
	case errors.Is(err, errLink), errors.Is(err, errHardLink), errors.As(err, &nr):
		return Item{}, diskError(workspace, p, err)
	case err != nil:
		return it, nil // missing: not in the tree
	}
	it.Valid, it.Dir = true, fi.IsDir()
	if it.Dir {
		return it, nil
	}
	it.Size, it.Timestamp = fi.Size(), float64(fi.ModTime().UnixNano())/1e9
	sum, err := r.metadataHash(ctx, workspace, p, fi)
	if err != nil {
		return Item{}, err
	}
	it.ContentHash = sum
	return it, nil
}

// metadataHash hashes a file under metadata/, once per change.
func (r *Reader) metadataHash(ctx context.Context, workspace, p string, fi fs.FileInfo) (string, error) {
	e := r.entry(workspace)
	st := stampOf(fi)
	e.mu.Lock()
	h, ok := e.hashes[p]
	e.mu.Unlock()
	if ok && h.stamp == st {
		return h.sum, nil
	}
	f, err := r.openFile(ctx, workspace, p)
	if err != nil {
		return "", err
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

// openFile opens p as a regular file reached through no link, within the
// disk time bound; its reads stop when ctx ends.
func (r *Reader) openFile(ctx context.Context, workspace, p string) (*File, error) {
	f, err := onDisk(ctx, r, workspace, "opening "+p+" in workspace "+workspace, func(root *wsRoot) (*os.File, error) {
		return root.openRegular(p)
	}, func(f *os.File) { f.Close() })
	if err != nil {
		return nil, diskError(workspace, p, err)
	}
	return &File{f: f, ctx: ctx}, nil
}

// List returns the items of a folder of the valid tree, as the file
// browser orders them. Outputs of out-of-date actions are left out unless
// showOutOfDate. Listing a folder of outputs reads only the manifest (no
// file is opened, so no file can block it); listing a folder under
// metadata/ reads that folder.
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
		return r.listMetadata(ctx, workspace, p)
	}
	n, ok := t.Node(p)
	if !ok || !n.Dir {
		return nil, domain.Errorf(domain.ErrNotFound, "no folder %q in workspace %s", p, workspace)
	}
	var out []Item
	if p == "" {
		if it, err := r.statMetadata(ctx, workspace, "metadata"); err == nil && it.Valid && it.Dir {
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

// listMetadata lists a folder under metadata/ from the disk: its regular
// files and folders (links, FIFOs, sockets and devices are left out, by
// the type the folder read gives, without opening them).
func (r *Reader) listMetadata(ctx context.Context, workspace, p string) ([]Item, error) {
	des, err := onDisk(ctx, r, workspace, "listing "+p+" in workspace "+workspace, func(root *wsRoot) ([]fs.DirEntry, error) {
		return root.readDir(p)
	}, nil)
	var de *domain.Error
	switch {
	case errors.As(err, &de), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, err
	case err != nil:
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
		it, err := r.statMetadata(ctx, workspace, n.Path)
		if errors.Is(err, ErrUnusable) {
			continue // replaced by a link or FIFO since the folder was read
		}
		if err != nil {
			return nil, err
		}
		if it.Valid {
			out = append(out, it)
		}
	}
	return out, nil
}

// Open opens a file of the valid tree for reading: a regular file reached
// through no link (never a FIFO, socket or device), within the disk time
// bound. Its reads stop when ctx ends.
func (r *Reader) Open(ctx context.Context, workspace, relpath string) (*File, Item, error) {
	it, err := r.Stat(ctx, workspace, relpath)
	if err != nil {
		return nil, Item{}, err
	}
	if !it.Valid || it.Dir {
		return nil, Item{}, domain.Errorf(domain.ErrNotFound, "no file %q in workspace %s", relpath, workspace)
	}
	f, err := r.openFile(ctx, workspace, it.Relpath)
	if err != nil {
		return nil, Item{}, err
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

// readAllSized reads r to its end into a buffer of size bytes (the file's
// size when it was statted) and more if it grew, without the copies of
// io.ReadAll's doubling for a big manifest (nor bytes.Buffer's, which
// doubles a buffer that has less than 512 bytes free before each read).
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > 1<<32 {
		size = 0
	}
	buf := make([]byte, size+1) // +1: the read that sees the end
	n, err := io.ReadFull(r, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF: // the file's size, or less
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	// The file grew since it was statted.
	rest, err := io.ReadAll(r)
	return append(buf, rest...), err
}
