package service_test

import (
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestDuplicatePathsRefused: a path listed twice in one action ("a" and
// "a/" are the same file) is invalid input naming the path, and nothing
// is written: no change, no audit event (they once gave a 500, rolled
// back, and could write duplicate events).
func TestDuplicatePathsRefused(t *testing.T) {
	e := testkit.NewEnv(t)
	pending := e.Pending(e.Author, "out/a.csv", "out/b.csv")
	e.Files.Write(testkit.Workspace, "out/a.csv", "changed,1\n")
	e.Files.Write(testkit.Workspace, "out/b.csv", "changed,2\n")
	tests := []struct {
		name string
		act  func() error
	}{
		{"withdraw twice", func() error {
			_, err := e.Svc.WithdrawFiles(e.Ctx, e.Author, pending.ID, []string{"out/a.csv", "out/b.csv", "out/a.csv"})
			return err
		}},
		{"withdraw with a slash", func() error {
			_, err := e.Svc.WithdrawFiles(e.Ctx, e.Author, pending.ID, []string{"out/a.csv", "out/a.csv/"})
			return err
		}},
		{"update twice", func() error {
			_, err := e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/a.csv", "out/a.csv"})
			return err
		}},
		{"update with a slash", func() error {
			_, err := e.Svc.UpdateFiles(e.Ctx, e.Author, testkit.Workspace, []string{"out/a.csv/", "out/a.csv"})
			return err
		}},
		{"properties twice", func() error {
			_, _, err := e.Svc.ChangeFileProperties(e.Ctx, e.Author, pending.ID, []string{"out/b.csv", "out/b.csv/"}, "h", domain.FileOutput)
			return err
		}},
		{"add with a slash", func() error {
			_, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/c.csv", FileType: domain.FileOutput}, {Path: "out/c.csv/", FileType: domain.FileOutput}})
			return err
		}},
	}
	e.Files.Write(testkit.Workspace, "out/c.csv", "new,3\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Get(pending.ID)
			head, _, err := e.Store.AuditHead(e.Ctx)
			e.OK(err)
			err = tt.act()
			wantKind(t, err, domain.ErrInvalidInput)
			if !strings.Contains(err.Error(), "listed twice") {
				t.Errorf("message %q does not say a path is listed twice", err)
			}
			after := e.Get(pending.ID)
			if after.Version != before.Version || len(after.Files) != len(before.Files) {
				t.Errorf("refused, but the request changed: version %d → %d", before.Version, after.Version)
			}
			if h, _, _ := e.Store.AuditHead(e.Ctx); h != head {
				t.Errorf("refused, but %d audit events were written", h-head)
			}
		})
	}
	// The trailing slash names the file itself.
	r := e.R(e.Svc.WithdrawFiles(e.Ctx, e.Author, pending.ID, []string{"out/b.csv/"}))
	if _, ok := r.File("out/b.csv"); ok {
		t.Errorf("out/b.csv/ did not withdraw out/b.csv")
	}
}
