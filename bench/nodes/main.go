// Command nodes is a load benchmark of several airlock nodes on one
// PostgreSQL database, or of one node on SQLite (-sqlite), and a soak
// test of either.
//
// It creates a fresh database on the PostgreSQL server -db names (whose
// user may create databases; the database is dropped at the end), or
// with -sqlite a SQLite database file in a temporary folder, writes
// workspaces and a users file into a temporary folder, and starts -nodes
// `airlock serve` processes (the binary -airlock names) sharing that
// database, the workspace folder, the request folder and the release
// folder, each with its own work folder, each running the uploader. It
// logs every user in once, and puts -pool requests under review.
//
// Then -c clients call the JSON API for -d, one call after the other,
// each call to the next node in turn, as a load balancer without sticky
// sessions would send them. A -lifecycles share of the clients run whole
// lifecycles, each as a researcher of their own workspace: add three
// files, write the context, submit, two output checkers vote on every
// file and submit their reviews, release. The other clients act as output
// checkers on the requests under review: read a request (45%), list what
// to review (10%), list a workspace folder as its author (10%), read a
// request's audit log (8%), vote on a file (25%, the vote at random), or
// comment (2%). Several checkers vote on the same requests at once, so a
// vote or comment may lose a race and be refused with 409 after its
// retries: such answers are counted apart, as conflicts. Any other answer
// outside 2xx, or a failed call, is an error (the goal: none).
//
// At the end it waits for the uploaders to release every approved
// request, stops the nodes, verifies the audit chain (`airlock audit
// verify`), and prints per node and per kind of call: calls per second,
// errors, conflicts, latency percentiles, and each node's CPU time.
// Clients, nodes and PostgreSQL share the machine's CPUs.
//
// With -sample, it also samples each node's resident memory (VmRSS in
// /proc/PID/status) and its goroutines, heap in use and open files (from
// its /metrics): idle before the load, at the start of the load once
// -warmup has passed, every -sample, at the end of the load, and idle
// after it. A verdict per node compares the end with the start; with
// -flat, growth beyond the verdict's slack fails the run (a soak test).
// With -goroutines, the nodes are stopped with SIGQUIT and their
// goroutines printed, grouped by where they wait (to find a leak without
// a profiling endpoint).
//
//	go run ./bench/nodes -airlock PATH [-db postgres://... | -sqlite] [-c 100] [-d 60s] [-nodes 2] [-lifecycles 0.15] [-pool 40] [-sample 1m] [-warmup D] [-flat] [-goroutines] [-detail]
package main

import (
	"bufio"
	"cmp"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/workspace"
)

// settings are the command line's.
type settings struct {
	airlock        string
	db             string
	clients        int
	duration       time.Duration
	nodes          int
	lifecycleShare float64
	pool           int
	checkers       int
	sqlite         bool
	sample         time.Duration
	warmup         time.Duration
	flat           bool
	goroutines     bool
	keep           bool
	detail         bool
}

const group = "tables"

