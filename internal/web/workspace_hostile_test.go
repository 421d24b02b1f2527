//go:build unix

package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

// TestHostileWorkspaceFilePages: the file page and the content of a link,
// FIFO, socket, device or folder that the manifest lists as an output
// answer promptly with a 4xx, never with the secret's bytes; adding it
// from the page writes nothing; the folder page still lists.
func TestHostileWorkspaceFilePages(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	cases := testkit.NewHostileFiles(t, dir, "ws", "")
	withDiskWorkspaces(h, dir)
	c := h.client(h.server())
	c.login("author")
	// The hostile calls go to the handler directly: a hung one must fail
	// the test, not also block the test server's Close for ever.
	session := &http.Cookie{Name: cookieName, Value: c.sessionCookie()}
	call := func(method, target string, form url.Values) answer {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, target, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.AddCookie(session)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		return answer{rec.Result(), rec.Body.String()}
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			for _, page := range []string{"/workspaces/view/ws/", "/workspaces/content/ws/"} {
				testkit.Promptly(t, page+tc.Path, func() {
					a := call(http.MethodGet, page+tc.Path, nil)
					if a.StatusCode < 400 || a.StatusCode >= 500 || strings.Contains(a.body, "very secret") {
						t.Errorf("GET %s%s: %d\n%s", page, tc.Path, a.StatusCode, a.body)
					}
				})
			}
			testkit.Promptly(t, "adding "+tc.Path, func() {
				a := call(http.MethodPost, "/workspaces/add-file-to-request/ws", url.Values{
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
	testkit.Promptly(t, "the folder page", func() {
		if a := call(http.MethodGet, "/workspaces/view/ws/output/", nil); a.StatusCode != 200 || strings.Contains(a.body, "very secret") {
			t.Errorf("folder page: %d", a.StatusCode)
		}
	})
}
