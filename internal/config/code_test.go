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
		{"reference token", Code{PrivateRepoAccessToken: "r"}, ""},
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

// TestReferenceGitToken: a reference deployment's PRIVATE_REPO_ACCESS_TOKEN
// is the proxy's token, for the reference's proxy unless one is named;
// airlock's own setting wins.
func TestReferenceGitToken(t *testing.T) {
	for _, tc := range []struct {
		name       string
		c          Code
		url, token string
	}{
		{"reference alone", Code{PrivateRepoAccessToken: "r"}, ReferenceGitProxy, "r"},
		{"reference with a proxy", Code{PrivateRepoAccessToken: "r", GitProxyURL: "https://proxy.example.org"}, "https://proxy.example.org", "r"},
		{"airlock's token wins", Code{PrivateRepoAccessToken: "r", GitProxyToken: "a", GitProxyURL: "https://proxy.example.org"}, "https://proxy.example.org", "a"},
		{"neither", Code{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			if err := c.ValidateCode("/work"); err != nil {
				t.Fatal(err)
			}
			if c.GitProxyURL != tc.url || c.GitProxyToken != tc.token {
				t.Fatalf("proxy %q token %q, want %q %q", c.GitProxyURL, c.GitProxyToken, tc.url, tc.token)
			}
		})
	}
	if u := GitUser("tpp"); u != "jobrunner-tpp" {
		t.Fatalf("GitUser: %q", u)
	}
}
