//go:build unix

package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// The hostile probe's categories, re-run against the pages: every page ×
// every kind of caller × every status, traversal and symlink payloads in
// every path, invalid UTF-8 in every form field, malformed forms. A
// refused form post may answer as the pages do, with a redirect back and
// an error message (checked on the page it leads to), or with a 4xx; never
// a 5xx, a hang or the secret; and it changes nothing. Run with -v to see
// the counts.

// wTimeout bounds every hostile call, so that a hang fails the test
// instead of hanging it (a bound on a hang, not a speed).
const wTimeout = 5 * time.Second

// hostileClient is a logged-in browser (or an anonymous htmx one, which
// is answered 401 where a browser would be sent to the login page).
type hostileClient struct {
	*client
	anonymous bool
}

func newHostileClient(t testing.TB, h *harness, srv *httptest.Server, caller testkit.Caller) *hostileClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// A client of its own: srv.Client() is shared, and so would its jar be.
	hc := &http.Client{Transport: srv.Client().Transport, Jar: jar, Timeout: wTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c := &client{t: t, srv: srv, c: hc}
	if caller != testkit.CallerAnonymous {
		c.login(caller.Username())
		c.get("/workspaces/") // shows, and so clears, the "Logged in" message
	}
	return &hostileClient{client: c, anonymous: caller == testkit.CallerAnonymous}
}

