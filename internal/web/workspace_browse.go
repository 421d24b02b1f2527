package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/render"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/workspace"
)

// treeNode is a file or folder of the workspace tree.
type treeNode struct {
	Name     string
	Path     string // relative path, no trailing slash
	Dir      bool
	Class    string // CSS classes: workspace_<status>, out-of-date-action, extension, ...
	Open     bool   // a folder shown expanded (its Children loaded)
	Selected bool
	Children []treeNode
}

// childRow is a row of a folder page.
type childRow struct {
	treeNode
	Status   domain.WorkspaceFileStatus
	Pill     statusLabel
	Size     string
	Modified string
	Checkbox bool // may be selected for add/update
}

// actionButton is a button that may be disabled with its reason.
type actionButton struct {
	Label    string
	Update   bool // "Update file in request" rather than add
	Disabled bool
	Reason   string // why disabled, or a note when enabled ("only as supporting")
}

// workspaceBrowseView is the workspace browser: tree and content.
type workspaceBrowseView struct {
	Workspace   string
	Info        domain.WorkspaceInfo
	Current     *domain.Request
	CanAct      bool
	Path        string // the selected path ("" for the root)
	Crumbs      []treeNode
	Tree        []treeNode
	ShowOOD     bool
	OODCount    int
	IsDir       bool
	Entry       service.BrowseEntry
	Rows        []childRow
	SelectAll   bool
	AnyCheckbox bool
	// file pages
	ContentURL string
	SelfURL    string // this page, escaped
	SizeText   string
	Modified   string
	Button     actionButton
	Add        *addDialog
	StatusPill statusLabel
	Checks     checksView // the disclosure checks' findings
	// CodeURL opens the code browser at the file's commit ("View source
	// code"); CauseURL loads the panel of the action that produced it.
	CodeURL, CauseURL string
	// ManifestHash names the tree shown, for partial navigation.
	ManifestHash string
}

type statusLabel struct{ State, Label string }

// workspace states as pills.
func pillOf(st domain.WorkspaceFileStatus) statusLabel {
	return statusLabel{State: string(st), Label: st.Label()}
}

// oodKey is the session key of a workspace's out-of-date flag.
func oodKey(ws string) string { return "workspace-show-ood:" + ws }

// workspaceBrowse is the workspace browser at a path.
func (h *Handler) workspaceBrowse(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, p := r.PathValue("ws"), r.PathValue("path")
	rel := strings.Trim(p, "/")
	ctx := r.Context()
	tree, err := h.svc.WorkspaceTree(ctx, u, ws)
	if err != nil {
		return err
	}
	// Tree links fetch only the content pane: htmx sends the
	// hash of the tree the page shows (hx-headers on the browser); when
	// the workspace's outputs changed since, the whole page is loaded
	// again instead.
	sent := r.Header.Get("Manifest-Hash")
	pane := isHTMX(r) && sent != ""
	if pane && sent != tree.ManifestHash {
		h.redirect(w, r, r.URL.RequestURI())
		return nil
	}
	show := h.sessions.GetBool(ctx, oodKey(ws))
	entry, children, err := h.svc.BrowseWorkspace(ctx, u, ws, rel, show)
	// A path that is not in the tree takes the person to its folder; a
	// file of the tree that cannot be used (a link, a FIFO: see package
	// workspace) answers with why.
	if errors.Is(err, domain.ErrNotFound) && !errors.Is(err, workspace.ErrUnusable) && rel != "" {
		if _, _, perr := h.svc.BrowseWorkspace(ctx, u, ws, "", show); perr == nil {
			h.flash(r, FlashError, fmt.Sprintf("There is no file or folder %s in workspace %s (a recent job may have updated its outputs).", rel, ws))
			parent := path.Dir(rel)
			if parent == "." {
				parent = ""
			}
			target := "/workspaces/view/" + pathEscapeSeg(ws) + "/"
			if parent != "" {
				target += pathEscape(parent) + "/"
			}
			h.redirect(w, r, target)
			return nil
		}
	}
	if err != nil {
		return err
	}
	// Canonical URLs: folders end in /, files do not.
	base := "/workspaces/view/" + pathEscapeSeg(ws) + "/"
	if rel != "" {
		want := base + pathEscape(rel)
		if entry.Dir {
			want += "/"
		}
		if (entry.Dir && !strings.HasSuffix(p, "/")) || (!entry.Dir && strings.HasSuffix(p, "/")) {
			http.Redirect(w, r, want, http.StatusFound)
			return nil
		}
	}
	current, err := h.currentRequest(r, u, ws)
	if err != nil {
		return err
	}
	v := workspaceBrowseView{
		Workspace: ws, Info: u.WorkspaceInfo(ws), Current: current, Path: rel, ShowOOD: show,
		IsDir: entry.Dir, Entry: entry, CanAct: u.CheckActionWorkspace(ws) == nil, SelfURL: r.URL.EscapedPath(),
		ManifestHash: tree.ManifestHash, OODCount: tree.OutOfDate,
	}
	if !pane {
		if err := h.buildTree(r, u, &v, children); err != nil {
			return err
		}
	}
	if rel != "" {
		parts := strings.Split(rel, "/")
		for i := range parts {
			v.Crumbs = append(v.Crumbs, treeNode{Name: parts[i], Path: strings.Join(parts[:i+1], "/"), Dir: i < len(parts)-1 || entry.Dir})
		}
	}
	if entry.Dir {
		for _, c := range children {
			row := childRow{treeNode: nodeOf(c, rel), Status: c.Status, Pill: pillOf(c.Status)}
			if !c.Dir {
				row.Size = formatSize(c.Size)
				row.Modified = formatStamp(c.Timestamp)
				row.Checkbox = v.CanAct && c.Status != domain.WorkspaceFileInvalid
				v.AnyCheckbox = v.AnyCheckbox || row.Checkbox
			}
			v.Rows = append(v.Rows, row)
		}
		v.SelectAll = v.AnyCheckbox && len(v.Rows) < 200
	} else {
		if found, err := h.svc.WorkspaceFileChecks(ctx, u, ws, rel); err != nil {
			if statusOf(err) >= 500 {
				return err
			}
			v.Checks = checksView{Error: "The automatic checks do not apply: " + domain.Message(err)}
		} else {
			v.Checks = newChecksView(found)
		}
		v.StatusPill = pillOf(entry.Status)
		v.SizeText, v.Modified = formatSize(entry.Size), formatStamp(entry.Timestamp)
		v.ContentURL = "/workspaces/content/" + pathEscapeSeg(ws) + "/" + pathEscape(rel) + "?cache_id=" + cacheID(entry.WorkspaceFile)
		v.Button = fileButton(u, ws, rel, entry.Status, current)
		if h.svc.HasCode() {
			v.CodeURL, v.CauseURL = workspaceCodeLinks(ws, entry.WorkspaceFile, r.URL.EscapedPath())
		}
		if !v.Button.Disabled {
			d := h.addDialogFor(u, ws, []service.BrowseEntry{entry}, current, v.Button.Update, r.URL.EscapedPath())
			v.Add = &d
		}
	}
	if pane {
		return h.renderFragment(w, r, http.StatusOK, "workspace-browse", "workspace-pane-fragment", v)
	}
	return h.render(w, r, http.StatusOK, "workspace-browse", v)
}

