package schedule_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/schedule"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// auth.Login is what the server hands the daily job.
var _ schedule.UserSource = (*auth.Login)(nil)

// fixture is an Env whose service reads a real workspace on disk and keeps
// real request-file copies, with a Creator on it.
type fixture struct {
	*testkit.Env
	W    *testkit.DiskWorkspace
	C    *schedule.Creator
	Logs *testkit.SyncBuffer
}

// by is the manifest user of an output.
func by(user string) map[string]any { return map[string]any{"user": user} }

// newFixture builds the workspace:
//
//	output/tables/a.csv, b.csv, sub/c.csv, old.csv (out-of-date action),
//	notes.txt; output/figs/f.png; output/bad/model.pkl, ok.csv;
//	metadata/generate.log
func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := testkit.NewEnv(t)
	wsDir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, wsDir, testkit.Workspace)
	w.Output("output/tables/a.csv", "region,n\nNorth,10\n", by("author")).
		Output("output/tables/b.csv", "region,n\nSouth,15\n", by("author")).
		Output("output/tables/sub/c.csv", "region,n\nEast,20\n", by("author")).
		Output("output/tables/old.csv", "region,n\nWest,25\n", map[string]any{"user": "author", "out_of_date_action": true}).
		Output("output/tables/notes.txt", "how the tables were made\n", by("author")).
		Output("output/figs/f.png", "\x89PNG", by("author")).
		Output("output/bad/model.pkl", "binary", by("author")).
		Output("output/bad/ok.csv", "a\n1\n", by("author")).
		WriteFile("metadata/generate.log", "job ran\n").
		Save()
	blobs, err := blobstore.New(filepath.Join(t.TempDir(), "requests"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	reader := workspace.NewReader(wsDir)
	logs := &testkit.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: reader, Blobs: blobs, Notifier: e.Notes, Now: e.Clock.Now, Logger: log,
	})
	logins := auth.NewLogin(auth.NewDevProvider(nil), e.Svc, auth.LoginOptions{Logger: log, Now: e.Clock.Now})
	return &fixture{Env: e, W: w, C: schedule.NewCreator(e.Svc, reader, logins, log), Logs: logs}
}

func (f *fixture) create(spec schedule.Spec) schedule.Result {
	f.T.Helper()
	res, err := f.C.Create(f.Ctx, spec)
	if err != nil {
		f.T.Fatalf("create %+v: %v", spec, err)
	}
	return res
}

func (f *fixture) events(id string, t domain.EventType) []domain.Event {
	f.T.Helper()
	evs, err := f.Svc.AuditLog(f.Ctx, testkit.AuditOf(id, t))
	f.OK(err)
	return evs
}

func (f *fixture) allEvents() int {
	f.T.Helper()
	evs, err := f.Svc.AuditLog(f.Ctx, service.AuditFilter{})
	f.OK(err)
	return len(evs)
}

func (f *fixture) current(u domain.User) *domain.Request {
	f.T.Helper()
	r, err := f.Svc.CurrentRequest(f.Ctx, u, testkit.Workspace)
	f.OK(err)
	return r
}

func tables() schedule.Spec {
	return schedule.Spec{
		Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/tables", "output/figs"},
		SupportingFiles: []string{"output/tables/notes.txt"},
		Context:         "Counts by region", Controls: "Rounded to 5",
	}
}

