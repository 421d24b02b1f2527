package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/render"
	"github.com/airlock-go/airlock/internal/service"
)

// The code browser's paths (docs: the user guide's "The code behind an
// output").
const (
	pathCodeView     pathPattern = "/code/view/{ws}/{commit}/{path...}"
	pathCodeTree     pathPattern = "/code/tree/{ws}/{commit}/{path...}"
	pathCodeContents pathPattern = "/code/contents/{ws}/{commit}/{path...}"
	pathCodeCause    pathPattern = "/code/cause/{ws}/{path...}"
	pathCodeReqCause pathPattern = "/code/request-cause/{id}/{path...}"
)

// codeRoutes are the code browser's pages.
func (h *Handler) codeRoutes() []route {
	return []route{
		{"GET " + string(pathCodeView), false, h.codeBrowse},
		{"GET " + string(pathCodeTree), false, h.codeTree},
		{"GET " + string(pathCodeContents), false, h.codeContents},
		{"GET " + string(pathCodeCause), false, h.codeCause},
		{"GET " + string(pathCodeReqCause), false, h.codeRequestCause},
	}
}

// codeURL is a code browser page: a folder's ends in /. back is the
// return_url kept from page to page.
func codeURL(ws, commit, p string, dir bool, back string) string {
	u := pathCodeView.build(ws, commit, p)
	if dir && p != "" {
		u += "/"
	}
	return u + backQuery(back, "?")
}

func backQuery(back, sep string) string {
	if back == "" {
		return ""
	}
	return sep + "return_url=" + url.QueryEscape(back)
}

// localReturnURL is return_url when it is a page of this site (a path,
// not a URL to another host or a trick), else "".
func localReturnURL(r *http.Request) string {
	s := r.URL.Query().Get("return_url")
	if len(s) > 2048 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\x00\r\n\t") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	if !strings.HasPrefix(u.Path, "/workspaces/") && !strings.HasPrefix(u.Path, "/requests/") {
		return ""
	}
	return s
}

// codeNode is an entry of the code tree or of a folder's table.
type codeNode struct {
	domain.CodeEntry
	URL      string
	TreeURL  string // a folder's lazy listing
	Class    string
	Size     string
	Open     bool
	Selected bool
	Children []codeNode
}

// codeLine is a line of project.yaml's action excerpt.
type codeLine struct {
	N    int
	Text string
}

// codeBrowseView is the code browser.
type codeBrowseView struct {
	service.CodeView
	Back        string // return_url, local
	RootURL     string
	Tree        []codeNode
	Crumbs      []codeNode
	Rows        []codeNode
	ContentURL  string
	SizeText    string
	Notice      string // why a file is not shown
	Action      string // ?action= on project.yaml
	ActionLines []codeLine
	FirstLine   int
	LastLine    int
	ActionNote  string
	Scripts     []codeNode
}

// codeBrowse is the code browser at a path: the tree, and a folder's
// table or a file in a sandboxed frame.
func (h *Handler) codeBrowse(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, commit, p := r.PathValue("ws"), r.PathValue("commit"), r.PathValue("path")
	rel := strings.TrimSuffix(p, "/")
	back := localReturnURL(r)
	ctx := r.Context()
	v, err := h.svc.BrowseCode(ctx, u, ws, commit, rel)
	if err != nil {
		return err
	}
	if rel != "" && (v.Entry.Kind == domain.CodeDir) != strings.HasSuffix(p, "/") {
		http.Redirect(w, r, codeURL(ws, commit, rel, v.Entry.Kind == domain.CodeDir, back), http.StatusFound)
		return nil
	}
	d := codeBrowseView{CodeView: v, Back: back, RootURL: codeURL(ws, commit, "", true, back)}
	// The tree: the root, and each ancestor of the selection expanded.
	dirs := []string{""}
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		dirs = append(dirs, strings.Join(parts[:i], "/"))
	}
	if v.Entry.Kind == domain.CodeDir && rel != "" {
		dirs = append(dirs, rel)
	}
	levels := make([][]codeNode, len(dirs))
	for i, dir := range dirs {
		kids := v.Children
		if dir != rel || v.Entry.Kind != domain.CodeDir {
			dv, err := h.svc.BrowseCode(ctx, u, ws, commit, dir)
			if err != nil {
				return err
			}
			kids = dv.Children
		}
		levels[i] = codeNodes(ws, commit, kids, back, rel)
	}
	for i := len(levels) - 1; i > 0; i-- {
		for j := range levels[i-1] {
			if levels[i-1][j].Path == dirs[i] {
				levels[i-1][j].Open, levels[i-1][j].Children = true, levels[i]
			}
		}
	}
	d.Tree = levels[0]
	if rel != "" {
		for i := range parts {
			isDir := i < len(parts)-1 || v.Entry.Kind == domain.CodeDir
			p := strings.Join(parts[:i+1], "/")
			d.Crumbs = append(d.Crumbs, codeNode{CodeEntry: domain.CodeEntry{Name: parts[i], Path: p}, URL: codeURL(ws, commit, p, isDir, back)})
		}
	}
	switch v.Entry.Kind {
	case domain.CodeDir:
		d.Rows = codeNodes(ws, commit, v.Children, back, "")
	case domain.CodeSymlink:
		d.Notice = v.Entry.Name + " is a symbolic link. Links are not followed: the code browser shows only the files of the repository."
	case domain.CodeSubmodule:
		d.Notice = v.Entry.Name + " is a submodule: another repository's code, not part of this one."
	default:
		d.SizeText = formatBytes(v.Entry.Size)
		d.ContentURL = pathCodeContents.build(ws, commit, rel)
		if rel == "project.yaml" {
			h.actionExcerpt(r, u, &d)
		}
	}
	return h.render(w, r, http.StatusOK, "code-browse", d)
}

