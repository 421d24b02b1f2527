package testkit

import (
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// Census counts the hostile calls of a test by category, and logs one
// line per category and a total when the test ends, so that a run with
// -v gives the numbers to quote.
type Census struct {
	t    testing.TB
	mu   sync.Mutex
	cats []*Tally
}

// NewCensus starts counting for t; the summary is logged when t ends.
func NewCensus(t testing.TB) *Census {
	c := &Census{t: t}
	t.Cleanup(c.report)
	return c
}

// Category returns the tally of a category, made on first use.
func (c *Census) Category(name string) *Tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.cats {
		if t.name == name {
			return t
		}
	}
	t := &Tally{name: name}
	c.cats = append(c.cats, t)
	return t
}

func (c *Census) report() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var calls, bad int
	for _, t := range c.cats {
		c.t.Logf("hostile: %s", t)
		n, b := t.counts()
		calls, bad = calls+n, bad+b
	}
	c.t.Logf("hostile: total %d calls in %d categories, %s", calls, len(c.cats), outcome(bad))
}

// Tally counts the hostile calls of one category and those that were not
// refused cleanly (a 4xx that changed nothing).
type Tally struct {
	name       string
	mu         sync.Mutex
	n          int
	bad        int
	redirected int
}

// Call counts one hostile call; clean says whether it was refused with a
// 4xx and changed nothing.
func (t *Tally) Call(clean bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	if !clean {
		t.bad++
	}
}

// Redirected counts one hostile call that net/http's router answered
// with a redirect to the clean form of its path (for . and .. segments
// and doubled slashes) before any handler ran, and that changed nothing.
func (t *Tally) Redirected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	t.redirected++
}

func (t *Tally) counts() (int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, t.bad
}

func (t *Tally) String() string {
	n, bad := t.counts()
	s := fmt.Sprintf("%s %d calls, %s", t.name, n, outcome(bad))
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.redirected > 0 {
		s += fmt.Sprintf(" (%d of them answered by the router with a redirect to the clean path, before any handler)", t.redirected)
	}
	return s
}

func outcome(bad int) string {
	if bad == 0 {
		return "all 4xx, nothing changed"
	}
	return fmt.Sprintf("%d NOT refused cleanly (see the errors above)", bad)
}

// State is what a refused call must leave as it was: every request's
// version and status, the head of the audit log, and the stored copies
// of request files.
type State struct {
	Requests map[string]string // id → "status v<version>"
	HeadID   int64
	HeadHash string
	Copies   int
}

// Diff describes how two states differ, or is empty.
func (s State) Diff(after State) string {
	var out []string
	if s.HeadID != after.HeadID || s.HeadHash != after.HeadHash {
		out = append(out, fmt.Sprintf("audit head %d → %d", s.HeadID, after.HeadID))
	}
	if s.Copies != after.Copies {
		out = append(out, fmt.Sprintf("stored copies %d → %d", s.Copies, after.Copies))
	}
	for id, v := range after.Requests {
		if s.Requests[id] != v {
			out = append(out, fmt.Sprintf("request %s %q → %q", id, s.Requests[id], v))
		}
	}
	for id := range s.Requests {
		if _, ok := after.Requests[id]; !ok {
			out = append(out, fmt.Sprintf("request %s gone", id))
		}
	}
	return strings.Join(out, "; ")
}

// StateOf reads the state of st; copies counts the stored request-file
// copies (see Files.Copies and CopiesIn).
func StateOf(t testing.TB, st store.Store, copies func() int) State {
	t.Helper()
	ctx := t.Context()
	rs, err := st.ListRequests(ctx, store.RequestFilter{})
	if err != nil {
		t.Fatalf("list requests: %v", err)
	}
	s := State{Requests: map[string]string{}, Copies: copies()}
	for _, r := range rs {
		s.Requests[r.ID] = fmt.Sprintf("%s v%d", r.Status, r.Version)
	}
	if s.HeadID, s.HeadHash, err = st.AuditHead(ctx); err != nil {
		t.Fatalf("audit head: %v", err)
	}
	return s
}

