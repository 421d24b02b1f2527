package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// lifecycle runs one complete request: create with three files, write
// context, submit, two reviews, release.
func lifecycle(e *testkit.Env, n int) error {
	var files []service.AddFile
	for _, p := range []string{"out/a.csv", "out/b.csv", "out/c.png"} {
		e.Files.Write(testkit.Workspace, p, fmt.Sprintf("x,y\n%d,%s\n", n, p))
		files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	r, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "tables", files)
	if err != nil {
		return err
	}
	if _, _, err := e.Svc.EditGroup(e.Ctx, e.Author, r.ID, "tables", "Counts by region", "Rounded to 5"); err != nil {
		return err
	}
	if _, err := e.Svc.Submit(e.Ctx, e.Author, r.ID); err != nil {
		return err
	}
	for _, c := range []domain.User{e.C1, e.C2} {
		for _, f := range files {
			if _, err := e.Svc.Vote(e.Ctx, c, r.ID, f.Path, domain.VoteApproved); err != nil {
				return err
			}
		}
		if _, err := e.Svc.SubmitReview(e.Ctx, c, r.ID); err != nil {
			return err
		}
	}
	r, err = e.Svc.Release(e.Ctx, e.C1, r.ID)
	if err != nil {
		return err
	}
	if r.Status != domain.StatusApproved {
		return fmt.Errorf("lifecycle ended %s", r.Status)
	}
	return nil
}

// BenchmarkLifecycle measures complete request lifecycles on SQLite and
// reports them per second.
func BenchmarkLifecycle(b *testing.B) {
	e := testkit.NewEnv(b)
	e.Svc = service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Logger: nil})
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := lifecycle(e, n); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "lifecycles/s")
}

// BenchmarkBareWriteTx is the baseline: one SQLite write transaction that
// appends one audit event, the least any change costs.
func BenchmarkBareWriteTx(b *testing.B) {
	e := testkit.NewEnv(b)
	ev := domain.Event{Type: domain.EventWorkspaceFileView, User: "u", Workspace: "ws", Extra: map[string]string{}}
	for b.Loop() {
		err := e.Store.Tx(e.Ctx, func(tx store.Tx) error {
			ev.CreatedAt = time.Now()
			_, err := tx.AppendEvent(e.Ctx, ev)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