// actionExcerpt fills, for project.yaml opened at an action (?action=),
// the action's lines and links to its scripts.
func (h *Handler) actionExcerpt(r *http.Request, u domain.User, d *codeBrowseView) {
	name := r.URL.Query().Get("action")
	if name == "" || len(name) > 200 || domain.CheckText("action", name) != nil {
		return
	}
	d.Action = name
	c, err := h.svc.CodeActionAt(r.Context(), u, d.Workspace, d.Commit, name)
	if err != nil || !c.Found {
		if err != nil {
			d.ActionNote = domain.Message(err)
		} else {
			d.ActionNote = c.Problem
		}
		return
	}
	b, _, err := h.svc.ReadCode(r.Context(), u, d.Workspace, d.Commit, "project.yaml")
	if err != nil {
		d.ActionNote = domain.Message(err)
		return
	}
	lines := strings.Split(string(b), "\n")
	for n := c.Action.Line; n <= c.Action.EndLine && n <= len(lines); n++ {
		d.ActionLines = append(d.ActionLines, codeLine{N: n, Text: strings.TrimRight(lines[n-1], "\r")})
	}
	d.FirstLine, d.LastLine = c.Action.Line, c.Action.EndLine
	for _, s := range c.Scripts {
		d.Scripts = append(d.Scripts, codeNode{CodeEntry: domain.CodeEntry{Path: s, Name: s}, URL: codeURL(d.Workspace, d.Commit, s, false, d.Back)})
	}
	if len(c.Missing) > 0 {
		d.ActionNote = "Not in the repository at this commit: " + strings.Join(c.Missing, ", ") + "."
	}
}

// codeNodes makes tree nodes (or table rows) of a folder's entries.
func codeNodes(ws, commit string, kids []domain.CodeEntry, back, sel string) []codeNode {
	out := make([]codeNode, len(kids))
	for i, k := range kids {
		n := codeNode{CodeEntry: k, URL: codeURL(ws, commit, k.Path, k.Kind == domain.CodeDir, back), Selected: k.Path == sel}
		cls := []string{"tree-file", "code"}
		switch k.Kind {
		case domain.CodeDir:
			cls = []string{"tree-dir"}
			n.TreeURL = pathCodeTree.build(ws, commit, k.Path) + "/" + backQuery(back, "?")
		case domain.CodeSymlink, domain.CodeSubmodule:
			cls = append(cls, "invalid")
		default:
			n.Size = formatBytes(k.Size)
			if ext := strings.TrimPrefix(path.Ext(k.Name), "."); ext != "" && isClassWord(ext) {
				cls = append(cls, ext)
			}
		}
		if n.Selected {
			cls = append(cls, "selected")
		}
		n.Class = strings.Join(cls, " ")
		out[i] = n
	}
	return out
}

// formatBytes is a size for people: bytes, KB or MB.
func formatBytes(n int64) string {
	switch {
	case n < 1024:
		return plural(int(n), "byte", "bytes")
	case n < 1<<20:
		return trimZero(float64(n)/1024) + " KB"
	}
	return trimZero(float64(n)/(1<<20)) + " MB"
}

func trimZero(f float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0")
}

// codeTree answers htmx with a folder's entries, for a folder of the tree
// opened for the first time.
func (h *Handler) codeTree(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, commit, rel := r.PathValue("ws"), r.PathValue("commit"), strings.TrimSuffix(r.PathValue("path"), "/")
	v, err := h.svc.BrowseCode(r.Context(), u, ws, commit, rel)
	if err != nil {
		return err
	}
	if v.Entry.Kind != domain.CodeDir {
		return errorPage(http.StatusBadRequest, rel+" is not a folder.")
	}
	d := codeBrowseView{CodeView: v, Tree: codeNodes(ws, commit, v.Children, localReturnURL(r), "")}
	return h.renderFragment(w, r, http.StatusOK, "code-browse", "code-tree-fragment", d)
}

