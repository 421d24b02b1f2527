// Package clienttest is an in-memory stand-in for airlock's JSON API (the
// contract in API.md §2), for testing clients without a database or
// workspace folders. It follows the contract's shapes, status codes and
// error documents; the workflow rules behind them are simplified: two
// reviews finish a review, a file's decision is CHANGES_REQUESTED when
// anyone asked for changes, APPROVED when anyone approved and INCOMPLETE
// otherwise.
package clienttest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/client"
)

// The users the server knows: log in with the user name and its login
// token. Author has a role on workspace Workspace; Checker and Checker2 are
// output checkers.
const (
	Author        = "author"
	AuthorToken   = "author-login-token"
	Checker       = "checker"
	CheckerToken  = "checker-login-token"
	Checker2      = "checker2"
	Checker2Token = "checker2-login-token"
	Workspace     = "ws"
)

// Files returns the workspace files of Workspace, path to content. One
// name has a space and a non-ASCII letter, to exercise escaping.
func Files() map[string]string {
	return map[string]string{
		"output/summary.csv":     "a,b\n1,2\n",
		"output/tables/my é.csv": "x\n1\n2\n",
		"output/chart.png":       "\x89PNG fake",
		"README.md":              "# readme\n",
	}
}

type user struct {
	client.User
	loginToken string
}

type request struct {
	doc      client.Request // Groups hold files and comments without per-caller fields
	votes    map[string]map[string]string
	finished bool
}

// Server is a running fake airlock. Its URL field is the base URL to give
// client.New.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	files    map[string]string // workspace path → content
	users    map[string]*user
	sessions map[string]string // API token → username
	requests []*request        // oldest first
	events   []client.Event    // oldest first
	serial   int
	now      time.Time
}

// New starts a fake server, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		files:    Files(),
		users:    map[string]*user{},
		sessions: map[string]string{},
		now:      time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	ws := map[string]client.WorkspaceInfo{Workspace: {
		ProjectDetails: client.ProjectDetails{Name: "Project 1", Ongoing: true, Orgs: []string{"Org"}},
	}}
	s.users[Author] = &user{User: client.User{Username: Author, Fullname: "Alice Author", Workspaces: ws, CopilotedWorkspaces: map[string]client.WorkspaceInfo{}}, loginToken: AuthorToken}
	for name, tok := range map[string]string{Checker: CheckerToken, Checker2: Checker2Token} {
		s.users[name] = &user{User: client.User{Username: name, Fullname: "Carl " + name, OutputChecker: true,
			Workspaces: map[string]client.WorkspaceInfo{}, CopilotedWorkspaces: map[string]client.WorkspaceInfo{}}, loginToken: tok}
	}
	s.Server = httptest.NewServer(s.routes())
	t.Cleanup(s.Close)
	return s
}

type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.message }

func fail(status int, code, format string, args ...any) *apiError {
	return &apiError{status, code, fmt.Sprintf(format, args...)}
}

func errTransition(r *request, what string) *apiError {
	return fail(http.StatusConflict, client.CodeInvalidTransition, "cannot %s a request that is %s", what, r.doc.Status)
}

func errDenied(format string, args ...any) *apiError {
	return fail(http.StatusForbidden, client.CodePermissionDenied, format, args...)
}

// handler is one API call: it answers a status and a document, or an error.
type handler func(r *http.Request, u *user) (int, any, error)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/token", s.login)
	route := func(pattern string, h handler) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) })
	}
	route("DELETE /api/v1/auth/token", s.revoke)
	route("GET /api/v1/me", func(_ *http.Request, u *user) (int, any, error) { return http.StatusOK, u.User, nil })
	route("GET /api/v1/workspaces", s.workspaces)
	route("GET /api/v1/workspaces/{ws}/files/{path...}", s.listFiles)
	route("POST /api/v1/workspaces/{ws}/request/files", s.addFiles)
	route("POST /api/v1/workspaces/{ws}/request/files/update", s.updateFiles)
	route("GET /api/v1/requests", s.list)
	route("GET /api/v1/requests/{id}", s.get)
	route("PUT /api/v1/requests/{id}/groups/{group}", s.editGroup)
	route("POST /api/v1/requests/{id}/groups/{group}/comments", s.comment)
	route("POST /api/v1/requests/{id}/files/properties", s.properties)
	route("PUT /api/v1/requests/{id}/votes/{path...}", s.vote)
	route("DELETE /api/v1/requests/{id}/votes/{path...}", s.resetVote)
	route("POST /api/v1/requests/{id}/{action}", s.transition)
	route("GET /api/v1/requests/{id}/audit", s.audit)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fail(http.StatusNotFound, client.CodeNotFound, "no such API call: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	name, ok := s.sessions[strings.TrimPrefix(auth, "Bearer ")]
	if !ok || !strings.HasPrefix(auth, "Bearer ") {
		writeError(w, fail(http.StatusUnauthorized, client.CodeUnauthenticated, "log in first: no valid API token"))
		return
	}
	s.now = s.now.Add(time.Minute)
	status, doc, err := h(r, s.users[name])
	if err != nil {
		writeError(w, err)
		return
	}
	if doc == nil {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, doc)
}

