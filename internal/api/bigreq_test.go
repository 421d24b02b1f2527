package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestWithdrawAnswerAsFullRead: the answer of a file withdrawal, made
// from the request the service has in its read cache with the change
// applied, is byte for byte the answer of a node that reads the whole
// request from the database (an unchanged properties call answers the
// request as stored), for the author of a pending request and of a
// returned one (whose withdrawn files stay, withdrawn).
func TestWithdrawAnswerAsFullRead(t *testing.T) {
	e := testkit.NewEnv(t)
	warm := newHarnessOn(t, e)
	coldEnv := *e
	coldEnv.Svc = service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now})
	cold := newHarnessOn(t, &coldEnv)

	paths := make([]string, 40)
	for i := range paths {
		paths[i] = fmt.Sprintf("output/part_%d/<t%02d> & \"q\".csv", i%4, i)
	}
	pending := warm.Pending(warm.Author, paths...)
	returned := warm.Submitted(warm.Colleague)
	warm.Review(returned.ID, warm.C1, domain.VoteApproved)
	warm.Review(returned.ID, warm.C2, domain.VoteChangesRequested)
	returned = warm.R(warm.Svc.Return(warm.Ctx, warm.C1, returned.ID))

	for _, c := range []struct {
		user string
		r    *domain.Request
		path string
	}{
		{"author", pending, paths[5]},
		{"author", pending, paths[6]},
		{"colleague", returned, returned.Files[0].Relpath},
	} {
		code, got := warm.call(c.user, "POST", "/api/v1/requests/"+c.r.ID+"/files/withdraw", map[string][]string{"paths": {c.path}})
		if code != http.StatusOK {
			t.Fatalf("withdraw %s: %d %s", c.path, code, got)
		}
		f := c.r.Files[len(c.r.Files)-1]
		code, want := cold.call(c.user, "POST", "/api/v1/requests/"+c.r.ID+"/files/properties",
			map[string]any{"paths": []string{f.Relpath}, "group": f.Group, "filetype": string(f.FileType)})
		if code != http.StatusOK {
			t.Fatalf("unchanged properties: %d %s", code, want)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("withdrawing %s answered\n%s\nthe request as stored is\n%s", c.path, got, want)
		}
	}
}