// send makes a call and reads its answer; err is set when the call did
// not finish in time (a hang) or could not be made at all.
func (c *hostileClient) send(method, path string, form url.Values, rawBody string) (answer, error) {
	var body io.Reader
	switch {
	case rawBody != "":
		body = strings.NewReader(rawBody)
	case form != nil:
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.anonymous {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp, string(b)}, err
}

// hostileRun is one category's calls on one harness.
type hostileRun struct {
	t      *testing.T
	h      *harness
	tally  *testkit.Tally
	copies func() int
	// changed is set when a refused call changed something.
	changed bool
}

// refused makes a hostile call and checks it was refused cleanly: a 4xx,
// or the pages' redirect back with an error message on the page it leads
// to (never a success message); no 5xx, no hang, no secret, nothing
// changed. It reports whether all held.
func (run *hostileRun) refused(c *hostileClient, what, method, path string, form url.Values, rawBody string) bool {
	t := run.t
	t.Helper()
	before := testkit.StateOf(t, run.h.Store, run.copies)
	a, err := c.send(method, path, form, rawBody)
	after := testkit.StateOf(t, run.h.Store, run.copies)
	clean, redirected := true, false
	fail := func(format string, args ...any) {
		t.Helper()
		clean = false
		t.Errorf("%s: %s %s: "+format, append([]any{what, method, shortPath(path)}, args...)...)
	}
	var uerr *url.Error
	switch {
	case err != nil && errors.As(err, &uerr) && uerr.Timeout():
		fail("hung (no answer within %s)", wTimeout)
	case err != nil && a.Response == nil && strings.Contains(err.Error(), "invalid"):
		// The client refuses to send it (an invalid URL): not a call.
		return true
	case err != nil:
		fail("%v", err)
	case a.StatusCode >= 500:
		fail("status %d: %s", a.StatusCode, shortPath(a.body))
	case a.StatusCode >= 400:
	case testkit.RouterRedirect(path, a.StatusCode, a.Header.Get("Location")):
		// The router's redirect to the clean path, before any handler.
		redirected = true
	case a.StatusCode == http.StatusSeeOther || a.StatusCode == http.StatusFound || (a.StatusCode == http.StatusNoContent && a.Header.Get("HX-Redirect") != ""):
		loc := a.Header.Get("Location")
		if loc == "" {
			loc = a.Header.Get("HX-Redirect")
		}
		if strings.HasPrefix(loc, "/login/") {
			fail("sent to the login page, though logged in")
			break
		}
		// Follow the redirects (the workspace pages send a missing path
		// up to its folder) to the page that shows the message.
		var next answer
		for range 5 {
			next, err = c.send("GET", loc, nil, "")
			if err != nil || next.StatusCode < 300 || next.StatusCode >= 400 {
				break
			}
			loc = next.Header.Get("Location")
		}
		if err != nil {
			fail("following the redirect to %s: %v", loc, err)
			break
		}
		if strings.Contains(next.body, "flash flash-success") ||
			(next.StatusCode < 400 && !strings.Contains(next.body, "flash flash-error")) {
			fail("status %d to %s, whose page (%d) shows no error message, or a success", a.StatusCode, loc, next.StatusCode)
		}
	default:
		fail("status %d, want a refusal: %s", a.StatusCode, shortPath(a.body))
	}
	if a.Response != nil && strings.Contains(a.body, "SECRET-7f3a9c") {
		fail("the answer holds the secret")
	}
	if d := before.Diff(after); d != "" {
		run.changed = true
		fail("refused, but changed: %s", d)
	}
	if redirected && clean {
		run.tally.Redirected()
		return true
	}
	run.tally.Call(clean)
	return clean
}

// shortPath cuts a path or answer for an error message.
func shortPath(s string) string { return testkit.Shorten(s, 160) }

// wRoute is one page in the matrix.
type wRoute struct {
	pattern string             // as the route table has it
	class   testkit.RouteClass // who may call it
	path    string             // %s the request id
	form    url.Values
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

var wRoutes = []wRoute{
	{"GET /{$}", testkit.ClassSelf, "/", nil},
	{"GET /login/{$}", testkit.ClassPublic, "/login/", nil},
	{"POST /login/{$}", testkit.ClassPublic, "/login/", nil},
	{"GET /logout/{$}", testkit.ClassSelf, "/logout/", nil},
	{"POST /logout/{$}", testkit.ClassSelf, "/logout/", form()},
	{"POST /switch-user/{$}", testkit.ClassSelf, "/switch-user/", form("username", "c1")},
	{"GET /workspaces/{$}", testkit.ClassSelf, "/workspaces/", nil},
	{"GET /ui-components/{$}", testkit.ClassSelf, "/ui-components/", nil},
	{"GET /docs/{path...}", testkit.ClassPublic, "/docs/", nil},
	{"GET /copiloted-workspaces/{$}", testkit.ClassSelf, "/copiloted-workspaces/", nil},
	{"GET /workspaces/all/{$}", testkit.ClassSelfSome, "/workspaces/all/", nil},
	{"GET /workspaces/view/{ws}/{path...}", testkit.ClassWSView, "/workspaces/view/ws/out/a.csv", nil},
	{"GET /workspaces/tree/{ws}/{path...}", testkit.ClassWSView, "/workspaces/tree/ws/out/", nil},
	{"GET /workspaces/content/{ws}/{path...}", testkit.ClassWSView, "/workspaces/content/ws/out/a.csv", nil},
	{"POST /workspaces/toggle-out-of-date/{ws}", testkit.ClassWSView, "/workspaces/toggle-out-of-date/ws", form()},
	{"POST /workspaces/multiselect/{ws}", testkit.ClassWSAct, "/workspaces/multiselect/ws", form("selected", "out/new.csv", "action", "add_files")},
	{"POST /workspaces/add-file-to-request/{ws}", testkit.ClassWSAct, "/workspaces/add-file-to-request/ws", form("file", "out/new.csv", "new_group", "g")},
	{"POST /workspaces/update-file-in-request/{ws}", testkit.ClassWSAct, "/workspaces/update-file-in-request/ws", form("file", "out/a.csv")},
	{"GET /requests/{$}", testkit.ClassSelf, "/requests/", nil},
	{"GET /requests/view/{id}/{$}", testkit.ClassView, "/requests/view/%s/", nil},
	{"GET /requests/view/{id}/{group}/{path...}", testkit.ClassView, "/requests/view/%s/g/out/a.csv", nil},
	{"GET /requests/content/{id}/{group}/{path...}", testkit.ClassView, "/requests/content/%s/g/out/a.csv", nil},
	{"GET /requests/diff/{id}/{path...}", testkit.ClassView, "/requests/diff/%s/out/a.csv?from=1", nil},
	{"GET /requests/version/{id}/{version}/{path...}", testkit.ClassView, "/requests/version/%s/1/out/a.csv", nil},
	{"GET /requests/workspace/{ws}", testkit.ClassWSView, "/requests/workspace/ws", nil},
	{"GET /requests/{id}/{what}", testkit.ClassView, "/requests/%s/uploaded-files-count", nil},
	{"POST /requests/approve/{id}/{path...}", testkit.ClassReview, "/requests/approve/%s/out/a.csv", form()},
	{"POST /requests/request_changes/{id}/{path...}", testkit.ClassReview, "/requests/request_changes/%s/out/a.csv", form()},
	{"POST /requests/reset_review/{id}/{path...}", testkit.ClassReview, "/requests/reset_review/%s/out/a.csv", form()},
	{"POST /requests/withdraw/{id}/{path...}", testkit.ClassAuthor, "/requests/withdraw/%s/out/b.csv", form()},
	{"POST /requests/override-checks/{id}/{path...}", testkit.ClassAuthor, "/requests/override-checks/%s/out/a.csv", form("justification", "Counts of hospitals.")},
	{"POST /requests/change-properties/{id}", testkit.ClassAuthor, "/requests/change-properties/%s", form("selected", "out/a.csv", "new_filegroup", "other", "filetype", "OUTPUT")},
	{"POST /requests/multiselect/{id}", testkit.ClassAuthor, "/requests/multiselect/%s", form("selected", "out/b.csv", "action", "withdraw_files")},
	{"GET /requests/tree/{id}/{group}/{path...}", testkit.ClassView, "/requests/tree/%s/g/out/", nil},
	{"POST /requests/selection/{id}", testkit.ClassAuthor, "/requests/selection/%s", form("selected", "out/b.csv", "action", "withdraw")},
	{"POST /requests/release/{id}", testkit.ClassRelease, "/requests/release/%s", form()},
	{"POST /requests/submit/{id}", testkit.ClassAuthor, "/requests/submit/%s", form("confirm_rules", "on")},
	{"POST /requests/review/{id}", testkit.ClassReview, "/requests/review/%s", form()},
	{"POST /requests/reject/{id}", testkit.ClassReject, "/requests/reject/%s", form()},
	{"POST /requests/withdraw/{id}", testkit.ClassAuthor, "/requests/withdraw/%s", form()},
	{"POST /requests/return/{id}", testkit.ClassReview, "/requests/return/%s", form()},
	{"POST /requests/edit/{id}/{group}", testkit.ClassAuthor, "/requests/edit/%s/g", form("context", "new", "controls", "new")},
	{"POST /requests/comment/create/{id}/{group}", testkit.ClassComment, "/requests/comment/create/%s/g", form("comment", "hello")},
	{"POST /requests/comment/delete/{id}/{group}", testkit.ClassOwnComment, "/requests/comment/delete/%s/g", form("comment_id", "{cid}")},
	{"POST /requests/comment/visibility_public/{id}/{group}", testkit.ClassOwnComment, "/requests/comment/visibility_public/%s/g", form("comment_id", "{cid}")},
	{"POST /requests/request-changes/{id}/{group}", testkit.ClassReview, "/requests/request-changes/%s/g", form()},
	{"POST /requests/reset-votes/{id}/{group}", testkit.ClassReview, "/requests/reset-votes/%s/g", form()},
	{"GET /requests/output_checker", testkit.ClassSelfSome, "/requests/output_checker", nil},
	{"GET /code/view/{ws}/{commit}/{path...}", testkit.ClassWSView, "/code/view/ws/" + hostileCommit + "/project.yaml", nil},
	{"GET /code/tree/{ws}/{commit}/{path...}", testkit.ClassWSView, "/code/tree/ws/" + hostileCommit + "/analysis/", nil},
	{"GET /code/contents/{ws}/{commit}/{path...}", testkit.ClassWSView, "/code/contents/ws/" + hostileCommit + "/project.yaml", nil},
	{"GET /code/cause/{ws}/{path...}", testkit.ClassWSView, "/code/cause/ws/out/a.csv", nil},
	{"GET /code/request-cause/{id}/{path...}", testkit.ClassView, "/code/request-cause/%s/out/a.csv", nil},
}

// hostileCommit is a well-formed commit for the code browser's rows.
const hostileCommit = "d7518d32724a3afea6f7d66c6c33f1fb944db5c0"

// TestHostileMatrixCoversEveryPage: a page added to the route table
// without a row in the hostile matrix fails here.
func TestHostileMatrixCoversEveryPage(t *testing.T) {
	var rows, pages []string
	for _, r := range wRoutes {
		rows = append(rows, r.pattern)
	}
	for _, rt := range newHarness(t).pages.routes() {
		pages = append(pages, rt.pattern)
	}
	testkit.MatrixCovers(t, rows, pages)
}

// TestHostileWeb runs every category against the pages.
func TestHostileWeb(t *testing.T) {
	census := testkit.NewCensus(t)
	t.Run("matrix", func(t *testing.T) { hostileWebMatrix(t, census) })
	t.Run("traversal", func(t *testing.T) { hostileWebTraversal(t, census) })
	t.Run("utf8", func(t *testing.T) { hostileWebUTF8(t, census) })
	t.Run("malformed", func(t *testing.T) { hostileWebMalformed(t, census) })
}

// wFixture is a harness with the matrix's requests in one status, and a
// logged-in client per caller.
type wFixture struct {
	h       *harness
	clients map[testkit.Caller]*hostileClient
	*testkit.MatrixRequests
}

func newWFixture(t *testing.T, st domain.Status, code *gitrepotest.Study) *wFixture {
	t.Helper()
	h := newHarness(t, withUsers(testkit.NewReadOnlyRolesUser()), withService(func(e *testkit.Env) *service.Service {
		return service.New(service.Config{
			Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
			Code: gitrepo.New(gitrepo.Config{Dir: code.RepoDir}),
		})
	}))
	f := &wFixture{h: h, clients: map[testkit.Caller]*hostileClient{}, MatrixRequests: testkit.NewMatrixRequests(h.Env, st)}
	srv := h.server()
	for _, c := range testkit.HostileCallers {
		f.clients[c] = newHostileClient(t, h, srv, c)
	}
	return f
}

// hostileWebMatrix makes every page's call as every kind of caller on a
// request in every status: what the oracle refuses must be refused and
// change nothing; pages the oracle allows must show (below 400).
func hostileWebMatrix(t *testing.T, census *testkit.Census) {
	tally := census.Category("authorisation matrix (pages)")
	reads := 0
	// The code browser's rows read this study's first commit.
	code := gitrepotest.New(t, "study")
	if code.Commit1 != hostileCommit {
		t.Fatalf("the study's first commit is %s: make it hostileCommit", code.Commit1)
	}
	for _, st := range testkit.MatrixStatuses {
		f := newWFixture(t, st, code)
		run := &hostileRun{t: t, h: f.h, tally: tally, copies: f.h.Files.Copies}
		for _, rt := range wRoutes {
			if rt.class == testkit.ClassPublic {
				continue
			}
			if (rt.class <= testkit.ClassWSAct) && st != domain.StatusPending {
				continue // not about a request: once is enough
			}
			method := strings.Fields(rt.pattern)[0]
			for _, caller := range testkit.HostileCallers {
				r := f.For(caller)
				path := strings.Replace(rt.path, "%s", r.ID, 1)
				var fm url.Values
				if rt.form != nil {
					fm = url.Values{}
					for k, vs := range rt.form {
						for _, v := range vs {
							fm.Add(k, strings.Replace(v, "{cid}", fmt.Sprint(f.CID[r.ID]), 1))
						}
					}
				}
				what := fmt.Sprintf("%s on a %s request", caller, st)
				if testkit.MayBeAllowed(rt.class, caller, st, f.CommentAuthor[r.ID]) {
					if method == "GET" && rt.pattern != "GET /logout/{$}" {
						reads++
						a, err := f.clients[caller].send(method, path, nil, "")
						if err != nil || a.StatusCode >= 500 || (a.StatusCode >= 400 && rt.class != testkit.ClassSelfSome) {
							code := 0
							if a.Response != nil {
								code = a.StatusCode
							}
							t.Errorf("%s: %s %s: %d %v, want the page", what, method, path, code, err)
						}
					}
					continue
				}
				run.changed = false
				if !run.refused(f.clients[caller], what, method, path, fm, "") && run.changed {
					// Start afresh, so one hole does not hide the next.
					f = newWFixture(t, st, code)
					run.h, run.copies = f.h, f.h.Files.Copies
				}
			}
		}
	}
	t.Logf("matrix: %d allowed pages shown too", reads)
}

// wDiskHarness serves the pages over a hostile workspace on disk and a
// request store on disk (see testkit.NewHostileDisk).
func wDiskHarness(t *testing.T) (*harness, *testkit.HostileDisk) {
	t.Helper()
	var d *testkit.HostileDisk
	h := newHarness(t, withUsers(testkit.NewReadOnlyRolesUser()), withService(func(e *testkit.Env) *service.Service {
		d = testkit.NewHostileDisk(e)
		return e.Svc
	}))
	return h, d
}

// hostileWebTraversal sends traversal payloads into every path a page
// takes, and asks for the symbolic links and the FIFO of a hostile
// workspace: all refused, promptly, never the secret.
func hostileWebTraversal(t *testing.T, census *testkit.Census) {
	tally := census.Category("traversal and symlinks (pages)")
	h, hw := wDiskHarness(t)
	pending, submitted := hw.Pending, hw.Submitted
	run := &hostileRun{t: t, h: h, tally: tally, copies: hw.Copies}
	srv := h.server()
	author, c3 := newHostileClient(t, h, srv, testkit.CallerAuthor), newHostileClient(t, h, srv, testkit.CallerChecker)
	copilot := newHostileClient(t, h, srv, testkit.CallerCopilot)
	var segs []string
	for _, s := range testkit.TraversalSegments() {
		segs = append(segs, s)
	}
	segs = append(segs, hw.Links...)
	slices.Sort(segs)
	pid, sid := pending.ID, submitted.ID

	for _, p := range segs {
		for _, c := range []*hostileClient{author, copilot} {
			for _, page := range []string{"/workspaces/view/ws/", "/workspaces/content/ws/", "/workspaces/tree/ws/"} {
				run.refused(c, "views "+p, "GET", page+p, nil, "")
			}
		}
		for _, page := range []string{"/requests/view/" + sid + "/g/", "/requests/content/" + sid + "/g/"} {
			run.refused(c3, "c3 views "+p, "GET", page+p, nil, "")
		}
		for _, verb := range []string{"approve", "request_changes", "reset_review"} {
			run.refused(c3, "c3 "+verb+" "+p, "POST", "/requests/"+verb+"/"+sid+"/"+p, form(), "")
		}
		run.refused(author, "author withdraws "+p, "POST", "/requests/withdraw/"+pid+"/"+p, form(), "")
		run.refused(author, "author overrides "+p, "POST", "/requests/override-checks/"+pid+"/"+p, form("justification", "because"), "")
		run.refused(author, "author names workspace "+p, "GET", "/workspaces/view/"+p+"/", nil, "")
	}
	bodyPaths := append(slices.Clone(testkit.TraversalPaths), hw.Links...)
	for _, p := range bodyPaths {
		run.refused(author, "author adds "+p, "POST", "/workspaces/add-file-to-request/ws", form("file", p, "new_group", "g"), "")
		run.refused(author, "author updates "+p, "POST", "/workspaces/update-file-in-request/ws", form("file", p), "")
		run.refused(author, "author multiselects "+p, "POST", "/workspaces/multiselect/ws", form("selected", p, "action", "add_files"), "")
		run.refused(author, "author withdraws (multiselect) "+p, "POST", "/requests/multiselect/"+pid, form("selected", p, "action", "withdraw_files"), "")
		run.refused(author, "author moves "+p, "POST", "/requests/change-properties/"+pid, form("selected", p, "new_filegroup", "other", "filetype", "OUTPUT"), "")
		run.refused(author, "author comments on "+p, "POST", "/requests/comment/create/"+pid+"/g", form("comment", "see", "file_relpath", p), "")
	}
	for _, p := range []string{"/workspaces/view/ws/output/", "/workspaces/tree/ws/output/", "/workspaces/view/ws/"} {
		a, err := author.send("GET", p, nil, "")
		if err != nil || a.StatusCode != http.StatusOK || strings.Contains(a.body, "SECRET-7f3a9c") {
			t.Errorf("listing %s: %v %v", p, err, a.Response != nil && a.StatusCode == http.StatusOK)
		}
	}
	// The FIFO last, once per kind of call, each only while nothing hung
	// (today a blocked reader holds up every later call): a hang costs
	// the call's timeout.
	for _, c := range []struct {
		what, method, path string
		form               url.Values
	}{
		{"author views the FIFO", "GET", "/workspaces/view/ws/" + hw.FIFO, nil},
		{"author reads the FIFO", "GET", "/workspaces/content/ws/" + hw.FIFO, nil},
		{"author lists the FIFO's folder", "GET", "/workspaces/tree/ws/output/", nil},
		{"author adds the FIFO", "POST", "/workspaces/add-file-to-request/ws", form("file", hw.FIFO, "new_group", "g")},
	} {
		if c.method == "GET" && strings.HasSuffix(c.path, "/") {
			a, err := author.send(c.method, c.path, nil, "")
			tally.Call(err == nil && a.StatusCode == http.StatusOK)
			if err != nil || a.StatusCode != http.StatusOK {
				t.Errorf("%s: %v", c.what, err)
				break
			}
			continue
		}
		if !run.refused(author, c.what, c.method, c.path, c.form, "") {
			break
		}
	}
	hw.Release()
	testkit.VerifyAudit(t, h.Store)
}

// hostileWebUTF8 sends invalid UTF-8 and NUL into every form field and
// path and query parameter: each refused (a page shows its usual error
// message with a 4xx, or goes back with it), nothing stored, and the
// audit chain intact after.
func hostileWebUTF8(t *testing.T, census *testkit.Census) {
	tally := census.Category("invalid UTF-8 (pages)")
	h := newHarness(t, withUsers(testkit.NewReadOnlyRolesUser()))
	pending, submitted := h.HostileRequests()
	srv := h.server()
	run := &hostileRun{t: t, h: h, tally: tally, copies: h.Files.Copies}
	author, c3, anon := newHostileClient(t, h, srv, testkit.CallerAuthor), newHostileClient(t, h, srv, testkit.CallerChecker), newHostileClient(t, h, srv, testkit.CallerAnonymous)
	support := newHostileClient(t, h, srv, testkit.CallerReadOnly)
	pid, sid := pending.ID, submitted.ID
	type fieldCall struct {
		what string
		c    *hostileClient
		path string
		form func(string) url.Values
	}
	calls := []fieldCall{
		{"login user", anon, "/login/", func(s string) url.Values { return form("user", s, "token", "login-author") }},
		{"login token", anon, "/login/", func(s string) url.Values { return form("user", "colleague", "token", s) }},
		{"login next", anon, "/login/", func(s string) url.Values { return form("user", "c1", "token", "wrong", "next", "/workspaces/"+s) }},
		{"comment (author)", author, "/requests/comment/create/" + pid + "/g", func(s string) url.Values { return form("comment", s) }},
		{"comment (checker)", c3, "/requests/comment/create/" + sid + "/g", func(s string) url.Values { return form("comment", s, "visibility", "PRIVATE") }},
		{"comment visibility", c3, "/requests/comment/create/" + sid + "/g", func(s string) url.Values { return form("comment", "ok", "visibility", s) }},
		{"comment file", author, "/requests/comment/create/" + pid + "/g", func(s string) url.Values { return form("comment", "ok", "file_relpath", s) }},
		{"group context", author, "/requests/edit/" + pid + "/g", func(s string) url.Values { return form("context", s, "controls", "ok") }},
		{"group controls", author, "/requests/edit/" + pid + "/g", func(s string) url.Values { return form("context", "ok", "controls", s) }},
		{"justification", author, "/requests/override-checks/" + pid + "/out/a.csv", func(s string) url.Values { return form("justification", s) }},
		{"new group (add)", author, "/workspaces/add-file-to-request/ws", func(s string) url.Values { return form("file", "out/new.csv", "new_group", s) }},
		{"group (add)", author, "/workspaces/add-file-to-request/ws", func(s string) url.Values { return form("file", "out/new.csv", "group", s) }},
		{"added path", author, "/workspaces/add-file-to-request/ws", func(s string) url.Values { return form("file", s, "new_group", "g") }},
		{"file type (add)", author, "/workspaces/add-file-to-request/ws", func(s string) url.Values {
			return form("file", "out/new.csv", "new_group", "g", "filetype_0", s)
		}},
		{"updated path", author, "/workspaces/update-file-in-request/ws", func(s string) url.Values { return form("file", s) }},
		{"selected (ws)", author, "/workspaces/multiselect/ws", func(s string) url.Values { return form("selected", s, "action", "add_files") }},
		{"action (ws)", author, "/workspaces/multiselect/ws", func(s string) url.Values { return form("selected", "out/new.csv", "action", s) }},
		{"next url", author, "/workspaces/toggle-out-of-date/ws", func(s string) url.Values { return form("next_url", "/workspaces/view/ws/"+s) }},
		{"selected (withdraw)", author, "/requests/multiselect/" + pid, func(s string) url.Values { return form("selected", s, "action", "withdraw_files") }},
		{"action (request)", author, "/requests/multiselect/" + pid, func(s string) url.Values { return form("selected", "out/b.csv", "action", s) }},
		{"new file group", author, "/requests/change-properties/" + pid, func(s string) url.Values {
			return form("selected", "out/a.csv", "new_filegroup", s, "filetype", "OUTPUT")
		}},
		{"file group", author, "/requests/change-properties/" + pid, func(s string) url.Values {
			return form("selected", "out/a.csv", "filegroup", s, "filetype", "OUTPUT")
		}},
		{"file type (move)", author, "/requests/change-properties/" + pid, func(s string) url.Values {
			return form("selected", "out/a.csv", "new_filegroup", "other", "filetype", s)
		}},
		{"comment id", c3, "/requests/comment/delete/" + sid + "/g", func(s string) url.Values { return form("comment_id", s) }},
		{"switch user", author, "/switch-user/", func(s string) url.Values { return form("username", s) }},
	}
	for _, c := range calls {
		for name, s := range testkit.BadText {
			run.refused(c.c, c.what+" with "+name, "POST", c.path, c.form(s), "")
		}
	}
	urlCalls := []struct {
		c            *hostileClient
		method, path string
	}{
		{author, "GET", "/workspaces/view/ws/out/%s.csv"},
		{author, "GET", "/workspaces/content/ws/out/%s.csv"},
		{author, "GET", "/workspaces/tree/ws/%s/"},
		{author, "GET", "/workspaces/view/%s/"},
		{author, "GET", "/requests/workspace/%s"},
		{author, "GET", "/requests/view/" + pid + "/%s/"},
		{author, "GET", "/requests/view/" + pid + "/g/out/%s.csv"},
		{c3, "GET", "/requests/content/" + sid + "/g/out/%s.csv"},
		{author, "GET", "/requests/view/%s/"},
		{c3, "POST", "/requests/approve/" + sid + "/out/%s.csv"},
		{author, "POST", "/requests/withdraw/" + pid + "/out/%s.csv"},
		{author, "POST", "/requests/edit/" + pid + "/%s"},
		{author, "POST", "/requests/comment/create/" + pid + "/%s"},
		{c3, "POST", "/requests/request-changes/" + sid + "/%s"},
		{author, "GET", "/requests/view/" + pid + "/?q=%s"},
		{author, "GET", "/requests/workspace/ws?status=%s"},
		{author, "GET", "/requests/view/" + pid + "/?page=%s"},
		{support, "GET", "/workspaces/all/?q=%s"},
		{anon, "GET", "/login/?next=%s"},
		{author, "GET", "/docs/%s"},
	}
	for _, c := range urlCalls {
		for name, s := range testkit.BadText {
			var fm url.Values
			if c.method == "POST" {
				fm = form("comment", "ok", "context", "c", "controls", "c")
			}
			path := strings.Replace(c.path, "%s", testkit.EscapeAll(s), 1)
			run.refused(c.c, "URL with "+name, c.method, path, fm, "")
		}
	}
	testkit.VerifyAudit(t, h.Store)
}

// hostileWebMalformed posts malformed forms to every form, and duplicate
// paths to the forms that take several: each refused, nothing changed,
// no duplicate audit events.
func hostileWebMalformed(t *testing.T, census *testkit.Census) {
	tally := census.Category("malformed forms (pages)")
	h := newHarness(t, withUsers(testkit.NewReadOnlyRolesUser()))
	pending, submitted := h.HostileRequests()
	h.Files.Write(testkit.Workspace, "out/b.csv", "x,y\n8,8\n")
	srv := h.server()
	run := &hostileRun{t: t, h: h, tally: tally, copies: h.Files.Copies}
	author, c3 := newHostileClient(t, h, srv, testkit.CallerAuthor), newHostileClient(t, h, srv, testkit.CallerChecker)
	pid, sid := pending.ID, submitted.ID
	bodies := map[string]string{
		"bad escape":         "comment=%zz&context=%&controls=%g1&file=%",
		"huge":               "comment=" + strings.Repeat("x", 1<<20+10),
		"many fields":        strings.Repeat("selected=out%2Fa.csv&", 200000),
		"semicolons":         "comment=a;context=b;file=out/new.csv",
		"only separators":    strings.Repeat("&", 5000),
		"deep brackets":      strings.Repeat("[", 100000) + "=1",
		"binary":             "\x00\xff\xfe\x01",
		"JSON instead":       `{"comment": "hello", "file": "out/new.csv"}`,
		"unknown action":     "action=explode&selected=out%2Fa.csv",
		"comment id as text": "comment_id=one",
	}
	posts := []struct {
		c    *hostileClient
		path string
	}{
		{author, "/workspaces/add-file-to-request/ws"},
		{author, "/workspaces/update-file-in-request/ws"},
		{author, "/workspaces/multiselect/ws"},
		{author, "/requests/multiselect/" + pid},
		{author, "/requests/change-properties/" + pid},
		{author, "/requests/edit/" + pid + "/g"},
		{author, "/requests/comment/create/" + pid + "/g"},
		{author, "/requests/override-checks/" + pid + "/out/a.csv"},
		{c3, "/requests/comment/create/" + sid + "/g"},
		{c3, "/requests/comment/delete/" + sid + "/g"},
		{c3, "/requests/comment/visibility_public/" + sid + "/g"},
	}
	for _, p := range posts {
		for name, b := range bodies {
			run.refused(p.c, name, "POST", p.path, nil, b)
		}
	}
	// Duplicate paths: refused naming the path, nothing written twice.
	dups := []struct {
		what, path string
		form       url.Values
	}{
		{"update a twice", "/workspaces/update-file-in-request/ws", form("file", "out/a.csv", "file", "out/a.csv")},
		{"update a and a/", "/workspaces/update-file-in-request/ws", form("file", "out/a.csv", "file", "out/a.csv/")},
		{"add new twice", "/workspaces/add-file-to-request/ws", form("file", "out/new.csv", "file", "out/new.csv", "new_group", "g")},
		{"add new and new/", "/workspaces/add-file-to-request/ws", form("file", "out/new.csv", "file", "out/new.csv/", "new_group", "g")},
		{"move a twice", "/requests/change-properties/" + pid, form("selected", "out/a.csv", "selected", "out/a.csv", "new_filegroup", "other", "filetype", "OUTPUT")},
		{"withdraw a twice", "/requests/multiselect/" + pid, form("selected", "out/a.csv", "selected", "out/a.csv", "action", "withdraw_files")},
		{"withdraw a and a/", "/requests/multiselect/" + pid, form("selected", "out/a.csv", "selected", "out/a.csv/", "action", "withdraw_files")},
	}
	for _, d := range dups {
		run.refused(author, d.what, "POST", d.path, d.form, "")
	}
	testkit.VerifyAudit(t, h.Store)
}
