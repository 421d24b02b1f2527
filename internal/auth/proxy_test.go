package auth

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestProxiesClientAddr(t *testing.T) {
	p := NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::1/128")})
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted proxy", "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own claim left of the proxy's", "10.0.0.2:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.0.0.2:5000", []string{"198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"several header lines", "10.0.0.2:5000", []string{"1.2.3.4", "198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"trusted proxy without header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"every hop trusted", "10.0.0.2:5000", []string{"10.0.0.7, 10.0.0.3"}, "10.0.0.7"},
		{"garbage stops the walk", "10.0.0.2:5000", []string{"198.51.100.1, bogus"}, "10.0.0.2"},
		{"garbage left of the client", "10.0.0.2:5000", []string{"bogus, 198.51.100.1"}, "198.51.100.1"},
		{"IPv6 proxy", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"mapped IPv4 peer", "[::ffff:10.0.0.2]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"unparsable peer", "pipe", []string{"198.51.100.1"}, "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := p.ClientAddr(r); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:5000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := (Proxies{}).ClientAddr(r); got != "10.0.0.2" {
		t.Errorf("no trusted proxy: ClientAddr = %q", got)
	}
}

func TestProxiesHTTPS(t *testing.T) {
	p := NewProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")})
	tests := []struct {
		name   string
		remote string
		tls    bool
		proto  []string
		want   bool
	}{
		{"plain", "203.0.113.5:1", false, nil, false},
		{"TLS", "203.0.113.5:1", true, nil, true},
		{"untrusted peer says https", "203.0.113.5:1", false, []string{"https"}, false},
		{"trusted proxy says https", "10.0.0.2:1", false, []string{"https"}, true},
		{"trusted proxy says HTTPS", "10.0.0.2:1", false, []string{"HTTPS"}, true},
		{"trusted proxy says http", "10.0.0.2:1", false, []string{"http"}, false},
		{"trusted proxy silent", "10.0.0.2:1", false, nil, false},
		{"nearest proxy's value counts", "10.0.0.2:1", false, []string{"https, http"}, false},
		{"last line counts", "10.0.0.2:1", false, []string{"http", "https"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range tt.proto {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if got := p.HTTPS(r); got != tt.want {
				t.Errorf("HTTPS = %v, want %v", got, tt.want)
			}
		})
	}
}
