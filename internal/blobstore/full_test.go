package blobstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestPutOnFullDisk: a copy that does not fit fails with ErrFull (and
// the ENOSPC under it), leaves no blob and no temporary file, and
// succeeds once there is room again.
func TestPutOnFullDisk(t *testing.T) {
	for name, mk := range testkit.DiskFaults() {
		t.Run(name, func(t *testing.T) {
			disk := mk(t)
			s, err := blobstore.New(disk.Root, disk.Options...)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Larger than the room left, smaller than the disk: 300 KiB
			// over several of the copy's 1 MiB buffers' worth of writes.
			content := bytes.Repeat([]byte("region,count\nNorth,10\n"), 300<<10/22)
			sum := sha256.Sum256(content)
			want := hex.EncodeToString(sum[:])

			disk.Fill()
			before := testkit.FilesUnder(t, disk.Root)
			_, _, err = s.Put(t.Context(), "ws", bytes.NewReader(content), want)
			if !errors.Is(err, blobstore.ErrFull) || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("put on a full disk: %v, want ErrFull wrapping ENOSPC", err)
			}
			if after := testkit.FilesUnder(t, disk.Root); !slices.Equal(after, before) {
				t.Fatalf("a failed put left files: before %v, after %v", before, after)
			}
			if _, err := s.Open("ws", want); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a blob exists after a failed put: %v", err)
			}

			disk.Free()
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
