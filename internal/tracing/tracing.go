// Package tracing records OpenTelemetry traces of airlock's work: a span
// per HTTP request the server answers, per call to job-server, and per
// action on a release request (docs/settings.md, "Tracing").
//
// A Tracer is passed to whatever makes spans, as the logger is; its zero
// value is off: it starts no span, adds nothing to a context and
// allocates nothing, so that a server without tracing pays nothing for
// it.
package tracing

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of airlock's spans.
const Name = "github.com/airlock-go/airlock"

// The attributes airlock adds to its spans.
const (
	// RequestIDKey is the release request's id.
	RequestIDKey = attribute.Key("airlock.request_id")
	// WorkspaceKey is the workspace of the release request.
	WorkspaceKey = attribute.Key("airlock.workspace")
	// HTTPRequestIDKey is the id of an HTTP request (its X-Request-Id,
	// also in its log lines).
	HTTPRequestIDKey = attribute.Key("airlock.http_request_id")
)

// Tracer starts airlock's spans. The zero Tracer is off.
type Tracer struct {
	t trace.Tracer // nil: off
}

// New returns a Tracer making its spans with tp; a nil tp gives the
// Tracer that is off.
func New(tp trace.TracerProvider) Tracer {
	if tp == nil {
		return Tracer{}
	}
	return Tracer{t: tp.Tracer(Name)}
}

// On reports whether the tracer records spans.
func (t Tracer) On() bool { return t.t != nil }

// Span is a span started by a Tracer; the zero Span (of a Tracer that is
// off) does nothing.
type Span struct {
	s trace.Span
}

// Start starts the span of an action on a release request, a child of
// the span ctx carries. requestID and workspace may be "" when not yet
// known (SetRequest adds them later).
func (t Tracer) Start(ctx context.Context, name, requestID, workspace string) (context.Context, Span) {
	if t.t == nil {
		return ctx, Span{}
	}
	ctx, s := t.t.Start(ctx, name)
	sp := Span{s}
	sp.SetRequest(requestID, workspace)
	return ctx, sp
}

// SetRequest adds the release request's id and workspace, those that are
// not "".
func (s Span) SetRequest(requestID, workspace string) {
	if s.s == nil {
		return
	}
	if requestID != "" {
		s.s.SetAttributes(RequestIDKey.String(requestID))
	}
	if workspace != "" {
		s.s.SetAttributes(WorkspaceKey.String(workspace))
	}
}

// End ends the span; an error is recorded on it, and makes its status an
// error.
func (s Span) End(err error) {
	if s.s == nil {
		return
	}
	if err != nil {
		s.s.RecordError(err)
		s.s.SetStatus(codes.Error, err.Error())
	}
	s.s.End()
}

// StartServer starts the span of an HTTP request the server received,
// continuing the trace its traceparent header names, and returns the
// request carrying it. EndServer names and ends it.
func (t Tracer) StartServer(r *http.Request, httpRequestID string) (*http.Request, Span) {
	if t.t == nil {
		return r, Span{}
	}
	// The W3C traceparent and tracestate headers: a trace goes on
	// through proxies, and into job-server (Transport).
	ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, s := t.t.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		semconv.HTTPRequestMethodKey.String(r.Method),
		semconv.URLSchemeKey.String(scheme(r)),
		HTTPRequestIDKey.String(httpRequestID),
	))
	return r.WithContext(ctx), Span{s}
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// EndServer ends the span of an HTTP request: named by its method and
// route (the mux's pattern, "" when none matched: never the path, which
// holds users' words), with the status of the answer; a 5xx is an error.
func (s Span) EndServer(method, route string, status int) {
	if s.s == nil {
		return
	}
	if route != "" {
		path := route
		if _, p, ok := strings.Cut(route, " "); ok {
			path = p // "GET /x/{id}": the method is in the name already
		}
		s.s.SetName(method + " " + path)
		s.s.SetAttributes(semconv.HTTPRouteKey.String(path))
	}
	s.s.SetAttributes(semconv.HTTPResponseStatusCodeKey.Int(status))
	if status >= 500 {
		s.s.SetStatus(codes.Error, http.StatusText(status))
	}
	s.s.End()
}

// Transport wraps base (nil: http.DefaultTransport) so that every call
// through it has a client span, named by its method and the path
// template template returns ("" for none: the span is named by the
// method alone), and carries the trace to the server it calls. The
// span lasts until the answer's headers arrive (an upload's bytes are
// sent within it). A Tracer that is off returns base as it is.
func (t Tracer) Transport(base http.RoundTripper, template func(*http.Request) string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t.t == nil {
		return base
	}
	return &transport{t: t.t, base: base, template: template}
}

type transport struct {
	t        trace.Tracer
	base     http.RoundTripper
	template func(*http.Request) string
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	name := req.Method
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(req.Method),
		semconv.ServerAddressKey.String(req.URL.Hostname()),
	}
	if tmpl := tr.template(req); tmpl != "" {
		name += " " + tmpl
		attrs = append(attrs, semconv.URLTemplateKey.String(tmpl))
	}
	ctx, s := tr.t.Start(req.Context(), name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	out := req.Clone(ctx) // a RoundTripper must not change its request
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := tr.base.RoundTrip(out)
	if err != nil {
		s.RecordError(err)
		s.SetStatus(codes.Error, err.Error())
		s.End()
		return resp, err
	}
	s.SetAttributes(semconv.HTTPResponseStatusCodeKey.Int(resp.StatusCode))
	if resp.StatusCode >= 400 {
		s.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	s.End()
	return resp, nil
}
