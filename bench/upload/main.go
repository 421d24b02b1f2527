// Command upload measures airlock's uploader: how long it takes to send a
// released request's files to job-server. bench/upload.sh runs it against
// curl posting the same files one by one.
//
//	upload receiver -addr 127.0.0.1:0
//	    A minimal job-server stand-in on loopback. It answers
//	    POST /api/v2/releases/workspace/{ws} with 201 and a Release-Id
//	    header, and POST /api/v2/releases/release/{id} by reading and
//	    discarding the body, counting files and bytes, and answering 201.
//	    Every call must carry Authorization. GET /stats prints the counts;
//	    so does SIGTERM/SIGINT, before it exits. It prints
//	    "listening on ADDR" once it listens (port 0 picks a free one).
//
//	upload prepare -dir D [-n 1000] [-size 1048576]
//	    Writes the workspace D/workspaces/bench: n files of size bytes of
//	    random data (output/f0000.csv, ...) and its metadata/manifest.json.
//
//	upload db -dir D -endpoint URL
//	    Untimed set-up: a fresh database and request store in D/state, two
//	    output checkers and a researcher, a request holding every output
//	    of the workspace, submitted, approved by both checkers and released
//	    (which creates the release on the receiver at URL).
//
//	upload upload -dir D -endpoint URL [-workers 4] [-cpuprofile F]
//	    Timed: runs the uploader on D/state until the released request is
//	    RELEASED, and prints "uploaded N files (X MiB) in S seconds".
//	    With -fresh it runs the set-up of `db` first (untimed).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/workspace"
)

const (
	wsName   = "bench"
	group    = "bench"
	token    = "bench-token"
	author   = "researcher"
	checker1 = "checker1"
	checker2 = "checker2"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  upload receiver -addr 127.0.0.1:PORT
  upload prepare  -dir D [-n 1000] [-size 1048576]
  upload db       -dir D -endpoint http://127.0.0.1:PORT/api/v2
  upload upload   -dir D -endpoint http://127.0.0.1:PORT/api/v2 [-workers 4] [-fresh] [-cpuprofile FILE]`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	var err error
	switch cmd {
	case "receiver":
		addr := fs.String("addr", "127.0.0.1:0", "address to listen on (loopback; port 0 picks a free one)")
		fs.Parse(args)
		err = receiver(*addr)
	case "prepare":
		dir := fs.String("dir", "", "bench folder (required)")
		n := fs.Int("n", 1000, "number of files")
		size := fs.Int64("size", 1<<20, "bytes per file")
		fs.Parse(args)
		if *dir == "" || *n <= 0 || *size < 0 {
			usage()
		}
		err = prepare(*dir, *n, *size)
	case "db", "upload":
		dir := fs.String("dir", "", "bench folder (required)")
		endpoint := fs.String("endpoint", "", "job-server API base URL, e.g. http://127.0.0.1:PORT/api/v2 (required)")
		workers := fs.Int("workers", 4, "upload workers (AIRLOCK_UPLOAD_WORKERS)")
		poll := fs.Duration("poll", time.Second, "uploader poll when nothing is due (AIRLOCK_UPLOAD_DELAY)")
		fresh := fs.Bool("fresh", false, "upload: run the set-up of db first (untimed)")
		cpuprofile := fs.String("cpuprofile", "", "upload: write a CPU profile of the timed part to this file")
		verbose := fs.Bool("v", false, "log every uploaded file")
		fs.Parse(args)
		if *dir == "" || *endpoint == "" {
			usage()
		}
		level := slog.LevelWarn
		if *verbose {
			level = slog.LevelInfo
		}
		b := &bench{dir: *dir, endpoint: strings.TrimSuffix(*endpoint, "/"),
			log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))}
		ctx := context.Background()
		if cmd == "db" || *fresh {
			err = b.setup(ctx)
		}
		if err == nil && cmd == "upload" {
			err = b.upload(ctx, *workers, *poll, *cpuprofile)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "upload %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

// ---- receiver ----

type counts struct {
	releases, files, bytes, dupes, refused atomic.Int64

	mu   sync.Mutex
	seen map[string]bool // release id + "\x00" + filename
}

func (c *counts) String() string {
	return fmt.Sprintf("releases=%d files=%d bytes=%d duplicates=%d refused=%d",
		c.releases.Load(), c.files.Load(), c.bytes.Load(), c.dupes.Load(), c.refused.Load())
}

func receiver(addr string) error {
	c := &counts{seen: map[string]bool{}}
	var nextID atomic.Int64
	mux := http.NewServeMux()
	refuse := func(w http.ResponseWriter, code int, detail string) {
		c.refused.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"detail": detail})
	}
	authorised := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") == "" {
			refuse(w, http.StatusUnauthorized, "Authorization header missing")
			return false
		}
		if r.Header.Get("OS-User") == "" {
			refuse(w, http.StatusBadRequest, "OS-User header missing")
			return false
		}
		return true
	}
	mux.HandleFunc("POST /api/v2/releases/workspace/{ws}", func(w http.ResponseWriter, r *http.Request) {
		if !authorised(w, r) {
			return
		}
		var body struct {
			Metadata struct {
				AirlockID string `json:"airlock_id"`
			} `json:"metadata"`
		}
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		json.Unmarshal(raw, &body) // any body will do
		id := body.Metadata.AirlockID
		if id == "" {
			id = "release-" + strconv.FormatInt(nextID.Add(1), 10)
		}
		c.releases.Add(1)
		w.Header().Set("Release-Id", id)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("POST /api/v2/releases/release/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !authorised(w, r) {
			return
		}
		name := ""
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
			name = params["filename"]
		}
		if name == "" {
			refuse(w, http.StatusBadRequest, "Content-Disposition with a filename required")
			return
		}
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			refuse(w, http.StatusBadRequest, "reading the body: "+err.Error())
			return
		}
		key := r.PathValue("id") + "\x00" + name
		c.mu.Lock()
		dup := c.seen[key]
		c.seen[key] = true
		c.mu.Unlock()
		if dup {
			c.dupes.Add(1)
		}
		c.files.Add(1)
		c.bytes.Add(n)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, c.String())
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	fmt.Printf("receiver: %s\n", c)
	return nil
}

