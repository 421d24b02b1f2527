package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// GCResult says what a GC run did.
type GCResult struct {
	// Removed counts the blobs and temporary files deleted.
	Removed int
	// Freed is the total size of what was deleted, in bytes.
	Freed int64
	// Kept counts the blobs and temporary files left in place: referenced,
	// or younger than the grace period.
	Kept int
	// Unknown lists, relative to the root, what is neither a workspace
	// folder, a blob nor a temporary file. GC never deletes these.
	Unknown []string
}

// GC deletes the blobs that no request references any more, and the
// temporary files left by interrupted copies.
//
// For each workspace folder under the root, referenced returns the set of
// blob hashes the database references for that workspace; it is called at
// most once per workspace, and only for those holding a blob older than the
// grace period. A blob is deleted when it is not in that set
// and its modification time is more than olderThan before now; a .tmp-*
// file when it is older than olderThan. The grace period protects the blobs
// that a Put has just stored (or found, and refreshed) for a database
// transaction that has not committed yet: olderThan must be longer than any
// add can take.
//
// GC stops at the first error (including ctx being done, or referenced
// failing) and returns what it did up to then.
func (s *Store) GC(ctx context.Context, referenced func(workspace string) (map[string]bool, error), olderThan time.Duration, now time.Time) (GCResult, error) {
	var res GCResult
	if olderThan < 0 {
		return res, fmt.Errorf("blobstore: gc: negative grace period %s", olderThan)
	}
	cutoff := now.Add(-olderThan)
	entries, err := fs.ReadDir(s.root.FS(), ".")
	if err != nil {
		return res, fmt.Errorf("blobstore: gc: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("blobstore: gc: %w", err)
		}
		name := e.Name()
		if !e.IsDir() || !ValidWorkspace(name) {
			res.Unknown = append(res.Unknown, name)
			continue
		}
		if err := s.gcWorkspace(ctx, name, referenced, cutoff, &res); err != nil {
			return res, fmt.Errorf("blobstore: gc %s: %w", name, err)
		}
	}
	return res, nil
}

func (s *Store) gcWorkspace(ctx context.Context, ws string, referenced func(string) (map[string]bool, error), cutoff time.Time, res *GCResult) error {
	entries, err := fs.ReadDir(s.root.FS(), ws)
	if err != nil {
		return err
	}
	var refs map[string]bool
	refsLoaded := false
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		rel := ws + "/" + name
		isBlob, isTemp := ValidHash(name), strings.HasPrefix(name, tmpPrefix)
		if !e.Type().IsRegular() || (!isBlob && !isTemp) {
			res.Unknown = append(res.Unknown, rel)
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone meanwhile (a Put renamed or removed its temporary file)
		}
		if err != nil {
			return err
		}
		if !info.ModTime().Before(cutoff) {
			res.Kept++
			continue
		}
		if isBlob {
			if !refsLoaded {
				if refs, err = referenced(ws); err != nil {
					return fmt.Errorf("referenced blobs: %w", err)
				}
				refsLoaded = true
			}
			if refs[name] {
				res.Kept++
				continue
			}
		}
		outcome, size, err := s.removeIfOld(ws, rel, cutoff)
		if err != nil {
			return err
		}
		switch outcome {
		case removed:
			res.Removed++
			res.Freed += size
		case kept:
			res.Kept++
		}
	}
	return nil
}

type gcOutcome int

const (
	gone    gcOutcome = iota // already gone
	removed                  // deleted now
	kept                     // young again (a Put reused it)
)

// removeIfOld deletes rel if it is still older than cutoff, holding the
// workspace folder's exclusive lock so that no Put is deciding at the same
// moment to reuse it (see commit).
func (s *Store) removeIfOld(ws, rel string, cutoff time.Time) (gcOutcome, int64, error) {
	d, err := s.root.Open(ws)
	if err != nil {
		return gone, 0, err
	}
	defer d.Close()
	if err := lockDir(d, true); err != nil {
		return gone, 0, fmt.Errorf("lock workspace folder: %w", err)
	}
	defer unlockDir(d)
	info, err := s.root.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return gone, 0, nil
	}
	if err != nil {
		return gone, 0, err
	}
	if !info.Mode().IsRegular() || !info.ModTime().Before(cutoff) {
		return kept, 0, nil
	}
	if err := s.root.Remove(rel); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return gone, 0, nil
		}
		return gone, 0, err
	}
	return removed, info.Size(), nil
}
