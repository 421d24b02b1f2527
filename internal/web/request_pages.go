package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/render"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
)

// requestView is the request browser: the overview, a group, a folder or
// a file of one request, with the tree of groups and files on the left.
type requestView struct {
	R        *domain.Request
	stamp    store.Stamp // which state of the request R is
	Base     string      // /requests/view/<id>/
	IsAuthor bool
	Reviewer bool // may review this request (checker, not the author)
	Tree     []reqTreeGroup
	Actions  []requestAction
	Banner   []string
	Kind     string // "overview", "group", "dir", "file"

	// overview
	OutputCount, SupportingCount, ReleasedCount, UploadedCount int
	WithFindings                                               int      // files the disclosure checks found something in
	Blocked                                                    []string // output files whose findings stop submission
	Groups                                                     []reqGroupSummary
	Activity                                                   reqActivity

	Group *reqGroupView
	Dir   *reqDirView
	File  *reqFileView
}

type reqTreeGroup struct {
	Name, URL string
	Current   bool
	Files     []reqTreeFile
}

type reqTreeFile struct {
	Relpath, URL string
	Current      bool
	Class        string // CSS classes: request_<decision>, user_<vote>, type, extension, ...
}

type reqGroupSummary struct {
	Name, URL  string
	Files      int
	Incomplete bool
}

// requestAction is a request button: enabled, or disabled with the reason.
type requestAction struct {
	Label, URL, Reason, Confirm, Dialog, Class string
	Enabled                                    bool
}

type reqEventRow struct {
	Time, User, Label, Path string
	Extra                   []string
}

type reqGroupView struct {
	Name, Context, Controls string
	EditURL                 string
	Editable                bool
	EditReason              string
	Comments                []reqCommentRow
	CanComment              bool
	CommentReason           string
	Visibilities            []domain.Visibility
	CommentWarning          string
	CommentURL              string
	Activity                reqActivity
	ReviewerButtons         bool
	RequestChanges          requestAction
	ResetVotes              requestAction
}

type reqCommentRow struct {
	ID                   int64
	Author, Visibility   string
	Turn                 int
	Date                 string
	HTML                 any
	Blinded, Own         bool
	CanDelete, CanPublic bool
}

type reqDirView struct {
	Path, Group       string
	Files             []domain.RequestFile
	CanWithdraw       bool
	WithdrawReason    string
	ActionURL, Parent string
}

type reqFileView struct {
	F             *domain.RequestFile
	Group         string
	Details       *reqGroupView // for the "Context & Comments" dialog
	Checks        checksView
	Decision      domain.Decision
	DecisionLabel string
	IsOutput      bool
	ContentURL    string
	DownloadURL   string
	CanDownload   bool
	Votes         []requestAction // Approve, Request changes
	VoteShown     bool
	Withdraw      requestAction
	ShowWithdraw  bool
	Properties    requestAction
	PropertiesURL string
	GroupNames    []string
	FileTypes     []domain.FileType
}

func reqReason(err error) string {
	if err == nil {
		return ""
	}
	return domain.Message(err)
}

func reqAction(label, u string, err error) requestAction {
	return requestAction{Label: label, URL: u, Enabled: err == nil, Reason: reqReason(err)}
}

// requestBase is the request browser's root for id.
func requestBase(id string) string { return "/requests/view/" + url.PathEscape(id) + "/" }

func reqFileURL(id, group, relpath string) string {
	return requestBase(id) + url.PathEscape(group) + "/" + pathEscape(relpath)
}

func reqGroupURL(id, group string) string { return requestBase(id) + url.PathEscape(group) + "/" }

// requestsIndex sends /requests/ to the workspaces index.
func (h *Handler) requestsIndex(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	http.Redirect(w, r, "/workspaces/", http.StatusFound)
	return nil
}

// requestOverview is /requests/view/<id>/.
func (h *Handler) requestOverview(w http.ResponseWriter, r *http.Request, u domain.User) error {
	return h.requestPage(w, r, u, h.buildOverview)
}

// requestPath is a group, folder or file page of the request browser.
func (h *Handler) requestPath(w http.ResponseWriter, r *http.Request, u domain.User) error {
	return h.requestPage(w, r, u, h.buildPath)
}

