// Package blobstore keeps the immutable copies of request files, by content.
//
// Layout, under the root folder (AIRLOCK_REQUEST_DIR):
//
//	<root>/<workspace>/<sha256 hex>   a blob: read-only (0o440), named by the sha256 of its bytes
//	<root>/<workspace>/.tmp-<random>  a copy in progress, or one left by a crash (removed by GC)
//
// The same bytes are stored once per workspace, however many requests
// reference them. Every access under root goes through an [os.Root], so no
// workspace name or hash can reach outside it.
//
// Crash safety: a blob name is only ever created by renaming a temporary
// file that has been completely written, hashed and fsynced; rename is
// atomic, and the folder is fsynced before Put returns. A crash at any
// moment therefore leaves either no blob or a complete one, plus perhaps a
// .tmp-* file that [Store.GC] removes once it is older than its grace
// period.
package blobstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// blobMode is the permission of a stored blob: read-only.
	blobMode = 0o440
	// dirMode is the permission of a workspace folder.
	dirMode = 0o750
	// tmpPrefix starts the name of every temporary file. A leading dot
	// can never be a hash, so temporary files never look like blobs.
	tmpPrefix = ".tmp-"

	// bufSize and numBufs shape the copy pipeline: the source is read into
	// one buffer while earlier buffers are hashed and written, at the same
	// time, by two goroutines. Measured on the 2-core target against other
	// sizes, a single goroutine, copy_file_range and O_DIRECT (see
	// strategies_test.go): this one was the fastest, by a few percent.
	bufSize = 1 << 20
	numBufs = 4
	// writebackEvery is how many written bytes make the writer ask the
	// kernel to start writing them to disk (sync_file_range), so that the
	// final fsync has little left to wait for. Without it Put took ~20%
	// longer; 2 MiB or 32 MiB steps were no better.
	writebackEvery = 8 << 20
)

// copyConfig shapes the copy; benchmarks compare other shapes.
type copyConfig struct {
	bufSize   int
	numBufs   int
	writeback int64 // 0: no early writeback
}

func defaultCopy() copyConfig {
	return copyConfig{bufSize: bufSize, numBufs: numBufs, writeback: writebackEvery}
}

// ErrHashMismatch is returned (wrapped) by Put when the copied bytes do not
// hash to the content_hash the workspace manifest gave for them.
var ErrHashMismatch = errors.New("content does not match the manifest's content_hash")

// ErrFull is returned (wrapped, with the file system's error) by Put when
// the request folder's file system has no space left (ENOSPC) or its
// quota is used up (EDQUOT). Put has then left nothing behind: no blob,
// no temporary file.
var ErrFull = errors.New("the request store is full")

// ErrInvalidWorkspace is returned (wrapped) for a workspace name that is not
// a plain folder name.
var ErrInvalidWorkspace = errors.New("invalid workspace name")

// ErrInvalidHash is returned (wrapped) for a hash that is not 64 lower-case
// hexadecimal digits.
var ErrInvalidHash = errors.New("invalid sha256")

// Store is a content-addressed store of request-file copies. It is safe for
// concurrent use, also by several processes sharing the same root.
type Store struct {
	dir  string
	root *os.Root
	cfg  copyConfig
	bufs sync.Pool // of *block
	// copy, when set, replaces copyHash (benchmarks of other strategies).
	copy func(ctx context.Context, dst *os.File, src io.Reader, h hash.Hash) (int64, error)
	// writeHook, when set, wraps the temporary file of each copy for its
	// writes (fault-injection tests: WithWriteHook).
	writeHook func(io.Writer) io.Writer
}

// Option changes how a Store works.
type Option func(*Store)

// WithWriteHook makes Put write the bytes of each copy through
// hook(file) instead of to the file itself. It exists for tests that
// need the disk to fail part-way through a copy (a writer that returns
// ENOSPC once a budget is spent); a deployment never sets it.
func WithWriteHook(hook func(io.Writer) io.Writer) Option {
	return func(s *Store) { s.writeHook = hook }
}

