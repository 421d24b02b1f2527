package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// treeLinks are the hrefs of the tree's file and folder links in a page.
var treeLinkRe = regexp.MustCompile(`<a (?:id="[^"]*" )?class="tree-node tree-file[^"]*" href="([^"]+)"|<summary class="tree-node tree-dir[^"]*"><a href="([^"]+)"`)

func treeLinks(body string) []string {
	nav := body
	if i := strings.Index(nav, `aria-label="Groups and files"`); i >= 0 {
		nav = nav[i:]
		if j := strings.Index(nav, "</nav>"); j >= 0 {
			nav = nav[:j]
		}
	}
	var out []string
	for _, m := range treeLinkRe.FindAllStringSubmatch(nav, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}

// TestRequestTreeFolders: the tree lists a group's top level with its
// folders collapsed; a page opens the folders on the way to it; a
// collapsed folder's contents come from the lazy tree URL.
func TestRequestTreeFolders(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Pending(h.Author, "out/x.csv", "top.csv")
	for _, p := range []string{"out/dir/one.csv", "out/dir/two.csv", "out/dir/sub/deep.csv"} {
		h.Files.Write(testkit.Workspace, p, "a\n1\n")
	}
	h.R(h.Svc.AddFiles(h.Ctx, h.Author, testkit.Workspace, "g", addFiles("out/dir/one.csv", "out/dir/two.csv", "out/dir/sub/deep.csv")))
	c := h.client(srv)
	c.login("author")
	base := "/requests/view/" + r.ID + "/g/"
	tests := []struct {
		name, page string
		want       []string // the tree's links, in order
	}{
		{"overview: the top level only", "/requests/view/" + r.ID + "/", []string{base + "out/", base + "top.csv"}},
		{"a file opens its folders", base + "out/dir/one.csv", []string{base + "out/", base + "out/dir/", base + "out/dir/sub/", base + "out/dir/one.csv", base + "out/dir/two.csv", base + "out/x.csv", base + "top.csv"}},
		{"a folder opens itself", base + "out/dir/sub/", []string{base + "out/", base + "out/dir/", base + "out/dir/sub/", base + "out/dir/sub/deep.csv", base + "out/dir/one.csv", base + "out/dir/two.csv", base + "out/x.csv", base + "top.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.get(tt.page)
			if a.StatusCode != http.StatusOK {
				t.Fatalf("%d\n%s", a.StatusCode, a.body)
			}
			if got := treeLinks(a.body); !slices.Equal(got, tt.want) {
				t.Errorf("tree links\n got %q\nwant %q", got, tt.want)
			}
		})
	}

	// The lazy tree: a folder's children, and 404s that say why.
	a := c.get("/requests/tree/" + r.ID + "/g/out/dir/")
	if a.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(a.body), "<ul>") {
		t.Fatalf("lazy folder: %d\n%s", a.StatusCode, a.body)
	}
	if got := treeLinks(`<nav aria-label="Groups and files">` + a.body); !slices.Equal(got, []string{base + "out/dir/sub/", base + "out/dir/one.csv", base + "out/dir/two.csv"}) {
		t.Errorf("lazy folder links %q", got)
	}
	for _, bad := range []string{"/requests/tree/" + r.ID + "/g/nope/", "/requests/tree/" + r.ID + "/nope/out/", "/requests/tree/" + r.ID + "/g/top.csv/"} {
		if a := c.get(bad); a.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", bad, a.StatusCode)
		}
	}
	// An output checker opens folders of a submitted request too.
	h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	o := h.client(srv)
	o.login("c1")
	if a := o.get("/requests/tree/" + r.ID + "/g/out/"); a.StatusCode != http.StatusOK {
		t.Errorf("a checker opening a folder of a submitted request: %d", a.StatusCode)
	}
}

