package render

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// document is a rendered HTML view, ready to be written.
type document interface {
	write(w *bufio.Writer) error
}

// Serve writes the view of f that the request asks for (docs/viewers.md):
//
//   - ?plaintext=true on a valid type: the bytes as text/plain;
//   - .html .svg .svgz: the raw bytes under RawCSP;
//   - .csv: a page of the table (?page=N, 1-based), or with ?summary=1
//     the summary statistics;
//   - .txt .json .md: preformatted text; .log: the log tail with colours;
//   - .png .jpg .jpeg: the image inlined in a page;
//   - anything else: a "not a valid file type" notice.
//
// A CSV table page marks the cells of the page that f.Findings flag.
//
// Generated documents are complete HTML pages without scripts, sent with
// DocumentCSP. Every response carries an ETag built from f.CacheID; a
// matching If-None-Match gets 304 without reading the file. CSV table
// pages' marks follow f.Findings, which may change for the same bytes (a
// differencing finding appears once another file is released), so their
// ETag also hashes the findings about cells. Every response is sent with
// Cache-Control: no-store: the files are for logged-in people only, and
// nothing of them may stay in a browser's cache after the session. HEAD
// is answered without rendering. Methods other than GET and HEAD get 405.
//
// Serve returns an error, for the caller to log, when the file could not
// be read (it then answers 500 without details, unless the document was
// already being sent) or the response could not be written.
func Serve(w http.ResponseWriter, r *http.Request, f File) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	q := r.URL.Query()
	k := kindOf(f.Name)
	if f.Source && k == kindInvalid {
		k = kindText
	}
	switch {
	case k != kindInvalid && isTrue(q.Get("plaintext")):
		return servePlain(w, r, f)
	case k == kindRaw:
		return serveRaw(w, r, f)
	}
	v := chooseView(f, k, q)
	return serveDocument(w, r, f, v)
}

// view is a generated document chosen for a request.
type view struct {
	variant string                   // names the output for the ETag
	build   func() (document, error) // reads the file and prepares the document
}

// chooseView picks the document for the file and query.
func chooseView(f File, k kind, q url.Values) view {
	switch k {
	case kindCSV:
		if isTrue(q.Get("summary")) {
			return view{variant: "csv-summary", build: func() (document, error) { return buildSummary(f, q) }}
		}
		page := pageNumber(q.Get("page"))
		variant := "csv-page-" + strconv.Itoa(page) + viewQuery(q)
		if h := findingsHash(f.Findings); h != "" {
			variant += "-findings-" + h
		}
		return view{variant: variant, build: func() (document, error) { return buildCSV(f, q, page) }}
	case kindText:
		return view{variant: "text", build: func() (document, error) { return buildText(f, q) }}
	case kindLog:
		return view{variant: "log", build: func() (document, error) { return buildLog(f, q) }}
	case kindImage:
		return view{variant: "image", build: func() (document, error) { return buildImage(f), nil }}
	}
	return view{variant: "invalid", build: func() (document, error) {
		return notice(f, fmt.Sprintf("%s is not a valid file type and cannot be displayed.", f.baseName()), false), nil
	}}
}

// serveDocument answers with a generated HTML document.
func serveDocument(w http.ResponseWriter, r *http.Request, f File, v view) error {
	h := w.Header()
	tag := etag(f, v.variant, true)
	setSecurityHeaders(h, DocumentCSP)
	setCacheHeaders(h, f, tag)
	if notModified(r, tag) {
		writeNotModified(w)
		return nil
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	doc, err := v.build()
	if err != nil {
		clearCacheHeaders(h)
		http.Error(w, "the file could not be read", http.StatusInternalServerError)
		return fmt.Errorf("rendering %s: %w", f.Name, err)
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := doc.write(bw); err != nil {
		return fmt.Errorf("writing the view of %s: %w", f.Name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the view of %s: %w", f.Name, err)
	}
	return nil
}

// viewQuery is the part of the query that changes a CSV table page
// besides its number: the order, the filter and the hidden columns.
func viewQuery(q url.Values) string {
	v := url.Values{}
	for _, k := range []string{"sort", "dir", "q", "col", "hide"} {
		if vs, ok := q[k]; ok {
			v[k] = vs
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// pageNumber reads a 1-based page number; anything invalid is page 1.
func pageNumber(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage/DefaultPageSize)
}

func isTrue(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b
}

// link returns a relative URL ("?…") with the request's query changed:
// drop removes keys, then key=value is set when key is not empty.
func link(q url.Values, key, value string, drop ...string) string {
	c := make(url.Values, len(q)+1)
	for k, vs := range q {
		c[k] = vs
	}
	for _, d := range drop {
		delete(c, d)
	}
	if key != "" {
		c.Set(key, value)
	}
	return "?" + c.Encode()
}

// rowTooLong is errors.As for a *RowTooLongError.
func rowTooLong(err error) (*RowTooLongError, bool) {
	var e *RowTooLongError
	ok := errors.As(err, &e)
	return e, ok
}
