package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// wsFiles writes the files of the workspace "ws" the tests browse.
func wsFiles(h *harness) {
	h.Files.Write("ws", "output/summary.csv", "region,count\nNorth,15\nSouth,20\n")
	h.Files.Write("ws", "output/tables/by_age.csv", "age,count\n0-9,10\n")
	h.Files.Write("ws", "output/notes.txt", "some notes\n")
	h.Files.Write("ws", "output/model.rds", "binary")
	h.Files.Write("ws", "output/<img src=x onerror=alert(1)>.csv", "a,b\n1,2\n")
	h.Files.Write("ws", "metadata/job.log", "ran\n")
}

func TestWorkspaceBrowsePages(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	srv := h.server()
	c := h.client(srv)
	c.login("author")

	a := c.get("/workspaces/view/ws/")
	if a.StatusCode != http.StatusOK {
		t.Fatalf("root: %d\n%s", a.StatusCode, a.body)
	}
	for _, want := range []string{"View all release requests for workspace", `href="/workspaces/view/ws/output/"`, "outputs from out-of-date actions hidden"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("root page lacks %q", want)
		}
	}
	// Folders redirect to their canonical URL.
	if a := c.get("/workspaces/view/ws/output"); a.StatusCode != http.StatusFound || a.Header.Get("Location") != "/workspaces/view/ws/output/" {
		t.Errorf("folder without slash: %d %q", a.StatusCode, a.Header.Get("Location"))
	}
	a = c.get("/workspaces/view/ws/output/")
	for _, want := range []string{"Add files to request", "&lt;img src=x onerror=alert(1)&gt;.csv", "workspace_unreleased", "invalid", "&lt;0.01 Mb", `name="selected"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("folder page lacks %q", want)
		}
	}
	if strings.Contains(a.body, "<img src=x") {
		t.Error("a file name became markup")
	}
	// A file page: the iframe, sandboxed without scripts, and the add button.
	a = c.get("/workspaces/view/ws/output/summary.csv")
	if a.StatusCode != http.StatusOK {
		t.Fatalf("file: %d\n%s", a.StatusCode, a.body)
	}
	for _, want := range []string{`sandbox="allow-same-origin allow-forms"`, `src="/workspaces/content/ws/output/summary.csv?cache_id=`, "Add file to request", `id="workspace-add-dialog"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("file page lacks %q", want)
		}
	}
	if strings.Contains(a.body, "allow-scripts") {
		t.Error("iframe allows scripts")
	}
	// The content.
	a = c.get("/workspaces/content/ws/output/summary.csv?cache_id=x")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "North") {
		t.Errorf("content: %d\n%s", a.StatusCode, a.body)
	}
	// Tree fragment of a folder.
	a = c.get("/workspaces/tree/ws/output/tables/", "HX-Request", "true")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "by_age.csv") || strings.Contains(a.body, "<html") {
		t.Errorf("tree fragment: %d\n%s", a.StatusCode, a.body)
	}
	// Invalid type: button disabled with the reason.
	a = c.get("/workspaces/view/ws/output/model.rds")
	if !strings.Contains(a.body, "disabled-reason") || !strings.Contains(a.body, ".rds") {
		t.Errorf("invalid type file page lacks the disabled reason\n%s", a.body)
	}
	// Unknown path: flash and back to the parent.
	if a := c.get("/workspaces/view/ws/output/gone.csv"); a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/workspaces/view/ws/output/" {
		t.Errorf("unknown file: %d %q", a.StatusCode, a.Header.Get("Location"))
	}
}

func TestWorkspaceAddAndUpdate(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	srv := h.server()
	c := h.client(srv)
	c.login("author")

	a := c.post("/workspaces/multiselect/ws", url.Values{"action": {"add_files"}, "selected": {"output/summary.csv", "output/notes.txt", "output/model.rds"}, "next_url": {"/workspaces/view/ws/output/"}}, "HX-Request", "true")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "<dialog") || !strings.Contains(a.body, "Ignored") {
		t.Fatalf("multiselect: %d\n%s", a.StatusCode, a.body)
	}
	a = c.post("/workspaces/add-file-to-request/ws", url.Values{
		"group": {"default"}, "new_group": {"tables"}, "file": {"output/summary.csv", "output/notes.txt"},
		"filetype_0": {"OUTPUT"}, "filetype_1": {"SUPPORTING"}, "next_url": {"/workspaces/view/ws/output/"},
	})
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/workspaces/view/ws/output/" {
		t.Fatalf("add: %d %q", a.StatusCode, a.Header.Get("Location"))
	}
	r, err := h.Svc.CurrentRequest(h.Ctx, h.Author, "ws")
	if err != nil || r == nil {
		t.Fatalf("current request: %v %v", r, err)
	}
	if f, ok := r.File("output/summary.csv"); !ok || f.FileType != domain.FileOutput || f.Group != "tables" {
		t.Errorf("summary.csv: %+v %v", f, ok)
	}
	if f, ok := r.File("output/notes.txt"); !ok || f.FileType != domain.FileSupporting {
		t.Errorf("notes.txt: %+v %v", f, ok)
	}
	// Already on the request: disabled with the reason.
	a = c.get("/workspaces/view/ws/output/summary.csv")
	if !strings.Contains(a.body, "already on this request") {
		t.Errorf("file on request: no reason\n%s", a.body)
	}
	// Changed: update.
	h.Files.Write("ws", "output/summary.csv", "region,count\nNorth,25\nSouth,20\n")
	a = c.get("/workspaces/view/ws/output/summary.csv")
	if !strings.Contains(a.body, "Update file in request") {
		t.Errorf("changed file: no update button\n%s", a.body)
	}
	a = c.post("/workspaces/update-file-in-request/ws", url.Values{"file": {"output/summary.csv"}, "next_url": {"/workspaces/view/ws/output/summary.csv"}})
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", a.StatusCode)
	}
	st, err := h.Svc.FileStatuses(h.Ctx, h.Author, "ws")
	if err != nil {
		t.Fatal(err)
	}
	wf, _ := h.Files.File(h.Ctx, "ws", "output/summary.csv")
	if got := st(wf); got != domain.WorkspaceFileUnderReview {
		t.Errorf("after update: %s", got)
	}
}

