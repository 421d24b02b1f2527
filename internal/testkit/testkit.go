// Package testkit builds what tests need: users with given roles,
// in-memory workspaces and request-file copies, and a service on a fresh
// database. It is used by tests and benchmarks only.
package testkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// Files is an in-memory set of workspaces whose files a test writes, and
// the request-file store that copies them. It implements service.Workspaces
// and service.Blobs.
type Files struct {
	mu    sync.Mutex
	files map[string]map[string]file // workspace → path → file
	blobs map[string][]byte          // sha256 → bytes
	now   float64
	// broken maps a workspace whose manifest is broken to the reason.
	broken map[string]string
}

type file struct {
	content []byte
	meta    domain.WorkspaceFile
	// lie, when set, is the content hash the manifest claims instead of
	// the real one.
	lie string
}

// NewFiles returns an empty set of workspaces.
func NewFiles() *Files {
	return &Files{files: map[string]map[string]file{}, blobs: map[string][]byte{}, now: 1.7e9}
}

// Write puts a file into a workspace (creating either), as a job would,
// with manifest metadata. Writing again changes the file.
func (f *Files) Write(workspace, relpath, content string) domain.WorkspaceFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	ws := f.files[workspace]
	if ws == nil {
		ws = map[string]file{}
		f.files[workspace] = ws
	}
	f.now++
	sum := sha256.Sum256([]byte(content))
	meta := domain.WorkspaceFile{
		Relpath: relpath, Valid: true, ContentHash: hex.EncodeToString(sum[:]), Size: int64(len(content)),
		Timestamp: f.now, JobID: "job-" + relpath, Commit: "abcdef1", Repo: "https://github.com/opensafely/study",
	}
	if strings.HasSuffix(relpath, ".csv") {
		rows, cols := strings.Count(content, "\n"), strings.Count(strings.SplitN(content, "\n", 2)[0], ",")+1
		meta.RowCount, meta.ColCount = &rows, &cols
	}
	ws[relpath] = file{content: []byte(content), meta: meta}
	return meta
}

// SetOrigin records, as the manifest would, the repository, commit and
// action of the job that wrote a workspace file. Files are written with
// commit "abcdef1" of https://github.com/opensafely/study and no action.
func (f *Files) SetOrigin(workspace, relpath, repo, commit, action string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.files[workspace][relpath]
	if !ok {
		panic("testkit: SetOrigin of a file not written: " + relpath)
	}
	fl.meta.Repo, fl.meta.Commit, fl.meta.Action = repo, commit, action
	f.files[workspace][relpath] = fl
}

// Remove takes a file out of its workspace's manifest.
func (f *Files) Remove(workspace, relpath string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files[workspace], relpath)
}

// CorruptManifest makes the manifest claim a content hash that the file's
// bytes do not have.
func (f *Files) CorruptManifest(workspace, relpath string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.files[workspace][relpath]
	fl.lie = strings.Repeat("0", 64)
	f.files[workspace][relpath] = fl
}

// BreakManifest makes a workspace's manifest broken, as a manifest that
// is not JSON: the workspace is still on the backend, but reading it
// fails with why (reason).
func (f *Files) BreakManifest(workspace, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken == nil {
		f.broken = map[string]string{}
	}
	f.broken[workspace] = reason
	if f.files[workspace] == nil {
		f.files[workspace] = map[string]file{}
	}
}

// unavailable is the error of reading a broken workspace, nil for others.
func (f *Files) unavailable(workspace string) error {
	if reason, ok := f.broken[workspace]; ok {
		return domain.Errorf(domain.ErrNotFound, "workspace %s is unavailable: %s", workspace, reason)
	}
	return nil
}

// File implements service.Workspaces.
func (f *Files) File(_ context.Context, workspace, relpath string) (domain.WorkspaceFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unavailable(workspace); err != nil {
		return domain.WorkspaceFile{}, err
	}
	ws, ok := f.files[workspace]
	if !ok {
		return domain.WorkspaceFile{}, domain.Errorf(domain.ErrNotFound, "no workspace %s", workspace)
	}
	fl, ok := ws[relpath]
	if !ok {
		return domain.WorkspaceFile{Relpath: relpath}, nil
	}
	meta := fl.meta
	if fl.lie != "" {
		meta.ContentHash = fl.lie
	}
	return meta, nil
}

