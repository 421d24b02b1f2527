package web

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// withDiskWorkspaces makes h's pages read workspaces from folders under
// dir (with their manifests), as airlock does, instead of the in-memory
// testkit.Files; the database, users and logins stay the same.
func withDiskWorkspaces(h *harness, dir string) {
	h.t.Helper()
	svc := service.New(service.Config{Store: h.Store, Workspaces: workspace.NewReader(dir), Blobs: h.Files, Notifier: h.Notes, Now: h.Clock.Now})
	pages, err := New(Config{Service: svc, Logins: h.logins, Store: h.sessions, DevUsers: h.devUsers, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	mux := http.NewServeMux()
	pages.Register(mux)
	h.pages, h.handler = pages, mux
}

func TestBrowserWorkspaceOutOfDateOnDisk(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	testkit.NewDiskWorkspace(t, dir, "ws").
		Output("output/current.csv", "a,b\n1,2\n", nil).
		Output("output/old.csv", "a,b\n3,4\n", map[string]any{"out_of_date_action": true}).
		Output("output/figures/plot.png", "not really a png", nil).
		Save()
	withDiskWorkspaces(h, dir)

	b := newBrowser(t, h)
	b.login("author")
	b.open("/workspaces/view/ws/output/")
	if n := eval[int](b, `document.querySelectorAll("a[href='/workspaces/view/ws/output/old.csv']").length`); n != 0 {
		t.Errorf("the out-of-date output is shown before the toggle")
	}
	if s := b.text(".tree-ood p"); !strings.Contains(s, "1 output from out-of-date actions hidden") {
		t.Errorf("notice %q", s)
	}
	b.screenshot("workspace-disk-ood-hidden")
	b.clickToLoad("#toggle-ood")
	if loc := b.location(); loc != "/workspaces/view/ws/output/" {
		t.Errorf("after the toggle at %s", loc)
	}
	if s := b.text(".tree-ood p"); !strings.Contains(s, "1 output from out-of-date actions shown") {
		t.Errorf("notice after toggle %q", s)
	}
	if n := eval[int](b, `document.querySelectorAll(".browser-tree a.out-of-date-action[href='/workspaces/view/ws/output/old.csv']").length`); n != 1 {
		t.Errorf("the out-of-date output is not in the tree with its class")
	}
	b.screenshot("workspace-disk-ood-shown")
	b.open("/workspaces/view/ws/output/old.csv")
	if s := b.text(".banner-warning"); !strings.Contains(s, "out of date") {
		t.Errorf("banner %q", s)
	}
	b.screenshot("workspace-disk-ood-file")
	b.screenshotViewport("workspace-disk-ood-file-viewport")
	b.clickToLoad("#toggle-ood")
	if n := eval[int](b, `document.querySelectorAll(".browser-tree a[href='/workspaces/view/ws/output/old.csv']").length`); n != 0 {
		t.Errorf("hidden again, but still in the tree")
	}
}
