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
		return Errorf(ErrPermissionDenied, "You do not have access to workspace %s, so you cannot see its requests.", r.Workspace)
	}
	return nil
}

func (r *Request) checkReviewer(u User) error {
	if !u.IsOutputChecker() {
		return Errorf(ErrPermissionDenied, "Only output checkers can review requests.")
	}
	if u.Username == r.Author {
		return Errorf(ErrPermissionDenied, "You cannot review your own request.")
	}
	return nil
}

// CheckCurrentlyReview refuses users who may not act as a reviewer now.
func (r *Request) CheckCurrentlyReview(u User) error {
	if err := r.checkReviewer(u); err != nil {
		return err
	}
	if !r.Status.IsUnderReview() {
		return Errorf(ErrInvalidTransition, "%s; it is not under review.", r.Status.Describe())
	}
	return nil
}

// CheckEdit refuses users who may not change the request's files or groups:
// only its author, on an active workspace, while the request is theirs.
func (r *Request) CheckEdit(u User) error {
	if u.Username != r.Author {
		return Errorf(ErrPermissionDenied, "Only the author of this request can change it.")
	}
	if err := u.CheckActionWorkspace(r.Workspace); err != nil {
		return err
	}
	if !r.Status.IsEditing() {
		return Errorf(ErrInvalidTransition, "%s, so its files and groups cannot be changed.", r.Status.Describe())
	}
	return nil
}

// CheckStatus is the guard every status change passes: the state machine
// must allow the move, and the user must own the current status.
func (r *Request) CheckStatus(to Status, u User) error {
	if _, ok := FindTransition(r.Status, to); !ok {
		return Errorf(ErrInvalidTransition, "%s. %s", r.Status.Describe(), transitionRule(to))
	}
	if err := u.checkNotReadOnly(); err != nil {
		return err
	}
	switch {
	case r.Status.Owner() == OwnerAuthor:
		if u.Username != r.Author {
			return Errorf(ErrPermissionDenied, "Only the author of this request can submit or withdraw it.")
		}
	case r.Status.Owner() == OwnerReviewer || r.Status == StatusApproved || r.Status == StatusRejected:
		if err := r.checkReviewer(u); err != nil {
			return err
		}
		if to == StatusApproved && !r.AllFilesApproved() {
			return Errorf(ErrPolicy, "Files can be released only when every output file is approved by two reviewers; %s not.", isOrAre(len(r.UnapprovedFiles())))
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
	if !r.hasOutputs() {
		return Errorf(ErrPolicy, "Add at least one output file before submitting this request.")
	}
	if g := r.IncompleteGroups(); len(g) > 0 {
		return Errorf(ErrPolicy, "Describe the context and the disclosure controls of %s before submitting.", groupList(g))
	}
	if g := r.GroupsMissingPublicComment(); len(g) > 0 {
		return Errorf(ErrPolicy, "Explain your changes in a public comment on %s before resubmitting.", groupList(g))
	}
	if b := r.BlockedFiles(); len(b) > 0 {
		return Errorf(ErrPolicy, "The disclosure checks found blocking problems in %s: withdraw %s, or override the checks with a written justification.", quoteList(b), itOrThem(len(b)))
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
		return Errorf(ErrInvalidInput, "Explain why %s is safe to release despite its checks (at least %d characters).", relpath, minJustification)
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
		return Errorf(ErrPolicy, "Only output files need their checks overridden; %s is %s.", relpath, f.FileType.Noun())
	}
	if len(f.BlockingChecks()) == 0 {
		return Errorf(ErrPolicy, "The disclosure checks found nothing blocking in %s.", relpath)
	}
	if f.Override != nil {
		return Errorf(ErrPolicy, "The checks of %s are already overridden.", relpath)
	}
	return nil
}

// minJustification is the shortest justification of an override.
const minJustification = 10

// CheckDownload refuses downloading the request's files: only output
// checkers who did not write the request may (everyone who may see the
// request may view them).
func (r *Request) CheckDownload(u User) error {
	if !r.CanReview(u) {
		return Errorf(ErrPermissionDenied, "Only output checkers who did not write this request can download its files.")
	}
	return nil
}

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
		return Errorf(ErrNotFound, "%s is not a file of this request.", relpath)
	}
	if f.FileType != FileOutput {
		return Errorf(ErrPolicy, "Only output files are voted on; %s is %s.", relpath, f.FileType.Noun())
	}
	return nil
}

