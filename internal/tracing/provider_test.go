package tracing_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/tracing"
)

func TestOpenOffWithoutAnEndpoint(t *testing.T) {
	p, err := tracing.Open(context.Background(), &config.Tracing{OTLPProtocol: "grpc", ServiceName: "x"}, "tpp", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if p.On() || p.Tracer().On() {
		t.Error("tracing is on without an endpoint")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestResource: service.name is OTEL_SERVICE_NAME, else service.name of
// OTEL_RESOURCE_ATTRIBUTES, else airlock; backend is BACKEND unless
// OTEL_RESOURCE_ATTRIBUTES names one.
func TestResource(t *testing.T) {
	tests := []struct {
		name                   string
		serviceName, resAttrs  string
		wantService, wantBack  string
		wantOther, wantOtherAt string
	}{
		{"defaults", "", "", "airlock", "tpp", "", ""},
		{"service name", "airlock-test", "", "airlock-test", "tpp", "", ""},
		{"resource attributes", "", "service.name=from-attrs,deployment.environment=prod", "from-attrs", "tpp", "deployment.environment", "prod"},
		{"service name wins", "named", "service.name=from-attrs", "named", "tpp", "", ""},
		{"backend from attributes", "", "backend=emis", "airlock", "emis", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", tt.serviceName)
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", tt.resAttrs)
			exp := tracetest.NewInMemoryExporter()
			p, err := tracing.NewProvider(context.Background(), exp, tt.serviceName, "tpp")
			if err != nil {
				t.Fatal(err)
			}
			_, span := p.Tracer().Start(context.Background(), "submit", "01REQ", "ws")
			span.End(nil)
			if err := p.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans := exp.GetSpans() // the in-memory exporter forgets them at shutdown
			defer p.Shutdown(context.Background())
			if len(spans) != 1 {
				t.Fatalf("%d spans exported, want 1", len(spans))
			}
			got := map[string]string{}
			for _, kv := range spans[0].Resource.Attributes() {
				got[string(kv.Key)] = kv.Value.String()
			}
			if got["service.name"] != tt.wantService || got["backend"] != tt.wantBack {
				t.Errorf("resource %v, want service.name %q and backend %q", got, tt.wantService, tt.wantBack)
			}
			if tt.wantOther != "" && got[tt.wantOther] != tt.wantOtherAt {
				t.Errorf("resource %v lacks %s=%s", got, tt.wantOther, tt.wantOtherAt)
			}
		})
	}
}

// collector is an OTLP/HTTP receiver of traces.
type collector struct {
	mu      sync.Mutex
	got     []*coltrace.ExportTraceServiceRequest
	headers []http.Header
	fail    bool
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "no", http.StatusBadRequest) // not retried
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.got = append(c.got, &req)
	c.headers = append(c.headers, r.Header.Clone())
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// names are the names of the spans received.
func (c *collector) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, req := range c.got {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out = append(out, s.Name)
				}
			}
		}
	}
	return out
}

// TestOpenExportsByOTLPHTTP: with an endpoint, spans reach the
// collector by OTLP over HTTP, with the headers of
// OTEL_EXPORTER_OTLP_HEADERS, when the provider shuts down.
func TestOpenExportsByOTLPHTTP(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=sekrit")
	p, err := tracing.Open(context.Background(), &config.Tracing{OTLPEndpoint: srv.URL}, "tpp", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if !p.On() {
		t.Fatal("tracing is off with an endpoint")
	}
	_, span := p.Tracer().Start(context.Background(), "release", "01REQ", "ws")
	span.End(nil)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.names(); len(got) != 1 || got[0] != "release" {
		t.Fatalf("the collector got spans %q", got)
	}
	if c.headers[0].Get("X-Api-Key") != "sekrit" {
		t.Errorf("OTEL_EXPORTER_OTLP_HEADERS not sent: %v", c.headers[0])
	}
}

// TestExportFailuresAreLoggedOnce: a collector that refuses is said once
// in airlock's log, and its recovery once.
func TestExportFailuresAreLoggedOnce(t *testing.T) {
	c := &collector{fail: true}
	srv := httptest.NewServer(c)
	defer srv.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	p, err := tracing.Open(context.Background(), &config.Tracing{OTLPTracesEndpoint: srv.URL + "/v1/traces"}, "tpp", log)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if i == 2 {
			c.mu.Lock()
			c.fail = false
			c.mu.Unlock()
		}
		_, span := p.Tracer().Start(context.Background(), "vote", "01REQ", "ws")
		span.End(nil)
		if err := p.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	p.Shutdown(context.Background())
	out := logs.String()
	if n := strings.Count(out, "cannot export spans"); n != 1 {
		t.Errorf("%d warnings for 2 failed exports, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "exporting spans again") {
		t.Errorf("no line when exports worked again:\n%s", out)
	}
	if got := c.names(); len(got) != 1 {
		t.Errorf("the collector got %q after it came back", got)
	}
}
