//go:build unix

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// The hostile probe's categories, re-run as tests: an authorisation
// matrix over every route × every kind of caller × every status,
// traversal and symlink payloads in every path, invalid UTF-8 in every
// text, malformed bodies. Every hostile call must get a 4xx (never a 5xx,
// a hang or the secret's bytes) and change nothing: no request, no audit
// event, no stored copy. The audit chain verifies at the end. Run with
// -v to see the counts.

// hostileHarness is a harness whose cast also has the read-only user with
// roles (testkit.CallerReadOnlyRoles), on e (whose service a test may have
// replaced).
func hostileHarness(t *testing.T, e *testkit.Env) *harness {
	t.Helper()
	u := testkit.NewReadOnlyRolesUser()
	if _, err := e.Svc.PutUser(e.Ctx, testkit.UserJSON(u)); err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, e)
	secret, _, err := auth.NewTokens(e.Svc, e.Clock.Now).Issue(e.Ctx, u.Username)
	if err != nil {
		t.Fatal(err)
	}
	h.tokens[u.Username] = secret
	return h
}

// callTimeout bounds every hostile call: a call that blocks (on a FIFO,
// say) fails the test instead of hanging it. Generous, as it bounds a
// hang, not a speed.
const callTimeout = 5 * time.Second

// hcall makes a call like harness.call, with a deadline and an optional
// Content-Type, and returns the Location of a redirect. A call still
// running after callTimeout answers status 0.
func (h *harness) hcall(user, method, path string, body []byte, contentType string) (int, []byte) {
	status, raw, _ := h.once(user, method, path, body, contentType)
	return status, raw
}

func (h *harness) once(user, method, path string, body []byte, contentType string) (int, []byte, string) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd).WithContext(ctx)
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[user])
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
		return rec.Code, rec.Body.Bytes(), rec.Header().Get("Location")
	case <-time.After(callTimeout + 2*time.Second):
		return 0, []byte("no answer: the call hung"), ""
	}
}

// jsonBody encodes v, or passes a string or []byte through as it is.
func jsonBody(t testing.TB, v any) []byte {
	switch b := v.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// refusal makes a hostile call and checks it was refused cleanly: a 4xx
// (want, when not 0, exactly) in the error shape, nothing changed, and
// no secret in the answer. It reports whether all held.
func (h *harness) refusal(tally *testkit.Tally, copies func() int, what, user, method, path string, body []byte, contentType string, want int) bool {
	h.T.Helper()
	before := testkit.StateOf(h.T, h.Store, copies)
	status, raw, loc := h.once(user, method, path, body, contentType)
	after := testkit.StateOf(h.T, h.Store, copies)
	clean := true
	if cleaned := testkit.RouterRedirect(path, status, loc); cleaned {
		// net/http's router answers a path with . or .. segments or
		// doubled slashes with a redirect to the clean path, before any
		// handler runs: nothing is read or changed.
		if d := before.Diff(after); d != "" {
			h.T.Errorf("%s: %s %s: redirected, yet changed: %s", what, method, shorten(path), d)
			tally.Call(false)
			return false
		}
		tally.Redirected()
		return true
	}
	fail := func(format string, args ...any) {
		h.T.Helper()
		clean = false
		h.T.Errorf("%s: %s %s: "+format, append([]any{what, method, shorten(path)}, args...)...)
	}
	switch {
	case status == 0:
		fail("hung (no answer within %s)", callTimeout)
	case status < 400 || status >= 500:
		fail("status %d, want a 4xx: %s", status, shorten(string(raw)))
	case want != 0 && status != want:
		fail("status %d, want %d: %s", status, want, shorten(string(raw)))
	}
	if status >= 400 && status < 500 {
		var eb errorBody
		if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			fail("status %d without the error shape: %s", status, shorten(string(raw)))
		}
	}
	if bytes.Contains(raw, []byte("SECRET-7f3a9c")) {
		fail("the answer holds the secret")
	}
	if d := before.Diff(after); d != "" {
		fail("refused with %d but changed: %s", status, d)
	}
	tally.Call(clean)
	return clean
}

// shorten cuts an answer or path for an error message.
func shorten(s string) string { return testkit.Shorten(s, 200) }

// hostileRoute is one API route in the matrix.
type hostileRoute struct {
	key   string             // "METHOD /api/v1/path" as the OpenAPI document has it
	class testkit.RouteClass // who may call it
	path  string             // the call: %s the request id, {cid} a comment id
	body  any
}

