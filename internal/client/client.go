// Package client is a small typed client for airlock's JSON API (the
// contract in docs/api.md): researchers put files into release requests,
// output checkers review them.
//
// Every method sends its body as JSON with the client's bearer token and
// turns an answer outside 2xx into an *APIError.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each call when New is given no http.Client.
const DefaultTimeout = 60 * time.Second

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// Client calls one airlock server. It is safe for concurrent use; the With
// methods return changed copies.
type Client struct {
	base  string
	token string
	hc    *http.Client
	raw   func(body []byte)
}

// New returns a client for the server at baseURL (scheme and host, without
// /api/v1) that authenticates with token (empty before Token is called).
// hc may be nil: then calls time out after DefaultTimeout.
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

// BaseURL returns the server's address as given to New, without a trailing /.
func (c *Client) BaseURL() string { return c.base }

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// WithRaw returns a copy of c that also hands the body of every successful
// answer, exactly as received (empty for 204), to f before decoding it.
// Command lines use it to print the server's documents.
func (c *Client) WithRaw(f func(body []byte)) *Client {
	cp := *c
	cp.raw = f
	return &cp
}

// APIError is an answer outside 2xx.
type APIError struct {
	Status  int    // HTTP status code
	Code    string // the error's code (see the Code constants); empty when the body was not an API error
	Message string // written for a person
}

// Error returns the message for a person.
func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
}

// ErrorCode returns the code of the *APIError in err's chain, or "".
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// Token exchanges a user's single-use token (the login page's credentials)
// for an API token. It needs no token on c.
func (c *Client) Token(ctx context.Context, user, token string) (TokenResponse, error) {
	var out TokenResponse
	err := c.call(ctx, http.MethodPost, "/auth/token", nil, map[string]string{"user": user, "token": token}, &out)
	return out, err
}

// Revoke revokes the client's token.
func (c *Client) Revoke(ctx context.Context) error {
	return c.call(ctx, http.MethodDelete, "/auth/token", nil, nil, nil)
}

// Me returns the caller with their workspaces.
func (c *Client) Me(ctx context.Context) (User, error) {
	var out User
	err := c.call(ctx, http.MethodGet, "/me", nil, nil, &out)
	return out, err
}

// Workspaces returns the workspaces visible to the caller.
func (c *Client) Workspaces(ctx context.Context) ([]Workspace, error) {
	var out []Workspace
	err := c.call(ctx, http.MethodGet, "/workspaces", nil, nil, &out)
	return out, err
}

// Files returns the workspace's entry at path ("" or "/" for the root): a
// folder with its children, or a file.
func (c *Client) Files(ctx context.Context, ws, path string) (FileEntry, error) {
	var out FileEntry
	p, err := escapePath(path, true)
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodGet, "/workspaces/"+url.PathEscape(ws)+"/files/"+p, nil, nil, &out)
	return out, err
}

// AddFiles puts workspace files into group of the caller's active request
// for ws, creating the request when there is none. It is atomic.
func (c *Client) AddFiles(ctx context.Context, ws, group string, files []AddFile) (Request, error) {
	var out Request
	body := struct {
		Group string    `json:"group"`
		Files []AddFile `json:"files"`
	}{group, nonNil(files)}
	err := c.call(ctx, http.MethodPost, "/workspaces/"+url.PathEscape(ws)+"/request/files", nil, body, &out)
	return out, err
}

// UpdateFiles refreshes request files whose workspace files have changed.
func (c *Client) UpdateFiles(ctx context.Context, ws string, paths []string) (Request, error) {
	var out Request
	err := c.call(ctx, http.MethodPost, "/workspaces/"+url.PathEscape(ws)+"/request/files/update", nil, pathsBody{nonNil(paths)}, &out)
	return out, err
}

