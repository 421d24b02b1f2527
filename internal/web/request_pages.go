package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/render"
	"github.com/airlock-go/airlock/internal/service"
)

// The request pages: the overview, a group, a folder and a file of one
// request. Each has its own view type; all embed reqPage, what every one
// shows around its content: the one-line header, the next step, the
// actions and the tree.

// reqPage is the frame of every request page.
type reqPage struct {
	R        *domain.Request
	stamp    domain.Stamp // which state of the request R is
	IsAuthor bool
	Reviewer bool   // may review this request (checker, not the author)
	Progress string // the reviewer's "7 of 12 files voted"; "" for others
	Next     domain.NextStep
	// Actions are the buttons of what the viewer may do now; Other, the
	// menu of what they could do in another state, each with its reason.
	Actions, Other []reqActionView
	Dialogs        []reqConfirm // the confirmations of Actions
	Tree           []reqTreeGroup
	Overview       bool // the overview is the page shown
	UploadURL      string
	// Uploaded of Outputs output files are uploaded (while APPROVED).
	Uploaded, Outputs int
	OOB               bool // rendered to swap out of band (htmx)
	// events are the request's audit events the viewer may see, when
	// read with the request (eventsRead).
	events     []domain.Event
	eventsRead bool
	svc        *service.Service
}

// visibleEvents are the request's audit events the viewer may see,
// newest first: those read with the request, or else read now.
func (p *reqPage) visibleEvents(r *http.Request, u domain.User) ([]domain.Event, error) {
	if p.eventsRead {
		return p.events, nil
	}
	return p.svc.VisibleEventsAt(r.Context(), u, p.R, p.stamp)
}

// treeOrder is the files of the tree in order (group by group, each by
// path; withdrawn ones left out), for a file page's previous and next.
func treeOrder(rq *domain.Request) []*domain.RequestFile {
	byGroup := make(map[string][]*domain.RequestFile, len(rq.Groups))
	for i := range rq.Files {
		if f := &rq.Files[i]; f.FileType != domain.FileWithdrawn {
			byGroup[f.Group] = append(byGroup[f.Group], f)
		}
	}
	out := make([]*domain.RequestFile, 0, len(rq.Files))
	for _, g := range rq.Groups {
		out = append(out, byGroup[g.Name]...)
	}
	return out
}

// reqActionView is an action of a page: a button (allowed) or an item of
// the "Other actions" menu with the reason it cannot be taken now.
type reqActionView struct {
	Label, URL, Reason, Class string
	Dialog                    string // the id of its confirmation dialog
	Primary                   bool   // what the next step asks of the viewer
}

// reqConfirm is a confirmation dialog: what will happen, and the button
// that does it.
type reqConfirm struct {
	ID, Title, URL, Button, Class string
	Text                          []string
	Rules                         bool // ask to confirm the data release rules were read
	Next                          string
	FocusCancel                   bool // a destructive action: Cancel has the focus
}

type reqTreeFile struct {
	ID, Relpath, Group, URL string
	Name                    string // the last part of Relpath
	Current                 bool
	Class                   string // output, supporting, withdrawn
	// Mine is the viewer's own vote (approved, changes-requested,
	// undecided, none) for a reviewer; Decision the overall decision once
	// the viewer may see it; each with its words.
	Mine, MineLabel         string
	Decision, DecisionLabel string
	OOB                     bool // rendered to swap out of band (htmx)
	output                  bool
	voted                   bool
}

// reqOverviewPage is /requests/view/<id>/.
type reqOverviewPage struct {
	reqPage
	OutputCount, SupportingCount, ReleasedCount, UploadedCount int
	WithFindings                                               int      // files the disclosure checks found something in
	Blocked                                                    []string // output files whose findings stop submission
	Groups                                                     []reqGroupSummary
	Activity                                                   reqActivity
}

type reqGroupSummary struct {
	Name, URL  string
	Files      int
	Incomplete bool
}

// reqGroupPage is a group: context and controls, comments, activity.
type reqGroupPage struct {
	reqPage
	Group *reqGroupView
}

// reqDirPage is a folder of a group.
type reqDirPage struct {
	reqPage
	Dir *reqDirView
}

