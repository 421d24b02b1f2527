package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBackAfterLogoutShowsNothing logs in, opens a request and
// one of its files, logs out and presses Back: the browser must show the
// login page, nothing of the last user (every page is no-store, so Back
// asks the server again, which has forgotten the session), at a desktop
// and a phone's width.
func TestBrowserBackAfterLogoutShowsNothing(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"1280x800", 1280, 800}, {"390x844", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.Submitted(h.Author)
			b := newBrowser(t, h)
			b.do("set the viewport", chromedp.EmulateViewport(size.width, size.height))
			b.login("author")
			for _, p := range []string{"/requests/view/" + r.ID + "/", "/requests/view/" + r.ID + "/g/out/a.csv"} {
				b.open(p)
				if got := b.text("main"); !strings.Contains(got, "Counts of things") && !strings.Contains(got, "a.csv") {
					t.Fatalf("%s does not show the request: %q", p, got)
				}
			}
			b.logout()
			if loc := b.location(); loc != "/login/" {
				t.Fatalf("after logout at %s", loc)
			}
			ctx, cancel := b.step()
			err := chromedp.Do(ctx, chromedp.NavigateBack())
			cancel()
			if err != nil {
				// No page load: the browser showed the last user's page
				// from its cache (the back-forward cache).
				t.Fatalf("Back after logout loaded no page from the server (%v): the browser restored the last user's page from its cache", err)
			}
			loc := b.location()
			body := b.text("body")
			if !strings.HasPrefix(loc, "/login/") {
				t.Errorf("Back after logout shows %s, want the login page", loc)
			}
			for _, leak := range []string{r.ID, "Counts of things", "Logged in as", "a.csv"} {
				if strings.Contains(body, leak) {
					t.Errorf("Back after logout shows %q of the last user's page: %q", leak, body)
				}
			}
			b.screenshotViewport(fmt.Sprintf("back-after-logout-%s", size.name))
		})
	}
}
