package service

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/airlock-go/airlock/internal/diff"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/gitrepo"
)

// CodeRepos reads studies' repositories at a commit, fetching a missing
// commit when it can (package gitrepo). Commits and paths are checked by
// it as well as here.
type CodeRepos interface {
	// Entry is what is at a path: a folder with its entries, or a file,
	// link or submodule.
	Entry(ctx context.Context, repoURL, commit, relpath string) (domain.CodeEntry, []domain.CodeEntry, error)
	// Read returns a file's bytes (refusing links, submodules and files
	// too large to show).
	Read(ctx context.Context, repoURL, commit, relpath string) ([]byte, domain.CodeEntry, error)
}

// CodeView is what is at a path of a workspace's repository at a commit.
type CodeView struct {
	Workspace string
	RepoURL   string
	Repo      string // its name: the last segment of RepoURL
	Commit    string
	Entry     domain.CodeEntry
	Children  []domain.CodeEntry // of a folder
}

// Title is the code browser's title, <repo>@<commit[:7]>.
func (v CodeView) Title() string { return v.Repo + "@" + domain.ShortCommit(v.Commit) }

// codeRepo is the repository of a workspace the user may see: the
// manifest's repo.
func (s *Service) codeRepo(ctx context.Context, u domain.User, ws, commit string) (CodeView, error) {
	if err := u.CheckViewWorkspace(ws); err != nil {
		return CodeView{}, err
	}
	if err := domain.CheckCommit(commit); err != nil {
		return CodeView{}, err
	}
	if s.code == nil {
		return CodeView{}, domain.Errorf(domain.ErrNotFound, "The code browser is not set up on this server.")
	}
	info, err := s.workspaces.TreeInfo(ctx, ws)
	if err != nil {
		return CodeView{}, wrapStoreErr("service: code", err)
	}
	_, name, err := domain.RepoPath(info.Repo)
	if err != nil {
		return CodeView{}, err
	}
	return CodeView{Workspace: ws, RepoURL: info.Repo, Repo: name, Commit: commit}, nil
}

// BrowseCode returns what is at a path of a workspace's repository at a
// commit, for a user who may see the workspace (output checkers may see
// every workspace, so reviewers of its requests may). A commit missing
// from the code folder is fetched first when a remote is configured.
func (s *Service) BrowseCode(ctx context.Context, u domain.User, ws, commit, relpath string) (CodeView, error) {
	v, err := s.codeRepo(ctx, u, ws, commit)
	if err != nil {
		return v, err
	}
	v.Entry, v.Children, err = s.code.Entry(ctx, v.RepoURL, commit, relpath)
	if err != nil {
		return v, wrapStoreErr("service: browse code", err)
	}
	return v, nil
}

// ReadCode returns a file of a workspace's repository at a commit, for a
// user who may see the workspace.
func (s *Service) ReadCode(ctx context.Context, u domain.User, ws, commit, relpath string) ([]byte, CodeView, error) {
	v, err := s.codeRepo(ctx, u, ws, commit)
	if err != nil {
		return nil, v, err
	}
	b, e, err := s.code.Read(ctx, v.RepoURL, commit, relpath)
	v.Entry = e
	if err != nil {
		return nil, v, wrapStoreErr("service: read code", err)
	}
	return b, v, nil
}

// CodeCause is the code that produced an output: the action of
// project.yaml that wrote it, at the commit its job ran, and the scripts
// its run line names.
type CodeCause struct {
	CodeView
	Action gitrepo.Action
	// Found: project.yaml at the commit has the action. When not, Problem
	// says why (no action recorded, no project.yaml, not YAML).
	Found   bool
	Problem string
	// Scripts are the files the run line names that are in the
	// repository at the commit; Missing those that are not.
	Scripts, Missing []string
}