func TestCreateAddsOutputAndSupportingFiles(t *testing.T) {
	f := newFixture(t)
	res := f.create(tables())
	if !res.Completed || res.RequestID == "" {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Message, "Added 5 output and 1 supporting file(s) in 2 group(s)") {
		t.Errorf("message %q", res.Message)
	}
	r := f.Get(res.RequestID)
	want := []string{
		"output-figs:output/figs/f.png:OUTPUT",
		"output-tables:output/tables/a.csv:OUTPUT",
		"output-tables:output/tables/b.csv:OUTPUT",
		"output-tables:output/tables/notes.txt:SUPPORTING",
		"output-tables:output/tables/old.csv:OUTPUT", // out-of-date action outputs are included
		"output-tables:output/tables/sub/c.csv:OUTPUT",
	}
	if got := testkit.SortedPaths(r); !slices.Equal(got, want) {
		t.Fatalf("files\n got %v\nwant %v", got, want)
	}
	if r.Status != domain.StatusPending || r.Author != "author" {
		t.Errorf("status %s author %s", r.Status, r.Author)
	}
	for _, g := range r.Groups {
		if g.Context != "Counts by region" || g.Controls != "Rounded to 5" {
			t.Errorf("group %s: context %q controls %q", g.Name, g.Context, g.Controls)
		}
	}
	created := f.events(r.ID, domain.EventRequestCreate)
	if len(created) != 1 || created[0].Extra["automated_action"] != "true" {
		t.Errorf("REQUEST_CREATE events %+v", created)
	}
	if n := len(f.events(r.ID, domain.EventRequestFileAdd)); n != 6 {
		t.Errorf("%d file add events, want 6", n)
	}
}

func TestCreateGroupNames(t *testing.T) {
	f := newFixture(t)
	f.W.Output("Results/Q1/Summary.csv", "a\n1\n", by("author")).Save()
	res := f.create(schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"Results/Q1/"}})
	r := f.Get(res.RequestID)
	if got := testkit.SortedPaths(r); !slices.Equal(got, []string{"Results-Q1:Results/Q1/Summary.csv:OUTPUT"}) {
		t.Fatalf("files %v", got)
	}
	// A group of another case is found again, not duplicated.
	f.W.Output("Results/Q1/More.csv", "a\n2\n", by("author")).Save()
	f.create(schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"Results/Q1"}})
	r = f.Get(res.RequestID)
	if len(r.Groups) != 1 || len(r.Files) != 2 {
		t.Errorf("groups %v files %v", r.Groups, testkit.SortedPaths(r))
	}
}

// TestCreateFindsAGroupOfAnotherCase: a request whose group is named
// after the folder in another case (lower-cased, as airlock named groups
// before names kept their case) gets the run's files in that group,
// rather than a refusal for a name differing only in case.
func TestCreateFindsAGroupOfAnotherCase(t *testing.T) {
	f := newFixture(t)
	f.W.Output("Results/Q1/Summary.csv", "a\n1\n", by("author")).Output("Results/Q1/More.csv", "a\n2\n", by("author")).Save()
	r := f.R(f.Svc.AddFiles(f.Ctx, f.Author, testkit.Workspace, "results-q1", []service.AddFile{{Path: "Results/Q1/Summary.csv", FileType: domain.FileOutput}}))
	res := f.create(schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"Results/Q1"}})
	if res.RequestID != r.ID {
		t.Fatalf("the run used request %s, not %s", res.RequestID, r.ID)
	}
	r = f.Get(r.ID)
	if got := testkit.SortedPaths(r); len(r.Groups) != 1 || !slices.Equal(got, []string{
		"results-q1:Results/Q1/More.csv:OUTPUT", "results-q1:Results/Q1/Summary.csv:OUTPUT"}) {
		t.Errorf("groups %v files %v", r.Groups, got)
	}
}

func TestCreateContextAndControlsKeepWhatIsNotGiven(t *testing.T) {
	f := newFixture(t)
	res := f.create(tables())
	spec := tables()
	spec.Context, spec.Controls = "", "Suppressed below 8"
	f.create(spec)
	for _, g := range f.Get(res.RequestID).Groups {
		if g.Context != "Counts by region" || g.Controls != "Suppressed below 8" {
			t.Errorf("group %s: context %q controls %q", g.Name, g.Context, g.Controls)
		}
	}
}