// Requests returns summaries (request documents without groups) of the
// requests f selects, newest first.
func (c *Client) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	q := url.Values{}
	if f.Workspace != "" {
		q.Set("workspace", f.Workspace)
	}
	for _, s := range f.Status {
		q.Add("status", s)
	}
	if f.Author != "" {
		q.Set("author", f.Author)
	}
	if f.Review {
		q.Set("review", "true")
	}
	var out struct {
		Requests []Request `json:"requests"`
	}
	err := c.call(ctx, http.MethodGet, "/requests", q, nil, &out)
	return out.Requests, err
}

// Request returns a request document.
func (c *Client) Request(ctx context.Context, id string) (Request, error) {
	var out Request
	err := c.call(ctx, http.MethodGet, requestPath(id), nil, nil, &out)
	return out, err
}

// EditGroup sets a group's context and controls.
func (c *Client) EditGroup(ctx context.Context, id, group, contextText, controls string) (Group, error) {
	var out Group
	body := map[string]string{"context": contextText, "controls": controls}
	err := c.call(ctx, http.MethodPut, requestPath(id)+"/groups/"+url.PathEscape(group), nil, body, &out)
	return out, err
}

// Comment adds a comment to a group; visibility is VisibilityPublic or
// VisibilityPrivate.
func (c *Client) Comment(ctx context.Context, id, group, text, visibility string) (Comment, error) {
	var out Comment
	body := map[string]string{"text": text, "visibility": visibility}
	err := c.call(ctx, http.MethodPost, requestPath(id)+"/groups/"+url.PathEscape(group)+"/comments", nil, body, &out)
	return out, err
}

// DeleteComment deletes one of the caller's comments.
func (c *Client) DeleteComment(ctx context.Context, id, group string, commentID int64) error {
	return c.call(ctx, http.MethodDelete, commentPath(id, group, commentID), nil, nil, nil)
}

// PublishComment makes a private comment public.
func (c *Client) PublishComment(ctx context.Context, id, group string, commentID int64) (Comment, error) {
	var out Comment
	err := c.call(ctx, http.MethodPost, commentPath(id, group, commentID)+"/publish", nil, nil, &out)
	return out, err
}

// WithdrawFiles takes files out of a request.
func (c *Client) WithdrawFiles(ctx context.Context, id string, paths []string) (Request, error) {
	var out Request
	err := c.call(ctx, http.MethodPost, requestPath(id)+"/files/withdraw", nil, pathsBody{nonNil(paths)}, &out)
	return out, err
}

// SetFileProperties moves request files to group and gives them filetype.
func (c *Client) SetFileProperties(ctx context.Context, id string, paths []string, group, filetype string) (Request, error) {
	var out Request
	body := struct {
		Paths    []string `json:"paths"`
		Group    string   `json:"group"`
		FileType string   `json:"filetype"`
	}{nonNil(paths), group, filetype}
	err := c.call(ctx, http.MethodPost, requestPath(id)+"/files/properties", nil, body, &out)
	return out, err
}

// Vote records the caller's vote (VoteApproved or VoteChangesRequested) on
// a request file and returns the file.
func (c *Client) Vote(ctx context.Context, id, path, vote string) (RequestFile, error) {
	var out RequestFile
	p, err := escapePath(path, false)
	if err != nil {
		return out, err
	}
	err = c.call(ctx, http.MethodPut, requestPath(id)+"/votes/"+p, nil, map[string]string{"vote": vote}, &out)
	return out, err
}

// ResetVote deletes the caller's vote on a request file.
func (c *Client) ResetVote(ctx context.Context, id, path string) error {
	p, err := escapePath(path, false)
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodDelete, requestPath(id)+"/votes/"+p, nil, nil, nil)
}

// Submit submits (or resubmits) a request for review.
func (c *Client) Submit(ctx context.Context, id string) (Request, error) {
	return c.transition(ctx, id, "submit")
}

// Review submits the caller's review of a request.
func (c *Client) Review(ctx context.Context, id string) (Request, error) {
	return c.transition(ctx, id, "review")
}

