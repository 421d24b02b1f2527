// Package schedule creates release requests without a person at the
// keyboard: the `airlock request create` command, and the daily job that
// creates the requests listed in regular_release_requests.json (README,
// "Scripted and regular requests").
//
// A request is built from folders of a workspace: each folder becomes a
// group named after it ("/" → "-"), and every file of the valid tree
// beneath it is added as an output file, or as a supporting file when it
// is listed as one. Supporting files are added to every group the run
// fills, even when it has no new output files (docs/lifecycle.md,
// decision 11).
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/workspace"
)

// Spec says what request to create.
type Spec struct {
	// Username is the author. Empty: the user recorded in the manifest for
	// the most recently written output among the files under Dirs.
	Username  string
	Workspace string
	// Dirs are the workspace folders whose files go on the request, one
	// group per folder.
	Dirs []string
	// SupportingFiles are paths (under Dirs) to add as supporting files
	// instead of output files.
	SupportingFiles []string
	// Context and Controls are set on every group of the run that exists
	// on the request; an empty one leaves the group's current text.
	Context, Controls string
	// Submit submits the request once the files are on it.
	Submit bool
}

// Result says what a run did.
type Result struct {
	// Completed is false when the run had nothing to do: the request is
	// under review already, or every file has been released.
	Completed bool
	// RequestID is the user's current request; empty when they have none
	// and the run created none.
	RequestID string
	Message   string
}

// The messages of runs that had nothing to do.
const (
	MsgAlreadySubmitted = "Already submitted"
	MsgAlreadyReleased  = "Already released"
)

// UserSource finds the user a request is created for. auth.Login
// implements it, refreshing the cached user from job-server when stale and
// fetching from job-server one who never logged in. An unknown user is an
// error wrapping domain.ErrNotFound whose message says so.
type UserSource interface {
	Author(ctx context.Context, username string) (domain.User, error)
}

// Creator creates release requests on behalf of their authors. It is safe
// for concurrent use.
type Creator struct {
	svc   *service.Service
	ws    *workspace.Reader
	users UserSource
	log   *slog.Logger
}

// NewCreator builds a Creator; log may be nil (slog.Default()).
func NewCreator(svc *service.Service, ws *workspace.Reader, users UserSource, log *slog.Logger) *Creator {
	if log == nil {
		log = slog.Default()
	}
	return &Creator{svc: svc, ws: ws, users: users, log: log}
}

// group is what one folder of a spec contributes to the request.
type group struct {
	dir  string
	name string // the folder's path, "/" → "-"
	// files are the valid-tree files beneath dir, in tree order.
	files []domain.WorkspaceFile

	outputs, supporting []string // to add
	released, onRequest int      // output files that need nothing
	unaddable           []unaddable
}

type unaddable struct{ path, reason string }

// done reports whether every releasable output file of the folder has
// been released: the folder has nothing left to review.
func (g *group) done() bool {
	return g.released > 0 && len(g.outputs) == 0 && g.onRequest == 0
}

