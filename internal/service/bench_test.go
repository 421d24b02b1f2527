package service_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
	"github.com/airlock-go/airlock/internal/testkit"
)

// lifecycle runs one complete request of author in workspace: create
// with three files, write context, submit, two reviews, release.
func lifecycle(e *testkit.Env, author domain.User, workspace string, n int) error {
	var files []service.AddFile
	for _, p := range []string{"out/a.csv", "out/b.csv", "out/c.png"} {
		e.Files.Write(workspace, p, fmt.Sprintf("x,y\n%d,%s\n", n, p))
		files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	r, err := e.Svc.AddFiles(e.Ctx, author, workspace, "tables", files)
	if err != nil {
		return err
	}
	if _, _, err := e.Svc.EditGroup(e.Ctx, author, r.ID, "tables", "Counts by region", "Rounded to 5"); err != nil {
		return err
	}
	if _, err := e.Svc.Submit(e.Ctx, author, r.ID); err != nil {
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

// benchStore is one store the lifecycle benchmarks run on, with the time
// its lifecycles took.
type benchStore struct {
	name    string
	env     *testkit.Env
	authors []domain.User // each with a workspace of their own: ws0, ws1, ...
	took    time.Duration
}

// benchStores builds an Env on a fresh SQLite database and, when
// AIRLOCK_TEST_DATABASE_URL names a PostgreSQL server, one on a fresh
// PostgreSQL database (without it the benchmark runs on SQLite alone),
// each with a service on the real clock and authors more researchers
// who each work in a workspace of their own.
func benchStores(b *testing.B, authors int) []*benchStore {
	b.Helper()
	stores := []*benchStore{{name: "sqlite", env: testkit.NewSQLiteEnv(b)}}
	if os.Getenv(pgtest.EnvURL) != "" {
		st, err := postgres.Open(context.Background(), pgtest.NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		stores = append(stores, &benchStore{name: "postgres", env: testkit.NewEnvOn(b, st)})
	} else {
		b.Logf("%s is not set: SQLite only", pgtest.EnvURL)
	}
	for _, s := range stores {
		e := s.env
		e.Svc = service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: e.Notes, Logger: nil})
		for i := range authors {
			u := testkit.NewUser(fmt.Sprintf("author%d", i), testkit.Researcher, fmt.Sprintf("ws%d", i))
			if _, err := e.Svc.PutUser(e.Ctx, testkit.UserJSON(u)); err != nil {
				b.Fatal(err)
			}
			s.authors = append(s.authors, u)
		}
	}
	return stores
}

// runLifecycles has every author of s run one lifecycle, all at once,
// and adds the time it took to s.took.
func (s *benchStore) runLifecycles(b *testing.B, n int) {
	errs := make([]error, len(s.authors))
	start := time.Now()
	var wg sync.WaitGroup
	for i, a := range s.authors {
		wg.Go(func() { errs[i] = lifecycle(s.env, a, fmt.Sprintf("ws%d", i), n) })
	}
	wg.Wait()
	s.took += time.Since(start)
	for _, err := range errs {
		if err != nil {
			b.Fatalf("%s: %v", s.name, err)
		}
	}
}

// benchLifecycles runs, in every iteration, `at once` lifecycles on each
// store, the stores taking turns to go first so that a disturbance of
// the machine hits both alike. It reports each store's lifecycles per
// second and, with PostgreSQL, the ratio postgres/sqlite of the same run.
func benchLifecycles(b *testing.B, atOnce int) {
	stores := benchStores(b, atOnce)
	n := 0
	for b.Loop() {
		for i := range stores {
			stores[(n+i)%len(stores)].runLifecycles(b, n)
		}
		n++
	}
	rate := func(s *benchStore) float64 { return float64(n*atOnce) / s.took.Seconds() }
	for _, s := range stores {
		b.ReportMetric(rate(s), s.name+"-lifecycles/s")
	}
	if len(stores) == 2 {
		b.ReportMetric(rate(stores[1])/rate(stores[0]), "postgres/sqlite")
	}
	b.ReportMetric(0, "ns/op") // an iteration runs both stores: its time means nothing alone
}

// BenchmarkLifecycle measures complete request lifecycles, one after the
// other, on SQLite and PostgreSQL (when AIRLOCK_TEST_DATABASE_URL is
// set), and their ratio.
func BenchmarkLifecycle(b *testing.B) { benchLifecycles(b, 1) }

// BenchmarkLifecycleConcurrent measures lifecycles run 8 at a time, each
// by its own author in their own workspace (the same two checkers review
// them all), as a busy node or several nodes serve them, on SQLite and
// PostgreSQL (when AIRLOCK_TEST_DATABASE_URL is set), and their ratio.
func BenchmarkLifecycleConcurrent(b *testing.B) { benchLifecycles(b, 8) }

// BenchmarkBareWriteTx is the baseline: one SQLite write transaction that
// appends one audit event, the least any change costs.
func BenchmarkBareWriteTx(b *testing.B) {
	e := testkit.NewSQLiteEnv(b)
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
