//go:build unix

package testkit

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// Secret is the content of the highly sensitive file of a hostile
// workspace: no answer may ever hold it.
const Secret = "patient_id,secret\nSECRET-7f3a9c-do-not-release,42\n"

// HostileWorkspace is a workspace on disk that a hostile researcher has
// prepared: outputs listed in the manifest (with the content hash of the
// secret, so a hash check alone does not stop them) that are symbolic
// links to the highly sensitive file, to a file outside the workspace,
// through a linked folder, and a FIFO that would block whoever opens it.
type HostileWorkspace struct {
	Dir  string // the workspace folder
	Good string // an ordinary output, which may be shown
	// Links are the outputs that are symbolic links (or lie under one).
	Links []string
	FIFO  string // an output that is a named pipe
}

// NewHostileWorkspace writes the workspace name under parent (the folder
// of workspaces), and a secret file beside the workspaces.
func NewHostileWorkspace(t testing.TB, parent, name string) *HostileWorkspace {
	t.Helper()
	w := NewDiskWorkspace(t, parent, name)
	w.Output("output/highly_sensitive/patients.csv", Secret, map[string]any{"level": "highly_sensitive"})
	w.Output("output/a.csv", "a,b\n1,2\n", nil)
	outside := filepath.Join(filepath.Dir(parent), filepath.Base(parent)+"-outside-secret.csv")
	if err := os.WriteFile(outside, []byte(Secret), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &HostileWorkspace{Dir: w.Dir, Good: "output/a.csv", FIFO: "output/pipe.csv"}
	link := func(rel, target string) {
		t.Helper()
		w.Output(rel, Secret, nil) // the manifest entry, hash of the secret
		p := filepath.Join(w.Dir, filepath.FromSlash(rel))
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		h.Links = append(h.Links, rel)
	}
	link("output/new1.csv", "highly_sensitive/patients.csv")
	link("output/abs.csv", filepath.Join(w.Dir, "output/highly_sensitive/patients.csv"))
	link("output/outside.csv", outside)
	link("output/up.csv", "../../../"+filepath.Base(outside))
	// A linked folder: output/linked → output/highly_sensitive, so that
	// output/linked/patients.csv is the secret under a listed name.
	w.Output("output/linked/patients.csv", Secret, nil)
	if err := os.RemoveAll(filepath.Join(w.Dir, "output/linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("highly_sensitive", filepath.Join(w.Dir, "output/linked")); err != nil {
		t.Fatal(err)
	}
	h.Links = append(h.Links, "output/linked/patients.csv")

	w.Output(h.FIFO, "", nil)
	fifo := filepath.Join(w.Dir, filepath.FromSlash(h.FIFO))
	if err := os.Remove(fifo); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Release)
	w.Save()
	return h
}

// Release lets go whoever is blocked opening the FIFO for reading: a
// writer opens it and closes it at once. A test calls it before its
// servers close (which wait for their handlers); it is also called when
// the test ends.
func (h *HostileWorkspace) Release() {
	fifo := filepath.Join(h.Dir, filepath.FromSlash(h.FIFO))
	for range 3 {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
}

// HostileDisk is an Env's service over a hostile workspace on disk and a
// request store on disk, with a PENDING request by the author and a
// SUBMITTED one by the checker-author, each holding the workspace's good
// output in group "g".
type HostileDisk struct {
	*HostileWorkspace
	Copies             func() int // counts the request store's files
	Pending, Submitted *domain.Request
}

// NewHostileDisk replaces e's service by one over Workspace written by
// NewHostileWorkspace and a request store in a temporary folder (see
// UseDisk), and makes the two requests.
func NewHostileDisk(e *Env) *HostileDisk {
	t := e.T
	t.Helper()
	wsDir, storeDir := filepath.Join(t.TempDir(), "workspaces"), filepath.Join(t.TempDir(), "requests")
	hw := NewHostileWorkspace(t, wsDir, Workspace)
	e.UseDisk(wsDir, storeDir)
	mk := func(a domain.User) *domain.Request {
		r := e.R(e.Svc.AddFiles(e.Ctx, a, Workspace, "g", []service.AddFile{{Path: hw.Good, FileType: domain.FileOutput}}))
		r, _, err := e.Svc.EditGroup(e.Ctx, a, r.ID, "g", "Counts of things", "Rounded to 5")
		return e.R(r, err)
	}
	d := &HostileDisk{HostileWorkspace: hw, Copies: CopiesIn(t, storeDir)}
	d.Pending = mk(e.Author)
	d.Submitted = e.R(e.Svc.Submit(e.Ctx, e.CheckerAuthor, mk(e.CheckerAuthor).ID))
	return d
}

// Promptly runs f, failing the test instead of hanging when f does not
// return within a generous bound (a FIFO opened for reading blocks until
// a writer comes: for ever, in a test).
func Promptly(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return within 20s: it hangs", what)
	}
}

// HostileCase is a path of a workspace that the manifest lists as a
// moderately sensitive output (or, under metadata/, a log) but that is not
// a regular file reached through no link.
type HostileCase struct {
	Name string
	Path string
	// Output is set for outputs listed in the manifest (which can be
	// asked to be added); logs under metadata/ are found on disk.
	Output bool
}

// BadHashCase names the case NewHostileFiles adds for an output whose
// content_hash is not a sha256.
const BadHashCase = "content_hash not a sha256"

// NewHostileFiles writes the workspace name under parent: a regular
// output output/ok.csv and log metadata/ok.log, every hostile case of
// AddHostile (its outside folder a temporary one) and, when badHash is
// not empty, output/badhash.csv listed with content_hash badHash (the
// last case, named BadHashCase). It saves the manifest and returns the
// cases.
func NewHostileFiles(t testing.TB, parent, name, badHash string) []HostileCase {
	t.Helper()
	w := NewDiskWorkspace(t, parent, name)
	w.Output("output/ok.csv", "a,b\n1,2\n", nil).WriteFile("metadata/ok.log", "ran\n")
	if badHash != "" {
		w.Output("output/badhash.csv", "a,b\n1,2\n", map[string]any{"content_hash": badHash})
	}
	cases := w.AddHostile(t.TempDir())
	w.Save()
	if badHash != "" {
		cases = append(cases, HostileCase{Name: BadHashCase, Path: "output/badhash.csv", Output: true})
	}
	return cases
}

// AddHostile writes the hostile cases into w (call Save after): links to
// a highly sensitive file of the workspace and to a file outside it (each
// listed in the manifest with the secret's content hash, so that only the
// link stops them), a linked parent folder, a linked log, hard links to the
// highly sensitive file (as an output and as a log), a FIFO listed as
// an output and one as a log, a unix socket, a device (when mknod is
// allowed), and a folder where the manifest says a file. outside is a
// folder outside the workspace.
func (w *DiskWorkspace) AddHostile(outside string) []HostileCase {
	w.T.Helper()
	must := func(err error) {
		w.T.Helper()
		if err != nil {
			w.T.Fatal(err)
		}
	}
	abs := func(rel string) string { return filepath.Join(w.Dir, filepath.FromSlash(rel)) }
	// replace lists p in the manifest with the secret's hash and puts
	// make's result at its place.
	replace := func(p string, make func(string) error) bool {
		w.Output(p, Secret, nil)
		must(os.Remove(abs(p)))
		if err := make(abs(p)); err != nil {
			delete(w.Outputs, p)
			w.T.Logf("hostile case %s left out: %v", p, err)
			return false
		}
		return true
	}
	w.Output("output/secret.csv", Secret, map[string]any{"level": "highly_sensitive"})
	must(os.MkdirAll(filepath.Join(outside, "dir"), 0o755))
	must(os.WriteFile(filepath.Join(outside, "secret.csv"), []byte(Secret), 0o644))
	must(os.WriteFile(filepath.Join(outside, "dir", "data.csv"), []byte(Secret), 0o644))
	must(os.MkdirAll(abs("metadata"), 0o755))

	cases := []HostileCase{
		{"link to a highly sensitive file", "output/new1.csv", true},
		{"link out of the workspace", "output/outside.csv", true},
		{"linked parent folder", "output/linked/data.csv", true},
		{"linked metadata log", "metadata/job.log", false},
		{"FIFO", "output/fifo.csv", true},
		{"FIFO log", "metadata/pipe.log", false},
		{"folder where a file is expected", "output/dir.csv", true},
		{"hard link to a highly sensitive file", "output/hard.csv", true},
		{"hard-linked metadata log", "metadata/hard.log", false},
	}
	replace("output/new1.csv", func(p string) error { return os.Symlink("secret.csv", p) })
	replace("output/outside.csv", func(p string) error { return os.Symlink(filepath.Join(outside, "secret.csv"), p) })
	w.Output("output/linked/data.csv", Secret, nil)
	must(os.RemoveAll(abs("output/linked")))
	must(os.Symlink(filepath.Join(outside, "dir"), abs("output/linked")))
	must(os.Symlink("../output/secret.csv", abs("metadata/job.log")))
	replace("output/fifo.csv", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	must(syscall.Mkfifo(abs("metadata/pipe.log"), 0o644))
	replace("output/dir.csv", func(p string) error { return os.Mkdir(p, 0o755) })
	replace("output/hard.csv", func(p string) error { return os.Link(abs("output/secret.csv"), p) })
	must(os.Link(abs("output/secret.csv"), abs("metadata/hard.log")))
	if replace("output/s.csv", func(p string) error {
		l, err := net.Listen("unix", p)
		if err == nil {
			w.T.Cleanup(func() { l.Close() })
		}
		return err
	}) {
		cases = append(cases, HostileCase{"unix socket", "output/s.csv", true})
	}
	if replace("output/null.csv", func(p string) error {
		return syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3) // /dev/null's numbers
	}) {
		cases = append(cases, HostileCase{"device", "output/null.csv", true})
	}
	return cases
}
