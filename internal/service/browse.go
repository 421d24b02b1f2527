package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/airlock-go/airlock/internal/domain"
)

// WorkspaceSummary is a workspace as a user sees it in a list.
type WorkspaceSummary struct {
	Name string
	Info domain.WorkspaceInfo
	// CurrentRequest is the id of the user's active request, if any.
	CurrentRequest string
	// Unavailable says why the workspace cannot be browsed (its manifest
	// is missing, broken or cannot be read just now); "" when it can, or
	// when the list did not look (see VisibleWorkspaces).
	Unavailable string
}

// availabilityWorkers bounds how many workspaces' manifests a list reads
// at once (each read waits at most the workspace disk's time bound).
const availabilityWorkers = 8

// VisibleWorkspaces lists, by name, the workspaces the user may see that
// this backend has (domain.User.ListedWorkspaces): their roles and
// copiloted workspaces, or every workspace for output checkers and
// read-only support staff. Each workspace of the user's roles or
// copiloted workspaces says whether it can be browsed, its manifest read
// (and parsed once per change, as browsing it would); the others, which
// output checkers and support staff see only through that access, are not
// read (that would parse every manifest of the backend): a broken one says
// so when it is opened.
func (s *Service) VisibleWorkspaces(ctx context.Context, u domain.User) ([]WorkspaceSummary, error) {
	onBackend, err := s.workspaces.Workspaces(ctx)
	var diskDown string
	if errors.Is(err, domain.ErrUnavailable) && ctx.Err() == nil {
		// The workspace disk does not answer: the user's own workspaces
		// are listed, each unavailable with the reason, rather than the
		// page failing.
		diskDown = unavailableReason("", err)
		s.log.WarnContext(ctx, "listing the workspaces: the workspace folder does not answer", "err", err)
		onBackend, err = nil, nil
		for _, m := range []map[string]domain.WorkspaceInfo{u.Workspaces, u.CopilotedWorkspaces} {
			for name := range m {
				onBackend = append(onBackend, name)
			}
		}
	}
	if err != nil {
		return nil, wrapStoreErr("service: list workspaces", err)
	}
	names := u.ListedWorkspaces(onBackend)
	out := make([]WorkspaceSummary, 0, len(names))
	var own []int // the user's role and copiloted workspaces, to read
	for _, name := range names {
		ws := WorkspaceSummary{Name: name, Info: u.WorkspaceInfo(name), Unavailable: diskDown}
		if u.HasRole(name) {
			r, err := s.CurrentRequest(ctx, u, name)
			if err != nil {
				return nil, err
			}
			if r != nil {
				ws.CurrentRequest = r.ID
			}
		}
		_, role := u.Workspaces[name]
		_, copiloted := u.CopilotedWorkspaces[name]
		if (role || copiloted) && diskDown == "" {
			own = append(own, len(out))
		}
		out = append(out, ws)
	}
	if err := s.markUnavailable(ctx, out, own); err != nil {
		return nil, err
	}
	return out, nil
}