// Create builds (or tops up) the author's current request for the
// workspace from the spec's folders, and submits it when asked.
func (c *Creator) Create(ctx context.Context, spec Spec) (Result, error) {
	groups, supporting, err := c.plan(ctx, spec)
	if err != nil {
		return Result{}, err
	}
	username := spec.Username
	if username == "" {
		if username, err = c.manifestUser(ctx, spec.Workspace, groups); err != nil {
			return Result{}, err
		}
		c.log.InfoContext(ctx, "author taken from the manifest", "workspace", spec.Workspace, "user", username)
	}
	u, err := c.user(ctx, username)
	if err != nil {
		return Result{}, err
	}
	if err := u.CheckActionWorkspace(spec.Workspace); err != nil {
		return Result{}, fmt.Errorf("create request for %s in %s: %w", username, spec.Workspace, err)
	}

	cur, err := c.svc.CurrentRequest(ctx, u, spec.Workspace)
	if err != nil {
		return Result{}, fmt.Errorf("create request for %s in %s: %w", username, spec.Workspace, err)
	}
	if res, stop, err := checkCurrent(u, cur); stop || err != nil {
		if stop {
			c.log.InfoContext(ctx, "request already under review", "workspace", spec.Workspace, "user", username, "request", res.RequestID)
		}
		return res, err
	}

	stray, err := c.classify(ctx, u, spec, cur, groups, supporting)
	if err != nil {
		return Result{}, err
	}
	var bad []unaddable
	for _, g := range groups {
		for _, f := range g.unaddable {
			c.log.WarnContext(ctx, "file cannot be added to the request", "workspace", spec.Workspace,
				"path", f.path, "group", g.name, "reason", f.reason)
		}
		bad = append(bad, g.unaddable...)
	}
	for _, f := range stray {
		c.log.WarnContext(ctx, "supporting file cannot be added to the request", "workspace", spec.Workspace,
			"path", f.path, "reason", f.reason)
	}
	bad = append(bad, stray...)
	if len(bad) > 0 && spec.Submit {
		return Result{}, fmt.Errorf("create request for %s in %s: not submitting, %d file(s) cannot be added: %s",
			username, spec.Workspace, len(bad), describe(bad))
	}
	id := ""
	if cur != nil {
		id = cur.ID
	}
	if !slices.ContainsFunc(groups, func(g *group) bool { return !g.done() }) {
		c.log.InfoContext(ctx, "every file has been released already", "workspace", spec.Workspace, "user", username)
		return Result{Completed: false, RequestID: id, Message: MsgAlreadyReleased}, nil
	}

	added, nOut, nSup := 0, 0, 0
	for _, g := range groups {
		files := make([]service.AddFile, 0, len(g.outputs)+len(g.supporting))
		for _, p := range g.outputs {
			files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
		}
		if !g.done() {
			for _, p := range g.supporting {
				files = append(files, service.AddFile{Path: p, FileType: domain.FileSupporting})
			}
		}
		if len(files) == 0 {
			c.log.InfoContext(ctx, "no files to add for group", "workspace", spec.Workspace, "group", g.name,
				"on_request", g.onRequest, "released", g.released)
			continue
		}
		if cur == nil {
			// Created only now that there is something to put on it, so
			// that a run adding nothing leaves no empty request behind.
			if cur, err = c.svc.GetOrCreateRequest(ctx, u, spec.Workspace, true); err != nil {
				return Result{}, fmt.Errorf("create request for %s in %s: %w", username, spec.Workspace, err)
			}
			if res, stop, err := checkCurrent(u, cur); stop || err != nil {
				return res, err
			}
			id = cur.ID
			c.log.InfoContext(ctx, "using request", "workspace", spec.Workspace, "user", username, "request", id)
		}
		// Group names are unique ignoring case: a group of the request
		// named after this folder in another case (an earlier run's, or
		// one lower-cased before names kept their case) is this group.
		name := g.name
		if rg, ok := cur.GroupFold(name); ok {
			name = rg.Name
		}
		if cur, err = c.svc.AddFiles(ctx, u, spec.Workspace, name, files); err != nil {
			return Result{}, fmt.Errorf("add %d file(s) of %s to group %q of request %s: %w", len(files), g.dir, name, id, err)
		}
		added++
		nOut += len(g.outputs)
		nSup += len(files) - len(g.outputs)
		c.log.InfoContext(ctx, "files added", "workspace", spec.Workspace, "request", id, "group", g.name,
			"outputs", len(g.outputs), "supporting", len(files)-len(g.outputs))
	}
	if cur == nil {
		msg := "Nothing to add"
		if len(bad) > 0 {
			msg += fmt.Sprintf("; %d file(s) cannot be added: %s", len(bad), describe(bad))
		}
		return Result{Completed: false, Message: msg}, nil
	}

	if spec.Context != "" || spec.Controls != "" {
		if err := c.editGroups(ctx, u, id, groups, spec); err != nil {
			return Result{}, err
		}
	}
	var msg []string
	if added > 0 {
		msg = append(msg, fmt.Sprintf("Added %d output and %d supporting file(s) in %d group(s)", nOut, nSup, added))
	} else {
		msg = append(msg, "No new files to add")
	}
	if len(bad) > 0 {
		msg = append(msg, fmt.Sprintf("%d file(s) cannot be added: %s", len(bad), describe(bad)))
	}
	if spec.Submit {
		if _, err := c.svc.Submit(ctx, u, id); err != nil {
			return Result{}, fmt.Errorf("submit request %s: %w", id, err)
		}
		c.log.InfoContext(ctx, "request submitted", "workspace", spec.Workspace, "request", id)
		msg = append(msg, "submitted")
	}
	return Result{Completed: true, RequestID: id, Message: strings.Join(msg, "; ")}, nil
}