// currentRequest is u's current request in ws, for users with a role.
func (h *Handler) currentRequest(r *http.Request, u domain.User, ws string) (*domain.Request, error) {
	if !u.HasRole(ws) {
		return nil, nil
	}
	return h.svc.CurrentRequest(r.Context(), u, ws)
}

// buildTree fills the tree: the root level, and the selected path's
// ancestors expanded (each listed once).
func (h *Handler) buildTree(r *http.Request, u domain.User, v *workspaceBrowseView, selChildren []service.BrowseEntry) error {
	ctx := r.Context()
	var dirs []string // the folders to expand: "", then each ancestor, then the selection when a folder
	dirs = append(dirs, "")
	if v.Path != "" {
		parts := strings.Split(v.Path, "/")
		for i := 1; i < len(parts); i++ {
			dirs = append(dirs, strings.Join(parts[:i], "/"))
		}
		if v.IsDir {
			dirs = append(dirs, v.Path)
		}
	}
	levels := make([][]treeNode, len(dirs))
	for i, d := range dirs {
		var kids []service.BrowseEntry
		if v.IsDir && d == v.Path {
			kids = selChildren
		} else {
			_, c, err := h.svc.BrowseWorkspace(ctx, u, v.Workspace, d, v.ShowOOD)
			if err != nil {
				return err
			}
			kids = c
		}
		for _, c := range kids {
			levels[i] = append(levels[i], nodeOf(c, d))
		}
	}
	// Nest the levels from the deepest up.
	for i := len(levels) - 1; i > 0; i-- {
		parent := levels[i-1]
		for j := range parent {
			if parent[j].Path == dirs[i] {
				parent[j].Open = true
				parent[j].Children = levels[i]
			}
		}
	}
	v.Tree = levels[0]
	markSelected(v.Tree, v.Path)
	return nil
}

func markSelected(nodes []treeNode, sel string) {
	for i := range nodes {
		if nodes[i].Path == sel {
			nodes[i].Selected = true
			nodes[i].Class += " selected"
		}
		markSelected(nodes[i].Children, sel)
	}
}

// nodeOf is a child entry of folder dir as a tree node.
func nodeOf(c service.BrowseEntry, dir string) treeNode {
	p := c.Name
	if dir != "" {
		p = dir + "/" + c.Name
	}
	n := treeNode{Name: c.Name, Path: p, Dir: c.Dir}
	var cls []string
	if c.Dir {
		cls = append(cls, "tree-dir")
	} else {
		cls = append(cls, "tree-file", "workspace_"+strings.ToLower(string(c.Status)))
		if c.OutOfDateAction {
			cls = append(cls, "out-of-date-action")
		}
		if ext := strings.TrimPrefix(path.Ext(c.Name), "."); ext != "" && isClassWord(ext) {
			cls = append(cls, ext)
		}
		if !domain.AllowedFileType(p) || c.Status == domain.WorkspaceFileInvalid {
			cls = append(cls, "invalid")
		}
	}
	n.Class = strings.Join(cls, " ")
	return n
}

