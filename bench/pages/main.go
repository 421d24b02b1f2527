// Command pages is a load benchmark of airlock's pages against a baseline
// measured in the same run: a hello-world HTTP handler on loopback.
//
// It starts, in this process, (a) a handler that answers "hello, world",
// and (b) the real airlock handler (server.Handler with the JSON API and
// the pages mounted, as `airlock serve` wires them) over a fresh SQLite
// database in a temporary folder, holding one request in REVIEWED with a
// few files. It logs in through POST /login/ with a users file, then
// loads each server in turn with -c connections for -d: every
// connection sends GETs one after the other, reading every answer in
// full. It prints the requests per second, errors and latency percentiles
// of both, and the ratio airlock/hello (the goal is at least 0.25).
//
// The page loaded is the request overview /requests/view/<id>/; if that
// page is not served (it answers 404), /workspaces/ is loaded instead and
// the output says so. Load generator and servers share the machine's
// CPUs, alike for both.
//
//	go run ./bench/pages [-c 64] [-d 20s] [-rounds 3] [-files 5] [-page /workspaces/] [-cpuprofile F]
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/web"
	"github.com/airlock-go/airlock/internal/workspace"
)

// cpuProfile, if set, is where the CPU profile of the airlock load goes.
var cpuProfile string

// rounds is how many times both servers are loaded, alternately.
var rounds int

// pagePath, if set, is the page loaded instead of the request overview.
var pagePath string

// uncached is how many first renders after a change are timed.
var uncached int

const (
	wsName   = "bench"
	group    = "tables"
	author   = "researcher"
	checker1 = "checker1"
	checker2 = "checker2"
	goal     = 0.25
)

func main() {
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 20*time.Second, "how long to load each server")
	files := flag.Int("files", 5, "output files of the request")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the airlock load to this file")
	flag.IntVar(&rounds, "rounds", 3, "rounds of hello then airlock; the verdict is on the median ratio")
	flag.StringVar(&pagePath, "page", "", "load this page instead of the request overview (a path such as /workspaces/)")
	flag.IntVar(&uncached, "uncached", 40, "first renders after a change to time (a checker comments, then loads the page); 0 for none")
	flag.Parse()
	if *conns <= 0 || *dur <= 0 || *files <= 0 || rounds <= 0 {
		fmt.Fprintln(os.Stderr, "-c, -d, -files and -rounds must be positive")
		os.Exit(2)
	}
	if err := run(*conns, *dur, *files); err != nil {
		fmt.Fprintln(os.Stderr, "pages:", err)
		os.Exit(1)
	}
}