// CheckResetVote refuses taking back one's vote on a file.
func (r *Request) CheckResetVote(u User, relpath string) error {
	if err := r.CheckVote(u, relpath); err != nil {
		return err
	}
	if r.HasSubmittedReview(u.Username) {
		return Errorf(ErrPolicy, "You have submitted your review: you can change your vote on %s, but not take it back.", relpath)
	}
	f, _ := r.File(relpath)
	if _, ok := f.Reviews[u.Username]; !ok {
		return Errorf(ErrNotFound, "You have not voted on %s.", relpath)
	}
	return nil
}

// CheckGroupVotes refuses a group-wide vote (request changes on every
// output file of the group not voted on yet, or take back every vote on
// it): a reviewer may do either only until they submit their review.
// After that every output file has their vote, which they change file by
// file, and a vote cannot be taken back.
func (r *Request) CheckGroupVotes(u User, group string) error {
	if err := r.CheckCurrentlyReview(u); err != nil {
		return err
	}
	if _, ok := r.Group(group); !ok {
		return Errorf(ErrNotFound, "This request has no group “%s”.", group)
	}
	if r.HasSubmittedReview(u.Username) {
		return Errorf(ErrPolicy, "You have already submitted your review: change your votes file by file.")
	}
	return nil
}

// CheckSubmitReview refuses a review that is not finished.
func (r *Request) CheckSubmitReview(u User) error {
	if err := r.CheckCurrentlyReview(u); err != nil {
		return err
	}
	if r.HasSubmittedReview(u.Username) {
		return Errorf(ErrPolicy, "You have already submitted your review of this request.")
	}
	var unvoted []string
	for f := range r.outputs() {
		if rv, ok := f.Reviews[u.Username]; !ok || rv.Vote == VoteUndecided {
			unvoted = append(unvoted, f.Relpath)
		}
	}
	if len(unvoted) > 0 {
		return Errorf(ErrPolicy, "Approve or request changes on every output file before submitting your review: %s left (%s).", countFiles(len(unvoted)), quoteList(unvoted))
	}
	if g := r.GroupsNeedingReviewerComment(u.Username); len(g) > 0 {
		return Errorf(ErrPolicy, "You requested changes in %s: add a comment there explaining them before submitting your review.", groupList(g))
	}
	return nil
}

// GroupsNeedingReviewerComment lists the groups where the reviewer asked
// for changes on a file but has not commented this turn.
func (r *Request) GroupsNeedingReviewerComment(reviewer string) []string {
	var out []string
	for _, g := range r.Groups {
		asked := false
		for f := range r.groupFiles(g.Name) {
			if rv, ok := f.Reviews[reviewer]; f.FileType == FileOutput && ok && rv.Vote == VoteChangesRequested {
				asked = true
				break
			}
		}
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
		return Errorf(ErrPolicy, "Before returning this request, add a public comment to %s explaining the changes needed.", groupList(g))
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
			return Errorf(ErrPermissionDenied, "Only collaborators on this workspace and output checkers can comment.")
		}
		if !r.Status.IsUnderReview() {
			return Errorf(ErrInvalidTransition, "%s: output checkers can comment only while a request is under review.", r.Status.Describe())
		}
	case !r.CanReview(u):
		if r.Status.IsFinal() {
			return Errorf(ErrInvalidTransition, "%s, so no more comments can be added.", r.Status.Describe())
		}
		if !r.Status.IsEditing() {
			return Errorf(ErrInvalidTransition, "%s: you can comment again when it is returned to its author.", r.Status.Describe())
		}
	default:
		if r.Status.IsFinal() {
			return Errorf(ErrInvalidTransition, "%s, so no more comments can be added.", r.Status.Describe())
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
		return Errorf(ErrNotFound, "This request has no group “%s”.", group)
	}
	if err := CheckLongText("the comment", text); err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return Errorf(ErrInvalidInput, "A comment needs some text.")
	}
	if !slices.Contains(r.WritableVisibilities(u), vis) {
		return Errorf(ErrPermissionDenied, "You cannot write a comment for %s now.", strings.ToLower(vis.Label()))
	}
	return nil
}

