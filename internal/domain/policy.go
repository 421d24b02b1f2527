package domain

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// CanReview reports whether u may review this request: an output checker
// who is not its author.
func (r *Request) CanReview(u User) bool {
	return u.IsOutputChecker() && u.Username != r.Author
}

// CheckView refuses users who may not see the request.
func (r *Request) CheckView(u User) error {
	if !u.CanViewWorkspace(r.Workspace) {
		return Errorf(ErrPermissionDenied, "%s may not view requests of workspace %s", u.Username, r.Workspace)
	}
	return nil
}

func (r *Request) checkReviewer(u User) error {
	if !u.IsOutputChecker() {
		return Errorf(ErrPermissionDenied, "only output checkers may review requests")
	}
	if u.Username == r.Author {
		return Errorf(ErrPermissionDenied, "you cannot review your own request")
	}
	return nil
}

// CheckCurrentlyReview refuses users who may not act as a reviewer now.
func (r *Request) CheckCurrentlyReview(u User) error {
	if err := r.checkReviewer(u); err != nil {
		return err
	}
	if !r.Status.IsUnderReview() {
		return Errorf(ErrInvalidTransition, "request is %s, not under review", r.Status)
	}
	return nil
}

// CheckEdit refuses users who may not change the request's files or groups:
// only its author, on an active workspace, while the request is theirs.
func (r *Request) CheckEdit(u User) error {
	if u.Username != r.Author {
		return Errorf(ErrPermissionDenied, "only the author of a request may change it")
	}
	if err := u.CheckActionWorkspace(r.Workspace); err != nil {
		return err
	}
	if !r.Status.IsEditing() {
		return Errorf(ErrInvalidTransition, "request is %s and cannot be changed", r.Status)
	}
	return nil
}

// CheckStatus is the guard every status change passes: the state machine
// must allow the move, and the user must own the current status.
func (r *Request) CheckStatus(to Status, u User) error {
	if _, ok := FindTransition(r.Status, to); !ok {
		return Errorf(ErrInvalidTransition, "cannot change status from %s to %s", r.Status, to)
	}
	if err := u.checkNotReadOnly(); err != nil {
		return err
	}
	switch {
	case r.Status.Owner() == OwnerAuthor:
		if u.Username != r.Author {
			return Errorf(ErrPermissionDenied, "only the author may change the status of a %s request", r.Status)
		}
	case r.Status.Owner() == OwnerReviewer || r.Status == StatusApproved || r.Status == StatusRejected:
		if err := r.checkReviewer(u); err != nil {
			return err
		}
		if to == StatusApproved && !r.AllFilesApproved() {
			return Errorf(ErrPolicy, "request has unapproved files")
		}
	}
	return nil
}

// CheckSubmit refuses a submission (or resubmission) that is not ready.
func (r *Request) CheckSubmit(u User) error {
	if err := r.CheckStatus(StatusSubmitted, u); err != nil {
		return err
	}
	if err := u.CheckActionWorkspace(r.Workspace); err != nil {
		return err
	}
	if len(r.OutputFiles()) == 0 {
		return Errorf(ErrPolicy, "cannot submit with no output files")
	}
	if g := r.IncompleteGroups(); len(g) > 0 {
		return Errorf(ErrPolicy, "incomplete context and/or controls for %s", quoteList(g))
	}
	if g := r.GroupsMissingPublicComment(); len(g) > 0 {
		return Errorf(ErrPolicy, "please explain your changes in a public comment on %s", quoteList(g))
	}
	if b := r.BlockedFiles(); len(b) > 0 {
		return Errorf(ErrPolicy, "disclosure checks found blocking problems in %s: withdraw the files, or override the checks with a written justification", quoteList(b))
	}
	return nil
}

// BlockedFiles lists the output files whose blocking disclosure findings
// stop the request's submission.
func (r *Request) BlockedFiles() []string {
	var out []string
	for _, f := range r.Files {
		if f.Blocked() {
			out = append(out, f.Relpath)
		}
	}
	return out
}

// CheckOverrideChecks refuses the author's override of a file's blocking
// disclosure findings.
func (r *Request) CheckOverrideChecks(u User, relpath, justification string) error {
	if err := CheckLongText("the justification", justification); err != nil {
		return err
	}
	if err := r.CheckOverridable(u, relpath); err != nil {
		return err
	}
	if n := len(strings.TrimSpace(justification)); n < minJustification {
		return Errorf(ErrInvalidInput, "explain why %s is safe to release despite its checks (at least %d characters)", relpath, minJustification)
	}
	return nil
}

