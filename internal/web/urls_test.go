package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPathPatternBuild(t *testing.T) {
	tests := []struct {
		p    pathPattern
		args []string
		want string
	}{
		{pathRequest, []string{"01ABC"}, "/requests/view/01ABC/"},
		{pathRequestPath, []string{"01ABC", "my group", ""}, "/requests/view/01ABC/my%20group/"},
		{pathRequestPath, []string{"01ABC", "a/b", "out/x y.csv"}, "/requests/view/01ABC/a%2Fb/out/x%20y.csv"},
		{pathVoteApprove, []string{"id", "out/a?.csv"}, "/requests/approve/id/out/a%3F.csv"},
		{pathWorkspace, []string{"ws"}, "/workspaces/view/ws/"},
	}
	for _, tt := range tests {
		if got := tt.p.build(tt.args...); got != tt.want {
			t.Errorf("%s%q: got %s, want %s", tt.p, tt.args, got, tt.want)
		}
	}
	for _, bad := range [][]string{{}, {"a", "b"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("build(%q) of %s did not refuse the wrong arguments", bad, pathRequest)
				}
			}()
			pathRequest.build(bad...)
		}()
	}
}

// TestRequestURLsReachTheirRoutes: every URL the builders make is
// answered by the route its pattern registers (the URL and the route are
// written once), and no request route is left without a builder.
func TestRequestURLsReachTheirRoutes(t *testing.T) {
	h := newHarness(t)
	mux := http.NewServeMux()
	h.pages.Register(mux)
	registered := map[string]bool{}
	for _, rt := range h.pages.requestRoutes() {
		registered[rt.pattern] = true
	}
	for name, p := range namedPaths {
		n := strings.Count(string(p), "{") - strings.Count(string(p), "{$}")
		args := make([]string, n)
		for i := range args {
			args[i] = "x y"
		}
		u := p.build(args...)
		method := "GET"
		if !registered["GET "+string(p)] {
			method = "POST"
		}
		if !registered[method+" "+string(p)] && p != pathWorkspace {
			t.Errorf("%s (%s) is not in the request routes", name, p)
			continue
		}
		_, pattern := mux.Handler(httptest.NewRequest(method, u, nil))
		if pattern != method+" "+string(p) && p != pathWorkspace {
			t.Errorf("%s: %s %s is answered by %q, not %s", name, method, u, pattern, p)
		}
	}
}