func main() {
	var s settings
	flag.StringVar(&s.airlock, "airlock", "", "the airlock binary to run as nodes (required)")
	flag.StringVar(&s.db, "db", os.Getenv("AIRLOCK_TEST_DATABASE_URL"), "postgres:// URL of a server whose user may create databases (default $AIRLOCK_TEST_DATABASE_URL)")
	flag.IntVar(&s.clients, "c", 100, "concurrent API clients")
	flag.DurationVar(&s.duration, "d", 60*time.Second, "how long to load the nodes")
	flag.IntVar(&s.nodes, "nodes", 2, "airlock serve processes")
	flag.Float64Var(&s.lifecycleShare, "lifecycles", 0.15, "share of the clients that run whole lifecycles")
	flag.IntVar(&s.pool, "pool", 40, "requests under review that the checker clients work on")
	flag.IntVar(&s.checkers, "checkers", 10, "output checkers the checker clients act as")
	flag.BoolVar(&s.sqlite, "sqlite", false, "run one node on a SQLite database in the temporary folder instead of PostgreSQL")
	flag.DurationVar(&s.sample, "sample", time.Minute, "sample each node's memory and goroutines this often during the load (0: not at all)")
	flag.DurationVar(&s.warmup, "warmup", 0, "load before the start sample (default a tenth of -d, at most 1m)")
	flag.BoolVar(&s.flat, "flat", false, "fail when a node's memory or goroutines grow from the start of the load to its end")
	flag.BoolVar(&s.goroutines, "goroutines", false, "at the end, stop the nodes with SIGQUIT and print their goroutines grouped (to find a leak)")
	flag.BoolVar(&s.detail, "detail", false, "also print each node's figures per kind of call")
	flag.BoolVar(&s.keep, "keep", false, "keep the temporary folder and the database (for a look afterwards)")
	flag.Parse()
	if s.warmup == 0 {
		s.warmup = min(s.duration/10, time.Minute)
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["sample"] && s.warmup+endLead >= s.duration {
		s.sample = 0 // too short a load to sample, and sampling was not asked for
	}
	switch {
	case s.airlock == "":
		fail(2, errors.New("-airlock is required: the airlock binary (bench/nodes.sh builds it)"))
	case s.sqlite && s.nodes != 1:
		fail(2, errors.New("-sqlite runs one node: a SQLite database belongs to one process (set -nodes 1)"))
	case !s.sqlite && s.db == "":
		fail(2, errors.New("-db or AIRLOCK_TEST_DATABASE_URL must name a PostgreSQL server (bench/nodes.sh starts one), or -sqlite"))
	case s.clients < 1 || s.duration <= 0 || s.nodes < 1 || s.pool < 1 || s.checkers < 2 || s.lifecycleShare < 0 || s.lifecycleShare > 1:
		fail(2, errors.New("-c, -d, -nodes and -pool must be positive, -checkers at least 2, -lifecycles between 0 and 1"))
	case s.sample < 0 || s.warmup < 0 || (s.sample > 0 && s.warmup+endLead >= s.duration):
		fail(2, fmt.Errorf("-sample and -warmup must not be negative, and -warmup must end more than %s before -d", endLead))
	case s.flat && s.sample == 0:
		fail(2, errors.New("-flat needs -sample"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s); err != nil {
		fail(1, err)
	}
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "nodes:", err)
	os.Exit(code)
}

func run(ctx context.Context, s settings) error {
	dir, err := os.MkdirTemp("", "bench-nodes-")
	if err != nil {
		return err
	}
	if s.keep {
		fmt.Println("folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	nLifecycle := int(float64(s.clients)*s.lifecycleShare + 0.5)
	// Each lifecycle adds three new files (released files cannot be
	// output files again), so each lifecycle client's workspace holds
	// enough for more lifecycles than it can run: two a second (a
	// lifecycle takes a dozen calls; on two busy cores, with 15
	// lifecycle clients, each ran one every five seconds). A client that
	// runs out of files acts as an output checker for the rest of the
	// load.
	perLifecycleWS := 3 * max(300, int(s.duration.Seconds()*2))
	fix, err := writeFixtures(dir, s, nLifecycle, perLifecycleWS)
	if err != nil {
		return err
	}

	var dbURL, dbPath, dbName string
	if s.sqlite {
		dbPath = filepath.Join(dir, "airlock.db")
		dbURL, dbName = "sqlite:"+dbPath, "SQLite"
	} else {
		var drop func()
		dbURL, drop, err = createDatabase(ctx, s.db)
		if err != nil {
			return err
		}
		if !s.keep {
			defer drop()
		} else {
			fmt.Println("database:", redact(dbURL))
		}
		dbName = "PostgreSQL"
	}

	nodes, err := startNodes(ctx, s, dir, dbURL, fix)
	if err != nil {
		return err
	}
	defer func() {
		for _, n := range nodes {
			n.kill()
		}
	}()
	hc := &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 4 * s.clients, MaxIdleConnsPerHost: 2 * s.clients, IdleConnTimeout: time.Minute},
	}
	tokens, err := logIn(ctx, nodes[0].base, hc, fix.users)
	if err != nil {
		return err
	}
	pool, err := makePool(ctx, nodes, hc, tokens, fix)
	if err != nil {
		return err
	}
	fmt.Printf("%d nodes on %s, %d clients for %s: %d running lifecycles, %d acting as %d output checkers on %d requests under review\n\n",
		len(nodes), dbName, s.clients, s.duration, nLifecycle, s.clients-nLifecycle, s.checkers, len(pool))
	st := &stats{cells: map[cellKey]*cell{}}
	smp := &sampler{nodes: nodes, hc: hc, dbPath: dbPath, clients: s.clients, stats: st}
	if s.sample > 0 {
		smp.idle(ctx, "idle before", 0)
	}

	cpu0 := make([]time.Duration, len(nodes))
	for i, n := range nodes {
		cpu0[i] = n.cpu()
	}
	// The clients stop starting calls when the load's time is up; calls
	// in flight then are answered and counted (none is cut off).
	loadCtx, cancel := context.WithTimeout(ctx, s.duration)
	busy0, self0 := machineBusy(), selfCPU()
	start := time.Now()
	var wg sync.WaitGroup
	if s.sample > 0 {
		wg.Go(func() { smp.during(ctx, loadCtx, start, s.duration, s.warmup, s.sample) })
	}
	var lifecycles, ranOut atomic.Int64
	for i := range s.clients {
		c := &loadClient{
			id: i, nodes: nodes, hc: hc, tokens: tokens, stats: st, pool: pool, fix: fix,
			rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), next: i,
		}
		if i < nLifecycle {
			wg.Go(func() { c.runLifecycles(ctx, loadCtx, i, &lifecycles, &ranOut) })
		} else {
			wg.Go(func() { c.runChecker(ctx, loadCtx) })
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	busy, self := machineBusy()-busy0, selfCPU()-self0
	cancel()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	cpu := make([]time.Duration, len(nodes))
	for i, n := range nodes {
		cpu[i] = n.cpu() - cpu0[i]
	}

	released, approved, err := waitReleased(ctx, nodes[0].base, hc, tokens[fix.checkers[0]])
	if err != nil {
		return err
	}
	if s.sample > 0 {
		smp.idle(ctx, "idle after", time.Since(start))
	}
	var stopErrs []string
	dumps := map[string][]string{}
	for _, n := range nodes {
		var err error
		if s.goroutines {
			dumps[n.name], err = n.dumpGoroutines()
		} else {
			err = n.stop()
		}
		if err != nil {
			stopErrs = append(stopErrs, err.Error())
		}
	}
	audit, auditErr := exec.CommandContext(ctx, s.airlock, "audit", "verify", "--database-url", dbURL).CombinedOutput()

	st.print(elapsed, nodes, cpu, s.detail)
	fmt.Printf("\nCPU over the load: the machine was busy %.0f%% of its %d cores' time; this load generator used %.1f s (%.0f%% of a core)\n",
		100*busy.Seconds()/elapsed.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU(), self.Seconds(), 100*self.Seconds()/elapsed.Seconds())
	fmt.Printf("\nlifecycles completed: %d (%.1f/s); requests released by the uploaders: %d, still approved: %d\n",
		lifecycles.Load(), float64(lifecycles.Load())/elapsed.Seconds(), released, approved)
	if n := ranOut.Load(); n > 0 {
		fmt.Printf("%d lifecycle clients ran out of files and acted as output checkers for the rest of the load\n", n)
	}
	fmt.Printf("audit verify: %s", audit)
	flat := s.sample == 0 || smp.print()
	for _, n := range nodes {
		if d, ok := dumps[n.name]; ok {
			fmt.Printf("\nnode %s's goroutines when it was stopped:\n%s\n", n.name, strings.Join(d, "\n"))
		}
	}
	for _, n := range nodes {
		if lines := n.errorLines(); len(lines) > 0 {
			fmt.Printf("node %s logged %d errors, the first: %s\n", n.name, len(lines), lines[0])
		}
	}
	switch {
	case auditErr != nil:
		return fmt.Errorf("audit verify: %w", auditErr)
	case len(stopErrs) > 0:
		return errors.New(strings.Join(stopErrs, "; "))
	case st.errors() > 0:
		return fmt.Errorf("%d errors", st.errors())
	case s.flat && !flat:
		return errors.New("a node's memory or goroutines grew over the load")
	case approved > 0:
		return fmt.Errorf("%d approved requests were not released within a minute of the load", approved)
	}
	return nil
}

// fixtures are the workspaces and users written for the run.
type fixtures struct {
	wsDir, usersFile string
	users            map[string]string // username → login token
	checkers         []string
	poolAuthors      []string // pool author i works in poolWorkspace(i)
	lcAuthors        []string // lifecycle author i works in lcWorkspace(i)
	poolFiles        []string // the files of every pool workspace
	lcFiles          int      // files of every lifecycle workspace, lcFile(0..lcFiles-1)
}

func poolWorkspace(i int) string { return fmt.Sprintf("pool-%03d", i) }
func lcWorkspace(i int) string   { return fmt.Sprintf("lc-%03d", i) }
func lcFile(i int) string        { return fmt.Sprintf("output/lifecycle/table_%04d.csv", i) }

// writeFixtures writes the pool workspaces (five tables each), a
// workspace per lifecycle client, and the users file.
func writeFixtures(dir string, s settings, nLifecycle, lcFiles int) (*fixtures, error) {
	f := &fixtures{wsDir: filepath.Join(dir, "workspaces"), usersFile: filepath.Join(dir, "users.json"), users: map[string]string{}, lcFiles: lcFiles}
	for i := range 5 {
		f.poolFiles = append(f.poolFiles, fmt.Sprintf("output/tables/counts_%d.csv", i+1))
	}
	doc := map[string]any{}
	addUser := func(name string, checker bool, ws string) {
		token := randomHex(12)
		f.users[name] = token
		workspaces := map[string]any{}
		if ws != "" {
			workspaces[ws] = map[string]any{
				"project_details": map[string]any{"name": "Bench project", "ongoing": true, "orgs": []string{"Bench University"}},
				"archived":        false,
			}
		}
		doc[name] = map[string]any{"token": token, "details": map[string]any{
			"username": name, "fullname": name, "output_checker": checker,
			"workspaces": workspaces, "copiloted_workspaces": map[string]any{},
		}}
	}
	for i := range s.checkers {
		name := fmt.Sprintf("checker%02d", i+1)
		f.checkers = append(f.checkers, name)
		addUser(name, true, "")
	}
	for i := range s.pool {
		name := fmt.Sprintf("pool-author-%03d", i)
		f.poolAuthors = append(f.poolAuthors, name)
		addUser(name, false, poolWorkspace(i))
		if err := writeWorkspace(f.wsDir, poolWorkspace(i), f.poolFiles, name); err != nil {
			return nil, err
		}
	}
	var lcPaths []string
	for i := range lcFiles {
		lcPaths = append(lcPaths, lcFile(i))
	}
	for i := range nLifecycle {
		name := fmt.Sprintf("lc-author-%03d", i)
		f.lcAuthors = append(f.lcAuthors, name)
		addUser(name, false, lcWorkspace(i))
		if err := writeWorkspace(f.wsDir, lcWorkspace(i), lcPaths, name); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return f, os.WriteFile(f.usersFile, raw, 0o600)
}

// writeWorkspace writes a workspace of CSV outputs with its manifest.
func writeWorkspace(wsDir, name string, paths []string, user string) error {
	root := filepath.Join(wsDir, name)
	outputs := map[string]workspace.Output{}
	ts := float64(time.Now().Unix())
	for n, rel := range paths {
		var b strings.Builder
		b.WriteString("region,age_band,count\n")
		for j := range 30 {
			fmt.Fprintf(&b, "region %d,%d-%d,%d\n", j%9, 10*(j%8), 10*(j%8)+9, 5*(j+n+2))
		}
		content := b.String()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(content))
		rows, cols := 30, 3
		outputs[rel] = workspace.Output{
			Level: "moderately_sensitive", JobID: "job-bench", JobRequest: "jr-bench", Action: "generate_tables",
			Repo: "https://github.com/opensafely/bench", Commit: "abcdef1234567", Size: int64(len(content)), Timestamp: ts,
			ContentHash: hex.EncodeToString(sum[:]), User: user, RowCount: &rows, ColCount: &cols,
		}
	}
	raw, err := json.Marshal(workspace.Manifest{Workspace: name, Repo: "https://github.com/opensafely/bench", Outputs: outputs})
	if err != nil {
		return err
	}
	p := filepath.Join(root, filepath.FromSlash(workspace.ManifestPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, raw, 0o644)
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// createDatabase creates an empty database on the server and returns its
// URL and what drops it.
func createDatabase(ctx context.Context, server string) (string, func(), error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("-db must be a postgres:// URL")
	}
	name := "airlock_bench_nodes_" + randomHex(6)
	if err := admin(ctx, server, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s on %s (its user must be allowed to create databases): %w", name, redact(server), err)
	}
	u.Path = "/" + name
	return u.String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// An autovacuum worker in the database makes FORCE fail for a user
		// who is not a superuser (42501) until the worker is done.
		for {
			err := admin(ctx, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			var pe *pgconn.PgError
			if err == nil {
				return
			}
			if !errors.As(err, &pe) || pe.Code != "42501" || ctx.Err() != nil {
				fmt.Fprintf(os.Stderr, "nodes: drop database %s: %v\n", name, err)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}, nil
}

func admin(ctx context.Context, server, stmt string) error {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, stmt)
	return err
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}

// node is one `airlock serve` process.
type node struct {
	name string
	base string
	cmd  *exec.Cmd
	log  string // its stderr, a file
	done chan struct{}
}

// startNodes starts the nodes at once (they migrate the empty database
// together, one waiting on the other's lock) and waits until each
// answers /readyz.
func startNodes(ctx context.Context, s settings, dir, dbURL string, fix *fixtures) ([]*node, error) {
	var nodes []*node
	for i := range s.nodes {
		n := &node{name: string(rune('a' + i)), done: make(chan struct{})}
		port, err := freePort()
		if err != nil {
			return nodes, err
		}
		n.base = "http://" + port
		work := filepath.Join(dir, "node-"+n.name)
		if err := os.MkdirAll(work, 0o755); err != nil {
			return nodes, err
		}
		n.log = filepath.Join(work, "stderr.log")
		logf, err := os.Create(n.log)
		if err != nil {
			return nodes, err
		}
		n.cmd = exec.Command(s.airlock, "serve")
		n.cmd.Env = append(os.Environ(),
			"AIRLOCK_WORK_DIR="+work,
			"AIRLOCK_DATABASE_URL="+dbURL,
			"AIRLOCK_WORKSPACE_DIR="+fix.wsDir,
			"AIRLOCK_REQUEST_DIR="+filepath.Join(dir, "requests"),
			"AIRLOCK_RELEASE_DIR="+filepath.Join(dir, "released"),
			"AIRLOCK_DEV_USERS_FILE="+fix.usersFile,
			"AIRLOCK_LISTEN="+port,
			"AIRLOCK_UPLOAD_DELAY=0.2",
			"AIRLOCK_LOG_LEVEL=warn",
		)
		n.cmd.Stdout, n.cmd.Stderr = logf, logf
		if err := n.cmd.Start(); err != nil {
			logf.Close()
			return nodes, fmt.Errorf("start node %s: %w", n.name, err)
		}
		go func() { n.cmd.Wait(); logf.Close(); close(n.done) }()
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		if err := n.waitReady(ctx); err != nil {
			return nodes, err
		}
	}
	return nodes, nil
}

// freePort returns a loopback address nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (n *node) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(n.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-n.done:
			return fmt.Errorf("node %s stopped at start-up:\n%s", n.name, n.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s not ready after a minute:\n%s", n.name, n.logTail())
		}
	}
}

// stop asks the node to stop (SIGTERM) and waits for it.
func (n *node) stop() error {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
		return fmt.Errorf("node %s did not stop within 30 s of SIGTERM", n.name)
	}
	if code := n.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("node %s exited %d:\n%s", n.name, code, n.logTail())
	}
	return nil
}

func (n *node) kill() {
	select {
	case <-n.done:
	default:
		n.cmd.Process.Kill()
		<-n.done
	}
}

func (n *node) logTail() string {
	b, _ := os.ReadFile(n.log)
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

func (n *node) errorLines() []string {
	f, err := os.Open(n.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "level=ERROR") {
			out = append(out, sc.Text())
		}
	}
	return out
}

// cpu is the CPU time (user and system) the node's process has used.
func (n *node) cpu() time.Duration { return processCPU(strconv.Itoa(n.cmd.Process.Pid)) }

// tick is Linux's clock tick (USER_HZ), the unit of /proc's CPU times.
const tick = 10 * time.Millisecond

// processCPU is the CPU time (user and system) a process has used, 0
// when /proc cannot say.
func processCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command's name (which may hold spaces): utime
	// and stime are the 14th and 15th fields of the line.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * tick
}

