package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// The callers of the authorization matrix: the hostile matrix's kinds
// of caller but the read-only user with roles.
const (
	anonymous     = string(testkit.CallerAnonymous)
	author        = string(testkit.CallerAuthor)
	collaborator  = string(testkit.CallerCollaborator)
	checker       = string(testkit.CallerChecker)
	checkerAuthor = string(testkit.CallerCheckerAuthor)
	copilot       = string(testkit.CallerCopilot)
	readOnly      = string(testkit.CallerReadOnly)
	outsider      = string(testkit.CallerOutsider)
)

var callers = []string{anonymous, author, collaborator, checker, checkerAuthor, copilot, readOnly, outsider}

// username is the Env user playing a caller.
func username(caller string) string { return testkit.Caller(caller).Username() }

// call is one row of the matrix: the status the request must be in, the
// call, and the answer each caller gets.
type call struct {
	status domain.Status
	method string
	path   string // %s is the request id
	body   any
	want   map[string]int // caller → status; missing callers get dflt
	dflt   int
}

// every returns a map giving status to every real caller.
func every(status int) map[string]int {
	m := map[string]int{}
	for _, c := range callers[1:] {
		m[c] = status
	}
	return m
}

func with(m map[string]int, kv ...any) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1].(int)
	}
	return out
}

var (
	forbidden  = http.StatusForbidden
	ok         = http.StatusOK
	none       = http.StatusNoContent
	notYet     = http.StatusConflict
	created    = http.StatusCreated
	accepted   = http.StatusAccepted
	notFound   = http.StatusNotFound
	authorOnly = map[string]int{author: ok, checkerAuthor: ok}
	onlyCheck  = map[string]int{checker: ok}
	viewers    = with(every(ok), outsider, forbidden)
)

var matrix = []call{
	{domain.StatusPending, "DELETE", "/api/v1/auth/token", nil, every(none), 0},
	{domain.StatusPending, "GET", "/api/v1/me", nil, every(ok), 0},
	{domain.StatusPending, "GET", "/api/v1/workspaces", nil, every(ok), 0},
	{domain.StatusPending, "GET", "/api/v1/workspaces/ws/files/", nil, viewers, 0},
	{domain.StatusPending, "GET", "/api/v1/workspaces/ws/files/out/a.csv", nil, viewers, 0},
	{domain.StatusPending, "POST", "/api/v1/workspaces/ws/request/files",
		map[string]any{"group": "g", "files": []map[string]string{{"path": "out/new.csv", "filetype": "OUTPUT"}}},
		map[string]int{author: ok, collaborator: ok, checkerAuthor: ok}, forbidden},
	{domain.StatusPending, "POST", "/api/v1/workspaces/ws/request/files/update", map[string]any{"paths": []string{"out/a.csv"}},
		map[string]int{author: ok, checkerAuthor: ok, collaborator: notFound}, forbidden},
	{domain.StatusPending, "GET", "/api/v1/requests", nil, every(ok), 0},
	{domain.StatusPending, "GET", "/api/v1/requests/%s", nil, viewers, 0},
	{domain.StatusPending, "GET", "/api/v1/requests/%s/audit", nil, viewers, 0},
	{domain.StatusPending, "PUT", "/api/v1/requests/%s/groups/g", map[string]string{"context": "new", "controls": "new"}, authorOnly, forbidden},
	{domain.StatusSubmitted, "POST", "/api/v1/requests/%s/groups/g/comments", map[string]string{"text": "hello"},
		map[string]int{checker: created, author: notYet, collaborator: notYet, checkerAuthor: notYet}, forbidden},
	{domain.StatusPending, "POST", "/api/v1/requests/%s/groups/g/comments", map[string]string{"text": "hello"},
		map[string]int{author: created, collaborator: created, checkerAuthor: created, checker: notYet}, forbidden},
	{domain.StatusSubmitted, "DELETE", "/api/v1/requests/%s/groups/g/comments/{cid}", nil, map[string]int{checker: none}, forbidden},
	{domain.StatusSubmitted, "POST", "/api/v1/requests/%s/groups/g/comments/{cid}/publish", nil, onlyCheck, forbidden},
	{domain.StatusSubmitted, "POST", "/api/v1/requests/%s/groups/g/request-changes", nil, onlyCheck, forbidden},
	{domain.StatusSubmitted, "POST", "/api/v1/requests/%s/groups/g/reset-votes", nil, onlyCheck, forbidden},
	{domain.StatusPending, "POST", "/api/v1/requests/%s/files/withdraw", map[string]any{"paths": []string{"out/b.csv"}}, authorOnly, forbidden},
	{domain.StatusPending, "POST", "/api/v1/requests/%s/files/properties",
		map[string]any{"paths": []string{"out/a.csv"}, "group": "other", "filetype": "OUTPUT"}, authorOnly, forbidden},
	// Nothing blocks with the default rules, so the author's override is
	// refused as not needed (409); the others may not.
	{domain.StatusPending, "POST", "/api/v1/requests/%s/files/override-checks",
		map[string]string{"path": "out/a.csv", "justification": "Counts of hospitals, not patients."}, map[string]int{author: notYet, checkerAuthor: notYet}, forbidden},
	{domain.StatusSubmitted, "PUT", "/api/v1/requests/%s/votes/out/a.csv", map[string]string{"vote": "APPROVED"}, onlyCheck, forbidden},
	{domain.StatusSubmitted, "DELETE", "/api/v1/requests/%s/votes/out/a.csv", nil, map[string]int{checker: none}, forbidden},
	{domain.StatusPending, "POST", "/api/v1/requests/%s/submit", nil, authorOnly, forbidden},
	{domain.StatusSubmitted, "POST", "/api/v1/requests/%s/review", nil, onlyCheck, forbidden},
	{domain.StatusSubmitted, "POST", "/api/v1/requests/%s/return", nil, onlyCheck, forbidden},
	{domain.StatusReviewed, "POST", "/api/v1/requests/%s/reject", nil, onlyCheck, forbidden},
	{domain.StatusPending, "POST", "/api/v1/requests/%s/withdraw", nil, authorOnly, forbidden},
	{domain.StatusReviewed, "POST", "/api/v1/requests/%s/release", nil, map[string]int{checker: accepted}, forbidden},
	{domain.StatusSubmitted, "GET", "/api/v1/requests/%s/content/out/a.csv", nil, onlyCheck, forbidden},
}

