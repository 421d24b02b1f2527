package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-go/airlock/internal/apitest"
	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// seen is one request as the recorder received it.
type seen struct {
	method, uri string
	header      http.Header
	body        string
}

// recorder is a server that records every request and answers each with
// the same status and body.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	got    []seen
	status int
	reply  string
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{status: http.StatusOK, reply: "{}"}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
		status, reply := rec.status, rec.reply
		rec.mu.Unlock()
		if strings.HasPrefix(reply, "{") || strings.HasPrefix(reply, "[") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) answer(status int, reply string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.status, rec.reply = status, reply
}

func (rec *recorder) last(t *testing.T) seen {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) == 0 {
		t.Fatal("the server received no request")
	}
	return rec.got[len(rec.got)-1]
}

const requestDoc = `{"id": "r1", "workspace": "ws", "author": "alice", "status": "PENDING", "review_turn": 2,
 "created_at": "2025-01-02T03:04:05Z", "last_submitted_at": null, "submitted_reviews": {"bob": "2025-01-03T00:00:00Z"},
 "groups": [{"name": "g", "context": "ctx", "controls": "ctl",
             "files": [{"path": "out/a b.csv", "filetype": "OUTPUT", "sha256": "abc", "size": 12,
                        "row_count": 3, "col_count": null, "job_id": "j1",
                        "decision": "INCOMPLETE", "my_vote": "APPROVED",
                        "released_at": null, "uploaded_at": null}],
             "comments": [{"id": 7, "author": "bob", "text": "hi", "visibility": "PRIVATE",
                           "review_turn": 1, "created_at": "2025-01-02T03:04:06Z"}]}]}`

