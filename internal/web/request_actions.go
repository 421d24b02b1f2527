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

// postVote approves or requests changes to one file.
func (h *Handler) postVote(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, p := r.PathValue("id"), r.PathValue("path")
	vote, msg := domain.VoteApproved, "approved"
	if strings.HasPrefix(r.URL.Path, "/requests/request_changes/") {
		vote, msg = domain.VoteChangesRequested, "has changes requested"
	}
	_, err := h.svc.Vote(r.Context(), u, id, p, vote)
	return h.reqDone(w, r, id, "", "File "+p+" "+msg, err)
}

// postResetVote deletes the user's vote on one file.
func (h *Handler) postResetVote(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, p := r.PathValue("id"), r.PathValue("path")
	_, err := h.svc.ResetVote(r.Context(), u, id, p)
	return h.reqDone(w, r, id, "", "Your review of "+p+" has been reset", err)
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

// postStatus is the request's status buttons.
func (h *Handler) postStatus(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	verb := strings.Split(strings.TrimPrefix(r.URL.Path, "/requests/"), "/")[0]
	var err error
	var msg string
	ctx := r.Context()
	switch verb {
	case "submit":
		// The submit dialog asks the author to confirm they have read the
		// data release rules (a required box); that is a person's
		// acknowledgement, not a rule of the request, so the server does
		// not refuse without it: the API and the command line submit the
		// same way.
		_, err = h.svc.Submit(ctx, u, id)
		msg = "Request has been submitted"
	case "review":
		_, err = h.svc.SubmitReview(ctx, u, id)
		msg = "Your review has been submitted"
	case "reject":
		_, err = h.svc.Reject(ctx, u, id)
		msg = "Request has been rejected"
	case "withdraw":
		_, err = h.svc.Withdraw(ctx, u, id)
		msg = "Your request has been withdrawn"
	case "return":
		_, err = h.svc.Return(ctx, u, id)
		msg = "Request has been returned to the researcher"
	case "release":
		_, err = h.svc.Release(ctx, u, id)
		msg = "Files have been released and will be uploaded"
	default:
		return errorPage(http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	}
	return h.reqDone(w, r, id, requestBase(id), msg, err)
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

// postComment creates, deletes or publishes a comment of a group.
func (h *Handler) postComment(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	ctx := r.Context()
	var err error
	var msg string
	switch {
	case strings.HasPrefix(r.URL.Path, "/requests/comment/create/"):
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
			if vis, err = domain.ParseVisibility(v); err != nil {
				return h.reqDone(w, r, id, "", "", err)
			}
		}
		_, err = h.svc.CreateComment(ctx, u, id, g, text, vis)
		msg = "Comment added"
	default:
		cid, perr := strconv.ParseInt(r.PostFormValue("comment_id"), 10, 64)
		if perr != nil {
			return errorPage(http.StatusBadRequest, "The comment to change was not given.")
		}
		if strings.HasPrefix(r.URL.Path, "/requests/comment/delete/") {
			err = h.svc.DeleteComment(ctx, u, id, g, cid)
			msg = "Comment deleted"
		} else {
			_, err = h.svc.PublishComment(ctx, u, id, g, cid)
			msg = "Comment made public"
		}
	}
	return h.reqDone(w, r, id, "", msg, err)
}

// postGroupVotes requests changes on, or resets, the user's votes on a
// group's files.
func (h *Handler) postGroupVotes(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, g := r.PathValue("id"), r.PathValue("group")
	if strings.HasPrefix(r.URL.Path, "/requests/request-changes/") {
		_, res, err := h.svc.RequestChangesOnGroup(r.Context(), u, id, g)
		msg := fmt.Sprintf("Changes requested on %s", plural(res.Changed, "file", "files"))
		if res.Unchanged > 0 {
			msg += fmt.Sprintf("; %s already voted on left unchanged", plural(res.Unchanged, "file", "files"))
		}
		return h.reqDone(w, r, id, "", msg, err)
	}
	_, res, err := h.svc.ResetVotesOnGroup(r.Context(), u, id, g)
	return h.reqDone(w, r, id, "", fmt.Sprintf("Reset your votes on %s", plural(res.Changed, "file", "files")), err)
}
