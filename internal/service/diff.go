package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/airlock-go/airlock/internal/diff"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// What a diff's from (and to) may name besides a version.
const (
	// DiffFromReviewed: the version the user last voted on.
	DiffFromReviewed = "reviewed"
	// DiffFromPrevious: the version before the one compared to.
	DiffFromPrevious = "previous"
	// DiffToCurrent: the file's current version.
	DiffToCurrent = "current"
)

// MaxDiffSize is the largest version (in bytes) compared line by line or
// cell by cell: larger versions are compared as binary files (size, date
// and hash), so that a diff never holds more than a few hundred MB.
const MaxDiffSize = 32 << 20

// FileDiff is what changed in a request file between two of its versions.
type FileDiff struct {
	Path     string
	Kind     diff.Kind
	From, To domain.FileVersion
	// Versions are all the file's versions, oldest first.
	Versions []domain.FileVersion
	// Reviewed is the version the user last voted on, nil if they never
	// voted on the file.
	Reviewed *domain.ReviewedVersion
	// TooLarge: a version is larger than MaxDiffSize, so the contents
	// were not compared (Kind is binary).
	TooLarge bool
	CSV      *diff.CSV  // for Kind csv
	Text     *diff.Text // for Kind text
}

// Same reports whether the two versions have the same content.
func (d *FileDiff) Same() bool { return d.From.FileID == d.To.FileID }

// FileVersions returns a request file's versions, oldest first, and the
// version the user last voted on (nil if none), for anyone who may view
// the request. The file must be on the request.
func (s *Service) FileVersions(ctx context.Context, u domain.User, id, relpath string) ([]domain.FileVersion, *domain.ReviewedVersion, error) {
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return nil, nil, err
	}
	return s.fileVersions(ctx, u, r, relpath)
}

func (s *Service) fileVersions(ctx context.Context, u domain.User, r *domain.Request, relpath string) ([]domain.FileVersion, *domain.ReviewedVersion, error) {
	if _, ok := r.File(relpath); !ok {
		return nil, nil, domain.Errorf(domain.ErrNotFound, "file %s is not on request %s", relpath, r.ID)
	}
	versions, err := s.store.FileVersions(ctx, r.ID, relpath)
	if err != nil {
		return nil, nil, wrapStoreErr("service: versions", err)
	}
	var reviewed *domain.ReviewedVersion
	rv, err := s.store.ReviewedVersion(ctx, r.ID, relpath, u.Username)
	switch {
	case err == nil:
		reviewed = &rv
	case !errors.Is(err, store.ErrNotFound):
		return nil, nil, wrapStoreErr("service: reviewed version", err)
	}
	return versions, reviewed, nil
}

// ChangedSinceReviewed reports whether the user voted on an earlier
// version of a request file than its current one: the file was updated
// since they looked.
func (s *Service) ChangedSinceReviewed(ctx context.Context, u domain.User, r *domain.Request, relpath string) (bool, error) {
	f, ok := r.File(relpath)
	if !ok {
		return false, nil
	}
	rv, err := s.store.ReviewedVersion(ctx, r.ID, relpath, u.Username)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, wrapStoreErr("service: reviewed version", err)
	}
	return rv.FileID != f.FileID, nil
}

// DiffFile compares two versions of a request file, for anyone who may
// view the request. from is "reviewed" (the version the user last voted
// on; the default), "previous" (the version before to), a version number
// ("2" or "v2") or a sha256 (or its first 8 or more hex digits); to is
// "current" (the default) or a version the same way.
func (s *Service) DiffFile(ctx context.Context, u domain.User, id, relpath, from, to string) (*FileDiff, error) {
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return nil, err
	}
	versions, reviewed, err := s.fileVersions(ctx, u, r, relpath)
	if err != nil {
		return nil, err
	}
	if len(versions) == 0 {
		return nil, domain.Errorf(domain.ErrNotFound, "no versions of %s are recorded", relpath)
	}
	d := &FileDiff{Path: relpath, Versions: versions, Reviewed: reviewed}

	to = strings.TrimSpace(to)
	if to == "" || strings.EqualFold(to, DiffToCurrent) {
		d.To = versions[len(versions)-1]
	} else if d.To, err = findVersion(versions, relpath, to, "to"); err != nil {
		return nil, err
	}
	switch from = strings.TrimSpace(from); {
	case from == "" || strings.EqualFold(from, DiffFromReviewed):
		if reviewed == nil {
			return nil, domain.Errorf(domain.ErrNotFound,
				"you have not voted on %s, so there is no version you reviewed to compare with; give a version instead (1 to %d)", relpath, len(versions))
		}
		if d.From, err = findVersion(versions, relpath, reviewed.FileID, "from"); err != nil {
			return nil, err
		}
	case strings.EqualFold(from, DiffFromPrevious):
		if d.To.Ordinal <= 1 {
			return nil, domain.Errorf(domain.ErrNotFound, "version %d of %s is its first: there is no previous version", d.To.Ordinal, relpath)
		}
		d.From = versions[0]
		for _, v := range versions {
			if v.Ordinal == d.To.Ordinal-1 {
				d.From = v
			}
		}
	default:
		if d.From, err = findVersion(versions, relpath, from, "from"); err != nil {
			return nil, err
		}
	}

	d.Kind = diff.KindOf(relpath)
	if d.Kind == diff.KindBinary {
		return d, nil
	}
	if d.From.Size > MaxDiffSize || d.To.Size > MaxDiffSize {
		d.Kind, d.TooLarge = diff.KindBinary, true
		return d, nil
	}
	if err := s.compare(r.Workspace, d); err != nil {
		return nil, err
	}
	return d, nil
}

