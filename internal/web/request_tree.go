package web

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// The request tree: groups, then the folders and files of each group, as
// the workspace tree shows a workspace. Folders are collapsed and their
// contents loaded when opened (htmx), except those on the way to the page
// shown, so a page of a request of hundreds of files renders only the
// nodes in sight.

// reqTreeGroup is a group of the request tree and its top-level nodes.
type reqTreeGroup struct {
	Name, URL string
	Current   bool // the group's own page is shown
	Files     int  // files of the group, withdrawn ones included
	Nodes     []reqTreeNode
}

// reqTreeNode is a folder or file of a group.
type reqTreeNode struct {
	Name     string
	Path     string // relative path, no trailing slash
	Dir      bool
	URL      string // its page
	TreeURL  string // a folder's contents, for the lazy tree
	Open     bool   // a folder shown expanded, its Children listed
	Selected bool
	Children []reqTreeNode
	File     *reqTreeFile // a file's node: its type, the viewer's vote, the decision
}

// treeSelOf is what the request page r asks for shows in the tree: a
// group's page, a folder or a file of a group, or the overview.
func treeSelOf(r *http.Request, rq *domain.Request) reqTreeSel {
	group := r.PathValue("group")
	if group == "" {
		return reqTreeSel{}
	}
	rel := r.PathValue("path")
	if rel == "" {
		return reqTreeSel{Group: group}
	}
	if strings.HasSuffix(rel, "/") {
		return reqTreeSel{Group: group, Path: strings.TrimSuffix(rel, "/"), Dir: true}
	}
	if f, ok := rq.File(rel); ok && f.Group == group {
		return reqTreeSel{Group: group, Path: rel}
	}
	return reqTreeSel{Group: group, Path: rel, Dir: true}
}

// treeFileID is the id of a file's tree node, the same on every page and
// in every lazily loaded folder, so that a vote can swap it in place.
func treeFileID(group, relpath string) string {
	h := fnv.New64a()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(relpath))
	return "tf-" + strconv.FormatUint(h.Sum64(), 36)
}

// treeFileOf is a file's tree node: its type, and for an output file the
// viewer's own vote (a reviewer) and, once shared, the decision.
func treeFileOf(rq *domain.Request, u domain.User, reviewer, shared bool, f domain.RequestFile) reqTreeFile {
	tf := reqTreeFile{ID: treeFileID(f.Group, f.Relpath), Relpath: f.Relpath, Group: f.Group,
		Name: f.Relpath[strings.LastIndexByte(f.Relpath, '/')+1:],
		URL:  reqFileURL(rq.ID, f.Group, f.Relpath), Class: strings.ToLower(string(f.FileType))}
	if f.FileType == domain.FileOutput {
		tf.output = true
		if reviewer {
			tf.Mine, tf.MineLabel = "none", "Your vote: none yet"
			if rv, ok := f.Reviews[u.Username]; ok {
				tf.Mine, tf.MineLabel = kebab(rv.Vote), "Your vote: "+voteWords(rv.Vote)
				tf.voted = rv.Vote != domain.VoteUndecided
			}
		}
		if d := rq.DecisionFor(f, u); shared && d != domain.DecisionIncomplete {
			tf.Decision, tf.DecisionLabel = kebab(d), "Decision: "+strings.ToLower(reqDecisionLabel(d))
		}
	}
	return tf
}

// reqTreeSel is what the page shows: a group's page, a folder (Dir) or a
// file of a group, or nothing in a group (the overview).
type reqTreeSel struct {
	Group, Path string
	Dir         bool
}

// groupIndex is each group's files, from one pass over the request's.
func groupIndex(rq *domain.Request) map[string][]domain.RequestFile {
	out := make(map[string][]domain.RequestFile, len(rq.Groups))
	for _, f := range rq.Files {
		out[f.Group] = append(out[f.Group], f)
	}
	return out
}

// dirEntries lists the folders and files directly in dir ("" for the
// group's top) of files: folders first, then files, each by name.
func dirEntries(files []domain.RequestFile, dir string) (dirs []string, direct []domain.RequestFile) {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	seen := map[string]bool{}
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Relpath, prefix)
		if !ok {
			continue
		}
		if name, _, isDir := strings.Cut(rest, "/"); isDir {
			if !seen[name] {
				seen[name] = true
				dirs = append(dirs, name)
			}
			continue
		}
		direct = append(direct, f)
	}
	slices.Sort(dirs)
	slices.SortFunc(direct, func(a, b domain.RequestFile) int { return cmp.Compare(a.Relpath, b.Relpath) })
	return dirs, direct
}

