package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Edge is how clients reach the server: how long they may hold a
// connection, the reverse proxies in front of it, and its cookies. A
// zero duration takes the server's default.
type Edge struct {
	ReadTimeout    time.Duration `name:"read-timeout" env:"AIRLOCK_READ_TIMEOUT" default:"30s" help:"Longest a client may take to send a request, headers and body."`
	WriteTimeout   time.Duration `name:"write-timeout" env:"AIRLOCK_WRITE_TIMEOUT" default:"1m" help:"Longest an answer may go without progress; a download that keeps moving may take longer in all."`
	IdleTimeout    time.Duration `name:"idle-timeout" env:"AIRLOCK_IDLE_TIMEOUT" default:"2m" help:"How long a kept-alive connection may wait for its next request."`
	TrustedProxies string        `name:"trusted-proxies" env:"AIRLOCK_TRUSTED_PROXIES" help:"Comma-separated addresses or CIDR networks of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed."`
	SecureCookies  bool          `name:"secure-cookies" env:"AIRLOCK_SECURE_COOKIES" help:"Always mark the session cookie Secure and send Strict-Transport-Security (the site is reached over HTTPS only)."`
}

// Validate checks the edge's settings, naming the first bad one.
func (e *Edge) Validate() error {
	for _, d := range []struct {
		name     string
		v, upper time.Duration
	}{
		{"AIRLOCK_READ_TIMEOUT (--read-timeout)", e.ReadTimeout, time.Hour},
		{"AIRLOCK_WRITE_TIMEOUT (--write-timeout)", e.WriteTimeout, time.Hour},
		{"AIRLOCK_IDLE_TIMEOUT (--idle-timeout)", e.IdleTimeout, 24 * time.Hour},
	} {
		if d.v != 0 && (d.v < time.Second || d.v > d.upper) {
			return fmt.Errorf("%s: must be between 1s and %v, not %v", d.name, d.upper, d.v)
		}
	}
	if _, err := e.Proxies(); err != nil {
		return err
	}
	return nil
}

// Proxies returns the networks of the trusted proxies: each address of
// the list is a network of one address.
func (e *Edge) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(e.TrustedProxies, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("AIRLOCK_TRUSTED_PROXIES (--trusted-proxies): %q is not an address or a network like 10.0.0.0/8", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("AIRLOCK_TRUSTED_PROXIES (--trusted-proxies): %q is not an address or a network like 10.0.0.0/8", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
