package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

func TestWorkspaceCode(t *testing.T) {
	st := gitrepotest.New(t, "study")
	gitrepotest.Write(t, st.Work, map[string]string{"bin.dat": "\x00\x01\xff"})
	withBin := gitrepotest.Commit(t, st.Work, "binary")
	st.Publish(t)
	e := testkit.NewEnv(t)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
		Code: gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL}),
	})
	e.Files.Write(testkit.Workspace, "out/a.csv", "a\n1\n")
	h := newHarnessOn(t, e)
	type doc struct {
		Repo, RepoURL, Commit, Path, Kind string
		Entries                           []struct{ Path, Name, Kind string }
		Content                           *string `json:"content"`
		ContentBase64                     *string `json:"content_base64"`
	}
	get := func(user, path string) (int, doc, string) {
		status, raw := h.call(user, "GET", "/api/v1/workspaces/ws/code/"+path, nil)
		var d doc
		json.Unmarshal(raw, &d)
		return status, d, string(raw)
	}
	status, d, raw := get("author", st.Commit1+"/")
	if status != http.StatusOK || d.Kind != "dir" || d.Repo != "study" || len(d.Entries) != 4 || d.Entries[0].Name != "analysis" || d.Entries[0].Kind != "dir" {
		t.Fatalf("root: %d %s", status, raw)
	}
	status, d, raw = get("c1", st.Commit2+"/analysis/report.py")
	if status != http.StatusOK || d.Kind != "file" || d.Content == nil || *d.Content != gitrepotest.ReportV2 {
		t.Fatalf("file: %d %s", status, raw)
	}
	// Fetched from the remote: the binary file comes as base64.
	status, d, raw = get("author", withBin+"/bin.dat")
	if status != http.StatusOK || d.ContentBase64 == nil || *d.ContentBase64 != base64.StdEncoding.EncodeToString([]byte("\x00\x01\xff")) {
		t.Fatalf("binary: %d %s", status, raw)
	}
	for _, tc := range []struct {
		user, path string
		status     int
		says       string
	}{
		{"author", "HEAD/", 400, "is not a commit"},
		{"author", st.Commit1 + "/%2e%2e/x", 400, "not a valid"},
		{"author", st.Commit1 + "/nope.py", 404, "has no file or folder"},
		{"outsider", st.Commit1 + "/", 403, "do not have access"},
		{"author", strings.Repeat("0", 40) + "/", 404, "does not have it"},
	} {
		status, _, raw := get(tc.user, tc.path)
		if status != tc.status || !strings.Contains(raw, tc.says) || !strings.Contains(raw, `"error"`) {
			t.Errorf("%s %s: %d %s", tc.user, tc.path, status, raw)
		}
	}
}
