package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Values the API uses in its documents.
const (
	// File kinds of a workspace entry.
	KindFile = "file"
	KindDir  = "dir"

	// File types of a request file.
	FileTypeOutput     = "OUTPUT"
	FileTypeSupporting = "SUPPORTING"

	// Votes on a request file.
	VoteApproved         = "APPROVED"
	VoteChangesRequested = "CHANGES_REQUESTED"

	// Comment visibilities.
	VisibilityPublic  = "PUBLIC"
	VisibilityPrivate = "PRIVATE"

	// Error codes of an APIError.
	CodeInvalidInput      = "invalid_input"
	CodeUnauthenticated   = "unauthenticated"
	CodePermissionDenied  = "permission_denied"
	CodeNotFound          = "not_found"
	CodeInvalidTransition = "invalid_transition"
	CodePolicy            = "policy"
	CodeTooLarge          = "too_large"
	// CodeUnavailable: the database (or job-server) cannot be reached
	// just now (503); trying again shortly may work.
	CodeUnavailable = "unavailable"
	// CodeInsufficientStorage: the server's request store is full (507);
	// trying again helps only once its operator has freed space.
	CodeInsufficientStorage = "insufficient_storage"
)

// TokenResponse is the answer to POST /api/v1/auth/token.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      TokenUser `json:"user"`
}

// TokenUser is the user a new API token belongs to.
type TokenUser struct {
	Username      string `json:"username"`
	Fullname      string `json:"fullname"`
	OutputChecker bool   `json:"output_checker"`
}

// User is the answer to GET /api/v1/me: the caller and their workspaces.
type User struct {
	Username            string                   `json:"username"`
	Fullname            string                   `json:"fullname"`
	OutputChecker       bool                     `json:"output_checker"`
	ReadonlyAccess      bool                     `json:"readonly_access,omitempty"`
	Workspaces          map[string]WorkspaceInfo `json:"workspaces"`
	CopilotedWorkspaces map[string]WorkspaceInfo `json:"copiloted_workspaces"`
}

// WorkspaceInfo is what a user document says about one workspace.
type WorkspaceInfo struct {
	ProjectDetails ProjectDetails `json:"project_details"`
	Archived       bool           `json:"archived"`
}

// ProjectDetails describes the project a workspace belongs to.
type ProjectDetails struct {
	Name    string   `json:"name"`
	Ongoing bool     `json:"ongoing"`
	Orgs    []string `json:"orgs"`
}

// Workspace is one entry of GET /api/v1/workspaces.
type Workspace struct {
	Name           string  `json:"name"`
	Project        string  `json:"project"`
	Archived       bool    `json:"archived"`
	Ongoing        bool    `json:"ongoing"`
	CurrentRequest *string `json:"current_request"`
	// Unavailable says why the workspace cannot be browsed (its manifest
	// is broken); nil when it can.
	Unavailable *string `json:"unavailable"`
}

// FileEntry is a file or folder of a workspace, as GET
// /api/v1/workspaces/{ws}/files/{path...} answers it. Children is set only
// on the folder that was asked for.
type FileEntry struct {
	Path      string      `json:"path"`
	Kind      string      `json:"kind"`
	Size      int64       `json:"size"`
	Timestamp *FileTime   `json:"timestamp"`
	SHA256    string      `json:"sha256"`
	Status    string      `json:"status"`
	Children  []FileEntry `json:"children,omitempty"`
}

// IsDir reports whether the entry is a folder.
func (f FileEntry) IsDir() bool { return f.Kind == KindDir }

// FileTime is a workspace file's modification time. The API writes times as
// RFC 3339; a JSON number is also accepted and read as seconds since the
// epoch, the form workspace manifests keep.
type FileTime struct{ time.Time }

// UnmarshalJSON reads an RFC 3339 string, a number of seconds or null.
func (t *FileTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		return t.Time.UnmarshalJSON(b)
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("timestamp %s is neither an RFC 3339 time nor a number of seconds", b)
	}
	whole, frac := math.Modf(secs)
	t.Time = time.Unix(int64(whole), int64(frac*1e9)).UTC()
	return nil
}

// AddFile is one file to put into a request.
type AddFile struct {
	Path     string `json:"path"`
	FileType string `json:"filetype"`
}

// Request is the request document. Summaries (GET /api/v1/requests) are
// the same document without groups.
type Request struct {
	ID               string               `json:"id"`
	Workspace        string               `json:"workspace"`
	Author           string               `json:"author"`
	Status           string               `json:"status"`
	ReviewTurn       int                  `json:"review_turn"`
	CreatedAt        time.Time            `json:"created_at"`
	LastSubmittedAt  *time.Time           `json:"last_submitted_at"`
	SubmittedReviews map[string]time.Time `json:"submitted_reviews"`
	Groups           []Group              `json:"groups,omitempty"`
}

