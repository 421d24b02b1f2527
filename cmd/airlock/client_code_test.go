package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/apitest"
	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestClientCode: `airlock client code` lists a folder of the study's
// repository at a commit, prints a file's text (tabs kept, terminal
// controls not), refuses a bad commit with the server's words, and
// --json prints the document.
func TestClientCode(t *testing.T) {
	st := gitrepotest.New(t, "study")
	gitrepotest.Write(t, st.Work, map[string]string{"analysis/tabs.py": "if x:\n\treturn 1 \x1b[31mred\n", "bin.dat": "\x00\xff"})
	c4 := gitrepotest.Commit(t, st.Work, "tabs")
	st.Publish(t)
	e := testkit.NewEnv(t)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now,
		Code: gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL}),
	})
	e.Files.Write(testkit.Workspace, "out/a.csv", "a\n1\n")
	url := apitest.New(t, e).URL
	session := filepath.Join(t.TempDir(), "c1.json")
	clientOK(t, session, apitest.LoginToken(e.C1)+"\n", "login", url, "--user", e.C1.Username)

	out := clientOK(t, session, "", "code", "ws", st.Commit1)
	for _, want := range [][]string{{"study@" + st.Commit1[:12], "/"}, {"analysis/"}, {"project.yaml", "411 bytes"}} {
		if !clientHasLine(out, want...) {
			t.Errorf("root lacks a line with %q:\n%s", want, out)
		}
	}
	if out := clientOK(t, session, "", "code", "ws", st.Commit2, "analysis/report.py"); out != gitrepotest.ReportV2 {
		t.Errorf("file: %q", out)
	}
	if out := clientOK(t, session, "", "code", "ws", c4, "analysis/tabs.py"); out != "if x:\n\treturn 1 \uFFFD[31mred\n" {
		t.Errorf("controls: %q", out)
	}
	if code, _, errOut := clientAs(t, session, "", "code", "ws", c4, "bin.dat"); code != 1 || !strings.Contains(errOut, "is not text") {
		t.Errorf("binary: exit %d %q", code, errOut)
	}
	if code, _, errOut := clientAs(t, session, "", "code", "ws", "main"); code != 1 || !strings.Contains(errOut, "is not a commit") {
		t.Errorf("bad commit: exit %d %q", code, errOut)
	}
	out = clientOK(t, session, "", "--json", "code", "ws", st.Commit1, "analysis")
	var d client.Code
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Kind != "dir" || len(d.Entries) != 2 {
		t.Errorf("--json: %v\n%s", err, out)
	}
}
