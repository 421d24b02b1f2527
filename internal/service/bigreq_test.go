package service_test

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// countingStore counts the whole-request reads of a store.
type countingStore struct {
	store.Store
	full atomic.Int64
}

func (c *countingStore) GetRequest(ctx context.Context, id string) (*domain.Request, error) {
	c.full.Add(1)
	return c.Store.GetRequest(ctx, id)
}

// node is a service on e's database that counts its whole-request reads:
// another airlock process, with a read cache of its own.
func node(e *testkit.Env) (*service.Service, *countingStore) {
	cs := &countingStore{Store: e.Store}
	return service.New(service.Config{Store: cs, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now}), cs
}

// TestChangeKeepsReloadInCache: an action that reads its request again
// after commit (an add, a group edit) leaves it in the read cache, so the
// next action (a withdrawal) reads no whole request, and returns what the
// store then holds; on another node, or once another node changed the
// request, the withdrawal reads it and returns the same.
func TestChangeKeepsReloadInCache(t *testing.T) {
	e := testkit.NewEnv(t)
	svc, cs := node(e)
	other, _ := node(e)
	paths := make([]string, 30)
	for i := range paths {
		paths[i] = fmt.Sprintf("output/part_%d/t%02d.csv", i%3, i)
		e.Files.Write(testkit.Workspace, paths[i], "n\n10\n")
	}
	add := func(s *service.Service, ps ...string) *domain.Request {
		var files []service.AddFile
		for _, p := range ps {
			files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
		}
		return e.R(s.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", files))
	}
	r := add(svc, paths...)
	r, _, err := svc.EditGroup(e.Ctx, e.Author, r.ID, "g", "Counts", "Rounded")
	e.OK(err)
	sameRequest(t, e, "a group edit", r, nil)

	withdraw := func(s *service.Service, p string, wantReads int64) {
		t.Helper()
		before := cs.full.Load()
		got := e.R(s.WithdrawFiles(e.Ctx, e.Author, r.ID, []string{p}))
		if s == svc {
			if n := cs.full.Load() - before; n != wantReads {
				t.Errorf("withdrawing %s read the whole request %d times, want %d", p, n, wantReads)
			}
		}
		if _, ok := got.File(p); ok {
			t.Errorf("withdrawing %s left it on the request", p)
		}
		sameRequest(t, e, "withdrawing "+p, got, nil)
	}
	withdraw(svc, paths[4], 0) // after the edit, from the cache
	add(svc, paths[4])
	withdraw(svc, paths[4], 0) // after the add, from the cache
	add(svc, paths[4])
	// Another node changes the request: this node's cache no longer
	// matches the stamp, so it reads the request, and answers the same.
	e.R(other.WithdrawFiles(e.Ctx, e.Author, r.ID, []string{paths[7]}))
	withdraw(svc, paths[9], 1)
	// A node that never read the request reads it once.
	fresh, _ := node(e)
	withdraw(fresh, paths[11], 0)
}

// TestRequestAndEventsAsReadApart: the request and events a page reads
// side by side are those GetRequestStamped and VisibleEventsAt give, for
// every viewer, cold or cached; refusals (no such request, no access)
// are the same; RequestStamp, which now checks access on the request's
// header only, refuses the same users and gives the same stamp.
func TestRequestAndEventsAsReadApart(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Submitted(e.Author)
	_, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "Private <note>", domain.VisibilityPrivate)
	e.OK(err)
	e.R(e.Svc.Vote(e.Ctx, e.C1, r.ID, r.Files[0].Relpath, domain.VoteApproved))
	for _, id := range []string{r.ID, "NO-SUCH-REQUEST"} {
		for _, u := range []domain.User{e.Author, e.Colleague, e.C1, e.C2, e.Outsider, e.ReadOnly} {
			for _, cold := range []bool{true, false} {
				svc := e.Svc
				if cold {
					svc, _ = node(e)
				}
				got, gotSt, gotEvents, gotErr := svc.GetRequestAndEvents(e.Ctx, u, id)
				stamp, stampErr := svc.RequestStamp(e.Ctx, u, id)
				want, wantSt, wantErr := svc.GetRequestStamped(e.Ctx, u, id)
				if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
					t.Fatalf("%s for %s: error %v, want %v", id, u.Username, gotErr, wantErr)
				}
				if (stampErr == nil) != (wantErr == nil) || (stampErr != nil && stampErr.Error() != wantErr.Error()) {
					t.Fatalf("stamp of %s for %s: error %v, want %v", id, u.Username, stampErr, wantErr)
				}
				if wantErr != nil {
					continue
				}
				wantEvents, err := svc.VisibleEventsAt(e.Ctx, u, want, wantSt)
				e.OK(err)
				if !reflect.DeepEqual(got, want) || gotSt != wantSt || stamp != wantSt || !reflect.DeepEqual(gotEvents, wantEvents) {
					t.Errorf("%s for %s (cold %v): read side by side\n%+v %v %d events\nread apart\n%+v %v %d events",
						id, u.Username, cold, got, gotSt, len(gotEvents), want, wantSt, len(wantEvents))
				}
				if len(gotEvents) == 0 {
					t.Errorf("%s for %s: no events", id, u.Username)
				}
			}
		}
	}
}