// compare reads both versions' copies and diffs them; a CSV that is not
// valid CSV is compared as text.
func (s *Service) compare(workspace string, d *FileDiff) error {
	run := func(fn func(a, b io.Reader) error) error {
		a, err := s.blobs.Open(workspace, d.From.FileID)
		if err != nil {
			return fmt.Errorf("service: diff %s: open version %d: %w", d.Path, d.From.Ordinal, err)
		}
		defer a.Close()
		b, err := s.blobs.Open(workspace, d.To.FileID)
		if err != nil {
			return fmt.Errorf("service: diff %s: open version %d: %w", d.Path, d.To.Ordinal, err)
		}
		defer b.Close()
		return fn(io.LimitReader(a, MaxDiffSize+1), io.LimitReader(b, MaxDiffSize+1))
	}
	text := func(a, b io.Reader) error {
		t, err := diff.CompareText(a, b, diff.DefaultLimits)
		if err != nil {
			return fmt.Errorf("service: diff %s: %w", d.Path, err)
		}
		d.Kind, d.Text = diff.KindText, t
		return nil
	}
	if d.Kind == diff.KindCSV {
		err := run(func(a, b io.Reader) error {
			c, err := diff.CompareCSV(a, b, diff.DefaultLimits)
			if err != nil {
				return err
			}
			d.CSV = c
			return nil
		})
		if !errors.Is(err, diff.ErrNotCSV) {
			if err != nil {
				return fmt.Errorf("service: diff %s: %w", d.Path, err)
			}
			return nil
		}
	}
	return run(text)
}

// findVersion finds the version a person named, or says which exist.
func findVersion(versions []domain.FileVersion, relpath, ref, which string) (domain.FileVersion, error) {
	if v, ok := domain.FindVersion(versions, ref); ok {
		return v, nil
	}
	if len(ref) > 80 {
		ref = ref[:80] + "…"
	}
	n := len(versions)
	if n == 1 {
		return domain.FileVersion{}, domain.Errorf(domain.ErrNotFound,
			"%s has no version %q (%s): it has one version, 1", relpath, ref, which)
	}
	return domain.FileVersion{}, domain.Errorf(domain.ErrNotFound,
		"%s has no version %q (%s): its versions are 1 to %d, or give a version's sha256 (at least its first 8 characters)", relpath, ref, which, n)
}

// ViewFileVersion opens the stored copy of one version of a request file
// (named as DiffFile's to is), for anyone who may view the request, and
// audits the view.
func (s *Service) ViewFileVersion(ctx context.Context, u domain.User, id, relpath, ref string) (*os.File, domain.FileVersion, error) {
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return nil, domain.FileVersion{}, err
	}
	versions, _, err := s.fileVersions(ctx, u, r, relpath)
	if err != nil {
		return nil, domain.FileVersion{}, err
	}
	v, err := findVersion(versions, relpath, ref, "version")
	if err != nil {
		return nil, domain.FileVersion{}, err
	}
	if err := s.RecordRequestFileView(ctx, u, id, relpath, false); err != nil {
		return nil, domain.FileVersion{}, err
	}
	fh, err := s.blobs.Open(r.Workspace, v.FileID)
	if err != nil {
		return nil, domain.FileVersion{}, fmt.Errorf("service: open version %d of %s: %w", v.Ordinal, relpath, err)
	}
	return fh, v, nil
}

// RequestVersions returns the versions of every file of a request the
// user may view, by path, each oldest first.
func (s *Service) RequestVersions(ctx context.Context, u domain.User, r *domain.Request) (map[string][]domain.FileVersion, error) {
	if err := r.CheckView(u); err != nil {
		return nil, err
	}
	out, err := s.store.RequestVersions(ctx, r.ID)
	if err != nil {
		return nil, wrapStoreErr("service: versions", err)
	}
	return out, nil
}
