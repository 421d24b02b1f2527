package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Cluster is a PostgreSQL server of a test's own, in a temporary folder,
// which the test may stop and start again (fault-injection tests: the
// database going away under a running airlock). It listens on 127.0.0.1
// at a port of its own, with trust authentication, and keeps its data
// across a stop and start. It is stopped and deleted when the test ends.
type Cluster struct {
	t    testing.TB
	bin  string // folder of initdb, pg_ctl and postgres
	dir  string // the cluster's folder: data/, server.log, the socket
	port int
	root bool // we are root: the server runs as the postgres user
}

// NewCluster initdb's a cluster, starts it, and creates the database
// "airlock". Without PostgreSQL's programs (initdb in PATH or in
// /usr/lib/postgresql/*/bin) the test is skipped, except under CI=true,
// where it fails (.ci/run installs them).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := findBin()
	if bin == "" {
		msg := "no initdb found in PATH or /usr/lib/postgresql/*/bin: this test needs its own PostgreSQL server"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s, and CI=true: install PostgreSQL's server programs (.ci/run does)", msg)
		}
		t.Skip(msg)
	}
	c := &Cluster{t: t, bin: bin, root: os.Geteuid() == 0}
	if c.root {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Fatalf("pgtest: running as root, PostgreSQL must run as the user postgres, who does not exist (.ci/postgres.sh creates it): %v", err)
		}
	}
	// Not under t.TempDir: its parents are private to us, and the server
	// may run as another user.
	dir, err := os.MkdirTemp("", "airlock-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if c.root {
		if out, err := exec.Command("chown", "postgres:", dir).CombinedOutput(); err != nil {
			t.Fatalf("pgtest: chown %s: %v: %s", dir, err, out)
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	for try := 0; ; try++ {
		c.port = freePort(t)
		err := c.Start()
		if err == nil {
			break
		}
		if try == 4 {
			t.Fatalf("pgtest: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin(ctx, c.url("postgres"), "CREATE DATABASE airlock"); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return c
}

// URL is the URL of the cluster's database "airlock" (as its superuser).
func (c *Cluster) URL() string { return c.url("airlock") }

func (c *Cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Stop stops the server with pg_ctl's mode: "fast" (connections are
// ended, the server shuts down cleanly) or "immediate" (it stops at
// once, as in a crash; the next Start recovers from its log).
func (c *Cluster) Stop(mode string) error {
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
	return nil
}

// Start starts the server (again), on the same port, and waits until it
// accepts connections.
func (c *Cluster) Start() error {
	opts := "-c listen_addresses=127.0.0.1 -c port=" + strconv.Itoa(c.port) +
		" -c unix_socket_directories=" + c.dir + " -c fsync=off -c full_page_writes=off -c max_connections=100"
	out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\nserver log:\n%s", err, out, log)
	}
	return nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of PostgreSQL's programs, as the postgres user when we
// are root (initdb and postgres refuse to run as root).
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.root {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// findBin returns the folder holding initdb, pg_ctl and postgres: initdb's
// in PATH, or the newest /usr/lib/postgresql/*/bin; "" when there is none.
func findBin() string {
	has := func(dir string) bool {
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if has(d) {
			return d
		}
	}
	return ""
}

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a
// moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