// New opens the store at root, creating the folder if it is missing.
func New(root string, opts ...Option) (*Store, error) {
	if root == "" {
		return nil, errors.New("blobstore: no root folder given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blobstore: root %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, dirMode); err != nil {
		return nil, fmt.Errorf("blobstore: create root: %w", err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("blobstore: open root: %w", err)
	}
	s := newStore(abs, r, defaultCopy())
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func newStore(dir string, r *os.Root, cfg copyConfig) *Store {
	s := &Store{dir: dir, root: r, cfg: cfg}
	s.bufs.New = func() any { return &block{buf: make([]byte, cfg.bufSize)} }
	return s
}

// Close releases the store's root folder. The store must not be used after.
func (s *Store) Close() error {
	return s.root.Close()
}

// Dir is the store's root folder, as an absolute path.
func (s *Store) Dir() string { return s.dir }

// ValidWorkspace reports whether name can be a workspace folder: non-empty,
// no path separator or NUL, not starting with a dot (which also rules out
// "." and "..").
func ValidWorkspace(name string) bool {
	return name != "" && len(name) <= 255 && name[0] != '.' &&
		!strings.ContainsAny(name, "/\\\x00")
}

// ValidHash reports whether h is a sha256 as this store names blobs: 64
// lower-case hexadecimal digits.
func ValidHash(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkWorkspace(ws string) error {
	if !ValidWorkspace(ws) {
		return fmt.Errorf("%w %q", ErrInvalidWorkspace, ws)
	}
	return nil
}

func checkHash(h string) error {
	if !ValidHash(h) {
		return fmt.Errorf("%w %q: want 64 lower-case hexadecimal digits", ErrInvalidHash, h)
	}
	return nil
}

// Put copies src into the workspace's blobs and returns the sha256 (hex) and
// size of the bytes it stored. It reads src once: each buffer is hashed and
// written at the same time. When wantHash is not empty and the bytes do not
// hash to it, Put stores nothing and returns an error wrapping
// ErrHashMismatch. When the workspace already holds those bytes, Put keeps
// the existing blob (refreshing its modification time, so that GC's grace
// period protects it until the caller has recorded the reference) and
// returns its hash. Put stops, leaving nothing behind, when ctx is done,
// and when the disk is full (an error wrapping ErrFull).
//
// With WithReader, the bytes Put copies are also given, as they are read,
// to a reader of the caller's on a goroutine of its own (the disclosure
// checks): the source is read once for the copy, its hash and the reader.
func (s *Store) Put(ctx context.Context, workspace string, src io.Reader, wantHash string, opts ...PutOption) (sha string, size int64, err error) {
	po := ApplyPutOptions(opts)
	defer func() {
		if err != nil && noSpace(err) {
			err = fmt.Errorf("%w: %w", ErrFull, err)
		}
	}()
	if err := checkWorkspace(workspace); err != nil {
		return "", 0, fmt.Errorf("blobstore: put: %w", err)
	}
	if wantHash != "" {
		wantHash = strings.ToLower(wantHash)
		if err := checkHash(wantHash); err != nil {
			return "", 0, fmt.Errorf("blobstore: put %s: manifest content_hash: %w", workspace, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: %w", workspace, err)
	}
	if err := s.ensureWorkspace(workspace); err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: %w", workspace, err)
	}

	tmpName, tmp, err := s.createTemp(workspace)
	if err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: %w", workspace, err)
	}
	// Until the temporary file is renamed to its hash, any failure removes it.
	kept := false
	defer func() {
		if !kept {
			tmp.Close()
			s.root.Remove(tmpName)
		}
	}()

	switch f := src.(type) {
	case *os.File:
		adviseSequential(f)
	case interface{ OSFile() *os.File }: // a workspace.File
		adviseSequential(f.OSFile())
	}
	h := sha256.New()
	switch {
	case s.copy != nil && po.Read != nil:
		return "", 0, errors.New("blobstore: put: WithReader needs the default copy")
	case s.copy != nil:
		size, err = s.copy(ctx, tmp, src, h)
	default:
		size, err = s.copyHash(ctx, tmp, src, h, po.Read)
	}
	if err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: %w", workspace, err)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	if wantHash != "" && sha != wantHash {
		return "", 0, fmt.Errorf("blobstore: put %s: the copied bytes hash to %s, but the manifest's content_hash is %s: %w",
			workspace, sha, wantHash, ErrHashMismatch)
	}
	if err := tmp.Chmod(blobMode); err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: %w", workspace, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: sync: %w", workspace, err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: close: %w", workspace, err)
	}
	kept, err = s.commit(workspace, tmpName, sha, size)
	if err != nil {
		return "", 0, fmt.Errorf("blobstore: put %s: %w", workspace, err)
	}
	return sha, size, nil
}

// PutOption changes one Put.
type PutOption func(*PutOptions)

// PutOptions are the options of one Put, for other implementations of a
// store (a test's in-memory one) to honour them.
type PutOptions struct {
	// Read, when not nil, is given the bytes as they are copied: see
	// WithReader.
	Read func(io.Reader) error
}

// ApplyPutOptions collects the options of a Put.
func ApplyPutOptions(opts []PutOption) PutOptions {
	var po PutOptions
	for _, o := range opts {
		o(&po)
	}
	return po
}

// WithReader makes Put give read the bytes it copies, in order, as it
// reads them, so that the source is read once however many consumers it
// has. read runs on a goroutine of its own, at the same time as the hash
// and the write, and holds the copy back (never more than the copy's few
// buffers are waiting for it) until it returns. It may return before the
// end: the bytes it did not read are dropped, and the copy goes on. Its
// reader fails with the copy's error when the copy stops early. An error
// from read stops the copy: Put then returns it (wrapped) and stores
// nothing. Put returns once both the copy and read are done; read must
// not use its reader after it returns.
func WithReader(read func(io.Reader) error) PutOption {
	return func(o *PutOptions) { o.Read = read }
}

// blockReader reads the blocks of a copy as the copy reads them.
type blockReader struct {
	ch      <-chan *block
	release func(*block)
	cur     *block
	off     int
	stopped *error // set before ch is closed when the copy stopped early
}

func (r *blockReader) Read(p []byte) (int, error) {
	if r.cur == nil {
		b, ok := <-r.ch
		if !ok {
			if *r.stopped != nil {
				return 0, *r.stopped
			}
			return 0, io.EOF
		}
		r.cur, r.off = b, 0
	}
	n := copy(p, r.cur.buf[r.off:r.cur.n])
	r.off += n
	if r.off == r.cur.n {
		r.release(r.cur)
		r.cur = nil
	}
	return n, nil
}

// drain gives back the blocks the reader's consumer did not read.
func (r *blockReader) drain() {
	if r.cur != nil {
		r.release(r.cur)
		r.cur = nil
	}
	for b := range r.ch {
		r.release(b)
	}
}

// ensureWorkspace creates the workspace folder if it is missing, durably.
func (s *Store) ensureWorkspace(ws string) error {
	err := s.root.Mkdir(ws, dirMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create workspace folder: %w", err)
	}
	return s.syncDir(".")
}

func (s *Store) syncDir(name string) error {
	d, err := s.root.Open(name)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

func (s *Store) createTemp(ws string) (string, *os.File, error) {
	for range 10 {
		name := ws + "/" + tmpPrefix + rand.Text()
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create temporary file: %w", err)
		}
		return name, f, nil
	}
	return "", nil, errors.New("create temporary file: no free name")
}

// commit makes the hashed, synced temporary file the blob sha, or drops it
// when the workspace already has that blob. It reports whether the
// temporary file was renamed (and so must not be removed).
//
// It holds a shared lock on the workspace folder, which GC takes exclusively
// to delete a blob: an existing blob is either deleted before this looks at
// it (and then this renames its own copy in) or has its modification time
// refreshed before GC decides, so GC keeps it.
func (s *Store) commit(ws, tmpName, sha string, size int64) (renamed bool, err error) {
	d, err := s.root.Open(ws)
	if err != nil {
		return false, err
	}
	defer d.Close()
	if err := lockDir(d, false); err != nil {
		return false, fmt.Errorf("lock workspace folder: %w", err)
	}
	defer unlockDir(d)

	final := ws + "/" + sha
	fi, err := s.root.Lstat(final)
	switch {
	case err == nil && fi.Mode().IsRegular() && fi.Size() == size:
		// Stored already: keep that copy, and make it young again.
		if err := s.root.Chtimes(final, time.Time{}, time.Now()); err != nil {
			return false, fmt.Errorf("touch existing blob: %w", err)
		}
		if err := s.root.Remove(tmpName); err != nil {
			return false, fmt.Errorf("remove temporary file: %w", err)
		}
	case err == nil && !fi.Mode().IsRegular():
		return false, fmt.Errorf("%s exists and is not a regular file", final)
	case err == nil || errors.Is(err, fs.ErrNotExist):
		// Missing, or damaged (wrong size): the verified copy takes its place.
		if err := s.root.Rename(tmpName, final); err != nil {
			return false, fmt.Errorf("rename to blob: %w", err)
		}
		renamed = true
	default:
		return false, err
	}
	// Sync the folder even when the blob existed: another Put may have
	// renamed it in a moment ago and not have synced yet.
	if err := d.Sync(); err != nil {
		return renamed, fmt.Errorf("sync workspace folder: %w", err)
	}
	return renamed, nil
}

// block is one buffer of the copy pipeline. refs counts the stages (hash,
// write) that still need it; the last one returns it to the free list.
type block struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

// copyHash copies src to dst and hashes the bytes into h, in one read of
// src: the calling goroutine reads, one goroutine hashes and another writes,
// each buffer going to both (and, when read is not nil, a third goroutine
// gives them to read: see WithReader). It checks ctx between buffers.
func (s *Store) copyHash(ctx context.Context, dst *os.File, src io.Reader, h hash.Hash, read func(io.Reader) error) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	nbufs := s.cfg.numBufs
	free := make(chan *block, nbufs)
	for range nbufs {
		free <- s.bufs.Get().(*block)
	}
	defer func() {
		for range nbufs {
			s.bufs.Put(<-free)
		}
	}()
	release := func(b *block) {
		if b.refs.Add(-1) == 0 {
			free <- b
		}
	}

	toHash := make(chan *block, nbufs)
	toWrite := make(chan *block, nbufs)
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range toHash {
			h.Write(b.buf[:b.n])
			release(b)
		}
	})
	var werr error
	var w io.Writer = dst
	if s.writeHook != nil {
		w = s.writeHook(dst)
	}
	wg.Go(func() {
		var off, started int64
		for b := range toWrite {
			if werr == nil {
				if _, err := w.Write(b.buf[:b.n]); err != nil {
					werr = fmt.Errorf("write: %w", err)
					cancel(werr)
				}
				off += int64(b.n)
				if s.cfg.writeback > 0 && off-started >= s.cfg.writeback {
					startWriteback(dst, started, off-started)
					started = off
				}
			}
			release(b)
		}
	})

	stages := int32(2)
	var toRead chan *block
	var stopped, cerr error
	if read != nil {
		stages = 3
		toRead = make(chan *block, nbufs)
		wg.Go(func() {
			br := &blockReader{ch: toRead, release: release, stopped: &stopped}
			if err := read(br); err != nil {
				cerr = err
				cancel(err)
			}
			br.drain()
		})
	}

	var size int64
	var rerr error
	for {
		if ctx.Err() != nil {
			break
		}
		var b *block
		select {
		case b = <-free:
		case <-ctx.Done():
		}
		if b == nil {
			break
		}
		n, err := io.ReadFull(src, b.buf)
		if n > 0 {
			b.n = n
			b.refs.Store(stages)
			size += int64(n)
			toHash <- b
			toWrite <- b
			if toRead != nil {
				toRead <- b
			}
		} else {
			free <- b
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			rerr = fmt.Errorf("read: %w", err)
			break
		}
	}
	close(toHash)
	close(toWrite)
	if toRead != nil {
		switch {
		case rerr != nil:
			stopped = rerr
		case ctx.Err() != nil:
			stopped = context.Cause(ctx)
		}
		close(toRead)
	}
	wg.Wait()

	switch {
	case werr != nil:
		return 0, werr
	case rerr != nil:
		return 0, rerr
	case cerr != nil:
		return 0, cerr
	case ctx.Err() != nil:
		return 0, context.Cause(ctx)
	}
	return size, nil
}

