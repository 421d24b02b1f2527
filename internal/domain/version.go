package domain

import (
	"strconv"
	"strings"
	"time"
)

// FileVersion is one version of a request file: a copy of the workspace
// file taken when it was added or updated. Versions of a path are
// numbered 1, 2, ... on their request, oldest first; every version's copy
// is kept (in the request store, under its sha256) as long as its request.
type FileVersion struct {
	Ordinal   int
	FileID    string // sha256 hex of the copy
	Size      int64
	Timestamp float64 // the workspace file's modification time, seconds
	Commit    string
	JobID     string
	AddedBy   string
	AddedAt   time.Time
}

// ReviewedVersion is the version of a file a reviewer last voted on. It
// outlives the vote itself, which updating the file resets.
type ReviewedVersion struct {
	Reviewer string
	FileID   string
	VotedAt  time.Time
}

// FindVersion finds a version of a file by what a person gave for it:
// its number ("2", or "v2") or its sha256 (whole, or at least its first
// 8 hex digits when they name one version only). ok is false when none
// (or more than one) matches.
func FindVersion(versions []FileVersion, ref string) (FileVersion, bool) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if n, err := strconv.Atoi(strings.TrimPrefix(ref, "v")); err == nil && len(ref) < 8 {
		for _, v := range versions {
			if v.Ordinal == n {
				return v, true
			}
		}
		return FileVersion{}, false
	}
	if len(ref) < 8 {
		return FileVersion{}, false
	}
	// A content may come back (v1 = A, v2 = B, v3 = A): its latest
	// version is the one meant.
	var found FileVersion
	for _, v := range versions {
		if !strings.HasPrefix(v.FileID, ref) {
			continue
		}
		if found.FileID != "" && found.FileID != v.FileID {
			return FileVersion{}, false // ambiguous
		}
		found = v
	}
	return found, found.FileID != ""
}

// ShortHash is the first 12 hex digits of a sha256, enough to tell
// versions apart on a page.
func ShortHash(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
