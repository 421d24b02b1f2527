package service_test

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/diff"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestVersionsAndDiff: the resubmission loop. A checker votes, the file
// is updated (one REQUEST_FILE_UPDATE event, no withdrawal), every
// version is kept with who added it, the checker sees what changed since
// the version they voted on, and gc keeps every version's copy.
func TestVersionsAndDiff(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,10\nSouth,12\nEast,8\n")
	e.Files.Write(testkit.Workspace, "out/notes.md", "# Notes\nfirst\n")
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{
		{Path: "out/t.csv", FileType: domain.FileOutput}, {Path: "out/notes.md", FileType: domain.FileOutput}}))
	r, _, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteChangesRequested)
	e.Review(r.ID, e.C2, domain.VoteChangesRequested)
	r = e.R(e.Svc.Return(e.Ctx, e.C1, r.ID))
	old, _ := r.File("out/t.csv")

	// Before any update, the checker's reviewed version is the current.
	if changed, err := e.Svc.ChangedSinceReviewed(e.Ctx, e.C1, r, "out/t.csv"); err != nil || changed {
		t.Fatalf("ChangedSinceReviewed before the update = %v, %v", changed, err)
	}
	e.Clock.Advance(time.Minute)
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,10\nSouth,15\nWest,5\n")
	e.Files.Write(testkit.Workspace, "out/notes.md", "# Notes\nsecond\n")
	before := len(events(e, testkit.AuditOf(r.ID, domain.EventRequestFileWithdraw)))
	r = e.R(e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/t.csv", "out/notes.md"}))
	if n := len(events(e, testkit.AuditOf(r.ID, domain.EventRequestFileWithdraw))); n != before {
		t.Errorf("the update logged %d withdrawals", n-before)
	}
	if n := len(events(e, testkit.AuditOf(r.ID, domain.EventRequestFileUpdate))); n != 2 {
		t.Errorf("%d REQUEST_FILE_UPDATE events, want one per file", n)
	}

	versions, reviewed, err := e.Svc.FileVersions(e.Ctx, e.C1, r.ID, "out/t.csv")
	e.OK(err)
	cur, _ := r.File("out/t.csv")
	if len(versions) != 2 || versions[0].FileID != old.FileID || versions[1].FileID != cur.FileID ||
		versions[1].AddedBy != e.Author.Username || versions[1].Ordinal != 2 || !versions[1].AddedAt.After(versions[0].AddedAt) {
		t.Fatalf("versions = %+v", versions)
	}
	if reviewed == nil || reviewed.FileID != old.FileID {
		t.Fatalf("reviewed = %+v, want the first version", reviewed)
	}
	if changed, err := e.Svc.ChangedSinceReviewed(e.Ctx, e.C1, r, "out/t.csv"); err != nil || !changed {
		t.Errorf("ChangedSinceReviewed after the update = %v, %v", changed, err)
	}

	d, err := e.Svc.DiffFile(e.Ctx, e.C1, r.ID, "out/t.csv", "reviewed", "")
	e.OK(err)
	if d.Kind != diff.KindCSV || d.From.Ordinal != 1 || d.To.Ordinal != 2 || d.CSV == nil ||
		d.CSV.CellsTotal != 1 || d.CSV.Cells[0].Old != "12" || d.CSV.Cells[0].New != "15" ||
		d.CSV.AddedTotal != 1 || d.CSV.RemovedTotal != 1 {
		t.Errorf("CSV diff = %+v %+v", d, d.CSV)
	}
	d, err = e.Svc.DiffFile(e.Ctx, e.C1, r.ID, "out/notes.md", "1", "2")
	e.OK(err)
	if d.Kind != diff.KindText || !strings.Contains(d.Text.Unified(), "-first\n+second\n") {
		t.Errorf("text diff: %+v", d)
	}
	// By sha256 (a prefix will do), and previous.
	for _, from := range []string{old.FileID, old.FileID[:10], "previous", "v1"} {
		d, err := e.Svc.DiffFile(e.Ctx, e.Author, r.ID, "out/t.csv", from, "current")
		if err != nil || d.From.Ordinal != 1 {
			t.Errorf("from %q: %+v, %v", from, d, err)
		}
	}

	// Clear refusals.
	refusals := []struct {
		user     domain.User
		path     string
		from, to string
		kind     error
		words    string
	}{
		{e.Author, "out/t.csv", "reviewed", "", domain.ErrNotFound, "you have not voted on out/t.csv"},
		{e.C1, "out/none.csv", "1", "", domain.ErrNotFound, "not on request"},
		{e.C1, "out/t.csv", "7", "", domain.ErrNotFound, "versions are 1 to 2"},
		{e.C1, "out/t.csv", "deadbeefdead", "", domain.ErrNotFound, "no version"},
		{e.C1, "out/t.csv", "1", "9", domain.ErrNotFound, "(to)"},
		{e.C1, "out/t.csv", "previous", "1", domain.ErrNotFound, "no previous version"},
	}
	for _, tt := range refusals {
		_, err := e.Svc.DiffFile(e.Ctx, tt.user, r.ID, tt.path, tt.from, tt.to)
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.words) {
			t.Errorf("%s %s from %q to %q: %v, want %v saying %q", tt.user.Username, tt.path, tt.from, tt.to, err, tt.kind, tt.words)
		}
	}
	outsider := domain.User{Username: "outsider"}
	if _, err := e.Svc.DiffFile(e.Ctx, outsider, r.ID, "out/t.csv", "1", ""); err == nil {
		t.Error("a user who may not see the request saw a diff")
	}

	// A new vote moves the reviewed version: nothing changed since.
	_, err = e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "Rounded South.", domain.VisibilityPublic)
	e.OK(err)
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, "out/t.csv", domain.VoteApproved))
	r = e.Get(r.ID)
	if changed, _ := e.Svc.ChangedSinceReviewed(e.Ctx, e.C1, r, "out/t.csv"); changed {
		t.Error("changed since reviewed after voting on the new version")
	}

	// gc keeps the old version's copy.
	ids, err := e.Svc.ReferencedFiles(e.Ctx, testkit.Workspace)
	e.OK(err)
	if !ids[old.FileID] || !ids[cur.FileID] {
		t.Errorf("referenced files %v: want both versions", slices.Sorted(maps.Keys(ids)))
	}
}

