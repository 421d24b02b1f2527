package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestDiffSection: the section's fragment (as htmx asks for it)
// and its page (without JavaScript), and a version's content.
func TestRequestDiffSection(t *testing.T) {
	h := newHarness(t)
	r := h.Resubmitted(h.Author,
		map[string]string{"out/t.csv": "region,n\nNorth,10\nSouth,12\n", "out/f.png": "\x89PNG one"},
		map[string]string{"out/t.csv": "region,n\nNorth,10\nSouth,15\n", "out/f.png": "\x89PNG two!"})
	c := h.client(h.server())
	c.login("c1")
	resp := c.get("/requests/diff/"+r.ID+"/out/t.csv", "HX-Request", "true")
	body := resp.body
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Changed since you voted") || !strings.Contains(body, "<del>12</del>") ||
		!strings.Contains(body, "<ins>15</ins>") || strings.Contains(body, "<html") {
		t.Fatalf("fragment: %d\n%s", resp.StatusCode, body)
	}
	resp = c.get("/requests/diff/" + r.ID + "/out/t.csv?from=1&to=2")
	if body := resp.body; resp.StatusCode != http.StatusOK || !strings.Contains(body, "<html") || !strings.Contains(body, "<ins>15</ins>") {
		t.Errorf("page: %d\n%.500s", resp.StatusCode, body)
	}
	resp = c.get("/requests/version/" + r.ID + "/1/out/t.csv")
	if body := resp.body; resp.StatusCode != http.StatusOK || !strings.Contains(body, "12") {
		t.Errorf("version 1: %d\n%.500s", resp.StatusCode, body)
	}
	for path, want := range map[string]int{
		"/requests/version/" + r.ID + "/9/out/t.csv": http.StatusNotFound,
		"/requests/diff/" + r.ID + "/out/none.csv":   http.StatusNotFound,
		"/requests/diff/nope/out/t.csv":              http.StatusNotFound,
	} {
		if resp := c.get(path); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// An image: both versions' size, date and hash, each viewable.
	resp = c.get("/requests/diff/"+r.ID+"/out/f.png", "HX-Request", "true")
	for _, want := range []string{"Changed since you voted", "8 bytes", "9 bytes", "View version 1", "View version 2",
		`href="/requests/version/` + r.ID + `/1/out/f.png"`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("the image's section lacks %q:\n%s", want, resp.body)
		}
	}
	// A bad version in the picker is said in the section, not a 5xx.
	resp = c.get("/requests/diff/"+r.ID+"/out/t.csv?from=7", "HX-Request", "true")
	if body := resp.body; resp.StatusCode != http.StatusOK || !strings.Contains(body, "versions are 1 to 2") {
		t.Errorf("a bad version: %d\n%s", resp.StatusCode, body)
	}
}