func TestCallsSpeakTheContract(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(t)
	c := client.New(rec.URL+"/", "tok", nil)
	ret := func(v any, err error) error { return err }

	cases := []struct {
		name       string
		call       func() error
		method     string
		uri        string
		body       string // JSON, or "" for none
		status     int
		reply      string
		noAuthSent bool
	}{
		{name: "token", call: func() error { return ret(c.WithToken("").Token(ctx, "alice", "one-time")) },
			method: "POST", uri: "/api/v1/auth/token", body: `{"user":"alice","token":"one-time"}`, status: 201,
			reply: `{"token":"t","expires_at":"2025-01-02T03:04:05Z","user":{"username":"alice","fullname":"A","output_checker":false}}`, noAuthSent: true},
		{name: "revoke", call: func() error { return c.Revoke(ctx) }, method: "DELETE", uri: "/api/v1/auth/token", status: 204, reply: ""},
		{name: "me", call: func() error { return ret(c.Me(ctx)) }, method: "GET", uri: "/api/v1/me"},
		{name: "workspaces", call: func() error { return ret(c.Workspaces(ctx)) }, method: "GET", uri: "/api/v1/workspaces", reply: "[]"},
		{name: "files root", call: func() error { return ret(c.Files(ctx, "ws", "")) }, method: "GET", uri: "/api/v1/workspaces/ws/files/"},
		{name: "files escaped", call: func() error { return ret(c.Files(ctx, "my ws", "/output/tables/my é.csv")) },
			method: "GET", uri: "/api/v1/workspaces/my%20ws/files/output/tables/my%20%C3%A9.csv"},
		{name: "files odd characters", call: func() error { return ret(c.Files(ctx, "ws", "a%b/c?d#e.csv")) },
			method: "GET", uri: "/api/v1/workspaces/ws/files/a%25b/c%3Fd%23e.csv"},
		{name: "add files", call: func() error {
			return ret(c.AddFiles(ctx, "ws", "g 1", []client.AddFile{{Path: "a.csv", FileType: client.FileTypeOutput}, {Path: "b.txt", FileType: client.FileTypeSupporting}}))
		}, method: "POST", uri: "/api/v1/workspaces/ws/request/files",
			body: `{"group":"g 1","files":[{"path":"a.csv","filetype":"OUTPUT"},{"path":"b.txt","filetype":"SUPPORTING"}]}`, reply: requestDoc},
		{name: "update files", call: func() error { return ret(c.UpdateFiles(ctx, "ws", []string{"a.csv"})) },
			method: "POST", uri: "/api/v1/workspaces/ws/request/files/update", body: `{"paths":["a.csv"]}`, reply: requestDoc},
		{name: "requests unfiltered", call: func() error { return ret(c.Requests(ctx, client.RequestFilter{})) },
			method: "GET", uri: "/api/v1/requests", reply: `{"requests":[]}`},
		{name: "requests filtered", call: func() error {
			return ret(c.Requests(ctx, client.RequestFilter{Workspace: "w s", Status: []string{"SUBMITTED", "REVIEWED"}, Author: "al", Review: true}))
		}, method: "GET", uri: "/api/v1/requests?author=al&review=true&status=SUBMITTED&status=REVIEWED&workspace=w+s", reply: `{"requests":[]}`},
		{name: "request", call: func() error { return ret(c.Request(ctx, "r/1")) }, method: "GET", uri: "/api/v1/requests/r%2F1", reply: requestDoc},
		{name: "edit group", call: func() error { return ret(c.EditGroup(ctx, "r1", "my group", "why", "how")) },
			method: "PUT", uri: "/api/v1/requests/r1/groups/my%20group", body: `{"context":"why","controls":"how"}`},
		{name: "comment", call: func() error { return ret(c.Comment(ctx, "r1", "g", "looks fine", client.VisibilityPrivate)) },
			method: "POST", uri: "/api/v1/requests/r1/groups/g/comments", body: `{"text":"looks fine","visibility":"PRIVATE"}`, status: 201},
		{name: "delete comment", call: func() error { return c.DeleteComment(ctx, "r1", "g", 7) },
			method: "DELETE", uri: "/api/v1/requests/r1/groups/g/comments/7", status: 204, reply: ""},
		{name: "publish comment", call: func() error { return ret(c.PublishComment(ctx, "r1", "g", 7)) },
			method: "POST", uri: "/api/v1/requests/r1/groups/g/comments/7/publish"},
		{name: "withdraw files", call: func() error { return ret(c.WithdrawFiles(ctx, "r1", []string{"a.csv"})) },
			method: "POST", uri: "/api/v1/requests/r1/files/withdraw", body: `{"paths":["a.csv"]}`, reply: requestDoc},
		{name: "file properties", call: func() error {
			return ret(c.SetFileProperties(ctx, "r1", []string{"a.csv"}, "g2", client.FileTypeSupporting))
		},
			method: "POST", uri: "/api/v1/requests/r1/files/properties", body: `{"paths":["a.csv"],"group":"g2","filetype":"SUPPORTING"}`, reply: requestDoc},
		{name: "vote", call: func() error { return ret(c.Vote(ctx, "r1", "out/my é.csv", client.VoteChangesRequested)) },
			method: "PUT", uri: "/api/v1/requests/r1/votes/out/my%20%C3%A9.csv", body: `{"vote":"CHANGES_REQUESTED"}`},
		{name: "reset vote", call: func() error { return c.ResetVote(ctx, "r1", "out/a b.csv") },
			method: "DELETE", uri: "/api/v1/requests/r1/votes/out/a%20b.csv", status: 204, reply: ""},
		{name: "submit", call: func() error { return ret(c.Submit(ctx, "r1")) }, method: "POST", uri: "/api/v1/requests/r1/submit", reply: requestDoc},
		{name: "review", call: func() error { return ret(c.Review(ctx, "r1")) }, method: "POST", uri: "/api/v1/requests/r1/review", reply: requestDoc},
		{name: "return", call: func() error { return ret(c.Return(ctx, "r1")) }, method: "POST", uri: "/api/v1/requests/r1/return", reply: requestDoc},
		{name: "reject", call: func() error { return ret(c.Reject(ctx, "r1")) }, method: "POST", uri: "/api/v1/requests/r1/reject", reply: requestDoc},
		{name: "withdraw", call: func() error { return ret(c.Withdraw(ctx, "r1")) }, method: "POST", uri: "/api/v1/requests/r1/withdraw", reply: requestDoc},
		{name: "release", call: func() error { return ret(c.Release(ctx, "r1")) }, method: "POST", uri: "/api/v1/requests/r1/release", status: 202, reply: requestDoc},
		{name: "audit", call: func() error { return ret(c.Audit(ctx, "r1")) }, method: "GET", uri: "/api/v1/requests/r1/audit", reply: `{"events":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := tc.status, tc.reply
			if status == 0 {
				status = 200
			}
			if reply == "" && status != 204 {
				reply = "{}"
			}
			rec.answer(status, reply)
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := rec.last(t)
			if got.method != tc.method || got.uri != tc.uri {
				t.Errorf("sent %s %s, want %s %s", got.method, got.uri, tc.method, tc.uri)
			}
			wantAuth := "Bearer tok"
			if tc.noAuthSent {
				wantAuth = ""
			}
			if a := got.header.Get("Authorization"); a != wantAuth {
				t.Errorf("Authorization %q, want %q", a, wantAuth)
			}
			if tc.body == "" {
				if got.body != "" || got.header.Get("Content-Type") != "" {
					t.Errorf("sent a body %q (%s), want none", got.body, got.header.Get("Content-Type"))
				}
				return
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var gotBody, wantBody any
			if err := json.Unmarshal([]byte(got.body), &gotBody); err != nil {
				t.Fatalf("body %q: %v", got.body, err)
			}
			_ = json.Unmarshal([]byte(tc.body), &wantBody)
			if diff := cmp.Diff(wantBody, gotBody); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodesTheRequestDocument(t *testing.T) {
	rec := newRecorder(t)
	rec.answer(200, requestDoc)
	r, err := client.New(rec.URL, "tok", nil).Request(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	three := int64(3)
	approved := client.VoteApproved
	want := client.Request{
		ID: "r1", Workspace: "ws", Author: "alice", Status: "PENDING", ReviewTurn: 2,
		CreatedAt:        time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		SubmittedReviews: map[string]time.Time{"bob": time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		Groups: []client.Group{{Name: "g", Context: "ctx", Controls: "ctl",
			Files: []client.RequestFile{{Path: "out/a b.csv", FileType: "OUTPUT", SHA256: "abc", Size: 12, RowCount: &three,
				JobID: "j1", Decision: "INCOMPLETE", MyVote: &approved}},
			Comments: []client.Comment{{ID: 7, Author: "bob", Text: "hi", Visibility: "PRIVATE", ReviewTurn: 1,
				CreatedAt: time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC)}},
		}},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if g, ok := r.Group("g"); !ok || g.Context != "ctx" {
		t.Errorf("Group(g) = %v, %v", g, ok)
	}
	if _, ok := r.Group("nope"); ok {
		t.Error("Group(nope) found")
	}
}

func TestFileEntryTimestamps(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"path":"a","kind":"file","timestamp":"2025-01-02T03:04:05Z"}`, "2025-01-02T03:04:05Z"},
		{`{"path":"a","kind":"file","timestamp":1735787045.5}`, "2025-01-02T03:04:05.5Z"},
		{`{"path":"a","kind":"file","timestamp":null}`, ""},
	} {
		var e client.FileEntry
		if err := json.Unmarshal([]byte(tc.json), &e); err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		got := ""
		if e.Timestamp != nil {
			got = e.Timestamp.Format(time.RFC3339Nano)
		}
		if got != tc.want {
			t.Errorf("%s: timestamp %q, want %q", tc.json, got, tc.want)
		}
	}
	var e client.FileEntry
	if err := json.Unmarshal([]byte(`{"timestamp":true}`), &e); err == nil {
		t.Error("a boolean timestamp was accepted")
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(t)
	c := client.New(rec.URL, "tok", nil)

	rec.answer(409, `{"error": {"code": "policy", "message": "group g needs context and controls"}}`)
	_, err := c.Submit(ctx, "r1")
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %T %v is not an *APIError", err, err)
	}
	if *ae != (client.APIError{Status: 409, Code: client.CodePolicy, Message: "group g needs context and controls"}) {
		t.Errorf("APIError %+v", *ae)
	}
	if err.Error() != "group g needs context and controls" || client.ErrorCode(err) != client.CodePolicy {
		t.Errorf("Error() %q, code %q", err.Error(), client.ErrorCode(err))
	}

	rec.answer(502, "<html><body>Bad Gateway</body></html>")
	_, err = c.Me(ctx)
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Code != "" {
		t.Fatalf("502: %#v", err)
	}
	if err.Error() != "the server answered 502 Bad Gateway" {
		t.Errorf("502 message %q", err.Error())
	}

	rec.answer(401, `{"detail": "something else"}`)
	err = c.Revoke(ctx)
	if !errors.As(err, &ae) || ae.Status != 401 || err.Error() != "the server answered 401 Unauthorized" {
		t.Errorf("401 with another shape: %#v", err)
	}

	rec.answer(200, `not json`)
	if _, err := c.Me(ctx); err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "GET /api/v1/me") {
		t.Errorf("undecodable answer: %v", err)
	}

	if client.ErrorCode(errors.New("x")) != "" {
		t.Error("ErrorCode of a plain error")
	}
}