func writeJSON(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = fail(http.StatusBadRequest, client.CodeInvalidInput, "%v", err)
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.message}})
}

// decode reads a JSON body strictly, as the contract asks.
func decode(r *http.Request, into any) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return fail(http.StatusBadRequest, client.CodeInvalidInput, "send the body as application/json, not %q", ct)
	}
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return fail(http.StatusBadRequest, client.CodeInvalidInput, "malformed JSON: %v", err)
	}
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ User, Token string }
	if err := decode(r, &in); err != nil {
		writeError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[in.User]
	if !ok || in.Token == "" || u.loginToken != in.Token {
		writeError(w, fail(http.StatusUnauthorized, client.CodeUnauthenticated, "wrong user name or token"))
		return
	}
	s.serial++
	tok := fmt.Sprintf("api-token-%d", s.serial)
	s.sessions[tok] = u.Username
	writeJSON(w, http.StatusCreated, client.TokenResponse{
		Token: tok, ExpiresAt: s.now.Add(24 * time.Hour),
		User: client.TokenUser{Username: u.Username, Fullname: u.Fullname, OutputChecker: u.OutputChecker},
	})
}

func (s *Server) revoke(r *http.Request, _ *user) (int, any, error) {
	delete(s.sessions, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	return http.StatusNoContent, nil, nil
}

// Sessions returns how many API tokens are valid.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) active(ws string) *request {
	for _, r := range s.requests {
		if r.doc.Workspace == ws && !r.finished {
			return r
		}
	}
	return nil
}

func (s *Server) workspaces(_ *http.Request, u *user) (int, any, error) {
	out := []client.Workspace{}
	names := slices.Sorted(maps.Keys(u.Workspaces))
	if u.OutputChecker {
		names = []string{Workspace}
	}
	for _, name := range names {
		w := client.Workspace{Name: name, Project: "Project 1", Ongoing: true}
		if r := s.active(name); r != nil {
			w.CurrentRequest = &r.doc.ID
		}
		out = append(out, w)
	}
	return http.StatusOK, out, nil
}

func (s *Server) checkWorkspace(u *user, ws string) error {
	if ws != Workspace {
		return fail(http.StatusNotFound, client.CodeNotFound, "no workspace %s", ws)
	}
	if _, ok := u.Workspaces[ws]; !ok && !u.OutputChecker {
		return errDenied("%s does not have access to workspace %s", u.Username, ws)
	}
	return nil
}

func (s *Server) entry(path string) client.FileEntry {
	content := s.files[path]
	sum := sha256.Sum256([]byte(content))
	status := "UNRELEASED"
	if r := s.active(Workspace); r != nil {
		if _, _, ok := findFile(&r.doc, path); ok {
			status = "UNDER_REVIEW"
		}
	}
	return client.FileEntry{Path: path, Kind: client.KindFile, Size: int64(len(content)),
		Timestamp: &client.FileTime{Time: time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)},
		SHA256:    hex.EncodeToString(sum[:]), Status: status}
}