// WorkspaceFileCause is the cause of a workspace file, for a user who
// may see the workspace.
func (s *Service) WorkspaceFileCause(ctx context.Context, u domain.User, ws, relpath string) (*CodeCause, error) {
	if err := u.CheckViewWorkspace(ws); err != nil {
		return nil, err
	}
	wf, err := s.workspaces.File(ctx, ws, relpath)
	if err != nil {
		return nil, wrapStoreErr("service: file cause", err)
	}
	if !wf.Valid {
		return nil, domain.Errorf(domain.ErrNotFound, "Workspace %s has no file %s.", ws, relpath)
	}
	return s.causeAt(ctx, u, ws, wf.Commit, wf.Action)
}

// causeAt finds an action and its scripts at a commit.
func (s *Service) causeAt(ctx context.Context, u domain.User, ws, commit, action string) (*CodeCause, error) {
	v, err := s.codeRepo(ctx, u, ws, commit)
	if err != nil {
		return nil, err
	}
	c := &CodeCause{CodeView: v, Action: gitrepo.Action{Name: action}}
	if action == "" {
		c.Problem = "The manifest does not say which action wrote this file."
		return c, nil
	}
	a, err := s.findAction(ctx, v, commit, action)
	if err != nil {
		if !explainable(err) {
			return nil, err
		}
		c.Problem = domain.Message(err)
		return c, nil
	}
	c.Action, c.Found = a, true
	for _, p := range domain.ActionScripts(a.Run) {
		if e, _, err := s.code.Entry(ctx, v.RepoURL, commit, p); err == nil && e.Kind == domain.CodeFile {
			c.Scripts = append(c.Scripts, p)
		} else {
			c.Missing = append(c.Missing, p)
		}
	}
	return c, nil
}

// findAction reads project.yaml at a commit and finds the action.
func (s *Service) findAction(ctx context.Context, v CodeView, commit, action string) (gitrepo.Action, error) {
	b, _, err := s.code.Read(ctx, v.RepoURL, commit, "project.yaml")
	if err != nil {
		return gitrepo.Action{}, wrapStoreErr("service: read project.yaml", err)
	}
	a, ok, err := gitrepo.FindAction(b, action)
	if err != nil {
		return a, domain.Errorf(domain.ErrInvalidInput, "%s", err.Error())
	}
	if !ok {
		return a, domain.Errorf(domain.ErrNotFound, "project.yaml at commit %s has no action %s.", domain.ShortCommit(commit), action)
	}
	return a, nil
}

// explainable: an error a person is told on the page rather than a fault.
func explainable(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) || errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrInvalidInput) || errors.Is(err, domain.ErrUnavailable)
}

// CodeChange is how one file of the code changed between two commits.
type CodeChange struct {
	Path string
	// State is "changed", "added", "removed" or "unchanged"; Problem, when
	// set, says why the file could not be compared (too large, a link).
	State   string
	Problem string
	Text    *diff.Text
}

// CodeChanges is what changed in an output's code between the commit of
// the version a checker voted on and the commit of its current version.
type CodeChanges struct {
	Workspace        string
	Repo             string
	Action           string
	From, To         string // commits
	FromVersion, ToV int    // version numbers
	Files            []CodeChange
	Problem          string // why the code could not be compared
}

// Changed reports whether any file compared changed.
func (c *CodeChanges) Changed() bool {
	for _, f := range c.Files {
		if f.State != "unchanged" {
			return true
		}
	}
	return false
}

