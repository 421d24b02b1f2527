//go:build unix

package testkit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
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