// requestPage serves a page of the request browser: from the page cache
// while the request, its events, the viewer and the URL are as they were
// when it was rendered, else built by build and kept.
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request, u domain.User, build func(r *http.Request, u domain.User, v *requestView) error) error {
	ctx := r.Context()
	rq, st, err := h.svc.GetRequestStamped(ctx, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	cacheable := !h.hasFlashes(ctx)
	key := pageKey(r.URL.RequestURI(), st, u)
	if cacheable {
		if body, ok := h.rendered.get(key); ok {
			h.writePage(w, r, http.StatusOK, body)
			return nil
		}
	}
	v := h.requestViewOf(rq, st, u)
	if err := build(r, u, v); err != nil {
		return err
	}
	body, flashed, err := h.renderBytes(r, "request-view", "layout", v)
	if err != nil {
		return err
	}
	if cacheable && !flashed {
		h.rendered.put(key, body)
	}
	h.writePage(w, r, http.StatusOK, body)
	return nil
}

// buildOverview fills the request's overview page.
func (h *Handler) buildOverview(r *http.Request, u domain.User, v *requestView) error {
	v.Kind = "overview"
	rq := v.R
	for _, f := range rq.Files {
		switch f.FileType {
		case domain.FileOutput:
			v.OutputCount++
			if f.ReleasedAt != nil {
				v.ReleasedCount++
			}
			if f.Uploaded {
				v.UploadedCount++
			}
		case domain.FileSupporting:
			v.SupportingCount++
		}
		if f.FileType != domain.FileWithdrawn && len(f.Checks) > 0 {
			v.WithFindings++
		}
	}
	v.Blocked = rq.BlockedFiles()
	for _, g := range rq.Groups {
		if rq.IsEmpty(g.Name) {
			continue
		}
		v.Groups = append(v.Groups, reqGroupSummary{Name: g.Name, URL: reqGroupURL(rq.ID, g.Name),
			Files: len(rq.GroupFiles(g.Name)), Incomplete: rq.IsIncomplete(g.Name)})
	}
	events, err := h.svc.VisibleEventsAt(r.Context(), u, rq, v.stamp)
	if err != nil {
		return err
	}
	v.Activity = reqActivityOf(events, "", r.URL.Path, r.URL.Query())
	return nil
}

// reqEventRows are the visible, non-read-only events, newest first; only
// those of group when group is set.
func reqEventRows(events []domain.Event, group string) []reqEventRow {
	var out []reqEventRow
	slices.SortStableFunc(events, func(a, b domain.Event) int { return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID)) })
	for _, e := range events {
		if e.Type.ReadOnly() || e.Hidden {
			continue
		}
		if group != "" && e.Extra["group"] != group {
			continue
		}
		row := reqEventRow{Time: formatTime(e.CreatedAt, "2006-01-02 15:04"), User: e.User, Label: e.Type.Label(), Path: e.Path}
		keys := make([]string, 0, len(e.Extra))
		for k := range e.Extra {
			if k == "review_turn" {
				continue
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			row.Extra = append(row.Extra, k+": "+e.Extra[k])
		}
		out = append(out, row)
	}
	return out
}

// requestViewOf builds what every request browser page shows.
func (h *Handler) requestViewOf(rq *domain.Request, st store.Stamp, u domain.User) *requestView {
	v := &requestView{R: rq, stamp: st, Base: requestBase(rq.ID), IsAuthor: rq.Author == u.Username, Reviewer: rq.CanReview(u)}
	for _, g := range rq.Groups {
		tg := reqTreeGroup{Name: g.Name, URL: reqGroupURL(rq.ID, g.Name)}
		for _, f := range rq.GroupFiles(g.Name) {
			class := strings.ToLower(string(f.FileType))
			if f.FileType == domain.FileOutput {
				class += " request_" + strings.ToLower(string(rq.DecisionFor(f, u)))
				if v.Reviewer {
					vote := "incomplete" // not voted
					if rv, ok := f.Reviews[u.Username]; ok {
						vote = strings.ToLower(string(rv.Vote))
					}
					class += " user_" + vote
				}
			}
			tg.Files = append(tg.Files, reqTreeFile{Relpath: f.Relpath, URL: reqFileURL(rq.ID, g.Name, f.Relpath), Class: class})
		}
		if len(tg.Files) == 0 && rq.IsEmpty(g.Name) && !v.IsAuthor {
			continue
		}
		v.Tree = append(v.Tree, tg)
	}
	v.Actions = reqActions(rq, u)
	v.Banner = reqBanner(rq, u)
	return v
}

