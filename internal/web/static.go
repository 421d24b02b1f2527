package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Static files are embedded and served under /static/ by a name that
// carries a hash of their content (style.css is /static/style.<hash>.css),
// so that browsers may keep them for a year: a new version has a new
// URL. Templates get the URL with {{static "style.css"}}. Only the kinds
// of file in staticTypes are served.
//
//go:embed static
var staticFS embed.FS

var staticTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
}

type staticFile struct {
	body []byte
	ct   string
	etag string
}

type staticFiles struct {
	byName map[string]*staticFile // by the name served: hashed, or plain
	hashed map[string]bool        // names that carry their hash
	urls   map[string]string      // plain name → /static/<hashed name>
}

// loadStatic reads and hashes the embedded static files.
func loadStatic() (*staticFiles, error) {
	s := &staticFiles{byName: map[string]*staticFile{}, hashed: map[string]bool{}, urls: map[string]string{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		ct, ok := staticTypes[path.Ext(name)]
		if e.IsDir() || !ok {
			continue
		}
		body, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("static files: %w", err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:6])
		f := &staticFile{body: body, ct: ct, etag: `"` + hash + `"`}
		ext := path.Ext(name)
		hashedName := strings.TrimSuffix(name, ext) + "." + hash + ext
		s.byName[name], s.byName[hashedName] = f, f
		s.hashed[hashedName] = true
		s.urls[name] = "/static/" + hashedName
	}
	return s, nil
}

// url is the URL of a static file by its plain name; a name that is not
// there is an error, which fails the template.
func (s *staticFiles) url(name string) (string, error) {
	u, ok := s.urls[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return u, nil
}

// serve answers GET /static/{name}: a hashed name is cached for a year,
// a plain one revalidated each time.
func (s *staticFiles) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, ok := s.byName[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ct)
	h.Set("ETag", f.etag)
	if s.hashed[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
