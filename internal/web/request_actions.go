package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
)

// reqBackTo is where a request form post returns: the form's "next" when it
// is a page of this request, else the request's overview.
func reqBackTo(r *http.Request, id string) string {
	base := requestBase(id)
	if n := r.PostFormValue("next"); strings.HasPrefix(n, base) && !strings.Contains(n, "//") {
		return n
	}
	return base
}

// reqDone finishes a request form post: the success message, or the refusal
// as an error flash (anything else is the error page); then back.
func (h *Handler) reqDone(w http.ResponseWriter, r *http.Request, id, target, success string, err error) error {
	if err != nil {
		if statusOf(err) >= 500 {
			return err
		}
		h.flash(r, FlashError, domain.Message(err))
	} else if success != "" {
		h.flash(r, FlashSuccess, success)
	}
	if target == "" {
		target = reqBackTo(r, id)
	}
	h.redirect(w, r, target)
	return nil
}

// postVote binds a vote: its handler approves, or requests changes to,
// one file. From htmx (the file page's vote buttons) it answers the file
// page's review panel and what changed around it, to swap in place;
// otherwise it redirects back, as a form post.
func (h *Handler) postVote(vote domain.Vote) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, u domain.User) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		id, p := r.PathValue("id"), r.PathValue("path")
		_, err := h.svc.Vote(r.Context(), u, id, p, vote)
		if isHTMX(r) {
			return h.voteAnswer(w, r, u, id, p, err)
		}
		msg := "File " + p + " approved"
		if vote == domain.VoteChangesRequested {
			msg = "File " + p + " has changes requested"
		}
		return h.reqDone(w, r, id, "", msg, err)
	}
}

// postResetVote deletes the user's vote on one file.
func (h *Handler) postResetVote(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, p := r.PathValue("id"), r.PathValue("path")
	_, err := h.svc.ResetVote(r.Context(), u, id, p)
	if isHTMX(r) {
		return h.voteAnswer(w, r, u, id, p, err)
	}
	return h.reqDone(w, r, id, "", "Your review of "+p+" has been reset", err)
}

// voteAnswer is the answer to a vote sent by htmx: the file page's review
// panel, with the header (progress, next step, actions) and the file's
// tree node swapped out of band; a refusal is shown in the panel.
func (h *Handler) voteAnswer(w http.ResponseWriter, r *http.Request, u domain.User, id, relpath string, voteErr error) error {
	if voteErr != nil && statusOf(voteErr) >= 500 {
		return voteErr
	}
	rq, st, err := h.svc.GetRequestStamped(r.Context(), u, id)
	if err != nil {
		return err
	}
	f, ok := rq.File(relpath)
	if !ok {
		return errorPage(http.StatusNotFound, "There is no file "+relpath+" on this request.")
	}
	g, _ := rq.Group(f.Group)
	frame := h.reqPageOf(rq, st, u, reqTreeSel{Group: f.Group, Path: f.Relpath})
	frame.OOB = true
	page := h.buildFile(u, frame, g, f)
	page.File.Error = reqReason(voteErr)
	return h.renderFragment(w, r, http.StatusOK, "request-file", "vote-answer", page)
}

// postWithdrawFile withdraws one file.
func (h *Handler) postWithdrawFile(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, p := r.PathValue("id"), r.PathValue("path")
	_, err := h.svc.WithdrawFiles(r.Context(), u, id, []string{p})
	return h.reqDone(w, r, id, "", "The file "+p+" has been withdrawn from the request", err)
}

// postOverrideChecks records the author's justification for submitting
// a file despite its blocking disclosure findings.
func (h *Handler) postOverrideChecks(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, p := r.PathValue("id"), r.PathValue("path")
	_, err := h.svc.OverrideChecks(r.Context(), u, id, p, r.PostFormValue("justification"))
	return h.reqDone(w, r, id, "", "The checks of "+p+" are overridden; your justification is shown to the output checkers", err)
}

