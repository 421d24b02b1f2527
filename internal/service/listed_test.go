package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// The workspaces lists show only the workspaces this backend has, and say
// of a broken one why it cannot be browsed, rather than hiding it or
// failing the list.
func TestVisibleWorkspacesOnThisBackend(t *testing.T) {
	e := testkit.NewEnv(t)
	wsDir := t.TempDir()
	testkit.NewDiskWorkspace(t, wsDir, "good").Output("output/a.csv", "n\n5\n", nil).Save()
	testkit.NewDiskWorkspace(t, wsDir, "copiloted").Output("output/a.csv", "n\n5\n", nil).Save()
	for name, manifest := range map[string]string{"not-json": `{"outputs": {`, "not-an-object": `[1, 2]`} {
		if err := os.MkdirAll(filepath.Join(wsDir, name, "metadata"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(wsDir, name, workspace.ManifestPath), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A manifest that is a folder cannot be read as one.
	if err := os.MkdirAll(filepath.Join(wsDir, "folder-manifest", workspace.ManifestPath), 0o755); err != nil {
		t.Fatal(err)
	}
	// A folder with no manifest yet is not a workspace of this backend.
	if err := os.MkdirAll(filepath.Join(wsDir, "no-manifest", "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.UseDisk(wsDir, filepath.Join(t.TempDir(), "requests"))

	u := testkit.NewUser("researcher", testkit.Researcher, "good", "not-json", "not-an-object", "folder-manifest", "no-manifest", "elsewhere")
	u.CopilotedWorkspaces["copiloted"] = u.Workspaces["good"]
	u.CopilotedWorkspaces["copiloted-elsewhere"] = u.Workspaces["good"]
	list, err := e.Svc.VisibleWorkspaces(e.Ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, ws := range list {
		got[ws.Name] = ws.Unavailable
		names = append(names, ws.Name)
	}
	if want := "copiloted folder-manifest good not-an-object not-json"; strings.Join(names, " ") != want {
		t.Errorf("listed %q, want %q", names, want)
	}
	for name, want := range map[string]string{
		"good": "", "copiloted": "",
		"not-json":        "manifest.json is not valid",
		"not-an-object":   "manifest.json is not valid",
		"folder-manifest": "not a regular file",
	} {
		if want == "" && got[name] != "" || !strings.Contains(got[name], want) {
			t.Errorf("%s: unavailable %q, want %q", name, got[name], want)
		}
		if strings.Contains(got[name], "is unavailable:") {
			t.Errorf("%s: the reason repeats what the list says: %q", name, got[name])
		}
	}

	// An output checker sees every workspace of the backend.
	list, err = e.Svc.VisibleWorkspaces(e.Ctx, e.C1)
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, ws := range list {
		names = append(names, ws.Name)
	}
	if want := "copiloted folder-manifest good not-an-object not-json"; strings.Join(names, " ") != want {
		t.Errorf("an output checker's list %q, want %q", names, want)
	}

	// A researcher none of whose workspaces this backend has sees none.
	list, err = e.Svc.VisibleWorkspaces(e.Ctx, testkit.NewUser("far", testkit.Researcher, "elsewhere"))
	if err != nil || len(list) != 0 {
		t.Errorf("a researcher with no workspace here: %v, %v", list, err)
	}
}

// The in-memory workspaces the other suites use follow the same rule.
func TestVisibleWorkspacesInMemory(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "output/a.csv", "n\n5\n")
	e.Files.BreakManifest("broken", "metadata/manifest.json is not valid JSON")
	u := testkit.NewUser("r", testkit.Researcher, testkit.Workspace, "broken", "absent")
	list, err := e.Svc.VisibleWorkspaces(e.Ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	want := []service.WorkspaceSummary{
		{Name: "broken", Info: u.Workspaces["broken"], Unavailable: "metadata/manifest.json is not valid JSON"},
		{Name: testkit.Workspace, Info: u.Workspaces[testkit.Workspace]},
	}
	if len(list) != len(want) {
		t.Fatalf("listed %+v, want %+v", list, want)
	}
	for i := range want {
		if list[i].Name != want[i].Name || list[i].Unavailable != want[i].Unavailable {
			t.Errorf("%d: %+v, want %+v", i, list[i], want[i])
		}
	}
}

// hungDisk is workspaces whose folder does not answer a listing.
type hungDisk struct{ *testkit.Files }

func (hungDisk) Workspaces(context.Context) ([]string, error) {
	return nil, domain.Errorf(domain.ErrUnavailable, "listing the workspaces: the workspace disk did not answer within 10s; try again later, or ask the operators to check it")
}

// A workspace folder that does not answer does not take the lists down:
// the user's own workspaces are listed, each unavailable with the reason.
func TestVisibleWorkspacesDiskDown(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "output/a.csv", "n\n5\n")
	e.Svc = service.New(service.Config{Store: e.Store, Workspaces: hungDisk{e.Files}, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now})
	list, err := e.Svc.VisibleWorkspaces(e.Ctx, e.Author)
	if err != nil || len(list) != 1 || list[0].Name != testkit.Workspace || !strings.Contains(list[0].Unavailable, "did not answer") {
		t.Errorf("with the disk down: %+v, %v", list, err)
	}
}
