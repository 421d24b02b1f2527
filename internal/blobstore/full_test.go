package blobstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/testkit"
)

// fullDisk is a request folder whose disk fills up, and a way to free it.
type fullDisk struct {
	root string // the store's root folder
	opts []blobstore.Option
	fill func() // leave less room than a copy needs
	free func() // give the room back
}

// fullDisks are the two ways a test fills the request folder's disk: a
// writer injected into the store that fails with ENOSPC once its budget
// is spent, and a real 1 MiB tmpfs filled by another file (root only;
// skipped without it, except under CI=true).
func fullDisks() map[string]func(t *testing.T) fullDisk {
	return map[string]func(t *testing.T) fullDisk{
		"injected ENOSPC": func(t *testing.T) fullDisk {
			d := testkit.NewFullDisk(1 << 40)
			return fullDisk{
				root: filepath.Join(t.TempDir(), "requests"),
				opts: []blobstore.Option{blobstore.WithWriteHook(d.Wrap)},
				fill: func() { d.SetFree(100 << 10) },
				free: func() { d.SetFree(1 << 40) },
			}
		},
		"tmpfs": func(t *testing.T) fullDisk {
			dir := testkit.Tmpfs(t, "1m")
			var filler string
			return fullDisk{
				root: dir,
				fill: func() { filler = testkit.FillUntilFull(t, dir, "filler", 100<<10) },
				free: func() {
					if err := os.Remove(filler); err != nil {
						t.Fatal(err)
					}
				},
			}
		},
	}
}

// files lists what is under dir (recursively), folders excluded.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestPutOnFullDisk: a copy that does not fit fails with ErrFull (and
// the ENOSPC under it), leaves no blob and no temporary file, and
// succeeds once there is room again.
func TestPutOnFullDisk(t *testing.T) {
	for name, mk := range fullDisks() {
		t.Run(name, func(t *testing.T) {
			disk := mk(t)
			s, err := blobstore.New(disk.root, disk.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Larger than the room left, smaller than the disk: 300 KiB
			// over several of the copy's 1 MiB buffers' worth of writes.
			content := bytes.Repeat([]byte("region,count\nNorth,10\n"), 300<<10/22)
			sum := sha256.Sum256(content)
			want := hex.EncodeToString(sum[:])

			disk.fill()
			before := files(t, disk.root)
			_, _, err = s.Put(t.Context(), "ws", bytes.NewReader(content), want)
			if !errors.Is(err, blobstore.ErrFull) || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("put on a full disk: %v, want ErrFull wrapping ENOSPC", err)
			}
			if after := files(t, disk.root); !slices.Equal(after, before) {
				t.Fatalf("a failed put left files: before %v, after %v", before, after)
			}
			if _, err := s.Open("ws", want); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a blob exists after a failed put: %v", err)
			}

			disk.free()
			got, size, err := s.Put(t.Context(), "ws", bytes.NewReader(content), want)
			if err != nil || got != want || size != int64(len(content)) {
				t.Fatalf("put after freeing space: %s %d %v", got, size, err)
			}
			f, err := s.Open("ws", want)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			if err != nil || !bytes.Equal(b, content) {
				t.Fatalf("stored copy differs (%d bytes, %v)", len(b), err)
			}
		})
	}
}