func selfCPU() time.Duration { return processCPU("self") }

// machineBusy is the CPU time all of the machine's CPUs have spent not
// idle (nor waiting for I/O) since boot, from /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 {
			continue // idle, iowait
		}
		v, _ := strconv.ParseInt(f, 10, 64)
		busy += v
	}
	return time.Duration(busy) * tick
}

// logIn gets an API token for every user (one login each, on one node:
// tokens are kept in the database, good on every node).
func logIn(ctx context.Context, base string, hc *http.Client, users map[string]string) (map[string]string, error) {
	tokens := map[string]string{}
	c := client.New(base, "", hc)
	for name, token := range users {
		resp, err := c.Token(ctx, name, token)
		if err != nil {
			return nil, fmt.Errorf("log in %s: %w", name, err)
		}
		tokens[name] = resp.Token
	}
	return tokens, nil
}

// poolRequest is a request under review that checker clients work on.
type poolRequest struct {
	id, workspace, author string
}

// makePool has each pool author put their workspace's files into a
// request, explain the group and submit it, through the nodes in turn.
func makePool(ctx context.Context, nodes []*node, hc *http.Client, tokens map[string]string, fix *fixtures) ([]poolRequest, error) {
	var pool []poolRequest
	for i, author := range fix.poolAuthors {
		c := client.New(nodes[i%len(nodes)].base, tokens[author], hc)
		var files []client.AddFile
		for _, p := range fix.poolFiles {
			files = append(files, client.AddFile{Path: p, FileType: client.FileTypeOutput})
		}
		r, err := c.AddFiles(ctx, poolWorkspace(i), group, files)
		if err != nil {
			return nil, fmt.Errorf("pool request %d: add files: %w", i, err)
		}
		if _, err := c.EditGroup(ctx, r.ID, group, "Counts of patients by region", "Rounded to the nearest 5; counts of 7 or less redacted"); err != nil {
			return nil, fmt.Errorf("pool request %d: edit group: %w", i, err)
		}
		if _, err := c.Submit(ctx, r.ID); err != nil {
			return nil, fmt.Errorf("pool request %d: submit: %w", i, err)
		}
		pool = append(pool, poolRequest{id: r.ID, workspace: poolWorkspace(i), author: author})
	}
	return pool, nil
}

