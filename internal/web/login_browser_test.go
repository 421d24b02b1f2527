package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestBrowserLogin(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	resp := b.open("/login/")
	if got := header(resp, "Content-Security-Policy"); got != PageCSP {
		t.Errorf("login page CSP %q, want %q", got, PageCSP)
	}
	if !strings.Contains(b.text(".banner-dev"), "Development mode") {
		t.Errorf("no development-mode banner on the login page")
	}
	b.screenshot("login")

	b.submitLogin("author", "not-the-token")
	if loc := b.location(); !strings.HasPrefix(loc, "/login/") {
		t.Fatalf("a wrong token led to %s", loc)
	}
	if got := b.text(".form-error"); got != "Invalid user or token" {
		t.Errorf("error shown: %q", got)
	}
	if got := eval[string](b, `document.querySelector("#user").value`); got != "author" {
		t.Errorf("user field after a failure: %q", got)
	}
	if got := eval[string](b, `document.querySelector("#token").value`); got != "" {
		t.Errorf("the token was sent back to the form")
	}
	b.screenshot("login-invalid-token")

	b.submitLogin("author", "login-author")
	if loc := b.location(); loc != "/workspaces/" {
		t.Fatalf("after login at %s, want /workspaces/", loc)
	}
	if got := b.text(".flash-success"); got != "Logged in as author" {
		t.Errorf("flash after login: %q", got)
	}
	if got := b.text(".menu-account summary"); got != "Logged in as author" {
		t.Errorf("account menu: %q", got)
	}
}

func TestBrowserLoginRequiredWithNext(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	resp := b.open("/workspaces/?tab=mine")
	want := "/login/?next=" + url.QueryEscape("/workspaces/?tab=mine")
	if loc := b.location(); loc != want {
		t.Fatalf("an anonymous visit ended at %s, want %s", loc, want)
	}
	if got := header(resp, "Content-Security-Policy"); got != PageCSP {
		t.Errorf("CSP %q, want %q", got, PageCSP)
	}
	b.submitLogin("author", "login-author")
	if loc := b.location(); loc != "/workspaces/?tab=mine" {
		t.Errorf("after login at %s, want back at /workspaces/?tab=mine", loc)
	}
}

func TestBrowserLoginIgnoresForeignNext(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	for _, next := range []string{"//evil.example", "//evil.example/x", "https://evil.example/", "/\\evil.example"} {
		b.open("/login/?next=" + url.QueryEscape(next))
		b.submitLogin("author", "login-author")
		// location fails the test if the browser left the server.
		if loc := b.location(); loc != "/workspaces/" {
			t.Errorf("next=%q: after login at %s, want /workspaces/", next, loc)
		}
		b.logout()
	}
}

func TestBrowserSwitchUser(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login("author")
	b.click(".menu-dev summary")
	b.screenshot("switch-user-menu")
	b.clickToLoad(`.menu-dev form:has(input[value="c1"]) button`)
	if loc := b.location(); loc != "/requests/output_checker" {
		t.Errorf("after switching to c1, an output checker, at %s, want their Reviews", loc)
	}
	if got := b.text(".menu-account summary"); got != "Logged in as c1" {
		t.Errorf("after switching to c1: %q", got)
	}
	if got := b.text(".flash-success"); got != "Logged in as c1" {
		t.Errorf("flash after switching: %q", got)
	}
	// c1 is an output checker: Reviews is in the navigation.
	if nav := b.text(".site-nav"); !strings.Contains(nav, "Reviews") {
		t.Errorf("navigation of an output checker: %q", nav)
	}
}

func TestBrowserLogout(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login("author")
	b.click(".menu-account summary")
	b.screenshot("account-menu")
	b.clickToLoad(`.menu-account button[type="submit"]`)
	if loc := b.location(); loc != "/login/" {
		t.Errorf("after logout at %s, want /login/", loc)
	}
	if got := b.text(".flash-info"); got != "You have been logged out." {
		t.Errorf("flash after logout: %q", got)
	}
	b.open("/workspaces/")
	if loc := b.location(); !strings.HasPrefix(loc, "/login/?next=") {
		t.Errorf("after logout /workspaces/ ended at %s, want the login page", loc)
	}
	// The logout page of the GET link asks, then logs out.
	b.login("author")
	b.open("/logout/")
	b.screenshot("logout-confirm")
	b.clickToLoad(`main form button[type="submit"]`)
	if loc := b.location(); loc != "/login/" {
		t.Errorf("after confirming logout at %s", loc)
	}
}

func TestBrowserMenusClose(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login("author")
	b.click(".menu-account summary")
	if !eval[bool](b, `document.querySelector(".menu-account").open`) {
		t.Fatalf("the account menu did not open")
	}
	b.click("h1")
	if eval[bool](b, `document.querySelector(".menu-account").open`) {
		t.Errorf("the account menu stayed open after a click elsewhere")
	}
}