// reqActions are the request's buttons for u: each shown when u's
// role could ever use it, disabled with the reason when it cannot now.
func reqActions(rq *domain.Request, u domain.User) []requestAction {
	id := url.PathEscape(rq.ID)
	var out []requestAction
	if rq.Author == u.Username && !rq.Status.IsFinal() {
		wd := reqAction("Withdraw this request", "/requests/withdraw/"+id, statusReason(rq, domain.StatusWithdrawn, rq.CheckWithdraw(u)))
		wd.Dialog, wd.Class = "withdraw-dialog", "button-danger"
		out = append(out, wd)
		sub := reqAction("Submit for review", "/requests/submit/"+id, statusReason(rq, domain.StatusSubmitted, rq.CheckSubmit(u)))
		if rq.Status == domain.StatusPending {
			sub.Dialog = "submit-dialog"
		}
		sub.Class = "button-primary"
		out = append(out, sub)
	}
	if rq.CanReview(u) && !rq.Status.IsFinal() {
		sr := reqAction("Submit review", "/requests/review/"+id, rq.CheckSubmitReview(u))
		sr.Class = "button-primary"
		out = append(out, sr)
		rj := reqAction("Reject request", "/requests/reject/"+id, statusReason(rq, domain.StatusRejected, rq.CheckReject(u)))
		rj.Class = "button-danger"
		rj.Confirm = "Reject this request? The files will not be released, and the request cannot be changed again."
		out = append(out, rj)
		rt := reqAction("Return request", "/requests/return/"+id, statusReason(rq, domain.StatusReturned, rq.CheckReturn(u)))
		if rq.IsEarlyReturn() {
			rt.Confirm = "Return this request early? Fewer than two reviews have been submitted: the votes and comments of this turn will be reset, and the author asked to make changes."
		} else if rq.AllFilesApproved() {
			rt.Confirm = "Return this request? All files are approved: the author will have to resubmit before the files can be released."
		} else {
			rt.Confirm = "Return this request to its author for changes?"
		}
		out = append(out, rt)
		rl := reqAction("Release files", "/requests/release/"+id, statusReason(rq, domain.StatusApproved, rq.CheckRelease(u)))
		rl.Class = "button-primary"
		rl.Confirm = "Release the approved files? They will be uploaded to jobs.opensafely.org."
		out = append(out, rl)
	}
	return out
}

// notYet says, for people, when a request can move to a status; the
// buttons show it instead of the rule's "cannot change status from X to
// Y".
var notYet = map[domain.Status]string{
	domain.StatusWithdrawn: "This request can no longer be withdrawn.",
	domain.StatusSubmitted: "The request is with the output checkers; you can submit it again if they return it to you.",
	domain.StatusRejected:  "A request can be rejected once two independent reviews have been submitted.",
	domain.StatusReturned:  "A request can be returned while it is under review.",
	domain.StatusApproved:  "Files can be released once two independent reviews have been submitted and every output file is approved by both.",
}

// statusReason is err, put for people when it is only that the request's
// status cannot move to to.
func statusReason(rq *domain.Request, to domain.Status, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := domain.FindTransition(rq.Status, to); !ok {
		if msg, ok := notYet[to]; ok {
			return domain.Errorf(domain.ErrInvalidTransition, "%s", msg)
		}
	}
	if errors.Is(err, domain.ErrPolicy) && to == domain.StatusApproved && !rq.AllFilesApproved() {
		return domain.Errorf(domain.ErrPolicy, "%s", "Every output file must be approved by both reviews before the files can be released.")
	}
	return err
}

// reqBanner says what the viewer has to do next, from its status and their role.
func reqBanner(rq *domain.Request, u domain.User) []string {
	var out []string
	switch {
	case rq.CanReview(u) && rq.Status.IsUnderReview() && rq.Status != domain.StatusReviewed && !rq.HasSubmittedReview(u.Username):
		outputs := len(rq.OutputFiles())
		voted := rq.VotedCount(u.Username)
		if groups := rq.GroupsNeedingReviewerComment(u.Username); voted > 0 && len(groups) > 0 {
			out = append(out, "You have requested changes: add a comment to explain them in "+strings.Join(groups, ", ")+" before submitting your review.")
		} else if outputs > 0 && voted == outputs {
			out = append(out, "You have voted on every output file: submit your review (or add comments first).")
		}
	case rq.CanReview(u) && rq.Status == domain.StatusReviewed:
		if groups := rq.GroupsMissingPublicComment(); len(groups) > 0 {
			out = append(out, "Two independent reviews have been submitted. Before returning, add a public comment to "+strings.Join(groups, ", ")+".")
		} else if rq.AllFilesApproved() {
			out = append(out, "Two independent reviews have been submitted: you can return, reject or release the files.")
		} else {
			out = append(out, "Two independent reviews have been submitted: you can return or reject the request.")
		}
	case rq.Author == u.Username && rq.Status.IsEditing() && rq.ReviewTurn > 0:
		var groups []string
		for _, f := range rq.OutputFiles() {
			if rq.DecisionFor(f, u) == domain.DecisionChangesRequested && !slices.Contains(groups, f.Group) {
				groups = append(groups, f.Group)
			}
		}
		if len(groups) > 0 {
			out = append(out, "Changes have been requested: explain your changes in a comment on "+strings.Join(groups, ", ")+" before resubmitting.")
		}
	}
	return out
}

