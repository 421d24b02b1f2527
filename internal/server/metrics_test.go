package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestMetricsAndRequestIDs(t *testing.T) {
	var logs strings.Builder
	cfg := Config{
		DB: pinger{}, Logger: slog.New(LogHandler{slog.NewTextHandler(&logs, nil)}),
		Mount: func(mux *http.ServeMux) {
			mux.HandleFunc("GET /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
				if RequestID(r.Context()) == "" {
					t.Error("no request id in the handler's context")
				}
				slog.New(LogHandler{slog.NewTextHandler(&logs, nil)}).InfoContext(r.Context(), "inside the handler")
				w.WriteHeader(http.StatusTeapot)
			})
		},
		Stats: func(context.Context) (Stats, error) {
			return Stats{RequestsByStatus: map[string]int{"PENDING": 3, "APPROVED": 1}, UploadBacklog: 7, UploadFailing: 2}, nil
		},
	}
	h := Handler(cfg)
	rec := get(t, h, "/api/v1/things/42", map[string]string{"X-Request-Id": "abc-123"})
	if rec.Code != http.StatusTeapot || rec.Header().Get("X-Request-Id") != "abc-123" {
		t.Errorf("status %d, id %q", rec.Code, rec.Header().Get("X-Request-Id"))
	}
	rec = get(t, h, "/nowhere", map[string]string{"X-Request-Id": "<script>\n"})
	if id := rec.Header().Get("X-Request-Id"); len(id) != 16 || strings.ContainsAny(id, "<\n") {
		t.Errorf("hostile request id kept: %q", id)
	}
	body := get(t, h, "/metrics", nil).Body.String()
	for _, want := range []string{
		`airlock_http_requests_total{method="GET",route="GET /api/v1/things/{id}",status="418"} 1`,
		`airlock_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`airlock_http_request_duration_seconds_bucket{method="GET",route="GET /api/v1/things/{id}"`,
		`airlock_release_requests{status="PENDING"} 3`,
		`airlock_release_requests{status="APPROVED"} 1`,
		"airlock_upload_backlog_files 7",
		"airlock_upload_failing_files 2",
		"airlock_stats_up 1",
		// What a soak test watches for leaks (bench/soak.sh).
		"\ngo_goroutines ",
		"\ngo_gc_heap_live_bytes ",
		"\ngo_memstats_heap_inuse_bytes ",
		"\nprocess_resident_memory_bytes ",
		"\nprocess_open_fds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(logs.String(), `msg="inside the handler" request_id=abc-123`) || !strings.Contains(logs.String(), "status=418 duration=") {
		t.Errorf("log lines: %s", logs.String())
	}
}

func TestMetricsWhenStatsFail(t *testing.T) {
	h := Handler(Config{DB: pinger{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Stats: func(context.Context) (Stats, error) { return Stats{}, errors.New("database down") }})
	rec := get(t, h, "/metrics", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "airlock_stats_up 0") {
		t.Errorf("metrics with failing stats: %d\n%s", rec.Code, rec.Body.String())
	}
}