func (r *Request) ownComment(u User, group string, id int64) (Comment, error) {
	for _, c := range r.Comments {
		if c.ID == id && c.Group == group {
			if c.Author != u.Username {
				return Comment{}, Errorf(ErrPermissionDenied, "Only the author of a comment can change it.")
			}
			if err := r.CheckComment(u); err != nil {
				return Comment{}, err
			}
			if c.ReviewTurn != r.ReviewTurn {
				return Comment{}, Errorf(ErrPolicy, "This comment was written in an earlier review turn and can no longer be changed.")
			}
			return c, nil
		}
	}
	return Comment{}, Errorf(ErrNotFound, "Group “%s” has no comment %d.", group, id)
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
		return Errorf(ErrPolicy, "This comment is already visible to all users.")
	}
	return nil
}

// CheckEditGroup refuses changing a group's context and controls.
func (r *Request) CheckEditGroup(u User, group string) error {
	if err := r.CheckEdit(u); err != nil {
		return err
	}
	if _, ok := r.Group(group); !ok {
		return Errorf(ErrNotFound, "This request has no group “%s”.", group)
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
		return Errorf(ErrInvalidInput, "Files of type %s cannot be released, so %s cannot be added.", fileKind(relpath), relpath)
	}
	if ft != FileOutput && ft != FileSupporting {
		return Errorf(ErrInvalidInput, "A file is added as an output (OUTPUT) or a supporting file (SUPPORTING).")
	}
	if strings.HasPrefix(relpath, "metadata/") && ft == FileOutput {
		return Errorf(ErrPolicy, "%s is a log or metadata file and can only be added as a supporting file.", relpath)
	}
	if st == WorkspaceFileReleased && ft == FileOutput {
		return Errorf(ErrPolicy, "%s has been released already: released files can be added only as supporting files, not as outputs.", relpath)
	}
	if r != nil {
		if f, ok := r.File(relpath); ok && f.FileType != FileWithdrawn {
			return Errorf(ErrPolicy, "%s is already on this request, in group “%s”.", relpath, f.Group)
		}
	}
	switch st {
	case WorkspaceFileUnreleased, WorkspaceFileReleased, WorkspaceFileWithdrawn:
		return nil
	case WorkspaceFileInvalid:
		return Errorf(ErrInvalidInput, "%s is not a file of this workspace that can be released.", relpath)
	}
	return Errorf(ErrPolicy, "%s cannot be added: it is %s.", relpath, strings.ToLower(st.Label()))
}

// CheckUpdateFile refuses refreshing a file whose workspace copy changed.
func (r *Request) CheckUpdateFile(u User, relpath string, st WorkspaceFileStatus) error {
	if _, err := r.editableFile(u, relpath); err != nil {
		return err
	}
	if !AllowedFileType(relpath) {
		return Errorf(ErrInvalidInput, "Files of type %s cannot be released, so %s cannot be updated.", fileKind(relpath), relpath)
	}
	switch st {
	case WorkspaceFileUpdated:
		return nil
	case WorkspaceFileInvalid:
		return Errorf(ErrPolicy, "%s is no longer in the workspace: it can be withdrawn but not updated.", relpath)
	}
	return Errorf(ErrPolicy, "%s has not changed in the workspace since it was added, so there is nothing to update.", relpath)
}

