package testkit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/workspace"
)

// Workspace is the workspace every Env user works in.
const Workspace = "ws"

// Env is a service on a fresh database with a cast of users:
// Author and Colleague have roles on Workspace; C1, C2 and C3 are output
// checkers; CheckerAuthor is an output checker with a role on Workspace;
// Copilot, ReadOnly and Outsider only look (or not).
type Env struct {
	T      testing.TB
	Ctx    context.Context
	Store  store.Store
	Svc    *service.Service
	Files  *Files
	Clock  *Clock
	Notes  *Notifications
	DBPath string // the SQLite database's file, or ""
	DBURL  string // the PostgreSQL database's URL, or ""

	Author, Colleague, C1, C2, C3, CheckerAuthor, Copilot, ReadOnly, Outsider domain.User
	// ReadOnlyChecker has read-only access, and is also an output checker
	// with a role on Workspace: read-only wins.
	ReadOnlyChecker domain.User
}

// NewEnv builds an Env on a fresh database: a PostgreSQL database of its
// own on the server AIRLOCK_TEST_DATABASE_URL names when it is set (see
// pgtest), otherwise SQLite (NewSQLiteEnv). Every suite built on it runs
// on both databases.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	if os.Getenv(pgtest.EnvURL) == "" {
		return NewSQLiteEnv(t)
	}
	// Each test has a database of its own, from a pool of databases
	// migrated once, emptied for it.
	connURL := pgtest.NewDatabaseFrom(t, postgres.MigrationsVersion(), func(u string) error {
		_, err := postgres.Migrate(context.Background(), u)
		return err
	}, pgReset())
	st, err := postgres.Open(context.Background(), connURL)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := NewEnvOn(t, st)
	e.DBURL = connURL
	return e
}

// pgReset empties a pooled PostgreSQL database into the state the
// migrations leave (TestPooledDatabaseIsFresh checks it): every table
// empty but goose's and the audit chain's head, back at its start.
func pgReset() pgtest.Reset {
	return pgtest.Reset{
		Keep:  []string{"goose_db_version", "audit_head"},
		After: "UPDATE audit_head SET last_id = 0, last_hash = ''",
	}
}

// NewSQLiteEnv builds an Env on SQLite whatever the environment, for
// tests of SQLite itself; the database lives in a temporary folder,
// DBPath.
func NewSQLiteEnv(t testing.TB) *Env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "airlock.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := NewEnvOn(t, st)
	e.DBPath = path
	return e
}

// NewEnvOn builds an Env on st, an empty store of any kind (such as a
// PostgreSQL database from pgtest), which the caller closes. DBPath is
// left empty.
func NewEnvOn(t testing.TB, st store.Store) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{
		T: t, Ctx: ctx, Store: st, Files: NewFiles(), Clock: NewClock(), Notes: &Notifications{},
		Author:          NewUser("author", Researcher, Workspace),
		Colleague:       NewUser("colleague", Researcher, Workspace),
		C1:              NewUser("c1", Checker),
		C2:              NewUser("c2", Checker),
		C3:              NewUser("c3", Checker),
		CheckerAuthor:   NewUser("checkerauthor", CheckerResearcher, Workspace),
		Copilot:         NewUser("copilot", Copilot, Workspace),
		ReadOnly:        NewUser("support", ReadOnly),
		Outsider:        NewUser("outsider", Researcher, "elsewhere"),
		ReadOnlyChecker: NewUser("supportchecker", ReadOnlyWithRoles, Workspace),
	}
	e.Svc = service.New(service.Config{
		Store: st, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
	})
	for _, u := range e.Users() {
		if _, err := e.Svc.PutUser(ctx, UserJSON(u)); err != nil {
			t.Fatalf("put user: %v", err)
		}
	}
	return e
}

// UseDisk replaces e's service by one that reads the workspaces under
// wsDir from disk and copies request files into a request store in
// storeDir, made with opts and closed when the test ends; it returns the
// store.
func (e *Env) UseDisk(wsDir, storeDir string, opts ...blobstore.Option) *blobstore.Store {
	e.T.Helper()
	blobs, err := blobstore.New(storeDir, opts...)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { blobs.Close() })
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: workspace.NewReader(wsDir), Blobs: blobs, Notifier: e.Notes, Now: e.Clock.Now,
	})
	return blobs
}

// Users returns the whole cast.
func (e *Env) Users() []domain.User {
	return []domain.User{e.Author, e.Colleague, e.C1, e.C2, e.C3, e.CheckerAuthor, e.Copilot, e.ReadOnly, e.Outsider, e.ReadOnlyChecker}
}

// OK fails the test on err.
func (e *Env) OK(err error) {
	e.T.Helper()
	if err != nil {
		e.T.Fatalf("unexpected error: %v", err)
	}
}