func TestRefusesPathsThatWouldBeCleaned(t *testing.T) {
	rec := newRecorder(t)
	c := client.New(rec.URL, "tok", nil)
	ctx := context.Background()
	for _, p := range []string{"a/../b", "./a", "a//b", ".."} {
		if _, err := c.Files(ctx, "ws", p); err == nil {
			t.Errorf("Files(%q) was sent", p)
		}
	}
	if _, err := c.Vote(ctx, "r1", "", client.VoteApproved); err == nil {
		t.Error("Vote on no path was sent")
	}
	if len(rec.got) != 0 {
		t.Errorf("requests were sent: %v", rec.got)
	}
}

func TestContextAndTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.New(srv.URL, "tok", nil).Me(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	start := time.Now()
	_, err := client.New(srv.URL, "tok", &http.Client{Timeout: 50 * time.Millisecond}).Me(context.Background())
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("timeout: %v after %v", err, time.Since(start))
	}
}

func TestWithRawSeesTheAnswer(t *testing.T) {
	rec := newRecorder(t)
	rec.answer(200, `{"requests": [{"id": "r1"}]}`)
	var raw []byte
	c := client.New(rec.URL, "tok", nil).WithRaw(func(b []byte) { raw = b })
	if _, err := c.Requests(context.Background(), client.RequestFilter{}); err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"requests": [{"id": "r1"}]}` {
		t.Errorf("raw %q", raw)
	}
}

func TestSession(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "airlock", "client.json")
	if _, err := client.LoadSession(path); !errors.Is(err, client.ErrNoSession) {
		t.Fatalf("missing session: %v", err)
	}
	s := client.Session{URL: "http://x", Token: "t", User: "alice", ExpiresAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	if err := client.SaveSession(path, s); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	got, err := client.LoadSession(path)
	if err != nil || got != s {
		t.Errorf("loaded %+v, %v", got, err)
	}
	if err := client.RemoveSession(path); err != nil {
		t.Fatal(err)
	}
	if err := client.RemoveSession(path); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"url": ""}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := client.LoadSession(path); !errors.Is(err, client.ErrNoSession) {
		t.Errorf("empty session: %v", err)
	}
}

// TestAgainstRealServer walks one request through the real API, over a
// fresh database: login, browse, add, a refused and an accepted submit, a
// vote, logout.
func TestAgainstRealServer(t *testing.T) {
	ctx := context.Background()
	e := testkit.NewEnv(t)
	const path = "output/tables/my é.csv" // a space and a non-ASCII letter, to exercise escaping
	e.Files.Write(testkit.Workspace, path, "x\n1\n2\n")
	srv := apitest.New(t, e)
	login := func(u domain.User) *client.Client {
		t.Helper()
		anon := client.New(srv.URL, "", nil)
		tr, err := anon.Token(ctx, u.Username, apitest.LoginToken(u))
		if err != nil {
			t.Fatalf("login %s: %v", u.Username, err)
		}
		if tr.User.Username != u.Username || tr.ExpiresAt.IsZero() {
			t.Errorf("token response %+v", tr)
		}
		return anon.WithToken(tr.Token)
	}
	if _, err := client.New(srv.URL, "", nil).Token(ctx, e.Author.Username, "wrong"); client.ErrorCode(err) != client.CodeUnauthenticated {
		t.Errorf("wrong token: %v", err)
	}
	author := login(e.Author)

	f, err := author.Files(ctx, testkit.Workspace, path)
	if err != nil || f.Kind != client.KindFile || f.Path != path || f.Status != "UNRELEASED" || f.Size == 0 {
		t.Fatalf("file entry %+v, %v", f, err)
	}
	r, err := author.AddFiles(ctx, testkit.Workspace, "g", []client.AddFile{{Path: f.Path, FileType: client.FileTypeOutput}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := author.Submit(ctx, r.ID); client.ErrorCode(err) != client.CodePolicy {
		t.Errorf("submit without context: %v", err)
	}
	if _, err := author.EditGroup(ctx, r.ID, "g", "why", "how"); err != nil {
		t.Fatal(err)
	}
	if r, err = author.Submit(ctx, r.ID); err != nil || r.Status != "SUBMITTED" {
		t.Fatalf("submit: %v, %v", r.Status, err)
	}
	checker := login(e.C1)
	rf, err := checker.Vote(ctx, r.ID, f.Path, client.VoteApproved)
	if err != nil || rf.MyVote == nil || *rf.MyVote != client.VoteApproved {
		t.Fatalf("vote: %+v, %v", rf, err)
	}
	if err := author.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := author.Me(ctx); client.ErrorCode(err) != client.CodeUnauthenticated {
		t.Errorf("revoked token still works: %v", err)
	}
}

// TestEveryCallAgainstRealServer makes each call of the client against the
// real API, on requests the testkit builds in the statuses each needs, and
// checks the documents decode into what the server did.
func TestEveryCallAgainstRealServer(t *testing.T) {
	e := testkit.NewEnv(t)
	ctx := e.Ctx
	srv := apitest.New(t, e)
	as := func(u domain.User) *client.Client { return client.New(srv.URL, srv.Token(u), nil) }
	author, c1, c2 := as(e.Author), as(e.C1), as(e.C2)
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	file := func(r client.Request, path string) client.RequestFile {
		t.Helper()
		for _, g := range r.Groups {
			for _, f := range g.Files {
				if f.Path == path {
					return f
				}
			}
		}
		t.Fatalf("request %s has no file %s: %+v", r.ID, path, r.Groups)
		return client.RequestFile{}
	}
	comments := func(c *client.Client, id string) map[int64]string {
		t.Helper()
		r, err := c.Request(ctx, id)
		ok(err)
		out := map[int64]string{}
		for _, g := range r.Groups {
			for _, cm := range g.Comments {
				out[cm.ID] = cm.Visibility
			}
		}
		return out
	}

	me, err := author.Me(ctx)
	ok(err)
	if me.Username != e.Author.Username || me.OutputChecker || me.Workspaces[testkit.Workspace].ProjectDetails.Name == "" {
		t.Errorf("me: %+v", me)
	}

	r := e.Submitted(e.Author) // out/a.csv and out/b.csv in group g
	ws, err := author.Workspaces(ctx)
	ok(err)
	if len(ws) != 1 || ws[0].Name != testkit.Workspace || ws[0].CurrentRequest == nil || *ws[0].CurrentRequest != r.ID {
		t.Errorf("workspaces: %+v", ws)
	}
	list, err := c1.Requests(ctx, client.RequestFilter{Workspace: testkit.Workspace, Status: []string{"SUBMITTED"}, Review: true})
	ok(err)
	if len(list) != 1 || list[0].ID != r.ID || list[0].Author != e.Author.Username {
		t.Errorf("requests to review: %+v", list)
	}
	if list, err := c1.Requests(ctx, client.RequestFilter{Status: []string{"PENDING"}}); err != nil || len(list) != 0 {
		t.Errorf("pending requests: %+v, %v", list, err)
	}
	if _, err := author.Content(ctx, r.ID, "out/a.csv"); client.ErrorCode(err) != client.CodePermissionDenied {
		t.Errorf("the author downloads their request's file: %v", err)
	}
	body, err := c1.Content(ctx, r.ID, "out/a.csv")
	ok(err)
	b, err := io.ReadAll(body)
	body.Close()
	if err != nil || string(b) != "x,y\n1,out/a.csv,author\n" {
		t.Errorf("content %q, %v", b, err)
	}

	// A private comment: hidden from the author; published, the author sees
	// it once the review turn is over (below); one deleted is gone.
	cm, err := c1.Comment(ctx, r.ID, "g", "checkers first", client.VisibilityPrivate)
	ok(err)
	if cm.Visibility != client.VisibilityPrivate || cm.Author != e.C1.Username || cm.ReviewTurn != 1 {
		t.Errorf("comment: %+v", cm)
	}
	if _, seen := comments(author, r.ID)[cm.ID]; seen {
		t.Error("the author sees a private comment")
	}
	pub, err := c1.PublishComment(ctx, r.ID, "g", cm.ID)
	ok(err)
	if pub.ID != cm.ID || pub.Visibility != client.VisibilityPublic || comments(c1, r.ID)[cm.ID] != client.VisibilityPublic {
		t.Errorf("published: %+v", pub)
	}
	gone, err := c1.Comment(ctx, r.ID, "g", "never mind", client.VisibilityPrivate)
	ok(err)
	ok(c1.DeleteComment(ctx, r.ID, "g", gone.ID))
	if _, seen := comments(c1, r.ID)[gone.ID]; seen {
		t.Error("a deleted comment is still there")
	}

	// Two reviews asking for changes, then returned.
	for _, p := range []string{"out/a.csv", "out/b.csv"} {
		_, err := c1.Vote(ctx, r.ID, p, client.VoteApproved)
		ok(err)
	}
	ok(c1.ResetVote(ctx, r.ID, "out/b.csv"))
	got, err := c1.Request(ctx, r.ID)
	ok(err)
	if f := file(got, "out/b.csv"); f.MyVote != nil {
		t.Errorf("reset vote still there: %+v", f)
	}
	if _, err := c1.Review(ctx, r.ID); client.ErrorCode(err) == "" {
		t.Error("a review without a vote on every output was accepted")
	}
	rf, err := c1.Vote(ctx, r.ID, "out/b.csv", client.VoteChangesRequested)
	ok(err)
	if rf.MyVote == nil || *rf.MyVote != client.VoteChangesRequested {
		t.Errorf("vote: %+v", rf)
	}
	_, err = c1.Comment(ctx, r.ID, "g", "Please round b.", client.VisibilityPublic)
	ok(err)
	got, err = c1.Review(ctx, r.ID)
	ok(err)
	if got.Status != "PARTIALLY_REVIEWED" || got.SubmittedReviews[e.C1.Username].IsZero() {
		t.Errorf("first review: %s %v", got.Status, got.SubmittedReviews)
	}
	for _, p := range []string{"out/a.csv", "out/b.csv"} {
		_, err := c2.Vote(ctx, r.ID, p, client.VoteChangesRequested)
		ok(err)
	}
	_, err = c2.Comment(ctx, r.ID, "g", "Agreed.", client.VisibilityPublic)
	ok(err)
	got, err = c2.Review(ctx, r.ID)
	ok(err)
	if got.Status != "REVIEWED" || file(got, "out/b.csv").Decision != "CHANGES_REQUESTED" {
		t.Errorf("second review: %s %+v", got.Status, file(got, "out/b.csv"))
	}
	got, err = c1.Return(ctx, r.ID)
	ok(err)
	if got.Status != "RETURNED" {
		t.Errorf("return: %s", got.Status)
	}
	if comments(author, r.ID)[cm.ID] != client.VisibilityPublic {
		t.Error("the author does not see the published comment after the review turn")
	}

	// The author changes the returned request, then withdraws it.
	got, err = author.WithdrawFiles(ctx, r.ID, []string{"out/b.csv"})
	ok(err)
	if f := file(got, "out/b.csv"); f.FileType != "WITHDRAWN" {
		t.Errorf("withdrawn file: %+v", f)
	}
	got, err = author.SetFileProperties(ctx, r.ID, []string{"out/a.csv"}, "g2", client.FileTypeSupporting)
	ok(err)
	if g, found := got.Group("g2"); !found || len(g.Files) != 1 || g.Files[0].FileType != client.FileTypeSupporting {
		t.Errorf("properties: %+v", got.Groups)
	}
	got, err = author.Withdraw(ctx, r.ID)
	ok(err)
	if got.Status != "WITHDRAWN" {
		t.Errorf("withdraw: %s", got.Status)
	}
	events, err := c1.Audit(ctx, r.ID)
	ok(err)
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	if len(events) == 0 || events[0].Type != "REQUEST_WITHDRAW" || events[0].User != e.Author.Username || events[0].Request != r.ID ||
		!slices.Contains(types, "REQUEST_RETURN") || !slices.Contains(types, "REQUEST_COMMENT_VISIBILITY_PUBLIC") ||
		!slices.Contains(types, "REQUEST_COMMENT_DELETE") {
		t.Errorf("audit, newest first: %v", types)
	}

	// Reviewed requests: one rejected, the next released.
	rejected := e.Reviewed(e.Author, domain.VoteChangesRequested)
	if got, err = c1.Reject(ctx, rejected.ID); err != nil || got.Status != "REJECTED" {
		t.Errorf("reject: %s, %v", got.Status, err)
	}
	approved := e.Reviewed(e.Author, domain.VoteApproved)
	if got, err = c2.Release(ctx, approved.ID); err != nil || got.Status != "APPROVED" {
		t.Errorf("release: %s, %v", got.Status, err)
	}
	if _, err := author.Release(ctx, approved.ID); client.ErrorCode(err) == "" {
		t.Error("a second release was accepted")
	}
}