// scenario builds a fresh API whose request is in status st, written by
// the author the caller needs; under review, the checker (c3) has voted on
// every file and written a private comment.
func scenario(t *testing.T, caller string, st domain.Status) (*harness, *domain.Request, int64) {
	h := newHarness(t)
	writer := h.Author
	if caller == checkerAuthor {
		writer = h.CheckerAuthor
	}
	r := h.RequestIn(writer, st)
	var cid int64
	if st.IsUnderReview() {
		h.VoteAll(r.ID, h.C3, domain.VoteApproved)
		c, err := h.Svc.CreateComment(h.Ctx, h.C3, r.ID, "g", "checker's note", domain.VisibilityPrivate)
		h.OK(err)
		cid = c.ID
	}
	if st == domain.StatusPending {
		h.Files.Write(testkit.Workspace, "out/new.csv", "n\n1\n")
		h.Files.Write(testkit.Workspace, "out/a.csv", "x,y\n9,9\n")
	}
	return h, h.Get(r.ID), cid
}

// TestAuthorizationMatrix makes every call as every kind of caller and
// checks the answer; refused calls change nothing.
func TestAuthorizationMatrix(t *testing.T) {
	for _, c := range matrix {
		t.Run(fmt.Sprintf("%s %s in %s", c.method, c.path, c.status), func(t *testing.T) {
			for _, caller := range callers {
				h, r, cid := scenario(t, caller, c.status)
				path := replaceCID(strings.Replace(c.path, "%s", r.ID, 1), cid)
				want, ok := c.want[caller]
				if !ok {
					want = c.dflt
				}
				if caller == anonymous {
					want = http.StatusUnauthorized
				}
				before := h.snap(r.ID)
				got, body := h.call(username(caller), c.method, path, c.body)
				if got != want {
					t.Errorf("%s: got %d, want %d: %s", caller, got, want, body)
					continue
				}
				if got >= 400 {
					checkError(t, caller, got, body)
					if after := h.snap(r.ID); after != before {
						t.Errorf("%s: refused with %d but the data changed: %+v → %+v", caller, got, before, after)
					}
				}
			}
		})
	}
}

func replaceCID(path string, cid int64) string {
	return strings.Replace(path, "{cid}", fmt.Sprint(cid), 1)
}
