//go:build linux

package testkit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of the given size (as mount's size= option:
// "1m") on a new temporary folder and returns the folder; it is unmounted
// when the test ends. Mounting needs root (or CAP_SYS_ADMIN): without it
// the test is skipped, except under CI=true, where it fails, since CI
// runs as root.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs on %s (needs root): %v: %s", dir, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI=true runs as root, so this test must run", msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// FillUntilFull writes a file named name in dir until the file system is
// full, leaving fewer than leave bytes (approximately: the file system's
// own overhead counts too) and returns its path; removing it frees the
// space again. Any error other than a full disk fails the test.
func FillUntilFull(t testing.TB, dir, name string, leave int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatalf("statfs %s: %v", dir, err)
	}
	avail := int64(st.Bavail) * int64(st.Bsize)
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := avail - leave
	buf := make([]byte, 64<<10)
	for written := int64(0); written < want; {
		n, err := f.Write(buf[:min(int64(len(buf)), want-written)])
		written += int64(n)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("fill %s: %v", dir, err)
	}
	return path
}