// codeContents renders a file of the repository for the frame, with the
// same viewers as outputs; code of any type is shown as text.
func (h *Handler) codeContents(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, commit, rel := r.PathValue("ws"), r.PathValue("commit"), r.PathValue("path")
	b, v, err := h.svc.ReadCode(r.Context(), u, ws, commit, rel)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(commit + "\x00" + rel))
	return render.Serve(w, r, render.File{
		Name: rel, Content: bytes.NewReader(b), Size: int64(len(b)), CacheID: "code-" + hex.EncodeToString(sum[:16]),
		Source: v.Entry.Kind == domain.CodeFile,
	})
}

// codeCauseView is the "produced by" panel of a file page.
type codeCauseView struct {
	Cause   *service.CodeCause
	Problem string // why the code could not be shown
	Back    string
	// ActionURL opens project.yaml at the action; Scripts the scripts.
	ActionURL string
	Scripts   []codeNode
	Changes   *service.CodeChanges
	FromURL   string
	ToURL     string
}

// codeCause answers htmx with the panel saying which action produced a
// workspace file, linking to it and its scripts at the job's commit.
func (h *Handler) codeCause(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, rel := r.PathValue("ws"), r.PathValue("path")
	c, err := h.svc.WorkspaceFileCause(r.Context(), u, ws, rel)
	back := "/workspaces/view/" + pathEscapeSeg(ws) + "/" + pathEscape(rel)
	return h.renderCause(w, r, c, nil, err, back)
}

// codeRequestCause is codeCause for a request file, with what changed in
// the code since the version the user voted on.
func (h *Handler) codeRequestCause(w http.ResponseWriter, r *http.Request, u domain.User) error {
	id, rel := r.PathValue("id"), r.PathValue("path")
	c, ch, err := h.svc.RequestFileCause(r.Context(), u, id, rel)
	back := localReturnURL(r)
	return h.renderCause(w, r, c, ch, err, back)
}

func (h *Handler) renderCause(w http.ResponseWriter, r *http.Request, c *service.CodeCause, ch *service.CodeChanges, err error, back string) error {
	d := codeCauseView{Cause: c, Changes: ch, Back: back}
	if err != nil {
		// A failure to reach the code is said in the panel: the file page
		// around it stays usable.
		if statusOf(err) >= 500 && !explained(err) {
			return err
		}
		if statusOf(err) == http.StatusForbidden {
			return err
		}
		d.Problem = domain.Message(err)
	} else {
		ws, commit := c.Workspace, c.Commit
		if c.Found {
			d.ActionURL = pathCodeView.build(ws, commit, "project.yaml") + "?action=" + url.QueryEscape(c.Action.Name) + backQuery(back, "&")
		}
		for _, s := range c.Scripts {
			d.Scripts = append(d.Scripts, codeNode{CodeEntry: domain.CodeEntry{Path: s, Name: s}, URL: codeURL(ws, commit, s, false, back)})
		}
		if ch != nil {
			d.FromURL = codeURL(ws, ch.From, "", true, back)
			d.ToURL = codeURL(ws, ch.To, "", true, back)
		}
	}
	return h.renderFragment(w, r, http.StatusOK, "code-browse", "code-cause", d)
}

// workspaceCodeLinks are a workspace file's "View source code" (project.yaml
// at its commit, at its action when the manifest names it) and its cause
// panel; none when the manifest's commit is not one.
func workspaceCodeLinks(ws string, f domain.WorkspaceFile, back string) (source, cause string) {
	if domain.CheckCommit(f.Commit) != nil {
		return "", ""
	}
	return sourceURL(ws, f.Commit, f.Action, back), pathCodeCause.build(ws, f.Relpath)
}

// requestCodeLinks are workspaceCodeLinks' equivalent for a request file.
func requestCodeLinks(rq *domain.Request, f *domain.RequestFile, back string) (source, cause string) {
	if domain.CheckCommit(f.Commit) != nil {
		return "", ""
	}
	return sourceURL(rq.Workspace, f.Commit, "", back), pathCodeReqCause.build(rq.ID, f.Relpath) + backQuery(back, "?")
}

// sourceURL is project.yaml at a commit, at an action when given.
func sourceURL(ws, commit, action, back string) string {
	u := pathCodeView.build(ws, commit, "project.yaml")
	sep := "?"
	if action != "" {
		u += "?action=" + url.QueryEscape(action)
		sep = "&"
	}
	return u + backQuery(back, sep)
}