func TestCreateSubmitThenAlreadySubmitted(t *testing.T) {
	f := newFixture(t)
	spec := tables()
	spec.Submit = true
	res := f.create(spec)
	if !res.Completed || !strings.HasSuffix(res.Message, "; submitted") {
		t.Fatalf("result %+v", res)
	}
	r := f.Get(res.RequestID)
	if r.Status != domain.StatusSubmitted {
		t.Fatalf("status %s", r.Status)
	}
	if got := f.Notes.Types(); !slices.Contains(got, "request_submitted") {
		t.Errorf("notifications %v", got)
	}
	before := f.allEvents()
	again := f.create(spec)
	if again != (schedule.Result{Completed: false, RequestID: r.ID, Message: schedule.MsgAlreadySubmitted}) {
		t.Errorf("second run %+v", again)
	}
	if f.allEvents() != before {
		t.Error("a run on a submitted request wrote audit events")
	}
}

func TestCreateSubmitNeedsCompleteGroups(t *testing.T) {
	f := newFixture(t)
	spec := tables()
	spec.Submit, spec.Controls = true, ""
	_, err := f.C.Create(f.Ctx, spec)
	if err == nil || !strings.Contains(err.Error(), "Describe the context and the disclosure controls") {
		t.Fatalf("err %v", err)
	}
}

// release takes the request through review to APPROVED.
func (f *fixture) release(id string) {
	f.T.Helper()
	f.R(f.Svc.Submit(f.Ctx, f.Author, id))
	f.Review(id, f.C1, domain.VoteApproved)
	f.Review(id, f.C2, domain.VoteApproved)
	f.R(f.Svc.Release(f.Ctx, f.C1, id))
}

func TestCreateAlreadyReleased(t *testing.T) {
	f := newFixture(t)
	res := f.create(tables())
	f.release(res.RequestID)
	if f.current(f.Author) != nil {
		t.Fatal("a released request is still current")
	}
	again := f.create(tables())
	if again != (schedule.Result{Completed: false, Message: schedule.MsgAlreadyReleased}) {
		t.Fatalf("after release: %+v", again)
	}
	if f.current(f.Author) != nil {
		t.Error("a run with nothing to release left a request behind")
	}

	// A new output in one folder: only it goes on a new request, with the
	// supporting file of its folder; the fully released folder adds nothing.
	f.W.Output("output/tables/d.csv", "region,n\nMidlands,30\n", by("author")).Save()
	res = f.create(tables())
	if !res.Completed {
		t.Fatalf("result %+v", res)
	}
	want := []string{"output-tables:output/tables/d.csv:OUTPUT", "output-tables:output/tables/notes.txt:SUPPORTING"}
	if got := testkit.SortedPaths(f.Get(res.RequestID)); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestCreateSupportingFilesGoToGroupsWithoutNewOutputs(t *testing.T) {
	f := newFixture(t)
	spec := tables()
	spec.SupportingFiles = nil
	spec.Dirs = []string{"output/figs"}
	res := f.create(spec)
	// Later a supporting file appears in a folder whose outputs are on the
	// request already: it is added all the same (docs/lifecycle.md,
	// decision 11: supporting files go to every group the run fills).
	f.W.Output("output/figs/README.md", "what the figures show\n", by("author")).Save()
	spec.SupportingFiles = []string{"output/figs/README.md"}
	again := f.create(spec)
	if !again.Completed || !strings.Contains(again.Message, "Added 0 output and 1 supporting") {
		t.Errorf("result %+v", again)
	}
	want := []string{"output-figs:output/figs/README.md:SUPPORTING", "output-figs:output/figs/f.png:OUTPUT"}
	if got := testkit.SortedPaths(f.Get(res.RequestID)); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestCreateUnaddableFiles(t *testing.T) {
	t.Run("logged and skipped", func(t *testing.T) {
		f := newFixture(t)
		spec := schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/bad"}}
		res := f.create(spec)
		if !res.Completed || !strings.Contains(res.Message, "1 file(s) cannot be added: output/bad/model.pkl (Files of type .pkl cannot be released") {
			t.Fatalf("result %+v", res)
		}
		if got := testkit.SortedPaths(f.Get(res.RequestID)); !slices.Equal(got, []string{"output-bad:output/bad/ok.csv:OUTPUT"}) {
			t.Errorf("files %v", got)
		}
		if !strings.Contains(f.Logs.String(), "file cannot be added to the request") || !strings.Contains(f.Logs.String(), "output/bad/model.pkl") {
			t.Errorf("not logged:\n%s", f.Logs)
		}
	})
	t.Run("an error when submitting", func(t *testing.T) {
		f := newFixture(t)
		spec := schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/bad"},
			Context: "c", Controls: "k", Submit: true}
		_, err := f.C.Create(f.Ctx, spec)
		if err == nil || !strings.Contains(err.Error(), "output/bad/model.pkl") {
			t.Fatalf("err %v", err)
		}
		if f.current(f.Author) != nil {
			t.Error("a refused run left a request behind")
		}
	})
	t.Run("supporting file outside the folders", func(t *testing.T) {
		f := newFixture(t)
		spec := tables()
		spec.SupportingFiles = []string{"output/bad/ok.csv"}
		res := f.create(spec)
		if !strings.Contains(res.Message, "output/bad/ok.csv (listed as a supporting file, but not a file of the workspace beneath the folders)") {
			t.Errorf("message %q", res.Message)
		}
		spec.Submit = true
		if _, err := f.C.Create(f.Ctx, spec); err == nil || !strings.Contains(err.Error(), "output/bad/ok.csv") {
			t.Errorf("submit: %v", err)
		}
	})
	t.Run("changed since added", func(t *testing.T) {
		f := newFixture(t)
		spec := schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/figs"}}
		f.create(spec)
		f.W.Output("output/figs/f.png", "\x89PNG v2", by("author")).Save()
		res := f.create(spec)
		if !strings.Contains(res.Message, "output/figs/f.png (it changed in the workspace since it was put on the request") {
			t.Errorf("message %q", res.Message)
		}
	})
	t.Run("metadata files only as supporting files", func(t *testing.T) {
		f := newFixture(t)
		spec := schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"metadata"},
			SupportingFiles: []string{"metadata/generate.log"}}
		res := f.create(spec)
		got := testkit.SortedPaths(f.Get(res.RequestID))
		if !slices.Equal(got, []string{"metadata:metadata/generate.log:SUPPORTING"}) {
			t.Errorf("files %v", got)
		}
		if !strings.Contains(res.Message, "metadata/manifest.json (") {
			t.Errorf("the manifest was not refused as an output: %q", res.Message)
		}
	})
}

