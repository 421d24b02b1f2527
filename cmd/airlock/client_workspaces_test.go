package main

import (
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/apitest"
	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/testkit"
)

// `airlock client workspaces` and the API's list show only the workspaces
// this backend has; a broken one is listed as unavailable, with the reason.
func TestClientWorkspacesOnThisBackend(t *testing.T) {
	e := testkit.NewEnv(t)
	e.Files.Write(testkit.Workspace, "output/a.csv", "n\n5\n")
	e.Files.BreakManifest("broken", "metadata/manifest.json is not valid JSON")
	u := testkit.NewUser(e.Author.Username, testkit.Researcher, testkit.Workspace, "broken", "absent")
	e.Author = u
	if _, err := e.Svc.PutUser(e.Ctx, testkit.UserJSON(u)); err != nil {
		t.Fatal(err)
	}
	srv := apitest.New(t, e)
	session := clientLogin(t, clientFixture{URL: srv.URL}, u.Username, apitest.LoginToken(u))

	out := clientOK(t, session, "", "workspaces")
	if !clientHasLine(out, testkit.Workspace, "active") || !clientHasLine(out, "broken", "unavailable") ||
		!strings.Contains(out, "broken cannot be browsed: metadata/manifest.json is not valid JSON") || strings.Contains(out, "absent") {
		t.Errorf("workspaces:\n%s", out)
	}
	var list []client.Workspace
	clientDecode(t, clientOK(t, session, "", "--json", "workspaces"), &list)
	if len(list) != 2 || list[0].Name != "broken" || list[0].Unavailable == nil || *list[0].Unavailable != "metadata/manifest.json is not valid JSON" ||
		list[1].Name != testkit.Workspace || list[1].Unavailable != nil {
		t.Errorf("the API's list: %+v", list)
	}
}
