package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/alecthomas/kong"
)

// clientCmd is `airlock client`: the JSON API from the command line, for
// operators and pipelines. `login` saves a session file that every other
// subcommand reads.
type clientCmd struct {
	JSON    bool          `name:"json" help:"Print the server's JSON documents, as received, instead of text."`
	Config  string        `name:"config" env:"AIRLOCK_CLIENT_CONFIG" placeholder:"FILE" help:"Session file that login writes and the other commands read (default: airlock/client.json in your config folder)."`
	Timeout time.Duration `name:"timeout" default:"60s" help:"Give up on a call to the server after this long."`

	Login      clientLoginCmd      `cmd:"" help:"Log in to an airlock server with your single-use token (read from standard input) and save the session."`
	Logout     clientLogoutCmd     `cmd:"" help:"Revoke the saved session's token and delete the session file."`
	Whoami     clientWhoamiCmd     `cmd:"" help:"Show who you are logged in as, and your workspaces."`
	Workspaces clientWorkspacesCmd `cmd:"" help:"List the workspaces you can see."`
	Ls         clientLsCmd         `cmd:"" name:"ls" help:"List a workspace folder (status, size, path), or show one file."`
	Add        clientAddCmd        `cmd:"" help:"Add workspace files to a group of your request, creating the request if needed."`
	Update     clientUpdateCmd     `cmd:"" help:"Refresh request files whose workspace files have changed."`
	Properties clientPropertiesCmd `cmd:"" help:"Move request files to a group and/or make them outputs or supporting files."`
	Context    clientContextCmd    `cmd:"" help:"Set a group's context and controls."`
	Comment    clientCommentCmd    `cmd:"" help:"Comment on a group of a request."`
	Submit     clientSubmitCmd     `cmd:"" help:"Submit a request for review."`
	Show       clientShowCmd       `cmd:"" help:"Show a request: status, groups, files, decisions, your votes and comments."`
	Vote       clientVoteCmd       `cmd:"" help:"Vote on a request file: approve, changes, or reset (withdraw your vote)."`
	Review     clientReviewCmd     `cmd:"" help:"Submit your review of a request."`
	Return     clientReturnCmd     `cmd:"" help:"Return a request to its author."`
	Reject     clientRejectCmd     `cmd:"" help:"Reject a request."`
	Withdraw   clientWithdrawCmd   `cmd:"" help:"Withdraw your request."`
	Release    clientReleaseCmd    `cmd:"" help:"Release a reviewed request's approved files."`
	Requests   clientRequestsCmd   `cmd:"" help:"List requests, newest first."`
	Audit      clientAuditCmd      `cmd:"" help:"Print a request's audit events, newest first."`
	Diff       clientDiffCmd       `cmd:"" help:"Show what changed in a request file since the version you voted on (or between any two versions)."`
	Code       clientCodeCmd       `cmd:"" help:"List a folder, or print a file, of a workspace's repository at the commit a job ran."`
}

const clientNotLoggedIn = "not logged in: run `airlock client login URL`"

func (c *clientCmd) sessionPath() (string, error) {
	if c.Config != "" {
		return c.Config, nil
	}
	return client.DefaultSessionPath()
}

func (c *clientCmd) httpClient() *http.Client { return &http.Client{Timeout: c.Timeout} }

// clientSession is a loaded session: the API client and where output goes.
type clientSession struct {
	api  *client.Client
	url  string
	path string
	out  io.Writer
	json bool
	raw  []byte // the last answer's body, for --json
}

// connect loads the saved session.
func (c *clientCmd) connect(e *env) (*clientSession, error) {
	path, err := c.sessionPath()
	if err != nil {
		return nil, err
	}
	saved, err := client.LoadSession(path)
	if errors.Is(err, client.ErrNoSession) {
		return nil, errors.New(clientNotLoggedIn)
	}
	if err != nil {
		return nil, err
	}
	s := &clientSession{url: saved.URL, path: path, out: e.stdout, json: c.JSON}
	s.api = client.New(saved.URL, saved.Token, c.httpClient()).WithRaw(func(b []byte) { s.raw = b })
	return s, nil
}

