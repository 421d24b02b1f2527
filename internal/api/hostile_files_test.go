//go:build unix

package api_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// TestHostileWorkspaceFiles: asking the API for a link, FIFO, socket,
// device or folder that the manifest lists as an output answers promptly
// with a 4xx and never the secret's bytes; adding it is refused and
// writes nothing. A content_hash that is not a sha256 is a 400 naming the
// path and the problem.
func TestHostileWorkspaceFiles(t *testing.T) {
	e := testkit.NewEnv(t)
	dir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, dir, testkit.Workspace)
	w.Output("output/ok.csv", "a,b\n1,2\n", nil).
		Output("output/badhash.csv", "a,b\n1,2\n", map[string]any{"content_hash": "0xdeadbeef"})
	cases := w.AddHostile(t.TempDir())
	w.Save()
	blobs, err := blobstore.New(filepath.Join(t.TempDir(), "requests"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	e.Svc = service.New(service.Config{Store: e.Store, Workspaces: workspace.NewReader(dir), Blobs: blobs, Notifier: e.Notes, Now: e.Clock.Now})
	h := newHarnessOn(t, e)
	cases = append(cases, testkit.HostileCase{Name: "content_hash not a sha256", Path: "output/badhash.csv", Output: true})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				status, raw := h.call(author, "GET", "/api/v1/workspaces/ws/files/"+tc.Path, nil)
				if status < 400 || status >= 500 || strings.Contains(string(raw), "very secret") {
					t.Errorf("GET %s: %d %s", tc.Path, status, raw)
				}
				eb := checkError(t, tc.Path, status, raw)
				if tc.Output && !strings.Contains(eb.Error.Message, tc.Path) {
					t.Errorf("the message does not name the path: %q", eb.Error.Message)
				}
				status, raw = h.call(author, "POST", "/api/v1/workspaces/ws/request/files",
					map[string]any{"group": "g", "files": []map[string]string{{"path": tc.Path}}})
				if status < 400 || status >= 500 {
					t.Errorf("adding %s: %d %s", tc.Path, status, raw)
				}
				if tc.Name == "content_hash not a sha256" && (status != http.StatusBadRequest || !strings.Contains(string(raw), "content_hash")) {
					t.Errorf("adding an output with a bad hash: %d %s", status, raw)
				}
				if cur, _ := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); cur != nil {
					t.Errorf("a request was written")
				}
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s: no answer within 20s", tc.Path)
			}
		})
	}
	// The folder's listing, with each file's checks, answers too.
	done := make(chan struct{})
	go func() {
		defer close(done)
		status, raw := h.call(author, "GET", "/api/v1/workspaces/ws/files/output", nil)
		if status != http.StatusOK || strings.Contains(string(raw), "very secret") || !strings.Contains(string(raw), "cannot be used: it is a named pipe") {
			t.Errorf("folder: %d %s", status, raw)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the folder listing: no answer within 20s")
	}
}
