package tracing_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/airlock-go/airlock/internal/tracing"
)

// recorder is a Tracer whose spans land, as they end, in an in-memory
// exporter.
func recorder(t testing.TB) (tracing.Tracer, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tracing.New(tp), exp
}

// attrs are a span's attributes by key.
func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestOffMakesNothing(t *testing.T) {
	var tr tracing.Tracer
	if tr.On() || tracing.New(nil).On() {
		t.Fatal("the zero Tracer is on")
	}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	got, span := tr.Start(ctx, "submit", "01REQ", "ws")
	if got != ctx {
		t.Error("Start of a Tracer that is off changed the context")
	}
	if trace.SpanFromContext(got).SpanContext().IsValid() {
		t.Error("a span in the context")
	}
	span.SetRequest("01REQ", "ws")
	span.End(errors.New("refused"))
	r := httptest.NewRequest("GET", "/x", nil)
	r2, hs := tr.StartServer(r, "abc")
	if r2 != r {
		t.Error("StartServer of a Tracer that is off changed the request")
	}
	hs.EndServer("GET", "GET /x", 500)
	base := &http.Transport{}
	if tr.Transport(base, nil) != base {
		t.Error("Transport of a Tracer that is off wrapped its base")
	}
}

// TestOffCostsNoAllocation: a Tracer that is off allocates nothing for a
// service span or an HTTP request's span.
func TestOffCostsNoAllocation(t *testing.T) {
	var tr tracing.Tracer
	ctx := context.Background()
	r := httptest.NewRequest("GET", "/x", nil)
	err := errors.New("refused")
	n := testing.AllocsPerRun(1000, func() {
		c, span := tr.Start(ctx, "vote", "01REQ", "ws")
		span.SetRequest("01REQ", "ws")
		span.End(err)
		_ = c
		r2, hs := tr.StartServer(r, "abc")
		hs.EndServer(r2.Method, "GET /x", 200)
	})
	if n != 0 {
		t.Errorf("%v allocations per action and request with tracing off, want 0", n)
	}
}

func TestActionSpans(t *testing.T) {
	tr, exp := recorder(t)
	ctx, parent := tr.Start(context.Background(), "parent", "", "")
	_, ok := tr.Start(ctx, "submit", "01REQ", "")
	ok.SetRequest("", "ws")
	ok.End(nil)
	_, bad := tr.Start(ctx, "vote", "01REQ", "ws")
	bad.End(errors.New("You cannot vote on your own request."))
	parent.End(nil)

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	root := byName["parent"]
	tests := []struct {
		name   string
		status codes.Code
	}{
		{"submit", codes.Unset},
		{"vote", codes.Error},
	}
	for _, tt := range tests {
		s, ok := byName[tt.name]
		if !ok {
			t.Fatalf("no span %q", tt.name)
		}
		if s.Parent.SpanID() != root.SpanContext.SpanID() || s.SpanContext.TraceID() != root.SpanContext.TraceID() {
			t.Errorf("%s: not a child of the span of its context", tt.name)
		}
		a := attrs(s)
		if a[tracing.RequestIDKey].AsString() != "01REQ" || a[tracing.WorkspaceKey].AsString() != "ws" {
			t.Errorf("%s: attributes %v", tt.name, s.Attributes)
		}
		if s.Status.Code != tt.status {
			t.Errorf("%s: status %v, want %v", tt.name, s.Status, tt.status)
		}
	}
	if v := byName["vote"]; len(v.Events) != 1 || v.Events[0].Name != "exception" || v.Status.Description != "You cannot vote on your own request." {
		t.Errorf("the error is not recorded: %+v %+v", v.Events, v.Status)
	}
}