// loadClient is one client of the load: it sends one call after the
// other, each to the next node in turn.
type loadClient struct {
	id     int
	nodes  []*node
	hc     *http.Client
	tokens map[string]string
	stats  *stats
	pool   []poolRequest
	fix    *fixtures
	rng    *rand.Rand
	next   int // the node of the next call
}

// call runs fn against the next node as user, timing it and recording
// its outcome under kind; raceable calls may lose a race (409).
func (c *loadClient) call(ctx context.Context, kind, user string, raceable bool, fn func(*client.Client) error) error {
	ni := c.next % len(c.nodes)
	c.next++
	cl := client.New(c.nodes[ni].base, c.tokens[user], c.hc)
	t0 := time.Now()
	err := fn(cl)
	d := time.Since(t0)
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: not counted
	}
	var ae *client.APIError
	switch {
	case err == nil:
		c.stats.record(ni, kind, outcomeOK, d, "")
	case raceable && errors.As(err, &ae) && ae.Status == http.StatusConflict:
		c.stats.record(ni, kind, outcomeConflict, d, "")
	default:
		c.stats.record(ni, kind, outcomeError, d, fmt.Sprintf("%s via node %s: %v", kind, c.nodes[ni].name, err))
	}
	return err
}

// reviewStatuses are those of the requests a checker lists to review,
// as the web page of reviews lists them: not the released ones, whose
// number grows with every lifecycle of the load.
var reviewStatuses = []string{"SUBMITTED", "PARTIALLY_REVIEWED", "REVIEWED", "RETURNED", "APPROVED"}