// buildPath fills /requests/view/<id>/<group>/<path...>: the group page
// (no path), a folder (path ending in /) or a file.
func (h *Handler) buildPath(r *http.Request, u domain.User, v *requestView) error {
	rq := v.R
	g, ok := rq.Group(r.PathValue("group"))
	if !ok {
		return errorPage(http.StatusNotFound, "This request has no group "+r.PathValue("group")+".")
	}
	for i := range v.Tree {
		v.Tree[i].Current = v.Tree[i].Name == g.Name
	}
	p := r.PathValue("path")
	switch {
	case p == "":
		return h.buildGroup(r, u, v, g)
	case strings.HasSuffix(p, "/"):
		return h.buildDir(u, v, g, strings.TrimSuffix(p, "/"))
	}
	f, ok := rq.File(p)
	if !ok || f.Group != g.Name {
		var inDir bool
		for _, f := range rq.GroupFiles(g.Name) {
			if strings.HasPrefix(f.Relpath, p+"/") {
				inDir = true
			}
		}
		if inDir {
			return h.buildDir(u, v, g, p)
		}
		return errorPage(http.StatusNotFound, "There is no file "+p+" in group "+g.Name+".")
	}
	v.Kind = "file"
	for i := range v.Tree {
		for j := range v.Tree[i].Files {
			v.Tree[i].Files[j].Current = v.Tree[i].Files[j].Relpath == f.Relpath
		}
	}
	id := url.PathEscape(rq.ID)
	fv := &reqFileView{F: f, Group: g.Name, IsOutput: f.FileType == domain.FileOutput,
		ContentURL: "/requests/content/" + id + "/" + url.PathEscape(g.Name) + "/" + pathEscape(f.Relpath) + "?cache_id=" + url.QueryEscape(f.FileID),
		GroupNames: reqGroupNames(rq), FileTypes: []domain.FileType{domain.FileOutput, domain.FileSupporting}}
	fv.DownloadURL = "/requests/content/" + id + "/" + url.PathEscape(g.Name) + "/" + pathEscape(f.Relpath) + "?download"
	fv.CanDownload = rq.CanReview(u)
	fv.Decision = rq.DecisionFor(*f, u)
	fv.DecisionLabel = reqDecisionLabel(fv.Decision)
	if fv.IsOutput && rq.CanReview(u) {
		fv.VoteShown = true
		mine := f.Reviews[u.Username].Vote
		for _, c := range []struct {
			label, path string
			vote        domain.Vote
		}{{"Approve", "approve", domain.VoteApproved}, {"Request changes", "request_changes", domain.VoteChangesRequested}} {
			a := requestAction{Label: c.label, URL: "/requests/" + c.path + "/" + id + "/" + pathEscape(f.Relpath)}
			if mine == c.vote {
				a.Class = "is-pressed"
				a.URL = "/requests/reset_review/" + id + "/" + pathEscape(f.Relpath)
				a.Reason = reqReason(rq.CheckResetVote(u, f.Relpath))
			} else {
				a.Reason = reqReason(rq.CheckVote(u, f.Relpath))
			}
			a.Enabled = a.Reason == ""
			fv.Votes = append(fv.Votes, a)
		}
	}
	if v.IsAuthor {
		fv.ShowWithdraw = f.FileType != domain.FileWithdrawn
		fv.Withdraw = reqAction("Withdraw from request", "/requests/withdraw/"+id+"/"+pathEscape(f.Relpath), rq.CheckWithdrawFile(u, f.Relpath))
		fv.Withdraw.Confirm = "Withdraw " + f.Relpath + " from this request?"
		fv.Properties = reqAction("Change file properties", "", rq.CheckEdit(u))
		fv.PropertiesURL = "/requests/change-properties/" + id
	}
	fv.Details = reqGroupDetails(rq, u, g)
	fv.Checks = newChecksView(f.Checks)
	fv.Checks.Override = f.Override
	if v.IsAuthor && rq.CheckOverridable(u, f.Relpath) == nil {
		fv.Checks.CanOverride = true
		fv.Checks.OverrideURL = "/requests/override-checks/" + id + "/" + pathEscape(f.Relpath)
	}
	v.File = fv
	return nil
}