// TestRequestFolderPage: human sizes, the Modified column, and the
// author's actions only while the request may be changed.
func TestRequestFolderPage(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Pending(h.Author, "out/x.csv")
	h.Files.Write(testkit.Workspace, "out/dir/big.csv", "a\n"+strings.Repeat("1234567890\n", 120_000))
	h.R(h.Svc.AddFiles(h.Ctx, h.Author, testkit.Workspace, "g", addFiles("out/dir/big.csv")))
	c := h.client(srv)
	c.login("author")
	a := c.get("/requests/view/" + r.ID + "/g/out/")
	for _, want := range []string{"<th scope=\"col\">Modified</th>", `>dir/</a>`, `name="selected" value="out/x.csv"`, `data-dialog-open="sel-withdraw-dialog"`, `value="move"`, `value="type"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("folder page lacks %s", want)
		}
	}
	a = c.get("/requests/view/" + r.ID + "/g/out/dir/")
	if !strings.Contains(a.body, ">1.32 MB<") {
		t.Errorf("no human size in\n%s", a.body)
	}
	h.R(h.Svc.Submit(h.Ctx, h.Author, r.ID))
	a = c.get("/requests/view/" + r.ID + "/g/out/")
	if strings.Contains(a.body, `name="selected"`) || strings.Contains(a.body, `data-dialog-open="sel-withdraw-dialog"`) {
		t.Errorf("a submitted request's folder offers the actions")
	}
	if !strings.Contains(a.body, `class="small muted req-selection-reason">You cannot withdraw, move or retype files now.`) {
		t.Errorf("a submitted request's folder does not say why its files cannot be changed")
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.00 kB", 1234: "1.23 kB", 12_345: "12.3 kB", 999_499: "999 kB", 999_949: "1.00 MB",
		999_950: "1.00 MB", 1_234_567: "1.23 MB", 123_456_789: "123 MB", 5_000_000_000: "5.00 GB", 7_000_000_000_000_000: "7000 TB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestRequestSelection posts the folder page's actions: the files the
// rule allows are changed, each other is reported with the rule's words,
// and the page goes back to the folder (or where its files went).
func TestRequestSelection(t *testing.T) {
	h := newHarness(t)
	srv := h.server()
	r := h.Returned(h.Author) // out/a.csv and out/b.csv in g
	c := h.client(srv)
	c.login("author")
	folder := "/requests/view/" + r.ID + "/g/out/"
	post := func(form url.Values) (string, string) {
		t.Helper()
		form.Set("next", folder)
		a := c.post("/requests/selection/"+r.ID, form)
		if a.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: %d\n%s", form, a.StatusCode, a.body)
		}
		loc := a.Header.Get("Location")
		return loc, c.get(loc).body
	}

	h.R(h.Svc.WithdrawFiles(h.Ctx, h.Author, r.ID, []string{"out/a.csv"}))
	loc, body := post(url.Values{"action": {"withdraw"}, "selected": {"out/a.csv", "out/b.csv", "out/zzz.csv"}})
	if loc != folder {
		t.Errorf("back at %s", loc)
	}
	for _, want := range []string{"Withdrawn from the request: out/b.csv", "Not changed: out/a.csv: out/a.csv has already been withdrawn.", "Not changed: out/zzz.csv: out/zzz.csv is not a file of this request."} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if f, _ := h.Get(r.ID).File("out/b.csv"); f.FileType != domain.FileWithdrawn {
		t.Errorf("out/b.csv is %s", f.FileType)
	}

	// Bad input: no action, no files, a bad type: a 4xx or a message, nothing changed.
	v := h.Get(r.ID).Version
	if a := c.post("/requests/selection/"+r.ID, url.Values{"selected": {"out/a.csv"}}); a.StatusCode != http.StatusBadRequest {
		t.Errorf("no action: %d", a.StatusCode)
	}
	if _, body := post(url.Values{"action": {"move"}, "group": {"g"}}); !strings.Contains(body, "select at least one file") {
		t.Errorf("no files: no message")
	}
	if _, body := post(url.Values{"action": {"type"}, "filetype": {"WITHDRAWN"}, "selected": {"out/a.csv"}}); !strings.Contains(body, "choose output or supporting") {
		t.Errorf("bad type: no message")
	}
	if got := h.Get(r.ID).Version; got != v {
		t.Errorf("bad input changed the request: version %d → %d", v, got)
	}
}
