package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestAddOnFullDisk: adding a file from the pages when the request folder
// is full tells the person so (the add dialog's flash, as for any add
// that fails), records nothing and leaves no copy; the same add works
// once space is freed.
func TestAddOnFullDisk(t *testing.T) {
	for name, mk := range testkit.DiskFaults() {
		t.Run(name, func(t *testing.T) {
			fault := mk(t)
			h := newHarness(t, withService(func(e *testkit.Env) *service.Service {
				e.UseFullDisk(fault)
				return e.Svc
			}))
			c := h.client(h.server())
			c.login("author")
			form := url.Values{"group": {"g"}, "file": {"output/big.csv"}, "filetype_0": {"OUTPUT"}, "next_url": {"/workspaces/view/ws/output/"}}

			fault.Fill()
			before := testkit.FilesUnder(t, fault.Root)
			head, _, err := h.Store.AuditHead(h.Ctx)
			h.OK(err)
			a := c.post("/workspaces/add-file-to-request/ws", form)
			if a.StatusCode != http.StatusSeeOther {
				t.Fatalf("add on a full disk: %d, want 303 back to the folder with a message\n%s", a.StatusCode, a.body)
			}
			page := c.get(a.Header.Get("Location"))
			if !strings.Contains(page.body, "The files were not added") || !strings.Contains(page.body, "request store is full") {
				t.Errorf("the page does not say the store is full:\n%s", page.body)
			}
			if r, err := h.Svc.CurrentRequest(h.Ctx, h.Author, "ws"); r != nil || err != nil {
				t.Errorf("a failed add created a request: %v %v", r, err)
			}
			if now, _, _ := h.Store.AuditHead(h.Ctx); now != head {
				t.Errorf("a failed add wrote audit events: head %d → %d", head, now)
			}
			if after := testkit.FilesUnder(t, fault.Root); !slices.Equal(after, before) {
				t.Errorf("a failed add left files: before %v, after %v", before, after)
			}

			fault.Free()
			if a := c.post("/workspaces/add-file-to-request/ws", form); a.StatusCode != http.StatusSeeOther {
				t.Fatalf("add after freeing space: %d", a.StatusCode)
			}
			r, err := h.Svc.CurrentRequest(h.Ctx, h.Author, "ws")
			if err != nil || r == nil {
				t.Fatalf("no request after the add: %v", err)
			}
			if _, ok := r.File("output/big.csv"); !ok {
				t.Errorf("big.csv not added: %v", testkit.SortedPaths(r))
			}
		})
	}
}

// TestErrorPagesOfFaults: the database unreachable (503) and the request
// store full (507) show their message on an error page with their
// status, never the 500 page that reveals nothing.
func TestErrorPagesOfFaults(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{fmt.Errorf("service: load request: %w", store.ErrUnavailable), http.StatusServiceUnavailable, "database cannot be reached"},
		{fmt.Errorf("service: copy: %w", domain.Errorf(domain.ErrInsufficientStorage, "the request store is full")), http.StatusInsufficientStorage, "request store is full"},
	} {
		rec := httptest.NewRecorder()
		h.pages.fail(rec, httptest.NewRequest("GET", "/workspaces/", nil), tc.err)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%v: %d, want %d with %q\n%s", tc.err, rec.Code, tc.status, tc.want, rec.Body.String())
		}
	}
}