func reqGroupNames(rq *domain.Request) []string {
	var out []string
	for _, g := range rq.Groups {
		out = append(out, g.Name)
	}
	return out
}

func reqDecisionLabel(d domain.Decision) string {
	switch d {
	case domain.DecisionApproved:
		return "Approved"
	case domain.DecisionChangesRequested:
		return "Changes requested"
	case domain.DecisionConflicted:
		return "Conflicted"
	}
	return "Incomplete"
}

// reqGroupDetails is what the group page and a file's "Context &
// Comments" dialog show of a group: its context and controls, the
// comments u may see, and whether and how u may comment.
func reqGroupDetails(rq *domain.Request, u domain.User, g *domain.Group) *reqGroupView {
	id, gs := url.PathEscape(rq.ID), url.PathEscape(g.Name)
	gv := &reqGroupView{Name: g.Name, Context: g.Context, Controls: g.Controls, EditURL: "/requests/edit/" + id + "/" + gs,
		CommentURL: "/requests/comment/create/" + id + "/" + gs}
	for _, c := range rq.VisibleComments(u, g.Name) {
		own := c.Author == u.Username
		row := reqCommentRow{ID: c.ID, Author: c.Author, Visibility: string(c.Visibility), Turn: c.ReviewTurn,
			Date: formatTime(c.CreatedAt, "2006-01-02 15:04"), HTML: renderCommentMarkdown(c.Text), Blinded: rq.IsBlinded(c), Own: own}
		if own {
			row.CanDelete = rq.CheckDeleteComment(u, g.Name, c.ID) == nil
			row.CanPublic = c.Visibility == domain.VisibilityPrivate && rq.CheckPublishComment(u, g.Name, c.ID) == nil
		}
		gv.Comments = append(gv.Comments, row)
	}
	cerr := rq.CheckComment(u)
	gv.CanComment, gv.CommentReason = cerr == nil, reqReason(cerr)
	gv.Visibilities = rq.WritableVisibilities(u)
	gv.CommentWarning = reqCommentWarning(rq, u)
	return gv
}

// buildGroup is one group: context and controls, comments, activity.
func (h *Handler) buildGroup(r *http.Request, u domain.User, v *requestView, g *domain.Group) error {
	rq := v.R
	v.Kind = "group"
	id, gs := url.PathEscape(rq.ID), url.PathEscape(g.Name)
	gv := reqGroupDetails(rq, u, g)
	editErr := rq.CheckEditGroup(u, g.Name)
	gv.Editable, gv.EditReason = editErr == nil, reqReason(editErr)
	if rq.CanReview(u) {
		gv.ReviewerButtons = true
		cur := rq.CheckCurrentlyReview(u)
		if cur == nil && rq.HasSubmittedReview(u.Username) {
			cur = domain.Errorf(domain.ErrInvalidTransition, "you have already submitted your review")
		}
		gv.RequestChanges = reqAction("Request changes", "/requests/request-changes/"+id+"/"+gs, cur)
		gv.RequestChanges.Confirm = "Request changes on every output file of " + g.Name + " you have not voted on?"
		gv.ResetVotes = reqAction("Reset votes", "/requests/reset-votes/"+id+"/"+gs, cur)
		gv.ResetVotes.Confirm = "Reset all your votes on the files of " + g.Name + "?"
	}
	events, err := h.svc.VisibleEventsAt(r.Context(), u, rq, v.stamp)
	if err != nil {
		return err
	}
	gv.Activity = reqActivityOf(events, g.Name, r.URL.Path, r.URL.Query())
	v.Group = gv
	return nil
}

// reqCommentWarning says who will see a new comment, by phase.
func reqCommentWarning(rq *domain.Request, u domain.User) string {
	switch {
	case rq.Status.IsEditing():
		return "Output checkers will see this comment when the request is submitted."
	case rq.Status.IsUnderReview() && rq.Status != domain.StatusReviewed:
		return "Independent review: the other output checker will not see your comments until both reviews are submitted; a public comment is shown to the author when the request is returned."
	case rq.Status == domain.StatusReviewed:
		return "Private comments are seen by output checkers only; public comments are shown to the author when the request is returned or completed."
	}
	return ""
}

