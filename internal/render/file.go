// Package render turns one open file into the view a reviewer sees in the
// browser: a paged CSV table and its summary statistics, preformatted text,
// a log with its ANSI colours, an inlined image, or the raw bytes of an
// HTML or SVG file behind a sandboxing Content-Security-Policy.
//
// It knows nothing about workspaces or requests. Callers open the file,
// decide who may see it, and hand it over as a [File]; [Serve] writes the
// whole HTTP response, including the caching headers. The lower-level
// functions ([CSVPage], [CSVSummarize], [LogTail]) are for the JSON API.
//
// The CSV table marks the cells that disclosure checks flag, when the
// caller passes the file's findings in [File.Findings].
//
// Every reader works from the file's io.ReaderAt through its own section
// reader, so one File may be rendered by several requests at once, and no
// viewer holds more than a bounded part of the file in memory.
package render

import (
	"io"
	"path"
	"time"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
)

// File is an open file to show.
type File struct {
	// Name is the file's relative path. Its extension chooses the viewer
	// and its base name is used in titles and messages.
	Name string
	// Content gives the bytes. An *os.File satisfies it. Reads never
	// change a shared offset, so Content may be used concurrently.
	Content io.ReaderAt
	// Size is the number of bytes of Content to show.
	Size int64
	// ModTime is sent as Last-Modified when it is not zero.
	ModTime time.Time
	// CacheID identifies these exact bytes: a request file's sha256, or a
	// workspace file's "<mtime hex>-<size hex>". It is the base of the
	// ETag. When empty the response is not cacheable.
	CacheID string
	// Findings are the disclosure-check findings of these bytes, as
	// checks.Check returns them (nil when there are none or the checks
	// have not run). The CSV table marks the cells they list on the page
	// shown, with a legend above it; findings without Cells are not shown
	// (the page around the viewer lists them). Other views ignore them.
	Findings []checks.Finding
	// Source: the file is a study's code (the code browser), so a type
	// that no viewer shows (.py, .R, .do, .yaml, ...) is shown as
	// preformatted text rather than refused.
	Source bool
}

// section returns a fresh reader over the whole file.
func (f File) section() *io.SectionReader {
	return io.NewSectionReader(f.Content, 0, f.Size)
}

// baseName returns the last element of the file's name.
func (f File) baseName() string {
	return path.Base(f.Name)
}

// kind is the viewer chosen for a file.
type kind int

const (
	kindInvalid kind = iota
	kindCSV
	kindText
	kindLog
	kindImage
	kindRaw
)

// kindOf returns the viewer for a file name: invalid unless the domain
// allows its type (docs/viewers.md, By type).
func kindOf(name string) kind {
	if !domain.AllowedFileType(name) {
		return kindInvalid
	}
	switch path.Ext(path.Base(name)) {
	case ".csv":
		return kindCSV
	case ".txt", ".json", ".md":
		return kindText
	case ".log":
		return kindLog
	case ".png", ".jpg", ".jpeg":
		return kindImage
	case ".html", ".svg", ".svgz":
		return kindRaw
	}
	return kindInvalid
}
