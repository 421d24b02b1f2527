package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies in front of the server whose
// forwarding headers are believed: X-Forwarded-For for the client's
// address (login throttling, logs) and X-Forwarded-Proto for whether the
// client reached the site over HTTPS (Secure cookies). A request from any
// other peer is taken as it arrived: its forwarding headers are ignored,
// so nobody can choose the address they are throttled by. The zero value
// trusts no proxy.
type Proxies struct{ nets []netip.Prefix }

// NewProxies trusts the proxies in the networks nets.
func NewProxies(nets []netip.Prefix) Proxies {
	return Proxies{nets: append([]netip.Prefix(nil), nets...)}
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// peer is the address the request's connection came from.
func peer(r *http.Request) (netip.Addr, bool) {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// ClientAddr is the address of the client a request came from: the peer
// of the connection, or, when the peer is a trusted proxy, the right-most
// address of X-Forwarded-For that is not a trusted proxy (each proxy
// appends the address it saw, so what lies left of that address was
// written by the client and proves nothing). When every address is a
// trusted proxy it is the left-most one; an entry that does not parse
// stops the walk at the last address known good.
func (p Proxies) ClientAddr(r *http.Request) string {
	a, ok := peer(r)
	if !ok {
		return r.RemoteAddr
	}
	if !p.trusted(a) {
		return a.String()
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = h.Unmap()
		if !p.trusted(a) {
			break
		}
	}
	return a.String()
}

// forwardedFor lists the addresses of every X-Forwarded-For line, in
// order.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, line := range h.Values("X-Forwarded-For") {
		for item := range strings.SplitSeq(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// HTTPS reports whether the client reached the site over HTTPS: the
// request came over TLS, or from a trusted proxy whose X-Forwarded-Proto
// (its last value, the one the nearest proxy set) is https.
func (p Proxies) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	a, ok := peer(r)
	if !ok || !p.trusted(a) {
		return false
	}
	vals := r.Header.Values("X-Forwarded-Proto")
	if len(vals) == 0 {
		return false
	}
	items := strings.Split(vals[len(vals)-1], ",")
	return strings.EqualFold(strings.TrimSpace(items[len(items)-1]), "https")
}