// buildDir is a folder of a group, with multi-select withdraw.
func (h *Handler) buildDir(u domain.User, v *requestView, g *domain.Group, dir string) error {
	rq := v.R
	v.Kind = "dir"
	dv := &reqDirView{Path: dir, Group: g.Name, ActionURL: "/requests/multiselect/" + url.PathEscape(rq.ID)}
	for _, f := range rq.GroupFiles(g.Name) {
		if strings.HasPrefix(f.Relpath, dir+"/") {
			dv.Files = append(dv.Files, f)
		}
	}
	if len(dv.Files) == 0 {
		return errorPage(http.StatusNotFound, "There is no folder "+dir+" in group "+g.Name+".")
	}
	if v.IsAuthor {
		err := rq.CheckEdit(u)
		dv.CanWithdraw, dv.WithdrawReason = err == nil, reqReason(err)
	}
	if i := strings.LastIndex(dir, "/"); i >= 0 {
		dv.Parent = reqFileURL(rq.ID, g.Name, dir[:i]) + "/"
	} else {
		dv.Parent = reqGroupURL(rq.ID, g.Name)
	}
	v.Dir = dv
	return nil
}

// requestContent serves a request file's content for the iframe, or with
// ?download as an attachment (output checkers who are not the author).
func (h *Handler) requestContent(w http.ResponseWriter, r *http.Request, u domain.User) error {
	id, p := r.PathValue("id"), r.PathValue("path")
	_, download := r.URL.Query()["download"]
	if download {
		rq, err := h.svc.GetRequest(r.Context(), u, id)
		if err != nil {
			return err
		}
		if !rq.CanReview(u) {
			return errorPage(http.StatusForbidden, "Only output checkers who did not write the request may download its files.")
		}
		f, info, e := h.svc.DownloadRequestFile(r.Context(), u, id, p)
		if e != nil {
			return e
		}
		defer f.Close()
		w.Header().Set("Content-Disposition", render.Attachment(info.Relpath))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, f)
		return nil
	}
	f, rf, err := h.svc.ViewRequestFile(r.Context(), u, id, p)
	if err != nil {
		return err
	}
	defer f.Close()
	if rf.Group != r.PathValue("group") {
		return errorPage(http.StatusNotFound, "There is no file "+p+" in group "+r.PathValue("group")+".")
	}
	if err := render.Serve(w, r, render.File{Name: rf.Relpath, Content: f, Size: rf.Size, CacheID: rf.FileID, Findings: rf.Checks}); err != nil {
		h.log.ErrorContext(r.Context(), "serving a request file failed", "err", err)
	}
	return nil
}

// workspaceRequestsView lists a workspace's requests.
type workspaceRequestsView struct {
	Workspace string
	Requests  []domain.Request
	Statuses  []domain.Status
	Filter    string
}

// requestsOfWorkspace is /requests/workspace/<ws>: every request of the
// workspace, any author, newest first, with a status filter.
func (h *Handler) requestsOfWorkspace(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws := r.PathValue("ws")
	if err := u.CheckViewWorkspace(ws); err != nil {
		return err
	}
	all, err := h.svc.ListRequests(r.Context(), u, service.RequestFilter{Workspace: ws})
	if err != nil {
		return err
	}
	v := workspaceRequestsView{Workspace: ws, Filter: r.URL.Query().Get("status")}
	for _, st := range domain.Statuses() {
		for _, rq := range all {
			if rq.Status == st {
				v.Statuses = append(v.Statuses, st)
				break
			}
		}
	}
	for _, rq := range all {
		if v.Filter == "" || string(rq.Status) == v.Filter {
			v.Requests = append(v.Requests, rq)
		}
	}
	return h.render(w, r, http.StatusOK, "request-workspace", v)
}

// requestUploadedCount is the htmx fragment of upload progress while APPROVED.
func (h *Handler) requestUploadedCount(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if r.PathValue("what") != "uploaded-files-count" {
		return h.notFound(w, r, u)
	}
	rq, err := h.svc.GetRequest(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return err
	}
	if rq.Status != domain.StatusApproved {
		w.Header().Set("HX-Redirect", requestBase(rq.ID))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	v := &requestView{R: rq}
	for _, f := range rq.OutputFiles() {
		v.OutputCount++
		if f.Uploaded {
			v.UploadedCount++
		}
	}
	return h.renderFragment(w, r, http.StatusOK, "request-view", "upload-progress", v)
}