// treeNodes are the nodes of dir in a group, with the folders on the way
// to sel opened.
func treeNodes(rq *domain.Request, u domain.User, reviewer bool, group string, files []domain.RequestFile, dir string, sel reqTreeSel) []reqTreeNode {
	dirs, direct := dirEntries(files, dir)
	out := make([]reqTreeNode, 0, len(dirs)+len(direct))
	inGroup := sel.Group == group
	for _, name := range dirs {
		p := name
		if dir != "" {
			p = dir + "/" + name
		}
		n := reqTreeNode{Name: name, Path: p, Dir: true, URL: reqDirURL(rq.ID, group, p), TreeURL: reqTreeURL(rq.ID, group, p)}
		if inGroup && (strings.HasPrefix(sel.Path, p+"/") || (sel.Dir && sel.Path == p)) {
			n.Open = true
			n.Selected = sel.Dir && sel.Path == p
			n.Children = treeNodes(rq, u, reviewer, group, files, p, sel)
		}
		out = append(out, n)
	}
	shared := rq.Status.Phase() != domain.PhaseIndependent
	for _, f := range direct {
		tf := treeFileOf(rq, u, reviewer, shared, f)
		tf.Current = inGroup && !sel.Dir && sel.Path == f.Relpath
		out = append(out, reqTreeNode{Name: tf.Name, Path: f.Relpath, URL: tf.URL, Selected: tf.Current, File: &tf})
	}
	return out
}

// requestTree is the tree of a request page: every group (an empty one
// only for its author), its top-level folders and files, and the folders
// on the way to sel opened.
func requestTree(rq *domain.Request, u domain.User, reviewer, author bool, sel reqTreeSel, index map[string][]domain.RequestFile) []reqTreeGroup {
	var out []reqTreeGroup
	for _, g := range rq.Groups {
		files := index[g.Name]
		if len(files) == 0 && rq.IsEmpty(g.Name) && !author {
			continue
		}
		out = append(out, reqTreeGroup{Name: g.Name, URL: reqGroupURL(rq.ID, g.Name), Files: len(files),
			Current: sel.Group == g.Name && sel.Path == "", Nodes: treeNodes(rq, u, reviewer, g.Name, files, "", sel)})
	}
	return out
}

// servePageCached answers with the page of the request r names as it
// was rendered for u at the request's current stamp, if it is in the page
// cache; it reads only the stamp (and checks u may see the request), not
// a copy of the request, so a cached page of a large request costs as
// little as of a small one. done is false when the page must be built.
func (h *Handler) servePageCached(w http.ResponseWriter, r *http.Request, u domain.User) (done bool, err error) {
	st, err := h.svc.RequestStamp(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return false, err
	}
	body, ok := h.rendered.get(pageKey(r.URL.RequestURI(), st, u))
	if !ok {
		return false, nil
	}
	h.writePage(w, r, http.StatusOK, body)
	return true, nil
}

// reqTreeFragment is the contents of one folder, for the lazy tree.
type reqTreeFragment struct{ Nodes []reqTreeNode }

// requestTreeFolder answers htmx with the <ul> of a folder of the request
// tree opened for the first time.
func (h *Handler) requestTreeFolder(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if done, err := h.servePageCached(w, r, u); done || err != nil {
		return err
	}
	rq, st, err := h.svc.GetRequestStamped(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return err
	}
	key := pageKey(r.URL.RequestURI(), st, u)
	g, ok := rq.Group(r.PathValue("group"))
	if !ok {
		return errorPage(http.StatusNotFound, "This request has no group "+r.PathValue("group")+".")
	}
	dir := strings.TrimSuffix(r.PathValue("path"), "/")
	var files []domain.RequestFile
	for _, f := range rq.Files {
		if f.Group == g.Name && strings.HasPrefix(f.Relpath, dir+"/") {
			files = append(files, f)
		}
	}
	if dir == "" || len(files) == 0 {
		return errorPage(http.StatusNotFound, "There is no folder "+dir+" in group "+g.Name+".")
	}
	v := reqTreeFragment{Nodes: treeNodes(rq, u, rq.CanReview(u), g.Name, files, dir, reqTreeSel{})}
	body, _, err := h.renderBytes(r, "request-folder", "request-tree-fragment", v)
	if err != nil {
		return err
	}
	h.rendered.put(key, body)
	h.writePage(w, r, http.StatusOK, body)
	return nil
}