var hostileRoutes = []hostileRoute{
	{"POST /api/v1/auth/token", testkit.ClassPublic, "/api/v1/auth/token", nil},
	{"GET /api/v1/openapi.json", testkit.ClassPublic, "/api/v1/openapi.json", nil},
	{"DELETE /api/v1/auth/token", testkit.ClassSelf, "/api/v1/auth/token", nil},
	{"GET /api/v1/me", testkit.ClassSelf, "/api/v1/me", nil},
	{"GET /api/v1/workspaces", testkit.ClassSelf, "/api/v1/workspaces", nil},
	{"GET /api/v1/requests", testkit.ClassSelf, "/api/v1/requests?workspace=ws&status=PENDING", nil},
	{"GET /api/v1/workspaces/{ws}/files/{path}", testkit.ClassWSView, "/api/v1/workspaces/ws/files/out/a.csv", nil},
	{"GET /api/v1/workspaces/{ws}/code/{commit}/{path}", testkit.ClassWSView, "/api/v1/workspaces/ws/code/" + studyCommit1 + "/analysis/report.py", nil},
	{"POST /api/v1/workspaces/{ws}/request/files", testkit.ClassWSAct, "/api/v1/workspaces/ws/request/files",
		map[string]any{"group": "g", "files": []map[string]string{{"path": "out/new.csv", "filetype": "OUTPUT"}}}},
	{"POST /api/v1/workspaces/{ws}/request/files/update", testkit.ClassWSAct, "/api/v1/workspaces/ws/request/files/update",
		map[string]any{"paths": []string{"out/a.csv"}}},
	{"GET /api/v1/requests/{id}", testkit.ClassView, "/api/v1/requests/%s", nil},
	{"GET /api/v1/requests/{id}/audit", testkit.ClassView, "/api/v1/requests/%s/audit", nil},
	{"GET /api/v1/requests/{id}/content/{path}", testkit.ClassContent, "/api/v1/requests/%s/content/out/a.csv", nil},
	{"GET /api/v1/requests/{id}/diff/{path}", testkit.ClassView, "/api/v1/requests/%s/diff/out/a.csv?from=1", nil},
	{"PUT /api/v1/requests/{id}/groups/{group}", testkit.ClassAuthor, "/api/v1/requests/%s/groups/g", map[string]string{"context": "new", "controls": "new"}},
	{"POST /api/v1/requests/{id}/files/withdraw", testkit.ClassAuthor, "/api/v1/requests/%s/files/withdraw", map[string]any{"paths": []string{"out/b.csv"}}},
	{"POST /api/v1/requests/{id}/files/properties", testkit.ClassAuthor, "/api/v1/requests/%s/files/properties",
		map[string]any{"paths": []string{"out/a.csv"}, "group": "other", "filetype": "OUTPUT"}},
	{"POST /api/v1/requests/{id}/files/override-checks", testkit.ClassAuthor, "/api/v1/requests/%s/files/override-checks",
		map[string]string{"path": "out/a.csv", "justification": "Counts of hospitals, not patients."}},
	{"POST /api/v1/requests/{id}/submit", testkit.ClassAuthor, "/api/v1/requests/%s/submit", nil},
	{"POST /api/v1/requests/{id}/withdraw", testkit.ClassAuthor, "/api/v1/requests/%s/withdraw", nil},
	{"POST /api/v1/requests/{id}/groups/{group}/comments", testkit.ClassComment, "/api/v1/requests/%s/groups/g/comments", map[string]string{"text": "hello"}},
	{"DELETE /api/v1/requests/{id}/groups/{group}/comments/{cid}", testkit.ClassOwnComment, "/api/v1/requests/%s/groups/g/comments/{cid}", nil},
	{"POST /api/v1/requests/{id}/groups/{group}/comments/{cid}/publish", testkit.ClassOwnComment, "/api/v1/requests/%s/groups/g/comments/{cid}/publish", nil},
	{"POST /api/v1/requests/{id}/groups/{group}/request-changes", testkit.ClassReview, "/api/v1/requests/%s/groups/g/request-changes", nil},
	{"POST /api/v1/requests/{id}/groups/{group}/reset-votes", testkit.ClassReview, "/api/v1/requests/%s/groups/g/reset-votes", nil},
	{"PUT /api/v1/requests/{id}/votes/{path}", testkit.ClassReview, "/api/v1/requests/%s/votes/out/a.csv", map[string]string{"vote": "APPROVED"}},
	{"DELETE /api/v1/requests/{id}/votes/{path}", testkit.ClassReview, "/api/v1/requests/%s/votes/out/a.csv", nil},
	{"POST /api/v1/requests/{id}/review", testkit.ClassReview, "/api/v1/requests/%s/review", nil},
	{"POST /api/v1/requests/{id}/return", testkit.ClassReturn, "/api/v1/requests/%s/return", nil},
	{"POST /api/v1/requests/{id}/reject", testkit.ClassReject, "/api/v1/requests/%s/reject", nil},
	{"POST /api/v1/requests/{id}/release", testkit.ClassRelease, "/api/v1/requests/%s/release", nil},
}

