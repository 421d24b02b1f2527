package importref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"syscall"

	"github.com/airlock-go/airlock/internal/blobstore"
)

// problemError is a copy that is missing or wrong: reported, not fatal
// to the walk.
type problemError struct{ why string }

func (e problemError) Error() string { return e.why }

func validHash(h string) bool { return blobstore.ValidHash(h) }

func blobstoreValid(ws string) bool { return blobstore.ValidWorkspace(ws) }

// copyOne verifies the copy at rel under root (and, unless dryRun, puts
// it into blobs under workspace), returning its size. A missing,
// non-regular or mismatching copy is a problemError.
func copyOne(ctx context.Context, root *os.Root, rel, workspace, sha string, blobs Blobs, dryRun bool) (int64, error) {
	if !blobstore.ValidWorkspace(workspace) {
		return 0, problemError{fmt.Sprintf("the workspace name %q cannot be a folder of the request store", workspace)}
	}
	// O_NONBLOCK: a FIFO planted where a copy should be must not hang the
	// import; it is refused below as not a regular file.
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, problemError{"missing"}
		}
		return 0, problemError{fmt.Sprintf("cannot be read: %v", err)}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, problemError{fmt.Sprintf("cannot be read: %v", err)}
	}
	if !fi.Mode().IsRegular() {
		return 0, problemError{"not a regular file"}
	}
	if dryRun {
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return 0, problemError{fmt.Sprintf("cannot be read: %v", err)}
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sha {
			return 0, problemError{fmt.Sprintf("its sha256 is %s, not %s", got, sha)}
		}
		return n, nil
	}
	_, n, err := blobs.Put(ctx, workspace, f, sha)
	if errors.Is(err, blobstore.ErrHashMismatch) {
		return 0, problemError{"its sha256 does not match its name (the file_id the request records)"}
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