func (s *Server) listFiles(r *http.Request, u *user) (int, any, error) {
	ws, p := r.PathValue("ws"), strings.Trim(r.PathValue("path"), "/")
	if err := s.checkWorkspace(u, ws); err != nil {
		return 0, nil, err
	}
	if _, ok := s.files[p]; ok {
		return http.StatusOK, s.entry(p), nil
	}
	dir := client.FileEntry{Path: p, Kind: client.KindDir, Children: []client.FileEntry{}}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	for _, f := range slices.Sorted(maps.Keys(s.files)) {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			continue
		}
		if sub, _, isDir := strings.Cut(rest, "/"); isDir {
			if !seen[sub] {
				seen[sub] = true
				dir.Children = append(dir.Children, client.FileEntry{Path: prefix + sub, Kind: client.KindDir})
			}
			continue
		}
		dir.Children = append(dir.Children, s.entry(f))
	}
	if len(dir.Children) == 0 {
		return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "no file or folder %s in workspace %s", p, ws)
	}
	return http.StatusOK, dir, nil
}

func findFile(doc *client.Request, path string) (gi, fi int, ok bool) {
	for gi, g := range doc.Groups {
		for fi, f := range g.Files {
			if f.Path == path {
				return gi, fi, true
			}
		}
	}
	return 0, 0, false
}

func (s *Server) record(typ string, u *user, r *request, path string, extra map[string]any) {
	if extra == nil {
		extra = map[string]any{}
	}
	s.events = append(s.events, client.Event{Type: typ, User: u.Username, Workspace: r.doc.Workspace,
		Request: r.doc.ID, Path: path, Extra: extra, CreatedAt: s.now})
}

func (s *Server) addFiles(r *http.Request, u *user) (int, any, error) {
	ws := r.PathValue("ws")
	var in struct {
		Group string           `json:"group"`
		Files []client.AddFile `json:"files"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.checkWorkspace(u, ws); err != nil {
		return 0, nil, err
	}
	if _, ok := u.Workspaces[ws]; !ok {
		return 0, nil, errDenied("%s does not have a role on workspace %s", u.Username, ws)
	}
	if in.Group == "" || len(in.Files) == 0 {
		return 0, nil, fail(http.StatusBadRequest, client.CodeInvalidInput, "name a group and at least one file")
	}
	req := s.active(ws)
	if req != nil && req.doc.Status != "PENDING" && req.doc.Status != "RETURNED" {
		return 0, nil, errTransition(req, "add files to")
	}
	for _, f := range in.Files {
		if _, ok := s.files[f.Path]; !ok {
			return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "no file %s in workspace %s", f.Path, ws)
		}
		if f.FileType != client.FileTypeOutput && f.FileType != client.FileTypeSupporting {
			return 0, nil, fail(http.StatusBadRequest, client.CodeInvalidInput, "unknown filetype %q", f.FileType)
		}
		if req != nil {
			if _, _, dup := findFile(&req.doc, f.Path); dup {
				return 0, nil, fail(http.StatusConflict, client.CodePolicy, "%s is already in the request", f.Path)
			}
		}
	}
	if req == nil {
		s.serial++
		req = &request{doc: client.Request{ID: fmt.Sprintf("req%04d", s.serial), Workspace: ws, Author: u.Username,
			Status: "PENDING", CreatedAt: s.now, SubmittedReviews: map[string]time.Time{}}, votes: map[string]map[string]string{}}
		s.requests = append(s.requests, req)
		s.record("REQUEST_CREATE", u, req, "", nil)
	}
	g := slices.IndexFunc(req.doc.Groups, func(g client.Group) bool { return g.Name == in.Group })
	if g < 0 {
		req.doc.Groups = append(req.doc.Groups, client.Group{Name: in.Group, Files: []client.RequestFile{}, Comments: []client.Comment{}})
		g = len(req.doc.Groups) - 1
	}
	for _, f := range in.Files {
		e := s.entry(f.Path)
		req.doc.Groups[g].Files = append(req.doc.Groups[g].Files, client.RequestFile{Path: f.Path, FileType: f.FileType,
			SHA256: e.SHA256, Size: e.Size, JobID: "job1"})
		s.record("REQUEST_FILE_ADD", u, req, f.Path, map[string]any{"group": in.Group, "filetype": f.FileType})
	}
	return http.StatusOK, s.view(req, u), nil
}

func (s *Server) updateFiles(r *http.Request, u *user) (int, any, error) {
	var in struct {
		Paths []string `json:"paths"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.checkWorkspace(u, r.PathValue("ws")); err != nil {
		return 0, nil, err
	}
	req := s.active(r.PathValue("ws"))
	if req == nil || req.doc.Author != u.Username {
		return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "you have no active request in %s", r.PathValue("ws"))
	}
	for _, p := range in.Paths {
		if _, _, ok := findFile(&req.doc, p); !ok {
			return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "%s is not in request %s", p, req.doc.ID)
		}
		s.record("REQUEST_FILE_UPDATE", u, req, p, nil)
	}
	return http.StatusOK, s.view(req, u), nil
}