// reqDirView is a folder page of a request: its folders and files, and
// for the author the actions on the files selected.
type reqDirView struct {
	Path, Group  string
	Parent       string // the parent folder's page, or the group's
	Dirs         []reqDirRow
	Files        []reqFileRow
	Selectable   bool   // the author may act on the files now
	ActionReason string // why not, for the author, when not
	ActionURL    string
	GroupNames   []string
	FileTypes    []domain.FileType
}

// reqDirRow is a folder in a folder page.
type reqDirRow struct {
	Name, URL string
	Files     int
}

// reqFileRow is a file in a folder page.
type reqFileRow struct {
	Name, Path, URL, Class string
	Type                   string // Output, Supporting, Withdrawn
	TypeState              string // for the pill's colour
	Decision               string // the decision on an output file, as words
	Size, Modified         string
	Checks                 int // findings of the disclosure checks
}

// fileTypeWords are file types for people.
var fileTypeWords = map[domain.FileType]string{
	domain.FileOutput:     "Output",
	domain.FileSupporting: "Supporting",
	domain.FileWithdrawn:  "Withdrawn",
}

// buildDir is a folder of a group: its folders and files, human sizes and
// dates, and the author's multi-select actions.
func (h *Handler) buildDir(u domain.User, p reqPage, g *domain.Group, dir string) (string, any, error) {
	rq := p.R
	var files []domain.RequestFile
	for _, f := range rq.Files {
		if f.Group == g.Name && strings.HasPrefix(f.Relpath, dir+"/") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return "", nil, errorPage(http.StatusNotFound, "There is no folder "+dir+" in group "+g.Name+".")
	}
	dv := &reqDirView{Path: dir, Group: g.Name, ActionURL: reqSelectionURL(rq.ID),
		GroupNames: reqGroupNames(rq), FileTypes: []domain.FileType{domain.FileOutput, domain.FileSupporting}}
	dirs, direct := dirEntries(files, dir)
	for _, name := range dirs {
		p := dir + "/" + name
		n := 0
		for _, f := range files {
			if strings.HasPrefix(f.Relpath, p+"/") {
				n++
			}
		}
		dv.Dirs = append(dv.Dirs, reqDirRow{Name: name, URL: reqDirURL(rq.ID, g.Name, p), Files: n})
	}
	for _, f := range direct {
		row := reqFileRow{Name: f.Relpath[strings.LastIndexByte(f.Relpath, '/')+1:], Path: f.Relpath,
			URL: reqFileURL(rq.ID, g.Name, f.Relpath), Class: strings.ToLower(string(f.FileType)),
			Type: fileTypeWords[f.FileType], TypeState: string(f.FileType),
			Size: humanSize(f.Size), Modified: formatStamp(f.Timestamp), Checks: len(f.Checks)}
		if f.FileType == domain.FileOutput {
			row.Decision = reqDecisionLabel(rq.DecisionFor(f, u))
		}
		dv.Files = append(dv.Files, row)
	}
	if p.IsAuthor {
		err := rq.CheckEdit(u)
		dv.Selectable, dv.ActionReason = err == nil, reqReason(err)
	}
	if i := strings.LastIndex(dir, "/"); i >= 0 {
		dv.Parent = reqDirURL(rq.ID, g.Name, dir[:i])
	} else {
		dv.Parent = reqGroupURL(rq.ID, g.Name)
	}
	return "request-folder", &reqDirPage{reqPage: p, Dir: dv}, nil
}