// CheckChangeProperties refuses moving a file to another group or changing
// its type; released is whether the workspace file has been released.
func (r *Request) CheckChangeProperties(u User, relpath, group string, ft FileType, released bool) error {
	f, err := r.editableFile(u, relpath)
	if err != nil {
		return err
	}
	if f.FileType == FileWithdrawn {
		return Errorf(ErrPolicy, "%s has been withdrawn; add it again from the workspace.", relpath)
	}
	if ft != FileOutput && ft != FileSupporting {
		return Errorf(ErrInvalidInput, "A file is added as an output (OUTPUT) or a supporting file (SUPPORTING).")
	}
	if ft == FileOutput && released {
		return Errorf(ErrPolicy, "%s has been released already and can only be a supporting file.", relpath)
	}
	return nil
}

// PropertiesUnchanged reports whether moving the file at relpath to group
// as ft would change nothing: saving unchanged properties is no refusal,
// only nothing to do (no audit event, no state change).
func (r *Request) PropertiesUnchanged(relpath, group string, ft FileType) bool {
	f, ok := r.File(relpath)
	return ok && f.Group == group && f.FileType == ft
}

// NothingChanged is what every client says when a change of file
// properties changed nothing.
func NothingChanged(n int) string {
	if n == 1 {
		return "Nothing changed: the file is already in that group, with that type."
	}
	return "Nothing changed: the files are already in that group, with that type."
}

// CheckWithdrawFile refuses withdrawing a file from the request.
func (r *Request) CheckWithdrawFile(u User, relpath string) error {
	f, err := r.editableFile(u, relpath)
	if err != nil {
		return err
	}
	if f.FileType == FileWithdrawn {
		return Errorf(ErrPolicy, "%s has already been withdrawn.", relpath)
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
		return nil, Errorf(ErrNotFound, "%s is not a file of this request.", relpath)
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
		return "", Errorf(ErrInvalidInput, "A group name is required.")
	}
	if len(name) > 100 {
		return "", Errorf(ErrInvalidInput, "Group names are at most 100 characters.")
	}
	for _, c := range name {
		if c == '/' || c == '\\' || unicode.IsControl(c) {
			return "", Errorf(ErrInvalidInput, "The group name %q may not contain slashes or control characters.", name)
		}
	}
	if r != nil {
		if g, ok := r.Group(name); ok {
			return g.Name, nil
		}
		if g, ok := r.GroupFold(name); ok {
			return "", Errorf(ErrInvalidInput,
				"This request already has a group “%s”, and group names must differ by more than upper and lower case: use “%s”, or another name.", g.Name, g.Name)
		}
	}
	return name, nil
}

// transitionRule says, for people, when a request can move to a status:
// the second half of the refusal of a move the state machine does not
// allow.
func transitionRule(to Status) string {
	switch to {
	case StatusSubmitted:
		return "Only a pending or returned request can be submitted."
	case StatusPartiallyReviewed, StatusReviewed:
		return "Reviews can be submitted only while the request is under review."
	case StatusReturned:
		return "A request can be returned while it is under review."
	case StatusApproved:
		return "Files can be released once two independent reviews have been submitted and every output file is approved by both."
	case StatusRejected:
		return "A request can be rejected once two independent reviews have been submitted."
	case StatusWithdrawn:
		return "Only a pending or returned request can be withdrawn."
	case StatusReleased:
		return "A request is released when all its approved files have been uploaded."
	}
	return fmt.Sprintf("It cannot become %s.", strings.ToLower(to.Label()))
}

// UnapprovedFiles lists the output files not yet approved by the reviews
// submitted this turn.
func (r *Request) UnapprovedFiles() []string {
	reviewers := r.SubmittedReviewers()
	var out []string
	for f := range r.outputs() {
		if DecisionOver(*f, reviewers) != DecisionApproved {
			out = append(out, f.Relpath)
		}
	}
	return out
}
