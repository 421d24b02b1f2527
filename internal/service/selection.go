package service

import (
	"context"
	"fmt"

	"github.com/airlock-go/airlock/internal/domain"
)

// Actions on many files of a request at once (the request folder page's
// multi-select). Each selected file is checked by the same domain rule as
// the action on one file, in the same words; the files the rule allows
// are changed together in one transaction, each with its audit event, and
// those it refuses are left as they were. The results say, file by file,
// what was done and why not. A refusal of the whole request (not the
// author, not editable now) is the error, and nothing is written.

// FileResult is what a bulk action did to one selected file: Err is nil
// when it was done, else the rule's refusal.
type FileResult struct {
	Path string
	Err  error
	// Unchanged: the file already was as asked (no error, nothing written).
	Unchanged bool
}

// Done returns the paths of the files the action changed.
func Done(results []FileResult) []string {
	var out []string
	for _, r := range results {
		if r.Err == nil && !r.Unchanged {
			out = append(out, r.Path)
		}
	}
	return out
}

// selected checks the selection before any lookup: at least one file,
// each path valid, none twice.
func selected(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, domain.Errorf(domain.ErrInvalidInput, "select at least one file")
	}
	return domain.UniquePaths(paths)
}

// WithdrawSelection withdraws the selected files that may be withdrawn
// (the rule of WithdrawFiles) and reports on every selected file.
func (s *Service) WithdrawSelection(ctx context.Context, u domain.User, id string, paths []string) (*domain.Request, []FileResult, error) {
	paths, err := selected(paths)
	if err != nil {
		return nil, nil, err
	}
	var results []FileResult
	r, err := s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckEdit(u); err != nil {
			return nil, err
		}
		results = results[:0]
		var ok []string
		for _, p := range paths {
			err := r.CheckWithdrawFile(u, p)
			results = append(results, FileResult{Path: p, Err: err})
			if err == nil {
				ok = append(ok, p)
			}
		}
		if len(ok) == 0 {
			return nil, nil
		}
		return func(c *change) error { return c.withdrawFiles(ok) }, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return r, results, nil
}

// MoveSelection moves the selected files to a group (an existing one, or
// a new one it creates), each keeping its type, by the rule of
// ChangeFileProperties; their votes are reset.
func (s *Service) MoveSelection(ctx context.Context, u domain.User, id string, paths []string, group string) (*domain.Request, []FileResult, error) {
	var name string
	return s.changeSelection(ctx, u, id, paths, func(r *domain.Request) error {
		var err error
		name, err = domain.ResolveGroupName(r, group)
		return err
	}, func(f domain.RequestFile) (string, domain.FileType) { return name, f.FileType })
}

// SetSelectionType makes the selected files output or supporting files,
// each staying in its group, by the rule of ChangeFileProperties; their
// votes are reset.
func (s *Service) SetSelectionType(ctx context.Context, u domain.User, id string, paths []string, ft domain.FileType) (*domain.Request, []FileResult, error) {
	return s.changeSelection(ctx, u, id, paths, func(*domain.Request) error { return nil },
		func(f domain.RequestFile) (string, domain.FileType) { return f.Group, ft })
}

// changeSelection changes the group and type of the selected files to
// what target says for each, after prepare has read the request.
func (s *Service) changeSelection(ctx context.Context, u domain.User, id string, paths []string,
	prepare func(*domain.Request) error, target func(domain.RequestFile) (string, domain.FileType)) (*domain.Request, []FileResult, error) {
	paths, err := selected(paths)
	if err != nil {
		return nil, nil, err
	}
	type move struct {
		path, group string
		ft          domain.FileType
	}
	var results []FileResult
	r, err := s.update(ctx, u, id, func(r *domain.Request) (func(*change) error, error) {
		if err := r.CheckEdit(u); err != nil {
			return nil, err
		}
		if err := prepare(r); err != nil {
			return nil, err
		}
		released, err := s.store.ReleasedFileIDs(ctx, r.Workspace)
		if err != nil {
			return nil, fmt.Errorf("service: change the selected files: %w", err)
		}
		results = results[:0]
		var ok []move
		for _, p := range paths {
			f, found := r.File(p)
			if !found {
				results = append(results, FileResult{Path: p, Err: r.CheckChangeProperties(u, p, "", domain.FileOutput, false)})
				continue
			}
			g, ft := target(*f)
			err := r.CheckChangeProperties(u, p, g, ft, released[f.FileID])
			unchanged := err == nil && r.PropertiesUnchanged(p, g, ft)
			results = append(results, FileResult{Path: p, Err: err, Unchanged: unchanged})
			if err == nil && !unchanged {
				ok = append(ok, move{p, g, ft})
			}
		}
		if len(ok) == 0 {
			return nil, nil
		}
		return func(c *change) error {
			for _, m := range ok {
				if err := c.ensureGroup(m.group); err != nil {
					return err
				}
				f, _ := c.r.File(m.path)
				if err := c.resetVotes(*f); err != nil {
					return err
				}
				if err := c.tx.SetFileProperties(c.ctx, c.r.ID, m.path, m.group, m.ft); err != nil {
					return fmt.Errorf("change properties of %s: %w", m.path, err)
				}
				if err := c.audit(domain.EventRequestFileUpdate, m.path, map[string]string{"group": m.group, "filetype": string(m.ft)}); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return r, results, nil
}
