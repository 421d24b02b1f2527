package config

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Tracing is OpenTelemetry's standard settings for exporting traces
// (docs/settings.md, "Tracing"). Tracing is on when an OTLP endpoint is
// set, OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// unless OTEL_SDK_DISABLED is true or OTEL_TRACES_EXPORTER is none. The
// OpenTelemetry SDK reads the other OTEL_* variables itself (headers,
// timeout, certificates, resource attributes, sampler, batching).
type Tracing struct {
	OTLPEndpoint       string `name:"otel-exporter-otlp-endpoint" env:"OTEL_EXPORTER_OTLP_ENDPOINT" help:"OpenTelemetry: base URL of the OTLP/HTTP collector traces are sent to (/v1/traces is added); setting it turns tracing on."`
	OTLPTracesEndpoint string `name:"otel-exporter-otlp-traces-endpoint" env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" help:"OpenTelemetry: full URL traces are sent to, as is; wins over --otel-exporter-otlp-endpoint and also turns tracing on."`
	OTLPProtocol       string `name:"otel-exporter-otlp-protocol" env:"OTEL_EXPORTER_OTLP_PROTOCOL" help:"OpenTelemetry: the OTLP protocol; only http/protobuf is supported."`
	OTLPTracesProtocol string `name:"otel-exporter-otlp-traces-protocol" env:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" help:"OpenTelemetry: the OTLP protocol of traces; only http/protobuf is supported."`
	TracesExporter     string `name:"otel-traces-exporter" env:"OTEL_TRACES_EXPORTER" help:"OpenTelemetry: otlp, or none to turn tracing off."`
	SDKDisabled        string `name:"otel-sdk-disabled" env:"OTEL_SDK_DISABLED" help:"OpenTelemetry: true turns tracing off."`
	ServiceName        string `name:"otel-service-name" env:"OTEL_SERVICE_NAME" help:"OpenTelemetry: the service.name of the traces (default airlock)."`

	// Warnings are what CheckTracing found worth saying but not refusing.
	Warnings []string `kong:"-"`
}

// DefaultServiceName is the service.name of airlock's traces when
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name none.
const DefaultServiceName = "airlock"

// TracesURL is the URL traces are sent to, "" when tracing is off.
func (t *Tracing) TracesURL() string {
	if strings.EqualFold(strings.TrimSpace(t.SDKDisabled), "true") || strings.TrimSpace(t.TracesExporter) == "none" {
		return ""
	}
	if t.OTLPTracesEndpoint != "" {
		// The signal's own endpoint is used as is (OpenTelemetry's rule).
		return t.OTLPTracesEndpoint
	}
	if t.OTLPEndpoint == "" {
		return ""
	}
	u, err := url.Parse(t.OTLPEndpoint)
	if err != nil {
		return t.OTLPEndpoint // CheckTracing refuses it
	}
	u.Path = path.Join("/", u.Path, "v1/traces")
	return u.String()
}

// CheckTracing checks the tracing settings when they turn tracing on,
// naming the first bad one: the endpoint must be an http(s) URL, and
// only OTLP over HTTP with protobuf is spoken.
func (t *Tracing) CheckTracing() error {
	t.Warnings = nil
	switch v := strings.TrimSpace(t.SDKDisabled); {
	case v == "", strings.EqualFold(v, "true"), strings.EqualFold(v, "false"):
	default:
		t.Warnings = append(t.Warnings, fmt.Sprintf("OTEL_SDK_DISABLED is %q, neither true nor false: taken as false", v))
	}
	if t.TracesURL() == "" {
		return nil
	}
	name := "OTEL_EXPORTER_OTLP_ENDPOINT (--otel-exporter-otlp-endpoint)"
	raw := t.OTLPEndpoint
	if t.OTLPTracesEndpoint != "" {
		name, raw = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (--otel-exporter-otlp-traces-endpoint)", t.OTLPTracesEndpoint
	}
	if err := checkURL(raw); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch v := strings.TrimSpace(t.TracesExporter); v {
	case "", "otlp":
	default:
		return fmt.Errorf("OTEL_TRACES_EXPORTER (--otel-traces-exporter): %q is not supported: airlock exports traces by otlp, or not at all with none", v)
	}
	// The traces' own protocol wins over the general one.
	pname, proto := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (--otel-exporter-otlp-traces-protocol)", strings.TrimSpace(t.OTLPTracesProtocol)
	if proto == "" {
		pname, proto = "OTEL_EXPORTER_OTLP_PROTOCOL (--otel-exporter-otlp-protocol)", strings.TrimSpace(t.OTLPProtocol)
	}
	switch proto {
	case "", "http/protobuf":
	case "grpc":
		return fmt.Errorf("%s: airlock sends traces by OTLP over HTTP (http/protobuf), not grpc: unset it or set http/protobuf, and point the endpoint at the collector's OTLP/HTTP port (usually 4318)", pname)
	default:
		return fmt.Errorf("%s: %q is not supported: airlock sends traces by OTLP over HTTP with protobuf (http/protobuf)", pname, proto)
	}
	return nil
}