// Return returns a request to its author.
func (c *Client) Return(ctx context.Context, id string) (Request, error) {
	return c.transition(ctx, id, "return")
}

// Reject rejects a request.
func (c *Client) Reject(ctx context.Context, id string) (Request, error) {
	return c.transition(ctx, id, "reject")
}

// Withdraw withdraws a request.
func (c *Client) Withdraw(ctx context.Context, id string) (Request, error) {
	return c.transition(ctx, id, "withdraw")
}

// Release approves a request for release; the server's uploader then
// releases its files (the answer's status is APPROVED).
func (c *Client) Release(ctx context.Context, id string) (Request, error) {
	return c.transition(ctx, id, "release")
}

// Content returns a request file's bytes; the caller closes the reader.
// The raw hook of WithRaw does not see them.
func (c *Client) Content(ctx context.Context, id, path string) (io.ReadCloser, error) {
	p, err := escapePath(path, false)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, http.MethodGet, requestPath(id)+"/content/"+p, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp.Body, nil
}

// Diff compares two versions of a request file: from is "reviewed" (the
// version the caller last voted on; also when empty), "previous", a
// version number or a sha256; to is "current" (also when empty), a
// version number or a sha256.
func (c *Client) Diff(ctx context.Context, id, path, from, to string) (Diff, error) {
	var out Diff
	p, err := escapePath(path, false)
	if err != nil {
		return out, err
	}
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	err = c.call(ctx, http.MethodGet, requestPath(id)+"/diff/"+p, q, nil, &out)
	return out, err
}

// Audit returns the request's audit events visible to the caller, newest
// first.
func (c *Client) Audit(ctx context.Context, id string) ([]Event, error) {
	var out struct {
		Events []Event `json:"events"`
	}
	err := c.call(ctx, http.MethodGet, requestPath(id)+"/audit", nil, nil, &out)
	return out.Events, err
}

func (c *Client) transition(ctx context.Context, id, action string) (Request, error) {
	var out Request
	err := c.call(ctx, http.MethodPost, requestPath(id)+"/"+action, nil, nil, &out)
	return out, err
}

type pathsBody struct {
	Paths []string `json:"paths"`
}

func requestPath(id string) string { return "/requests/" + url.PathEscape(id) }

func commentPath(id, group string, commentID int64) string {
	return requestPath(id) + "/groups/" + url.PathEscape(group) + "/comments/" + strconv.FormatInt(commentID, 10)
}

// nonNil makes an empty list travel as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// escapePath escapes a workspace path segment by segment. Leading and
// trailing slashes are ignored; the empty path is allowed only when
// allowRoot is set. Empty, "." and ".." segments are refused, since servers
// and proxies would clean them into another path.
func escapePath(p string, allowRoot bool) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		if allowRoot {
			return "", nil
		}
		return "", errors.New("no file path given")
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("%q is not a valid workspace path", p)
		}
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/"), nil
}

// call sends a JSON body (when in is not nil) to the API path, checks the
// answer's status and decodes it into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, resp.Request.URL.Path, err)
	}
	if c.raw != nil {
		c.raw(body)
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: the server's answer is not the expected JSON: %w", method, resp.Request.URL.Path, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	u := c.base + "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request body: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "airlock-client")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error already names the method and the URL.
		return nil, fmt.Errorf("calling airlock: %w", err)
	}
	return resp, nil
}

// checkStatus turns an answer outside 2xx into an *APIError, read from the
// API's error document or, failing that, the status line.
func checkStatus(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &APIError{Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var doc struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error != nil && (doc.Error.Code != "" || doc.Error.Message != "") {
		e.Code, e.Message = doc.Error.Code, doc.Error.Message
	}
	if e.Message == "" {
		e.Message = "the server answered " + resp.Status
		if resp.Status == "" {
			e.Message = fmt.Sprintf("the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
	}
	return e
}
