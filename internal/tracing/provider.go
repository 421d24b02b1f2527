package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"

	"github.com/airlock-go/airlock/internal/config"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// BackendKey is the resource attribute naming the backend (BACKEND).
const BackendKey = attribute.Key("backend")

// Provider owns the spans' way out: batched, and exported by OTLP over
// HTTP. The Provider of settings that leave tracing off holds nothing,
// and its Tracer is off.
type Provider struct {
	sdk *sdktrace.TracerProvider // nil: off
}

// Open builds the Provider the settings describe (checked by
// config.Tracing.CheckTracing): off unless they name an OTLP endpoint.
// The spans' resource has service.name (OTEL_SERVICE_NAME, else
// service.name of OTEL_RESOURCE_ATTRIBUTES, else "airlock"), backend
// (BACKEND, unless OTEL_RESOURCE_ATTRIBUTES names one), and the rest of
// OTEL_RESOURCE_ATTRIBUTES. Failures to export are logged, once until
// an export works again.
func Open(ctx context.Context, cfg *config.Tracing, backend string, log *slog.Logger) (*Provider, error) {
	endpoint := cfg.TracesURL()
	if endpoint == "" {
		return &Provider{}, nil
	}
	// The exporter reads the OTEL_EXPORTER_OTLP_* variables the settings
	// do not name itself (headers, timeout, certificates, compression).
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	shown := endpoint
	if u, err := url.Parse(endpoint); err == nil {
		shown = u.Redacted()
	}
	return NewProvider(ctx, &loggingExporter{SpanExporter: exp, log: log, endpoint: shown}, cfg.ServiceName, backend)
}

// NewProvider builds a Provider exporting to exp in batches (as the
// OTEL_BSP_* variables say), with the resource Open describes.
func NewProvider(ctx context.Context, exp sdktrace.SpanExporter, serviceName, backend string) (*Provider, error) {
	opts := []resource.Option{
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(config.DefaultServiceName)),
		resource.WithAttributes(BackendKey.String(backend)),
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME
	}
	if serviceName != "" {
		// Given as a flag, or in the environment: wins, as
		// OTEL_SERVICE_NAME does over OTEL_RESOURCE_ATTRIBUTES.
		opts = append(opts, resource.WithAttributes(semconv.ServiceName(serviceName)))
	}
	res, err := resource.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: the resource (OTEL_RESOURCE_ATTRIBUTES): %w", err)
	}
	// OTEL_TRACES_SAMPLER (default: every trace, or as its parent says) is
	// read by the SDK.
	return &Provider{sdk: sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))}, nil
}

// On reports whether spans are recorded and exported.
func (p *Provider) On() bool { return p.sdk != nil }

// Tracer returns the Tracer making spans for this Provider: off when it
// is.
func (p *Provider) Tracer() Tracer {
	if p.sdk == nil {
		return Tracer{}
	}
	return New(p.sdk)
}

// Flush exports the spans ended so far.
func (p *Provider) Flush(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	return p.sdk.ForceFlush(ctx)
}

// Shutdown exports the spans not yet sent and stops the Provider; ctx
// bounds how long it waits for the collector.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flush the last spans: %w", err)
	}
	return nil
}

// loggingExporter logs failed exports in airlock's log, instead of
// handing them to OpenTelemetry's process-wide error handler: the first
// failure, then nothing more until an export works again, which it also
// says. The spans of a failed export are dropped.
type loggingExporter struct {
	sdktrace.SpanExporter
	log      *slog.Logger
	endpoint string
	failing  atomic.Bool
}

func (e *loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		return nil // shutting down
	case err != nil:
		if !e.failing.Swap(true) {
			e.log.Warn("tracing: cannot export spans; they are dropped until it works again", "endpoint", e.endpoint, "spans", len(spans), "err", err)
		}
	case e.failing.Swap(false):
		e.log.Info("tracing: exporting spans again", "endpoint", e.endpoint)
	}
	return nil
}