// VerifyAudit checks the whole audit log's hash chain, as `airlock audit
// verify` does, and that no two events are the same event written twice.
func VerifyAudit(t testing.TB, st store.Store) int {
	t.Helper()
	var events []domain.Event
	if err := st.EachEvent(t.Context(), func(e domain.Event) error {
		events = append(events, e)
		return nil
	}); err != nil {
		t.Fatalf("read the audit log: %v", err)
	}
	if err := domain.VerifyChain(events); err != nil {
		t.Errorf("audit verify after the hostile calls: %v", err)
	}
	return len(events)
}

// Copies counts the request-file copies stored in f.
func (f *Files) Copies() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.blobs)
}

// CopiesIn counts the files under a request store's folder (copies and
// any temporary file left behind).
func CopiesIn(t testing.TB, dir string) func() int {
	return func() int {
		n := 0
		err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				n++
			}
			return nil
		})
		if err != nil {
			t.Errorf("count the request store's files: %v", err)
		}
		return n
	}
}

// BadText is text no field may accept: invalid UTF-8 and NUL, as raw
// bytes (a form encodes them as %ff and so on).
var BadText = map[string]string{
	"ff fe":               "\xff\xfe",
	"ctx ff":              "ctx\xff",
	"lone continuation":   "a\x80b",
	"overlong slash":      "\xc0\xaf",
	"overlong dot":        "\xc0\xae\xc0\xae",
	"surrogate half":      "\xed\xa0\x80",
	"beyond U+10FFFF":     "\xf4\x90\x80\x80",
	"truncated sequence":  "caf\xc3",
	"NUL":                 "\x00",
	"NUL inside":          "counts\x00 of patients",
	"latin-1 e acute":     "caf\xe9",
	"ff after valid text": "Rounded to 5 \xff",
}

// TraversalSegments are path payloads for URL paths, as they would be
// written in a URL (already percent-encoded where they say so); each must
// be refused wherever a workspace or request path is expected.
func TraversalSegments() map[string]string {
	return map[string]string{
		"dot dot":                 "..",
		"dot dot twice":           "../../etc/passwd",
		"dot dot inside":          "output/../../../etc/passwd",
		"encoded dot dot":         "%2e%2e/%2e%2e/etc/passwd",
		"encoded slash":           "..%2f..%2fetc%2fpasswd",
		"encoded both":            "%2e%2e%2f%2e%2e%2fsecret.csv",
		"double encoded":          "%252e%252e%252fsecret.csv",
		"absolute":                "/etc/passwd",
		"encoded absolute":        "%2fetc%2fpasswd",
		"backslash":               "..\\..\\secret.csv",
		"encoded backslash":       "..%5c..%5csecret.csv",
		"NUL":                     "output/a.csv%00.png",
		"NUL alone":               "%00",
		"overlong utf-8 dots":     "%c0%ae%c0%ae/%c0%ae%c0%ae/secret.csv",
		"dot segment":             "output/./a.csv",
		"empty segment":           "output//a.csv",
		"highly sensitive":        "output/highly_sensitive/patients.csv",
		"highly sensitive up":     "output/../output/highly_sensitive/patients.csv",
		"metadata up":             "metadata/../output/highly_sensitive/patients.csv",
		"overlong path":           strings.Repeat("a/", 3000) + "x.csv",
		"overlong name":           strings.Repeat("x", 5000) + ".csv",
		"invalid utf-8":           "output/%ff%fe.csv",
		"control character":       "output/a%0a.csv",
		"encoded dot dot in file": "output/%2e%2e",
	}
}

// TraversalPaths are the same payloads as a JSON body or form field
// carries them (decoded).
var TraversalPaths = []string{
	"..", "../../etc/passwd", "output/../../../etc/passwd", "/etc/passwd", "..\\..\\secret.csv",
	"output\\..\\..\\secret.csv", "output/a.csv\x00.png", "\x00", "%2e%2e/%2e%2e/etc/passwd",
	"..%2f..%2fsecret.csv", "output/./a.csv", "output//a.csv", "output/highly_sensitive/patients.csv",
	"output/../output/highly_sensitive/patients.csv", strings.Repeat("a/", 3000) + "x.csv",
	strings.Repeat("x", 5000) + ".csv", "output/\xff\xfe.csv", "output/a\n.csv", "~/secret.csv",
}

// Caller is a kind of caller in the hostile authorisation matrix.
type Caller string