// fail adds a hint to log in again when the server no longer accepts the
// saved token.
func (s *clientSession) fail(err error) error {
	if clientUnauthenticated(err) {
		return fmt.Errorf("%w (log in again: airlock client login %s)", err, s.url)
	}
	return err
}

func clientUnauthenticated(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
}

// print writes the last answer as received under --json, otherwise the
// text human writes, aligned at tabs.
func (s *clientSession) print(human func(w io.Writer)) error {
	if s.json {
		return clientWriteRaw(s.out, s.raw)
	}
	tw := tabwriter.NewWriter(s.out, 0, 8, 2, ' ', 0)
	human(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// clientWriteRaw writes a JSON document and a final newline; an empty
// answer (204) writes nothing.
func clientWriteRaw(w io.Writer, raw []byte) error {
	raw = bytes.TrimRight(raw, " \t\r\n")
	if len(raw) == 0 {
		return nil
	}
	if _, err := w.Write(append(raw, '\n')); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// ---- login and logout ----

type clientLoginCmd struct {
	URL  string `arg:"" name:"url" help:"The airlock server, e.g. https://airlock.example.org."`
	User string `name:"user" short:"u" help:"Your user name (otherwise read from the first line of standard input)."`
}

func (c *clientLoginCmd) Run(e *env, cc *clientCmd) error {
	base, err := clientBaseURL(c.URL)
	if err != nil {
		return err
	}
	path, err := cc.sessionPath()
	if err != nil {
		return err
	}
	in := bufio.NewReader(e.stdin)
	interactive := clientIsTerminal(e.stdin)
	user := strings.TrimSpace(c.User)
	if user == "" {
		if interactive {
			fmt.Fprint(e.stdout, "User: ")
		}
		if user, err = clientReadLine(in); err != nil {
			return err
		}
		if user == "" {
			return errors.New("no user name given: pass --user or write it on the first line of standard input")
		}
	}
	if interactive {
		fmt.Fprint(e.stdout, "Token: ")
	}
	token, err := clientReadLine(in)
	if err != nil {
		return err
	}
	if token == "" {
		return errors.New("no token given: write your single-use token on standard input")
	}

	api := client.New(base, "", cc.httpClient())
	tr, err := api.Token(e.ctx, user, token)
	if err != nil {
		return err
	}
	saved := client.Session{URL: base, Token: tr.Token, User: tr.User.Username, ExpiresAt: tr.ExpiresAt}
	if saved.User == "" {
		saved.User = user
	}
	if err := client.SaveSession(path, saved); err != nil {
		// Do not leave a token behind that nobody holds.
		_ = api.WithToken(tr.Token).Revoke(e.ctx)
		return err
	}
	if cc.JSON {
		// The session, without its token.
		doc := map[string]any{"url": base, "user": tr.User, "expires_at": tr.ExpiresAt, "session_file": path}
		b, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		return clientWriteRaw(e.stdout, b)
	}
	role := ""
	if tr.User.OutputChecker {
		role = ", output checker"
	}
	fmt.Fprintf(e.stdout, "Logged in to %s as %s (%s%s).\n", base, clientClean(saved.User), clientClean(tr.User.Fullname), role)
	fmt.Fprintf(e.stdout, "Session saved to %s; it expires at %s.\n", path, clientTime(tr.ExpiresAt))
	return nil
}

// clientBaseURL checks a server URL and returns it without a trailing /
// or /api/v1.
func clientBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an airlock server URL: give http(s)://host[:port]", raw)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/api/v1")
	u.RawPath = ""
	return strings.TrimRight(u.String(), "/"), nil
}

// clientIsTerminal reports whether r is a terminal, to decide on prompts.
func clientIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// clientReadLine reads one line, without its end and surrounding spaces;
// at the end of the input it returns "".
func clientReadLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	return strings.TrimSpace(line), nil
}

type clientLogoutCmd struct{}

func (c *clientLogoutCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	revokeErr := s.api.Revoke(e.ctx)
	if err := client.RemoveSession(s.path); err != nil {
		return err
	}
	if revokeErr != nil && !clientUnauthenticated(revokeErr) {
		return fmt.Errorf("removed %s, but the server did not revoke the token: %w", s.path, revokeErr)
	}
	if !cc.JSON {
		fmt.Fprintf(e.stdout, "Logged out of %s; removed %s.\n", s.url, s.path)
	}
	return nil
}

// ---- reading ----

type clientWhoamiCmd struct{}

func (c *clientWhoamiCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	u, err := s.api.Me(e.ctx)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "user:\t%s\n", clientClean(u.Username))
		fmt.Fprintf(w, "name:\t%s\n", clientClean(u.Fullname))
		fmt.Fprintf(w, "output checker:\t%s\n", clientYesNo(u.OutputChecker))
		if u.ReadonlyAccess {
			fmt.Fprintf(w, "read-only access:\tyes\n")
		}
		for _, list := range []struct {
			label string
			ws    map[string]client.WorkspaceInfo
		}{{"workspace", u.Workspaces}, {"copiloted", u.CopilotedWorkspaces}} {
			for _, name := range slices.Sorted(maps.Keys(list.ws)) {
				info := list.ws[name]
				fmt.Fprintf(w, "%s:\t%s\t%s\t%s\n", list.label, clientClean(name), clientWorkspaceState(info.ProjectDetails.Ongoing, info.Archived), clientClean(info.ProjectDetails.Name))
			}
		}
	})
}

