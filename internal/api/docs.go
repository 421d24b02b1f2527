package api

import (
	"time"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
)

// The JSON documents of docs/api.md (Documents). Fields are only ever added.

type requestDoc struct {
	ID               string            `json:"id"`
	Workspace        string            `json:"workspace"`
	Project          string            `json:"project"`
	Organisations    []string          `json:"organisations"`
	Author           string            `json:"author"`
	Status           domain.Status     `json:"status"`
	ReviewTurn       int               `json:"review_turn"`
	CreatedAt        string            `json:"created_at"`
	LastSubmittedAt  *string           `json:"last_submitted_at"`
	SubmittedReviews map[string]string `json:"submitted_reviews"`
	Groups           []groupDoc        `json:"groups,omitempty"`
}

type groupDoc struct {
	Name     string       `json:"name"`
	Context  string       `json:"context"`
	Controls string       `json:"controls"`
	Files    []fileDoc    `json:"files"`
	Comments []commentDoc `json:"comments"`
}

type fileDoc struct {
	Path          string          `json:"path"`
	Group         string          `json:"group"`
	FileType      domain.FileType `json:"filetype"`
	SHA256        string          `json:"sha256"`
	Size          int64           `json:"size"`
	RowCount      *int            `json:"row_count"`
	ColCount      *int            `json:"col_count"`
	JobID         string          `json:"job_id"`
	Decision      domain.Decision `json:"decision"`
	MyVote        *domain.Vote    `json:"my_vote"`
	ReleasedAt    *string         `json:"released_at"`
	UploadedAt    *string         `json:"uploaded_at"`
	UploadFailing bool            `json:"upload_failing"`
	// The uploads of a released file: attempts so far, when the last was
	// made, why it failed (null when it did not), and, until the file is
	// uploaded, when the next is due (it backs off to an hour while
	// job-server fails).
	UploadAttempts      int     `json:"upload_attempts"`
	UploadAttemptedAt   *string `json:"upload_attempted_at"`
	UploadError         *string `json:"upload_error"`
	UploadNextAttemptAt *string `json:"upload_next_attempt_at"`
	// Checks are the disclosure checks' findings on the copy (README,
	// "Disclosure checks"); ChecksOverride the author's justification for
	// submitting despite blocking ones, or null.
	Checks         []checks.Finding `json:"checks"`
	ChecksOverride *overrideDoc     `json:"checks_override"`
	// Versions are every version of the file, oldest first (in the
	// answer of GET /requests/{id} only).
	Versions []versionDoc `json:"versions,omitempty"`
}

type overrideDoc struct {
	Justification string `json:"justification"`
	By            string `json:"by"`
	At            string `json:"at"`
}

type commentDoc struct {
	ID         int64             `json:"id"`
	Group      string            `json:"group"`
	Author     string            `json:"author"`
	Text       string            `json:"text"`
	Visibility domain.Visibility `json:"visibility"`
	ReviewTurn int               `json:"review_turn"`
	CreatedAt  string            `json:"created_at"`
}

type eventDoc struct {
	ID        int64             `json:"id"`
	Type      domain.EventType  `json:"type"`
	Label     string            `json:"label"`
	User      string            `json:"user"`
	Workspace string            `json:"workspace"`
	Request   *string           `json:"request"`
	Path      *string           `json:"path"`
	Extra     map[string]string `json:"extra"`
	CreatedAt string            `json:"created_at"`
}

type userDoc struct {
	Username            string                          `json:"username"`
	Fullname            string                          `json:"fullname"`
	OutputChecker       bool                            `json:"output_checker"`
	ReadonlyAccess      bool                            `json:"readonly_access"`
	Workspaces          map[string]domain.WorkspaceInfo `json:"workspaces,omitempty"`
	CopilotedWorkspaces map[string]domain.WorkspaceInfo `json:"copiloted_workspaces,omitempty"`
}

type workspaceDoc struct {
	Name           string  `json:"name"`
	Project        string  `json:"project"`
	Archived       bool    `json:"archived"`
	Ongoing        bool    `json:"ongoing"`
	CurrentRequest *string `json:"current_request"`
	// Unavailable says why the workspace cannot be browsed (its manifest
	// is missing or broken), null when it can.
	Unavailable *string `json:"unavailable"`
}

type entryDoc struct {
	Path      string                      `json:"path"`
	Kind      string                      `json:"kind"`
	Size      *int64                      `json:"size,omitempty"`
	Timestamp *string                     `json:"timestamp,omitempty"`
	SHA256    string                      `json:"sha256,omitempty"`
	Status    *domain.WorkspaceFileStatus `json:"status,omitempty"`
	// OutOfDate marks the output of an action that has changed since.
	OutOfDate bool `json:"out_of_date,omitempty"`
	// Checks are the disclosure checks' findings on a file (never on a
	// folder); ChecksError says why a file could not be checked.
	Checks      *[]checks.Finding `json:"checks,omitempty"`
	ChecksError string            `json:"checks_error,omitempty"`
}

