//go:build unix

package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/testkit"
)

// TestHostileWorkspaceFilePages: the file page and the content of a link,
// FIFO, socket, device or folder that the manifest lists as an output
// answer promptly with a 4xx, never with the secret's bytes; adding it
// from the page writes nothing; the folder page still lists.
func TestHostileWorkspaceFilePages(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, dir, "ws")
	w.Output("output/ok.csv", "a,b\n1,2\n", nil)
	cases := w.AddHostile(t.TempDir())
	w.Save()
	withDiskWorkspaces(h, dir)
	c := h.client(h.server())
	c.login("author")
	promptly := func(what string, f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			f()
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no answer within 20s", what)
		}
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			for _, page := range []string{"/workspaces/view/ws/", "/workspaces/content/ws/"} {
				promptly(page+tc.Path, func() {
					a := c.get(page + tc.Path)
					if a.StatusCode < 400 || a.StatusCode >= 500 || strings.Contains(a.body, "very secret") {
						t.Errorf("GET %s%s: %d\n%s", page, tc.Path, a.StatusCode, a.body)
					}
				})
			}
			promptly("adding "+tc.Path, func() {
				a := c.post("/workspaces/add-file-to-request/ws", url.Values{
					"group": {"default"}, "file": {tc.Path}, "filetype_0": {"OUTPUT"}, "next_url": {"/workspaces/view/ws/output/"},
				})
				if strings.Contains(a.body, "very secret") {
					t.Errorf("adding showed the secret")
				}
				if r, _ := h.Svc.CurrentRequest(h.Ctx, h.Author, "ws"); r != nil {
					t.Errorf("adding %s wrote a request: %d", tc.Path, a.StatusCode)
				}
			})
		})
	}
	promptly("the folder page", func() {
		if a := c.get("/workspaces/view/ws/output/"); a.StatusCode != 200 || strings.Contains(a.body, "very secret") {
			t.Errorf("folder page: %d", a.StatusCode)
		}
	})
}