// The kinds of caller; each but CallerAnonymous is played by an Env user
// (see Username).
const (
	CallerAnonymous     Caller = "anonymous"
	CallerAuthor        Caller = "author"
	CallerCollaborator  Caller = "collaborator"
	CallerChecker       Caller = "checker"
	CallerCheckerAuthor Caller = "checker-author"
	CallerCopilot       Caller = "copilot"
	CallerReadOnly      Caller = "read-only"
	// CallerReadOnlyRoles is a read-only user (technical support) who
	// also holds a role on the workspace and is an output checker:
	// read-only wins, so they may look at everything and do nothing.
	// Username "rosupport", made by NewReadOnlyRolesUser.
	CallerReadOnlyRoles Caller = "read-only-with-roles"
	CallerOutsider      Caller = "outsider"
)

// HostileCallers are every kind of caller, in the matrix's order.
var HostileCallers = []Caller{
	CallerAnonymous, CallerAuthor, CallerCollaborator, CallerChecker, CallerCheckerAuthor,
	CallerCopilot, CallerReadOnly, CallerReadOnlyRoles, CallerOutsider,
}

// Username is the user playing the caller ("" for CallerAnonymous).
func (c Caller) Username() string {
	return map[Caller]string{
		CallerAuthor: "author", CallerCollaborator: "colleague", CallerChecker: "c3", CallerCheckerAuthor: "checkerauthor",
		CallerCopilot: "copilot", CallerReadOnly: "support", CallerReadOnlyRoles: "rosupport", CallerOutsider: "outsider",
	}[c]
}

// NewReadOnlyRolesUser is the user playing CallerReadOnlyRoles, who is
// not in an Env's cast: read-only, yet with a role on Workspace and an
// output checker.
func NewReadOnlyRolesUser() domain.User {
	u := NewUser("rosupport", CheckerResearcher, Workspace)
	u.ReadonlyAccess = true
	return u
}

// RouteClass says who may call a route: the hostile matrix's oracle. A
// call is either refused (every hostile call, which a test makes) or
// possibly allowed (which a test makes only when it reads, since the
// fixtures are reused). The classes up to ClassWSAct are not about a
// request.
type RouteClass int

const (
	ClassPublic     RouteClass = iota // no login needed
	ClassSelf                         // any logged-in user
	ClassSelfSome                     // some logged-in users (a page of its own rules): only anonymous callers are asserted
	ClassWSView                       // viewers of the workspace
	ClassWSAct                        // researchers with a role on the workspace, not read-only
	ClassView                         // viewers of the request's workspace
	ClassContent                      // reviewers (output checkers, not the author)
	ClassAuthor                       // the author while the request is theirs
	ClassComment                      // CheckComment
	ClassOwnComment                   // the comment's author only
	ClassReview                       // reviewers while under review
	ClassReturn                       // reviewers while under review
	ClassReject                       // reviewers on a REVIEWED request
	ClassRelease                      // reviewers on a REVIEWED or APPROVED request
)

// MayBeAllowed is the oracle: false when the caller must be refused
// whatever else holds; commentAuthor is the username of who wrote the
// comment a ClassOwnComment route targets.
func MayBeAllowed(cls RouteClass, caller Caller, st domain.Status, commentAuthor string) bool {
	if caller == CallerAnonymous {
		return cls == ClassPublic
	}
	viewer := caller != CallerOutsider
	isAuthor := caller == CallerAuthor || caller == CallerCheckerAuthor // each acts on their own request
	reviewer := caller == CallerChecker                                 // rosupport is read-only; checkerAuthor wrote it
	researcher := caller == CallerAuthor || caller == CallerCollaborator || caller == CallerCheckerAuthor
	switch cls {
	case ClassPublic, ClassSelf, ClassSelfSome:
		return true
	case ClassWSView, ClassView:
		return viewer
	case ClassWSAct:
		return researcher
	case ClassContent:
		return reviewer // read-only access takes the output checker role away: no downloads
	case ClassAuthor:
		return isAuthor && st.IsEditing()
	case ClassComment:
		return (researcher && st.IsEditing()) || (reviewer && st.IsUnderReview())
	case ClassOwnComment:
		return caller.Username() == commentAuthor
	case ClassReview, ClassReturn:
		return reviewer && st.IsUnderReview()
	case ClassReject:
		return reviewer && st == domain.StatusReviewed
	case ClassRelease:
		return reviewer && (st == domain.StatusReviewed || st == domain.StatusApproved)
	}
	return false
}

