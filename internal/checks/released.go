package checks

import (
	"context"
	"io"
	"io/fs"
	"slices"
)

// Released gives the differencing rule the files already released from
// the workspace of the file being checked. The service passes the
// workspace's released request files; `airlock check --released` passes
// files from the command line.
type Released interface {
	// ReleasedFiles lists the released files by path. Only CSV files are
	// read.
	ReleasedFiles(ctx context.Context) ([]string, error)
	// OpenReleased opens one of the listed files. It is called at most
	// twice per file and check, and the file is closed before the next.
	OpenReleased(ctx context.Context, path string) (io.ReadCloser, error)
}

// WithReleased compares tables with the released files r lists (the
// differencing rule).
func WithReleased(r Released) Option {
	return func(o *options) { o.released = r }
}

// ReleasedFS is a Released over files of a file system.
type ReleasedFS struct {
	FS    fs.FS
	Paths []string
}

func (r ReleasedFS) ReleasedFiles(context.Context) ([]string, error) {
	return slices.Clone(r.Paths), nil
}

func (r ReleasedFS) OpenReleased(_ context.Context, path string) (io.ReadCloser, error) {
	return r.FS.Open(path)
}