// RequestFileCause is the cause of a request file (its current version's
// commit, the action the workspace's manifest names for its path), and,
// when the user voted on a version produced at another commit, what
// changed in project.yaml and the action's scripts since (nil when not).
func (s *Service) RequestFileCause(ctx context.Context, u domain.User, id, relpath string) (*CodeCause, *CodeChanges, error) {
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return nil, nil, err
	}
	f, ok := r.File(relpath)
	if !ok {
		return nil, nil, domain.Errorf(domain.ErrNotFound, "%s is not a file of this request.", relpath)
	}
	action := ""
	if wf, err := s.workspaces.File(ctx, r.Workspace, relpath); err == nil && wf.Valid {
		action = wf.Action
	}
	cause, err := s.causeAt(ctx, u, r.Workspace, f.Commit, action)
	if err != nil {
		return nil, nil, err
	}
	versions, reviewed, err := s.fileVersions(ctx, u, r, relpath)
	if err != nil || reviewed == nil || len(versions) == 0 {
		return cause, nil, err
	}
	var from domain.FileVersion
	for _, v := range versions {
		if v.FileID == reviewed.FileID {
			from = v // the latest version with those bytes
		}
	}
	to := versions[len(versions)-1]
	if from.Ordinal == 0 || from.Commit == to.Commit || from.FileID == to.FileID {
		return cause, nil, nil
	}
	ch := &CodeChanges{Workspace: r.Workspace, Repo: cause.Repo, Action: action, From: from.Commit, To: to.Commit, FromVersion: from.Ordinal, ToV: to.Ordinal}
	if domain.CheckCommit(from.Commit) != nil {
		ch.Problem = "The version you reviewed does not record a commit."
		return cause, ch, nil
	}
	paths := []string{"project.yaml"}
	if action != "" {
		scripts := map[string]bool{}
		for _, c := range []string{from.Commit, to.Commit} {
			if a, err := s.findAction(ctx, cause.CodeView, c, action); err == nil {
				for _, p := range domain.ActionScripts(a.Run) {
					if !scripts[p] {
						scripts[p] = true
						paths = append(paths, p)
					}
				}
			}
		}
	}
	for _, p := range paths {
		c, err := s.compareCode(ctx, cause.RepoURL, from.Commit, to.Commit, p)
		if err != nil {
			if !explainable(err) {
				return nil, nil, err
			}
			ch.Problem = domain.Message(err)
			return cause, ch, nil
		}
		ch.Files = append(ch.Files, c)
	}
	return cause, ch, nil
}

// compareCode compares one file of the repository at two commits.
func (s *Service) compareCode(ctx context.Context, repoURL, from, to, p string) (CodeChange, error) {
	read := func(commit string) ([]byte, bool, string, error) {
		b, _, err := s.code.Read(ctx, repoURL, commit, p)
		switch {
		case err == nil:
			return b, true, "", nil
		case errors.Is(err, domain.ErrNotFound) && strings.Contains(domain.Message(err), "has no file or folder"):
			return nil, false, "", nil
		case errors.Is(err, domain.ErrInvalidInput):
			return nil, true, domain.Message(err), nil
		}
		return nil, false, "", err
	}
	a, aok, aprob, err := read(from)
	if err != nil {
		return CodeChange{}, err
	}
	b, bok, bprob, err := read(to)
	if err != nil {
		return CodeChange{}, err
	}
	c := CodeChange{Path: p}
	switch {
	case !aok && !bok:
		c.State = "unchanged"
		c.Problem = "not in the repository at either commit"
		return c, nil
	case !aok:
		c.State = "added"
	case !bok:
		c.State = "removed"
	case aprob != "" || bprob != "":
		c.State, c.Problem = "changed", aprob+bprob
		return c, nil
	case bytes.Equal(a, b):
		c.State = "unchanged"
		return c, nil
	default:
		c.State = "changed"
	}
	t, err := diff.CompareText(bytes.NewReader(a), bytes.NewReader(b), diff.DefaultLimits)
	if err != nil {
		c.Problem = "it is not text: " + err.Error()
		return c, nil
	}
	c.Text = t
	return c, nil
}

// CodeActionAt finds an action of project.yaml at a commit and the
// scripts its run line names, for a user who may see the workspace.
func (s *Service) CodeActionAt(ctx context.Context, u domain.User, ws, commit, action string) (*CodeCause, error) {
	return s.causeAt(ctx, u, ws, commit, action)
}

// HasCode reports whether the code browser is set up: pages offer its
// links only then.
func (s *Service) HasCode() bool { return s.code != nil }
