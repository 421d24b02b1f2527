package service_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/tracing"
)

// tracedEnv is an Env whose service makes its spans into an in-memory
// exporter.
func tracedEnv(t *testing.T) (*testkit.Env, *tracetest.InMemoryExporter, tracing.Tracer) {
	t.Helper()
	e := testkit.NewEnv(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	tr := tracing.New(tp)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now, Tracer: tr,
	})
	return e, exp, tr
}

// TestActionsHaveSpans: add, update, submit, vote, submit review and
// release each make a span, a child of the caller's, with the request's
// id and workspace; a refusal is an error on its span.
func TestActionsHaveSpans(t *testing.T) {
	e, exp, tr := tracedEnv(t)
	ctx, parent := tr.Start(context.Background(), "http", "", "")
	parentID := trace.SpanFromContext(ctx).SpanContext().SpanID()
	e.Ctx = ctx
	r := e.Pending(e.Author, "out/a.csv")
	e.Files.Write(testkit.Workspace, "out/a.csv", "x,y\n1,changed\n")
	e.R(e.Svc.UpdateFiles(ctx, e.Author, testkit.Workspace, []string{"out/a.csv"}))
	_, err := e.Svc.Submit(ctx, e.Outsider, r.ID)
	if err == nil {
		t.Fatal("an outsider submitted the request")
	}
	e.R(e.Svc.Submit(ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	e.R(e.Svc.Release(ctx, e.C1, r.ID))
	_, err = e.Svc.AddFiles(ctx, e.Author, testkit.Workspace, "g", nil)
	if err == nil {
		t.Fatal("added no files")
	}
	parent.End(nil)

	type seen struct {
		name, id, ws string
		err          bool
	}
	var got []seen
	for _, s := range exp.GetSpans() {
		if s.Name == "http" {
			continue
		}
		if s.Parent.SpanID() != parentID {
			t.Errorf("%s: not a child of the caller's span", s.Name)
		}
		v := seen{name: s.Name, err: s.Status.Code == codes.Error}
		for _, kv := range s.Attributes {
			switch kv.Key {
			case tracing.RequestIDKey:
				v.id = kv.Value.AsString()
			case tracing.WorkspaceKey:
				v.ws = kv.Value.AsString()
			}
		}
		got = append(got, v)
	}
	ws := testkit.Workspace
	want := []seen{
		{"add_files", r.ID, ws, false},
		{"update_files", r.ID, ws, false},
		{"submit", r.ID, "", true}, // refused before the request was read
		{"submit", r.ID, ws, false},
		{"vote", r.ID, ws, false},
		{"submit_review", r.ID, ws, false},
		{"vote", r.ID, ws, false},
		{"submit_review", r.ID, ws, false},
		{"release", r.ID, ws, false},
		{"add_files", "", ws, true},
	}
	if len(got) != len(want) {
		t.Fatalf("spans %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("span %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