// OpenFile implements service.Workspaces.
func (f *Files) OpenFile(_ context.Context, workspace, relpath string) (service.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.files[workspace][relpath]
	if !ok {
		return nil, domain.Errorf(domain.ErrNotFound, "no file %s in workspace %s", relpath, workspace)
	}
	return nopCloser{bytes.NewReader(fl.content)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// Put implements service.Blobs; a reader given WithReader reads the
// bytes after they are read.
func (f *Files) Put(_ context.Context, workspace string, src io.Reader, want string, opts ...blobstore.PutOption) (string, int64, error) {
	b, err := io.ReadAll(src)
	if err != nil {
		return "", 0, err
	}
	if read := blobstore.ApplyPutOptions(opts).Read; read != nil {
		if err := read(bytes.NewReader(b)); err != nil {
			return "", 0, fmt.Errorf("testkit: put: %w", err)
		}
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	if want != "" && got != want {
		return "", 0, fmt.Errorf("testkit: put: %w", blobstore.ErrHashMismatch)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blobs[got] = b
	return got, int64(len(b)), nil
}

// Open implements service.Blobs: the stored copy as an open file whose
// name is already gone, so nothing is left behind.
func (f *Files) Open(workspace, sha string) (*os.File, error) {
	b, ok := f.Blob(sha)
	if !ok {
		return nil, fmt.Errorf("testkit: no copy %s: %w", sha, fs.ErrNotExist)
	}
	tmp, err := os.CreateTemp("", "airlock-blob-*")
	if err != nil {
		return nil, err
	}
	os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}

// Workspaces implements service.Workspaces.
func (f *Files) Workspaces(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for ws := range f.files {
		out = append(out, ws)
	}
	sort.Strings(out)
	return out, nil
}

// TreeInfo implements service.Workspaces: the hash is of every file's
// path and the content hash the manifest claims for it; no output is
// out of date.
func (f *Files) TreeInfo(_ context.Context, workspace string) (domain.WorkspaceTreeInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unavailable(workspace); err != nil {
		return domain.WorkspaceTreeInfo{}, err
	}
	files, ok := f.files[workspace]
	if !ok {
		return domain.WorkspaceTreeInfo{}, domain.Errorf(domain.ErrNotFound, "no workspace %s", workspace)
	}
	h := sha256.New()
	repo := ""
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", p, files[p].meta.ContentHash, files[p].lie)
		if repo == "" {
			repo = files[p].meta.Repo
		}
	}
	return domain.WorkspaceTreeInfo{ManifestHash: hex.EncodeToString(h.Sum(nil)), Repo: repo}, nil
}

// Stat implements service.Workspaces.
func (f *Files) Stat(ctx context.Context, workspace, relpath string) (domain.WorkspaceEntry, error) {
	name := path.Base(relpath)
	if relpath == "" || f.isDir(workspace, relpath) {
		return domain.WorkspaceEntry{WorkspaceFile: domain.WorkspaceFile{Relpath: relpath, Valid: true}, Name: name, Dir: true}, nil
	}
	wf, err := f.File(ctx, workspace, relpath)
	return domain.WorkspaceEntry{WorkspaceFile: wf, Name: name}, err
}

func (f *Files) isDir(workspace, relpath string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p := range f.files[workspace] {
		if strings.HasPrefix(p, relpath+"/") {
			return true
		}
	}
	return false
}

// List implements service.Workspaces: the folder's direct children,
// folders first, then by name.
func (f *Files) List(_ context.Context, workspace, dir string, _ bool) ([]domain.WorkspaceEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unavailable(workspace); err != nil {
		return nil, err
	}
	ws, ok := f.files[workspace]
	if !ok {
		return nil, domain.Errorf(domain.ErrNotFound, "no workspace %s", workspace)
	}
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	var out []domain.WorkspaceEntry
	for p, fl := range ws {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		if isDir {
			out = append(out, domain.WorkspaceEntry{WorkspaceFile: domain.WorkspaceFile{Relpath: prefix + name, Valid: true}, Name: name, Dir: true})
		} else {
			out = append(out, domain.WorkspaceEntry{WorkspaceFile: fl.meta, Name: name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dir != out[j].Dir {
			return out[i].Dir
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Blob returns the stored copy with this hash.
func (f *Files) Blob(hash string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[hash]
	return b, ok
}

// Role describes a user for a test.
type Role int

const (
	// Researcher has a role on the workspaces.
	Researcher Role = iota
	// Checker is an output checker with no workspace role.
	Checker
	// CheckerResearcher is an output checker with a role on the workspaces.
	CheckerResearcher
	// Copilot sees the workspaces without a role.
	Copilot
	// ReadOnly is technical support: sees everything, does nothing.
	ReadOnly
	// ReadOnlyWithRoles has read-only access and, besides, is an output
	// checker with a role on the workspaces: read-only wins, they do
	// nothing.
	ReadOnlyWithRoles
	// Outsider has nothing to do with the workspaces.
	Outsider
)

// NewUser builds a user with a role on (or access to) the workspaces,
// all active.
func NewUser(name string, role Role, workspaces ...string) domain.User {
	u := domain.User{
		Username: name, Fullname: strings.ToUpper(name[:1]) + name[1:],
		Workspaces: map[string]domain.WorkspaceInfo{}, CopilotedWorkspaces: map[string]domain.WorkspaceInfo{},
	}
	for _, ws := range workspaces {
		info := domain.WorkspaceInfo{ProjectDetails: domain.ProjectDetails{Name: "Project " + ws, Ongoing: true, Orgs: []string{"Org"}}}
		switch role {
		case Researcher, CheckerResearcher, ReadOnlyWithRoles:
			u.Workspaces[ws] = info
		case Copilot:
			u.CopilotedWorkspaces[ws] = info
		}
	}
	u.OutputChecker = role == Checker || role == CheckerResearcher || role == ReadOnlyWithRoles
	u.ReadonlyAccess = role == ReadOnly || role == ReadOnlyWithRoles
	return u
}

// UserJSON is the job-server document of a user.
func UserJSON(u domain.User) []byte {
	b, err := json.Marshal(u)
	if err != nil {
		panic(err)
	}
	return b
}

// Clock is a settable clock for tests, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at a fixed time.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

// Now returns the time and moves the clock on by a millisecond, so that
// every event has its own time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Notifications records notifications for assertions.
type Notifications struct {
	mu   sync.Mutex
	sent []domain.Notification
}

// Notify implements service.Notifier.
func (n *Notifications) Notify(_ context.Context, note domain.Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, note)
}

// Types returns the event types sent so far, in order.
func (n *Notifications) Types() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, len(n.sent))
	for i, s := range n.sent {
		out[i] = s.EventType
	}
	return out
}

// All returns the notifications sent so far.
func (n *Notifications) All() []domain.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]domain.Notification(nil), n.sent...)
}

// SortedPaths lists a request's file paths.
func SortedPaths(r *domain.Request) []string {
	var out []string
	for _, f := range r.Files {
		out = append(out, fmt.Sprintf("%s:%s:%s", f.Group, f.Relpath, f.FileType))
	}
	sort.Strings(out)
	return out
}