// postChangeProperties moves selected files to a group and/or changes
// their type.
func (h *Handler) postChangeProperties(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	paths := r.PostForm["selected"]
	group := strings.TrimSpace(r.PostFormValue("new_filegroup"))
	if group == "" {
		group = strings.TrimSpace(r.PostFormValue("filegroup"))
	}
	ft, err := domain.ParseFileType(r.PostFormValue("filetype"))
	if err != nil {
		return h.reqDone(w, r, id, "", "", err)
	}
	rq, res, err := h.svc.ChangeFileProperties(r.Context(), u, id, paths, group, ft)
	target := ""
	if err == nil && len(paths) == 1 {
		if f, ok := rq.File(paths[0]); ok {
			target = reqFileURL(rq.ID, f.Group, f.Relpath)
		}
	}
	if err == nil && res.Changed == 0 {
		h.flash(r, FlashInfo, domain.NothingChanged(res.Unchanged))
		return h.reqDone(w, r, id, target, "", nil)
	}
	msg := "Updated the properties of " + plural(res.Changed, "file", "files")
	if res.Unchanged > 0 {
		msg += "; " + plural(res.Unchanged, "file was", "files were") + " already so"
	}
	return h.reqDone(w, r, id, target, msg, err)
}

// postMultiselect withdraws (withdraw_files) or changes the properties of
// (update_files) the selected files of a folder.
func (h *Handler) postMultiselect(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	paths := r.PostForm["selected"]
	switch r.PostFormValue("action") {
	case "update_files":
		return h.postChangeProperties(w, r, u)
	case "withdraw_files":
	default:
		return errorPage(http.StatusBadRequest, "Unknown action.")
	}
	if len(paths) == 0 {
		return h.reqDone(w, r, id, "", "", domain.Errorf(domain.ErrInvalidInput, "Select at least one file."))
	}
	paths, err := domain.UniquePaths(paths)
	if err != nil {
		return h.reqDone(w, r, id, "", "", err)
	}
	var ok, failed int
	var rq *domain.Request
	for _, p := range paths {
		got, err := h.svc.WithdrawFiles(r.Context(), u, id, []string{p})
		if err != nil {
			if statusOf(err) >= 500 {
				return err
			}
			failed++
			h.flash(r, FlashError, "Could not withdraw "+p+": "+domain.Message(err))
			continue
		}
		rq = got
		ok++
		h.flash(r, FlashSuccess, "The file "+p+" has been withdrawn from the request")
	}
	target := reqBackTo(r, id)
	if rq != nil && failed == 0 {
		// If the folder is now empty, go to its parent.
		if dir := strings.TrimSuffix(strings.TrimPrefix(target, requestBase(id)), "/"); dir != "" {
			if g, rest, found := strings.Cut(dir, "/"); found {
				gname, _ := url.PathUnescape(g)
				rel, _ := url.PathUnescape(rest)
				empty := true
				for _, f := range rq.GroupFiles(gname) {
					if f.FileType != domain.FileWithdrawn && strings.HasPrefix(f.Relpath, rel+"/") {
						empty = false
					}
				}
				if empty {
					target = reqGroupURL(id, gname)
				}
			}
		}
	}
	h.redirect(w, r, target)
	return nil
}

// postStatus binds a request-level action (submit, review, reject,
// withdraw, return, release): its handler takes it and goes back to the
// overview.
func (h *Handler) postStatus(kind domain.ActionKind) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, u domain.User) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		id := r.PathValue("id")
		var err error
		var msg string
		ctx := r.Context()
		switch kind {
		case domain.ActionSubmit:
			// The submit dialog asks the author to confirm they have read
			// the data release rules (a required box); that is a person's
			// acknowledgement, not a rule of the request, so the server
			// does not refuse without it: the API and the command line
			// submit the same way.
			_, err = h.svc.Submit(ctx, u, id)
			msg = "Request has been submitted"
		case domain.ActionSubmitReview:
			_, err = h.svc.SubmitReview(ctx, u, id)
			msg = "Your review has been submitted"
		case domain.ActionReject:
			_, err = h.svc.Reject(ctx, u, id)
			msg = "Request has been rejected"
		case domain.ActionWithdraw:
			_, err = h.svc.Withdraw(ctx, u, id)
			msg = "Your request has been withdrawn"
		case domain.ActionReturn:
			_, err = h.svc.Return(ctx, u, id)
			msg = "Request has been returned to the researcher"
		case domain.ActionRelease:
			_, err = h.svc.Release(ctx, u, id)
			msg = "Files have been released and will be uploaded"
		default:
			return fmt.Errorf("web: no handler for request action %q", kind)
		}
		return h.reqDone(w, r, id, requestBase(id), msg, err)
	}
}