type clientWorkspacesCmd struct{}

func (c *clientWorkspacesCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	list, err := s.api.Workspaces(e.ctx)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintln(w, "WORKSPACE\tSTATE\tREQUEST\tPROJECT")
		for _, ws := range list {
			req := "-"
			if ws.CurrentRequest != nil {
				req = clientClean(*ws.CurrentRequest)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", clientClean(ws.Name), clientWorkspaceState(ws.Ongoing, ws.Archived), req, clientClean(ws.Project))
		}
	})
}

func clientWorkspaceState(ongoing, archived bool) string {
	switch {
	case archived:
		return "archived"
	case !ongoing:
		return "inactive"
	}
	return "active"
}

type clientLsCmd struct {
	Workspace string `arg:"" help:"The workspace."`
	Path      string `arg:"" optional:"" help:"A folder or file in it (default: the top folder)."`
}

func (c *clientLsCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	entry, err := s.api.Files(e.ctx, c.Workspace, c.Path)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		if !entry.IsDir() {
			fmt.Fprintf(w, "path:\t%s\n", clientClean(entry.Path))
			fmt.Fprintf(w, "status:\t%s\n", fileStatusWords(entry.Status))
			fmt.Fprintf(w, "size:\t%d\n", entry.Size)
			modified := "-"
			if entry.Timestamp != nil {
				modified = clientTime(entry.Timestamp.Time)
			}
			fmt.Fprintf(w, "modified:\t%s\n", modified)
			fmt.Fprintf(w, "sha256:\t%s\n", clientClean(entry.SHA256))
			return
		}
		fmt.Fprintln(w, "STATUS\tSIZE\tPATH")
		for _, ch := range entry.Children {
			if ch.IsDir() {
				fmt.Fprintf(w, "-\t-\t%s/\n", clientClean(strings.TrimRight(ch.Path, "/")))
				continue
			}
			fmt.Fprintf(w, "%s\t%d\t%s\n", clientOr(fileStatusWords(ch.Status), "-"), ch.Size, clientClean(ch.Path))
		}
	})
}

type clientShowCmd struct {
	ID string `arg:"" help:"The request's id."`
}

func (c *clientShowCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	r, err := s.api.Request(e.ctx, c.ID)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) { clientPrintRequest(w, r) })
}