// runChecker acts as an output checker on the requests under review,
// starting calls until load ends.
func (c *loadClient) runChecker(ctx, load context.Context) {
	for load.Err() == nil {
		checker := c.fix.checkers[c.rng.IntN(len(c.fix.checkers))]
		r := c.pool[c.rng.IntN(len(c.pool))]
		p := c.fix.poolFiles[c.rng.IntN(len(c.fix.poolFiles))]
		switch x := c.rng.IntN(100); {
		case x < 45:
			c.call(ctx, "read request", checker, false, func(cl *client.Client) error {
				_, err := cl.Request(ctx, r.id)
				return err
			})
		case x < 55:
			c.call(ctx, "list to review", checker, false, func(cl *client.Client) error {
				_, err := cl.Requests(ctx, client.RequestFilter{Review: true, Status: reviewStatuses})
				return err
			})
		case x < 65:
			c.call(ctx, "list folder", r.author, false, func(cl *client.Client) error {
				_, err := cl.Files(ctx, r.workspace, "output/tables")
				return err
			})
		case x < 73:
			c.call(ctx, "read audit", checker, false, func(cl *client.Client) error {
				_, err := cl.Audit(ctx, r.id)
				return err
			})
		case x < 98:
			vote := client.VoteApproved
			if c.rng.IntN(2) == 0 {
				vote = client.VoteChangesRequested
			}
			c.call(ctx, "vote", checker, true, func(cl *client.Client) error {
				_, err := cl.Vote(ctx, r.id, p, vote)
				return err
			})
		default:
			c.call(ctx, "comment", checker, true, func(cl *client.Client) error {
				_, err := cl.Comment(ctx, r.id, group, fmt.Sprintf("Checked %s against the controls.", p), client.VisibilityPrivate)
				return err
			})
		}
	}
}

