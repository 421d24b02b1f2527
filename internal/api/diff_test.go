package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/api"
)

type diffAnswer struct {
	Path string `json:"path"`
	From struct {
		Version int    `json:"version"`
		SHA256  string `json:"sha256"`
		AddedAt string `json:"added_at"`
		AddedBy string `json:"added_by"`
	} `json:"from"`
	To struct {
		Version int    `json:"version"`
		SHA256  string `json:"sha256"`
		AddedAt string `json:"added_at"`
	} `json:"to"`
	Kind string `json:"kind"`
	Same bool   `json:"same"`
	CSV  *struct {
		HeaderChanged bool `json:"header_changed"`
		RowsAdded     []struct {
			Row   int      `json:"row"`
			Cells []string `json:"cells"`
		} `json:"rows_added"`
		RowsAddedTotal   int `json:"rows_added_total"`
		RowsRemovedTotal int `json:"rows_removed_total"`
		Cells            []struct {
			Row int    `json:"row"`
			Col string `json:"col"`
			Old string `json:"old"`
			New string `json:"new"`
		} `json:"cells"`
		CellsTotal int `json:"cells_total"`
	} `json:"csv"`
	Text *struct {
		Unified string `json:"unified"`
	} `json:"text"`
	Versions []struct {
		Version int    `json:"version"`
		SHA256  string `json:"sha256"`
	} `json:"versions"`
	Reviewed *string `json:"reviewed"`
}

func TestDiff(t *testing.T) {
	h := newHarness(t)
	r := h.Resubmitted(h.Author,
		map[string]string{"out/t.csv": "region,n\nNorth,10\nSouth,12\n", "out/n.md": "# A\nold\n"},
		map[string]string{"out/t.csv": "region,n\nNorth,10\nSouth,15\nWest,20\n", "out/n.md": "# A\nnew\n"})
	base := api.Prefix + "/requests/" + r.ID + "/diff/"

	status, raw := h.call(h.C1.Username, "GET", base+"out/t.csv?from=reviewed", nil)
	if status != http.StatusOK {
		t.Fatalf("diff: %d %s", status, raw)
	}
	d := decodeInto[diffAnswer](t, raw)
	if d.Path != "out/t.csv" || d.Kind != "csv" || d.From.Version != 1 || d.To.Version != 2 || d.From.AddedBy != h.Author.Username ||
		d.From.AddedAt == "" || d.Same || len(d.Versions) != 2 || d.Reviewed == nil || *d.Reviewed != d.From.SHA256 {
		t.Errorf("diff answer: %s", raw)
	}
	if c := d.CSV; c == nil || c.CellsTotal != 1 || c.Cells[0].Row != 2 || c.Cells[0].Col != "n" || c.Cells[0].Old != "12" ||
		c.Cells[0].New != "15" || c.RowsAddedTotal != 1 || c.RowsAdded[0].Cells[0] != "West" || c.HeaderChanged {
		t.Errorf("CSV diff: %s", raw)
	}

	// Text, with a version number and the default from.
	status, raw = h.call(h.C2.Username, "GET", base+"out/n.md", nil)
	if d := decodeInto[diffAnswer](t, raw); status != http.StatusOK || d.Kind != "text" || d.Text == nil ||
		!strings.Contains(d.Text.Unified, "-old\n+new\n") || d.CSV != nil {
		t.Errorf("text diff: %d %s", status, raw)
	}
	status, raw = h.call(h.Author.Username, "GET", base+"out/n.md?from=1&to=2", nil)
	if status != http.StatusOK {
		t.Errorf("the author's diff by number: %d %s", status, raw)
	}
	sha := d.From.SHA256
	status, raw = h.call(h.Author.Username, "GET", base+"out/t.csv?from="+url.QueryEscape(sha[:12]), nil)
	if d := decodeInto[diffAnswer](t, raw); status != http.StatusOK || d.From.Version != 1 {
		t.Errorf("the diff by sha256 prefix: %d %s", status, raw)
	}

	// The request document lists each file's versions.
	status, raw = h.call(h.C1.Username, "GET", api.Prefix+"/requests/"+r.ID, nil)
	doc := decodeInto[struct {
		Groups []struct {
			Files []struct {
				Path     string `json:"path"`
				SHA256   string `json:"sha256"`
				Versions []struct {
					Version int    `json:"version"`
					SHA256  string `json:"sha256"`
					AddedBy string `json:"added_by"`
					AddedAt string `json:"added_at"`
				} `json:"versions"`
			} `json:"files"`
		} `json:"groups"`
	}](t, raw)
	for _, f := range doc.Groups[0].Files {
		if status != http.StatusOK || len(f.Versions) != 2 || f.Versions[1].SHA256 != f.SHA256 || f.Versions[0].AddedBy != h.Author.Username || f.Versions[0].AddedAt == "" {
			t.Errorf("versions of %s in the request document: %+v", f.Path, f.Versions)
		}
	}

	refusals := []struct {
		user, path string
		status     int
		words      string
	}{
		{h.Author.Username, "out/t.csv", http.StatusNotFound, "you have not voted"},
		{h.C1.Username, "out/none.csv?from=1", http.StatusNotFound, "not on request"},
		{h.C1.Username, "out/t.csv?from=5", http.StatusNotFound, "versions are 1 to 2"},
		{h.C1.Username, "out/t.csv?from=previous&to=1", http.StatusNotFound, "no previous version"},
		{h.Outsider.Username, "out/t.csv?from=1", http.StatusForbidden, ""},
		{"", "out/t.csv?from=1", http.StatusUnauthorized, ""},
	}
	for _, tt := range refusals {
		status, raw := h.call(tt.user, "GET", base+tt.path, nil)
		eb := checkError(t, tt.path, status, raw)
		if status != tt.status || !strings.Contains(eb.Error.Message, tt.words) {
			t.Errorf("%s as %q: %d %s, want %d saying %q", tt.path, tt.user, status, raw, tt.status, tt.words)
		}
	}
}
