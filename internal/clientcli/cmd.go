// Package clientcli is `airlock client`: the JSON API from the command
// line, for operators and pipelines, through the Go client
// (internal/client). Each group of commands has a file of its own
// (login.go, workspaces.go, requests.go, files.go, groups.go, reviews.go,
// audit.go, diff.go, code.go); text.go holds the words and the cleaning of what the
// server sends.
//
// Adding a command is one field in Cmd (its name and help) and one file
// with its type and Run method: Run(e *Env, cc *Cmd) error, which calls
// cc.connect for the saved session, s.fail on the client's errors and
// s.print to write the server's document under --json or text otherwise.
package clientcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/alecthomas/kong"
)

// Env is what the commands run with: the binary's context (cancelled on
// an interrupt) and its standard input and output. Errors are returned,
// and the binary prints them.
type Env struct {
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
}

// Cmd is `airlock client`: its flags, then the table of its commands
// (field order is the order of the help). `login` saves a session file
// that every other command reads.
type Cmd struct {
	JSON    bool          `name:"json" help:"Print the server's JSON documents, as received, instead of text."`
	Config  string        `name:"config" env:"AIRLOCK_CLIENT_CONFIG" placeholder:"FILE" help:"Session file that login writes and the other commands read (default: airlock/client.json in your config folder)."`
	Timeout time.Duration `name:"timeout" default:"60s" help:"Give up on a call to the server after this long."`

	Login      loginCmd      `cmd:"" help:"Log in to an airlock server with your single-use token (read from standard input) and save the session."`
	Logout     logoutCmd     `cmd:"" help:"Revoke the saved session's token and delete the session file."`
	Whoami     whoamiCmd     `cmd:"" help:"Show who you are logged in as, and your workspaces."`
	Workspaces workspacesCmd `cmd:"" help:"List the workspaces you can see."`
	Ls         lsCmd         `cmd:"" name:"ls" help:"List a workspace folder (status, size, path), or show one file."`
	Add        addCmd        `cmd:"" help:"Add workspace files to a group of your request, creating the request if needed."`
	Update     updateCmd     `cmd:"" help:"Refresh request files whose workspace files have changed."`
	Properties propertiesCmd `cmd:"" help:"Move request files to a group and/or make them outputs or supporting files."`
	Context    contextCmd    `cmd:"" help:"Set a group's context and controls."`
	Comment    commentCmd    `cmd:"" help:"Comment on a group of a request."`
	Submit     submitCmd     `cmd:"" help:"Submit a request for review."`
	Show       showCmd       `cmd:"" help:"Show a request: status, groups, files, decisions, your votes and comments."`
	Vote       voteCmd       `cmd:"" help:"Vote on a request file: approve, changes, or reset (withdraw your vote)."`
	Review     reviewCmd     `cmd:"" help:"Submit your review of a request."`
	Return     returnCmd     `cmd:"" help:"Return a request to its author."`
	Reject     rejectCmd     `cmd:"" help:"Reject a request."`
	Withdraw   withdrawCmd   `cmd:"" help:"Withdraw your request."`
	Release    releaseCmd    `cmd:"" help:"Release a reviewed request's approved files."`
	Requests   requestsCmd   `cmd:"" help:"List requests, newest first."`
	Audit      auditCmd      `cmd:"" help:"Print a request's audit events, newest first."`
	Diff       diffCmd       `cmd:"" help:"Show what changed in a request file since the version you voted on (or between any two versions)."`
	Code       codeCmd       `cmd:"" help:"List a folder, or print a file, of a workspace's repository at the commit a job ran."`
}

// AfterApply refuses, before anything is sent, a command line holding
// text that is not valid UTF-8 or holds NUL: the server would refuse it,
// and JSON encoding would otherwise quietly replace what it cannot encode.
func (c *Cmd) AfterApply(kctx *kong.Context) error {
	for _, a := range kctx.Args {
		if err := domain.CheckText("a command-line argument", a); err != nil {
			return err
		}
	}
	return nil
}

const notLoggedIn = "not logged in: run `airlock client login URL`"

func (c *Cmd) sessionPath() (string, error) {
	if c.Config != "" {
		return c.Config, nil
	}
	return client.DefaultSessionPath()
}

func (c *Cmd) httpClient() *http.Client { return &http.Client{Timeout: c.Timeout} }

// session is a loaded session: the API client and where output goes.
type session struct {
	api  *client.Client
	url  string
	path string
	out  io.Writer
	json bool
	raw  []byte // the last answer's body, for --json
}

// connect loads the saved session.
func (c *Cmd) connect(e *Env) (*session, error) {
	path, err := c.sessionPath()
	if err != nil {
		return nil, err
	}
	saved, err := client.LoadSession(path)
	if errors.Is(err, client.ErrNoSession) {
		return nil, errors.New(notLoggedIn)
	}
	if err != nil {
		return nil, err
	}
	s := &session{url: saved.URL, path: path, out: e.Stdout, json: c.JSON}
	s.api = client.New(saved.URL, saved.Token, c.httpClient()).WithRaw(func(b []byte) { s.raw = b })
	return s, nil
}

// fail adds a hint to log in again when the server no longer accepts the
// saved token.
func (s *session) fail(err error) error {
	if unauthenticated(err) {
		return fmt.Errorf("%w (log in again: airlock client login %s)", err, s.url)
	}
	return err
}

func unauthenticated(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
}

// print writes the last answer as received under --json, otherwise the
// text human writes, aligned at tabs.
func (s *session) print(human func(w io.Writer)) error {
	if s.json {
		return writeRaw(s.out, s.raw)
	}
	tw := tabwriter.NewWriter(s.out, 0, 8, 2, ' ', 0)
	human(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// writeRaw writes a JSON document and a final newline; an empty
// answer (204) writes nothing.
func writeRaw(w io.Writer, raw []byte) error {
	raw = bytes.TrimRight(raw, " \t\r\n")
	if len(raw) == 0 {
		return nil
	}
	if _, err := w.Write(append(raw, '\n')); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