func run(conns int, dur time.Duration, nfiles int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-pages-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// (a) hello world.
	hello, err := listen(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello, world\n")
	}))
	if err != nil {
		return err
	}
	defer hello.Close()

	// (b) airlock.
	handler, id, change, closeApp, err := airlock(ctx, dir, nfiles)
	if err != nil {
		return err
	}
	defer closeApp()
	app, err := listen(handler)
	if err != nil {
		return err
	}
	defer app.Close()
	base := "http://" + app.Addr
	cookie, err := login(base, checker1, "token-"+checker1)
	if err != nil {
		return err
	}
	page := "/requests/view/" + id + "/"
	if pagePath != "" {
		page = pagePath
	}
	status, size, err := probe(base+page, cookie)
	if err != nil {
		return err
	}
	note := ""
	if status == http.StatusNotFound && pagePath == "" {
		note = " (the request overview " + page + " is not served yet: loading /workspaces/ instead)"
		page = "/workspaces/"
		if status, size, err = probe(base+page, cookie); err != nil {
			return err
		}
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", page, status)
	}
	fmt.Printf("airlock page %s: %d bytes%s\n", page, size, note)
	fmt.Printf("%d connections, %s each, one after the other, %d rounds\n\n", conns, dur, rounds)

	// Rounds alternate the two servers, so that a disturbance of the
	// machine hits both alike; the verdict is on the median ratio.
	var ratios []float64
	var h, a result
	for round := 1; round <= rounds; round++ {
		if rounds > 1 {
			fmt.Printf("round %d of %d\n", round, rounds)
		}
		h, a, err = loadBoth("http://"+hello.Addr+"/", base+page, cookie, conns, dur, round == rounds)
		if err != nil {
			return err
		}
		h.print("hello world")
		a.print("airlock " + page)
		ratios = append(ratios, a.rps()/h.rps())
		fmt.Printf("ratio %.3f\n\n", ratios[len(ratios)-1])
	}
	slices.Sort(ratios)
	ratio := ratios[len(ratios)/2]
	verdict := "meets"
	if ratio < goal {
		verdict = "misses"
	}
	fmt.Printf("median ratio airlock/hello over %d rounds = %.3f (%s the goal of %.2f); errors in the last round: hello %d, airlock %d\n", rounds, ratio, verdict, goal, h.errors, a.errors)
	if uncached > 0 {
		first, err := firstRenders(ctx, base+page, cookie, change, uncached)
		if err != nil {
			return err
		}
		fmt.Printf("first render after a change (%d changes: a checker comments, then loads %s): p50 %s  p90 %s  max %s\n",
			uncached, page, first.pct(0.5).Round(10*time.Microsecond), first.pct(0.9).Round(10*time.Microsecond), first.pct(1).Round(10*time.Microsecond))
	}
	return nil
}

// firstRenders times n loads of u each right after a change to the
// request (which no page cache may answer), one at a time on an idle
// server.
func firstRenders(ctx context.Context, u, cookie string, change func(context.Context, int) error, n int) (result, error) {
	var r result
	for i := range n {
		if err := change(ctx, i); err != nil {
			return r, fmt.Errorf("change %d: %w", i, err)
		}
		t0 := time.Now()
		status, _, err := probe(u, cookie)
		if err != nil {
			return r, err
		}
		if status != http.StatusOK {
			return r, fmt.Errorf("GET %s after a change: status %d", u, status)
		}
		r.latencies = append(r.latencies, time.Since(t0))
	}
	slices.Sort(r.latencies)
	return r, nil
}

// loadBoth loads hello, then airlock, for dur each; the airlock load is
// profiled when profile is set and -cpuprofile was given.
func loadBoth(helloURL, pageURL, cookie string, conns int, dur time.Duration, profile bool) (result, result, error) {
	h := load(helloURL, "", conns, dur)
	if cpuProfile != "" && profile {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return h, result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return h, result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	return h, load(pageURL, cookie, conns, dur), nil
}

// listenServer is a server on a free loopback port.
type listenServer struct {
	*http.Server
	ln net.Listener
}

func listen(h http.Handler) (*listenServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &listenServer{Server: srv, ln: ln}, nil
}

// airlock builds the real handler over a fresh database in dir, with a
// workspace of nfiles outputs and one REVIEWED request of all of them;
// it returns the handler, the request's id, a change to the request (a
// checker's comment) and what closes it all.
func airlock(ctx context.Context, dir string, nfiles int) (http.Handler, string, func(context.Context, int) error, func(), error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wsDir := filepath.Join(dir, "workspaces")
	paths, err := writeWorkspace(wsDir, nfiles)
	if err != nil {
		return nil, "", nil, nil, err
	}
	usersFile := filepath.Join(dir, "users.json")
	if err := writeUsers(usersFile); err != nil {
		return nil, "", nil, nil, err
	}
	blobs, err := blobstore.New(filepath.Join(dir, "requests"))
	if err != nil {
		return nil, "", nil, nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "airlock.db"))
	if err != nil {
		blobs.Close()
		return nil, "", nil, nil, err
	}
	closeAll := func() { st.Close(); blobs.Close() }
	fail := func(err error) (http.Handler, string, func(context.Context, int) error, func(), error) {
		closeAll()
		return nil, "", nil, nil, err
	}
	svc := service.New(service.Config{Store: st, Workspaces: workspace.NewReader(wsDir), Blobs: blobs, Logger: log})

	users, err := auth.LoadUsersFile(usersFile)
	if err != nil {
		return fail(err)
	}
	byName := map[string]domain.User{}
	for _, u := range users {
		got, err := svc.PutUser(ctx, u.Details)
		if err != nil {
			return fail(fmt.Errorf("put user: %w", err))
		}
		byName[u.User.Username] = got
	}
	id, err := reviewedRequest(ctx, svc, byName, paths)
	if err != nil {
		return fail(err)
	}

	logins := auth.NewLogin(auth.NewDevProvider(users), svc, auth.LoginOptions{Logger: log})
	pages, err := web.New(web.Config{Service: svc, Logins: logins, DevUsers: users, Store: svc, Logger: log})
	if err != nil {
		return fail(err)
	}
	jsonAPI := api.New(api.Config{Service: svc, Logins: logins, Tokens: auth.NewTokens(svc, nil), Logger: log})
	h := server.Handler(server.Config{DB: st, Logger: log, Mount: func(mux *http.ServeMux) {
		jsonAPI.Register(mux)
		pages.Register(mux)
	}})
	change := func(ctx context.Context, i int) error {
		_, err := svc.CreateComment(ctx, byName[checker1], id, group, fmt.Sprintf("Checked again (%d).", i+1), domain.VisibilityPrivate)
		return err
	}
	return h, id, change, closeAll, nil
}

