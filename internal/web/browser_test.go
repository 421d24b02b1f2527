package web

// Browser tests: headless Chromium (Debian's chromium package) drives the
// real server, as a person would. Without Chromium they skip, except on
// CI (CI=true), where that is a failure. Screenshots of what they saw go
// to test-artifacts/screenshots/<name>.png at the repository's root.
//
// A test starts a harness (newHarness), then a browser on it
// (newBrowser), and uses its helpers: open, login, click, text, eval,
// screenshot. Console errors about the Content-Security-Policy, uncaught
// exceptions and JavaScript dialogs are collected; the first two fail the
// test at its end.

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// actionTimeout bounds each browser step.
const actionTimeout = 20 * time.Second

// browser is a headless Chromium on a harness's server.
type browser struct {
	t    testing.TB
	h    *harness
	base string // the server's URL
	ctx  context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	dialogs []string
}

// chromium returns the path of the Chromium to use, or skips the test
// (fails it on CI) when there is none.
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("AIRLOCK_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browser tests need Chromium (apt-get install chromium), and CI=true forbids skipping them")
	}
	t.Skip("Chromium not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// The tests share one Chromium process, started by the first that needs
// it with a fresh profile and stopped by TestMain; each test has its own
// browser context (cookies, storage, cache) and tab.
var shared struct {
	once    sync.Once
	ctx     context.Context // the browser's
	err     error
	stop    func()
	profile string
}

// startChromium starts the shared Chromium.
func startChromium(path string) (context.Context, error) {
	shared.once.Do(func() {
		profile, err := os.MkdirTemp("", "airlock-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		shared.profile = profile
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // root in containers
			chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.NoFirstRun,
			chromedp.UserDataDir(profile),
			chromedp.WindowSize(1280, 900),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		shared.ctx = ctx
		shared.stop = func() {
			cancel()
			cancelAlloc()
			os.RemoveAll(profile)
		}
		// The first run starts the browser; it must not carry a timeout.
		shared.err = chromedp.Do(ctx)
	})
	return shared.ctx, shared.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

// newBrowser opens a fresh browser context (no cookies) with one tab, on
// a new server of h.
func newBrowser(t testing.TB, h *harness) *browser {
	t.Helper()
	path := chromium(t)
	root, err := startChromium(path)
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	srv := h.server()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser tab: %v", err)
	}
	b := &browser{t: t, h: h, base: srv.URL, ctx: ctx}
	b.watch()
	t.Cleanup(b.checkConsole)
	return b
}

// watch collects console messages, and records and answers JavaScript
// dialogs (alert, confirm) so that none blocks the page.
func (b *browser) watch() {
	console := chromedp.Console(b.ctx)
	dialogs := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			// The pages never open the browser's own dialogs (tests
			// assert none was seen); answer OK so that one cannot hang a
			// test. Ignore the error: the page may be gone.
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// checkConsole fails the test on uncaught exceptions and on anything the
// Content-Security-Policy refused (a page that breaks its own policy).
func (b *browser) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
			b.t.Errorf("browser console: %s %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}
}

// seenDialogs returns the JavaScript dialogs opened so far.
func (b *browser) seenDialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// step returns a context for one browser step.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, actionTimeout)
}

// do runs actions, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// run runs one action that returns a value, failing the test on an error.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	return run(b, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// open loads a page of the server (path relative to it) and waits for it
// to load; it returns the answer to the page's document.
func (b *browser) open(path string) *network.Response {
	b.t.Helper()
	return run(b, "open "+path, chromedp.NavigateResponse(b.base+path))
}

// clickToLoad clicks and waits for the page it leads to.
func (b *browser) clickToLoad(sel string) *network.Response {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: click %s: %v", sel, err)
	}
	return resp
}

// click clicks an element and does not wait for anything.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// typeInto types text into a field (after what is there).
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// text returns the visible text of the first element sel matches.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// location returns the page's path and query.
func (b *browser) location() string {
	b.t.Helper()
	loc := run(b, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	if "http://"+u.Host != b.base {
		b.t.Fatalf("the browser left the server: at %s", loc)
	}
	return u.RequestURI()
}

// submitLogin fills in and sends the login form on the current page.
func (b *browser) submitLogin(user, token string) {
	b.t.Helper()
	b.do("fill in the login form",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#user").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#user"), user),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
	)
	b.clickToLoad(`.login-card button[type="submit"]`)
}

// login logs in as user with the login form, with their users-file token.
func (b *browser) login(user string) {
	b.t.Helper()
	b.open("/login/")
	b.submitLogin(user, "login-"+user)
	if loc := b.location(); strings.HasPrefix(loc, "/login/") {
		b.t.Fatalf("login as %s failed: still at %s: %s", user, loc, b.text("main"))
	}
}

// logout logs out with the account menu's button.
func (b *browser) logout() {
	b.t.Helper()
	b.click(".menu-account summary")
	b.clickToLoad(`.menu-account button[type="submit"]`)
}

// screenshot saves a full-page PNG as test-artifacts/screenshots/<name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.savePNG(name, run(b, "screenshot", chromedp.FullScreenshot(100)))
}

// screenshotViewport saves a PNG of what the window shows (with a modal
// dialog, what a person sees).
func (b *browser) screenshotViewport(name string) {
	b.t.Helper()
	b.savePNG(name, run(b, "screenshot", chromedp.CaptureScreenshot()))
}

// screenshotOf saves a PNG of the first element sel matches.
func (b *browser) screenshotOf(name, sel string) {
	b.t.Helper()
	b.savePNG(name, run(b, "screenshot of "+sel, chromedp.Screenshot(chromedp.CSS(sel))))
}

func (b *browser) savePNG(name string, png []byte) {
	b.t.Helper()
	dir := filepath.Join(repoRoot(b.t), "test-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
}

// repoRoot is the folder of go.mod above the test's folder.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// header returns a response header, whatever its case.
func header(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