// Group returns the request's group of that name.
func (r Request) Group(name string) (Group, bool) {
	for _, g := range r.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// Group is a file group of a request.
type Group struct {
	Name     string        `json:"name"`
	Context  string        `json:"context"`
	Controls string        `json:"controls"`
	Files    []RequestFile `json:"files"`
	Comments []Comment     `json:"comments"`
}

// RequestFile is a file of a request group.
type RequestFile struct {
	Path       string     `json:"path"`
	FileType   string     `json:"filetype"`
	SHA256     string     `json:"sha256"`
	Size       int64      `json:"size"`
	RowCount   *int64     `json:"row_count"`
	ColCount   *int64     `json:"col_count"`
	JobID      string     `json:"job_id"`
	Decision   string     `json:"decision"`
	MyVote     *string    `json:"my_vote"`
	ReleasedAt *time.Time `json:"released_at"`
	UploadedAt *time.Time `json:"uploaded_at"`
}

// Comment is a comment on a request group.
type Comment struct {
	ID         int64     `json:"id"`
	Author     string    `json:"author"`
	Text       string    `json:"text"`
	Visibility string    `json:"visibility"`
	ReviewTurn int       `json:"review_turn"`
	CreatedAt  time.Time `json:"created_at"`
}

// Event is an audit log event.
type Event struct {
	Type      string         `json:"type"`
	User      string         `json:"user"`
	Workspace string         `json:"workspace"`
	Request   string         `json:"request"`
	Path      string         `json:"path"`
	Extra     map[string]any `json:"extra"`
	CreatedAt time.Time      `json:"created_at"`
}

// RequestFilter selects requests for GET /api/v1/requests; zero fields do
// not filter.
type RequestFilter struct {
	Workspace string
	Status    []string
	Author    string
	// Review asks for the requests the caller can review.
	Review bool
}

// FileVersion is one version of a request file.
type FileVersion struct {
	Version int       `json:"version"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
	JobID   string    `json:"job_id"`
	Commit  string    `json:"commit"`
}

// Diff is what changed in a request file between two of its versions
// (GET /api/v1/requests/{id}/diff/{path}). Lists are bounded; the totals
// count everything.
type Diff struct {
	Path     string        `json:"path"`
	From     FileVersion   `json:"from"`
	To       FileVersion   `json:"to"`
	Kind     string        `json:"kind"` // csv, text or binary
	Same     bool          `json:"same"`
	TooLarge bool          `json:"too_large"`
	CSV      *CSVDiff      `json:"csv"`
	Text     *TextDiff     `json:"text"`
	Versions []FileVersion `json:"versions"`
	Reviewed *string       `json:"reviewed"`
}

// CSVDiff is the diff of two versions of a CSV table.
type CSVDiff struct {
	HeaderChanged    bool      `json:"header_changed"`
	OldHeader        []string  `json:"old_header"`
	NewHeader        []string  `json:"new_header"`
	ColumnsAdded     []string  `json:"columns_added"`
	ColumnsRemoved   []string  `json:"columns_removed"`
	MatchedBy        []string  `json:"matched_by"`
	RowsAdded        []CSVRow  `json:"rows_added"`
	RowsAddedTotal   int       `json:"rows_added_total"`
	RowsRemoved      []CSVRow  `json:"rows_removed"`
	RowsRemovedTotal int       `json:"rows_removed_total"`
	Cells            []CSVCell `json:"cells"`
	CellsTotal       int       `json:"cells_total"`
	Truncated        bool      `json:"truncated"`
}

// CSVRow is a row only one version has.
type CSVRow struct {
	Row   int      `json:"row"`
	Cells []string `json:"cells"`
}

// CSVCell is a changed cell.
type CSVCell struct {
	Row      int    `json:"row"`
	OldRow   int    `json:"old_row"`
	Col      string `json:"col"`
	ColIndex int    `json:"col_index"`
	Old      string `json:"old"`
	New      string `json:"new"`
}

// TextDiff is a unified line diff.
type TextDiff struct {
	Unified      string `json:"unified"`
	LinesAdded   int    `json:"lines_added"`
	LinesRemoved int    `json:"lines_removed"`
	MoreLines    int    `json:"more_lines"`
	Truncated    bool   `json:"truncated"`
}
