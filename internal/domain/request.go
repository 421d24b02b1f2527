package domain

import (
	"iter"
	"slices"
	"strings"
	"time"
)

// FileType says what a file on a request is for. Values are persisted.
type FileType string

const (
	// FileOutput is reviewed and released.
	FileOutput FileType = "OUTPUT"
	// FileSupporting gives reviewers context; never voted on or released.
	FileSupporting FileType = "SUPPORTING"
	// FileWithdrawn was withdrawn from a returned request; kept for history.
	FileWithdrawn FileType = "WITHDRAWN"
)

// ParseFileType accepts the file types a user may choose.
func ParseFileType(s string) (FileType, error) {
	switch FileType(s) {
	case FileOutput, FileSupporting:
		return FileType(s), nil
	}
	return "", Errorf(ErrInvalidInput, "The file type must be OUTPUT (an output) or SUPPORTING (a supporting file), not %q.", s)
}

// Vote is one output checker's verdict on one file. Values are persisted.
type Vote string

const (
	VoteApproved         Vote = "APPROVED"
	VoteChangesRequested Vote = "CHANGES_REQUESTED"
	// VoteUndecided is set only by the system, when a request with changes
	// requested is resubmitted.
	VoteUndecided Vote = "UNDECIDED"
)

// ParseVote accepts the votes a user may cast.
func ParseVote(s string) (Vote, error) {
	switch Vote(s) {
	case VoteApproved, VoteChangesRequested:
		return Vote(s), nil
	}
	return "", Errorf(ErrInvalidInput, "The vote must be APPROVED or CHANGES_REQUESTED, not %q.", s)
}

// Decision is the combined outcome of the votes on a file.
type Decision string

const (
	DecisionIncomplete       Decision = "INCOMPLETE"
	DecisionApproved         Decision = "APPROVED"
	DecisionConflicted       Decision = "CONFLICTED"
	DecisionChangesRequested Decision = "CHANGES_REQUESTED"
)

// Visibility says who may read a comment. Values are persisted.
type Visibility string

const (
	// VisibilityPublic: everyone, once the turn allows it.
	VisibilityPublic Visibility = "PUBLIC"
	// VisibilityPrivate: output checkers only.
	VisibilityPrivate Visibility = "PRIVATE"
)

// ParseVisibility accepts PUBLIC or PRIVATE.
func ParseVisibility(s string) (Visibility, error) {
	switch Visibility(s) {
	case VisibilityPublic, VisibilityPrivate:
		return Visibility(s), nil
	}
	return "", Errorf(ErrInvalidInput, "The visibility must be PUBLIC (all users) or PRIVATE (output checkers only), not %q.", s)
}

// Review is one checker's vote on one file.
type Review struct {
	Reviewer   string
	Vote       Vote
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ReviewTurn int
}

// RequestFile is a file on a request: an immutable copy of a workspace file
// taken when it was added, identified by the sha256 of its bytes.
type RequestFile struct {
	Relpath   string
	Group     string
	FileID    string // sha256 hex of the copied bytes
	FileType  FileType
	Timestamp float64 // the workspace file's modification time, seconds
	Size      int64
	JobID     string
	Commit    string
	Repo      string
	RowCount  *int
	ColCount  *int
	Reviews   map[string]Review // by reviewer

	ReleasedAt        *time.Time
	ReleasedBy        string
	Uploaded          bool
	UploadedAt        *time.Time
	UploadAttempts    int
	UploadAttemptedAt *time.Time
	// UploadNextAt is when a file not yet uploaded is next due for an
	// attempt (nil: due now, never tried); UploadError is why its last
	// attempt failed ("" when none failed since the last success).
	UploadNextAt *time.Time
	UploadError  string

	// Checks are the findings of the disclosure checks, run on the copy
	// when it was added or updated. Never nil once stored.
	Checks []Finding
	// Override, when set, is the author's written justification for
	// submitting the file despite its blocking findings.
	Override *ChecksOverride
}