// MatrixStatuses are the statuses the matrix puts its requests in.
var MatrixStatuses = []domain.Status{
	domain.StatusPending, domain.StatusSubmitted, domain.StatusPartiallyReviewed, domain.StatusReviewed,
	domain.StatusReturned, domain.StatusApproved, domain.StatusReleased, domain.StatusRejected, domain.StatusWithdrawn,
}

// MatrixRequests are the requests of the matrix in one status: one by
// the author and one by the checker-author, each group "g" with
// out/a.csv and out/b.csv; under review, C3 has voted and written a
// private comment. The workspace also holds out/new.csv, to be added.
type MatrixRequests struct {
	ByUser        map[string]*domain.Request // author's username → request
	CID           map[string]int64           // request id → a comment to target
	CommentAuthor map[string]string          // request id → that comment's author
}

// NewMatrixRequests builds the matrix's requests in status st on e.
func NewMatrixRequests(e *Env, st domain.Status) *MatrixRequests {
	e.T.Helper()
	m := &MatrixRequests{ByUser: map[string]*domain.Request{}, CID: map[string]int64{}, CommentAuthor: map[string]string{}}
	for _, a := range []domain.User{e.Author, e.CheckerAuthor} {
		r := e.RequestIn(a, st)
		if st.IsUnderReview() {
			e.VoteAll(r.ID, e.C3, domain.VoteApproved)
			c, err := e.Svc.CreateComment(e.Ctx, e.C3, r.ID, "g", "checker's note", domain.VisibilityPrivate)
			e.OK(err)
			m.CID[r.ID], m.CommentAuthor[r.ID] = c.ID, e.C3.Username
		} else if r = e.Get(r.ID); len(r.Comments) > 0 {
			m.CID[r.ID], m.CommentAuthor[r.ID] = r.Comments[0].ID, r.Comments[0].Author
		} else {
			m.CID[r.ID] = 999999
		}
		m.ByUser[a.Username] = e.Get(r.ID)
	}
	e.Files.Write(Workspace, "out/new.csv", "n\n1\n")
	return m
}

// For is the request a caller acts on: the checker-author their own,
// everyone else the author's.
func (m *MatrixRequests) For(caller Caller) *domain.Request {
	if caller == CallerCheckerAuthor {
		return m.ByUser["checkerauthor"]
	}
	return m.ByUser["author"]
}

// HostileRequests makes a PENDING request by the author and a SUBMITTED
// one by the checker-author (see RequestIn), and writes out/new.csv (to
// be added) and a changed out/a.csv (to be updated) into Workspace: the
// requests the text and body categories send their calls to.
func (e *Env) HostileRequests() (pending, submitted *domain.Request) {
	e.T.Helper()
	pending = e.RequestIn(e.Author, domain.StatusPending)
	submitted = e.RequestIn(e.CheckerAuthor, domain.StatusSubmitted)
	e.Files.Write(Workspace, "out/new.csv", "n\n1\n")
	e.Files.Write(Workspace, "out/a.csv", "x,y\n9,9\n")
	return pending, submitted
}

// MatrixCovers fails t for every route served without a row in the
// matrix, and for every row of the matrix that is not a route served:
// so nothing escapes the matrix.
func MatrixCovers(t testing.TB, rows, served []string) {
	t.Helper()
	left := map[string]bool{}
	for _, r := range rows {
		left[r] = true
	}
	for _, k := range served {
		if !left[k] {
			t.Errorf("route %s has no row in the hostile matrix", k)
		}
		delete(left, k)
	}
	for k := range left {
		t.Errorf("the hostile matrix has a row for %s, which is not a route", k)
	}
}

// RouterRedirect reports whether an answer is net/http's router's
// redirect of an unclean path (. or .. segments, doubled slashes) to its
// clean form, which it answers before any handler runs: nothing is read
// or changed.
func RouterRedirect(path string, status int, loc string) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return false
	}
	p, _, _ := strings.Cut(path, "?")
	return loc != "" && (strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") ||
		strings.Contains(p, "//"))
}

// Shorten cuts s to n bytes (marking the cut), for error messages.
func Shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// EscapeAll percent-encodes every byte of s.
func EscapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}
