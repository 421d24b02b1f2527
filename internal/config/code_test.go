package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidateCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Code
		err  string
	}{
		{"defaults", Code{}, ""},
		{"https proxy", Code{GitProxyURL: "https://github-proxy.example.org", GitProxyToken: "t"}, ""},
		{"file mirror", Code{GitProxyURL: "file:///srv/mirror"}, ""},
		{"ssh", Code{GitProxyURL: "ssh://git@example.org/x"}, "not an http(s) URL"},
		{"ext", Code{GitProxyURL: "ext::sh -c touch% /tmp/pwned"}, "AIRLOCK_GIT_PROXY_URL"},
		{"credentials", Code{GitProxyURL: "https://user:pw@example.org"}, "may not hold credentials"},
		{"token alone", Code{GitProxyToken: "t"}, "without AIRLOCK_GIT_PROXY_URL"},
		{"timeout", Code{GitFetchTimeout: time.Millisecond}, "between 1s and 1h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			err := c.ValidateCode("/work")
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.RepoDir != filepath.Join("/work", "repos") || c.GitFetchTimeout != time.Minute {
					t.Fatalf("defaults: %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}