// ChecksOverride is an author's justification for submitting a file
// whose disclosure checks found blocking problems.
type ChecksOverride struct {
	Justification string    `json:"justification"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// BlockingChecks returns the file's findings of blocking severity.
func (f RequestFile) BlockingChecks() []Finding {
	var out []Finding
	for _, c := range f.Checks {
		if c.Severity == SeverityBlocking {
			out = append(out, c)
		}
	}
	return out
}

// Blocked says whether the file stops its request's submission: an
// output file with blocking findings that the author has not overridden.
func (f RequestFile) Blocked() bool {
	return f.FileType == FileOutput && f.Override == nil && len(f.BlockingChecks()) > 0
}

// Comment is a note on a file group.
type Comment struct {
	ID         int64
	Group      string
	Text       string
	Author     string
	Visibility Visibility
	ReviewTurn int
	CreatedAt  time.Time
}

// Group gathers files that share context and disclosure controls.
type Group struct {
	Name      string
	Context   string
	Controls  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultGroup is the group files go to when none is named.
const DefaultGroup = "default"

// Request is a release request with everything on it.
type Request struct {
	ID              string
	Workspace       string
	Project         string
	Organisations   []string
	Author          string
	CreatedAt       time.Time
	LastSubmittedAt *time.Time
	Status          Status
	ReviewTurn      int
	// SubmittedReviews holds the reviews submitted in the current turn.
	SubmittedReviews map[string]time.Time
	// TurnReviewers are those who submitted a review in the previous turn.
	TurnReviewers []string
	// Version increases with every change; writes are guarded by it.
	Version int64

	Groups   []Group       // by name
	Files    []RequestFile // by relpath
	Comments []Comment     // newest first
}

// ShortID is the abbreviated id shown in lists.
func ShortID(id string) string {
	if len(id) <= 9 {
		return id
	}
	return id[:3] + "..." + id[len(id)-6:]
}

// File returns the file at relpath, if the request has it.
func (r *Request) File(relpath string) (*RequestFile, bool) {
	for i := range r.Files {
		if r.Files[i].Relpath == relpath {
			return &r.Files[i], true
		}
	}
	return nil, false
}

// Group returns the group with this exact name, if the request has it.
func (r *Request) Group(name string) (*Group, bool) {
	for i := range r.Groups {
		if r.Groups[i].Name == name {
			return &r.Groups[i], true
		}
	}
	return nil, false
}

// GroupFold returns the group whose name matches case-insensitively.
func (r *Request) GroupFold(name string) (*Group, bool) {
	for i := range r.Groups {
		if strings.EqualFold(r.Groups[i].Name, name) {
			return &r.Groups[i], true
		}
	}
	return nil, false
}

// GroupFiles returns the files of a group, in path order.
func (r *Request) GroupFiles(group string) []RequestFile {
	var out []RequestFile
	for _, f := range r.Files {
		if f.Group == group {
			out = append(out, f)
		}
	}
	return out
}

// OutputFiles returns the files to be reviewed and released.
func (r *Request) OutputFiles() []RequestFile {
	var out []RequestFile
	for _, f := range r.Files {
		if f.FileType == FileOutput {
			out = append(out, f)
		}
	}
	return out
}

// outputs yields the output files in place, in path order: what
// OutputFiles lists, without copying a big request's files.
func (r *Request) outputs() iter.Seq[*RequestFile] {
	return func(yield func(*RequestFile) bool) {
		for i := range r.Files {
			if r.Files[i].FileType == FileOutput && !yield(&r.Files[i]) {
				return
			}
		}
	}
}

// hasOutputs reports whether the request has an output file.
func (r *Request) hasOutputs() bool {
	for range r.outputs() {
		return true
	}
	return false
}

// groupFiles yields the files of a group in place, in path order: what
// GroupFiles lists, without copying.
func (r *Request) groupFiles(group string) iter.Seq[*RequestFile] {
	return func(yield func(*RequestFile) bool) {
		for i := range r.Files {
			if r.Files[i].Group == group && !yield(&r.Files[i]) {
				return
			}
		}
	}
}

// GroupComments returns a group's comments, newest first.
func (r *Request) GroupComments(group string) []Comment {
	var out []Comment
	for _, c := range r.Comments {
		if c.Group == group {
			out = append(out, c)
		}
	}
	return out
}

// IsEmpty reports whether a group has no output and no supporting files.
func (r *Request) IsEmpty(group string) bool {
	for f := range r.groupFiles(group) {
		if f.FileType == FileOutput || f.FileType == FileSupporting {
			return false
		}
	}
	return true
}

// IsIncomplete reports whether a non-empty group lacks context or controls.
func (r *Request) IsIncomplete(group string) bool {
	g, ok := r.Group(group)
	if !ok || r.IsEmpty(group) {
		return false
	}
	return strings.TrimSpace(g.Context) == "" || strings.TrimSpace(g.Controls) == ""
}

// IncompleteGroups lists the names of the incomplete groups.
func (r *Request) IncompleteGroups() []string {
	var out []string
	for _, g := range r.Groups {
		if r.IsIncomplete(g.Name) {
			out = append(out, g.Name)
		}
	}
	return out
}

// HasSubmittedReview reports whether the user submitted a review this turn.
func (r *Request) HasSubmittedReview(username string) bool {
	_, ok := r.SubmittedReviews[username]
	return ok
}

// SubmittedReviewers returns the reviewers of the current turn, sorted.
func (r *Request) SubmittedReviewers() []string {
	out := make([]string, 0, len(r.SubmittedReviews))
	for u := range r.SubmittedReviews {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}