// isClassWord reports whether s is safe and sensible as a CSS class.
func isClassWord(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return len(s) <= 10
}

// workspaceTree answers htmx with the <ul> of a folder's children, for a
// folder of the tree opened for the first time.
func (h *Handler) workspaceTree(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, rel := r.PathValue("ws"), strings.Trim(r.PathValue("path"), "/")
	show := h.sessions.GetBool(r.Context(), oodKey(ws))
	entry, children, err := h.svc.BrowseWorkspace(r.Context(), u, ws, rel, show)
	if err != nil {
		return err
	}
	if !entry.Dir {
		return errorPage(http.StatusBadRequest, rel+" is not a folder.")
	}
	v := workspaceBrowseView{Workspace: ws}
	for _, c := range children {
		v.Tree = append(v.Tree, nodeOf(c, rel))
	}
	return h.renderFragment(w, r, http.StatusOK, "workspace-browse", "workspace-tree-fragment", v)
}

// workspaceContent renders a workspace file for the iframe.
func (h *Handler) workspaceContent(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, rel := r.PathValue("ws"), r.PathValue("path")
	f, entry, err := h.svc.ViewWorkspaceFile(r.Context(), u, ws, rel)
	if err != nil {
		return err
	}
	if c, ok := f.(interface{ Close() error }); ok {
		defer c.Close()
	}
	// The flagged cells are marked in the table; a file the checks cannot
	// read is shown without marks.
	found, cerr := h.svc.WorkspaceFileChecks(r.Context(), u, ws, rel)
	if cerr != nil {
		found = nil
	}
	return render.Serve(w, r, render.File{
		Name: entry.Relpath, Content: f, Size: entry.Size, ModTime: stampTime(entry.Timestamp), CacheID: cacheID(entry.WorkspaceFile),
		Findings: found,
	})
}

// workspaceToggleOutOfDate flips whether outputs of out-of-date actions
// are shown in the workspace, and goes back to the page.
func (h *Handler) workspaceToggleOutOfDate(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws := r.PathValue("ws")
	if err := u.CheckViewWorkspace(ws); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	k := oodKey(ws)
	h.sessions.Put(r.Context(), k, !h.sessions.GetBool(r.Context(), k))
	h.redirect(w, r, backTo(r, ws))
	return nil
}

// backTo is the form's next_url when it is a workspace page of ws, else
// the workspace's root.
func backTo(r *http.Request, ws string) string {
	root := "/workspaces/view/" + pathEscapeSeg(ws) + "/"
	next := r.PostFormValue("next_url")
	if strings.HasPrefix(next, root) && !strings.Contains(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return root
}

// fileButton is the add or update button of a file page, disabled with
// the reason when it cannot be used.
func fileButton(u domain.User, ws, rel string, st domain.WorkspaceFileStatus, current *domain.Request) actionButton {
	b := actionButton{Label: "Add file to request"}
	if st == domain.WorkspaceFileUpdated {
		b = actionButton{Label: "Update file in request", Update: true}
	}
	disable := func(err error) actionButton {
		b.Disabled, b.Reason = true, domain.Message(err)
		return b
	}
	if err := u.CheckActionWorkspace(ws); err != nil {
		return disable(err)
	}
	if current != nil {
		if err := current.CheckEdit(u); err != nil {
			return disable(domain.Errorf(domain.ErrInvalidTransition, "Your current request is %s: files can be added again when it is returned to you.", strings.ToLower(current.Status.Label())))
		}
	}
	if b.Update {
		return b
	}
	if !domain.AllowedFileType(rel) {
		return disable(domain.Errorf(domain.ErrInvalidInput, "Files of type %s cannot be released.", domain.FileExt(rel)))
	}
	ft := domain.FileOutput
	if st == domain.WorkspaceFileReleased {
		ft = domain.FileSupporting
	}
	if err := domain.CheckAddable(rel, ft, st, current); err != nil {
		return disable(err)
	}
	if ft == domain.FileSupporting && st == domain.WorkspaceFileReleased {
		b.Reason = "Released already: it can be added only as a supporting file"
	}
	return b
}

// cacheID is a workspace file's cache id: "<mtime hex>-<size hex>".
func cacheID(f domain.WorkspaceFile) string {
	return fmt.Sprintf("%x-%x", int64(math.Round(f.Timestamp*1e6)), f.Size)
}

func stampTime(ts float64) time.Time {
	if ts <= 0 {
		return time.Time{}
	}
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func formatStamp(ts float64) string {
	t := stampTime(ts)
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}

// formatSize is a size as the folder tables show it: "0 Mb", "<0.01 Mb", or MiB
// to 2 places.
func formatSize(n int64) string {
	switch {
	case n == 0:
		return "0 Mb"
	case n < 10240:
		return "<0.01 Mb"
	}
	return fmt.Sprintf("%.2f Mb", float64(n)/(1<<20))
}

// pathEscapeSeg escapes one path segment.
func pathEscapeSeg(s string) string { return url.PathEscape(s) }
