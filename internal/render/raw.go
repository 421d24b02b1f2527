package render

import (
	"net/http"
	"path"
)

// serveRaw sends an HTML or SVG file as it is, with its own content type
// and the sandboxing RawCSP. Range requests work.
func serveRaw(w http.ResponseWriter, r *http.Request, f File) error {
	h := w.Header()
	switch path.Ext(f.Name) {
	case ".html":
		h.Set("Content-Type", "text/html; charset=utf-8")
	case ".svgz":
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Content-Encoding", "gzip")
	default:
		h.Set("Content-Type", "image/svg+xml")
	}
	return serveBytes(w, r, f, etag(f, "", false))
}

// servePlain sends any valid file's bytes as UTF-8 plain text, streamed
// without buffering; the browser shows invalid UTF-8 as U+FFFD.
func servePlain(w http.ResponseWriter, r *http.Request, f File) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	return serveBytes(w, r, f, etag(f, "plaintext", false))
}

func serveBytes(w http.ResponseWriter, r *http.Request, f File, tag string) error {
	h := w.Header()
	setSecurityHeaders(h, RawCSP)
	setCacheHeaders(h, f, tag)
	if notModified(r, tag) {
		h.Del("Content-Encoding")
		writeNotModified(w)
		return nil
	}
	http.ServeContent(w, r, f.baseName(), f.ModTime, f.section())
	return nil
}
