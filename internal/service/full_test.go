package service_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/testkit"
)

func countEvents(t *testing.T, e *testkit.Env) int {
	t.Helper()
	evs, err := e.Store.Events(e.Ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestAddFilesOnFullDisk: when the request folder fills up during an add,
// the person gets a refusal of kind ErrInsufficientStorage that says so,
// nothing is recorded (no request created, no file row, no audit event),
// no copy is left in the folder under any name; once space is freed the
// same add succeeds.
func TestAddFilesOnFullDisk(t *testing.T) {
	for name, mk := range testkit.DiskFaults() {
		t.Run(name, func(t *testing.T) {
			fault := mk(t)
			e := testkit.NewEnv(t)
			e.UseFullDisk(fault)
			refused := func(err error) {
				t.Helper()
				if !errors.Is(err, domain.ErrInsufficientStorage) {
					t.Fatalf("add on a full disk: %v, want ErrInsufficientStorage", err)
				}
				if msg := domain.Message(err); !strings.Contains(msg, "request store is full") || !strings.Contains(msg, "output/big.csv") {
					t.Errorf("message %q does not say the store is full, for which file", msg)
				}
			}

			// No request yet: none is created.
			fault.Fill()
			before := testkit.FilesUnder(t, fault.Root)
			_, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/big.csv"))
			refused(err)
			if r, err := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); r != nil || err != nil {
				t.Fatalf("a request was created by a failed add: %v %v", r, err)
			}
			if n := countEvents(t, e); n != 0 {
				t.Errorf("%d audit events after a failed add", n)
			}
			if after := testkit.FilesUnder(t, fault.Root); !slices.Equal(after, before) {
				t.Errorf("a failed add left files: before %v, after %v", before, after)
			}
			fault.Free()

			// A request with a file: unchanged by a failed add, even one
			// with a file that fits before the one that does not.
			r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/small.csv")))
			events := countEvents(t, e)
			fault.Fill()
			before = testkit.FilesUnder(t, fault.Root)
			_, err = e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/big.csv"))
			refused(err)
			after := e.Get(r.ID)
			if after.Version != r.Version || !slices.Equal(testkit.SortedPaths(after), testkit.SortedPaths(r)) {
				t.Errorf("a failed add changed the request: %v → %v", testkit.SortedPaths(r), testkit.SortedPaths(after))
			}
			if n := countEvents(t, e); n != events {
				t.Errorf("a failed add wrote %d audit events", n-events)
			}
			if files := testkit.FilesUnder(t, fault.Root); !slices.Equal(files, before) {
				t.Errorf("a failed add left files: before %v, after %v", before, files)
			}

			// Space freed: the same add succeeds, with the right bytes.
			fault.Free()
			r = e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/big.csv")))
			f, ok := r.File("output/big.csv")
			if !ok {
				t.Fatalf("big.csv not added: %v", testkit.SortedPaths(r))
			}
			if !slices.Contains(testkit.FilesUnder(t, fault.Root), filepath.ToSlash(filepath.Join(testkit.Workspace, f.FileID))) {
				t.Errorf("no copy %s in the request folder", f.FileID)
			}
		})
	}
}

// TestDatabaseDiskFull: when the disk of the SQLite database fills up, a
// write is refused as ErrInsufficientStorage with a message saying so,
// and nothing of it is kept; once space is freed, writes work again and
// the audit chain verifies.
func TestDatabaseDiskFull(t *testing.T) {
	dir := testkit.Tmpfs(t, "8m")
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "airlock.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := testkit.NewEnvOn(t, st)
	r := e.Pending(e.Author)
	filler := testkit.FillUntilFull(t, dir, "filler", 0)

	// Comments of 20,000 characters until the database's writes find no
	// room: the log may reuse some of its space first.
	text := strings.Repeat("a long comment ", 20000/15)
	var refusal error
	written := 0
	for range 2000 {
		_, err := e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", text, domain.VisibilityPublic)
		if err != nil {
			refusal = err
			break
		}
		written++
	}
	if refusal == nil {
		t.Fatal("2000 comments of 20,000 characters fitted on a full disk")
	}
	if !errors.Is(refusal, domain.ErrInsufficientStorage) || !strings.Contains(domain.Message(refusal), "no space left") {
		t.Fatalf("a write on a full database disk: %v, want ErrInsufficientStorage saying so", refusal)
	}
	before := e.Get(r.ID)
	if n := len(before.GroupComments("g")); n != written {
		t.Errorf("%d comments stored, %d acknowledged: the refused one was kept", n, written)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	c, err := e.Svc.CreateComment(e.Ctx, e.Author, r.ID, "g", "after", domain.VisibilityPublic)
	if err != nil {
		t.Fatalf("a comment once space is freed: %v", err)
	}
	after := e.Get(r.ID)
	if n, m := len(before.GroupComments("g")), len(after.GroupComments("g")); m != n+1 || c.Text != "after" {
		t.Errorf("comments: %d before, %d after one more", n, m)
	}
	if _, err := e.Svc.VerifyAudit(e.Ctx); err != nil {
		t.Errorf("audit chain after a full disk: %v", err)
	}
}
