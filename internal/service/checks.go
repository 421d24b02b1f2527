package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
)

// runChecks runs the rules on one file's bytes; the findings are never
// nil.
func (s *Service) runChecks(ctx context.Context, relpath string, r io.Reader, released *releasedCopies) ([]checks.Finding, error) {
	found, err := s.checker.Check(ctx, relpath, r, checks.WithReleased(released))
	if err != nil {
		return nil, fmt.Errorf("service: check %s: %w", relpath, err)
	}
	if found == nil {
		found = []checks.Finding{}
	}
	return found, nil
}

// releasedCopies gives the checks the files released from a workspace, as
// their request copies: the newest release of each path.
type releasedCopies struct {
	s         *Service
	workspace string
	files     map[string]string // relpath → file id
	order     []string
}

// released lists the workspace's released files for the checks.
func (s *Service) released(ctx context.Context, workspace string) (*releasedCopies, error) {
	list, err := s.store.ReleasedFiles(ctx, workspace)
	if err != nil {
		return nil, fmt.Errorf("service: released files of %s: %w", workspace, err)
	}
	rc := &releasedCopies{s: s, workspace: workspace, files: map[string]string{}}
	for _, f := range list { // oldest first: a later release of a path wins
		if _, ok := rc.files[f.Relpath]; !ok {
			rc.order = append(rc.order, f.Relpath)
		}
		rc.files[f.Relpath] = f.FileID
	}
	return rc, nil
}

// key names the released set: the same key, the same files.
func (rc *releasedCopies) key() string {
	h := sha256.New()
	for _, p := range rc.order {
		fmt.Fprintf(h, "%s\x00%s\x00", p, rc.files[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (rc *releasedCopies) ReleasedFiles(context.Context) ([]string, error) {
	return append([]string(nil), rc.order...), nil
}

func (rc *releasedCopies) OpenReleased(_ context.Context, path string) (io.ReadCloser, error) {
	id, ok := rc.files[path]
	if !ok {
		return nil, fmt.Errorf("service: %s was not released from %s", path, rc.workspace)
	}
	return rc.s.blobs.Open(rc.workspace, id)
}

// OverrideChecks records the author's written justification for
// submitting a file despite its blocking disclosure findings. It is
// audited with the justification and the rules overridden, and shown to
// the output checkers.
func (s *Service) OverrideChecks(ctx context.Context, u domain.User, id, relpath, justification string) (*domain.Request, error) {
	justification = strings.TrimSpace(justification)
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckOverrideChecks(u, relpath, justification); err != nil {
			return nil, err
		}
		f, _ := r.File(relpath)
		var rules []string
		for _, c := range f.BlockingChecks() {
			rules = append(rules, string(c.Rule))
		}
		return func(c *change) error {
			o := &domain.ChecksOverride{Justification: justification, By: u.Username, At: c.now}
			if err := c.tx.SetChecksOverride(c.ctx, c.r.ID, relpath, o); err != nil {
				return fmt.Errorf("override checks of %s: %w", relpath, err)
			}
			return c.audit(domain.EventRequestFileChecksOverride, relpath, map[string]string{
				"group": f.Group, "justification": justification, "rules": strings.Join(rules, ", "),
			})
		}, nil
	})
}

// workspaceCheckMaxBytes is the largest workspace file checked while
// browsing (a page waits for it); a larger one is checked when added.
const workspaceCheckMaxBytes = 64 << 20

// workspaceChecksSize is how many workspace files' findings are kept.
const workspaceChecksSize = 4096

// workspaceChecks keeps the findings of workspace files by content, the
// configuration being fixed: the same bytes against the same released
// files give the same findings.
type workspaceChecks struct {
	mu      sync.Mutex
	results map[string][]checks.Finding // workspace, content hash, released set, path's extension
}

func (c *workspaceChecks) get(key string) ([]checks.Finding, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.results[key]
	return f, ok
}

func (c *workspaceChecks) put(key string, f []checks.Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.results == nil || len(c.results) >= workspaceChecksSize {
		c.results = map[string][]checks.Finding{} // bounded: start again
	}
	c.results[key] = f
}

// WorkspaceFileChecks runs the disclosure checks on a workspace file the
// user may see, so that researchers see the findings before they add the
// file. Findings are kept by content: a file is read again only when its
// bytes or the workspace's released files change.
func (s *Service) WorkspaceFileChecks(ctx context.Context, u domain.User, workspace, relpath string) ([]checks.Finding, error) {
	out, err := s.WorkspaceFilesChecks(ctx, u, workspace, []string{relpath})
	if err != nil {
		return nil, err
	}
	return out[0].Findings, out[0].Err
}

// FileChecks are the findings of one file, or why it could not be
// checked.
type FileChecks struct {
	Findings []checks.Finding // never nil when Err is nil
	Err      error
}

// WorkspaceFilesChecks is WorkspaceFileChecks for several files of one
// workspace (a folder listing): one answer per path, in order, each with
// its own error; the error returned is for the whole call (the user may
// not see the workspace, the database failed).
func (s *Service) WorkspaceFilesChecks(ctx context.Context, u domain.User, workspace string, relpaths []string) ([]FileChecks, error) {
	if err := u.CheckViewWorkspace(workspace); err != nil {
		return nil, err
	}
	released, err := s.released(ctx, workspace)
	if err != nil {
		return nil, err
	}
	rkey := released.key()
	out := make([]FileChecks, len(relpaths))
	for i, p := range relpaths {
		out[i].Findings, out[i].Err = s.workspaceFileChecks(ctx, workspace, p, released, rkey)
	}
	return out, nil
}

func (s *Service) workspaceFileChecks(ctx context.Context, workspace, relpath string, released *releasedCopies, rkey string) ([]checks.Finding, error) {
	wf, err := s.workspaceFile(ctx, workspace, relpath)
	if err != nil {
		return nil, err
	}
	if wf.Size > workspaceCheckMaxBytes {
		return nil, domain.Errorf(domain.ErrPolicy, "%s is %d MiB, too large to check while browsing (over %d MiB); it is checked in full when added to a request",
			relpath, wf.Size>>20, workspaceCheckMaxBytes>>20)
	}
	key := workspace + "\x00" + wf.ContentHash + "\x00" + rkey + "\x00" + strings.ToLower(path.Ext(relpath))
	if found, ok := s.wsChecks.get(key); ok {
		return found, nil
	}
	f, err := s.workspaces.OpenFile(ctx, workspace, relpath)
	if err != nil {
		return nil, wrapStoreErr("service: check "+relpath, err)
	}
	defer f.Close()
	found, err := s.runChecks(ctx, relpath, f, released)
	if err != nil {
		return nil, err
	}
	s.wsChecks.put(key, found)
	return found, nil
}

var _ checks.Released = (*releasedCopies)(nil)