// checkCurrent stops a run on a request under review, and refuses one the
// author may not change.
func checkCurrent(u domain.User, r *domain.Request) (Result, bool, error) {
	if r == nil {
		return Result{}, false, nil
	}
	if r.Status.IsUnderReview() {
		return Result{Completed: false, RequestID: r.ID, Message: MsgAlreadySubmitted}, true, nil
	}
	if err := r.CheckEdit(u); err != nil {
		return Result{}, false, fmt.Errorf("request %s: %w", r.ID, err)
	}
	return Result{}, false, nil
}

// plan checks the spec and lists the files beneath each folder. A file
// beneath two of the folders belongs to the first. It returns the
// supporting files as clean paths.
func (c *Creator) plan(ctx context.Context, spec Spec) ([]*group, map[string]bool, error) {
	if spec.Workspace == "" {
		return nil, nil, domain.Errorf(domain.ErrInvalidInput, "a workspace is required")
	}
	if len(spec.Dirs) == 0 {
		return nil, nil, domain.Errorf(domain.ErrInvalidInput, "at least one folder (dirs) is required")
	}
	if _, err := c.ws.Tree(ctx, spec.Workspace); err != nil {
		return nil, nil, fmt.Errorf("workspace %s: %w", spec.Workspace, err)
	}
	supporting := map[string]bool{}
	for _, p := range spec.SupportingFiles {
		clean, err := workspace.CleanPath(p)
		if err != nil || clean == "" {
			return nil, nil, domain.Errorf(domain.ErrInvalidInput, "supporting file %q is not a valid workspace path", p)
		}
		supporting[clean] = true
	}
	seen := map[string]bool{}
	var groups []*group
	for _, d := range spec.Dirs {
		dir, err := workspace.CleanPath(d)
		if err != nil {
			return nil, nil, fmt.Errorf("folder %q: %w", d, err)
		}
		if dir == "" {
			return nil, nil, domain.Errorf(domain.ErrInvalidInput, "folder %q: name a folder of the workspace, not its root", d)
		}
		g := &group{dir: dir, name: strings.ReplaceAll(dir, "/", "-")}
		if _, err := domain.ResolveGroupName(nil, g.name); err != nil {
			return nil, nil, fmt.Errorf("folder %s: %w", dir, err)
		}
		entry, err := c.ws.Stat(ctx, spec.Workspace, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("folder %s of workspace %s: %w", dir, spec.Workspace, err)
		}
		if !entry.Valid || !entry.Dir {
			return nil, nil, domain.Errorf(domain.ErrNotFound, "workspace %s has no folder %s with outputs", spec.Workspace, dir)
		}
		all, err := c.walk(ctx, spec.Workspace, dir)
		if err != nil {
			return nil, nil, err
		}
		if len(all) == 0 {
			return nil, nil, domain.Errorf(domain.ErrNotFound, "folder %s of workspace %s holds no files", dir, spec.Workspace)
		}
		for _, f := range all {
			if !seen[f.Relpath] {
				seen[f.Relpath] = true
				g.files = append(g.files, f)
			}
		}
		groups = append(groups, g)
	}
	return groups, supporting, nil
}

// walk lists every file of the valid tree beneath dir, outputs of
// out-of-date actions included (as adding files sees them).
func (c *Creator) walk(ctx context.Context, ws, dir string) ([]domain.WorkspaceFile, error) {
	items, err := c.ws.List(ctx, ws, dir, true)
	if err != nil {
		return nil, fmt.Errorf("list folder %s of workspace %s: %w", dir, ws, err)
	}
	var out []domain.WorkspaceFile
	for _, it := range items {
		if it.Dir {
			sub, err := c.walk(ctx, ws, it.Relpath)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		} else if it.Valid {
			out = append(out, it.WorkspaceFile)
		}
	}
	return out, nil
}

// manifestUser is the user who ran the job that wrote the most recent
// output beneath the folders.
func (c *Creator) manifestUser(ctx context.Context, ws string, groups []*group) (string, error) {
	tree, err := c.ws.Tree(ctx, ws)
	if err != nil {
		return "", fmt.Errorf("workspace %s: %w", ws, err)
	}
	var latest *workspace.Output
	var latestPath string
	for _, g := range groups {
		for _, f := range g.files {
			n, ok := tree.Node(f.Relpath)
			if !ok || n.Output == nil {
				continue // a file under metadata/: not written by a job
			}
			if latest == nil || n.Output.Timestamp > latest.Timestamp {
				latest, latestPath = n.Output, f.Relpath
			}
		}
	}
	if latest == nil {
		return "", domain.Errorf(domain.ErrInvalidInput, "no user given, and no output of the manifest of workspace %s lies beneath the folders to name one", ws)
	}
	if latest.User == "" {
		return "", domain.Errorf(domain.ErrInvalidInput, "no user given, and the manifest of workspace %s records no user for its latest output %s", ws, latestPath)
	}
	return latest.User, nil
}

