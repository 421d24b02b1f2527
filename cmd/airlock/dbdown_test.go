package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
	"github.com/airlock-go/airlock/internal/testkit"
)

// dbDownWriter is one researcher commenting on their request in a loop.
type dbDownWriter struct {
	c     *client.Client
	id    string // their request
	mu    sync.Mutex
	acked []string // comments answered 2xx
	tried int      // comments sent
	down  int      // answered 503, in all
	// since the last reset: 503s with their reason, and successes
	unavailable, ok int
	unexpected      []string
}

func (w *dbDownWriter) reset() {
	w.mu.Lock()
	w.unavailable, w.ok = 0, 0
	w.mu.Unlock()
}

func (w *dbDownWriter) counts() (unavailable, ok int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.unavailable, w.ok
}

// loop comments until ctx ends. Every answer must be a success or a 503
// "unavailable" whose message says the database cannot be reached.
func (w *dbDownWriter) loop(ctx context.Context, name string) {
	for n := 0; ctx.Err() == nil; n++ {
		text := fmt.Sprintf("%s comment %d", name, n)
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := w.c.Comment(cctx, w.id, "g", text, client.VisibilityPublic)
		cancel()
		if ctx.Err() != nil {
			return // the test is over: this answer may be cut off
		}
		var ae *client.APIError
		w.mu.Lock()
		w.tried++
		switch {
		case err == nil:
			w.acked = append(w.acked, text)
			w.ok++
		case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable && ae.Code == client.CodeUnavailable &&
			strings.Contains(ae.Message, "database cannot be reached"):
			w.unavailable++
			w.down++
		default:
			w.unexpected = append(w.unexpected, fmt.Sprintf("%s: %v (%#v)", text, err, ae))
		}
		w.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
}

// TestDatabaseDownAndBack stops the PostgreSQL server under a running
// `airlock serve` while API clients write in a loop, first cleanly (pg_ctl
// stop -m fast) and then as in a crash (-m immediate), and starts it
// again each time. While it is down every call answers 503 "unavailable"
// with a reason, /readyz says not ready, and a page answers a 503 error
// page; once it is back the calls succeed again, without airlock being
// restarted. At the end every acknowledged comment is in the database
// exactly once and the audit chain verifies.
func TestDatabaseDownAndBack(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	bin := buildAirlock(t)
	root := t.TempDir()
	wsDir := filepath.Join(root, "workspaces")

	const nWriters = 4
	users := map[string]any{}
	var names []string
	for i := range nWriters {
		name := fmt.Sprintf("r%d", i+1)
		ws := "ws" + name
		names = append(names, name)
		testkit.NewDiskWorkspace(t, wsDir, ws).Output("output/a.csv", "region,n\nNorth,10\n", nil).Save()
		users[name] = map[string]any{"token": "login-" + name, "details": map[string]any{
			"username": name, "fullname": name, "output_checker": false,
			"workspaces": map[string]any{ws: map[string]any{
				"project_details": map[string]any{"name": "P", "ongoing": true, "orgs": []string{}}, "archived": false}},
			"copiloted_workspaces": map[string]any{},
		}}
	}
	raw, err := json.Marshal(users)
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(root, "users.json")
	if err := os.WriteFile(usersFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	node := startServeNode(t, bin, "a", []string{
		"AIRLOCK_WORK_DIR=" + filepath.Join(root, "work"),
		"AIRLOCK_DATABASE_URL=" + cluster.URL(),
		"AIRLOCK_WORKSPACE_DIR=" + wsDir,
		"AIRLOCK_LISTEN=127.0.0.1:0",
		"AIRLOCK_DEV_USERS_FILE=" + usersFile,
		"AIRLOCK_UPLOAD_DELAY=0.05",
		"AIRLOCK_LOG_LEVEL=info",
	})
	if node == nil {
		t.FailNow()
	}
	defer func() {
		if t.Failed() {
			t.Logf("node logs, without successful requests (last 8 KiB):\n%s", tail(notable(node.logs.String()), 8<<10))
		}
	}()
	ctx := t.Context()

	// Each researcher logs in and starts a request; one also logs in to
	// the pages.
	writers := map[string]*dbDownWriter{}
	for _, name := range names {
		tok, err := client.New(node.base, "", nil).Token(ctx, name, "login-"+name)
		if err != nil {
			t.Fatalf("login of %s: %v", name, err)
		}
		c := client.New(node.base, tok.Token, nil)
		r, err := c.AddFiles(ctx, "ws"+name, "g", []client.AddFile{{Path: "output/a.csv", FileType: client.FileTypeOutput}})
		if err != nil {
			t.Fatalf("%s adds a file: %v", name, err)
		}
		writers[name] = &dbDownWriter{c: c, id: r.ID}
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(node.base+"/login/", url.Values{"user": {names[0]}, "token": {"login-" + names[0]}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("page login: %v %v", resp, err)
	}
	resp.Body.Close()
	page := "/requests/view/" + writers[names[0]].id + "/"
	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		resp, err := c.Get(node.base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(browser, page); status != http.StatusOK {
		t.Fatalf("request page before the outage: %d\n%s", status, body)
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for name, w := range writers {
		wg.Go(func() { w.loop(loadCtx, name) })
	}
	defer func() { stopLoad(); wg.Wait() }()

	// waitAll waits until every writer has seen cond, up to a generous
	// minute (the outage's length is not what this test measures), and
	// stops at the first answer that is neither a success nor a 503 with
	// its reason.
	waitAll := func(what string, cond func(unavailable, ok int) bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			done := true
			for name, w := range writers {
				w.mu.Lock()
				bad := slices.Clone(w.unexpected)
				w.mu.Unlock()
				if len(bad) > 0 {
					t.Fatalf("%s, waiting for %s: %d unexpected answers, the first: %s", name, what, len(bad), bad[0])
				}
				if !cond(w.counts()) {
					done = false
				}
			}
			if done {
				return
			}
			if time.Now().After(deadline) {
				for name, w := range writers {
					u, ok := w.counts()
					t.Logf("%s: %d unavailable, %d ok since the last step", name, u, ok)
				}
				t.Fatalf("not every writer saw %s within a minute", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitAll("a success before the outage", func(_, ok int) bool { return ok > 0 })
	for _, mode := range []string{"fast", "immediate"} {
		if err := cluster.Stop(mode); err != nil {
			t.Fatal(err)
		}
		for _, w := range writers {
			w.reset()
		}
		waitAll("a 503 with its reason while the database is down (-m "+mode+")", func(u, _ int) bool { return u > 0 })
		if status, body := get(http.DefaultClient, "/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
			t.Errorf("readyz while the database is down: %d %s", status, body)
		}
		if status, body := get(browser, page); status != http.StatusServiceUnavailable || !strings.Contains(body, "database cannot be reached") {
			t.Errorf("a page while the database is down: %d, want a 503 page saying why\n%s", status, body)
		}
		// Other calls, each reaching the database its own way: logins,
		// lists, the workspace browser, a page login.
		w0 := writers[names[0]]
		for what, call := range map[string]func() error{
			"API login": func() error {
				_, err := client.New(node.base, "", nil).Token(ctx, names[0], "login-"+names[0])
				return err
			},
			"requests":         func() error { _, err := w0.c.Requests(ctx, client.RequestFilter{}); return err },
			"workspaces":       func() error { _, err := w0.c.Workspaces(ctx); return err },
			"workspace folder": func() error { _, err := w0.c.Files(ctx, "ws"+names[0], "output"); return err },
			"request":          func() error { _, err := w0.c.Request(ctx, w0.id); return err },
			"audit":            func() error { _, err := w0.c.Audit(ctx, w0.id); return err },
		} {
			var ae *client.APIError
			if err := call(); !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Code != client.CodeUnavailable {
				t.Errorf("%s while the database is down: %v, want 503 unavailable", what, err)
			}
		}
		anon := &http.Client{CheckRedirect: browser.CheckRedirect}
		resp, err := anon.PostForm(node.base+"/login/", url.Values{"user": {names[1]}, "token": {"login-" + names[1]}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("page login while the database is down: %d, want 503", resp.StatusCode)
		}

		if err := cluster.Start(); err != nil {
			t.Fatal(err)
		}
		for _, w := range writers {
			w.reset()
		}
		back := time.Now()
		waitAll("a success once the database is back (-m "+mode+")", func(_, ok int) bool { return ok > 0 })
		t.Logf("-m %s: every writer succeeded again %v after the server was back", mode, time.Since(back).Round(time.Millisecond))
		if status, body := get(http.DefaultClient, "/readyz"); status != http.StatusOK {
			t.Errorf("readyz once the database is back: %d %s", status, body)
		}
		if status, body := get(browser, page); status != http.StatusOK {
			t.Errorf("a page once the database is back: %d\n%s", status, body)
		}
	}
	stopLoad()
	wg.Wait()
	select {
	case <-node.done:
		t.Fatal("airlock stopped during the test")
	default:
	}

	// Nothing acknowledged is lost, nothing is there twice.
	total, tried, down := 0, 0, 0
	for name, w := range writers {
		for _, u := range w.unexpected {
			t.Errorf("%s: unexpected answer: %s", name, u)
		}
		r, err := w.c.Request(ctx, w.id)
		if err != nil {
			t.Fatalf("%s's request: %v", name, err)
		}
		stored := map[string]int{}
		for _, g := range r.Groups {
			for _, c := range g.Comments {
				stored[c.Text]++
			}
		}
		for _, text := range w.acked {
			if stored[text] != 1 {
				t.Errorf("acknowledged comment %q is stored %d times", text, stored[text])
			}
		}
		for text, n := range stored {
			if n > 1 {
				t.Errorf("comment %q is stored %d times", text, n)
			}
		}
		total += len(w.acked)
		tried += w.tried
		down += w.down
	}
	t.Logf("%d comments sent: %d acknowledged, all stored once; %d answered 503 unavailable", tried, total, down)
	if code, out, errOut := airlock(t, "", "audit", "verify", "--database-url", cluster.URL()); code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}
