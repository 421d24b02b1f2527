package config

import (
	"strings"
	"testing"
)

func TestTracingOnlyWhenAnEndpointIsSet(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Tracing
		wantURL string // "": off
		wantErr string
	}{
		{"nothing set", Tracing{}, "", ""},
		{"exporter alone", Tracing{TracesExporter: "otlp"}, "", ""},
		{"grpc without an endpoint is off, not refused", Tracing{OTLPProtocol: "grpc"}, "", ""},
		{"base endpoint", Tracing{OTLPEndpoint: "http://collector:4318"}, "http://collector:4318/v1/traces", ""},
		{"base endpoint with a path", Tracing{OTLPEndpoint: "https://otel.example.org/otlp/"}, "https://otel.example.org/otlp/v1/traces", ""},
		{"traces endpoint as is", Tracing{OTLPTracesEndpoint: "https://api.honeycomb.io/v1/traces"}, "https://api.honeycomb.io/v1/traces", ""},
		{"traces endpoint wins", Tracing{OTLPEndpoint: "http://a:4318", OTLPTracesEndpoint: "http://b:4318/t"}, "http://b:4318/t", ""},
		{"disabled", Tracing{OTLPEndpoint: "http://a:4318", SDKDisabled: "TRUE"}, "", ""},
		{"disabled false", Tracing{OTLPEndpoint: "http://a:4318", SDKDisabled: "false"}, "http://a:4318/v1/traces", ""},
		{"exporter none", Tracing{OTLPEndpoint: "http://a:4318", TracesExporter: "none"}, "", ""},
		{"http/protobuf", Tracing{OTLPEndpoint: "http://a:4318", OTLPProtocol: "http/protobuf"}, "http://a:4318/v1/traces", ""},
		{"grpc refused", Tracing{OTLPEndpoint: "http://a:4317", OTLPProtocol: "grpc"}, "http://a:4317/v1/traces", "OTEL_EXPORTER_OTLP_PROTOCOL (--otel-exporter-otlp-protocol): airlock sends traces by OTLP over HTTP (http/protobuf), not grpc"},
		{"traces grpc refused", Tracing{OTLPTracesEndpoint: "http://a:4317", OTLPTracesProtocol: "grpc"}, "http://a:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{"traces protocol wins", Tracing{OTLPEndpoint: "http://a:4318", OTLPProtocol: "grpc", OTLPTracesProtocol: "http/protobuf"}, "http://a:4318/v1/traces", ""},
		{"json refused", Tracing{OTLPEndpoint: "http://a:4318", OTLPProtocol: "http/json"}, "http://a:4318/v1/traces", `"http/json" is not supported`},
		{"console refused", Tracing{OTLPEndpoint: "http://a:4318", TracesExporter: "console"}, "http://a:4318/v1/traces", "OTEL_TRACES_EXPORTER (--otel-traces-exporter)"},
		{"not a URL", Tracing{OTLPEndpoint: "collector:4318"}, "collector:4318", "OTEL_EXPORTER_OTLP_ENDPOINT (--otel-exporter-otlp-endpoint)"},
		{"traces endpoint not http", Tracing{OTLPTracesEndpoint: "grpc://collector:4317"}, "grpc://collector:4317", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.TracesURL(); got != tt.wantURL {
				t.Errorf("TracesURL() = %q, want %q", got, tt.wantURL)
			}
			err := tt.cfg.CheckTracing()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("CheckTracing() = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckTracing() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTracingWarnsOfAnUnclearDisabled(t *testing.T) {
	cfg := Tracing{OTLPEndpoint: "http://a:4318", SDKDisabled: "yes"}
	if err := cfg.CheckTracing(); err != nil {
		t.Fatal(err)
	}
	if cfg.TracesURL() == "" {
		t.Error("OTEL_SDK_DISABLED=yes turned tracing off; only true does")
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "OTEL_SDK_DISABLED") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}