// R fails the test on err and returns r.
func (e *Env) R(r *domain.Request, err error) *domain.Request {
	e.T.Helper()
	e.OK(err)
	return r
}

// Get loads a request as the system sees it.
func (e *Env) Get(id string) *domain.Request {
	e.T.Helper()
	return e.R(e.Svc.GetRequest(e.Ctx, domain.SystemUser(), id))
}

// Pending builds a PENDING request by author with the given output files
// in group "g" (which has context and controls), ready to submit.
func (e *Env) Pending(author domain.User, paths ...string) *domain.Request {
	e.T.Helper()
	if len(paths) == 0 {
		paths = []string{"out/a.csv", "out/b.csv"}
	}
	var files []service.AddFile
	for _, p := range paths {
		e.Files.Write(Workspace, p, "x,y\n1,"+p+","+author.Username+"\n")
		files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	r := e.R(e.Svc.AddFiles(e.Ctx, author, Workspace, "g", files))
	r, _, err := e.Svc.EditGroup(e.Ctx, author, r.ID, "g", "Counts of things", "Rounded to 5, redacted <= 7")
	return e.R(r, err)
}

// Submitted builds a SUBMITTED request by author.
func (e *Env) Submitted(author domain.User) *domain.Request {
	e.T.Helper()
	r := e.Pending(author)
	return e.R(e.Svc.Submit(e.Ctx, author, r.ID))
}

// VoteAll has the checker vote v on every output file.
func (e *Env) VoteAll(id string, checker domain.User, v domain.Vote) {
	e.T.Helper()
	for _, f := range e.Get(id).OutputFiles() {
		e.R(e.Svc.Vote(e.Ctx, checker, id, f.Relpath, v))
	}
}

// Review has the checker vote v on every output file, comment where
// needed, and submit their review.
func (e *Env) Review(id string, checker domain.User, v domain.Vote) *domain.Request {
	e.T.Helper()
	e.VoteAll(id, checker, v)
	for _, g := range e.Get(id).GroupsNeedingReviewerComment(checker.Username) {
		_, err := e.Svc.CreateComment(e.Ctx, checker, id, g, "Please round these counts.", domain.VisibilityPublic)
		e.OK(err)
	}
	return e.R(e.Svc.SubmitReview(e.Ctx, checker, id))
}

// Reviewed builds a REVIEWED request by author, every file voted v by C1
// and C2.
func (e *Env) Reviewed(author domain.User, v domain.Vote) *domain.Request {
	e.T.Helper()
	r := e.Submitted(author)
	e.Review(r.ID, e.C1, v)
	return e.Review(r.ID, e.C2, v)
}

// Returned builds a RETURNED request by author after a full review that
// asked for changes.
func (e *Env) Returned(author domain.User) *domain.Request {
	e.T.Helper()
	r := e.Reviewed(author, domain.VoteChangesRequested)
	return e.R(e.Svc.Return(e.Ctx, e.C1, r.ID))
}

// Approved builds an APPROVED request by author.
func (e *Env) Approved(author domain.User) *domain.Request {
	e.T.Helper()
	r := e.Reviewed(author, domain.VoteApproved)
	return e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
}

// RequestIn builds a request by author in any status, through the
// service as people would.
func (e *Env) RequestIn(author domain.User, st domain.Status) *domain.Request {
	e.T.Helper()
	switch st {
	case domain.StatusPending:
		return e.Pending(author)
	case domain.StatusSubmitted:
		return e.Submitted(author)
	case domain.StatusPartiallyReviewed:
		r := e.Submitted(author)
		return e.Review(r.ID, e.C1, domain.VoteApproved)
	case domain.StatusReviewed:
		return e.Reviewed(author, domain.VoteApproved)
	case domain.StatusReturned:
		return e.Returned(author)
	case domain.StatusApproved:
		return e.Approved(author)
	case domain.StatusRejected:
		r := e.Reviewed(author, domain.VoteChangesRequested)
		return e.R(e.Svc.Reject(e.Ctx, e.C1, r.ID))
	case domain.StatusWithdrawn:
		r := e.Pending(author)
		return e.R(e.Svc.Withdraw(e.Ctx, author, r.ID))
	case domain.StatusReleased:
		r := e.Approved(author)
		for _, f := range r.OutputFiles() {
			e.OK(e.Svc.RecordUpload(e.Ctx, r.ID, f.Relpath))
		}
		return e.R(e.Svc.MarkReleased(e.Ctx, r.ID))
	}
	e.T.Fatalf("no way to build a %s request", st)
	return nil
}

// AuditOf selects the audit events of one type of a request.
func AuditOf(id string, t domain.EventType) service.AuditFilter {
	var exclude []domain.EventType
	for _, other := range domain.EventTypes() {
		if other != t {
			exclude = append(exclude, other)
		}
	}
	return service.AuditFilter{Request: id, ExcludeTypes: exclude}
}
