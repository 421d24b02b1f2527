package web

import (
	"strings"
	"testing"
)

func TestBrowserUIComponents(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login("author")
	b.open("/ui-components/")
	b.screenshot("ui-components")
	b.screenshotOf("ui-components-browser", ".browser")
	b.screenshotOf("ui-components-buttons", "section.card")

	// Dialogs open and close.
	b.click(`[data-dialog-open="uic-dialog"]`)
	if !eval[bool](b, `document.getElementById("uic-dialog").open`) {
		t.Fatalf("the dialog did not open")
	}
	b.screenshotViewport("ui-components-dialog")
	b.click(`#uic-dialog .modal-close`)
	if eval[bool](b, `document.getElementById("uic-dialog").open`) {
		t.Errorf("the dialog did not close")
	}

	// Select all, and the master box follows the others.
	b.click(`[data-select-all="selected"]`)
	if n := eval[int](b, `document.querySelectorAll('input[name="selected"]:checked').length`); n != 3 {
		t.Errorf("select all checked %d boxes, want 3", n)
	}
	b.click(`input[name="selected"][value="b"]`)
	if !eval[bool](b, `document.querySelector("[data-select-all]").indeterminate`) {
		t.Errorf("the select-all box is not indeterminate when some are checked")
	}

	// A form with data-confirm asks in a styled dialog, never the
	// browser's; Cancel keeps the page.
	b.click(`form[data-confirm] button[type="submit"]`)
	if !eval[bool](b, `!!document.querySelector("#confirm-dialog[open]")`) {
		t.Fatalf("a form with data-confirm did not open the confirmation dialog")
	}
	if got := b.text("#confirm-dialog-text"); !strings.HasPrefix(got, "This form only shows") {
		t.Errorf("the confirmation asks %q", got)
	}
	b.click(`#confirm-dialog [data-confirm-cancel]`)
	if d := b.seenDialogs(); len(d) != 0 {
		t.Errorf("the browser's own dialogs opened: %q", d)
	}
	if loc := b.location(); loc != "/ui-components/" {
		t.Errorf("a cancelled confirm still submitted: at %s", loc)
	}
	if n := eval[int](b, `document.querySelectorAll("button[disabled][data-busy-disabled]").length`); n != 0 {
		t.Errorf("a cancelled form's buttons were disabled")
	}
}

func TestBrowserErrorPages(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login("author")
	resp := b.open("/no/such/page/")
	if resp.Status != 404 {
		t.Errorf("unknown page: status %d", resp.Status)
	}
	if got := b.text("h1"); got != "Page not found" {
		t.Errorf("404 heading %q", got)
	}
	b.screenshot("error-404")
}