func clientPrintRequest(w io.Writer, r client.Request) {
	fmt.Fprintf(w, "request:\t%s\n", clientClean(r.ID))
	fmt.Fprintf(w, "workspace:\t%s\n", clientClean(r.Workspace))
	fmt.Fprintf(w, "author:\t%s\n", clientClean(r.Author))
	fmt.Fprintf(w, "status:\t%s\n", statusWords(r.Status))
	fmt.Fprintf(w, "review turn:\t%d\n", r.ReviewTurn)
	fmt.Fprintf(w, "created:\t%s\n", clientTime(r.CreatedAt))
	fmt.Fprintf(w, "last submitted:\t%s\n", clientTimePtr(r.LastSubmittedAt))
	for _, who := range slices.Sorted(maps.Keys(r.SubmittedReviews)) {
		fmt.Fprintf(w, "reviewed by:\t%s %s\n", clientClean(who), clientTime(r.SubmittedReviews[who]))
	}
	for _, g := range r.Groups {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "group:\t%s\n", clientClean(g.Name))
		clientPrintText(w, "context:\t", g.Context)
		clientPrintText(w, "controls:\t", g.Controls)
		// Lines without tabs ("files:", "comments:") end tabwriter's
		// column blocks, so each table aligns on its own.
		if len(g.Files) > 0 {
			fmt.Fprintln(w, "files:")
			fmt.Fprintln(w, "  FILETYPE\tDECISION\tMY VOTE\tSIZE\tPATH")
		}
		for _, f := range g.Files {
			vote := "-"
			if f.MyVote != nil {
				vote = voteWords(*f.MyVote)
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%d\t%s\n", fileTypeWords(f.FileType), clientOr(decisionWords(f.Decision), "-"), vote, f.Size, clientClean(f.Path))
		}
		if len(g.Comments) > 0 {
			fmt.Fprintln(w, "comments:")
		}
		for _, cm := range g.Comments {
			clientPrintText(w, fmt.Sprintf("  #%d\t%s\t%s\tturn %d\t%s\t", cm.ID, clientClean(cm.Author), visibilityWords(cm.Visibility), cm.ReviewTurn, clientTime(cm.CreatedAt)), cm.Text)
		}
	}
}

// clientPrintText writes free text after prefix, continuing further lines
// under the first (prefix's tabs give the indent).
func clientPrintText(w io.Writer, prefix, text string) {
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\n")
	cont := strings.Repeat("\t", strings.Count(prefix, "\t"))
	if strings.HasPrefix(prefix, "  ") {
		cont = "  " + cont
	}
	for i, line := range lines {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", prefix, clientOr(clientClean(line), "-"))
			continue
		}
		fmt.Fprintf(w, "%s%s\n", cont, clientClean(line))
	}
}

type clientRequestsCmd struct {
	Workspace string   `name:"workspace" short:"w" help:"Only requests of this workspace."`
	Status    []string `name:"status" short:"s" help:"Only requests in this status (repeatable)."`
	Author    string   `name:"author" help:"Only requests by this user."`
	Review    bool     `name:"review" help:"Only requests you can review."`
}

func (c *clientRequestsCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	statuses := make([]string, len(c.Status))
	for i, st := range c.Status {
		statuses[i] = strings.ToUpper(strings.TrimSpace(st))
	}
	list, err := s.api.Requests(e.ctx, client.RequestFilter{Workspace: c.Workspace, Status: statuses, Author: c.Author, Review: c.Review})
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tWORKSPACE\tAUTHOR\tSTATUS\tTURN\tCREATED")
		for _, r := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", clientClean(r.ID), clientClean(r.Workspace), clientClean(r.Author), statusWords(r.Status), r.ReviewTurn, clientTime(r.CreatedAt))
		}
	})
}

type clientAuditCmd struct {
	ID string `arg:"" help:"The request's id."`
}