func events(e *testkit.Env, f service.AuditFilter) []domain.Event {
	e.T.Helper()
	evs, err := e.Svc.AuditLog(e.Ctx, f)
	e.OK(err)
	return evs
}

// TestDiffBinaryAndNotCSV: images are compared by size, date and hash; a
// .csv that is not valid CSV falls back to a line diff.
func TestDiffBinaryAndNotCSV(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Resubmitted(e.Author,
		map[string]string{"out/chart.png": "\x89PNG one", "out/bad.csv": "a,b\n1,\"2\n"},
		map[string]string{"out/chart.png": "\x89PNG two!", "out/bad.csv": "a,b\n1,\"3\n"})
	d, err := e.Svc.DiffFile(e.Ctx, e.C1, r.ID, "out/chart.png", "", "")
	e.OK(err)
	if d.Kind != diff.KindBinary || d.CSV != nil || d.Text != nil || d.From.Size != 8 || d.To.Size != 9 || d.Same() {
		t.Errorf("binary diff: %+v", d)
	}
	d, err = e.Svc.DiffFile(e.Ctx, e.C1, r.ID, "out/bad.csv", "", "")
	e.OK(err)
	if d.Kind != diff.KindText || d.Text == nil || d.Text.Added != 1 || d.Text.Removed != 1 {
		t.Errorf("a .csv that is not CSV: %+v", d)
	}
	// Each version can be viewed.
	for _, ref := range []string{"1", "2"} {
		f, v, err := e.Svc.ViewFileVersion(e.Ctx, e.C1, r.ID, "out/chart.png", ref)
		e.OK(err)
		f.Close()
		if strconv.Itoa(v.Ordinal) != ref {
			t.Errorf("ViewFileVersion(%s) = version %d", ref, v.Ordinal)
		}
	}
	if _, _, err := e.Svc.ViewFileVersion(e.Ctx, e.Outsider, r.ID, "out/chart.png", "1"); err == nil {
		t.Error("an outsider viewed a version")
	}
}