// reviewedRequest has the author add every file, explain the group and
// submit, and both checkers approve every file and submit their reviews.
func reviewedRequest(ctx context.Context, svc *service.Service, u map[string]domain.User, paths []string) (string, error) {
	var add []service.AddFile
	for _, p := range paths {
		add = append(add, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	r, err := svc.AddFiles(ctx, u[author], wsName, group, add)
	if err != nil {
		return "", fmt.Errorf("add files: %w", err)
	}
	if _, _, err := svc.EditGroup(ctx, u[author], r.ID, group, "Counts of patients by region", "Rounded to the nearest 5; counts of 7 or less redacted"); err != nil {
		return "", fmt.Errorf("edit group: %w", err)
	}
	if _, err := svc.Submit(ctx, u[author], r.ID); err != nil {
		return "", fmt.Errorf("submit: %w", err)
	}
	for _, c := range []string{checker1, checker2} {
		for _, p := range paths {
			if _, err := svc.Vote(ctx, u[c], r.ID, p, domain.VoteApproved); err != nil {
				return "", fmt.Errorf("vote: %w", err)
			}
		}
		if _, err := svc.CreateComment(ctx, u[c], r.ID, group, "Looks fine to release.", domain.VisibilityPrivate); err != nil {
			return "", fmt.Errorf("comment: %w", err)
		}
		if r, err = svc.SubmitReview(ctx, u[c], r.ID); err != nil {
			return "", fmt.Errorf("submit review: %w", err)
		}
	}
	if r.Status != domain.StatusReviewed {
		return "", fmt.Errorf("request is %s, want REVIEWED", r.Status)
	}
	return r.ID, nil
}

// writeWorkspace writes a workspace of n CSV outputs with its manifest.
func writeWorkspace(dir string, n int) ([]string, error) {
	ws := filepath.Join(dir, wsName)
	for _, d := range []string{"output/tables", "metadata"} {
		if err := os.MkdirAll(filepath.Join(ws, filepath.FromSlash(d)), 0o755); err != nil {
			return nil, err
		}
	}
	outputs := map[string]workspace.Output{}
	var paths []string
	ts := float64(time.Now().Unix())
	for i := range n {
		rel := fmt.Sprintf("output/tables/counts_%02d.csv", i+1)
		var b strings.Builder
		b.WriteString("region,age_band,count\n")
		for j := range 200 {
			fmt.Fprintf(&b, "region %d,%d-%d,%d\n", j%9, 10*(j%8), 10*(j%8)+9, 5*(j+i+2))
		}
		content := b.String()
		if err := os.WriteFile(filepath.Join(ws, filepath.FromSlash(rel)), []byte(content), 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(content))
		rows, cols := 200, 3
		outputs[rel] = workspace.Output{
			Level: "moderately_sensitive", JobID: "job-bench", JobRequest: "jr-bench", Action: "generate_tables",
			Repo: "https://github.com/opensafely/bench", Commit: "abcdef1234567", Size: int64(len(content)), Timestamp: ts,
			ContentHash: hex.EncodeToString(sum[:]), User: author, RowCount: &rows, ColCount: &cols,
		}
		paths = append(paths, rel)
	}
	raw, err := json.MarshalIndent(workspace.Manifest{Workspace: wsName, Repo: "https://github.com/opensafely/bench", Outputs: outputs}, "", "  ")
	if err != nil {
		return nil, err
	}
	return paths, os.WriteFile(filepath.Join(ws, filepath.FromSlash(workspace.ManifestPath)), raw, 0o644)
}

// writeUsers writes the users file: the author with a role on the
// workspace, two output checkers. Each logs in with "token-<name>".
func writeUsers(path string) error {
	doc := func(name string, checker bool) map[string]any {
		ws := map[string]any{}
		if !checker {
			ws[wsName] = map[string]any{
				"project_details": map[string]any{"name": "Bench project", "ongoing": true, "orgs": []string{"Bench University"}},
				"archived":        false,
			}
		}
		return map[string]any{"token": "token-" + name, "details": map[string]any{
			"username": name, "fullname": name, "output_checker": checker,
			"workspaces": ws, "copiloted_workspaces": map[string]any{},
		}}
	}
	raw, err := json.Marshal(map[string]any{author: doc(author, false), checker1: doc(checker1, true), checker2: doc(checker2, true)})
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// login logs in with the login form and returns the session cookie
// ("name=value").
func login(base, user, token string) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login/", url.Values{"user": {user}, "token": {token}})
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("login as %s: status %d, want 303", user, resp.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	if len(parts) == 0 {
		return "", errors.New("login set no cookie")
	}
	return strings.Join(parts, "; "), nil
}

// probe GETs a page once: its status and size.
func probe(u, cookie string) (int, int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, len(b), err
}

// result is what one load measured.
type result struct {
	ok, errors int
	elapsed    time.Duration
	latencies  []time.Duration // of the successful answers, sorted
	firstErr   string
}

func (r result) rps() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

func (r result) print(name string) {
	fmt.Printf("%-40s %9.0f req/s  ok %8d  errors %5d  p50 %8s  p90 %8s  p99 %8s  max %8s\n",
		name, r.rps(), r.ok, r.errors, r.pct(0.50).Round(time.Microsecond), r.pct(0.90).Round(time.Microsecond),
		r.pct(0.99).Round(time.Microsecond), r.pct(1).Round(time.Microsecond))
	if r.firstErr != "" {
		fmt.Printf("%-40s first error: %s\n", "", r.firstErr)
	}
}

// load sends GETs of u over conns connections for d: each connection
// sends one after the other and reads every answer in full. A success is
// a 200 answer read without error.
func load(u, cookie string, conns int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		all result
		wg  sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			var mine result
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if ctx.Err() != nil {
					break // cut off by the end of the run: not counted
				}
				if err != nil {
					mine.errors++
					if mine.firstErr == "" {
						mine.firstErr = err.Error()
					}
					continue
				}
				mine.ok++
				mine.latencies = append(mine.latencies, time.Since(t0))
			}
			mu.Lock()
			all.ok += mine.ok
			all.errors += mine.errors
			all.latencies = append(all.latencies, mine.latencies...)
			if all.firstErr == "" {
				all.firstErr = mine.firstErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	slices.Sort(all.latencies)
	return all
}