// studyCommit1 is gitrepotest's study's first commit (its contents and
// dates are fixed).
const studyCommit1 = "d7518d32724a3afea6f7d66c6c33f1fb944db5c0"

// statusFixture is a harness with the matrix's requests in one status.
type statusFixture struct {
	h *harness
	*testkit.MatrixRequests
}

func newStatusFixture(t *testing.T, st domain.Status, code *gitrepotest.Study) *statusFixture {
	t.Helper()
	e := testkit.NewEnv(t)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
		Code: gitrepo.New(gitrepo.Config{Dir: code.RepoDir}),
	})
	h := hostileHarness(t, e)
	return &statusFixture{h: h, MatrixRequests: testkit.NewMatrixRequests(h.Env, st)}
}

// documentedRoutes reads the OpenAPI document the API serves (made from
// its route table): every "METHOD /path" of the API.
func documentedRoutes(t *testing.T, h *harness) []string {
	t.Helper()
	status, raw := h.call("", "GET", "/api/v1/openapi.json", nil)
	if status != http.StatusOK {
		t.Fatalf("openapi.json: %d", status)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for p, ops := range doc.Paths {
		for m := range ops {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(out)
	return out
}

// TestHostileMatrixCoversEveryRoute: a route added to the API without a
// row in the hostile matrix fails here, so nothing escapes the matrix.
func TestHostileMatrixCoversEveryRoute(t *testing.T) {
	var rows []string
	for _, r := range hostileRoutes {
		rows = append(rows, r.key)
	}
	testkit.MatrixCovers(t, rows, documentedRoutes(t, newHarness(t)))
}

// TestHostileAPI runs every category against the JSON API.
func TestHostileAPI(t *testing.T) {
	census := testkit.NewCensus(t)
	t.Run("matrix", func(t *testing.T) { hostileMatrix(t, census) })
	t.Run("traversal", func(t *testing.T) { hostileTraversal(t, census) })
	t.Run("manifest", func(t *testing.T) { hostileManifest(t, census) })
	t.Run("utf8", func(t *testing.T) { hostileUTF8(t, census) })
	t.Run("malformed", func(t *testing.T) { hostileMalformed(t, census) })
}

// hostileMatrix makes every route's call as every kind of caller on a
// request in every status: each call the oracle refuses must be a 4xx
// (401 for anonymous callers) that changes nothing; reads the oracle
// allows must answer 200.
func hostileMatrix(t *testing.T, census *testkit.Census) {
	tally := census.Category("authorisation matrix (API)")
	reads := 0
	// The code call reads this study's first commit.
	code := gitrepotest.New(t, "study")
	if code.Commit1 != studyCommit1 {
		t.Fatalf("the study's first commit is %s: make it studyCommit1", code.Commit1)
	}
	for _, st := range testkit.MatrixStatuses {
		f := newStatusFixture(t, st, code)
		for _, rt := range hostileRoutes {
			if rt.class == testkit.ClassPublic {
				continue
			}
			if rt.class <= testkit.ClassWSAct && st != domain.StatusPending {
				continue // not about a request: once is enough
			}
			method := strings.Fields(rt.key)[0]
			for _, caller := range testkit.HostileCallers {
				r := f.For(caller)
				path := strings.Replace(rt.path, "%s", r.ID, 1)
				path = strings.Replace(path, "{cid}", fmt.Sprint(f.CID[r.ID]), 1)
				what := fmt.Sprintf("%s on a %s request", caller, st)
				if testkit.MayBeAllowed(rt.class, caller, st, f.CommentAuthor[r.ID]) {
					if method == "GET" {
						reads++
						if status, raw := f.h.hcall(caller.Username(), method, path, nil, ""); status != http.StatusOK {
							t.Errorf("%s: %s %s: %d, want 200: %s", what, method, path, status, shorten(string(raw)))
						}
					}
					continue
				}
				want := 0
				if caller == testkit.CallerAnonymous {
					want = http.StatusUnauthorized
				}
				if !f.h.refusal(tally, f.h.Files.Copies, what, caller.Username(), method, path, jsonBody(t, rt.body), "", want) {
					// Start afresh, so one hole does not hide the next.
					f = newStatusFixture(t, st, code)
				}
			}
		}
	}
	t.Logf("matrix: %d allowed reads answered too", reads)
}

// diskHarness serves the API over a hostile workspace on disk and a
// request store on disk (see testkit.NewHostileDisk).
func diskHarness(t *testing.T) (*harness, *testkit.HostileDisk) {
	t.Helper()
	e := testkit.NewEnv(t)
	d := testkit.NewHostileDisk(e)
	return hostileHarness(t, e), d
}

// hostileTraversal sends traversal payloads to every path a call takes,
// and asks for the symbolic links and the FIFO of a hostile workspace
// on disk: all refused, promptly, never the secret.
func hostileTraversal(t *testing.T, census *testkit.Census) {
	tally := census.Category("traversal and symlinks (API)")
	h, hw := diskHarness(t)
	copies, pending, submitted := hw.Copies, hw.Pending, hw.Submitted
	segs := testkit.TraversalSegments()
	// Everything a hostile researcher would ask for, as URL paths.
	var urlPaths []string
	for _, s := range segs {
		urlPaths = append(urlPaths, s)
	}
	urlPaths = append(urlPaths, hw.Links...)
	slices.Sort(urlPaths)
	bodyPaths := append(slices.Clone(testkit.TraversalPaths), hw.Links...)

	for _, p := range urlPaths {
		for _, who := range []string{"author", "c3", "copilot", "rosupport"} {
			h.refusal(tally, copies, who+" views "+p, who, "GET", "/api/v1/workspaces/ws/files/"+p, nil, "", 0)
		}
		h.refusal(tally, copies, "c3 reads content "+p, "c3", "GET", "/api/v1/requests/"+submitted.ID+"/content/"+p, nil, "", 0)
		h.refusal(tally, copies, "c3 votes "+p, "c3", "PUT", "/api/v1/requests/"+submitted.ID+"/votes/"+p, []byte(`{"vote":"APPROVED"}`), "", 0)
		h.refusal(tally, copies, "c3 resets a vote "+p, "c3", "DELETE", "/api/v1/requests/"+submitted.ID+"/votes/"+p, nil, "", 0)
		h.refusal(tally, copies, "author names workspace "+p, "author", "GET", "/api/v1/workspaces/"+p+"/files/", nil, "", 0)
	}
	for _, p := range bodyPaths {
		h.refusal(tally, copies, "author adds "+p, "author", "POST", "/api/v1/workspaces/ws/request/files",
			jsonBody(t, map[string]any{"group": "g", "files": []map[string]string{{"path": p, "filetype": "OUTPUT"}}}), "", 0)
		h.refusal(tally, copies, "author adds as supporting "+p, "author", "POST", "/api/v1/workspaces/ws/request/files",
			jsonBody(t, map[string]any{"group": "g2", "files": []map[string]string{{"path": p, "filetype": "SUPPORTING"}}}), "", 0)
		h.refusal(tally, copies, "author updates "+p, "author", "POST", "/api/v1/workspaces/ws/request/files/update",
			jsonBody(t, map[string]any{"paths": []string{p}}), "", 0)
		h.refusal(tally, copies, "author withdraws "+p, "author", "POST", "/api/v1/requests/"+pending.ID+"/files/withdraw",
			jsonBody(t, map[string]any{"paths": []string{p}}), "", 0)
		h.refusal(tally, copies, "author moves "+p, "author", "POST", "/api/v1/requests/"+pending.ID+"/files/properties",
			jsonBody(t, map[string]any{"paths": []string{p}, "group": "other", "filetype": "OUTPUT"}), "", 0)
		h.refusal(tally, copies, "author overrides "+p, "author", "POST", "/api/v1/requests/"+pending.ID+"/files/override-checks",
			jsonBody(t, map[string]any{"path": p, "justification": "because"}), "", 0)
	}
	if status, raw := h.hcall("author", "GET", "/api/v1/workspaces/ws/files/"+hw.Good, nil, ""); status != http.StatusOK {
		t.Errorf("the good file: %d %s", status, shorten(string(raw)))
	}
	// The FIFO last: a call that opens it blocks, so each kind of call is
	// made once, while nothing has hung yet (a hang costs the call's
	// timeout). The folder holding the links and the FIFO must still
	// list, promptly, without the secret.
	fifo := []func() bool{
		func() bool {
			status, raw := h.hcall("author", "GET", "/api/v1/workspaces/ws/files/output/", nil, "")
			ok := status == http.StatusOK && !bytes.Contains(raw, []byte("SECRET-7f3a9c"))
			if !ok {
				t.Errorf("listing output/, which holds the FIFO: %d %s", status, shorten(string(raw)))
			}
			tally.Call(ok)
			return ok
		},
		func() bool {
			return h.refusal(tally, copies, "author views the FIFO", "author", "GET", "/api/v1/workspaces/ws/files/"+hw.FIFO, nil, "", 0)
		},
		func() bool {
			return h.refusal(tally, copies, "author adds the FIFO", "author", "POST", "/api/v1/workspaces/ws/request/files",
				jsonBody(t, map[string]any{"group": "g", "files": []map[string]string{{"path": hw.FIFO, "filetype": "OUTPUT"}}}), "", 0)
		},
	}
	for _, call := range fifo {
		if !call() {
			break
		}
	}
	hw.Release()
	testkit.VerifyAudit(t, h.Store)
}

// rawJSON builds a JSON object whose string values are put in as raw
// bytes (not escaped), so invalid UTF-8 reaches the server as sent.
func rawJSON(kv ...string) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%s", kv[i], kv[i+1])
	}
	b.WriteString("}")
	return b.Bytes()
}

// str is a JSON string holding s's bytes as they are (quotes and
// backslashes escaped, nothing else).
func str(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// hostileUTF8 sends invalid UTF-8 and NUL into every text a call takes:
// each a 400, nothing stored, and the audit chain intact after.
func hostileUTF8(t *testing.T, census *testkit.Census) {
	tally := census.Category("invalid UTF-8 (API)")
	h := hostileHarness(t, testkit.NewEnv(t))
	pending, submitted := h.HostileRequests()
	bad := map[string]string{}
	for k, v := range testkit.BadText {
		bad[k] = str(v)
	}
	bad[`escaped \u0000`] = `"counts\u0000"`
	bad[`escaped \u0000 alone`] = `"\u0000"`
	pid, sid := pending.ID, submitted.ID
	type textCall struct {
		what, user, method, path string
		body                     func(string) []byte
	}
	calls := []textCall{
		{"login user", "", "POST", "/api/v1/auth/token", func(s string) []byte { return rawJSON("user", s, "token", `"login-author"`) }},
		{"login token", "", "POST", "/api/v1/auth/token", func(s string) []byte { return rawJSON("user", `"author"`, "token", s) }},
		{"group context", "author", "PUT", "/api/v1/requests/" + pid + "/groups/g", func(s string) []byte { return rawJSON("context", s, "controls", `"ok"`) }},
		{"group controls", "author", "PUT", "/api/v1/requests/" + pid + "/groups/g", func(s string) []byte { return rawJSON("context", `"ok"`, "controls", s) }},
		{"comment (author)", "author", "POST", "/api/v1/requests/" + pid + "/groups/g/comments", func(s string) []byte { return rawJSON("text", s) }},
		{"comment (checker)", "c3", "POST", "/api/v1/requests/" + sid + "/groups/g/comments", func(s string) []byte { return rawJSON("text", s, "visibility", `"PRIVATE"`) }},
		{"comment visibility", "c3", "POST", "/api/v1/requests/" + sid + "/groups/g/comments", func(s string) []byte { return rawJSON("text", `"ok"`, "visibility", s) }},
		{"override justification", "author", "POST", "/api/v1/requests/" + pid + "/files/override-checks", func(s string) []byte {
			return rawJSON("path", `"out/a.csv"`, "justification", s)
		}},
		{"new group name", "author", "POST", "/api/v1/workspaces/ws/request/files", func(s string) []byte {
			return rawJSON("group", s, "files", `[{"path":"out/new.csv","filetype":"OUTPUT"}]`)
		}},
		{"added path", "author", "POST", "/api/v1/workspaces/ws/request/files", func(s string) []byte {
			return rawJSON("group", `"g"`, "files", `[{"path":`+s+`,"filetype":"OUTPUT"}]`)
		}},
		{"file type", "author", "POST", "/api/v1/workspaces/ws/request/files", func(s string) []byte {
			return rawJSON("group", `"g"`, "files", `[{"path":"out/new.csv","filetype":`+s+`}]`)
		}},
		{"updated path", "author", "POST", "/api/v1/workspaces/ws/request/files/update", func(s string) []byte { return rawJSON("paths", "["+s+"]") }},
		{"withdrawn path", "author", "POST", "/api/v1/requests/" + pid + "/files/withdraw", func(s string) []byte { return rawJSON("paths", "["+s+"]") }},
		{"moved-to group", "author", "POST", "/api/v1/requests/" + pid + "/files/properties", func(s string) []byte {
			return rawJSON("paths", `["out/a.csv"]`, "group", s, "filetype", `"OUTPUT"`)
		}},
		{"moved path", "author", "POST", "/api/v1/requests/" + pid + "/files/properties", func(s string) []byte {
			return rawJSON("paths", "["+s+"]", "group", `"other"`, "filetype", `"OUTPUT"`)
		}},
		{"vote", "c3", "PUT", "/api/v1/requests/" + sid + "/votes/out/a.csv", func(s string) []byte { return rawJSON("vote", s) }},
	}
	for _, c := range calls {
		for name, s := range bad {
			h.refusal(tally, h.Files.Copies, c.what+" with "+name, c.user, c.method, c.path, c.body(s), "", http.StatusBadRequest)
		}
	}
	// In the URL: path segments and query parameters, percent-encoded.
	urlCalls := []struct{ user, method, path string }{
		{"author", "GET", "/api/v1/workspaces/ws/files/out/%s.csv"},
		{"author", "GET", "/api/v1/workspaces/%s/files/"},
		{"c3", "GET", "/api/v1/requests/" + sid + "/content/out/%s.csv"},
		{"c3", "PUT", "/api/v1/requests/" + sid + "/votes/out/%s.csv"},
		{"c3", "DELETE", "/api/v1/requests/" + sid + "/votes/out/%s.csv"},
		{"author", "PUT", "/api/v1/requests/" + pid + "/groups/%s"},
		{"author", "POST", "/api/v1/requests/" + pid + "/groups/%s/comments"},
		{"c3", "POST", "/api/v1/requests/" + sid + "/groups/%s/request-changes"},
		{"c3", "POST", "/api/v1/requests/" + sid + "/groups/%s/reset-votes"},
		{"author", "GET", "/api/v1/requests/%s"},
		{"author", "GET", "/api/v1/requests?workspace=%s"},
		{"author", "GET", "/api/v1/requests?status=%s"},
		{"author", "GET", "/api/v1/requests?author=%s"},
		{"c3", "GET", "/api/v1/requests?review=%s"},
		{"author", "GET", "/api/v1/workspaces/ws/files/?out_of_date=%s"},
	}
	for _, c := range urlCalls {
		for name, s := range testkit.BadText {
			var body []byte
			switch c.method {
			case "PUT":
				body = []byte(`{"vote":"APPROVED","context":"c","controls":"c"}`)
				if strings.Contains(c.path, "/groups/") {
					body = []byte(`{"context":"c","controls":"c"}`)
				}
			case "POST":
				if strings.HasSuffix(c.path, "/comments") {
					body = []byte(`{"text":"hello"}`)
				}
			}
			path := strings.Replace(c.path, "%s", testkit.EscapeAll(s), 1)
			h.refusal(tally, h.Files.Copies, "URL with "+name, c.user, c.method, path, body, "", http.StatusBadRequest)
		}
	}
	testkit.VerifyAudit(t, h.Store)
}

// hostileMalformed sends malformed bodies to every call that takes one,
// and duplicate paths to the calls that take lists of paths: each a 400
// (413 when too large), nothing changed, duplicates named.
func hostileMalformed(t *testing.T, census *testkit.Census) {
	tally := census.Category("malformed JSON (API)")
	h := hostileHarness(t, testkit.NewEnv(t))
	pending, submitted := h.HostileRequests()
	h.Files.Write(testkit.Workspace, "out/b.csv", "x,y\n8,8\n")
	bodies := map[string]struct {
		body string
		want int
	}{
		"truncated":           {`{"paths": ["out/a.csv"`, 400},
		"truncated string":    {`{"text": "abc`, 400},
		"empty":               {``, 400},
		"only whitespace":     {"  \n ", 400},
		"a number":            {`42`, 400},
		"a list":              {`[{"path":"out/a.csv"}]`, 400},
		"null":                {`null`, 0}, // decodes as an empty body: refused, any 4xx
		"trailing garbage":    {`{"paths":["out/a.csv"]} x`, 400},
		"two objects":         {`{} {}`, 400},
		"trailing comma":      {`{"paths":["out/a.csv"],}`, 400},
		"single quotes":       {`{'paths':['out/a.csv']}`, 400},
		"comment":             {`{/* */"paths":["out/a.csv"]}`, 400},
		"NaN":                 {`{"paths": NaN}`, 400},
		"wrong types":         {`{"group": 7, "files": "out/a.csv", "paths": {"a": 1}, "vote": [], "text": false, "context": 1, "controls": 2, "filetype": 3, "user": 4, "token": 5, "visibility": 6, "path": 7, "justification": 8}`, 400},
		"paths of numbers":    {`{"paths": [1, 2]}`, 400},
		"paths of nulls":      {`{"paths": [null]}`, 0}, // a null string is "": any 4xx
		"files of strings":    {`{"group":"g","files": ["out/a.csv"]}`, 400},
		"nested objects":      {`{"paths": [{"paths": ["out/a.csv"]}]}`, 400},
		"unknown field":       {`{"surprise": true}`, 400},
		"deep nesting":        {strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000), 400},
		"deep list":           {`{"paths":` + strings.Repeat("[", 100000) + `}`, 400},
		"huge":                {`{"text": "` + strings.Repeat("x", 1<<20+10) + `"}`, 413},
		"huge list of paths":  {`{"paths": [` + strings.Repeat(`"out/a.csv",`, 120000) + `"x"]}`, 413},
		"huge number":         {`{"paths": 1` + strings.Repeat("0", 400) + `}`, 400},
		"duplicate keys":      {`{"paths": ["out/a.csv"], "paths": 5}`, 400},
		"byte order mark":     {"\xef\xbb\xbf{\"paths\":[\"out/a.csv\"]}", 400},
		"UTF-16":              {"\xff\xfe{\x00}\x00", 400},
		"form instead":        {`paths=out%2Fa.csv`, 400},
		"empty object inside": {`{"paths": [{}]}`, 400},
	}
	pid, sid := pending.ID, submitted.ID
	routes := []struct{ user, method, path string }{
		{"", "POST", "/api/v1/auth/token"},
		{"author", "POST", "/api/v1/workspaces/ws/request/files"},
		{"author", "POST", "/api/v1/workspaces/ws/request/files/update"},
		{"author", "PUT", "/api/v1/requests/" + pid + "/groups/g"},
		{"author", "POST", "/api/v1/requests/" + pid + "/groups/g/comments"},
		{"c3", "POST", "/api/v1/requests/" + sid + "/groups/g/comments"},
		{"author", "POST", "/api/v1/requests/" + pid + "/files/withdraw"},
		{"author", "POST", "/api/v1/requests/" + pid + "/files/properties"},
		{"author", "POST", "/api/v1/requests/" + pid + "/files/override-checks"},
		{"c3", "PUT", "/api/v1/requests/" + sid + "/votes/out/a.csv"},
	}
	for _, rt := range routes {
		for name, b := range bodies {
			want := b.want
			ct := ""
			if name == "form instead" {
				ct = "application/x-www-form-urlencoded"
			}
			h.refusal(tally, h.Files.Copies, name, rt.user, rt.method, rt.path, []byte(b.body), ct, want)
		}
	}
	// Duplicate paths: a 400 naming the path, no event written twice.
	dups := []struct {
		what, path string
		body       any
	}{
		{"withdraw a twice", "/api/v1/requests/{id}/files/withdraw", map[string]any{"paths": []string{"out/a.csv", "out/a.csv"}}},
		{"withdraw a and a/", "/api/v1/requests/{id}/files/withdraw", map[string]any{"paths": []string{"out/a.csv", "out/a.csv/"}}},
		{"withdraw a, b, a", "/api/v1/requests/{id}/files/withdraw", map[string]any{"paths": []string{"out/a.csv", "out/b.csv", "out/a.csv"}}},
		{"update a twice", "/api/v1/workspaces/ws/request/files/update", map[string]any{"paths": []string{"out/a.csv", "out/a.csv"}}},
		{"update a and a/", "/api/v1/workspaces/ws/request/files/update", map[string]any{"paths": []string{"out/a.csv", "out/a.csv/"}}},
		{"update a, b, a", "/api/v1/workspaces/ws/request/files/update", map[string]any{"paths": []string{"out/a.csv", "out/b.csv", "out/a.csv"}}},
		{"add new twice", "/api/v1/workspaces/ws/request/files", map[string]any{"group": "g",
			"files": []map[string]string{{"path": "out/new.csv", "filetype": "OUTPUT"}, {"path": "out/new.csv", "filetype": "SUPPORTING"}}}},
		{"add new and new/", "/api/v1/workspaces/ws/request/files", map[string]any{"group": "g",
			"files": []map[string]string{{"path": "out/new.csv", "filetype": "OUTPUT"}, {"path": "out/new.csv/", "filetype": "OUTPUT"}}}},
		{"move a twice", "/api/v1/requests/{id}/files/properties", map[string]any{"paths": []string{"out/a.csv", "out/a.csv"}, "group": "other", "filetype": "OUTPUT"}},
	}
	for _, d := range dups {
		// Each on a fresh request, so that one accepted duplicate does
		// not change what the next one meets.
		h := hostileHarness(t, testkit.NewEnv(t))
		pid := h.RequestIn(h.Author, domain.StatusPending).ID
		h.Files.Write(testkit.Workspace, "out/new.csv", "n\n1\n")
		h.Files.Write(testkit.Workspace, "out/a.csv", "x,y\n9,9\n")
		h.Files.Write(testkit.Workspace, "out/b.csv", "x,y\n8,8\n")
		d.path = strings.Replace(d.path, "{id}", pid, 1)
		before := testkit.StateOf(t, h.Store, h.Files.Copies)
		status, raw := h.hcall("author", "POST", d.path, jsonBody(t, d.body), "")
		var eb errorBody
		json.Unmarshal(raw, &eb)
		clean := status == http.StatusBadRequest && strings.Contains(eb.Error.Message, "out/")
		if !clean {
			t.Errorf("%s: %d %s, want 400 naming the path", d.what, status, shorten(string(raw)))
		}
		if diff := before.Diff(testkit.StateOf(t, h.Store, h.Files.Copies)); diff != "" {
			clean = false
			t.Errorf("%s: changed: %s", d.what, diff)
		}
		tally.Call(clean)
	}
	testkit.VerifyAudit(t, h.Store)
}

// hostileManifest serves a workspace whose manifest lists outputs with
// content hashes that are not 64 hex digits: adding them is refused with
// a 4xx (never a 500) and copies nothing; nothing answers a 5xx.
func hostileManifest(t *testing.T, census *testkit.Census) {
	tally := census.Category("bad manifest hashes (API)")
	e := testkit.NewEnv(t)
	wsDir, storeDir := filepath.Join(t.TempDir(), "workspaces"), filepath.Join(t.TempDir(), "requests")
	bad := map[string]string{
		"output/short.csv":    "abc123",
		"output/nothex.csv":   strings.Repeat("z", 64),
		"output/upper.csv":    strings.Repeat("A", 64),
		"output/long.csv":     strings.Repeat("0", 65),
		"output/empty.csv":    "",
		"output/traverse.csv": "../../../etc/passwd",
		"output/nul.csv":      strings.Repeat("0", 63) + "\x00",
	}
	w := testkit.NewDiskWorkspace(t, wsDir, testkit.Workspace)
	w.Output("output/a.csv", "a,b\n1,2\n", nil)
	for p, h := range bad {
		w.Output(p, "a,b\n3,4\n", map[string]any{"content_hash": h})
	}
	w.Save()
	e.UseDisk(wsDir, storeDir)
	h := hostileHarness(t, e)
	copies := testkit.CopiesIn(t, storeDir)
	for _, p := range slices.Sorted(maps.Keys(bad)) {
		h.refusal(tally, copies, "author adds a file whose hash is "+fmt.Sprintf("%q", bad[p]), "author", "POST", "/api/v1/workspaces/ws/request/files",
			jsonBody(t, map[string]any{"group": "g", "files": []map[string]string{{"path": p, "filetype": "OUTPUT"}}}), "", 0)
		if status, raw := h.hcall("author", "GET", "/api/v1/workspaces/ws/files/"+p, nil, ""); status >= 500 {
			t.Errorf("viewing %s: %d %s", p, status, shorten(string(raw)))
		}
	}
	if status, raw := h.hcall("author", "GET", "/api/v1/workspaces/ws/files/output/", nil, ""); status >= 500 {
		t.Errorf("listing output/: %d %s", status, shorten(string(raw)))
	}
	testkit.VerifyAudit(t, h.Store)
}
