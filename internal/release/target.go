// Package release sends released files out of airlock: to job-server, or
// to a release folder when there is no job-server, and runs the uploader
// that does it, file by file, exactly once each, surviving crashes.
package release

import (
	"context"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// Target is where released files go. Both calls must be safe to repeat:
// a retry after any failure (or crash) completes the release.
type Target interface {
	// CreateRelease announces a release of files before they are marked
	// released.
	CreateRelease(ctx context.Context, r *domain.Request, files []domain.RequestFile, user string) error
	// Upload sends one released file's stored bytes. A file the target
	// already has with the same bytes counts as uploaded.
	Upload(ctx context.Context, r *domain.Request, f domain.RequestFile, user string, content io.Reader) error
}

// Copies opens the stored copies of request files.
type Copies interface {
	Open(workspace, sha string) (*os.File, error)
}

// fileEntry is one file of a release, as job-server's release API and the
// release folder's manifest describe it.
type fileEntry struct {
	Name     string         `json:"name"`
	URL      string         `json:"url"`
	Size     int64          `json:"size"`
	SHA256   string         `json:"sha256"`
	Date     string         `json:"date"`
	Metadata map[string]any `json:"metadata"`
	Review   any            `json:"review"`
}

// releaseBody is the file list of a release (docs/jobserver.md, Releases).
type releaseBody struct {
	Files    []fileEntry    `json:"files"`
	Metadata map[string]any `json:"metadata"`
	Review   any            `json:"review"`
}

// fileList describes the files of a release from their stored copies.
func fileList(copies Copies, r *domain.Request, files []domain.RequestFile) (releaseBody, error) {
	meta := map[string]any{"tool": "airlock", "airlock_id": r.ID}
	body := releaseBody{Files: []fileEntry{}, Metadata: meta}
	for _, f := range files {
		fh, err := copies.Open(r.Workspace, f.FileID)
		if err != nil {
			return releaseBody{}, err
		}
		fi, err := fh.Stat()
		fh.Close()
		if err != nil {
			return releaseBody{}, err
		}
		body.Files = append(body.Files, fileEntry{
			Name: f.Relpath, URL: f.Relpath, Size: fi.Size(), SHA256: f.FileID,
			Date: isoformat(fi.ModTime()), Metadata: meta,
		})
	}
	return body, nil
}

// isoformat writes a file's time as OpenSAFELY Airlock's file list does
// (Python's datetime.isoformat of the time in UTC): to the microsecond,
// with the offset, such as 2024-01-02T03:04:05.123456+00:00; a time of
// whole seconds has no fraction, 2024-01-02T03:04:05+00:00, as Python
// writes it.
func isoformat(t time.Time) string {
	t = t.UTC().Round(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

// Describe says, for people confirming a release, where the files of a
// release go: job-server at the host of endpoint when airlock releases to
// job-server (a token is set), else the release folder dir.
func Describe(jobServer bool, endpoint, dir string) string {
	if jobServer {
		host := endpoint
		if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
			host = u.Host
		}
		return "they will be uploaded to job-server at " + host
	}
	return "they will be copied into the release folder " + dir + " (in a folder per workspace and request)"
}
