package domain

import "strings"

// LocalRedirect returns target when it is a path on this site, and
// fallback otherwise: a redirect target (`next`, `return_url`) must start
// with a single "/", and carry no scheme, host, backslash or control
// character, so that nobody can be sent elsewhere.
func LocalRedirect(target, fallback string) string {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") {
		return fallback
	}
	for _, c := range target {
		if c == '\\' || c < 0x20 || c == 0x7f {
			return fallback
		}
	}
	return target
}