func TestServerSpans(t *testing.T) {
	tests := []struct {
		name, route string
		status      int
		wantName    string
		wantRoute   string
		wantErr     bool
	}{
		{"a page", "GET /requests/view/{id}/{group}/{path...}", 200, "GET /requests/view/{id}/{group}/{path...}", "/requests/view/{id}/{group}/{path...}", false},
		{"a refusal", "GET /api/v1/requests/{id}", 403, "GET /api/v1/requests/{id}", "/api/v1/requests/{id}", false},
		{"a failure", "GET /readyz", 503, "GET /readyz", "/readyz", true},
		{"a pattern without a method", "/", 404, "GET /", "/", false},
		{"no route", "", 404, "GET", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, exp := recorder(t)
			r := httptest.NewRequest("GET", "/requests/view/01REQ/g/secret%20name.csv", nil)
			r2, span := tr.StartServer(r, "req-1")
			if !trace.SpanFromContext(r2.Context()).SpanContext().IsValid() {
				t.Fatal("the request's context has no span")
			}
			span.EndServer("GET", tt.route, tt.status)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			if s.Name != tt.wantName {
				t.Errorf("name %q, want %q", s.Name, tt.wantName)
			}
			if s.SpanKind != trace.SpanKindServer {
				t.Errorf("kind %v", s.SpanKind)
			}
			a := attrs(s)
			if a["http.response.status_code"].AsInt64() != int64(tt.status) || a["http.request.method"].AsString() != "GET" ||
				a[tracing.HTTPRequestIDKey].AsString() != "req-1" || a["http.route"].AsString() != tt.wantRoute {
				t.Errorf("attributes %v", s.Attributes)
			}
			if (s.Status.Code == codes.Error) != tt.wantErr {
				t.Errorf("status %v, want error %v", s.Status, tt.wantErr)
			}
		})
	}
}

// TestServerContinuesTheCallersTrace: a traceparent header (from a proxy
// that traces) makes the request's span a child of the proxy's.
func TestServerContinuesTheCallersTrace(t *testing.T) {
	tr, exp := recorder(t)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	_, span := tr.StartServer(r, "x")
	span.EndServer("GET", "GET /", 200)
	s := exp.GetSpans()[0]
	if s.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("trace %s parent %s: the caller's trace is not continued", s.SpanContext.TraceID(), s.Parent.SpanID())
	}
}

func TestTransport(t *testing.T) {
	var gotParent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotParent = r.Header.Get("Traceparent")
		switch r.URL.Path {
		case "/api/releases/release/01REQ":
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	template := func(r *http.Request) string {
		if r.URL.Path == "/api/releases/release/01REQ" {
			return "/releases/release/{request_id}"
		}
		return ""
	}
	// A closed port: the call fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name, url  string
		wantName   string
		wantStatus int
		wantErr    bool
	}{
		{"job-server", srv.URL + "/api/releases/release/01REQ", "POST /releases/release/{request_id}", 201, false},
		{"no template", srv.URL + "/hook/secret-token", "POST", 500, true},
		{"unreachable", closed + "/api/releases/release/01REQ", "POST /releases/release/{request_id}", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, exp := recorder(t)
			gotParent = ""
			client := &http.Client{Transport: tr.Transport(nil, template)}
			ctx, parent := tr.Start(context.Background(), "upload", "01REQ", "ws")
			req, _ := http.NewRequestWithContext(ctx, "POST", tt.url, nil)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if (err != nil) != (tt.wantStatus == 0) {
				t.Fatalf("call: %v", err)
			}
			if req.Header.Get("Traceparent") != "" {
				t.Error("the caller's request was changed")
			}
			parent.End(nil)
			spans := exp.GetSpans()
			if len(spans) != 2 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			if s.Name != tt.wantName || s.SpanKind != trace.SpanKindClient {
				t.Errorf("span %q kind %v, want %q", s.Name, s.SpanKind, tt.wantName)
			}
			if s.Parent.SpanID() != spans[1].SpanContext.SpanID() {
				t.Error("the call's span is not a child of its context's")
			}
			a := attrs(s)
			if a["http.response.status_code"].AsInt64() != int64(tt.wantStatus) || a["server.address"].AsString() != "127.0.0.1" {
				t.Errorf("attributes %v", s.Attributes)
			}
			if (s.Status.Code == codes.Error) != tt.wantErr {
				t.Errorf("status %v, want error %v", s.Status, tt.wantErr)
			}
			if tt.wantStatus != 0 && gotParent != "00-"+s.SpanContext.TraceID().String()+"-"+s.SpanContext.SpanID().String()+"-01" {
				t.Errorf("the server got traceparent %q, not the call's span", gotParent)
			}
		})
	}
}

// BenchmarkAction is the cost of a service span and an HTTP request's
// span, off and on (spans handed to an exporter that drops them: the
// cost of making them, not of sending them).
func BenchmarkAction(b *testing.B) {
	r := httptest.NewRequest("GET", "/x", nil)
	run := func(b *testing.B, tr tracing.Tracer) {
		b.ReportAllocs()
		for b.Loop() {
			r2, hs := tr.StartServer(r, "abc")
			_, span := tr.Start(r2.Context(), "vote", "01REQ", "ws")
			span.End(nil)
			hs.EndServer(r2.Method, "GET /x", 200)
		}
	}
	b.Run("off", func(b *testing.B) { run(b, tracing.Tracer{}) })
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		run(b, tracing.New(tp))
	})
}
