package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// TestBrowserFileContextDialog: on a file page a checker opens "View
// Context & Comments", reads the group's context, comments on the file,
// and finds the comment, linked to the file, on the group page.
func TestBrowserFileContextDialog(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	f := r.OutputFiles()[0]
	filePage := "/requests/view/" + r.ID + "/g/" + f.Relpath

	c1 := newBrowser(t, h)
	c1.login("c1")
	c1.open(filePage)
	if open := eval[bool](c1, `document.getElementById("context-dialog").open`); open {
		t.Fatalf("the dialog is open before it is asked for")
	}
	c1.click(`button[data-dialog-open="context-dialog"]`)
	if open := eval[bool](c1, `document.getElementById("context-dialog").open`); !open {
		t.Fatalf("the Context & Comments dialog did not open")
	}
	if got := c1.text("#context-dialog .req-readonly"); !strings.Contains(got, "Context") || strings.Contains(got, "—\nControls\n—") {
		t.Errorf("the dialog does not show the group's context and controls: %q", got)
	}
	c1.typeInto("#context-dialog textarea[name=comment]", "Please round the counts in this table.")
	c1.screenshotViewport("request-file-context-dialog")
	c1.clickToLoad(`#context-dialog button[type=submit]`)
	if loc := c1.location(); loc != filePage {
		t.Errorf("after commenting: at %s, want the file page", loc)
	}
	c1.open("/requests/view/" + r.ID + "/g/")
	comment := c1.text(".req-comments")
	if !strings.Contains(comment, "File: "+f.Relpath) || !strings.Contains(comment, "Please round the counts") {
		t.Errorf("group comments: %q", comment)
	}
	if n := eval[int](c1, fmt.Sprintf(`document.querySelectorAll('.req-comment-text a[href$=%q]').length`, f.Relpath)); n != 1 {
		t.Errorf("the comment does not link to the file (%d links)", n)
	}

	// Deleting it asks first, in a styled dialog saying what will happen,
	// with the focus on Cancel (it destroys); OK deletes.
	c1.click(`form[data-confirm^="Delete this comment?"] button[type=submit]`)
	if !eval[bool](c1, `!!document.querySelector("#confirm-dialog[open]")`) {
		t.Fatalf("Delete did not open the confirmation dialog")
	}
	if focused := eval[string](c1, `document.activeElement.textContent.trim()`); focused != "Cancel" {
		t.Errorf("the focus is on %q, want Cancel", focused)
	}
	c1.screenshotViewport("request-comment-delete-dialog")
	c1.clickToLoad(`#confirm-dialog [data-confirm-ok]`)
	if got := c1.text(".req-comments"); strings.Contains(got, "Please round the counts") {
		t.Errorf("the comment is still there after Delete was confirmed: %q", got)
	}
	if d := c1.seenDialogs(); len(d) != 0 {
		t.Errorf("the browser's own dialogs opened: %q", d)
	}
}

// TestBrowserActivitySearch: the activity table shows 10 events a page,
// pages on, and searches.
func TestBrowserActivitySearch(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	for i := range 14 {
		if _, err := h.Svc.CreateComment(h.Ctx, h.C1, r.ID, "g", fmt.Sprintf("note %d", i), domain.VisibilityPrivate); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Svc.Vote(h.Ctx, h.C1, r.ID, r.OutputFiles()[0].Relpath, domain.VoteApproved); err != nil {
		t.Fatal(err)
	}
	c1 := newBrowser(t, h)
	c1.login("c1")
	c1.open("/requests/view/" + r.ID + "/")
	rows := func() int { return eval[int](c1, `document.querySelectorAll(".req-activity tbody tr").length`) }
	if n := rows(); n != 10 {
		t.Errorf("first page: %d rows, want 10", n)
	}
	c1.screenshot("request-activity-page-1")
	c1.clickToLoad(`.pager a[rel=next]`)
	if n := rows(); n == 0 || n > 10 {
		t.Errorf("second page: %d rows", n)
	}
	if got := c1.text(".pager"); !strings.Contains(got, "Page 2 of") {
		t.Errorf("pager on page 2: %q", got)
	}
	c1.typeInto("#activity-q", "approved")
	c1.clickToLoad(`.activity-search button[type=submit]`)
	if n := rows(); n != 1 {
		t.Errorf("search for 'approved': %d rows, want 1", n)
	}
	if got := c1.text(".req-activity tbody"); !strings.Contains(got, "c1 approved out/a.csv") {
		t.Errorf("search result: %q", got)
	}
	c1.screenshot("request-activity-search")
}