func (c *clientAuditCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	events, err := s.api.Audit(e.ctx, c.ID)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintln(w, "TIME\tTYPE\tUSER\tPATH\tDETAILS")
		for _, ev := range events {
			var extra []string
			for _, k := range slices.Sorted(maps.Keys(ev.Extra)) {
				extra = append(extra, clientClean(k)+"="+clientClean(clientValue(ev.Extra[k])))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", clientTime(ev.CreatedAt), clientClean(ev.Type), clientClean(ev.User),
				clientOr(clientClean(ev.Path), "-"), clientOr(strings.Join(extra, " "), "-"))
		}
	})
}

func clientValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ---- changing requests ----

type clientAddCmd struct {
	Workspace  string   `arg:"" help:"The workspace."`
	Paths      []string `arg:"" name:"path" help:"Workspace files to add."`
	Group      string   `name:"group" short:"g" required:"" help:"The group to put them in (created if needed)."`
	Supporting bool     `name:"supporting" help:"Add them as supporting files rather than outputs."`
}

func (c *clientAddCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	filetype := client.FileTypeOutput
	if c.Supporting {
		filetype = client.FileTypeSupporting
	}
	files := make([]client.AddFile, len(c.Paths))
	for i, p := range c.Paths {
		files[i] = client.AddFile{Path: strings.Trim(p, "/"), FileType: filetype}
	}
	r, err := s.api.AddFiles(e.ctx, c.Workspace, c.Group, files)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "request %s (%s): added %d %s to group %s\n", clientClean(r.ID), statusWords(r.Status), len(files), clientPlural(len(files), "file"), clientClean(c.Group))
		for _, f := range files {
			fmt.Fprintf(w, "  %s\t%s\n", fileTypeWords(string(f.FileType)), clientClean(f.Path))
		}
	})
}

type clientPropertiesCmd struct {
	ID         string   `arg:"" help:"The request."`
	Paths      []string `arg:"" name:"path" help:"Request files to move or retype."`
	Group      string   `name:"group" short:"g" required:"" help:"The group to put them in (created if needed)."`
	Supporting bool     `name:"supporting" help:"Make them supporting files rather than outputs."`
}

func (c *clientPropertiesCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	filetype := client.FileTypeOutput
	if c.Supporting {
		filetype = client.FileTypeSupporting
	}
	paths := make([]string, len(c.Paths))
	for i, p := range c.Paths {
		paths[i] = strings.Trim(p, "/")
	}
	before, err := s.api.Request(e.ctx, c.ID)
	if err != nil {
		return s.fail(err)
	}
	after, err := s.api.SetFileProperties(e.ctx, c.ID, paths, c.Group, filetype)
	if err != nil {
		return s.fail(err)
	}
	was, now := clientPlacement(before), clientPlacement(after)
	changed := 0
	for _, p := range paths {
		if was[p] != now[p] {
			changed++
		}
	}
	return s.print(func(w io.Writer) {
		if changed == 0 {
			// Saving properties unchanged is no error: nothing happened.
			fmt.Fprintln(w, domain.NothingChanged(len(paths)))
			return
		}
		fmt.Fprintf(w, "request %s (%s): %d %s now in group %s, as %s\n", clientClean(after.ID), statusWords(after.Status),
			changed, clientPlural(changed, "file"), clientClean(c.Group), strings.ToLower(fileTypeWords(string(filetype))))
	})
}

// clientPlacement is each file's group and type.
func clientPlacement(r client.Request) map[string]string {
	out := map[string]string{}
	for _, g := range r.Groups {
		for _, f := range g.Files {
			out[f.Path] = g.Name + "\x00" + f.FileType
		}
	}
	return out
}

type clientUpdateCmd struct {
	Workspace string   `arg:"" help:"The workspace."`
	Paths     []string `arg:"" name:"path" help:"Request files to refresh from the workspace."`
}

