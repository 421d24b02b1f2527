package main

import (
	"bytes"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/demo"
)

// TestJobServerRoutesFollowTheDocs: every call of docs/jobserver.md's
// table has a template, which names the call's span: no workspace name
// or request id in it.
func TestJobServerRoutesFollowTheDocs(t *testing.T) {
	raw, err := os.ReadFile("../../docs/jobserver.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `(POST|GET|PUT) (/[^`]*)` \\|")
	route := jobServerRoute("https://jobs.example.org/api/v2")
	n := 0
	for line := range strings.SplitSeq(string(raw), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		path := strings.NewReplacer("<workspace>", "my-study", "<request id>", "01REQ").Replace(m[2])
		req := httptest.NewRequest(m[1], "https://jobs.example.org/api/v2"+path, nil)
		got := route(req)
		if got == "" || strings.Contains(got, "my-study") || strings.Contains(got, "01REQ") {
			t.Errorf("%s %s: template %q", m[1], m[2], got)
		}
	}
	if n < 5 {
		t.Fatalf("only %d calls found in docs/jobserver.md", n)
	}
	for _, u := range []string{
		"https://hooks.example.org/api/v2/releases/authorise", // another host: the webhook
		"https://jobs.example.org/api/v2/releases/workspace/", // no workspace
		"https://jobs.example.org/api/v2/other",
		"https://jobs.example.org/releases/authorise", // outside the endpoint
	} {
		if got := route(httptest.NewRequest("POST", u, nil)); got != "" {
			t.Errorf("%s: template %q, want none", u, got)
		}
	}
}

// otlpCollector keeps the spans posted to it by OTLP/HTTP.
type otlpCollector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	res   map[string]string
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(raw, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		c.res = map[string]string{}
		for _, kv := range rs.Resource.Attributes {
			c.res[kv.Key] = kv.Value.GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}

// TestServeTraces runs the server with OTEL_EXPORTER_OTLP_ENDPOINT set
// to a collector, drives its API, stops it, and finds every request's
// span at the collector, each action's a child of its request's.
func TestServeTraces(t *testing.T) {
	col := &otlpCollector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	dir := t.TempDir()
	setup, err := demo.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Server{
		Database: config.Database{WorkDir: filepath.Join(dir, "workdir")}, WorkspaceDir: setup.WorkspaceDir,
		DevUsersFile: setup.UsersFile, Listen: "127.0.0.1:0", APIEndpoint: "https://jobs.opensafely.org/api/v2",
		UploadDelay: 1, UploadRetryDelay: 60, UploadWorkers: 1, UploadLease: time.Minute, Backend: "tpp",
		Tracing: config.Tracing{OTLPEndpoint: srv.URL},
	}
	var logs bytes.Buffer
	addr, stop := startServe(t, slog.New(slog.NewTextHandler(&logs, nil)), cfg)
	apiEndToEnd(t, "http://"+addr, dir)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(logs.String(), "tracing on") {
		t.Errorf("start-up does not say tracing is on:\n%s", logs.String())
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	if col.res["service.name"] != "airlock" || col.res["backend"] != "tpp" {
		t.Errorf("resource %v", col.res)
	}
	byID := map[string]*tracepb.Span{}
	for _, s := range col.spans {
		byID[hex.EncodeToString(s.SpanId)] = s
	}
	var submitID string
	actions := map[string]string{} // action → its parent's name
	for _, s := range col.spans {
		switch s.Name {
		case "add_files", "submit":
			p := byID[hex.EncodeToString(s.ParentSpanId)]
			if p == nil {
				t.Errorf("%s: no parent span", s.Name)
				continue
			}
			if p.Kind != tracepb.Span_SPAN_KIND_SERVER || !bytes.Equal(p.TraceId, s.TraceId) {
				t.Errorf("%s: parent %s is not the request's span", s.Name, p.Name)
			}
			actions[s.Name] = p.Name
			if attr(s, "airlock.workspace") != "diabetes-outcomes" || attr(s, "airlock.request_id") == "" {
				t.Errorf("%s: attributes %v", s.Name, s.Attributes)
			}
			if s.Name == "submit" {
				submitID = attr(s, "airlock.request_id")
			}
		}
	}
	if actions["add_files"] != "POST /api/v1/workspaces/{ws}/request/files" || actions["submit"] != "POST /api/v1/requests/{id}/submit" {
		t.Errorf("actions under %v", actions)
	}
	for _, s := range col.spans {
		if strings.Contains(s.Name, submitID) || strings.Contains(s.Name, "diabetes") {
			t.Errorf("span %q names a request or a workspace", s.Name)
		}
	}
}
