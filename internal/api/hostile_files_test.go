//go:build unix

package api_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

// TestHostileWorkspaceFiles: asking the API for a link, FIFO, socket,
// device or folder that the manifest lists as an output answers promptly
// with a 4xx and never the secret's bytes; adding it is refused and
// writes nothing. A content_hash that is not a sha256 is a 400 naming the
// path and the problem.
func TestHostileWorkspaceFiles(t *testing.T) {
	e := testkit.NewEnv(t)
	dir := t.TempDir()
	cases := testkit.NewHostileFiles(t, dir, testkit.Workspace, "0xdeadbeef")
	e.UseDisk(dir, filepath.Join(t.TempDir(), "requests"))
	h := newHarnessOn(t, e)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			testkit.Promptly(t, tc.Path, func() {
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
				if tc.Name == testkit.BadHashCase && (status != http.StatusBadRequest || !strings.Contains(string(raw), "content_hash")) {
					t.Errorf("adding an output with a bad hash: %d %s", status, raw)
				}
				if cur, _ := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); cur != nil {
					t.Errorf("a request was written")
				}
			})
		})
	}
	// The folder's listing, with each file's checks, answers too.
	testkit.Promptly(t, "the folder listing", func() {
		status, raw := h.call(author, "GET", "/api/v1/workspaces/ws/files/output", nil)
		if status != http.StatusOK || strings.Contains(string(raw), "very secret") || !strings.Contains(string(raw), "cannot be used: it is a named pipe") {
			t.Errorf("folder: %d %s", status, raw)
		}
	})
}