// properties moves files to a group and/or changes their type; files
// already so are left alone (no error, no event), as airlock does.
func (s *Server) properties(r *http.Request, u *user) (int, any, error) {
	var in struct {
		Paths    []string `json:"paths"`
		Group    string   `json:"group"`
		FileType string   `json:"filetype"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	req, err := s.find(r, u)
	if err != nil {
		return 0, nil, err
	}
	if req.doc.Author != u.Username {
		return 0, nil, errDenied("only the author may change a request")
	}
	if req.doc.Status != "PENDING" && req.doc.Status != "RETURNED" {
		return 0, nil, errTransition(req, "change files of")
	}
	if in.FileType != client.FileTypeOutput && in.FileType != client.FileTypeSupporting {
		return 0, nil, fail(http.StatusBadRequest, client.CodeInvalidInput, "unknown filetype %q", in.FileType)
	}
	for _, p := range in.Paths {
		gi, fi, ok := findFile(&req.doc, p)
		if !ok {
			return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "%s is not in request %s", p, req.doc.ID)
		}
		f := req.doc.Groups[gi].Files[fi]
		if req.doc.Groups[gi].Name == in.Group && f.FileType == in.FileType {
			continue
		}
		req.doc.Groups[gi].Files = slices.Delete(req.doc.Groups[gi].Files, fi, fi+1)
		g := slices.IndexFunc(req.doc.Groups, func(g client.Group) bool { return g.Name == in.Group })
		if g < 0 {
			req.doc.Groups = append(req.doc.Groups, client.Group{Name: in.Group, Files: []client.RequestFile{}, Comments: []client.Comment{}})
			g = len(req.doc.Groups) - 1
		}
		f.FileType = in.FileType
		req.doc.Groups[g].Files = append(req.doc.Groups[g].Files, f)
		s.record("REQUEST_FILE_UPDATE", u, req, p, map[string]any{"group": in.Group, "filetype": in.FileType})
	}
	return http.StatusOK, s.view(req, u), nil
}

// view is the request document as u may see it.
func (s *Server) view(r *request, u *user) client.Request {
	doc := r.doc
	doc.SubmittedReviews = maps.Clone(r.doc.SubmittedReviews)
	doc.Groups = make([]client.Group, len(r.doc.Groups))
	for gi, g := range r.doc.Groups {
		g.Files = slices.Clone(g.Files)
		for fi, f := range g.Files {
			votes := r.votes[f.Path]
			f.Decision = "INCOMPLETE"
			for _, v := range votes {
				if v == client.VoteChangesRequested {
					f.Decision = v
				} else if f.Decision == "INCOMPLETE" {
					f.Decision = v
				}
			}
			if v, ok := votes[u.Username]; ok {
				f.MyVote = &v
			}
			g.Files[fi] = f
		}
		g.Comments = slices.DeleteFunc(slices.Clone(g.Comments), func(c client.Comment) bool {
			return c.Visibility == client.VisibilityPrivate && !u.OutputChecker
		})
		doc.Groups[gi] = g
	}
	return doc
}

func (s *Server) find(r *http.Request, u *user) (*request, error) {
	id := r.PathValue("id")
	for _, req := range s.requests {
		if req.doc.ID == id && (u.OutputChecker || req.doc.Author == u.Username) {
			return req, nil
		}
	}
	return nil, fail(http.StatusNotFound, client.CodeNotFound, "no request %s", id)
}

func (s *Server) list(r *http.Request, u *user) (int, any, error) {
	q := r.URL.Query()
	out := []client.Request{}
	for _, req := range slices.Backward(s.requests) {
		d := req.doc
		switch {
		case !u.OutputChecker && d.Author != u.Username,
			q.Has("workspace") && q.Get("workspace") != d.Workspace,
			q.Has("author") && q.Get("author") != d.Author,
			q.Has("status") && !slices.Contains(q["status"], d.Status),
			q.Get("review") == "true" && (!u.OutputChecker || d.Author == u.Username || (d.Status != "SUBMITTED" && d.Status != "PARTIALLY_REVIEWED")):
			continue
		}
		d.Groups = nil
		out = append(out, d)
	}
	return http.StatusOK, map[string]any{"requests": out}, nil
}

func (s *Server) get(r *http.Request, u *user) (int, any, error) {
	req, err := s.find(r, u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.view(req, u), nil
}

func (s *Server) group(req *request, name string) (*client.Group, error) {
	for i := range req.doc.Groups {
		if req.doc.Groups[i].Name == name {
			return &req.doc.Groups[i], nil
		}
	}
	return nil, fail(http.StatusNotFound, client.CodeNotFound, "request %s has no group %s", req.doc.ID, name)
}

func (s *Server) editGroup(r *http.Request, u *user) (int, any, error) {
	var in struct{ Context, Controls string }
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	req, err := s.find(r, u)
	if err != nil {
		return 0, nil, err
	}
	if req.doc.Author != u.Username {
		return 0, nil, errDenied("only the author may edit a group")
	}
	if req.doc.Status != "PENDING" && req.doc.Status != "RETURNED" {
		return 0, nil, errTransition(req, "edit")
	}
	gi := slices.IndexFunc(req.doc.Groups, func(g client.Group) bool { return g.Name == r.PathValue("group") })
	if gi < 0 {
		return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "request %s has no group %s", req.doc.ID, r.PathValue("group"))
	}
	g := &req.doc.Groups[gi]
	g.Context, g.Controls = in.Context, in.Controls
	s.record("REQUEST_EDIT", u, req, "", map[string]any{"group": g.Name})
	return http.StatusOK, s.view(req, u).Groups[gi], nil
}

func (s *Server) comment(r *http.Request, u *user) (int, any, error) {
	var in struct{ Text, Visibility string }
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	req, err := s.find(r, u)
	if err != nil {
		return 0, nil, err
	}
	g, err := s.group(req, r.PathValue("group"))
	if err != nil {
		return 0, nil, err
	}
	if in.Visibility != client.VisibilityPublic && in.Visibility != client.VisibilityPrivate {
		return 0, nil, fail(http.StatusBadRequest, client.CodeInvalidInput, "visibility must be PUBLIC or PRIVATE")
	}
	if strings.TrimSpace(in.Text) == "" {
		return 0, nil, fail(http.StatusBadRequest, client.CodeInvalidInput, "a comment needs text")
	}
	s.serial++
	c := client.Comment{ID: int64(s.serial), Author: u.Username, Text: in.Text, Visibility: in.Visibility,
		ReviewTurn: req.doc.ReviewTurn, CreatedAt: s.now}
	g.Comments = append(g.Comments, c)
	s.record("REQUEST_COMMENT", u, req, "", map[string]any{"group": g.Name})
	return http.StatusCreated, c, nil
}

func (s *Server) reviewable(r *http.Request, u *user) (*request, error) {
	req, err := s.find(r, u)
	if err != nil {
		return nil, err
	}
	if !u.OutputChecker || req.doc.Author == u.Username {
		return nil, errDenied("%s may not review request %s", u.Username, req.doc.ID)
	}
	if req.doc.Status != "SUBMITTED" && req.doc.Status != "PARTIALLY_REVIEWED" {
		return nil, errTransition(req, "vote on")
	}
	if _, done := req.doc.SubmittedReviews[u.Username]; done {
		return nil, errTransition(req, "vote again on")
	}
	return req, nil
}

func (s *Server) vote(r *http.Request, u *user) (int, any, error) {
	var in struct{ Vote string }
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.Vote != client.VoteApproved && in.Vote != client.VoteChangesRequested {
		return 0, nil, fail(http.StatusBadRequest, client.CodeInvalidInput, "vote must be APPROVED or CHANGES_REQUESTED")
	}
	req, err := s.reviewable(r, u)
	if err != nil {
		return 0, nil, err
	}
	p := r.PathValue("path")
	gi, fi, ok := findFile(&req.doc, p)
	if !ok {
		return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "%s is not in request %s", p, req.doc.ID)
	}
	if req.votes[p] == nil {
		req.votes[p] = map[string]string{}
	}
	req.votes[p][u.Username] = in.Vote
	s.record("REQUEST_FILE_VOTE", u, req, p, map[string]any{"vote": in.Vote})
	return http.StatusOK, s.view(req, u).Groups[gi].Files[fi], nil
}

func (s *Server) resetVote(r *http.Request, u *user) (int, any, error) {
	req, err := s.reviewable(r, u)
	if err != nil {
		return 0, nil, err
	}
	p := r.PathValue("path")
	if _, ok := req.votes[p][u.Username]; !ok {
		return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "you have no vote on %s", p)
	}
	delete(req.votes[p], u.Username)
	s.record("REQUEST_FILE_RESET_REVIEW", u, req, p, nil)
	return http.StatusNoContent, nil, nil
}

func (s *Server) transition(r *http.Request, u *user) (int, any, error) {
	action := r.PathValue("action")
	if !slices.Contains([]string{"submit", "review", "return", "reject", "withdraw", "release"}, action) {
		return 0, nil, fail(http.StatusNotFound, client.CodeNotFound, "no such API call: %s %s", r.Method, r.URL.Path)
	}
	req, err := s.find(r, u)
	if err != nil {
		return 0, nil, err
	}
	d := &req.doc
	isAuthor := d.Author == u.Username
	checker := u.OutputChecker && !isAuthor
	status := http.StatusOK
	switch action {
	case "submit":
		if !isAuthor {
			return 0, nil, errDenied("only the author may submit")
		}
		if d.Status != "PENDING" && d.Status != "RETURNED" {
			return 0, nil, errTransition(req, action)
		}
		for _, g := range d.Groups {
			if g.Context == "" || g.Controls == "" {
				return 0, nil, fail(http.StatusConflict, client.CodePolicy, "group %s needs context and controls before submitting", g.Name)
			}
		}
		d.Status, d.ReviewTurn = "SUBMITTED", d.ReviewTurn+1
		now := s.now
		d.LastSubmittedAt = &now
		d.SubmittedReviews = map[string]time.Time{}
	case "review":
		if _, err := s.reviewable(r, u); err != nil {
			return 0, nil, err
		}
		for _, g := range d.Groups {
			for _, f := range g.Files {
				if _, ok := req.votes[f.Path][u.Username]; !ok && f.FileType == client.FileTypeOutput {
					return 0, nil, fail(http.StatusConflict, client.CodePolicy, "vote on every output file first: %s has no vote", f.Path)
				}
			}
		}
		d.SubmittedReviews[u.Username] = s.now
		d.Status = "PARTIALLY_REVIEWED"
		if len(d.SubmittedReviews) >= 2 {
			d.Status = "REVIEWED"
		}
	case "return", "reject", "release":
		if !checker {
			return 0, nil, errDenied("only an output checker who is not the author may %s", action)
		}
		if d.Status != "REVIEWED" && (action != "return" || d.Status != "SUBMITTED") {
			return 0, nil, errTransition(req, action)
		}
		d.Status = map[string]string{"return": "RETURNED", "reject": "REJECTED", "release": "APPROVED"}[action]
		req.finished = action == "reject"
		if action == "release" {
			status = http.StatusAccepted
		}
	case "withdraw":
		if !isAuthor {
			return 0, nil, errDenied("only the author may withdraw")
		}
		if d.Status != "PENDING" && d.Status != "RETURNED" {
			return 0, nil, errTransition(req, action)
		}
		d.Status, req.finished = "WITHDRAWN", true
	}
	s.record("REQUEST_"+strings.ToUpper(action), u, req, "", map[string]any{"review_turn": d.ReviewTurn})
	return status, s.view(req, u), nil
}

func (s *Server) audit(r *http.Request, u *user) (int, any, error) {
	req, err := s.find(r, u)
	if err != nil {
		return 0, nil, err
	}
	out := []client.Event{}
	for _, e := range slices.Backward(s.events) {
		if e.Request == req.doc.ID {
			out = append(out, e)
		}
	}
	return http.StatusOK, map[string]any{"events": out}, nil
}