// humanSize is a size for people, in decimal units: "0 B", "940 B",
// "1.2 kB", "1.2 MB", "3.4 GB".
func humanSize(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, unit := range []string{"kB", "MB", "GB", "TB"} {
		f /= 1000
		if f < 999.5 || unit == "TB" {
			if f < 9.995 {
				return fmt.Sprintf("%.2f %s", f, unit)
			}
			if f < 99.95 {
				return fmt.Sprintf("%.1f %s", f, unit)
			}
			return fmt.Sprintf("%.0f %s", f, unit)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// The folder page's multi-select actions.
const (
	selWithdraw = "withdraw"
	selMove     = "move"
	selType     = "type"
)

// postSelection withdraws, moves to another group, or changes the type of
// the files selected on a folder page: each file checked by the rule of
// the single-file action, the allowed ones changed together, and the
// author told which were changed and, for each other, why not.
func (h *Handler) postSelection(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	paths := r.PostForm["selected"]
	var (
		rq      *domain.Request
		results []service.FileResult
		err     error
		done    string // what was done, for the success message
		group   string // the group the files went to, when moved
	)
	switch action := r.PostFormValue("action"); action {
	case selWithdraw:
		rq, results, err = h.svc.WithdrawSelection(ctx, u, id, paths)
		done = "Withdrawn from the request"
	case selMove:
		group = strings.TrimSpace(r.PostFormValue("new_group"))
		if group == "" {
			group = strings.TrimSpace(r.PostFormValue("group"))
		}
		rq, results, err = h.svc.MoveSelection(ctx, u, id, paths, group)
		done = "Moved to group"
	case selType:
		ft, perr := domain.ParseFileType(r.PostFormValue("filetype"))
		if perr != nil || (ft != domain.FileOutput && ft != domain.FileSupporting) {
			return h.reqDone(w, r, id, "", "", domain.Errorf(domain.ErrInvalidInput, "choose output or supporting"))
		}
		rq, results, err = h.svc.SetSelectionType(ctx, u, id, paths, ft)
		done = "Now " + strings.ToLower(fileTypeWords[ft]) + " files"
	default:
		return errorPage(http.StatusBadRequest, "Choose what to do with the selected files: withdraw them, move them to another group, or change their type.")
	}
	if err != nil {
		return h.reqDone(w, r, id, "", "", err)
	}
	ok := service.Done(results)
	if len(ok) > 0 {
		if action := r.PostFormValue("action"); action == selMove {
			// The group's name as the request now spells it.
			if f, found := rq.File(ok[0]); found {
				group = f.Group
			}
			done += " " + group
		}
		h.flash(r, FlashSuccess, fmt.Sprintf("%s: %s", done, listPaths(ok)))
	}
	var same []string
	for _, res := range results {
		if res.Unchanged {
			same = append(same, res.Path)
		}
		if res.Err != nil {
			if statusOf(res.Err) >= 500 {
				return res.Err
			}
			h.flash(r, FlashError, "Not changed: "+res.Path+": "+domain.Message(res.Err))
		}
	}
	if len(same) > 0 {
		h.flash(r, FlashInfo, "Nothing to change (already as asked): "+listPaths(same))
	}
	h.redirect(w, r, selectionTarget(r, rq, ok, group))
	return nil
}

// listPaths names files for a message: all of up to five, else the first
// five and how many more.
func listPaths(paths []string) string {
	const most = 5
	if len(paths) <= most {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:most], ", "), len(paths)-most)
}

// selectionTarget is where a folder page's action returns: the folder
// while it still holds files of its group; else, when the files moved,
// the same folder in their new group; else the group's page.
func selectionTarget(r *http.Request, rq *domain.Request, done []string, newGroup string) string {
	back := reqBackTo(r, rq.ID)
	rest, ok := strings.CutPrefix(back, requestBase(rq.ID))
	if !ok || rest == "" {
		return back
	}
	g, dirEsc, found := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	gname, gerr := url.PathUnescape(g)
	dir, derr := url.PathUnescape(dirEsc)
	if !found || gerr != nil || derr != nil {
		return back
	}
	for _, f := range rq.Files {
		if f.Group == gname && strings.HasPrefix(f.Relpath, dir+"/") {
			return back
		}
	}
	if newGroup != "" && len(done) > 0 {
		return reqDirURL(rq.ID, newGroup, dir)
	}
	if _, ok := rq.Group(gname); ok {
		return reqGroupURL(rq.ID, gname)
	}
	return requestBase(rq.ID)
}
