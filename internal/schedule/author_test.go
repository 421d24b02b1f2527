package schedule_test

import (
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/schedule"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// A regular request whose author never logged in (airlock has no record
// of them) fetches the author from job-server, as their login would; when
// job-server fails, the entry fails with a clear logged error, nothing is
// made, and the next run tries again.
func TestRegularAuthorFetchedFromJobServer(t *testing.T) {
	f := newFixture(t)
	js := jobservertest.New(t, "api-token")
	log := slog.New(slog.NewTextHandler(f.Logs, nil))
	logins := auth.NewLogin(auth.NewJobServer(js.URL(), "api-token", nil), f.Svc, auth.LoginOptions{Logger: log, Now: f.Clock.Now})
	c := schedule.NewCreator(f.Svc, workspace.NewReader(filepath.Dir(f.W.Dir)), logins, log)

	newcomer := testkit.NewUser("newcomer", testkit.Researcher, testkit.Workspace)
	js.AddUser("newcomer", "", "", testkit.UserJSON(newcomer))
	if _, err := f.Svc.User(f.Ctx, "newcomer"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("newcomer is known before the run: %v", err)
	}
	spec := tables()
	spec.Username = "newcomer"

	// job-server fails: a clear error naming the user and the cause.
	js.FailNextOn(jobservertest.RouteAuthorise, http.StatusInternalServerError, 1)
	_, err := c.Create(f.Ctx, spec)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "user newcomer is not known to airlock (they never logged in) and could not be fetched from job-server") ||
		!strings.Contains(err.Error(), "answered 500") || !strings.Contains(err.Error(), "the next run tries again") {
		t.Fatalf("job-server failing: %v", err)
	}
	if n := f.allEvents(); n != 0 {
		t.Fatalf("something was recorded without its author: %d audit events", n)
	}

	// job-server down: the same, and the run goes on to log it.
	js.Down()
	outcomes := c.RunRegular(f.Ctx, writeFile(t, `[{"username": "newcomer", "workspace_name": "ws", "dirs": ["output/tables"]}]`))
	if len(outcomes) != 1 || !errors.Is(outcomes[0].Err, domain.ErrUnavailable) {
		t.Fatalf("job-server down: %+v", outcomes)
	}
	if logs := f.Logs.String(); !strings.Contains(logs, "failed to create release request") || !strings.Contains(logs, "could not be fetched from job-server") {
		t.Errorf("the failure is not logged clearly:\n%s", logs)
	}
	js.Up()

	// The next run fetches them (POST /releases/authorise) and makes the request.
	res, err := c.Create(f.Ctx, spec)
	if err != nil || res.RequestID == "" {
		t.Fatalf("with job-server back: %+v, %v", res, err)
	}
	var authorised int
	for _, call := range js.Calls() {
		if call.Route == jobservertest.RouteAuthorise && strings.Contains(string(call.Body), `"newcomer"`) {
			authorised++
		}
	}
	if authorised < 2 {
		t.Errorf("job-server's authorise was called %d times", authorised)
	}
	r := f.Get(res.RequestID)
	if r.Author != "newcomer" {
		t.Errorf("request author %q", r.Author)
	}
	if u, err := f.Svc.User(f.Ctx, "newcomer"); err != nil || !u.HasRole(testkit.Workspace) {
		t.Errorf("the fetched user is not kept: %+v, %v", u, err)
	}

	// Someone job-server does not know either.
	spec.Username = "nobody"
	if _, err := c.Create(f.Ctx, spec); !errors.Is(err, domain.ErrNotFound) || err.Error() != "user nobody is not known to airlock: they never logged in, and job-server does not know them either" {
		t.Errorf("unknown to job-server: %v", err)
	}
}