func (c *clientUpdateCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	paths := make([]string, len(c.Paths))
	for i, p := range c.Paths {
		paths[i] = strings.Trim(p, "/")
	}
	r, err := s.api.UpdateFiles(e.ctx, c.Workspace, paths)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "request %s (%s): updated %d %s\n", clientClean(r.ID), statusWords(r.Status), len(paths), clientPlural(len(paths), "file"))
		for _, p := range paths {
			fmt.Fprintf(w, "  %s\n", clientClean(p))
		}
	})
}

type clientContextCmd struct {
	ID           string  `arg:"" help:"The request's id."`
	Group        string  `arg:"" help:"The group."`
	Context      *string `name:"context" xor:"context" help:"The group's context: what the files are and why they are needed."`
	ContextFile  string  `name:"context-file" xor:"context" placeholder:"FILE" help:"Read the context from FILE (- for standard input)."`
	Controls     *string `name:"controls" xor:"controls" help:"The group's controls: how disclosure risk was handled."`
	ControlsFile string  `name:"controls-file" xor:"controls" placeholder:"FILE" help:"Read the controls from FILE (- for standard input)."`
}

func (c *clientContextCmd) Run(e *env, cc *clientCmd) error {
	if c.ContextFile == "-" && c.ControlsFile == "-" {
		return errors.New("only one of --context-file and --controls-file can read standard input")
	}
	ctxText, err := clientTextArg(e, c.Context, c.ContextFile)
	if err != nil {
		return err
	}
	controls, err := clientTextArg(e, c.Controls, c.ControlsFile)
	if err != nil {
		return err
	}
	if ctxText == nil && controls == nil {
		return errors.New("give --context or --context-file, --controls or --controls-file, or both")
	}
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	if ctxText == nil || controls == nil {
		// Keep what is not being changed.
		r, err := s.api.Request(e.ctx, c.ID)
		if err != nil {
			return s.fail(err)
		}
		g, ok := r.Group(c.Group)
		if !ok {
			return fmt.Errorf("request %s has no group %s", c.ID, c.Group)
		}
		if ctxText == nil {
			ctxText = &g.Context
		}
		if controls == nil {
			controls = &g.Controls
		}
	}
	g, err := s.api.EditGroup(e.ctx, c.ID, c.Group, *ctxText, *controls)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "group:\t%s\n", clientClean(g.Name))
		clientPrintText(w, "context:\t", g.Context)
		clientPrintText(w, "controls:\t", g.Controls)
	})
}

// clientTextArg returns the text given on the command line or read from a
// file ("-": standard input), or nil when neither was given.
func clientTextArg(e *env, text *string, file string) (*string, error) {
	if file == "" {
		return text, nil
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(e.stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	s := strings.TrimRightFunc(string(b), unicode.IsSpace)
	if err := domain.CheckText("the text read from "+clientFileName(file), s); err != nil {
		return nil, err
	}
	return &s, nil
}

func clientFileName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// AfterApply refuses, before anything is sent, a command line holding
// text that is not valid UTF-8 or holds NUL: the server would refuse it,
// and JSON encoding would otherwise quietly replace what it cannot encode.
func (c *clientCmd) AfterApply(kctx *kong.Context) error {
	for _, a := range kctx.Args {
		if err := domain.CheckText("a command-line argument", a); err != nil {
			return err
		}
	}
	return nil
}

type clientCommentCmd struct {
	ID      string `arg:"" help:"The request's id."`
	Group   string `arg:"" help:"The group."`
	Text    string `arg:"" help:"The comment (- to read it from standard input)."`
	Private bool   `name:"private" help:"Only output checkers will see it (until it is published)."`
}

func (c *clientCommentCmd) Run(e *env, cc *clientCmd) error {
	var file string
	if c.Text == "-" {
		file = "-"
	}
	text, err := clientTextArg(e, &c.Text, file)
	if err != nil {
		return err
	}
	visibility := client.VisibilityPublic
	if c.Private {
		visibility = client.VisibilityPrivate
	}
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	cm, err := s.api.Comment(e.ctx, c.ID, c.Group, *text, visibility)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "comment %d added to group %s of request %s (%s)\n", cm.ID, clientClean(c.Group), clientClean(c.ID), strings.ToLower(visibilityWords(cm.Visibility)))
	})
}

