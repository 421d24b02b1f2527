package service_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// blockingSmallCounts is a service on e's database whose small_count rule
// blocks submission.
func blockingSmallCounts(t *testing.T, e *testkit.Env) *service.Service {
	t.Helper()
	cfg := checks.Default()
	cfg.Rules.SmallCount.Severity = checks.SeverityBlocking
	ck, err := checks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now, Checks: ck})
}

func findingOf(f domain.RequestFile, rule checks.Rule) (checks.Finding, bool) {
	i := slices.IndexFunc(f.Checks, func(c checks.Finding) bool { return c.Rule == rule })
	if i < 0 {
		return checks.Finding{}, false
	}
	return f.Checks[i], true
}

// TestChecksOnAddAndUpdate: files are checked when added and again when
// updated; the findings name the cells; the workspace shows the same
// findings before the file is added.
func TestChecksOnAddAndUpdate(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,3\nSouth,25\nEast,[REDACTED]\nWest,5\n")
	e.Files.Write(testkit.Workspace, "out/clean.csv", "region,n\nNorth,10\nSouth,25\n")

	ws, err := e.Svc.WorkspaceFileChecks(e.Ctx, e.Author, testkit.Workspace, "out/t.csv")
	e.OK(err)
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{
		{Path: "out/t.csv", FileType: domain.FileOutput}, {Path: "out/clean.csv", FileType: domain.FileOutput}}))
	f, _ := r.File("out/t.csv")
	small, ok := findingOf(*f, checks.RuleSmallCount)
	if !ok || !slices.Equal(small.Cells, [][2]int{{0, 1}, {3, 1}}) || small.Severity != checks.SeverityWarning {
		t.Fatalf("small counts: %+v (all: %+v)", small, f.Checks)
	}
	if !slicesEqualFindings(ws, f.Checks) {
		t.Errorf("the workspace showed %+v, the request copy has %+v", ws, f.Checks)
	}
	if c, _ := r.File("out/clean.csv"); len(c.Checks) != 0 || c.Checks == nil {
		t.Errorf("a clean table has findings %#v", c.Checks)
	}
	// Warnings never stop anything by themselves.
	_, _, err = e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)

	// The researcher fixes the table; the update is checked again.
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,[REDACTED]\nSouth,25\nEast,[REDACTED]\nWest,[REDACTED]\n")
	r = e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/t.csv"}))
	if f, _ := r.File("out/t.csv"); len(f.Checks) != 0 {
		t.Errorf("after the fix: %+v", f.Checks)
	}
}

func slicesEqualFindings(a, b []checks.Finding) bool {
	return slices.EqualFunc(a, b, func(x, y checks.Finding) bool {
		return x.Rule == y.Rule && x.Severity == y.Severity && x.Message == y.Message && slices.Equal(x.Cells, y.Cells)
	})
}

// TestBlockingChecks: a blocking finding stops submission until the file
// is withdrawn or the author overrides it with a justification (audited,
// shown on the file); updating the file drops the override.
func TestBlockingChecks(t *testing.T) {
	e := testkit.NewEnv(t)
	svc := blockingSmallCounts(t, e)
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,3\nSouth,25\n")
	e.Files.Write(testkit.Workspace, "out/u.csv", "region,n\nNorth,2\nSouth,25\n")
	r, err := svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{
		{Path: "out/t.csv", FileType: domain.FileOutput}, {Path: "out/u.csv", FileType: domain.FileOutput}})
	e.OK(err)
	r, _, err = svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)
	_, err = svc.Submit(e.Ctx, e.Author, r.ID)
	wantKind(t, err, domain.ErrPolicy)
	if !strings.Contains(err.Error(), "out/t.csv") || !strings.Contains(err.Error(), "out/u.csv") {
		t.Errorf("the refusal does not name the files: %v", err)
	}

	// Refusals change nothing.
	_, err = svc.OverrideChecks(e.Ctx, e.Colleague, r.ID, "out/t.csv", "Counts of hospitals, not patients.")
	wantKind(t, err, domain.ErrPermissionDenied)
	_, err = svc.OverrideChecks(e.Ctx, e.Author, r.ID, "out/t.csv", "ok")
	wantKind(t, err, domain.ErrInvalidInput)

	r, err = svc.OverrideChecks(e.Ctx, e.Author, r.ID, "out/t.csv", "  Counts of hospitals, not patients.  ")
	e.OK(err)
	f, _ := r.File("out/t.csv")
	if f.Override == nil || f.Override.Justification != "Counts of hospitals, not patients." || f.Override.By != e.Author.Username {
		t.Fatalf("override: %+v", f.Override)
	}
	events, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, domain.EventRequestFileChecksOverride))
	e.OK(err)
	if len(events) != 1 || events[0].Extra["justification"] != "Counts of hospitals, not patients." || events[0].Extra["rules"] != "small_count" {
		t.Errorf("audit: %+v", events)
	}
	// u.csv still blocks; withdrawing it (a pending request forgets it)
	// clears the way.
	_, err = svc.Submit(e.Ctx, e.Author, r.ID)
	wantKind(t, err, domain.ErrPolicy)
	r = e.R(svc.WithdrawFiles(e.Ctx, e.Author, r.ID, []string{"out/u.csv"}))
	r = e.R(svc.Submit(e.Ctx, e.Author, r.ID))
	if r.Status != domain.StatusSubmitted {
		t.Fatalf("status %s", r.Status)
	}
	// The checkers see the findings and the justification.
	seen := e.R(svc.GetRequest(e.Ctx, e.C1, r.ID))
	if f, _ := seen.File("out/t.csv"); f.Override == nil || len(f.BlockingChecks()) != 1 {
		t.Errorf("checker sees %+v %+v", f.Override, f.Checks)
	}

	// Returned, the author updates the file: checked again, override gone.
	e.Review(r.ID, e.C1, domain.VoteChangesRequested)
	e.Review(r.ID, e.C2, domain.VoteChangesRequested)
	e.R(svc.Return(e.Ctx, e.C1, r.ID))
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,4\nSouth,25\n")
	r = e.R(svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/t.csv"}))
	if f, _ := r.File("out/t.csv"); f.Override != nil || !f.Blocked() {
		t.Errorf("after an update: override %+v, blocked %v", f.Override, f.Blocked())
	}
}

