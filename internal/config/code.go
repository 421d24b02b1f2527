package config

import (
	"fmt"
	"net/url"
	"time"
)

// Code is where the code browser finds studies' repositories, and where
// it fetches the commits it lacks (docs/settings.md, "Code browser").
type Code struct {
	RepoDir         string        `name:"repo-dir" env:"AIRLOCK_REPO_DIR" help:"Folder of the studies' bare git repositories, <name>.git (default $AIRLOCK_WORK_DIR/repos)."`
	GitProxyURL     string        `name:"git-proxy-url" env:"AIRLOCK_GIT_PROXY_URL" help:"Base URL missing commits are fetched from (the repository's path is appended); unset: only the repositories of the folder are shown."`
	GitProxyToken   string        `name:"git-proxy-token" env:"AIRLOCK_GIT_PROXY_TOKEN" help:"Token for private repositories, sent to the git proxy only."`
	GitFetchTimeout time.Duration `name:"git-fetch-timeout" env:"AIRLOCK_GIT_FETCH_TIMEOUT" default:"60s" help:"Longest one attempt to fetch a commit may take."`
	// PrivateRepoAccessToken is OpenSAFELY Airlock's name for the proxy's
	// token, read so that a reference deployment's environment works as is.
	PrivateRepoAccessToken string `name:"private-repo-access-token" env:"PRIVATE_REPO_ACCESS_TOKEN" help:"OpenSAFELY Airlock's git proxy token: used when --git-proxy-token is unset, and then commits are fetched from https://github-proxy.opensafely.org unless --git-proxy-url says otherwise."`
}

// ReferenceGitProxy is where OpenSAFELY Airlock fetches commits from: the
// proxy a reference deployment's PRIVATE_REPO_ACCESS_TOKEN is for.
const ReferenceGitProxy = "https://github-proxy.opensafely.org"

// GitUser is the user name sent with the proxy's token: OpenSAFELY
// Airlock's, jobrunner-<BACKEND>.
func GitUser(backend string) string { return "jobrunner-" + backend }

// ValidateCode checks the code browser's settings and resolves its folder
// against the work folder.
func (c *Code) ValidateCode(workDir string) error {
	c.RepoDir = Resolve(workDir, c.RepoDir, "repos")
	if c.GitProxyToken == "" && c.PrivateRepoAccessToken != "" {
		// A reference deployment's environment: its token, for its proxy.
		c.GitProxyToken = c.PrivateRepoAccessToken
		if c.GitProxyURL == "" {
			c.GitProxyURL = ReferenceGitProxy
		}
	}
	if c.GitProxyURL != "" {
		u, err := url.Parse(c.GitProxyURL)
		switch {
		case err != nil:
			return fmt.Errorf("AIRLOCK_GIT_PROXY_URL (--git-proxy-url): %q is not a URL: %v", c.GitProxyURL, err)
		case u.Scheme == "file" && u.Path != "":
		case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		default:
			return fmt.Errorf("AIRLOCK_GIT_PROXY_URL (--git-proxy-url): %q is not an http(s) URL", c.GitProxyURL)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("AIRLOCK_GIT_PROXY_URL (--git-proxy-url): %q may not hold credentials, a query or a fragment (the token goes in AIRLOCK_GIT_PROXY_TOKEN)", c.GitProxyURL)
		}
	} else if c.GitProxyToken != "" {
		return fmt.Errorf("AIRLOCK_GIT_PROXY_TOKEN (--git-proxy-token) is set without AIRLOCK_GIT_PROXY_URL (--git-proxy-url)")
	}
	if c.GitFetchTimeout == 0 {
		c.GitFetchTimeout = time.Minute // the default, for a Server not made by the command line
	}
	if c.GitFetchTimeout < time.Second || c.GitFetchTimeout > time.Hour {
		return fmt.Errorf("AIRLOCK_GIT_FETCH_TIMEOUT (--git-fetch-timeout): must be between 1s and 1h, not %v", c.GitFetchTimeout)
	}
	return nil
}
