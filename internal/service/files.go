package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// AddFile is one file to add to a request.
type AddFile struct {
	Path     string
	FileType domain.FileType
}

// staged is a workspace file copied into the request store, ready to be
// recorded on a request.
type staged struct {
	file   domain.WorkspaceFile
	fileID string
	ft     domain.FileType
	checks []checks.Finding // of the copy; nil until checked
}

// CurrentRequest returns the user's active request for the workspace, or
// nil when they have none.
func (s *Service) CurrentRequest(ctx context.Context, u domain.User, workspace string) (*domain.Request, error) {
	id, err := s.store.ActiveRequestID(ctx, workspace, u.Username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("service: current request: %w", err)
	}
	return s.request(ctx, id)
}

// newRequest is a request for the user and workspace not yet stored.
func (s *Service) newRequest(u domain.User, workspace string) *domain.Request {
	info := u.WorkspaceInfo(workspace)
	return &domain.Request{
		ID: newRequestID(), Workspace: workspace, Project: info.ProjectDetails.Name,
		Organisations: slices.Clone(info.ProjectDetails.Orgs), Author: u.Username,
		CreatedAt: s.clock(), Status: domain.StatusPending, SubmittedReviews: map[string]time.Time{},
	}
}

// loadCurrent loads the user's active request, or a new unsaved one.
func (s *Service) loadCurrent(u domain.User, workspace string) func(context.Context) (*domain.Request, error) {
	return func(ctx context.Context) (*domain.Request, error) {
		r, err := s.CurrentRequest(ctx, u, workspace)
		if err != nil || r != nil {
			return r, err
		}
		return s.newRequest(u, workspace), nil
	}
}

// GetOrCreateRequest returns the user's active request for the workspace,
// creating an empty one if they have none. automated marks the creation as
// done by a scheduled job.
func (s *Service) GetOrCreateRequest(ctx context.Context, u domain.User, workspace string, automated bool) (*domain.Request, error) {
	if err := u.CheckActionWorkspace(workspace); err != nil {
		return nil, err
	}
	var extra map[string]string
	if automated {
		extra = map[string]string{"automated_action": "true"}
	}
	return s.run(ctx, u.Username, s.loadCurrent(u, workspace), func(r *domain.Request) (func(*change) error, error) {
		if r.Version > 0 {
			return nil, nil // they have one already
		}
		return func(*change) error { return nil }, nil
	}, extra)
}

// AddFiles adds workspace files to the user's active request, in one
// group, creating the request when they have none. Either every file is
// added or nothing is written. A withdrawn file is added back in place.
func (s *Service) AddFiles(ctx context.Context, u domain.User, workspace, group string, files []AddFile) (r *domain.Request, err error) {
	ctx, span := s.tracer.Start(ctx, "add_files", "", workspace)
	defer func() { endSpan(span, r, err) }()
	return s.addFiles(ctx, u, workspace, group, files, nil)
}

