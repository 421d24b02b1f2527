package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/airlock-go/airlock/internal/tracing"
)

// tracedHandler is the server's handler with a route that, as the
// service does, makes a span of its own from the request's context.
func tracedHandler(tr tracing.Tracer) http.Handler {
	return Handler(Config{
		DB: pinger{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracer: tr,
		Mount: func(mux *http.ServeMux) {
			mux.HandleFunc("POST /api/v1/requests/{id}/submit", func(w http.ResponseWriter, r *http.Request) {
				_, span := tr.Start(r.Context(), "submit", r.PathValue("id"), "ws")
				span.End(nil)
				w.WriteHeader(http.StatusOK)
			})
			mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "down", http.StatusInternalServerError)
			})
		},
	})
}

func TestEveryRequestHasASpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	h := tracedHandler(tracing.New(tp))
	tests := []struct {
		method, path string
		wantName     string
		wantStatus   int64
		wantChild    bool
	}{
		{"POST", "/api/v1/requests/01REQ/submit", "POST /api/v1/requests/{id}/submit", 200, true},
		{"GET", "/healthz", "GET /healthz", 200, false},
		{"GET", "/boom", "GET /boom", 500, false},
		{"GET", "/workspaces/secret%20study/out.csv", "GET", 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			exp.Reset()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			spans := exp.GetSpans()
			want := 1
			if tt.wantChild {
				want = 2
			}
			if len(spans) != want {
				t.Fatalf("%d spans, want %d", len(spans), want)
			}
			top := spans[len(spans)-1] // the request's span ends last
			if top.Name != tt.wantName || top.SpanKind != trace.SpanKindServer {
				t.Errorf("span %q (%v), want %q", top.Name, top.SpanKind, tt.wantName)
			}
			var status int64
			var id string
			for _, kv := range top.Attributes {
				switch kv.Key {
				case "http.response.status_code":
					status = kv.Value.AsInt64()
				case tracing.HTTPRequestIDKey:
					id = kv.Value.AsString()
				}
			}
			if status != tt.wantStatus || id == "" || id != rec.Header().Get("X-Request-Id") {
				t.Errorf("status %d, request id %q (header %q)", status, id, rec.Header().Get("X-Request-Id"))
			}
			if (top.Status.Code == codes.Error) != (tt.wantStatus >= 500) {
				t.Errorf("status %v for an answer %d", top.Status, tt.wantStatus)
			}
			if tt.wantChild {
				child := spans[0]
				if child.Name != "submit" || child.Parent.SpanID() != top.SpanContext.SpanID() {
					t.Errorf("the action's span %q is not a child of the request's", child.Name)
				}
			}
		})
	}
}

// TestTracingOffAddsNoAllocation: with the zero Tracer, the calls the
// middleware makes for a request's span allocate nothing (BenchmarkObserve
// gives the whole request's figures).
func TestTracingOffAddsNoAllocation(t *testing.T) {
	req := httptest.NewRequest("GET", "/healthz", nil)
	var tr tracing.Tracer
	n := testing.AllocsPerRun(200, func() {
		r, span := tr.StartServer(req, "id")
		span.EndServer(r.Method, "GET /healthz", 200)
	})
	if n != 0 {
		t.Errorf("the middleware's tracing calls allocate %v times per request when off", n)
	}
}

// BenchmarkObserve is a request to /healthz through the middleware,
// tracing off and on (spans handed to an exporter that drops them).
func BenchmarkObserve(b *testing.B) {
	req := httptest.NewRequest("GET", "/healthz", nil)
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	b.Run("off", func(b *testing.B) { run(b, tracedHandler(tracing.Tracer{})) })
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		run(b, tracedHandler(tracing.New(tp)))
	})
}
