package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// addDialog is the form that adds files to the current request, or
// updates them in it.
type addDialog struct {
	Workspace string
	Update    bool
	Groups    []string // the current request's groups; "default" when none
	Files     []addRow
	Ignored   []addRow
	NextURL   string
}

// addRow is a file of the add dialog.
type addRow struct {
	Path           string
	SupportingOnly bool
	Reason         string
}

// addDialogFor sorts the chosen entries into those that can be added (or
// updated) and those ignored, with the reasons: a file that cannot be an
// output but can be supporting (a released file) is offered as supporting
// only; an update takes only the files changed since they were added.
func (h *Handler) addDialogFor(u domain.User, ws string, entries []service.BrowseEntry, current *domain.Request, update bool, next string) addDialog {
	d := addDialog{Workspace: ws, Update: update, NextURL: next}
	if current != nil {
		for _, g := range current.Groups {
			d.Groups = append(d.Groups, g.Name)
		}
	}
	if len(d.Groups) == 0 {
		d.Groups = []string{domain.DefaultGroup}
	}
	for _, e := range entries {
		rel := e.Relpath
		if update {
			if e.Status == domain.WorkspaceFileUpdated {
				d.Files = append(d.Files, addRow{Path: rel})
			} else {
				d.Ignored = append(d.Ignored, addRow{Path: rel, Reason: "not changed since it was added to the request"})
			}
			continue
		}
		if err := domain.CheckAddable(rel, domain.FileOutput, e.Status, current); err == nil {
			d.Files = append(d.Files, addRow{Path: rel})
		} else if err2 := domain.CheckAddable(rel, domain.FileSupporting, e.Status, current); err2 == nil {
			d.Files = append(d.Files, addRow{Path: rel, SupportingOnly: true, Reason: domain.Message(err)})
		} else {
			d.Ignored = append(d.Ignored, addRow{Path: rel, Reason: domain.Message(err2)})
		}
	}
	return d
}

// workspaceMultiselect answers the folder page's "Add files" / "Update
// files" buttons with the dialog for the selected files.
func (h *Handler) workspaceMultiselect(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws := r.PathValue("ws")
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := u.CheckActionWorkspace(ws); err != nil {
		return err
	}
	paths := r.PostForm["selected"]
	next := backTo(r, ws)
	if len(paths) == 0 {
		h.flash(r, FlashError, "You did not select any files.")
		h.redirect(w, r, next)
		return nil
	}
	action := r.PostFormValue("action")
	if action != "add_files" && action != "update_files" {
		return domain.Errorf(domain.ErrInvalidInput, "unknown action %q", action)
	}
	current, err := h.currentRequest(r, u, ws)
	if err != nil {
		return err
	}
	if current != nil {
		if err := current.CheckEdit(u); err != nil {
			return err
		}
	}
	show := h.sessions.GetBool(r.Context(), oodKey(ws))
	var entries []service.BrowseEntry
	for _, p := range paths {
		e, _, err := h.svc.BrowseWorkspace(r.Context(), u, ws, p, show)
		if err != nil {
			return err
		}
		if e.Dir {
			continue
		}
		entries = append(entries, e)
	}
	d := h.addDialogFor(u, ws, entries, current, action == "update_files", next)
	if isHTMX(r) {
		return h.renderFragment(w, r, http.StatusOK, "workspace-browse", "workspace-add-dialog", d)
	}
	return h.render(w, r, http.StatusOK, "workspace-add", d)
}

// workspaceAddFiles adds the dialog's files to the user's current
// request (made if there is none).
func (h *Handler) workspaceAddFiles(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws := r.PathValue("ws")
	if err := parseForm(w, r); err != nil {
		return err
	}
	next := backTo(r, ws)
	group := strings.TrimSpace(r.PostFormValue("new_group"))
	if group == "" {
		group = strings.TrimSpace(r.PostFormValue("group"))
	}
	if group == "" {
		group = domain.DefaultGroup
	}
	var files []service.AddFile
	for i, p := range r.PostForm["file"] {
		ft := domain.FileOutput
		if r.PostFormValue("filetype_"+strconv.Itoa(i)) == string(domain.FileSupporting) {
			ft = domain.FileSupporting
		}
		files = append(files, service.AddFile{Path: p, FileType: ft})
	}
	if len(files) == 0 {
		h.flash(r, FlashError, "There were no files to add.")
		h.redirect(w, r, next)
		return nil
	}
	if _, err := h.svc.AddFiles(r.Context(), u, ws, group, files); err != nil {
		if !explained(err) {
			return err
		}
		h.flash(r, FlashError, "The files were not added: "+domain.Message(err))
	} else {
		h.flash(r, FlashSuccess, fmt.Sprintf("%s added to group %q of your release request.", plural(len(files), "file", "files"), group))
	}
	h.redirect(w, r, next)
	return nil
}

// workspaceUpdateFiles updates changed files in the current request.
func (h *Handler) workspaceUpdateFiles(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws := r.PathValue("ws")
	if err := parseForm(w, r); err != nil {
		return err
	}
	next := backTo(r, ws)
	paths := r.PostForm["file"]
	if len(paths) == 0 {
		h.flash(r, FlashError, "There were no files to update.")
		h.redirect(w, r, next)
		return nil
	}
	if _, err := h.svc.UpdateFiles(r.Context(), u, ws, paths); err != nil {
		if !explained(err) {
			return err
		}
		h.flash(r, FlashError, "The files were not updated: "+domain.Message(err))
	} else {
		h.flash(r, FlashSuccess, plural(len(paths), "file", "files")+" updated in your release request.")
	}
	h.redirect(w, r, next)
	return nil
}