// user finds the author (UserSource).
func (c *Creator) user(ctx context.Context, username string) (domain.User, error) {
	u, err := c.users.Author(ctx, username)
	var de *domain.Error
	if errors.As(err, &de) {
		return domain.User{}, err
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("user %s: %w", username, err)
	}
	return u, nil
}

// classify sorts each folder's files: to add (as output or supporting
// files), released, on the request already, or impossible to add. It
// returns the supporting files that are not beneath any folder, which
// cannot be added.
func (c *Creator) classify(ctx context.Context, u domain.User, spec Spec, cur *domain.Request, groups []*group, supporting map[string]bool) ([]unaddable, error) {
	status, err := c.svc.FileStatuses(ctx, u, spec.Workspace)
	if err != nil {
		return nil, fmt.Errorf("file status in workspace %s: %w", spec.Workspace, err)
	}
	found := map[string]bool{}
	for _, g := range groups {
		for _, f := range g.files {
			ft := domain.FileOutput
			if supporting[f.Relpath] {
				ft = domain.FileSupporting
				found[f.Relpath] = true
			}
			st := status(f)
			err := domain.CheckAddable(f.Relpath, ft, st, cur)
			switch {
			case err == nil && ft == domain.FileSupporting:
				g.supporting = append(g.supporting, f.Relpath)
			case err == nil:
				g.outputs = append(g.outputs, f.Relpath)
			case ft == domain.FileSupporting:
				// Released or already on the request: nothing to do, and
				// no bearing on whether the folder has been released.
				if st != domain.WorkspaceFileReleased && st != domain.WorkspaceFileUnderReview {
					g.unaddable = append(g.unaddable, unaddable{f.Relpath, reason(st, err)})
				}
			case st == domain.WorkspaceFileReleased:
				g.released++
			case st == domain.WorkspaceFileUnderReview:
				g.onRequest++
			default:
				g.unaddable = append(g.unaddable, unaddable{f.Relpath, reason(st, err)})
			}
		}
	}
	var stray []unaddable
	for _, p := range slices.Sorted(maps.Keys(supporting)) {
		if !found[p] {
			stray = append(stray, unaddable{p, "listed as a supporting file, but not a file of the workspace beneath the folders"})
		}
	}
	return stray, nil
}

func reason(st domain.WorkspaceFileStatus, err error) string {
	if st == domain.WorkspaceFileUpdated {
		return "it changed in the workspace since it was put on the request; update it there"
	}
	return domain.Message(err)
}

// editGroups sets the spec's context and controls on the run's groups
// that exist on the request.
func (c *Creator) editGroups(ctx context.Context, u domain.User, id string, groups []*group, spec Spec) error {
	r, err := c.svc.GetRequest(ctx, u, id)
	if err != nil {
		return fmt.Errorf("reload request %s: %w", id, err)
	}
	done := map[string]bool{}
	for _, g := range groups {
		rg, ok := r.GroupFold(g.name)
		if !ok || done[rg.Name] {
			continue // nothing of this folder was ever added
		}
		done[rg.Name] = true
		gctx, controls := rg.Context, rg.Controls
		if spec.Context != "" {
			gctx = spec.Context
		}
		if spec.Controls != "" {
			controls = spec.Controls
		}
		if _, _, err := c.svc.EditGroup(ctx, u, id, rg.Name, gctx, controls); err != nil {
			return fmt.Errorf("set context and controls of group %q of request %s: %w", rg.Name, id, err)
		}
	}
	return nil
}

// describeMax bounds how many files a message names.
const describeMax = 5

// describe lists files that cannot be added, with why, for a message.
func describe(bad []unaddable) string {
	var parts []string
	for i, b := range bad {
		if i == describeMax {
			parts = append(parts, fmt.Sprintf("and %d more", len(bad)-describeMax))
			break
		}
		parts = append(parts, b.path+" ("+b.reason+")")
	}
	return strings.Join(parts, ", ")
}