func TestWorkspaceCopilotAndAll(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	h.Files.Write("other-ws", "output/x.csv", "a\n1\n")
	srv := h.server()

	cp := h.client(srv)
	cp.login("copilot")
	a := cp.get("/workspaces/view/ws/output/summary.csv")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "disabled-reason") || !strings.Contains(a.body, "You do not have a role") {
		t.Errorf("copilot file page: %d\n%s", a.StatusCode, a.body)
	}
	a = cp.get("/copiloted-workspaces/")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, `href="/workspaces/view/ws/"`) {
		t.Errorf("copiloted: %d\n%s", a.StatusCode, a.body)
	}
	if a := cp.get("/workspaces/all/"); a.StatusCode != http.StatusForbidden {
		t.Errorf("all for copilot: %d", a.StatusCode)
	}
	if _, err := h.Svc.AddFiles(h.Ctx, h.Copilot, "ws", "g", []service.AddFile{{Path: "output/summary.csv", FileType: domain.FileOutput}}); err == nil {
		t.Error("copilot could add")
	}

	ro := h.client(srv)
	ro.login("support")
	a = ro.get("/workspaces/all/")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "other-ws") {
		t.Errorf("all: %d\n%s", a.StatusCode, a.body)
	}
	a = ro.get("/workspaces/all/?q=OTHER", "HX-Request", "true")
	if a.StatusCode != http.StatusOK || !strings.Contains(a.body, "other-ws") || strings.Contains(a.body, `/view/ws/`) || strings.Contains(a.body, "<html") {
		t.Errorf("all filtered: %d\n%s", a.StatusCode, a.body)
	}
}

func TestWorkspaceToggleOutOfDate(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	srv := h.server()
	c := h.client(srv)
	c.login("author")
	if a := c.get("/workspaces/view/ws/"); !strings.Contains(a.body, "out-of-date actions hidden") {
		t.Fatal("not hidden at first")
	}
	a := c.post("/workspaces/toggle-out-of-date/ws", url.Values{"next_url": {"/workspaces/view/ws/output/"}})
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/workspaces/view/ws/output/" {
		t.Fatalf("toggle: %d %q", a.StatusCode, a.Header.Get("Location"))
	}
	if a := c.get("/workspaces/view/ws/"); !strings.Contains(a.body, "out-of-date actions shown") {
		t.Error("not shown after the toggle")
	}
	// Elsewhere is not followed.
	if a := c.post("/workspaces/toggle-out-of-date/ws", url.Values{"next_url": {"https://evil.example/"}}); a.Header.Get("Location") != "/workspaces/view/ws/" {
		t.Errorf("toggle to elsewhere: %q", a.Header.Get("Location"))
	}
}

func TestWorkspaceFileButtonStates(t *testing.T) {
	h := newHarness(t)
	wsFiles(h)
	// A released file: enabled, supporting only.
	releaseRequest(h, h.Author, addRequest(h, h.Author, "ws", "output/released.csv"))
	srv := h.server()
	c := h.client(srv)
	c.login("author")
	a := c.get("/workspaces/view/ws/output/released.csv")
	if !strings.Contains(a.body, `id="workspace-file-action"`) || !strings.Contains(a.body, "only as a supporting file") ||
		!strings.Contains(a.body, `name="filetype_0" value="SUPPORTING"`) {
		t.Errorf("released file page\n%s", a.body)
	}
	// A request under review: disabled with the reason.
	h.Files.Write("ws", "output/new.csv", "region,count\nEast,30\n")
	r := h.R(h.Svc.AddFiles(h.Ctx, h.Author, "ws", "tables", []service.AddFile{{Path: "output/new.csv", FileType: domain.FileOutput}}))
	for _, g := range r.Groups {
		_, _, err := h.Svc.EditGroup(h.Ctx, h.Author, r.ID, g.Name, "Counts", "Rounded")
		h.OK(err)
	}
	h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	a = c.get("/workspaces/view/ws/output/summary.csv")
	if !strings.Contains(a.body, "disabled-reason") || !strings.Contains(a.body, "files can be added again when it is returned to you") {
		t.Errorf("under review file page\n%s", a.body)
	}
}
