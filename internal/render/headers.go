package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
)

const (
	// DocumentCSP is sent with every HTML document the viewers generate:
	// no scripts, inline styles and data: images only, forms (the CSV
	// filter) sent to the same origin only, framed by the same origin
	// only.
	DocumentCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'self'"
	// RawCSP is sent with HTML and SVG files served as they are: the
	// sandbox directive blocks their scripts and gives them a unique
	// origin, even when they are opened outside the sandboxed iframe.
	RawCSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
	// cacheControl keeps every view out of the browser's cache: the
	// files are shown to logged-in people only, and a copy left in the
	// cache would outlive the session (the Back button after logging out,
	// the next person at a shared workstation). The ETag stays: a client
	// that kept a view by other means may ask If-None-Match and get a 304,
	// which carries no content.
	cacheControl = "no-store"
)

// etag returns the quoted ETag of a view of f, or "" when f has no
// CacheID. variant names the view (and its query, such as the CSV page);
// templated views also hash the templates, so a new version of the
// renderer never reuses an old rendering.
func etag(f File, variant string, templated bool) string {
	if f.CacheID == "" {
		return ""
	}
	base := f.CacheID
	if !etagSafe(base) {
		base = shortHash(base)
	}
	if variant == "" && !templated {
		return `"` + base + `"`
	}
	key := variant
	if templated {
		key = views.hash + "\x00" + variant
	}
	return `"` + base + "-" + shortHash(key) + `"`
}

// etagSafe reports whether s may appear inside a quoted entity tag.
func etagSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c == '"' || c >= 0x7f {
			return false
		}
	}
	return true
}

// shortHash returns 12 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// setCacheHeaders sets ETag (when there is one), Cache-Control and
// Last-Modified.
func setCacheHeaders(h http.Header, f File, tag string) {
	if tag != "" {
		h.Set("ETag", tag)
	}
	h.Set("Cache-Control", cacheControl)
	if !f.ModTime.IsZero() {
		h.Set("Last-Modified", f.ModTime.UTC().Format(http.TimeFormat))
	}
}

// clearCacheHeaders removes the caching headers before an error reply,
// so an error is never cached as the file's content.
func clearCacheHeaders(h http.Header) {
	h.Del("ETag")
	h.Del("Cache-Control")
	h.Del("Last-Modified")
	h.Set("Cache-Control", "no-store")
}

// setSecurityHeaders sets the Content-Security-Policy and nosniff.
func setSecurityHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
}

// notModified reports whether the request's If-None-Match lists tag,
// using the weak comparison that RFC 9110 prescribes for it.
func notModified(r *http.Request, tag string) bool {
	if tag == "" {
		return false
	}
	for _, line := range r.Header.Values("If-None-Match") {
		for c := range strings.SplitSeq(line, ",") {
			c = strings.TrimSpace(c)
			if c == "*" || strings.TrimPrefix(c, "W/") == tag {
				return true
			}
		}
	}
	return false
}

// writeNotModified answers 304 with the caching headers and no body.
func writeNotModified(w http.ResponseWriter) {
	h := w.Header()
	h.Del("Content-Type")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusNotModified)
}

// Attachment is the Content-Disposition of a download of the file at
// relpath, as RFC 6266 says: an ASCII fallback name for old clients
// (characters it cannot carry become "_") and the exact UTF-8 name in
// filename*, percent-encoded (RFC 8187).
func Attachment(relpath string) string {
	name := path.Base(relpath)
	var fallback, exact strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			fallback.WriteByte('_')
		} else {
			fallback.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			exact.WriteByte(b)
		} else {
			fmt.Fprintf(&exact, "%%%02X", b)
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + exact.String()
}

// isAttrChar reports whether b may stand unencoded in an RFC 8187 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
