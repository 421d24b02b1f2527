// Command addapi times adding one big file to a release request through
// the JSON API of a running `airlock serve` (the whole add: open, copy,
// sha256, disclosure checks, database), against `cp FILE DEST &&
// sha256sum FILE` on the same file, in the same run, rounds alternating.
//
// It moves the file into a workspace (under -dir) with its manifest, starts `airlock serve` (the binary -airlock
// names) on a SQLite database in -dir, logs a researcher in, and in each
// round times (a) POST /api/v1/workspaces/{ws}/request/files for the file
// and (b) cp + sha256sum. Untimed before each command: the file is taken
// off the request (withdrawn) and its request copy removed, `sync` runs,
// and the page cache is dropped when -drop is set and it can be (root).
// It checks that the request copy's sha256 is sha256sum's, and prints
// every time, the medians and the ratio (a)/(b); the budget is met when
// the ratio is at most 1. It also prints the CPU time each side used (the
// server's from /proc, cp's and sha256sum's from their exits), which a
// busy machine's waits for a core do not inflate.
//
//	go run ./bench/addapi -airlock PATH -dir DIR -file FILE [-rounds 3] [-drop]
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/workspace"
)

const (
	ws     = "bench-add"
	author = "researcher"
	group  = "tables"
)

func main() {
	bin := flag.String("airlock", "", "path of the airlock binary")
	dir := flag.String("dir", "", "work folder (workspaces, request copies, database, cp's destination)")
	file := flag.String("file", "", "the file to add; its name's extension is kept")
	rounds := flag.Int("rounds", 3, "rounds (medians are reported)")
	drop := flag.Bool("drop", false, "drop the page cache before each timed command (needs root)")
	flag.Parse()
	if *bin == "" || *dir == "" || *file == "" || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "usage: addapi -airlock PATH -dir DIR -file FILE [-rounds 3] [-drop]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	if err := run(ctx, *bin, *dir, *file, *rounds, *drop); err != nil {
		fmt.Fprintln(os.Stderr, "addapi:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, dir, file string, rounds int, drop bool) error {
	rel := "output/" + filepath.Base(file)
	sum, size, err := hashFile(file)
	if err != nil {
		return err
	}
	wsDir := filepath.Join(dir, "workspaces")
	if err := writeWorkspace(wsDir, file, rel, sum, size); err != nil {
		return err
	}
	file = filepath.Join(wsDir, ws, filepath.FromSlash(rel)) // cp and sha256sum read it there
	token := rand.Text()
	usersFile := filepath.Join(dir, "users.json")
	if err := writeUsers(usersFile, token); err != nil {
		return err
	}
	requests := filepath.Join(dir, "requests")
	srv, err := start(ctx, bin, dir, wsDir, requests, usersFile)
	if err != nil {
		return err
	}
	defer srv.stop()

	hc := &http.Client{Timeout: time.Hour}
	tok, err := client.New(srv.base, "", hc).Token(ctx, author, token)
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	c := client.New(srv.base, tok.Token, hc)

	dest := filepath.Join(dir, "cp-dest")
	settle := func() error {
		os.Remove(dest)
		if err := exec.Command("sync").Run(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		if drop {
			if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200); err != nil {
				return fmt.Errorf("drop the page cache: %w", err)
			}
		}
		return nil
	}
	var reqID string
	addTimes, cpTimes := []float64{}, []float64{}
	addCPU, cpCPU := []float64{}, []float64{}
	add := func() error {
		if reqID != "" { // untimed: take the file off, remove its copy
			if _, err := c.WithdrawFiles(ctx, reqID, []string{rel}); err != nil {
				return fmt.Errorf("withdraw: %w", err)
			}
			if err := removeCopies(requests); err != nil {
				return err
			}
		}
		if err := settle(); err != nil {
			return err
		}
		cpu0 := processCPU(srv.cmd.Process.Pid)
		start := time.Now()
		r, err := c.AddFiles(ctx, ws, group, []client.AddFile{{Path: rel, FileType: client.FileTypeOutput}})
		d := time.Since(start).Seconds()
		if err != nil {
			return fmt.Errorf("add through the API: %w", err)
		}
		cpu := (processCPU(srv.cmd.Process.Pid) - cpu0).Seconds()
		addCPU = append(addCPU, cpu)
		reqID = r.ID
		if got := copySHA(r, rel); got != sum {
			return fmt.Errorf("the request copy's sha256 is %q, sha256sum's %s", got, sum)
		}
		addTimes = append(addTimes, d)
		fmt.Printf("  %-22s %7.3f s   (server CPU %.3f s)\n", "API add", d, cpu)
		return nil
	}
	cpSha := func() error {
		if err := settle(); err != nil {
			return err
		}
		start := time.Now()
		cp := exec.CommandContext(ctx, "cp", file, dest)
		if out, err := cp.CombinedOutput(); err != nil {
			return fmt.Errorf("cp: %v: %s", err, out)
		}
		sha := exec.CommandContext(ctx, "sha256sum", file)
		out, err := sha.Output()
		d := time.Since(start).Seconds()
		if err != nil {
			return fmt.Errorf("sha256sum: %w", err)
		}
		cpu := (cp.ProcessState.UserTime() + cp.ProcessState.SystemTime() +
			sha.ProcessState.UserTime() + sha.ProcessState.SystemTime()).Seconds()
		cpCPU = append(cpCPU, cpu)
		if got, _, _ := strings.Cut(string(out), " "); got != sum {
			return fmt.Errorf("sha256sum says %s, Go %s", got, sum)
		}
		cpTimes = append(cpTimes, d)
		fmt.Printf("  %-22s %7.3f s   (CPU %.3f s)\n", "cp + sha256sum", d, cpu)
		return nil
	}
	for i := range rounds {
		fmt.Printf("round %d\n", i+1)
		steps := []func() error{add, cpSha}
		if i%2 == 1 {
			steps = []func() error{cpSha, add}
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
	}
	os.Remove(dest)
	ma, mb := median(addTimes), median(cpTimes)
	verdict := "within budget"
	if ma > mb {
		verdict = "OVER budget"
	}
	fmt.Printf("file:                          %s (%.0f MiB)\n", filepath.Base(file), float64(size)/(1<<20))
	fmt.Printf("(a) add through the API:       median %.3f s  [%s]\n", ma, list(addTimes))
	fmt.Printf("(b) cp FILE DEST && sha256sum: median %.3f s  [%s]\n", mb, list(cpTimes))
	fmt.Printf("ratio (a)/(b):                 %.2f  (%s)\n", ma/mb, verdict)
	// On a busy machine the wall clock counts the waits for a core: the
	// CPU each side used tells what it costs.
	fmt.Printf("CPU (a) / (b), medians:        %.3f s / %.3f s = %.2f\n", median(addCPU), median(cpCPU), median(addCPU)/median(cpCPU))
	return nil
}

func copySHA(r client.Request, rel string) string {
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.Path == rel {
				return f.SHA256
			}
		}
	}
	return ""
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeWorkspace puts the file into the workspace, with its manifest.
func writeWorkspace(wsDir, file, rel, sum string, size int64) error {
	root := filepath.Join(wsDir, ws)
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	// Moved, not linked: airlock refuses a file of several names.
	if err := os.Rename(file, p); err != nil {
		return err
	}
	rows, cols := 0, 0
	m := workspace.Manifest{Workspace: ws, Repo: "https://github.com/opensafely/bench", Outputs: map[string]workspace.Output{
		rel: {
			Level: "moderately_sensitive", JobID: "job-bench", JobRequest: "jr-bench", Action: "generate_tables",
			Repo: "https://github.com/opensafely/bench", Commit: "abcdef1234567", Size: size,
			Timestamp: float64(time.Now().Unix()), ContentHash: sum, User: author, RowCount: &rows, ColCount: &cols,
		},
	}}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	mp := filepath.Join(root, filepath.FromSlash(workspace.ManifestPath))
	if err := os.MkdirAll(filepath.Dir(mp), 0o755); err != nil {
		return err
	}
	return os.WriteFile(mp, raw, 0o644)
}

func writeUsers(path, token string) error {
	doc := map[string]any{author: map[string]any{"token": token, "details": map[string]any{
		"username": author, "fullname": "Bench Researcher", "output_checker": false,
		"workspaces": map[string]any{ws: map[string]any{
			"project_details": map[string]any{"name": "Bench project", "ongoing": true, "orgs": []string{"Bench University"}},
			"archived":        false,
		}},
		"copiloted_workspaces": map[string]any{},
	}}}
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// removeCopies removes the request copies (untimed, between rounds), so
// that every add writes its copy anew.
func removeCopies(requests string) error {
	dir := filepath.Join(requests, ws)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

type server struct {
	cmd  *exec.Cmd
	base string
	log  string
	done chan struct{}
}

func start(ctx context.Context, bin, dir, wsDir, requests, usersFile string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	work := filepath.Join(dir, "serve")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, log: filepath.Join(work, "stderr.log"), done: make(chan struct{})}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(os.Environ(),
		"AIRLOCK_WORK_DIR="+work,
		"AIRLOCK_DATABASE_URL=sqlite:"+filepath.Join(dir, "airlock.db"),
		"AIRLOCK_WORKSPACE_DIR="+wsDir,
		"AIRLOCK_REQUEST_DIR="+requests,
		"AIRLOCK_RELEASE_DIR="+filepath.Join(dir, "released"),
		"AIRLOCK_DEV_USERS_FILE="+usersFile,
		"AIRLOCK_LISTEN="+addr,
		"AIRLOCK_LOG_LEVEL=warn",
	)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start airlock serve: %w", err)
	}
	go func() { s.cmd.Wait(); logf.Close(); close(s.done) }()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("airlock serve stopped at start-up:\n%s", s.logTail())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("airlock serve not ready after a minute:\n%s", s.logTail())
		}
	}
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	return string(b[max(0, len(b)-4000):])
}

// stop stops the server (SIGTERM) and waits for it.
func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func list(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(s, " ")
}

// processCPU is the user and system time of a process so far, from
// /proc/PID/stat (0 where there is none).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks (USER_HZ, 100 on Linux)
}