// CheckOverridable refuses an override of a file's checks for any reason
// but its justification: whether the author may override them now.
func (r *Request) CheckOverridable(u User, relpath string) error {
	f, err := r.editableFile(u, relpath)
	if err != nil {
		return err
	}
	if f.FileType != FileOutput {
		return Errorf(ErrPolicy, "only output files need their checks overridden: %s is %s", relpath, strings.ToLower(string(f.FileType)))
	}
	if len(f.BlockingChecks()) == 0 {
		return Errorf(ErrPolicy, "the disclosure checks found nothing blocking in %s", relpath)
	}
	if f.Override != nil {
		return Errorf(ErrPolicy, "the checks of %s are already overridden", relpath)
	}
	return nil
}

// minJustification is the shortest justification of an override.
const minJustification = 10

// CheckWithdraw refuses withdrawing the whole request.
func (r *Request) CheckWithdraw(u User) error { return r.CheckStatus(StatusWithdrawn, u) }

// CheckReject refuses rejecting the request.
func (r *Request) CheckReject(u User) error { return r.CheckStatus(StatusRejected, u) }

// CheckRelease refuses releasing the request's files. A release already
// APPROVED may be re-run, by an output checker who is not the author.
func (r *Request) CheckRelease(u User) error {
	if r.Status == StatusApproved {
		return r.checkReviewer(u)
	}
	return r.CheckStatus(StatusApproved, u)
}

// CheckVote refuses a vote on the file at relpath.
func (r *Request) CheckVote(u User, relpath string) error {
	if err := r.CheckCurrentlyReview(u); err != nil {
		return err
	}
	f, ok := r.File(relpath)
	if !ok {
		return Errorf(ErrNotFound, "file %s is not on this request", relpath)
	}
	if f.FileType != FileOutput {
		return Errorf(ErrPolicy, "only output files can be voted on; %s is %s", relpath, strings.ToLower(string(f.FileType)))
	}
	return nil
}

// CheckResetVote refuses taking back one's vote on a file.
func (r *Request) CheckResetVote(u User, relpath string) error {
	if err := r.CheckVote(u, relpath); err != nil {
		return err
	}
	if r.HasSubmittedReview(u.Username) {
		return Errorf(ErrPolicy, "cannot reset file from submitted review")
	}
	f, _ := r.File(relpath)
	if _, ok := f.Reviews[u.Username]; !ok {
		return Errorf(ErrNotFound, "you have not voted on %s", relpath)
	}
	return nil
}

// CheckSubmitReview refuses a review that is not finished.
func (r *Request) CheckSubmitReview(u User) error {
	if err := r.CheckCurrentlyReview(u); err != nil {
		return err
	}
	if r.HasSubmittedReview(u.Username) {
		return Errorf(ErrPolicy, "you have already submitted your review")
	}
	var unvoted []string
	for _, f := range r.OutputFiles() {
		if rv, ok := f.Reviews[u.Username]; !ok || rv.Vote == VoteUndecided {
			unvoted = append(unvoted, f.Relpath)
		}
	}
	if len(unvoted) > 0 {
		return Errorf(ErrPolicy, "you must approve or request changes on every output file before submitting your review (%d left: %s)", len(unvoted), strings.Join(unvoted, ", "))
	}
	if g := r.GroupsNeedingReviewerComment(u.Username); len(g) > 0 {
		return Errorf(ErrPolicy, "you must comment on %s, where you requested changes", quoteList(g))
	}
	return nil
}

// GroupsNeedingReviewerComment lists the groups where the reviewer asked
// for changes on a file but has not commented this turn.
func (r *Request) GroupsNeedingReviewerComment(reviewer string) []string {
	var out []string
	for _, g := range r.Groups {
		asked := slices.ContainsFunc(r.GroupFiles(g.Name), func(f RequestFile) bool {
			rv, ok := f.Reviews[reviewer]
			return f.FileType == FileOutput && ok && rv.Vote == VoteChangesRequested
		})
		if !asked {
			continue
		}
		commented := slices.ContainsFunc(r.GroupComments(g.Name), func(c Comment) bool {
			return c.Author == reviewer && c.ReviewTurn == r.ReviewTurn
		})
		if !commented {
			out = append(out, g.Name)
		}
	}
	return out
}

// IsEarlyReturn reports whether returning now would be an early return:
// fewer than two reviews submitted this turn.
func (r *Request) IsEarlyReturn() bool { return len(r.SubmittedReviews) < 2 }

// CheckReturn refuses returning the request to its author.
func (r *Request) CheckReturn(u User) error {
	if err := r.CheckStatus(StatusReturned, u); err != nil {
		return err
	}
	if g := r.GroupsMissingPublicComment(); len(g) > 0 {
		return Errorf(ErrPolicy, "before returning, add a public comment to %s explaining the changes needed", quoteList(g))
	}
	return nil
}

