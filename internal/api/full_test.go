package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

// TestAddOnFullDisk: an add that finds the request folder full answers
// 507 insufficient_storage with a message saying so (never a bare 500),
// records nothing and leaves no copy; the same call succeeds once space
// is freed.
func TestAddOnFullDisk(t *testing.T) {
	for name, mk := range testkit.DiskFaults() {
		t.Run(name, func(t *testing.T) {
			fault := mk(t)
			e := testkit.NewEnv(t)
			e.UseFullDisk(fault)
			h := newHarnessOn(t, e)
			body := map[string]any{"group": "g", "files": []map[string]string{{"path": "output/big.csv", "filetype": "OUTPUT"}}}

			fault.Fill()
			before := testkit.FilesUnder(t, fault.Root)
			head, _, err := e.Store.AuditHead(e.Ctx)
			h.OK(err)
			status, raw := h.call("author", "POST", "/api/v1/workspaces/ws/request/files", body)
			eb := checkError(t, "add on a full disk", status, raw)
			if status != http.StatusInsufficientStorage || eb.Error.Code != "insufficient_storage" ||
				!strings.Contains(eb.Error.Message, "request store is full") {
				t.Fatalf("add on a full disk: %d %s", status, raw)
			}
			if strings.Contains(eb.Error.Message, fault.Root) || strings.Contains(eb.Error.Message, ".tmp-") {
				t.Errorf("the message shows the server's folders: %s", eb.Error.Message)
			}
			if r, err := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); r != nil || err != nil {
				t.Errorf("a failed add created a request: %v %v", r, err)
			}
			if now, _, _ := e.Store.AuditHead(e.Ctx); now != head {
				t.Errorf("a failed add wrote audit events: head %d → %d", head, now)
			}
			if after := testkit.FilesUnder(t, fault.Root); !slices.Equal(after, before) {
				t.Errorf("a failed add left files: before %v, after %v", before, after)
			}

			fault.Free()
			status, raw = h.call("author", "POST", "/api/v1/workspaces/ws/request/files", body)
			if status != http.StatusOK || !strings.Contains(string(raw), `"output/big.csv"`) {
				t.Fatalf("add after freeing space: %d %s", status, raw)
			}
		})
	}
}
