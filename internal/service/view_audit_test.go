//go:build unix

package service_test

import (
	"path/filepath"
	"testing"

	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// TestRefusedViewIsNotAudited: a workspace file that cannot be opened (a
// link out of the workspace, which the reader's os.Root refuses) was not
// viewed, and no view is written to the audit log; a file that opens is.
func TestRefusedViewIsNotAudited(t *testing.T) {
	e := testkit.NewEnv(t)
	wsDir := filepath.Join(t.TempDir(), "workspaces")
	hw := testkit.NewHostileWorkspace(t, wsDir, testkit.Workspace)
	e.Svc = service.New(service.Config{Store: e.Store, Workspaces: workspace.NewReader(wsDir), Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now})
	for _, rel := range []string{"output/outside.csv", "output/up.csv", "output/abs.csv"} {
		before, _, err := e.Store.AuditHead(e.Ctx)
		e.OK(err)
		f, _, viewErr := e.Svc.ViewWorkspaceFile(e.Ctx, e.Author, testkit.Workspace, rel)
		if viewErr == nil {
			f.Close()
			t.Errorf("%s: opened, but it links out of the workspace", rel)
			continue
		}
		after, _, err := e.Store.AuditHead(e.Ctx)
		e.OK(err)
		if after != before {
			t.Errorf("%s: refused (%v), yet %d audit event(s) written", rel, viewErr, after-before)
		}
	}
	before, _, err := e.Store.AuditHead(e.Ctx)
	e.OK(err)
	f, _, err := e.Svc.ViewWorkspaceFile(e.Ctx, e.Author, testkit.Workspace, hw.Good)
	e.OK(err)
	f.Close()
	if after, _, _ := e.Store.AuditHead(e.Ctx); after != before+1 {
		t.Errorf("a view that happened: audit head %d → %d, want one event", before, after)
	}
}