// markUnavailable reads the manifest of each workspace of list at the
// indexes idx, a few at once, and says in the list why any cannot be
// browsed. A workspace the disk does not answer for is unavailable too,
// and the rest of the list is shown; only the caller's going away stops
// it.
func (s *Service) markUnavailable(ctx context.Context, list []WorkspaceSummary, idx []int) error {
	sem := make(chan struct{}, availabilityWorkers)
	var wg sync.WaitGroup
	for _, i := range idx {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := s.workspaces.TreeInfo(ctx, list[i].Name)
			if err != nil && ctx.Err() == nil {
				list[i].Unavailable = unavailableReason(list[i].Name, err)
				var de *domain.Error
				if !errors.As(err, &de) {
					s.log.ErrorContext(ctx, "reading a workspace's manifest for a list", "workspace", list[i].Name, "err", err)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// unavailableReason is what a list says of a workspace whose tree could
// not be read: the reader's message when it says why (a missing or broken
// manifest, a disk that did not answer), without the "workspace NAME is
// unavailable: " the list already says, else a plain sentence (the cause
// is logged, not shown).
func unavailableReason(name string, err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return strings.TrimPrefix(de.Msg, "workspace "+name+" is unavailable: ")
	}
	return "its files cannot be read just now"
}

// BrowseEntry is an entry of a workspace with its status for the viewer
// (files only).
type BrowseEntry struct {
	domain.WorkspaceEntry
	Status domain.WorkspaceFileStatus
}

// BrowseWorkspace returns what is at a path of a workspace for the user:
// a file with its status, or a folder with its entries. Paths outside the
// valid tree are not found.
// WorkspaceTree describes the current valid tree of a workspace the user
// may see: pages send its manifest hash back to tell whether the tree
// changed since they were loaded.
func (s *Service) WorkspaceTree(ctx context.Context, u domain.User, workspace string) (domain.WorkspaceTreeInfo, error) {
	if err := u.CheckViewWorkspace(workspace); err != nil {
		return domain.WorkspaceTreeInfo{}, err
	}
	info, err := s.workspaces.TreeInfo(ctx, workspace)
	if err != nil {
		return info, wrapStoreErr("service: workspace tree", err)
	}
	return info, nil
}

func (s *Service) BrowseWorkspace(ctx context.Context, u domain.User, workspace, relpath string, showOutOfDate bool) (BrowseEntry, []BrowseEntry, error) {
	if err := u.CheckViewWorkspace(workspace); err != nil {
		return BrowseEntry{}, nil, err
	}
	entry, err := s.workspaces.Stat(ctx, workspace, relpath)
	if err != nil {
		return BrowseEntry{}, nil, wrapStoreErr("service: browse", err)
	}
	if !entry.Valid {
		return BrowseEntry{}, nil, domain.Errorf(domain.ErrNotFound, "Workspace %s has no file or folder %s.", workspace, relpath)
	}
	status, err := s.FileStatuses(ctx, u, workspace)
	if err != nil {
		return BrowseEntry{}, nil, err
	}
	if !entry.Dir {
		return BrowseEntry{WorkspaceEntry: entry, Status: status(entry.WorkspaceFile)}, nil, nil
	}
	items, err := s.workspaces.List(ctx, workspace, entry.Relpath, showOutOfDate)
	if err != nil {
		return BrowseEntry{}, nil, wrapStoreErr("service: browse", err)
	}
	children := make([]BrowseEntry, len(items))
	for i, it := range items {
		children[i] = BrowseEntry{WorkspaceEntry: it}
		if !it.Dir {
			children[i].Status = status(it.WorkspaceFile)
		}
	}
	return BrowseEntry{WorkspaceEntry: entry}, children, nil
}

// DownloadRequestFile opens the stored copy of a request file for an
// output checker who is not the request's author, and audits the
// download.
func (s *Service) DownloadRequestFile(ctx context.Context, u domain.User, id, relpath string) (*os.File, domain.RequestFile, error) {
	return s.openRequestFile(ctx, u, id, relpath, true)
}

// ViewRequestFile opens the stored copy of a request file for anyone who
// may see the request, and audits the view.
func (s *Service) ViewRequestFile(ctx context.Context, u domain.User, id, relpath string) (*os.File, domain.RequestFile, error) {
	return s.openRequestFile(ctx, u, id, relpath, false)
}

// openRequestFile audits a view or download of a request file (refused
// when the user may not) and opens its stored copy.
func (s *Service) openRequestFile(ctx context.Context, u domain.User, id, relpath string, download bool) (*os.File, domain.RequestFile, error) {
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return nil, domain.RequestFile{}, err
	}
	f, ok := r.File(relpath)
	if !ok {
		return nil, domain.RequestFile{}, domain.Errorf(domain.ErrNotFound, "%s is not a file of this request.", relpath)
	}
	if err := s.RecordRequestFileView(ctx, u, id, relpath, download); err != nil {
		return nil, domain.RequestFile{}, err
	}
	fh, err := s.blobs.Open(r.Workspace, f.FileID)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, domain.RequestFile{}, fmt.Errorf("service: the stored copy of %s in request %s is missing: %w", relpath, id, err)
	}
	if err != nil {
		return nil, domain.RequestFile{}, fmt.Errorf("service: open copy of %s: %w", relpath, err)
	}
	return fh, *f, nil
}

// ViewWorkspaceFile opens a file of a workspace for a user who may see the
// workspace, and audits the view. Workspace files are only ever viewed,
// never downloaded.
func (s *Service) ViewWorkspaceFile(ctx context.Context, u domain.User, workspace, relpath string) (File, domain.WorkspaceEntry, error) {
	if err := u.CheckViewWorkspace(workspace); err != nil {
		return nil, domain.WorkspaceEntry{}, err
	}
	entry, err := s.workspaces.Stat(ctx, workspace, relpath)
	if err != nil {
		return nil, domain.WorkspaceEntry{}, wrapStoreErr("service: view", err)
	}
	if !entry.Valid || entry.Dir {
		return nil, domain.WorkspaceEntry{}, domain.Errorf(domain.ErrNotFound, "Workspace %s has no file %s.", workspace, relpath)
	}
	// Open before recording the view: a file that cannot be opened (a
	// link, a FIFO) was not viewed, and the audit log must not say it was.
	f, err := s.workspaces.OpenFile(ctx, workspace, entry.Relpath)
	if err != nil {
		return nil, domain.WorkspaceEntry{}, wrapStoreErr("service: view", err)
	}
	if err := s.RecordWorkspaceFileView(ctx, u, workspace, entry.Relpath); err != nil {
		f.Close()
		return nil, domain.WorkspaceEntry{}, err
	}
	return f, entry, nil
}
