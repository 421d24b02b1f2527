package domain

import (
	"path"
	"strings"
)

// WorkspaceFileStatus is a workspace file's state as seen by one user,
// relative to their current request. Values are persisted and shown in the API.
type WorkspaceFileStatus string

const (
	WorkspaceFileUnreleased  WorkspaceFileStatus = "UNRELEASED"
	WorkspaceFileUnderReview WorkspaceFileStatus = "UNDER_REVIEW"
	WorkspaceFileReleased    WorkspaceFileStatus = "RELEASED"
	WorkspaceFileUpdated     WorkspaceFileStatus = "UPDATED"
	WorkspaceFileWithdrawn   WorkspaceFileStatus = "WITHDRAWN"
	WorkspaceFileInvalid     WorkspaceFileStatus = "INVALID"
)

// WorkspaceFile is a file of a workspace, with the metadata the job runner
// recorded in the manifest (or, for files under metadata/, read from disk).
type WorkspaceFile struct {
	Relpath     string
	Valid       bool // in the workspace's valid tree
	ContentHash string
	Size        int64
	Timestamp   float64
	JobID       string
	Commit      string
	Repo        string
	Action      string // the project.yaml action that wrote it
	RowCount    *int
	ColCount    *int
	// OutOfDateAction: the action that wrote it has changed since.
	OutOfDateAction bool
}

// WorkspaceEntry is a file or folder of a workspace's valid tree, as a
// file browser lists it.
type WorkspaceEntry struct {
	WorkspaceFile
	Name string
	Dir  bool
}

// FileStatus computes the status of a workspace file for a user whose
// current request is current (nil if none); released holds the content
// hashes of every released file of the workspace.
func FileStatus(f WorkspaceFile, released map[string]bool, current *Request) WorkspaceFileStatus {
	if !f.Valid {
		return WorkspaceFileInvalid
	}
	if released[f.ContentHash] {
		return WorkspaceFileReleased
	}
	if current != nil {
		if rf, ok := current.File(f.Relpath); ok {
			switch {
			case rf.FileType == FileWithdrawn:
				return WorkspaceFileWithdrawn
			case rf.FileID == f.ContentHash:
				return WorkspaceFileUnderReview
			default:
				return WorkspaceFileUpdated
			}
		}
	}
	return WorkspaceFileUnreleased
}

// AllowedExtensions are the file types that may be released.
func AllowedExtensions() []string {
	return []string{".csv", ".jpg", ".jpeg", ".png", ".svg", ".svgz", ".html", ".txt", ".log", ".json", ".md"}
}

// FileExt is a path's extension as matched against the allowed types.
func FileExt(relpath string) string { return path.Ext(relpath) }

// AllowedFileType reports whether the file at relpath may be added to a
// request: an allowed extension (exact, case-sensitive), and not a dot file.
func AllowedFileType(relpath string) bool {
	name := path.Base(relpath)
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, ext := range AllowedExtensions() {
		if strings.HasSuffix(name, ext) && len(name) > len(ext) {
			return true
		}
	}
	return false
}

// WorkspaceTreeInfo describes a workspace's valid tree as a whole.
type WorkspaceTreeInfo struct {
	// ManifestHash changes whenever the manifest does.
	ManifestHash string
	// OutOfDate counts the outputs of out-of-date actions, shown or not.
	OutOfDate int
	// Repo is the study's repository (the manifest's repo).
	Repo string
}
