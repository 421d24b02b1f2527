package service_test

import (
	"context"
	"fmt"
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
