package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEdgeValidate(t *testing.T) {
	tests := []struct {
		name    string
		edge    Edge
		wantErr string // "" for valid
	}{
		{"zero takes the defaults", Edge{}, ""},
		{"usual", Edge{ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}, ""},
		{"read too short", Edge{ReadTimeout: 10 * time.Millisecond}, "AIRLOCK_READ_TIMEOUT (--read-timeout): must be between 1s and 1h0m0s, not 10ms"},
		{"write negative", Edge{WriteTimeout: -time.Second}, "AIRLOCK_WRITE_TIMEOUT (--write-timeout)"},
		{"idle too long", Edge{IdleTimeout: 25 * time.Hour}, "AIRLOCK_IDLE_TIMEOUT (--idle-timeout)"},
		{"proxies", Edge{TrustedProxies: " 10.0.0.1, 192.168.0.0/16 ,::1,"}, ""},
		{"proxy host name", Edge{TrustedProxies: "proxy.example"}, `AIRLOCK_TRUSTED_PROXIES (--trusted-proxies): "proxy.example" is not an address`},
		{"proxy bad network", Edge{TrustedProxies: "10.0.0.0/33"}, `"10.0.0.0/33" is not an address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.edge.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestEdgeProxies(t *testing.T) {
	e := Edge{TrustedProxies: "10.1.2.3, 192.168.7.9/16, ::ffff:10.0.0.9, fd00::1/64"}
	got, err := e.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.1.2.3/32"), netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("10.0.0.9/32"), netip.MustParsePrefix("fd00::/64"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Proxies() = %v, want %v", got, want)
	}
}
