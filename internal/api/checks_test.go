package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

type checksDoc struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Cells    [][2]int `json:"cells"`
}

// TestChecksInDocuments: workspace file entries and request documents
// carry the findings in the shape; a blocking finding stops
// submission (409 policy) until the author overrides it through the API,
// and the override shows in the document.
func TestChecksInDocuments(t *testing.T) {
	e := testkit.NewEnv(t)
	cfg := checks.Default()
	cfg.Rules.SmallCount.Severity = checks.SeverityBlocking
	ck, err := checks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Svc = service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now, Checks: ck})
	h := newHarnessOn(t, e)
	e.Files.Write(testkit.Workspace, "out/t.csv", "region,n\nNorth,3\nSouth,25\n")

	status, raw := h.call(author, "GET", "/api/v1/workspaces/ws/files/out/t.csv", nil)
	entry := decodeInto[struct {
		Checks *[]checksDoc `json:"checks"`
	}](t, raw)
	if status != http.StatusOK || entry.Checks == nil || len(*entry.Checks) != 1 {
		t.Fatalf("file entry: %d %s", status, raw)
	}
	got := (*entry.Checks)[0]
	if got.Rule != "small_count" || got.Severity != "blocking" || len(got.Cells) != 1 || got.Cells[0] != [2]int{0, 1} || got.Message == "" {
		t.Errorf("finding: %+v", got)
	}
	_, raw = h.call(author, "GET", "/api/v1/workspaces/ws/files/out", nil)
	var dir struct {
		Children []map[string]json.RawMessage `json:"children"`
	}
	if err := json.Unmarshal(raw, &dir); err != nil || len(dir.Children) == 0 {
		t.Fatalf("folder: %v %s", err, raw)
	}
	for _, c := range dir.Children {
		if _, ok := c["checks"]; !ok {
			t.Errorf("folder entry without checks: %s", raw)
		}
	}

	status, raw = h.call(author, "POST", "/api/v1/workspaces/ws/request/files",
		map[string]any{"group": "g", "files": []map[string]string{{"path": "out/t.csv"}}})
	if status != http.StatusOK {
		t.Fatalf("add: %d %s", status, raw)
	}
	doc := decodeInto[struct {
		ID     string `json:"id"`
		Groups []struct {
			Files []struct {
				Checks         []checksDoc     `json:"checks"`
				ChecksOverride json.RawMessage `json:"checks_override"`
			} `json:"files"`
		} `json:"groups"`
	}](t, raw)
	f := doc.Groups[0].Files[0]
	if len(f.Checks) != 1 || f.Checks[0].Rule != "small_count" || string(f.ChecksOverride) != "null" {
		t.Fatalf("request file: %s", raw)
	}
	h.call(author, "PUT", "/api/v1/requests/"+doc.ID+"/groups/g", map[string]string{"context": "c", "controls": "c"})
	status, raw = h.call(author, "POST", "/api/v1/requests/"+doc.ID+"/submit", nil)
	if eb := checkError(t, "submit", status, raw); status != http.StatusConflict || eb.Error.Code != "policy" || !strings.Contains(eb.Error.Message, "out/t.csv") {
		t.Fatalf("submit with a blocking finding: %d %s", status, raw)
	}
	for _, bad := range []map[string]string{{"justification": "no path given here"}, {"path": "out/t.csv", "justification": "short"}} {
		if status, raw := h.call(author, "POST", "/api/v1/requests/"+doc.ID+"/files/override-checks", bad); status != http.StatusBadRequest {
			t.Errorf("override %v: %d %s", bad, status, raw)
		}
	}
	status, raw = h.call(author, "POST", "/api/v1/requests/"+doc.ID+"/files/override-checks",
		map[string]string{"path": "out/t.csv", "justification": "These are counts of GP practices, not patients."})
	if status != http.StatusOK || !strings.Contains(string(raw), `"justification":"These are counts of GP practices, not patients."`) {
		t.Fatalf("override: %d %s", status, raw)
	}
	if status, raw := h.call(author, "POST", "/api/v1/requests/"+doc.ID+"/submit", nil); status != http.StatusOK {
		t.Fatalf("submit after the override: %d %s", status, raw)
	}
	r := h.Get(doc.ID)
	if r.Status != domain.StatusSubmitted {
		t.Errorf("status %s", r.Status)
	}
}