// reqFilePage is one file, with the viewer's review of it.
type reqFilePage struct {
	reqPage
	File *reqFileView
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
	RequestChanges          reqActionView
	ResetVotes              reqActionView
	Enabled                 bool // the reviewer's group buttons may be used
	ChangesDialog           reqConfirm
	ResetDialog             reqConfirm
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

// reqFileView is the file page's content.
type reqFileView struct {
	F              *domain.RequestFile
	Group          string
	TreeID         string        // the id of its tree node
	Details        *reqGroupView // for the "Context & Comments" dialog
	Checks         checksView
	Decision       domain.Decision
	DecisionLabel  string
	DecisionReason string
	IsOutput       bool
	ShowDecision   bool // an output file of a request that has been reviewed, or is under review
	ContentURL     string
	DownloadURL    string
	CanDownload    bool
	Review         *reqReview // the reviewer's vote buttons; nil for others
	PropertiesURL  string
	CanProperties  bool
	WithdrawFile   *reqActionView // the author's withdraw button
	GroupNames     []string
	FileTypes      []domain.FileType
	Prev, Next     *reqTreeFile // the files before and after in the tree
	NextToReview   *reqTreeFile // the reviewer's next output without a vote
	Error          string       // why the vote just sent was refused (htmx)
	PageURL        string       // this page
	WithdrawDialog reqConfirm
	TreeNode       *reqTreeFile // its tree node, to swap after a vote
	// CodeURL opens the code browser at the file's commit; CauseURL
	// loads the panel of the action that produced it.
	CodeURL, CauseURL string
}

// reqReview is the reviewer's vote on a file: three toggles (approve,
// request changes, undecided), the chosen one pressed even when the vote
// can no longer change.
type reqReview struct {
	Mine    domain.Vote // "" when not voted
	Buttons []reqVoteButton
	Locked  string // why the vote cannot change now ("" when it can)
}

type reqVoteButton struct {
	Label, URL, Key, Class string
	Pressed, Enabled       bool
}

// reqReason is the person-readable message of a refusal.
func reqReason(err error) string {
	if err == nil {
		return ""
	}
	return domain.Message(err)
}

// requestsIndex sends /requests/ to the workspaces index.
func (h *Handler) requestsIndex(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	http.Redirect(w, r, "/workspaces/", http.StatusFound)
	return nil
}

// requestOverview is /requests/view/<id>/.
func (h *Handler) requestOverview(w http.ResponseWriter, r *http.Request, u domain.User) error {
	return h.requestPage(w, r, u, h.buildOverview, true)
}

// requestPath is a group, folder or file page of the request browser.
func (h *Handler) requestPath(w http.ResponseWriter, r *http.Request, u domain.User) error {
	// A group's page (no path) shows its activity.
	return h.requestPage(w, r, u, h.buildPath, r.PathValue("path") == "")
}

// reqBuilder builds one request page from its frame: the template and
// the page's view.
type reqBuilder func(r *http.Request, u domain.User, p reqPage) (page string, data any, err error)

// requestPage serves a page of the request browser: from the page cache
// while the request, its events, the viewer and the URL are as they were
// when it was rendered, else built by build and kept.
//
// withEvents says the page shows the request's activity: its audit
// events are then read side by side with the request (reqPage.events).
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request, u domain.User, build reqBuilder, withEvents bool) error {
	ctx := r.Context()
	cacheable := !h.hasFlashes(ctx)
	if cacheable {
		// The stamp alone finds a rendered page, without copying the
		// request (see servePageCached).
		if done, err := h.servePageCached(w, r, u); done || err != nil {
			return err
		}
	}
	var (
		rq     *domain.Request
		st     domain.Stamp
		events []domain.Event
		err    error
	)
	if withEvents {
		rq, st, events, err = h.svc.GetRequestAndEvents(ctx, u, r.PathValue("id"))
	} else {
		rq, st, err = h.svc.GetRequestStamped(ctx, u, r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	key := pageKey(r.URL.RequestURI(), st, u)
	p := h.reqPageOf(rq, st, u, treeSelOf(r, rq))
	p.events, p.eventsRead = events, withEvents
	page, data, err := build(r, u, p)
	if err != nil {
		return err
	}
	body, flashed, err := h.renderBytes(r, page, "layout", data)
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
func (h *Handler) buildOverview(r *http.Request, u domain.User, p reqPage) (string, any, error) {
	p.Overview = true
	v := &reqOverviewPage{reqPage: p}
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
	events, err := v.visibleEvents(r, u)
	if err != nil {
		return "", nil, err
	}
	v.Activity = reqActivityOf(events, "", r.URL.Path, r.URL.Query())
	return "request-overview", v, nil
}

// reqPageOf builds what every request page shows.
func (h *Handler) reqPageOf(rq *domain.Request, st domain.Stamp, u domain.User, sel reqTreeSel) reqPage {
	p := reqPage{R: rq, stamp: st, svc: h.svc, IsAuthor: rq.Author == u.Username, Reviewer: rq.CanReview(u), Next: rq.NextStep(u)}
	if p.Reviewer && rq.Status.IsUnderReview() {
		voted, outputs := rq.ReviewProgress(u.Username)
		p.Progress = fmt.Sprintf("%d of %d files voted", voted, outputs)
	}
	if rq.Status == domain.StatusApproved {
		p.UploadURL = uploadProgressURL(rq.ID)
		for _, f := range rq.OutputFiles() {
			p.Outputs++
			if f.Uploaded {
				p.Uploaded++
			}
		}
	}
	index := groupIndex(rq)
	p.Tree = requestTree(rq, u, p.Reviewer, p.IsAuthor, sel, index)
	h.reqActions(&p, u)
	return p
}

// voteWords is a vote for people.
func voteWords(v domain.Vote) string {
	switch v {
	case domain.VoteApproved:
		return "approved"
	case domain.VoteChangesRequested:
		return "changes requested"
	}
	return "undecided"
}

// reqActions puts the request's actions for u into the page: the allowed
// ones as buttons (each with its confirmation), the others in the menu
// with the rule's reason. Everything comes from domain.Actions, as the
// next step does.
func (h *Handler) reqActions(p *reqPage, u domain.User) {
	rq := p.R
	for _, a := range rq.Actions(u) {
		av := reqActionView{Label: a.Label, URL: actionPath(a.Kind).build(rq.ID), Reason: a.Reason()}
		switch a.Kind {
		case domain.ActionWithdraw, domain.ActionReject:
			av.Class = "button-danger"
		case domain.ActionReturn:
			av.Class = "button-secondary"
		}
		if !a.Allowed() {
			p.Other = append(p.Other, av)
			continue
		}
		av.Primary = p.Next.Action == a.Kind
		switch {
		case av.Primary && av.Class == "button-secondary":
			av.Class = ""
		case !av.Primary && av.Class == "":
			av.Class = "button-secondary"
		}
		c := h.reqConfirmFor(rq, u, a)
		c.URL = av.URL
		av.Dialog = c.ID
		p.Dialogs = append(p.Dialogs, c)
		p.Actions = append(p.Actions, av)
	}
}

// reqConfirmFor is the confirmation of an action: what will happen.
func (h *Handler) reqConfirmFor(rq *domain.Request, u domain.User, a domain.Action) reqConfirm {
	c := reqConfirm{ID: string(a.Kind) + "-dialog", Title: a.Label, Button: a.Label}
	switch a.Kind {
	case domain.ActionSubmit:
		if rq.Status == domain.StatusPending {
			c.Title = "Submit this request for review?"
			c.Text = []string{"Two output checkers will review every output file independently. While they review, you cannot change the request's files, groups or context.",
				"Before submitting, make sure that every output file follows the data release rules: small numbers suppressed, counts rounded, and context and controls described for every group."}
			c.Rules = true
		} else {
			c.Title = "Resubmit this request?"
			c.Text = []string{"The request goes back to the output checkers for a new review. Files you changed are reviewed again; you cannot change the request while they review it."}
		}
	case domain.ActionWithdraw:
		c.Title = "Withdraw this request?"
		c.Text = []string{"Its files will not be released, and the request cannot be changed or submitted again. This cannot be undone."}
		c.Class, c.FocusCancel = "button-danger", true
	case domain.ActionSubmitReview:
		c.Title = "Submit your review?"
		approved, changes := 0, 0
		for _, f := range rq.OutputFiles() {
			switch f.Reviews[u.Username].Vote {
			case domain.VoteApproved:
				approved++
			case domain.VoteChangesRequested:
				changes++
			}
		}
		c.Text = []string{fmt.Sprintf("Your votes: %d approved, %d with changes requested. Once submitted they can no longer be changed.", approved, changes)}
		if len(rq.SubmittedReviews) == 0 {
			c.Text = append(c.Text, "The other output checker's votes and comments stay hidden from you until they submit their review too.")
		} else {
			c.Text = append(c.Text, "Yours is the second review: both reviews' votes and comments become visible to the output checkers, who then release, return or reject the request.")
		}
	case domain.ActionReturn:
		if rq.IsEarlyReturn() {
			c.Title = "Return this request early?"
			c.Text = []string{fmt.Sprintf("Only %d of 2 independent reviews have been submitted. Returning now ends this review turn early: the votes and comments of this turn are reset, and the author is asked to make changes and resubmit.", len(rq.SubmittedReviews))}
		} else if rq.AllFilesApproved() {
			c.Title = "Return this request to its author?"
			c.Text = []string{"Every output file is approved by both reviews. If you return it, the author must resubmit it, and it must be reviewed again, before its files can be released."}
		} else {
			c.Title = "Return this request to its author?"
			c.Text = []string{"The author will see the decisions on each file and the public comments, make their changes, and resubmit. Private comments stay with the output checkers."}
		}
	case domain.ActionReject:
		c.Title = "Reject this request?"
		c.Text = []string{"Its files will never be released, and the request cannot be changed again. The author can start a new request. This cannot be undone."}
		c.Class, c.FocusCancel = "button-danger", true
	case domain.ActionRelease:
		c.Title = "Release the approved files?"
		n := len(rq.OutputFiles())
		c.Text = []string{fmt.Sprintf("The %s approved by both reviews will be released: %s. Supporting files are not released.", plural(n, "output file", "output files"), h.releaseTarget)}
	}
	if c.Class == "" {
		c.Class = "button"
	} else {
		c.Class = "button " + c.Class
	}
	return c
}

// buildPath fills /requests/view/<id>/<group>/<path...>: the group page
// (no path), a folder (path ending in /) or a file.
func (h *Handler) buildPath(r *http.Request, u domain.User, p reqPage) (string, any, error) {
	rq := p.R
	g, ok := rq.Group(r.PathValue("group"))
	if !ok {
		return "", nil, errorPage(http.StatusNotFound, "This request has no group "+r.PathValue("group")+".")
	}
	rel := r.PathValue("path")
	switch {
	case rel == "":
		return h.buildGroup(r, u, p, g)
	case strings.HasSuffix(rel, "/"):
		return h.buildDir(u, p, g, strings.TrimSuffix(rel, "/"))
	}
	f, ok := rq.File(rel)
	if !ok || f.Group != g.Name {
		for _, f := range rq.GroupFiles(g.Name) {
			if strings.HasPrefix(f.Relpath, rel+"/") {
				return h.buildDir(u, p, g, rel)
			}
		}
		return "", nil, errorPage(http.StatusNotFound, "There is no file "+rel+" in group "+g.Name+".")
	}
	return "request-file", h.buildFile(u, p, g, f), nil
}

// buildFile is one file's page.
func (h *Handler) buildFile(u domain.User, p reqPage, g *domain.Group, f *domain.RequestFile) *reqFilePage {
	rq := p.R
	fv := &reqFileView{F: f, Group: g.Name, IsOutput: f.FileType == domain.FileOutput,
		ContentURL: reqContentURL(rq.ID, g.Name, f.Relpath, f.FileID), DownloadURL: reqDownloadURL(rq.ID, g.Name, f.Relpath),
		GroupNames: reqGroupNames(rq), FileTypes: []domain.FileType{domain.FileOutput, domain.FileSupporting},
		CanDownload: rq.CanReview(u), PageURL: reqFileURL(rq.ID, g.Name, f.Relpath)}
	if h.svc.HasCode() {
		fv.CodeURL, fv.CauseURL = requestCodeLinks(rq, f, fv.PageURL)
	}
	node := treeFileOf(rq, u, p.Reviewer, rq.Status.Phase() != domain.PhaseIndependent, *f)
	node.Current, node.OOB = true, true
	fv.TreeNode = &node
	// Previous and next in the tree; the reviewer's next output without
	// a vote, after this one (wrapping round).
	// Only the nodes shown are made (a big request's files are many).
	files := treeOrder(rq)
	shared := rq.Status.Phase() != domain.PhaseIndependent
	nodeOf := func(f *domain.RequestFile) *reqTreeFile {
		tf := treeFileOf(rq, u, p.Reviewer, shared, *f)
		return &tf
	}
	at := slices.IndexFunc(files, func(tf *domain.RequestFile) bool { return tf.Relpath == f.Relpath })
	if at > 0 {
		fv.Prev = nodeOf(files[at-1])
	}
	if at >= 0 && at+1 < len(files) {
		fv.Next = nodeOf(files[at+1])
	}
	if p.Reviewer && rq.CheckCurrentlyReview(u) == nil && !rq.HasSubmittedReview(u.Username) {
		for k := 1; k <= len(files); k++ {
			tf := files[(max(at, 0)+k)%len(files)]
			// What treeFileOf marks output and voted for a reviewer.
			rv, voted := tf.Reviews[u.Username]
			if tf.FileType == domain.FileOutput && !(voted && rv.Vote != domain.VoteUndecided) && tf.Relpath != f.Relpath {
				fv.NextToReview = nodeOf(tf)
				break
			}
		}
	}
	fv.Decision = rq.DecisionFor(*f, u)
	fv.DecisionLabel = reqDecisionLabel(fv.Decision)
	fv.DecisionReason = rq.DecisionReason(*f, u)
	fv.ShowDecision = fv.IsOutput && (rq.Status.Phase() != domain.PhaseAuthor || len(rq.TurnReviewers) > 0)
	if fv.IsOutput && p.Reviewer {
		fv.Review = reqReviewOf(rq, u, f)
	}
	if p.IsAuthor {
		werr := rq.CheckWithdrawFile(u, f.Relpath)
		wd := reqActionView{Label: "Withdraw file", URL: pathWithdrawFile.build(rq.ID, f.Relpath), Reason: reqReason(werr), Class: "button-secondary"}
		if f.FileType != domain.FileWithdrawn {
			if werr == nil {
				wd.Dialog = "withdraw-file-dialog"
				fv.WithdrawFile = &wd
				fv.WithdrawDialog = reqConfirm{ID: wd.Dialog, Title: "Withdraw " + f.Relpath + "?", URL: wd.URL, Button: "Withdraw file",
					Class: "button button-danger", FocusCancel: true,
					Text: []string{"The file is taken off this request and will not be released. It stays in the workspace: you can add it again while the request is with you."}}
			} else {
				p.Other = append(p.Other, wd)
			}
		}
		perr := rq.CheckEdit(u)
		fv.CanProperties = perr == nil
		fv.PropertiesURL = pathChangeProperties.build(rq.ID)
		if perr != nil {
			p.Other = append(p.Other, reqActionView{Label: "Change file properties", Reason: reqReason(perr)})
		}
	}
	fv.Details = reqGroupDetails(rq, u, g)
	fv.Checks = newChecksView(f.Checks)
	fv.Checks.Override = f.Override
	if p.IsAuthor && rq.CheckOverridable(u, f.Relpath) == nil {
		fv.Checks.CanOverride = true
		fv.Checks.OverrideURL = pathOverrideChecks.build(rq.ID, f.Relpath)
	}
	return &reqFilePage{reqPage: p, File: fv}
}

// reqReviewOf is u's vote on f, as buttons.
func reqReviewOf(rq *domain.Request, u domain.User, f *domain.RequestFile) *reqReview {
	rv := &reqReview{}
	if v, ok := f.Reviews[u.Username]; ok {
		rv.Mine = v.Vote
	}
	voteErr := rq.CheckVote(u, f.Relpath)
	rv.Locked = reqReason(voteErr)
	resetErr := rq.CheckResetVote(u, f.Relpath)
	rv.Buttons = []reqVoteButton{
		{Label: "Approve", Key: "a", Class: "vote-approve", URL: pathVoteApprove.build(rq.ID, f.Relpath),
			Pressed: rv.Mine == domain.VoteApproved, Enabled: voteErr == nil},
		{Label: "Request changes", Key: "r", Class: "vote-changes", URL: pathVoteChanges.build(rq.ID, f.Relpath),
			Pressed: rv.Mine == domain.VoteChangesRequested, Enabled: voteErr == nil},
		{Label: "Undecided", Key: "u", Class: "vote-reset", URL: pathVoteReset.build(rq.ID, f.Relpath),
			Pressed: rv.Mine == domain.VoteUndecided, Enabled: resetErr == nil},
	}
	return rv
}

func reqGroupNames(rq *domain.Request) []string {
	var out []string
	for _, g := range rq.Groups {
		out = append(out, g.Name)
	}
	return out
}

func reqDecisionLabel(d domain.Decision) string { return d.Label() }

// reqGroupDetails is what the group page and a file's "Context &
// Comments" dialog show of a group: its context and controls, the
// comments u may see, and whether and how u may comment.
func reqGroupDetails(rq *domain.Request, u domain.User, g *domain.Group) *reqGroupView {
	gv := &reqGroupView{Name: g.Name, Context: g.Context, Controls: g.Controls, EditURL: pathEditGroup.build(rq.ID, g.Name),
		CommentURL: pathCommentCreate.build(rq.ID, g.Name)}
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
func (h *Handler) buildGroup(r *http.Request, u domain.User, p reqPage, g *domain.Group) (string, any, error) {
	rq := p.R
	gv := reqGroupDetails(rq, u, g)
	editErr := rq.CheckEditGroup(u, g.Name)
	gv.Editable, gv.EditReason = editErr == nil, reqReason(editErr)
	if rq.CanReview(u) {
		gv.ReviewerButtons = true
		cur := rq.CheckGroupVotes(u, g.Name)
		gv.Enabled = cur == nil
		gv.RequestChanges = reqActionView{Label: "Request changes on unvoted files", URL: pathGroupRequestChg.build(rq.ID, g.Name), Reason: reqReason(cur), Class: "button-secondary"}
		gv.ResetVotes = reqActionView{Label: "Reset my votes", URL: pathGroupResetVotes.build(rq.ID, g.Name), Reason: reqReason(cur), Class: "button-secondary"}
		if cur != nil && rq.Status.IsUnderReview() {
			p.Other = append(p.Other, gv.RequestChanges, gv.ResetVotes)
		}
		gv.ChangesDialog = reqConfirm{ID: "group-changes-dialog", Title: "Request changes on " + g.Name + "?", URL: gv.RequestChanges.URL,
			Button: "Request changes", Class: "button",
			Text: []string{"Every output file of " + g.Name + " you have not voted on gets your vote “changes requested”. Files you have already voted on keep your vote."}}
		gv.ResetDialog = reqConfirm{ID: "group-reset-dialog", Title: "Reset your votes on " + g.Name + "?", URL: gv.ResetVotes.URL,
			Button: "Reset my votes", Class: "button button-danger", FocusCancel: true,
			Text: []string{"Your votes on every output file of " + g.Name + " are taken back: the files show as not voted."}}
	}
	events, err := p.visibleEvents(r, u)
	if err != nil {
		return "", nil, err
	}
	gv.Activity = reqActivityOf(events, g.Name, r.URL.Path, r.URL.Query())
	return "request-group", &reqGroupPage{reqPage: p, Group: gv}, nil
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
		if err := rq.CheckDownload(u); err != nil {
			return err
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
	v := reqPage{R: rq, UploadURL: uploadProgressURL(rq.ID)}
	for _, f := range rq.OutputFiles() {
		v.Outputs++
		if f.Uploaded {
			v.Uploaded++
		}
	}
	return h.renderFragment(w, r, http.StatusOK, "request-overview", "upload-progress-fragment", v)
}
