package web

import (
	"fmt"
	"net/url"
	"strings"
)

// pathPattern is the path of a route as net/http's ServeMux reads it
// ("/requests/view/{id}/{group}/{path...}"): the route table registers it,
// and build fills its wildcards to make the route's URLs, so that a URL
// and the route that answers it are written once.
type pathPattern string

// build fills the pattern's wildcards in order with args: a {name} is one
// escaped segment, a {name...} a path whose segments are each escaped, and
// {$} is dropped. It panics on a wrong number of arguments: a programming
// error that every page test would meet.
func (p pathPattern) build(args ...string) string {
	var b strings.Builder
	rest := string(p)
	n := 0
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		if name == "$" {
			continue
		}
		if n >= len(args) {
			panic(fmt.Sprintf("web: URL %s needs more than %d arguments", p, len(args)))
		}
		if strings.HasSuffix(name, "...") {
			b.WriteString(pathEscape(args[n]))
		} else {
			b.WriteString(url.PathEscape(args[n]))
		}
		n++
	}
	if n != len(args) {
		panic(fmt.Sprintf("web: URL %s takes %d arguments, not %d", p, n, len(args)))
	}
	return b.String()
}

// The request pages' paths. The route table (routes_request.go) registers
// them; the builders below and the "url" template function make their
// URLs.
const (
	pathRequests          pathPattern = "/requests/{$}"
	pathRequest           pathPattern = "/requests/view/{id}/{$}"
	pathRequestPath       pathPattern = "/requests/view/{id}/{group}/{path...}"
	pathRequestContent    pathPattern = "/requests/content/{id}/{group}/{path...}"
	pathWorkspaceRequests pathPattern = "/requests/workspace/{ws}"
	pathRequestFragment   pathPattern = "/requests/{id}/{what}"
	pathVoteApprove       pathPattern = "/requests/approve/{id}/{path...}"
	pathVoteChanges       pathPattern = "/requests/request_changes/{id}/{path...}"
	pathVoteReset         pathPattern = "/requests/reset_review/{id}/{path...}"
	pathWithdrawFile      pathPattern = "/requests/withdraw/{id}/{path...}"
	pathOverrideChecks    pathPattern = "/requests/override-checks/{id}/{path...}"
	pathChangeProperties  pathPattern = "/requests/change-properties/{id}"
	pathMultiselect       pathPattern = "/requests/multiselect/{id}"
	pathRelease           pathPattern = "/requests/release/{id}"
	pathSubmit            pathPattern = "/requests/submit/{id}"
	pathSubmitReview      pathPattern = "/requests/review/{id}"
	pathReject            pathPattern = "/requests/reject/{id}"
	pathWithdraw          pathPattern = "/requests/withdraw/{id}"
	pathReturn            pathPattern = "/requests/return/{id}"
	pathEditGroup         pathPattern = "/requests/edit/{id}/{group}"
	pathCommentCreate     pathPattern = "/requests/comment/create/{id}/{group}"
	pathCommentDelete     pathPattern = "/requests/comment/delete/{id}/{group}"
	pathCommentPublish    pathPattern = "/requests/comment/visibility_public/{id}/{group}"
	pathGroupRequestChg   pathPattern = "/requests/request-changes/{id}/{group}"
	pathGroupResetVotes   pathPattern = "/requests/reset-votes/{id}/{group}"
	pathRequestTree       pathPattern = "/requests/tree/{id}/{group}/{path...}"
	pathSelection         pathPattern = "/requests/selection/{id}"
	pathRequestDiff       pathPattern = "/requests/diff/{id}/{path...}"
	pathRequestVersion    pathPattern = "/requests/version/{id}/{version}/{path...}"
	pathWorkspace         pathPattern = "/workspaces/view/{ws}/"
)

// namedPaths are the paths templates build URLs of, by name:
// {{url "request-group" .ID .Group}}.
var namedPaths = map[string]pathPattern{
	"request":            pathRequest,
	"request-group":      pathRequestPath, // with path ""
	"request-content":    pathRequestContent,
	"workspace-requests": pathWorkspaceRequests,
	"upload-progress":    pathRequestFragment,
	"comment-create":     pathCommentCreate,
	"comment-delete":     pathCommentDelete,
	"comment-publish":    pathCommentPublish,
	"edit-group":         pathEditGroup,
	"workspace":          pathWorkspace,
}

// urlFunc is the "url" template function: the URL of the named path with
// args.
func urlFunc(name string, args ...string) (string, error) {
	p, ok := namedPaths[name]
	if !ok {
		return "", fmt.Errorf("url: no path named %q", name)
	}
	return p.build(args...), nil
}

// URL builders of the request pages.

func requestBase(id string) string { return pathRequest.build(id) }

func reqGroupURL(id, group string) string { return pathRequestPath.build(id, group, "") }

func reqFileURL(id, group, relpath string) string { return pathRequestPath.build(id, group, relpath) }

func reqDirURL(id, group, dir string) string { return pathRequestPath.build(id, group, dir) + "/" }

func reqTreeURL(id, group, dir string) string { return pathRequestTree.build(id, group, dir) + "/" }

func reqSelectionURL(id string) string { return pathSelection.build(id) }

func reqContentURL(id, group, relpath, cacheID string) string {
	return pathRequestContent.build(id, group, relpath) + "?cache_id=" + url.QueryEscape(cacheID)
}

func reqDownloadURL(id, group, relpath string) string {
	return pathRequestContent.build(id, group, relpath) + "?download"
}

func uploadProgressURL(id string) string {
	return pathRequestFragment.build(id, "uploaded-files-count")
}