// runLifecycles runs whole lifecycles as lifecycle author i, starting
// calls until load ends; if the workspace's files run out first, it acts
// as an output checker from then on (and counts itself in ranOut).
func (c *loadClient) runLifecycles(ctx, load context.Context, i int, done, ranOut *atomic.Int64) {
	author, ws := c.fix.lcAuthors[i], lcWorkspace(i)
	for n := 0; load.Err() == nil && 3*(n+1) <= c.fix.lcFiles; n++ {
		// Two different checkers review each request.
		k := c.rng.IntN(len(c.fix.checkers))
		checkers := []string{c.fix.checkers[k], c.fix.checkers[(k+1)%len(c.fix.checkers)]}
		files := []string{lcFile(3 * n), lcFile(3*n + 1), lcFile(3*n + 2)}
		if c.lifecycle(ctx, load, author, ws, checkers, files) == nil {
			done.Add(1)
		}
	}
	if load.Err() == nil {
		ranOut.Add(1)
		c.runChecker(ctx, load)
	}
}

// step is one call of a lifecycle, made as user.
type step struct {
	kind, user string
	fn         func(*client.Client) error
}

// lifecycle takes one request from nothing to APPROVED; it gives up
// between two calls when load ends.
func (c *loadClient) lifecycle(ctx, load context.Context, author, ws string, checkers, files []string) error {
	var add []client.AddFile
	for _, p := range files {
		add = append(add, client.AddFile{Path: p, FileType: client.FileTypeOutput})
	}
	var id string
	err := c.call(ctx, "lifecycle: add files", author, false, func(cl *client.Client) error {
		r, err := cl.AddFiles(ctx, ws, group, add)
		id = r.ID
		return err
	})
	if err != nil {
		return err
	}
	steps := []step{
		{"lifecycle: edit group", author, func(cl *client.Client) error {
			_, err := cl.EditGroup(ctx, id, group, "Counts by region", "Rounded to 5")
			return err
		}},
		{"lifecycle: submit", author, func(cl *client.Client) error { _, err := cl.Submit(ctx, id); return err }},
	}
	for _, checker := range checkers {
		for _, p := range files {
			steps = append(steps, step{"lifecycle: vote", checker, func(cl *client.Client) error {
				_, err := cl.Vote(ctx, id, p, client.VoteApproved)
				return err
			}})
		}
		steps = append(steps, step{"lifecycle: review", checker, func(cl *client.Client) error { _, err := cl.Review(ctx, id); return err }})
	}
	steps = append(steps, step{"lifecycle: release", checkers[0], func(cl *client.Client) error { _, err := cl.Release(ctx, id); return err }})
	for _, s := range steps {
		if load.Err() != nil {
			return load.Err()
		}
		if err := c.call(ctx, s.kind, s.user, false, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// waitReleased waits, up to a minute, for the uploaders to take every
// APPROVED request to RELEASED, and returns how many are RELEASED and
// how many are left APPROVED.
func waitReleased(ctx context.Context, base string, hc *http.Client, token string) (released, approved int, err error) {
	c := client.New(base, token, hc)
	deadline := time.Now().Add(time.Minute)
	for {
		a, err := c.Requests(ctx, client.RequestFilter{Status: []string{"APPROVED"}})
		if err != nil {
			return 0, 0, fmt.Errorf("list approved requests: %w", err)
		}
		if len(a) == 0 || time.Now().After(deadline) {
			r, err := c.Requests(ctx, client.RequestFilter{Status: []string{"RELEASED"}})
			if err != nil {
				return 0, 0, fmt.Errorf("list released requests: %w", err)
			}
			return len(r), len(a), nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

type outcome int

const (
	outcomeOK outcome = iota
	outcomeConflict
	outcomeError
)

// stats gathers every call's outcome and latency, by node and kind.
type stats struct {
	mu    sync.Mutex
	cells map[cellKey]*cell
	first []string // the first errors
}

type cellKey struct {
	node int
	kind string
}

type cell struct {
	ok, conflicts, errors int
	latencies             []time.Duration // of every answered call, ok or not
}

func (s *stats) record(node int, kind string, o outcome, d time.Duration, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cells[cellKey{node, kind}]
	if c == nil {
		c = &cell{}
		s.cells[cellKey{node, kind}] = c
	}
	switch o {
	case outcomeOK:
		c.ok++
	case outcomeConflict:
		c.conflicts++
	case outcomeError:
		c.errors++
		if len(s.first) < 5 {
			s.first = append(s.first, msg)
		}
	}
	c.latencies = append(c.latencies, d)
}

// totals counts the calls to node so far, and the errors among them.
func (s *stats) totals(node int) (calls, errs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.cells {
		if k.node == node {
			calls += c.ok + c.conflicts + c.errors
			errs += c.errors
		}
	}
	return calls, errs
}

func (s *stats) errors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.cells {
		n += c.errors
	}
	return n
}

// merge adds up the cells that pick selects.
func (s *stats) merge(pick func(cellKey) bool) cell {
	var out cell
	for k, c := range s.cells {
		if pick(k) {
			out.ok += c.ok
			out.conflicts += c.conflicts
			out.errors += c.errors
			out.latencies = append(out.latencies, c.latencies...)
		}
	}
	slices.Sort(out.latencies)
	return out
}

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(p*float64(len(l))))].Round(10 * time.Microsecond)
}

func (c cell) line(name string, elapsed time.Duration) string {
	n := c.ok + c.conflicts + c.errors
	return fmt.Sprintf("%-24s %8.0f calls/s %8d ok %6d conflicts %5d errors   p50 %9s  p90 %9s  p99 %9s  max %9s",
		name, float64(n)/elapsed.Seconds(), c.ok, c.conflicts, c.errors,
		pct(c.latencies, 0.50), pct(c.latencies, 0.90), pct(c.latencies, 0.99), pct(c.latencies, 1))
}

func (s *stats) print(elapsed time.Duration, nodes []*node, cpu []time.Duration, detail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Printf("per node (%s):\n", elapsed.Round(time.Millisecond))
	for i, n := range nodes {
		c := s.merge(func(k cellKey) bool { return k.node == i })
		fmt.Printf("%s   cpu %.1f s (%.0f%% of a core)\n", c.line("node "+n.name, elapsed), cpu[i].Seconds(), 100*cpu[i].Seconds()/elapsed.Seconds())
	}
	fmt.Println(s.merge(func(cellKey) bool { return true }).line("all nodes", elapsed))
	fmt.Println("\nper kind of call (all nodes):")
	var kinds []string
	for k := range s.cells {
		if !slices.Contains(kinds, k.kind) {
			kinds = append(kinds, k.kind)
		}
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Compare(a, b) })
	for _, kind := range kinds {
		fmt.Println(s.merge(func(k cellKey) bool { return k.kind == kind }).line(kind, elapsed))
	}
	if detail {
		for i, n := range nodes {
			fmt.Printf("\nper kind of call, node %s:\n", n.name)
			for _, kind := range kinds {
				fmt.Println(s.merge(func(k cellKey) bool { return k.kind == kind && k.node == i }).line(kind, elapsed))
			}
		}
	}
	for _, msg := range s.first {
		fmt.Println("error:", msg)
	}
}