// CheckComment refuses commenting on the request's groups now. Users with
// no role on the workspace comment only as output checkers, while the
// request is under review; the author and other collaborators only while
// it is the author's; a checker with a role, on a request they did not
// write, at any time before it is final.
func (r *Request) CheckComment(u User) error {
	if err := r.CheckView(u); err != nil {
		return err
	}
	switch {
	case !u.HasRole(r.Workspace):
		if err := r.checkReviewer(u); err != nil {
			return Errorf(ErrPermissionDenied, "only collaborators on the workspace and output checkers may comment")
		}
		if !r.Status.IsUnderReview() {
			return Errorf(ErrInvalidTransition, "output checkers can comment only while a request is under review")
		}
	case !r.CanReview(u):
		if !r.Status.IsEditing() {
			return Errorf(ErrInvalidTransition, "comments cannot be added while the request is %s", r.Status)
		}
	default:
		if r.Status.IsFinal() {
			return Errorf(ErrInvalidTransition, "comments cannot be added to a %s request", r.Status)
		}
	}
	return nil
}

// WritableVisibilities returns the visibilities u may give a new comment,
// the default first: authors, non-checkers and anyone while the author
// edits write public comments; reviewers choose, private first.
func (r *Request) WritableVisibilities(u User) []Visibility {
	if u.Username == r.Author || !u.IsOutputChecker() || r.Status.IsEditing() {
		return []Visibility{VisibilityPublic}
	}
	return []Visibility{VisibilityPrivate, VisibilityPublic}
}

// CheckCreateComment refuses a new comment with this visibility.
func (r *Request) CheckCreateComment(u User, group string, text string, vis Visibility) error {
	if err := r.CheckComment(u); err != nil {
		return err
	}
	if _, ok := r.Group(group); !ok {
		return Errorf(ErrNotFound, "no group %q on this request", group)
	}
	if err := CheckLongText("the comment", text); err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return Errorf(ErrInvalidInput, "a comment needs some text")
	}
	if !slices.Contains(r.WritableVisibilities(u), vis) {
		return Errorf(ErrPermissionDenied, "you cannot write a %s comment now", strings.ToLower(string(vis)))
	}
	return nil
}

func (r *Request) ownComment(u User, group string, id int64) (Comment, error) {
	for _, c := range r.Comments {
		if c.ID == id && c.Group == group {
			if c.Author != u.Username {
				return Comment{}, Errorf(ErrPermissionDenied, "only the author of a comment may change it")
			}
			if err := r.CheckComment(u); err != nil {
				return Comment{}, err
			}
			if c.ReviewTurn != r.ReviewTurn {
				return Comment{}, Errorf(ErrPolicy, "comments cannot be changed after their turn has ended")
			}
			return c, nil
		}
	}
	return Comment{}, Errorf(ErrNotFound, "no comment %d on group %q", id, group)
}

// CheckDeleteComment refuses deleting a comment: only its author, only in
// the turn it was written, and only while they could comment.
func (r *Request) CheckDeleteComment(u User, group string, id int64) error {
	_, err := r.ownComment(u, group, id)
	return err
}

// CheckPublishComment refuses making a private comment public.
func (r *Request) CheckPublishComment(u User, group string, id int64) error {
	c, err := r.ownComment(u, group, id)
	if err != nil {
		return err
	}
	if c.Visibility != VisibilityPrivate {
		return Errorf(ErrPolicy, "comment %d is already public", id)
	}
	return nil
}

// CheckEditGroup refuses changing a group's context and controls.
func (r *Request) CheckEditGroup(u User, group string) error {
	if err := r.CheckEdit(u); err != nil {
		return err
	}
	if _, ok := r.Group(group); !ok {
		return Errorf(ErrNotFound, "no group %q on this request", group)
	}
	return nil
}

// CheckGroupText refuses a group's context or controls that is not text
// or is too long.
func CheckGroupText(context, controls string) error {
	if err := CheckLongText("the context", context); err != nil {
		return err
	}
	return CheckLongText("the controls", controls)
}

// CheckAddFile refuses adding the workspace file at relpath, whose status
// for the author is st. Withdrawn files may be added back.
func (r *Request) CheckAddFile(u User, relpath string, ft FileType, st WorkspaceFileStatus) error {
	if err := r.CheckEdit(u); err != nil {
		return err
	}
	return CheckAddable(relpath, ft, st, r)
}