// Open opens the workspace's blob sha for reading. A missing blob gives an
// error wrapping fs.ErrNotExist.
func (s *Store) Open(workspace, sha string) (*os.File, error) {
	if err := checkWorkspace(workspace); err != nil {
		return nil, fmt.Errorf("blobstore: open: %w", err)
	}
	if err := checkHash(sha); err != nil {
		return nil, fmt.Errorf("blobstore: open %s: %w", workspace, err)
	}
	f, err := s.root.Open(workspace + "/" + sha)
	if err != nil {
		return nil, fmt.Errorf("blobstore: open %s/%s: %w", workspace, sha, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobstore: open %s/%s: %w", workspace, sha, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("blobstore: open %s/%s: not a regular file: %w", workspace, sha, fs.ErrNotExist)
	}
	return f, nil
}

// Path returns the filesystem path of the workspace's blob sha, after
// checking that it exists as a regular file (an error wrapping
// fs.ErrNotExist otherwise). Prefer Open: a path is only safe to use as long
// as nobody but this store writes under its root.
func (s *Store) Path(workspace, sha string) (string, error) {
	if err := checkWorkspace(workspace); err != nil {
		return "", fmt.Errorf("blobstore: path: %w", err)
	}
	if err := checkHash(sha); err != nil {
		return "", fmt.Errorf("blobstore: path %s: %w", workspace, err)
	}
	fi, err := s.root.Lstat(workspace + "/" + sha)
	if err != nil {
		return "", fmt.Errorf("blobstore: path %s/%s: %w", workspace, sha, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("blobstore: path %s/%s: not a regular file: %w", workspace, sha, fs.ErrNotExist)
	}
	return filepath.Join(s.dir, workspace, sha), nil
}
