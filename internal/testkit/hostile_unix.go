//go:build unix

package testkit

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// Secret is the content of the highly sensitive files the hostile cases
// of AddHostile point at: it must never be shown or copied.
const Secret = "patient_id,diagnosis\n1,very secret\n"

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

// AddHostile writes the hostile cases into w (call Save after): links to
// a highly sensitive file of the workspace and to a file outside it (each
// listed in the manifest with the secret's content hash, so that only the
// link stops them), a linked parent folder, a linked log, a FIFO listed as
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
