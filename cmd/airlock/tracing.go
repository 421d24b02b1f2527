package main

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/tracing"
)

// jobServerCalls are the paths of the job-server calls airlock makes
// (docs/jobserver.md), as the templates their spans are named by: the
// workspace or request id of a path is never in a span's name.
var jobServerCalls = []struct {
	prefix   string // the path after the endpoint's, or its start
	template string // "" when the path is the template
}{
	{"/releases/authenticate", ""},
	{"/releases/authorise", ""},
	{"/releases/workspace/", "/releases/workspace/{workspace}"},
	{"/releases/release/", "/releases/release/{request_id}"},
	{"/airlock/events/", ""},
}

// jobServerRoute returns the template of a call to the job-server API at
// endpoint: "" for a call elsewhere (the webhook) or to a path airlock
// does not call.
func jobServerRoute(endpoint string) func(*http.Request) string {
	base, err := url.Parse(endpoint)
	if err != nil {
		return func(*http.Request) string { return "" }
	}
	basePath := strings.TrimRight(base.Path, "/")
	return func(r *http.Request) string {
		if r.URL.Host != base.Host || !strings.HasPrefix(r.URL.Path, basePath+"/") {
			return ""
		}
		rest := strings.TrimPrefix(r.URL.Path, basePath)
		for _, c := range jobServerCalls {
			switch {
			case c.template == "" && rest == c.prefix:
				return c.prefix
			case c.template != "" && strings.HasPrefix(rest, c.prefix) && len(rest) > len(c.prefix):
				return c.template
			}
		}
		return ""
	}
}

// tracedClient is the HTTP client of outgoing calls (job-server's, the
// webhook's) when tracing is on: the packages' own default (timeout,
// redirects not followed) with a span per call. Off, it is nil: each
// package makes its own default client.
func tracedClient(tr tracing.Tracer, endpoint string, timeout time.Duration) *http.Client {
	if !tr.On() {
		return nil
	}
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     tr.Transport(nil, jobServerRoute(endpoint)),
	}
}