type clientVoteCmd struct {
	ID   string `arg:"" help:"The request's id."`
	Path string `arg:"" help:"The request file."`
	Vote string `arg:"" enum:"approve,changes,reset" help:"approve, changes (request changes) or reset (withdraw your vote)."`
}

func (c *clientVoteCmd) Run(e *env, cc *clientCmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	if c.Vote == "reset" {
		if err := s.api.ResetVote(e.ctx, c.ID, c.Path); err != nil {
			return s.fail(err)
		}
		return s.print(func(w io.Writer) { fmt.Fprintf(w, "%s: vote withdrawn\n", clientClean(c.Path)) })
	}
	vote := client.VoteApproved
	if c.Vote == "changes" {
		vote = client.VoteChangesRequested
	}
	f, err := s.api.Vote(e.ctx, c.ID, c.Path, vote)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		mine := vote
		if f.MyVote != nil {
			mine = voteWords(*f.MyVote)
		}
		fmt.Fprintf(w, "%s: my vote %s, decision %s\n", clientClean(clientOr(f.Path, c.Path)), clientClean(mine), clientOr(decisionWords(f.Decision), "-"))
	})
}

// The status changes: each calls one transition and prints the new status.
type (
	clientSubmitCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	clientReviewCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	clientReturnCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	clientRejectCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	clientWithdrawCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	clientReleaseCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
)

// clientChange runs one status change and prints the request's new status.
func clientChange(e *env, cc *clientCmd, id string, change func(*client.Client, context.Context, string) (client.Request, error)) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	r, err := change(s.api, e.ctx, id)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "request %s: %s (review turn %d)\n", clientClean(r.ID), statusWords(r.Status), r.ReviewTurn)
	})
}

func (c *clientSubmitCmd) Run(e *env, cc *clientCmd) error {
	return clientChange(e, cc, c.ID, (*client.Client).Submit)
}

func (c *clientReviewCmd) Run(e *env, cc *clientCmd) error {
	return clientChange(e, cc, c.ID, (*client.Client).Review)
}

func (c *clientReturnCmd) Run(e *env, cc *clientCmd) error {
	return clientChange(e, cc, c.ID, (*client.Client).Return)
}

func (c *clientRejectCmd) Run(e *env, cc *clientCmd) error {
	return clientChange(e, cc, c.ID, (*client.Client).Reject)
}

func (c *clientWithdrawCmd) Run(e *env, cc *clientCmd) error {
	return clientChange(e, cc, c.ID, (*client.Client).Withdraw)
}

func (c *clientReleaseCmd) Run(e *env, cc *clientCmd) error {
	return clientChange(e, cc, c.ID, (*client.Client).Release)
}

// ---- text helpers ----

// clientClean makes server-supplied text safe for one line of a terminal:
// tabs and line breaks become spaces, other control characters (escape
// sequences included) become '?'.
func clientClean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return '?'
		}
		return r
	}, s)
}

func clientOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func clientYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func clientPlural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// clientTime writes a time as RFC 3339 in UTC, or "-" for none.
func clientTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func clientTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return clientTime(*t)
}

// The words of the human output: the domain's labels of the API's enum
// values (the JSON output keeps the values); a value the domain does not
// know is printed as it came.

func statusWords(v string) string {
	if st := domain.Status(v); st.Valid() {
		return st.Label()
	}
	return clientClean(v)
}

func fileTypeWords(v string) string { return clientClean(domain.FileType(v).Label()) }

func voteWords(v string) string { return clientClean(domain.Vote(v).Label()) }

func visibilityWords(v string) string { return clientClean(domain.Visibility(v).Label()) }

func fileStatusWords(v string) string { return clientClean(domain.WorkspaceFileStatus(v).Label()) }

func decisionWords(v string) string {
	if v == "" {
		return ""
	}
	return clientClean(domain.Decision(v).Label())
}
