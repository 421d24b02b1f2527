package render

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

const xssScript = `<script>alert(1)</script>`
const xssImg = `<img src=x onerror=alert(1)>`

func TestServeByExtension(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake-png-bytes")
	tests := []struct {
		name, file, target string
		content            []byte
		contentType        string
		csp                string
		contains           []string
		excludes           []string
	}{
		{
			name: "csv table", file: "out/table.csv", target: "/",
			content:     []byte("a,b\n1,2\n3,4\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{"<table", `title="Sort by this column">a<span`, `<td>1</td>`, `<td>4</td>`, `?summary=1`, "Rows 1–2"},
			excludes: []string{"<script", "Next page", "more rows follow"},
		},
		{
			name: "csv summary", file: "table.csv", target: "/?summary=1",
			content:     []byte("a,b\n1,x\n3,y\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`class="summary"`, "Column type", "integer", "Midpoint 6 rounded", "Notes", "<li>", "Back to the table"},
		},
		{
			name: "txt", file: "notes.txt", target: "/",
			content:     []byte("hello\nworld\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`<pre class="text txt">hello
world
</pre>`},
		},
		{
			name: "json", file: "a/b.json", target: "/",
			content:     []byte(`{"k": "v"}`),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`<pre class="text json">{&#34;k&#34;: &#34;v&#34;}</pre>`},
		},
		{
			name: "md", file: "README.md", target: "/",
			content:     []byte("# Title\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`<pre class="text md"># Title`},
		},
		{
			name: "log", file: "metadata/job.log", target: "/",
			content:     []byte("plain \x1b[31mred\x1b[0m done\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`<pre class="log">plain <span class="ansi-fg31">red</span> done`},
			excludes: []string{"\x1b", "Log truncated"},
		},
		{
			name: "png", file: "chart.png", target: "/",
			content:     png,
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`<img class="content" alt="chart.png" src="data:image/png;base64,iVBORw0KGgpmYWtlLXBuZy1ieXRlcw==">`, "max-width: 100%"},
		},
		{
			name: "jpeg", file: "photo.jpeg", target: "/",
			content:     []byte{0xff, 0xd8, 0xff},
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`src="data:image/jpeg;base64,/9j/">`},
		},
		{
			name: "jpg", file: "photo.jpg", target: "/",
			content:     []byte{0xff, 0xd8, 0xff},
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{`src="data:image/jpeg;base64,/9j/">`},
		},
		{
			name: "html raw", file: "report.html", target: "/",
			content:     []byte("<html><script>alert(1)</script></html>"),
			contentType: "text/html; charset=utf-8", csp: RawCSP,
			contains: []string{"<html><script>alert(1)</script></html>"},
		},
		{
			name: "svg raw", file: "fig.svg", target: "/",
			content:     []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
			contentType: "image/svg+xml", csp: RawCSP,
			contains: []string{`<svg xmlns=`},
		},
		{
			name: "plaintext of csv", file: "t.csv", target: "/?plaintext=true",
			content:     []byte("a,<b>\n1,2\n"),
			contentType: "text/plain; charset=utf-8", csp: RawCSP,
			contains: []string{"a,<b>\n1,2\n"},
		},
		{
			name: "plaintext of html", file: "r.html", target: "/?plaintext=true",
			content:     []byte("<p>x</p>"),
			contentType: "text/plain; charset=utf-8", csp: RawCSP,
			contains: []string{"<p>x</p>"},
		},
		{
			name: "invalid type", file: "data.xlsx", target: "/",
			content:     []byte("PK\x03\x04"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{"data.xlsx is not a valid file type"},
			excludes: []string{"PK"},
		},
		{
			name: "invalid type ignores plaintext", file: "data.xlsx", target: "/?plaintext=true",
			content:     []byte("PK\x03\x04"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{"not a valid file type"},
		},
		{
			name: "dot file is invalid", file: "out/.hidden.csv", target: "/",
			content:     []byte("a\n1\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{".hidden.csv is not a valid file type"},
		},
		{
			name: "extension is case-sensitive", file: "T.CSV", target: "/",
			content:     []byte("a\n1\n"),
			contentType: "text/html; charset=utf-8", csp: DocumentCSP,
			contains: []string{"T.CSV is not a valid file type"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, tt.file, tt.content, tt.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %q", rec.Code, rec.Body.String())
			}
			h := rec.Header()
			if got := h.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got := h.Get("Content-Security-Policy"); got != tt.csp {
				t.Errorf("CSP %q, want %q", got, tt.csp)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			// Authenticated content stays out of the browser's cache.
			wantCache := "no-store"
			if got := h.Get("Cache-Control"); got != wantCache {
				t.Errorf("Cache-Control %q, want %q", got, wantCache)
			}
			if got := h.Get("Last-Modified"); got != "Mon, 06 May 2024 07:08:09 GMT" {
				t.Errorf("Last-Modified %q", got)
			}
			if got := h.Get("ETag"); !strings.HasPrefix(got, `"5f3a-1c`) || !strings.HasSuffix(got, `"`) {
				t.Errorf("ETag %q", got)
			}
			body := rec.Body.String()
			for _, want := range tt.contains {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			for _, bad := range tt.excludes {
				if strings.Contains(body, bad) {
					t.Errorf("body has %q:\n%s", bad, body)
				}
			}
			if tt.contentType == "text/html; charset=utf-8" && tt.csp == DocumentCSP {
				checkDocument(t, body)
			}
		})
	}
}

// checkDocument checks a generated page is a whole document without scripts.
func checkDocument(t *testing.T, body string) {
	t.Helper()
	if !strings.HasPrefix(body, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
		t.Errorf("not a complete document:\n%s", body)
	}
	for _, s := range []string{`<meta charset="utf-8">`, "<style>"} {
		if !strings.Contains(body, s) {
			t.Errorf("document lacks %q", s)
		}
	}
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Errorf("document has a script:\n%s", body)
	}
}

func TestServeSVGZ(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	zw.Close()
	rec := get(t, "fig.svgz", gz.Bytes(), "/")
	h := rec.Header()
	if h.Get("Content-Type") != "image/svg+xml" || h.Get("Content-Encoding") != "gzip" {
		t.Errorf("headers %v", h)
	}
	if h.Get("Content-Security-Policy") != RawCSP || !strings.HasPrefix(RawCSP, "sandbox;") {
		t.Errorf("CSP %q", h.Get("Content-Security-Policy"))
	}
	if !bytes.Equal(rec.Body.Bytes(), gz.Bytes()) {
		t.Errorf("body is not the raw gzip bytes")
	}
}

func TestEscaping(t *testing.T) {
	evil := xssScript + xssImg
	tests := []struct {
		name, file, target string
		content            string
	}{
		{"csv cell", "t.csv", "/", "h1,h2\n\"" + evil + "\",x\n"},
		{"csv header", "t.csv", "/", evil + ",x\n1,2\n"},
		{"csv summary name", "t.csv", "/?summary=1", evil + ",x\n1,2\n"},
		{"text", "t.txt", "/", evil},
		{"json", "t.json", "/", `{"a": "` + evil + `"}`},
		{"markdown", "t.md", "/", evil},
		{"log", "t.log", "/", "\x1b[32m" + evil + "\x1b[0m"},
		{"file name in title", "<b>" + evil + ".txt", "/", "x"},
		{"invalid file name", evil + ".exe", "/", "x"},
		{"query in links", "t.csv", "/?cache_id=" + "%22%3E%3Cscript%3Ealert(1)%3C/script%3E", "a\n1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := get(t, tt.file, []byte(tt.content), tt.target).Body.String()
			for _, bad := range []string{"<script", "<img src=x", "<b>"} {
				if strings.Contains(body, bad) {
					t.Errorf("body contains markup %q:\n%s", bad, body)
				}
			}
			if tt.name != "query in links" && tt.name != "file name in title" && tt.name != "invalid file name" &&
				!strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("escaped script missing:\n%s", body)
			}
		})
	}
}

func TestEmptyFiles(t *testing.T) {
	tests := []struct{ file, target, want string }{
		{"e.csv", "/", "No rows: this CSV file is empty."},
		{"e.csv", "/?summary=1", "No summary: this CSV file has no data rows."},
		{"e.txt", "/", "This file is empty."},
		{"e.json", "/", "This file is empty."},
		{"e.log", "/", "This log is empty."},
		{"e.png", "/", "This image file is empty."},
	}
	for _, tt := range tests {
		t.Run(tt.file+tt.target, func(t *testing.T) {
			rec := get(t, tt.file, nil, tt.target)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("status %d body %s, want %q", rec.Code, rec.Body.String(), tt.want)
			}
		})
	}
	rec := get(t, "e.txt", nil, "/?plaintext=true")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("plaintext of empty file: %d %q", rec.Code, rec.Body.String())
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, file := range []string{"bad.txt", "bad.csv", "bad.log"} {
		t.Run(file, func(t *testing.T) {
			content := "h\xff\xfe\nv\xc3\n"
			body := get(t, file, []byte(content), "/").Body.String()
			if !strings.Contains(body, "h\uFFFD") || !strings.Contains(body, "v\uFFFD") {
				t.Errorf("replacement characters missing:\n%s", body)
			}
			if strings.Contains(body, "\xff") || strings.Contains(body, "\xc3\n") {
				t.Errorf("invalid bytes passed through")
			}
		})
	}
}

func TestTextTruncation(t *testing.T) {
	// "é" is two bytes; the limit falls inside one.
	content := strings.Repeat("a", MaxTextPreview-1) + "é" + "tail-not-shown"
	body := get(t, "big.txt", []byte(content), "/?cache_id=9").Body.String()
	if !strings.Contains(body, "File truncated") || !strings.Contains(body, `href="?cache_id=9&amp;plaintext=true"`) {
		t.Errorf("no truncation notice with plain text link")
	}
	if strings.Contains(body, "tail-not-shown") || strings.Contains(body, "\uFFFD") {
		t.Errorf("text past the limit or a broken character shown")
	}
	plain := get(t, "big.txt", []byte(content), "/?plaintext=true")
	if plain.Body.String() != content {
		t.Errorf("plain text is not the whole file (%d bytes)", plain.Body.Len())
	}
}

func TestImageTooLarge(t *testing.T) {
	f := File{Name: "huge.png", Content: zeroReader{}, Size: MaxInlineImage + 1, CacheID: "x"}
	rec := serve(t, f, http.MethodGet, "/")
	body := rec.Body.String()
	if !strings.Contains(body, "too large to show here") || strings.Contains(body, "base64") {
		t.Errorf("want a notice, got %s", body)
	}
}

// zeroReader reads zeros at any offset.
type zeroReader struct{}

func (zeroReader) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	return len(p), nil
}

func TestCaching(t *testing.T) {
	csv := []byte("a\n" + strings.Repeat("1\n", 1200))
	f := testFile("t.csv", csv)
	tags := map[string]string{}
	for _, target := range []string{"/", "/?page=2", "/?page=3", "/?summary=1", "/?plaintext=true"} {
		rec := serve(t, f, http.MethodGet, target)
		tag := rec.Header().Get("ETag")
		if tag == "" {
			t.Fatalf("%s: no ETag", target)
		}
		for other, otherTag := range tags {
			if otherTag == tag {
				t.Errorf("%s and %s share ETag %s", target, other, tag)
			}
		}
		tags[target] = tag

		again := serve(t, f, http.MethodGet, target, "If-None-Match", `"other", `+tag)
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("%s: If-None-Match gave %d with %d bytes", target, again.Code, again.Body.Len())
		}
		// No view is kept in the browser's cache.
		wantCache := "no-store"
		if rec.Header().Get("Cache-Control") != wantCache {
			t.Errorf("%s: Cache-Control %q, want %q", target, rec.Header().Get("Cache-Control"), wantCache)
		}
		if again.Header().Get("ETag") != tag || again.Header().Get("Cache-Control") != wantCache {
			t.Errorf("%s: 304 headers %v", target, again.Header())
		}
		weak := serve(t, f, http.MethodGet, target, "If-None-Match", "W/"+tag)
		if weak.Code != http.StatusNotModified {
			t.Errorf("%s: weak If-None-Match gave %d", target, weak.Code)
		}
	}
	// Parameters that do not change the output do not change the ETag.
	if got := serve(t, f, http.MethodGet, "/?cache_id=abc&page=1").Header().Get("ETag"); got != tags["/"] {
		t.Errorf("page=1 and cache_id changed the ETag: %s vs %s", got, tags["/"])
	}
	// A different file has a different ETag.
	g := f
	g.CacheID = "5f3a-1d"
	if got := serve(t, g, http.MethodGet, "/").Header().Get("ETag"); got == tags["/"] {
		t.Errorf("different CacheID, same ETag")
	}
	// Raw files use the CacheID itself.
	raw := serve(t, testFile("r.html", []byte("<p>")), http.MethodGet, "/")
	if got := raw.Header().Get("ETag"); got != `"5f3a-1c"` {
		t.Errorf("raw ETag %q", got)
	}
	if got := serve(t, testFile("r.html", []byte("<p>")), http.MethodGet, "/", "If-None-Match", `"5f3a-1c"`); got.Code != http.StatusNotModified {
		t.Errorf("raw If-None-Match gave %d", got.Code)
	}
	// No CacheID: no ETag, and never a 304.
	g.CacheID = ""
	rec := serve(t, g, http.MethodGet, "/", "If-None-Match", "*")
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("without CacheID: %d %v", rec.Code, rec.Header())
	}
	// A CacheID with quotes is hashed into a valid ETag.
	g.CacheID = `a"b`
	if got := serve(t, g, http.MethodGet, "/").Header().Get("ETag"); strings.Count(got, `"`) != 2 {
		t.Errorf("unsafe CacheID gave ETag %q", got)
	}
}

func TestHeadAndMethods(t *testing.T) {
	for _, file := range []string{"t.csv", "t.txt", "t.log", "t.png", "t.html", "t.svg"} {
		f := testFile(file, []byte("a,b\n1,2\n"))
		get := serve(t, f, http.MethodGet, "/")
		head := serve(t, f, http.MethodHead, "/")
		if head.Code != http.StatusOK || head.Body.Len() != 0 {
			t.Errorf("%s: HEAD gave %d with %d bytes", file, head.Code, head.Body.Len())
		}
		for _, k := range []string{"ETag", "Content-Type", "Content-Security-Policy", "Cache-Control"} {
			if head.Header().Get(k) != get.Header().Get(k) {
				t.Errorf("%s: HEAD %s %q, GET %q", file, k, head.Header().Get(k), get.Header().Get(k))
			}
		}
	}
	rec := serve(t, testFile("t.csv", nil), http.MethodPost, "/")
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST gave %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// failingReader fails every read.
type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, io.ErrClosedPipe }

func TestReadErrorIs500WithoutCaching(t *testing.T) {
	for _, file := range []string{"t.csv", "t.txt", "t.log"} {
		f := File{Name: file, Content: failingReader{}, Size: 100, CacheID: "x"}
		req := httptestRequest("/")
		rec := newRecorder()
		err := Serve(rec, req, f)
		if err == nil || rec.Code != http.StatusInternalServerError {
			t.Errorf("%s: err %v, status %d", file, err, rec.Code)
		}
		if rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: error response is cacheable: %v", file, rec.Header())
		}
		if strings.Contains(rec.Body.String(), "closed pipe") {
			t.Errorf("%s: error details leaked", file)
		}
	}
}

func TestChunkText(t *testing.T) {
	text := strings.Repeat("aé€😀", 1000)
	for _, size := range []int{1, 2, 3, 5, 7, 64, 4096} {
		chunks := chunkText([]byte(text), size)
		if strings.Join(chunks, "") != text {
			t.Errorf("size %d: chunks do not join back", size)
		}
		for _, c := range chunks {
			if strings.ContainsRune(c, '\uFFFD') {
				t.Fatalf("size %d: a character was split", size)
			}
		}
	}
}

func TestChunkTextInvalid(t *testing.T) {
	b := []byte(strings.Repeat("\x80", 1000))
	chunks := chunkText(b, 64)
	if len(chunks) < 10 {
		t.Errorf("invalid bytes made %d chunks", len(chunks))
	}
}
