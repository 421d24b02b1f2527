package web

import (
	"net/url"
	"testing"

	"github.com/airlock-go/airlock/internal/testkit"
)

func TestRequestMultiselectWithdraw(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Pending(h.Author, "out/x.csv")
	h.Files.Write(testkit.Workspace, "out/dir/one.csv", "a\n1\n")
	h.Files.Write(testkit.Workspace, "out/dir/two.csv", "a\n2\n")
	h.R(h.Svc.AddFiles(h.Ctx, h.Author, testkit.Workspace, "g", addFiles("out/dir/one.csv", "out/dir/two.csv")))
	c := h.client(srv)
	c.login("author")
	a := c.post("/requests/multiselect/"+r.ID, url.Values{"action": {"withdraw_files"}, "selected": {"out/dir/one.csv", "out/dir/two.csv"},
		"next": {"/requests/view/" + r.ID + "/g/out/dir/"}})
	if a.StatusCode != 303 {
		t.Fatalf("multiselect: %d %s", a.StatusCode, a.body)
	}
	got := h.Get(r.ID)
	for _, p := range []string{"out/dir/one.csv", "out/dir/two.csv"} {
		if _, ok := got.File(p); ok {
			t.Errorf("%s still on the request", p)
		}
	}
	if loc := a.Header.Get("Location"); loc != "/requests/view/"+r.ID+"/g/" {
		t.Errorf("after withdrawing the whole folder: %s", loc)
	}
}