// postEditGroup saves a group's context and controls.
func (h *Handler) postEditGroup(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	if r.PostForm["context"] == nil || r.PostForm["controls"] == nil {
		// Not the page's form (which always sends both): saving would
		// clear what the form did not send.
		return errorPage(http.StatusBadRequest, "The form must send the group's context and controls.")
	}
	_, changed, err := h.svc.EditGroup(r.Context(), u, id, g, r.PostFormValue("context"), r.PostFormValue("controls"))
	msg := "Updated group " + g
	if err == nil && !changed {
		msg = "No changes made to group " + g
	}
	return h.reqDone(w, r, id, reqGroupURL(id, g), msg, err)
}

// postCommentCreate adds a comment to a group; from a file page, about
// that file.
func (h *Handler) postCommentCreate(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	ctx := r.Context()
	text := r.PostFormValue("comment")
	if rel := r.PostFormValue("file_relpath"); rel != "" {
		rq, gerr := h.svc.GetRequest(ctx, u, id)
		if gerr != nil {
			return h.reqDone(w, r, id, "", "", gerr)
		}
		if f, ok := rq.File(rel); !ok || f.Group != g {
			return errorPage(http.StatusBadRequest, "The comment is about a file that is not in group "+g+" of this request.")
		}
		if strings.TrimSpace(text) != "" {
			text = fmt.Sprintf("File: [%s](%s)\n\n%s", rel, reqFileURL(id, g, rel), text)
		}
	}
	vis := domain.VisibilityPublic
	if v := r.PostFormValue("visibility"); v != "" {
		var err error
		if vis, err = domain.ParseVisibility(v); err != nil {
			return h.reqDone(w, r, id, "", "", err)
		}
	}
	_, err := h.svc.CreateComment(ctx, u, id, g, text, vis)
	return h.reqDone(w, r, id, "", "Comment added", err)
}

// commentID is the comment a form changes.
func commentID(r *http.Request) (int64, error) {
	cid, err := strconv.ParseInt(r.PostFormValue("comment_id"), 10, 64)
	if err != nil {
		return 0, errorPage(http.StatusBadRequest, "The comment to change was not given.")
	}
	return cid, nil
}

// postCommentDelete deletes one's own comment.
func (h *Handler) postCommentDelete(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	cid, err := commentID(r)
	if err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	err = h.svc.DeleteComment(r.Context(), u, id, g, cid)
	return h.reqDone(w, r, id, "", "Comment deleted", err)
}

// postCommentPublish makes one's own private comment public.
func (h *Handler) postCommentPublish(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	cid, err := commentID(r)
	if err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	_, err = h.svc.PublishComment(r.Context(), u, id, g, cid)
	return h.reqDone(w, r, id, "", "Comment made public", err)
}

// postGroupRequestChanges requests changes on every output file of a
// group the user has not voted on.
func (h *Handler) postGroupRequestChanges(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	_, res, err := h.svc.RequestChangesOnGroup(r.Context(), u, id, g)
	msg := fmt.Sprintf("Changes requested on %s", plural(res.Changed, "file", "files"))
	if res.Unchanged > 0 {
		msg += fmt.Sprintf("; %s already voted on left unchanged", plural(res.Unchanged, "file", "files"))
	}
	return h.reqDone(w, r, id, "", msg, err)
}

// postGroupResetVotes resets the user's votes on a group's files.
func (h *Handler) postGroupResetVotes(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	_, res, err := h.svc.ResetVotesOnGroup(r.Context(), u, id, g)
	return h.reqDone(w, r, id, "", fmt.Sprintf("Reset your votes on %s", plural(res.Changed, "file", "files")), err)
}
