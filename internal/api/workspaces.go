package api

import (
	"net/http"
	"strconv"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

func (a *API) listWorkspaces(w http.ResponseWriter, r *http.Request, u domain.User) error {
	list, err := a.svc.VisibleWorkspaces(r.Context(), u)
	if err != nil {
		return err
	}
	out := make([]workspaceDoc, 0, len(list))
	for _, ws := range list {
		out = append(out, workspaceDoc{
			Name: ws.Name, Project: ws.Info.ProjectDetails.Name, Archived: ws.Info.Archived,
			Ongoing: ws.Info.ProjectDetails.Ongoing, CurrentRequest: strPtr(ws.CurrentRequest),
			Unavailable: strPtr(ws.Unavailable),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// workspaceFiles answers a folder with its entries, or a file's entry.
// ?out_of_date=true includes the outputs of out-of-date actions.
func (a *API) workspaceFiles(w http.ResponseWriter, r *http.Request, u domain.User) error {
	showOld, _ := strconv.ParseBool(r.URL.Query().Get("out_of_date"))
	entry, children, err := a.svc.BrowseWorkspace(r.Context(), u, r.PathValue("ws"), r.PathValue("path"), showOld)
	if err != nil {
		return err
	}
	ws := r.PathValue("ws")
	if !entry.Dir {
		doc := entryDocument(entry)
		if err := a.addChecks(r, u, ws, []*entryDoc{&doc}); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, doc)
		return nil
	}
	d := dirDoc{Path: entry.Relpath, Kind: "dir", Children: make([]entryDoc, 0, len(children))}
	var files []*entryDoc
	for _, c := range children {
		d.Children = append(d.Children, entryDocument(c))
	}
	for i := range d.Children {
		if d.Children[i].Kind == "file" {
			files = append(files, &d.Children[i])
		}
	}
	if err := a.addChecks(r, u, ws, files); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// addChecks fills the disclosure checks' findings of workspace files, or
// the reason a file could not be checked.
func (a *API) addChecks(r *http.Request, u domain.User, ws string, files []*entryDoc) error {
	if len(files) == 0 {
		return nil
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	found, err := a.svc.WorkspaceFilesChecks(r.Context(), u, ws, paths)
	if err != nil {
		return err
	}
	for i, f := range files {
		if found[i].Err != nil {
			f.ChecksError = domain.Message(found[i].Err)
			continue
		}
		list := found[i].Findings
		if list == nil {
			list = []checks.Finding{}
		}
		f.Checks = &list
	}
	return nil
}

func entryDocument(e service.BrowseEntry) entryDoc {
	if e.Dir {
		return entryDoc{Path: e.Relpath, Kind: "dir"}
	}
	size := e.Size
	stamp := ts(timeOf(e.Timestamp))
	status := e.Status
	return entryDoc{Path: e.Relpath, Kind: "file", Size: &size, Timestamp: &stamp, SHA256: e.ContentHash,
		Status: &status, OutOfDate: e.OutOfDateAction}
}

func (a *API) addFiles(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body addFilesBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	files := make([]service.AddFile, 0, len(body.Files))
	for _, f := range body.Files {
		ft := domain.FileOutput
		if f.FileType != "" {
			var err error
			if ft, err = domain.ParseFileType(f.FileType); err != nil {
				return err
			}
		}
		files = append(files, service.AddFile{Path: f.Path, FileType: ft})
	}
	group := body.Group
	if group == "" {
		group = domain.DefaultGroup
	}
	req, err := a.svc.AddFiles(r.Context(), u, r.PathValue("ws"), group, files)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestDocument(req, u))
	return nil
}

func (a *API) updateFiles(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body pathsBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	req, err := a.svc.UpdateFiles(r.Context(), u, r.PathValue("ws"), body.Paths)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestDocument(req, u))
	return nil
}