// ---- prepare ----

// fileName is the workspace path of file i of n.
func fileName(i, n int) string {
	width := max(4, len(strconv.Itoa(n-1)))
	return fmt.Sprintf("output/f%0*d.csv", width, i)
}

func prepare(dir string, n int, size int64) error {
	ws := filepath.Join(dir, "workspaces", wsName)
	if err := os.MkdirAll(filepath.Join(ws, "output"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(ws, "metadata"), 0o755); err != nil {
		return err
	}
	outputs := map[string]workspace.Output{}
	ts := float64(time.Now().Unix())
	buf := make([]byte, size)
	for i := range n {
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:], uint64(i)+1)
		rnd := rand.NewChaCha8(seed)
		rnd.Read(buf)
		rel := fileName(i, n)
		if err := os.WriteFile(filepath.Join(ws, filepath.FromSlash(rel)), buf, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(buf)
		outputs[rel] = workspace.Output{
			Level: "moderately_sensitive", JobID: "job-bench", JobRequest: "jr-bench", Action: "generate",
			Repo: "https://github.com/opensafely/bench", Commit: "abcdef1234567", Size: size, Timestamp: ts,
			ContentHash: hex.EncodeToString(sum[:]), User: author,
		}
	}
	raw, err := json.MarshalIndent(workspace.Manifest{Workspace: wsName, Repo: "https://github.com/opensafely/bench", Outputs: outputs}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ws, filepath.FromSlash(workspace.ManifestPath)), raw, 0o644); err != nil {
		return err
	}
	fmt.Printf("prepared %d files of %d bytes in %s\n", n, size, ws)
	return nil
}

// ---- db and upload ----

type bench struct {
	dir, endpoint string
	log           *slog.Logger
}

// open opens the service on D/state, as `airlock serve` wires it with a
// job-server token.
func (b *bench) open(ctx context.Context) (*service.Service, *sqlite.Store, *blobstore.Store, *release.JobServer, error) {
	state := filepath.Join(b.dir, "state")
	if err := os.MkdirAll(filepath.Join(state, "requests"), 0o750); err != nil {
		return nil, nil, nil, nil, err
	}
	blobs, err := blobstore.New(filepath.Join(state, "requests"))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(state, "airlock.db"))
	if err != nil {
		blobs.Close()
		return nil, nil, nil, nil, err
	}
	target := release.NewJobServer(b.endpoint, token, blobs, nil)
	svc := service.New(service.Config{
		Store: st, Workspaces: workspace.NewReader(filepath.Join(b.dir, "workspaces")), Blobs: blobs,
		Releaser: target, Logger: b.log,
	})
	return svc, st, blobs, target, nil
}

func userDoc(name string, checker bool) []byte {
	ws := map[string]any{}
	if !checker {
		ws[wsName] = map[string]any{
			"project_details": map[string]any{"name": "Bench", "ongoing": true, "orgs": []string{"Org"}},
			"archived":        false,
		}
	}
	raw, _ := json.Marshal(map[string]any{
		"username": name, "fullname": name, "output_checker": checker,
		"workspaces": ws, "copiloted_workspaces": map[string]any{},
	})
	return raw
}

