package render

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

var testModTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func testFile(name string, content []byte) File {
	return File{
		Name:    name,
		Content: bytes.NewReader(content),
		Size:    int64(len(content)),
		ModTime: testModTime,
		CacheID: "5f3a-1c",
	}
}

// serve runs Serve for a GET (or method) of target with optional headers
// given as name, value pairs.
func serve(t *testing.T, f File, method, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	if err := Serve(rec, req, f); err != nil {
		t.Fatalf("Serve(%s %s): %v", method, target, err)
	}
	return rec
}

func get(t *testing.T, name string, content []byte, target string) *httptest.ResponseRecorder {
	t.Helper()
	return serve(t, testFile(name, content), http.MethodGet, target)
}

func httptestRequest(target string) *http.Request {
	return httptest.NewRequest(http.MethodGet, target, nil)
}

func newRecorder() *httptest.ResponseRecorder {
	return httptest.NewRecorder()
}