type dirDoc struct {
	Path     string     `json:"path"`
	Kind     string     `json:"kind"`
	Children []entryDoc `json:"children"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// requestSummary is a request without its groups.
func requestSummary(r *domain.Request) requestDoc {
	reviews := map[string]string{}
	for name, at := range r.SubmittedReviews {
		reviews[name] = ts(at)
	}
	orgs := r.Organisations
	if orgs == nil {
		orgs = []string{}
	}
	return requestDoc{
		ID: r.ID, Workspace: r.Workspace, Project: r.Project, Organisations: orgs, Author: r.Author,
		Status: r.Status, ReviewTurn: r.ReviewTurn, CreatedAt: ts(r.CreatedAt),
		LastSubmittedAt: tsPtr(r.LastSubmittedAt), SubmittedReviews: reviews,
	}
}

// requestDocument is the whole request as viewer u may see it: decisions
// as u may know them, u's own votes, the comments u may read.
func requestDocument(r *domain.Request, u domain.User) requestDoc {
	d := requestSummary(r)
	d.Groups = make([]groupDoc, 0, len(r.Groups))
	// The files of each group, in path order as r has them: one pass over
	// a big request's files, not one per group.
	byGroup := make(map[string][]int, len(r.Groups))
	for i := range r.Files {
		byGroup[r.Files[i].Group] = append(byGroup[r.Files[i].Group], i)
	}
	for _, g := range r.Groups {
		d.Groups = append(d.Groups, groupDocumentOf(r, g, u, byGroup[g.Name]))
	}
	return d
}

func groupDocument(r *domain.Request, g domain.Group, u domain.User) groupDoc {
	var files []int
	for i := range r.Files {
		if r.Files[i].Group == g.Name {
			files = append(files, i)
		}
	}
	return groupDocumentOf(r, g, u, files)
}

// groupDocumentOf is the group g, whose files are r.Files[i] for i in
// files.
func groupDocumentOf(r *domain.Request, g domain.Group, u domain.User, files []int) groupDoc {
	gd := groupDoc{Name: g.Name, Context: g.Context, Controls: g.Controls, Files: make([]fileDoc, 0, len(files)), Comments: []commentDoc{}}
	for _, i := range files {
		gd.Files = append(gd.Files, fileDocument(r, r.Files[i], u))
	}
	for _, c := range r.VisibleComments(u, g.Name) {
		gd.Comments = append(gd.Comments, commentDocument(c))
	}
	return gd
}

func fileDocument(r *domain.Request, f domain.RequestFile, u domain.User) fileDoc {
	fd := fileDoc{
		Path: f.Relpath, Group: f.Group, FileType: f.FileType, SHA256: f.FileID, Size: f.Size,
		RowCount: f.RowCount, ColCount: f.ColCount, JobID: f.JobID, Decision: domain.DecisionIncomplete,
		ReleasedAt: tsPtr(f.ReleasedAt), UploadedAt: tsPtr(f.UploadedAt), UploadFailing: f.UploadFailing(),
		UploadAttempts: f.UploadAttempts, UploadAttemptedAt: tsPtr(f.UploadAttemptedAt),
		Checks: f.Checks,
	}
	if f.UploadError != "" && !f.Uploaded {
		fd.UploadError = &f.UploadError
	}
	if f.ReleasedAt != nil && !f.Uploaded {
		fd.UploadNextAttemptAt = tsPtr(f.UploadNextAt)
		if fd.UploadNextAttemptAt == nil {
			fd.UploadNextAttemptAt = tsPtr(f.ReleasedAt) // never tried: due since its release
		}
	}
	if fd.Checks == nil {
		fd.Checks = []checks.Finding{}
	}
	if o := f.Override; o != nil {
		fd.ChecksOverride = &overrideDoc{Justification: o.Justification, By: o.By, At: ts(o.At)}
	}
	if f.FileType == domain.FileOutput {
		fd.Decision = r.DecisionFor(f, u)
	}
	if rv, ok := f.Reviews[u.Username]; ok {
		v := rv.Vote
		fd.MyVote = &v
	}
	return fd
}

func commentDocument(c domain.Comment) commentDoc {
	return commentDoc{
		ID: c.ID, Group: c.Group, Author: c.Author, Text: c.Text, Visibility: c.Visibility,
		ReviewTurn: c.ReviewTurn, CreatedAt: ts(c.CreatedAt),
	}
}

func eventDocument(e domain.Event) eventDoc {
	extra := e.Extra
	if extra == nil {
		extra = map[string]string{}
	}
	return eventDoc{
		ID: e.ID, Type: e.Type, Label: e.Type.Label(), User: e.User, Workspace: e.Workspace,
		Request: strPtr(e.Request), Path: strPtr(e.Path), Extra: extra, CreatedAt: ts(e.CreatedAt),
	}
}

func userDocument(u domain.User) userDoc {
	return userDoc{
		Username: u.Username, Fullname: u.Fullname, OutputChecker: u.OutputChecker, ReadonlyAccess: u.ReadonlyAccess,
		Workspaces: u.Workspaces, CopilotedWorkspaces: u.CopilotedWorkspaces,
	}
}