// CheckAddable holds the file rules of adding, shared with creating a new
// request (r nil).
func CheckAddable(relpath string, ft FileType, st WorkspaceFileStatus, r *Request) error {
	if !AllowedFileType(relpath) {
		return Errorf(ErrInvalidInput, "cannot add file of type %s", FileExt(relpath))
	}
	if ft != FileOutput && ft != FileSupporting {
		return Errorf(ErrInvalidInput, "file type must be OUTPUT or SUPPORTING")
	}
	if strings.HasPrefix(relpath, "metadata/") && ft == FileOutput {
		return Errorf(ErrPolicy, "%s is a log or metadata file and can only be added as a supporting file", relpath)
	}
	if st == WorkspaceFileReleased && ft == FileOutput {
		return Errorf(ErrPolicy, "%s has been released already; released files cannot be added as output files, only as supporting files", relpath)
	}
	if r != nil {
		if f, ok := r.File(relpath); ok && f.FileType != FileWithdrawn {
			return Errorf(ErrPolicy, "%s is already on this request, in group %q", relpath, f.Group)
		}
	}
	switch st {
	case WorkspaceFileUnreleased, WorkspaceFileReleased, WorkspaceFileWithdrawn:
		return nil
	case WorkspaceFileInvalid:
		return Errorf(ErrInvalidInput, "%s is not a file of this workspace that can be released", relpath)
	}
	return Errorf(ErrPolicy, "cannot add file %s in status %s", relpath, st)
}

// CheckUpdateFile refuses refreshing a file whose workspace copy changed.
func (r *Request) CheckUpdateFile(u User, relpath string, st WorkspaceFileStatus) error {
	if _, err := r.editableFile(u, relpath); err != nil {
		return err
	}
	if !AllowedFileType(relpath) {
		return Errorf(ErrInvalidInput, "cannot update file of type %s", FileExt(relpath))
	}
	switch st {
	case WorkspaceFileUpdated:
		return nil
	case WorkspaceFileInvalid:
		return Errorf(ErrPolicy, "%s is no longer in the workspace: it can be withdrawn but not updated", relpath)
	}
	return Errorf(ErrPolicy, "cannot update %s: it has not changed in the workspace", relpath)
}

// CheckChangeProperties refuses moving a file to another group or changing
// its type; released is whether the workspace file has been released.
func (r *Request) CheckChangeProperties(u User, relpath, group string, ft FileType, released bool) error {
	f, err := r.editableFile(u, relpath)
	if err != nil {
		return err
	}
	if f.FileType == FileWithdrawn {
		return Errorf(ErrPolicy, "%s has been withdrawn; add it again from the workspace", relpath)
	}
	if ft != FileOutput && ft != FileSupporting {
		return Errorf(ErrInvalidInput, "file type must be OUTPUT or SUPPORTING")
	}
	if ft == FileOutput && released {
		return Errorf(ErrPolicy, "%s has been released already and can only be a supporting file", relpath)
	}
	if f.Group == group && f.FileType == ft {
		return Errorf(ErrPolicy, "no changes to make to %s", relpath)
	}
	return nil
}

// CheckWithdrawFile refuses withdrawing a file from the request.
func (r *Request) CheckWithdrawFile(u User, relpath string) error {
	f, err := r.editableFile(u, relpath)
	if err != nil {
		return err
	}
	if f.FileType == FileWithdrawn {
		return Errorf(ErrPolicy, "%s has already been withdrawn", relpath)
	}
	return nil
}

// editableFile returns a file of the request that u may change.
func (r *Request) editableFile(u User, relpath string) (*RequestFile, error) {
	if err := r.CheckEdit(u); err != nil {
		return nil, err
	}
	f, ok := r.File(relpath)
	if !ok {
		return nil, Errorf(ErrNotFound, "file %s is not on this request", relpath)
	}
	return f, nil
}

// ResolveGroupName turns a group name a user typed into the group to use:
// an existing group of that name, or a new group with the name as typed
// (its case kept, its surrounding spaces trimmed). Group names are unique
// on a request ignoring case, so a name that differs from an existing
// group's only in case is refused, naming the group that exists. r may
// be nil (a request not yet created).
func ResolveGroupName(r *Request, name string) (string, error) {
	if err := CheckText("the group name", name); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Errorf(ErrInvalidInput, "a group name is required")
	}
	if len(name) > 100 {
		return "", Errorf(ErrInvalidInput, "group names are at most 100 characters")
	}
	for _, c := range name {
		if c == '/' || c == '\\' || unicode.IsControl(c) {
			return "", Errorf(ErrInvalidInput, "group name %q may not contain slashes or control characters", name)
		}
	}
	if r != nil {
		if g, ok := r.Group(name); ok {
			return g.Name, nil
		}
		if g, ok := r.GroupFold(name); ok {
			return "", Errorf(ErrInvalidInput,
				"this request already has a group %q, and group names must differ by more than upper and lower case: use %q, or another name", g.Name, g.Name)
		}
	}
	return name, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
