//go:build unix

package workspace_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// TestHostileFilesAreNeverOpened: links (to a highly sensitive file, out
// of the workspace, through a linked folder, as a log), FIFOs, sockets,
// devices and folders listed as files are refused promptly with a 4xx
// saying why, by both ways of resolving paths; regular files still open.
func TestHostileFilesAreNeverOpened(t *testing.T) {
	for _, mode := range []string{"openat2", "walk"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			cases := testkit.NewHostileFiles(t, dir, "ws", "")
			r := workspace.NewReader(dir)
			if mode == "walk" {
				workspace.ForceWalk(r)
			}
			for _, tc := range cases {
				t.Run(tc.Name, func(t *testing.T) {
					testkit.Promptly(t, "reading "+tc.Path, func() {
						_, err := r.Stat(ctx, "ws", tc.Path)
						if !errors.Is(err, domain.ErrNotFound) || !errors.Is(err, workspace.ErrUnusable) || !strings.Contains(err.Error(), tc.Path+" in workspace ws cannot be used: it is") {
							t.Errorf("Stat(%s) = %v, want not found saying why", tc.Path, err)
						}
						fh, _, err := r.Open(ctx, "ws", tc.Path)
						if err == nil {
							b, _ := io.ReadAll(fh)
							fh.Close()
							t.Fatalf("Open(%s) opened it and read %q", tc.Path, b)
						}
						if !errors.Is(err, domain.ErrNotFound) {
							t.Errorf("Open(%s) = %v, want not found", tc.Path, err)
						}
						if strings.Contains(err.Error(), "very secret") {
							t.Errorf("the error shows the secret: %v", err)
						}
						parent := filepath.Dir(tc.Path)
						if _, err := r.List(ctx, "ws", parent, true); err != nil {
							t.Errorf("listing %s: %v", parent, err)
						}
					})
				})
			}
			testkit.Promptly(t, "listing metadata", func() {
				items, err := r.List(ctx, "ws", "metadata", true)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(items); !slices.Equal(got, []string{"manifest.json", "ok.log"}) {
					t.Errorf("metadata lists %v: links and FIFOs must not show", got)
				}
			})
			for _, p := range []string{"output/ok.csv", "metadata/ok.log"} {
				fh, _, err := r.Open(ctx, "ws", p)
				if err != nil {
					t.Fatalf("a regular file does not open: %v", err)
				}
				fh.Close()
			}
		})
	}
}

// TestLinksAroundTheManifest: the manifest is read through no link (a
// linked manifest.json or metadata folder makes the workspace unavailable,
// saying why), but the workspace folder itself may be a link: that is
// the operator's layout.
func TestLinksAroundTheManifest(t *testing.T) {
	dir := t.TempDir()
	elsewhere := t.TempDir()
	real := testkit.NewDiskWorkspace(t, elsewhere, "real")
	real.Output("output/a.csv", "a\n1\n", nil).Save()
	if err := os.Symlink(real.Dir, filepath.Join(dir, "linkedws")); err != nil {
		t.Fatal(err)
	}
	for name, link := range map[string]func(ws string) error{
		"linkedmanifest": func(ws string) error {
			return os.Symlink(filepath.Join(real.Dir, "metadata", "manifest.json"), filepath.Join(ws, "metadata", "manifest.json"))
		},
		"linkedmetadata": func(ws string) error {
			return os.Symlink(filepath.Join(real.Dir, "metadata"), filepath.Join(ws, "metadata"))
		},
	} {
		ws := filepath.Join(dir, name)
		os.MkdirAll(filepath.Join(ws, "metadata"), 0o755)
		if name == "linkedmetadata" {
			os.Remove(filepath.Join(ws, "metadata"))
		}
		if err := link(ws); err != nil {
			t.Fatal(err)
		}
	}
	r := workspace.NewReader(dir)
	for _, ws := range []string{"linkedmanifest", "linkedmetadata"} {
		_, err := r.Tree(ctx, ws)
		if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), "is unavailable: metadata/manifest.json it is a symbolic link") {
			t.Errorf("%s: %v", ws, err)
		}
	}
	fh, it, err := r.Open(ctx, "linkedws", "output/a.csv")
	if err != nil {
		t.Fatalf("a linked workspace folder: %v", err)
	}
	fh.Close()
	if !it.Valid {
		t.Error("not valid")
	}
	got, err := r.Workspaces(ctx)
	if err != nil || !slices.Equal(got, []string{"linkedmanifest", "linkedmetadata", "linkedws"}) {
		t.Errorf("workspaces %v %v", got, err)
	}
}

// TestHungDiskIsBounded: a disk that does not answer gives a clear error
// within the disk time bound (simulated: every disk operation blocks
// until the test ends).
func TestHungDiskIsBounded(t *testing.T) {
	dir := t.TempDir()
	testkit.NewDiskWorkspace(t, dir, "ws").Output("output/a.csv", "a\n1\n", nil).Save()
	// The bound is long enough for the first read of a healthy disk on a
	// loaded machine, short enough to keep the test quick.
	r := workspace.NewReader(dir, workspace.WithDiskTimeout(500*time.Millisecond))
	if _, err := r.Tree(ctx, "ws"); err != nil {
		t.Fatal(err)
	}
	hung := make(chan struct{})
	defer close(hung)
	workspace.SetBeforeDisk(r, func() { <-hung })
	for name, call := range map[string]func() error{
		"tree":       func() error { _, err := r.Tree(ctx, "ws"); return err },
		"stat":       func() error { _, err := r.Stat(ctx, "ws", "output/a.csv"); return err },
		"open":       func() error { _, _, err := r.Open(ctx, "ws", "output/a.csv"); return err },
		"workspaces": func() error { _, err := r.Workspaces(ctx); return err },
		"metadata":   func() error { _, err := r.List(ctx, "ws", "metadata", false); return err },
	} {
		testkit.Promptly(t, name, func() {
			err := call()
			if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 500ms") {
				t.Errorf("%s on a hung disk: %v", name, err)
			}
		})
	}
	// A request that ends stops the wait too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	testkit.Promptly(t, "cancelled", func() {
		r2 := workspace.NewReader(dir)
		workspace.SetBeforeDisk(r2, func() { <-hung })
		if _, err := r2.Tree(cctx, "ws"); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	})
}

// TestReadsStopWithTheContext: an open file stops reading when the
// request that opened it ends.
func TestReadsStopWithTheContext(t *testing.T) {
	dir := t.TempDir()
	testkit.NewDiskWorkspace(t, dir, "ws").Output("output/a.csv", "a\n1\n", nil).Save()
	r := workspace.NewReader(dir)
	cctx, cancel := context.WithCancel(ctx)
	fh, _, err := r.Open(cctx, "ws", "output/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b := make([]byte, 2)
	if n, err := fh.Read(b); n != 2 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
	cancel()
	if _, err := fh.Read(b); !errors.Is(err, context.Canceled) {
		t.Errorf("read after the end of the request: %v", err)
	}
	if _, err := fh.ReadAt(b, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAt after the end of the request: %v", err)
	}
}