// TestDifferencingAgainstReleased: a table that, subtracted from one
// already released from the workspace, leaves a small count is flagged.
func TestDifferencingAgainstReleased(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "out/all.csv", "region,n\nNorth,120\nSouth,250\n")
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/all.csv", FileType: domain.FileOutput}}))
	r, _, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))

	// The same regions minus a few people: North differs by 3.
	e.Files.Write(testkit.Workspace, "out/subset.csv", "region,n\nNorth,117\nSouth,250\n")
	found, err := e.Svc.WorkspaceFileChecks(e.Ctx, e.Colleague, testkit.Workspace, "out/subset.csv")
	e.OK(err)
	if i := slices.IndexFunc(found, func(c checks.Finding) bool { return c.Rule == checks.RuleDifferencing }); i < 0 {
		t.Fatalf("no differencing finding: %+v", found)
	} else if !slices.Contains(found[i].Cells, [2]int{0, 1}) {
		t.Errorf("differencing cells %v, want North's count", found[i].Cells)
	}
	r2 := e.R(e.Svc.AddFiles(e.Ctx, e.Colleague, testkit.Workspace, "g", []service.AddFile{{Path: "out/subset.csv", FileType: domain.FileOutput}}))
	if f, _ := r2.File("out/subset.csv"); !slices.ContainsFunc(f.Checks, func(c checks.Finding) bool { return c.Rule == checks.RuleDifferencing }) {
		t.Errorf("the request copy lacks the differencing finding: %+v", f.Checks)
	}
}

// TestWorkspaceChecksSizeLimit: a workspace file too large to check while
// browsing says so instead of holding the page; adding it checks it.
func TestWorkspaceChecksSizeLimit(t *testing.T) {
	e := testkit.NewEnv(t)
	big := strings.Repeat("n\n3\n", 1) + strings.Repeat("5\n", (64<<20)/2+1)
	e.Files.Write(testkit.Workspace, "out/big.csv", big)
	_, err := e.Svc.WorkspaceFileChecks(e.Ctx, e.Author, testkit.Workspace, "out/big.csv")
	wantKind(t, err, domain.ErrPolicy)
	if !strings.Contains(err.Error(), "checked in full when added") {
		t.Errorf("message: %v", err)
	}
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/big.csv", FileType: domain.FileOutput}}))
	f, _ := r.File("out/big.csv")
	if _, ok := findingOf(*f, checks.RuleSmallCount); !ok {
		t.Errorf("the added copy was not checked in full: %+v", f.Checks)
	}
}

// onceFiles counts what the service reads of workspace files and of
// request copies.
type onceFiles struct {
	*testkit.Files
	opens, copyOpens int
	read             *int64
}

type countingReader struct {
	service.File
	n *int64
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.File.Read(p)
	*r.n += int64(n)
	return n, err
}

func (f *onceFiles) OpenFile(ctx context.Context, workspace, relpath string) (service.File, error) {
	f.opens++
	rc, err := f.Files.OpenFile(ctx, workspace, relpath)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, f.read}, nil
}

func (f *onceFiles) Open(workspace, sha string) (*os.File, error) {
	f.copyOpens++
	return f.Files.Open(workspace, sha)
}

// TestAddReadsTheFileOnce: adding a file reads the workspace file once,
// and the checks read those bytes (never the copy afterwards).
func TestAddReadsTheFileOnce(t *testing.T) {
	e := testkit.NewEnv(t)
	content := "region,n\nNorth,3\n" + strings.Repeat("South,25\n", 300_000)
	e.Files.Write(testkit.Workspace, "out/t.csv", content)
	f := &onceFiles{Files: e.Files, read: new(int64)}
	svc := service.New(service.Config{Store: e.Store, Workspaces: f, Blobs: f, Notifier: e.Notes, Now: e.Clock.Now})
	r := e.R(svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/t.csv", FileType: domain.FileOutput}}))
	rf, _ := r.File("out/t.csv")
	if small, ok := findingOf(*rf, checks.RuleSmallCount); !ok || !slices.Equal(small.Cells, [][2]int{{0, 1}}) {
		t.Fatalf("findings %+v", rf.Checks)
	}
	if f.opens != 1 || *f.read != int64(len(content)) || f.copyOpens != 0 {
		t.Errorf("opened the workspace file %d times, read %d bytes of %d, opened the copy %d times; want once, all, never",
			f.opens, *f.read, len(content), f.copyOpens)
	}
}