func (s *Service) addFiles(ctx context.Context, u domain.User, workspace, group string, files []AddFile, extra map[string]string) (*domain.Request, error) {
	if err := u.CheckActionWorkspace(workspace); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, domain.Errorf(domain.ErrInvalidInput, "Select at least one file to add.")
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	paths, err := domain.UniquePaths(paths)
	if err != nil {
		return nil, err
	}
	files = slices.Clone(files)
	for i := range files {
		files[i].Path = paths[i]
	}
	var stagedFiles []staged
	return s.run(ctx, u.Username, s.loadCurrent(u, workspace), func(r *domain.Request) (func(*change) error, error) {
		if r.Version > 0 {
			if err := r.CheckEdit(u); err != nil {
				return nil, err
			}
		}
		name, err := domain.ResolveGroupName(r, group)
		if err != nil {
			return nil, err
		}
		released, err := s.store.ReleasedFileIDs(ctx, workspace)
		if err != nil {
			return nil, fmt.Errorf("service: add files: %w", err)
		}
		current := r
		if r.Version == 0 {
			current = nil
		}
		var checked []staged
		for _, f := range files {
			wf, err := s.workspaceFile(ctx, workspace, f.Path)
			if err != nil {
				return nil, err
			}
			if err := domain.CheckAddable(f.Path, f.FileType, domain.FileStatus(wf, released, current), current); err != nil {
				return nil, err
			}
			checked = append(checked, staged{file: wf, ft: f.FileType})
		}
		if err := s.copyOnce(ctx, workspace, &stagedFiles, checked); err != nil {
			return nil, err
		}
		return func(c *change) error {
			if err := c.ensureGroup(name); err != nil {
				return err
			}
			for _, st := range stagedFiles {
				if old, ok := c.r.File(st.file.Relpath); ok {
					if err := c.replaceFile(*old, st, name); err != nil {
						return err
					}
					continue
				}
				if err := c.insertFile(st, name, domain.EventRequestFileAdd); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}, extra)
}

// UpdateFiles refreshes files of the user's active request whose
// workspace copies changed, keeping their group and type. Their votes are
// reset: updated files need two fresh reviews.
func (s *Service) UpdateFiles(ctx context.Context, u domain.User, workspace string, paths []string) (r *domain.Request, err error) {
	ctx, span := s.tracer.Start(ctx, "update_files", "", workspace)
	defer func() { endSpan(span, r, err) }()
	if err := u.CheckActionWorkspace(workspace); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, domain.Errorf(domain.ErrInvalidInput, "Select at least one file to update.")
	}
	paths, err = domain.UniquePaths(paths)
	if err != nil {
		return nil, err
	}
	var stagedFiles []staged
	return s.run(ctx, u.Username, func(ctx context.Context) (*domain.Request, error) {
		r, err := s.CurrentRequest(ctx, u, workspace)
		if err == nil && r == nil {
			err = domain.Errorf(domain.ErrNotFound, "You have no current request for workspace %s.", workspace)
		}
		return r, err
	}, func(r *domain.Request) (func(*change) error, error) {
		released, err := s.store.ReleasedFileIDs(ctx, workspace)
		if err != nil {
			return nil, fmt.Errorf("service: update files: %w", err)
		}
		var checked []staged
		for _, p := range paths {
			wf, err := s.workspaceFile(ctx, workspace, p)
			if err != nil {
				return nil, err
			}
			if err := r.CheckUpdateFile(u, p, domain.FileStatus(wf, released, r)); err != nil {
				return nil, err
			}
			checked = append(checked, staged{file: wf})
		}
		if err := s.copyOnce(ctx, workspace, &stagedFiles, checked); err != nil {
			return nil, err
		}
		return func(c *change) error {
			for _, st := range stagedFiles {
				old, _ := c.r.File(st.file.Relpath)
				st.ft = old.FileType
				if err := c.replaceFile(*old, st, old.Group); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}, nil)
}

// WithdrawFiles takes files off a request: a pending request forgets them;
// a returned one keeps them, withdrawn, for the record.
func (s *Service) WithdrawFiles(ctx context.Context, u domain.User, id string, paths []string) (*domain.Request, error) {
	if len(paths) == 0 {
		return nil, domain.Errorf(domain.ErrInvalidInput, "Select at least one file to withdraw.")
	}
	paths, err := domain.UniquePaths(paths)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		for _, p := range paths {
			if err := r.CheckWithdrawFile(u, p); err != nil {
				return nil, err
			}
		}
		return func(c *change) error {
			c.applied = true // withdrawFiles changes c.r as it changes the store
			return c.withdrawFiles(paths)
		}, nil
	})
}

// withdrawFiles takes the files at paths, already checked by the rule, off
// the request: a pending request forgets them; any other keeps them,
// withdrawn, for the record; each with its audit event.
func (c *change) withdrawFiles(paths []string) error {
	for _, p := range paths {
		f, _ := c.r.File(p)
		extra := map[string]string{"group": f.Group, "filetype": string(f.FileType)}
		if c.r.Status == domain.StatusPending {
			if err := c.deleteFile(*f, false); err != nil {
				return err
			}
		} else if err := c.tx.SetFileProperties(c.ctx, c.r.ID, p, f.Group, domain.FileWithdrawn); err != nil {
			return fmt.Errorf("withdraw %s: %w", p, err)
		}
		if err := c.audit(domain.EventRequestFileWithdraw, p, extra); err != nil {
			return err
		}
		// The same change to the request in memory (see change.applied).
		if c.r.Status == domain.StatusPending {
			c.r.Files = slices.DeleteFunc(c.r.Files, func(rf domain.RequestFile) bool { return rf.Relpath == p })
			if len(c.r.Files) == 0 {
				c.r.Files = nil // as the store reads a request without files
			}
		} else {
			f.FileType = domain.FileWithdrawn
		}
	}
	return nil
}

// ChangeFileProperties moves files to another group and/or changes their
// type. Their votes are reset: the new context needs a fresh review. Files
// already in that group with that type are left alone and counted as
// unchanged: saving unchanged properties is no error, and when nothing
// changes nothing is written or audited.
func (s *Service) ChangeFileProperties(ctx context.Context, u domain.User, id string, paths []string, group string, ft domain.FileType) (*domain.Request, BulkResult, error) {
	if len(paths) == 0 {
		return nil, BulkResult{}, domain.Errorf(domain.ErrInvalidInput, "Select at least one file to change.")
	}
	paths, err := domain.UniquePaths(paths)
	if err != nil {
		return nil, BulkResult{}, err
	}
	var res BulkResult
	r, err := s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		name, err := domain.ResolveGroupName(r, group)
		if err != nil {
			return nil, err
		}
		released, err := s.store.ReleasedFileIDs(ctx, r.Workspace)
		if err != nil {
			return nil, fmt.Errorf("service: change file properties: %w", err)
		}
		var changed []string
		for _, p := range paths {
			var fileID string
			if f, ok := r.File(p); ok {
				fileID = f.FileID
			}
			if err := r.CheckChangeProperties(u, p, name, ft, released[fileID]); err != nil {
				return nil, err
			}
			if !r.PropertiesUnchanged(p, name, ft) {
				changed = append(changed, p)
			}
		}
		res = BulkResult{Changed: len(changed), Unchanged: len(paths) - len(changed)}
		if len(changed) == 0 {
			return nil, nil
		}
		return func(c *change) error {
			if err := c.ensureGroup(name); err != nil {
				return err
			}
			for _, p := range changed {
				f, _ := c.r.File(p)
				if err := c.resetVotes(*f); err != nil {
					return err
				}
				if err := c.tx.SetFileProperties(c.ctx, c.r.ID, p, name, ft); err != nil {
					return fmt.Errorf("change properties of %s: %w", p, err)
				}
				if err := c.audit(domain.EventRequestFileUpdate, p, map[string]string{"group": name, "filetype": string(ft)}); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	return r, res, err
}

// workspaceFile looks a path up in a workspace; paths outside the valid
// tree are refused here, before any check that could leak what exists.
func (s *Service) workspaceFile(ctx context.Context, workspace, relpath string) (domain.WorkspaceFile, error) {
	if s.workspaces == nil {
		return domain.WorkspaceFile{}, fmt.Errorf("service: no workspace reader configured")
	}
	wf, err := s.workspaces.File(ctx, workspace, relpath)
	if err != nil {
		return domain.WorkspaceFile{}, wrapStoreErr("service: read workspace file", err)
	}
	if !wf.Valid {
		return domain.WorkspaceFile{}, domain.Errorf(domain.ErrInvalidInput, "%s is not an output of workspace %s that can be released", relpath, workspace)
	}
	return wf, nil
}

// copyOnce copies the checked files into the request store into *done,
// with the findings of the disclosure checks, unless an earlier attempt
// of the action already did. The copies happen outside any transaction:
// they are keyed by content, so copies an action ends up not using cost
// only space, and `airlock gc` takes them back.
func (s *Service) copyOnce(ctx context.Context, workspace string, done *[]staged, checked []staged) error {
	if *done != nil {
		return nil
	}
	released, err := s.released(ctx, workspace)
	if err != nil {
		return err
	}
	for i := range checked {
		id, found, err := s.copyFile(ctx, workspace, checked[i].file, released)
		if err != nil {
			return err
		}
		checked[i].fileID, checked[i].checks = id, found
	}
	*done = checked
	return nil
}

// copyFile copies a workspace file into the request store and runs the
// disclosure checks on its bytes (what would be released), comparing
// tables with the workspace's released files. The file is read once: the
// checks read the bytes as the copy reads them, on a goroutine of their
// own, so that an add takes about the longer of the copy and the checks.
// The copy must hash to what the manifest says: a job rewriting the file,
// or a manifest out of step with the disk, stops the add. The findings
// are never nil.
func (s *Service) copyFile(ctx context.Context, workspace string, wf domain.WorkspaceFile, released *releasedCopies) (string, []checks.Finding, error) {
	if s.blobs == nil {
		return "", nil, fmt.Errorf("service: no request file store configured")
	}
	src, err := s.workspaces.OpenFile(ctx, workspace, wf.Relpath)
	if err != nil {
		return "", nil, wrapStoreErr("service: open "+wf.Relpath, err)
	}
	defer src.Close()
	var found []checks.Finding
	check := func(r io.Reader) error {
		var err error
		found, err = s.runChecks(ctx, wf.Relpath, r, released)
		return err
	}
	id, _, err := s.blobs.Put(ctx, workspace, src, wf.ContentHash, blobstore.WithReader(check))
	if errors.Is(err, blobstore.ErrHashMismatch) {
		return "", nil, domain.Errorf(domain.ErrPolicy, "%s does not match the workspace manifest (its content hash differs): was it changed after its job finished? Nothing was added", wf.Relpath)
	}
	if errors.Is(err, blobstore.ErrFull) {
		// The person is told what happened and whom to tell; the cause
		// (which folder, which error) stays in the chain for the log.
		return "", nil, fmt.Errorf("%w: %w", domain.Errorf(domain.ErrInsufficientStorage,
			"%s could not be copied: the request store is full, so nothing was added. Tell the people who run airlock: it needs more space. Then try again", wf.Relpath), err)
	}
	if err != nil {
		return "", nil, wrapStoreErr("service: copy "+wf.Relpath, err)
	}
	return id, found, nil
}

// ensureGroup creates the group on the request if it is new.
func (c *change) ensureGroup(name string) error {
	if _, ok := c.r.Group(name); ok {
		return nil
	}
	g := domain.Group{Name: name, CreatedAt: c.now, UpdatedAt: c.now}
	if err := c.tx.CreateGroup(c.ctx, c.r.ID, g); err != nil {
		return fmt.Errorf("create group %q: %w", name, err)
	}
	c.r.Groups = append(c.r.Groups, g)
	return nil
}

func (c *change) insertFile(st staged, group string, event domain.EventType) error {
	wf := st.file
	f := domain.RequestFile{
		Relpath: wf.Relpath, Group: group, FileID: st.fileID, FileType: st.ft, Timestamp: wf.Timestamp,
		Size: wf.Size, JobID: wf.JobID, Commit: wf.Commit, Repo: wf.Repo, RowCount: wf.RowCount, ColCount: wf.ColCount,
		Checks: st.checks,
	}
	if err := c.tx.InsertFile(c.ctx, c.r.ID, f); err != nil {
		return fmt.Errorf("add %s: %w", wf.Relpath, err)
	}
	// Every version is kept, with who added it and when (a copy with the
	// content of the latest version is not a new version).
	v := domain.FileVersion{
		FileID: st.fileID, Size: wf.Size, Timestamp: wf.Timestamp, Commit: wf.Commit, JobID: wf.JobID,
		AddedBy: c.user, AddedAt: c.now,
	}
	if _, err := c.tx.AddFileVersion(c.ctx, c.r.ID, wf.Relpath, v); err != nil {
		return fmt.Errorf("add %s: %w", wf.Relpath, err)
	}
	return c.audit(event, wf.Relpath, map[string]string{"group": group, "filetype": string(st.ft)})
}

// replaceFile swaps a file on the request for a new copy: its votes go
// (each vote reset is audited), the old row goes, the new one comes in,
// and the whole is one REQUEST_FILE_UPDATE event. (The reference also
// logs a REQUEST_FILE_WITHDRAW for the old row; the file was never
// withdrawn, so airlock does not say it was.) The old copy stays as the
// file's previous version.
func (c *change) replaceFile(old domain.RequestFile, st staged, group string) error {
	if err := c.deleteFile(old, true); err != nil {
		return err
	}
	return c.insertFile(st, group, domain.EventRequestFileUpdate)
}

// deleteFile removes a file row after its votes (audited when audit).
func (c *change) deleteFile(f domain.RequestFile, audit bool) error {
	if audit {
		if err := c.resetVotes(f); err != nil {
			return err
		}
	} else {
		for name := range f.Reviews {
			if err := c.tx.DeleteReview(c.ctx, c.r.ID, f.Relpath, name); err != nil {
				return fmt.Errorf("delete vote on %s: %w", f.Relpath, err)
			}
		}
	}
	if err := c.tx.DeleteFile(c.ctx, c.r.ID, f.Relpath); err != nil {
		return fmt.Errorf("delete %s: %w", f.Relpath, err)
	}
	return nil
}

// resetVotes deletes every vote on a file, each with its audit event.
func (c *change) resetVotes(f domain.RequestFile) error {
	for _, name := range sortedKeys(f.Reviews) {
		if err := c.tx.DeleteReview(c.ctx, c.r.ID, f.Relpath, name); err != nil {
			return fmt.Errorf("reset vote on %s: %w", f.Relpath, err)
		}
		extra := map[string]string{"group": f.Group, "filetype": string(f.FileType), "reviewer": name}
		if err := c.audit(domain.EventRequestFileResetReview, f.Relpath, extra); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
