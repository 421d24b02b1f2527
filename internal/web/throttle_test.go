package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLoginPageBackOff hammers a user's name through a trusted proxy from
// many addresses: the login page tells the user how long to wait, with
// Retry-After, and the user still logs in at once from the address they
// used before.
func TestLoginPageBackOff(t *testing.T) {
	h := newHarness(t, withProxies("10.0.0.0/8"))
	post := func(user, token, client string) *http.Response {
		req := newFormRequest("/login/", url.Values{"user": {user}, "token": {token}})
		req.RemoteAddr = "10.0.0.2:40000"
		req.Header.Set("X-Forwarded-For", client)
		return serveRecorded(h.handler, req).Result()
	}
	const home = "198.51.100.7"
	if resp := post("author", "login-author", home); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first login: %d", resp.StatusCode)
	}
	for i := range 10 {
		if resp := post("author", "guess", fmt.Sprint("192.0.2.", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	tests := []struct {
		name, client string
		status       int
		retryAfter   string
		message      string
	}{
		{"a new address waits", "203.0.113.9", http.StatusTooManyRequests, "1", "Too many failed logins. Please wait 1 second before trying again."},
		{"the user's own address does not", home, http.StatusSeeOther, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post("author", "login-author", tt.client)
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := string(raw)
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Fatalf("got %d, Retry-After %q; want %d, %q", resp.StatusCode, resp.Header.Get("Retry-After"), tt.status, tt.retryAfter)
			}
			if tt.message != "" && !strings.Contains(body, tt.message) {
				t.Errorf("the page does not say %q:\n%s", tt.message, body)
			}
		})
	}
}