func TestCreateNothingToAdd(t *testing.T) {
	f := newFixture(t)
	f.W.Output("output/only/model.pkl", "binary", by("author")).Save()
	res := f.create(schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/only"}})
	if res.Completed || res.RequestID != "" || !strings.HasPrefix(res.Message, "Nothing to add; 1 file(s) cannot be added") {
		t.Errorf("result %+v", res)
	}
	if f.current(f.Author) != nil {
		t.Error("an empty request was left behind")
	}
}

func TestCreateUserFromManifest(t *testing.T) {
	f := newFixture(t)
	// The latest output beneath the folders was written by colleague; a
	// later one elsewhere does not count.
	f.W.Output("output/figs/g.png", "\x89PNG g", by("colleague")).
		Output("output/elsewhere/x.csv", "a\n1\n", by("author")).
		Save()
	spec := tables()
	spec.Username = ""
	res := f.create(spec)
	if r := f.Get(res.RequestID); r.Author != "colleague" {
		t.Fatalf("author %s", r.Author)
	}
	if !strings.Contains(f.Logs.String(), "author taken from the manifest") {
		t.Errorf("not logged:\n%s", f.Logs)
	}

	f.W.Output("output/figs/h.png", "\x89PNG h", map[string]any{"user": ""}).Save()
	if _, err := f.C.Create(f.Ctx, spec); err == nil || !strings.Contains(err.Error(), "records no user for its latest output output/figs/h.png") {
		t.Errorf("latest output without user: %v", err)
	}
	spec.Dirs = []string{"metadata"}
	if _, err := f.C.Create(f.Ctx, spec); err == nil || !strings.Contains(err.Error(), "no output of the manifest") {
		t.Errorf("no outputs: %v", err)
	}
}

func TestCreateUsers(t *testing.T) {
	f := newFixture(t)
	spec := tables()
	spec.Username = "stranger"
	_, err := f.C.Create(f.Ctx, spec)
	if err == nil || err.Error() != "user stranger is not known to airlock: they never logged in, and the users file does not know them either" {
		t.Errorf("unknown user: %v", err)
	}
	spec.Username = "c1" // an output checker without a role on the workspace
	if _, err := f.C.Create(f.Ctx, spec); err == nil || !strings.Contains(err.Error(), "do not have a role on workspace") {
		t.Errorf("no role: %v", err)
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	f := newFixture(t)
	first := f.create(tables())
	before := f.allEvents()
	second := f.create(tables())
	if !second.Completed || second.RequestID != first.RequestID || second.Message != "No new files to add" {
		t.Errorf("second run %+v", second)
	}
	if after := f.allEvents(); after != before {
		t.Errorf("second run wrote %d audit events", after-before)
	}
}

func TestCreateOnReturnedRequest(t *testing.T) {
	f := newFixture(t)
	spec := tables()
	spec.Submit = true
	res := f.create(spec)
	f.Review(res.RequestID, f.C1, domain.VoteChangesRequested)
	f.Review(res.RequestID, f.C2, domain.VoteChangesRequested)
	f.R(f.Svc.Return(f.Ctx, f.C1, res.RequestID))
	for _, g := range []string{"output-tables", "output-figs"} {
		_, err := f.Svc.CreateComment(f.Ctx, f.Author, res.RequestID, g, "Rounded now.", domain.VisibilityPublic)
		f.OK(err)
	}
	f.W.Output("output/tables/e.csv", "region,n\nWales,35\n", by("author")).Save()
	again := f.create(spec)
	r := f.Get(res.RequestID)
	if !again.Completed || again.RequestID != res.RequestID || r.Status != domain.StatusSubmitted {
		t.Fatalf("result %+v, status %s", again, r.Status)
	}
	if _, ok := r.File("output/tables/e.csv"); !ok {
		t.Error("new file not added on resubmission")
	}
}

func TestCreateFolderErrors(t *testing.T) {
	f := newFixture(t)
	if err := os.MkdirAll(filepath.Join(f.W.Dir, "metadata", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		spec schedule.Spec
		want string
	}{
		{"no workspace", schedule.Spec{Username: "author", Dirs: []string{"output"}}, "a workspace is required"},
		{"unknown workspace", schedule.Spec{Username: "author", Workspace: "nope", Dirs: []string{"output"}}, "no workspace nope"},
		{"no dirs", schedule.Spec{Username: "author", Workspace: testkit.Workspace}, "at least one folder"},
		{"missing", schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/tables", "output/nope"}}, "has no folder output/nope"},
		{"hidden", schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/highly_sensitive"}}, "has no folder output/highly_sensitive"},
		{"a file", schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/tables/a.csv"}}, "has no folder output/tables/a.csv"},
		{"traversal", schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/../metadata"}}, "not a valid workspace path"},
		{"root", schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{""}}, "not its root"},
		{"empty", schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"metadata/empty"}}, "folder metadata/empty of workspace ws holds no files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.C.Create(f.Ctx, c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
	if f.current(f.Author) != nil {
		t.Error("a refused run left a request behind")
	}
}

func TestCreateOverlappingFolders(t *testing.T) {
	f := newFixture(t)
	res := f.create(schedule.Spec{Username: "author", Workspace: testkit.Workspace, Dirs: []string{"output/tables", "output/tables/sub"}})
	r := f.Get(res.RequestID)
	if f, ok := r.File("output/tables/sub/c.csv"); !ok || f.Group != "output-tables" {
		t.Errorf("c.csv in %+v", f)
	}
	if len(r.Groups) != 1 {
		t.Errorf("groups %v", r.Groups)
	}
}