// setup makes a fresh D/state holding one released (APPROVED) request with
// every output of the workspace.
func (b *bench) setup(ctx context.Context) error {
	start := time.Now()
	if err := os.RemoveAll(filepath.Join(b.dir, "state")); err != nil {
		return err
	}
	svc, st, blobs, _, err := b.open(ctx)
	if err != nil {
		return err
	}
	defer blobs.Close()
	defer st.Close()

	users := map[string]domain.User{}
	for _, u := range []struct {
		name    string
		checker bool
	}{{author, false}, {checker1, true}, {checker2, true}} {
		if users[u.name], err = svc.PutUser(ctx, userDoc(u.name, u.checker)); err != nil {
			return err
		}
	}
	paths, err := b.outputs()
	if err != nil {
		return err
	}
	files := make([]service.AddFile, len(paths))
	for i, p := range paths {
		files[i] = service.AddFile{Path: p, FileType: domain.FileOutput}
	}
	r, err := svc.AddFiles(ctx, users[author], wsName, group, files)
	if err != nil {
		return fmt.Errorf("add files: %w", err)
	}
	added := time.Since(start)
	if _, _, err := svc.EditGroup(ctx, users[author], r.ID, group, "benchmark outputs", "random bytes, nothing to disclose"); err != nil {
		return fmt.Errorf("edit group: %w", err)
	}
	if _, err := svc.Submit(ctx, users[author], r.ID); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	for _, c := range []string{checker1, checker2} {
		for _, p := range paths {
			if _, err := svc.Vote(ctx, users[c], r.ID, p, domain.VoteApproved); err != nil {
				return fmt.Errorf("vote: %w", err)
			}
		}
		if _, err := svc.SubmitReview(ctx, users[c], r.ID); err != nil {
			return fmt.Errorf("submit review: %w", err)
		}
	}
	voted := time.Since(start)
	r, err = svc.Release(ctx, users[checker1], r.ID)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if r.Status != domain.StatusApproved {
		return fmt.Errorf("request %s is %s after release, not APPROVED", r.ID, r.Status)
	}
	fmt.Fprintf(os.Stderr, "set-up: request %s with %d files released (add %.1fs, review %.1fs, total %.1fs)\n",
		r.ID, len(paths), added.Seconds(), (voted - added).Seconds(), time.Since(start).Seconds())
	return nil
}

// outputs lists the workspace's outputs from its manifest.
func (b *bench) outputs() ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(b.dir, "workspaces", wsName, filepath.FromSlash(workspace.ManifestPath)))
	if err != nil {
		return nil, err
	}
	t, err := workspace.ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	return t.Outputs(), nil
}

// upload runs the uploader until the APPROVED request is RELEASED, timing
// only that.
func (b *bench) upload(ctx context.Context, workers int, poll time.Duration, cpuprofile string) error {
	svc, st, blobs, target, err := b.open(ctx)
	if err != nil {
		return err
	}
	defer blobs.Close()
	defer st.Close()
	approved, err := st.ListRequests(ctx, store.RequestFilter{Workspace: wsName, Statuses: []domain.Status{domain.StatusApproved}})
	if err != nil {
		return err
	}
	if len(approved) != 1 {
		return fmt.Errorf("%d APPROVED requests in %s; run `upload db` first", len(approved), b.dir)
	}
	r, err := st.GetRequest(ctx, approved[0].ID)
	if err != nil {
		return err
	}
	var n int
	var size int64
	first := ""
	for _, f := range r.OutputFiles() {
		if f.ReleasedAt != nil && !f.Uploaded {
			n++
			size += f.Size
			if first == "" {
				first = f.Relpath
			}
		}
	}
	if n == 0 {
		return fmt.Errorf("request %s has nothing to upload", r.ID)
	}
	up := release.NewUploader(release.UploaderConfig{
		Service: svc, Target: target, Copies: blobs, Logger: b.log, Workers: workers, Poll: poll,
	})

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		up.Run(runCtx)
	}()
	// Poll the request's header only (one row), so that watching costs the
	// uploader next to nothing.
	deadline := time.After(time.Hour)
	for {
		h, _, err := st.GetRequestFile(ctx, r.ID, first)
		if err != nil {
			cancel()
			<-done
			return err
		}
		if h.Status == domain.StatusReleased {
			break
		}
		select {
		case <-deadline:
			cancel()
			<-done
			return errors.New("not RELEASED after an hour")
		case <-time.After(5 * time.Millisecond):
		}
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	pprof.StopCPUProfile()

	r, err = st.GetRequest(ctx, r.ID)
	if err != nil {
		return err
	}
	for _, f := range r.OutputFiles() {
		if f.ReleasedAt != nil && !f.Uploaded {
			return fmt.Errorf("request %s is RELEASED but %s is not uploaded", r.ID, f.Relpath)
		}
	}
	fmt.Printf("uploaded %d files (%.1f MiB) in %.3f seconds with %d workers\n",
		n, float64(size)/(1<<20), elapsed.Seconds(), workers)
	return nil
}
