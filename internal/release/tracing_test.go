package release_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/tracing"
)

// TestReleaseAndUploadSpans: the release span holds the call creating
// the release on job-server; each upload attempt is a span of its own
// holding its call, a failed one an error.
func TestReleaseAndUploadSpans(t *testing.T) {
	e := testkit.NewEnv(t)
	js := jobservertest.New(t, "api-secret")
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	tr := tracing.New(tp)
	template := func(r *http.Request) string {
		for _, p := range []string{"/releases/workspace/", "/releases/release/"} {
			if strings.Contains(r.URL.Path, p) {
				return p + "{x}"
			}
		}
		return ""
	}
	client := &http.Client{Transport: tr.Transport(nil, template)}
	target := release.NewJobServer(js.URL(), "api-secret", e.Files, client)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Releaser: target, Notifier: e.Notes, Now: e.Clock.Now, Logger: quiet, Tracer: tr,
	})
	r := e.Reviewed(e.Author, domain.VoteApproved)
	exp.Reset()
	e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet, Tracer: tr})
	js.FailNextOn("upload", http.StatusBadGateway, 1)
	drain(t, u, "w1")
	e.Clock.Advance(2 * time.Minute)
	drain(t, u, "w1")
	if got := e.Get(r.ID); got.Status != domain.StatusReleased {
		t.Fatalf("status %s", got.Status)
	}

	spans := exp.GetSpans()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	files := len(r.OutputFiles())
	var releases, uploads, failed, calls int
	for _, s := range spans {
		switch s.Name {
		case "release", "upload":
			if s.Parent.IsValid() {
				t.Errorf("%s: a child of %v; the uploader's spans start traces", s.Name, s.Parent.SpanID())
			}
			id, ws := "", ""
			for _, kv := range s.Attributes {
				switch kv.Key {
				case tracing.RequestIDKey:
					id = kv.Value.AsString()
				case tracing.WorkspaceKey:
					ws = kv.Value.AsString()
				}
			}
			if id != r.ID || ws != testkit.Workspace {
				t.Errorf("%s: request %q workspace %q", s.Name, id, ws)
			}
			if s.Name == "release" {
				releases++
			} else {
				uploads++
			}
			if s.Status.Code == codes.Error {
				failed++
			}
		case "POST /releases/workspace/{x}", "POST /releases/release/{x}":
			calls++
			parent, ok := byID[s.Parent.SpanID()]
			want := "upload"
			if strings.Contains(s.Name, "workspace") {
				want = "release"
			}
			if !ok || parent.Name != want {
				t.Errorf("%s: parent %q, want %q", s.Name, parent.Name, want)
			}
		}
	}
	if releases != 1 || uploads != files+1 || failed != 1 || calls != files+2 {
		t.Errorf("%d release, %d upload (%d failed), %d job-server call spans for %d files: want 1, %d (1), %d",
			releases, uploads, failed, calls, files, files+1, files+2)
	}
}
