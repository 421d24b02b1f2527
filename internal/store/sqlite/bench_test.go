package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// benchStore opens a Store on a new database in a temporary folder.
func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "db.sqlite3"))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchRequest writes a request as the service has it mid-review: one
// group, three files, two reviewers' votes on each, one submitted review
// and a comment. It returns the request's id.
func benchRequest(b *testing.B, s *Store) string {
	b.Helper()
	ctx := context.Background()
	err := s.Tx(ctx, func(tx store.Tx) error { return writeRequest(ctx, tx, "r1", "ws", time.Now()) })
	if err != nil {
		b.Fatalf("write request: %v", err)
	}
	return "r1"
}

// writeRequest writes the request benchRequest describes, with id, in
// workspace.
func writeRequest(ctx context.Context, tx store.Tx, id, workspace string, now time.Time) error {
	r := &domain.Request{ID: id, Workspace: workspace, Author: "alice", Status: domain.StatusSubmitted,
		CreatedAt: now, LastSubmittedAt: &now, ReviewTurn: 1}
	if err := tx.CreateRequest(ctx, r); err != nil {
		return err
	}
	if err := tx.CreateGroup(ctx, r.ID, domain.Group{Name: "tables", CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	for i := range 3 {
		path := fmt.Sprintf("out/%d.csv", i)
		f := domain.RequestFile{Relpath: path, Group: "tables", FileID: fmt.Sprint(i), FileType: domain.FileOutput}
		if err := tx.InsertFile(ctx, r.ID, f); err != nil {
			return err
		}
		for _, reviewer := range []string{"c1", "c2"} {
			rv := domain.Review{Reviewer: reviewer, Vote: domain.VoteApproved, CreatedAt: now, UpdatedAt: now, ReviewTurn: 1}
			if err := tx.PutReview(ctx, r.ID, path, rv); err != nil {
				return err
			}
		}
	}
	if err := tx.AddSubmittedReview(ctx, r.ID, "c1", 1, now); err != nil {
		return err
	}
	_, err := tx.InsertComment(ctx, r.ID, domain.Comment{Group: "tables", Text: "ok", Author: "c1",
		Visibility: domain.VisibilityPublic, ReviewTurn: 1, CreatedAt: now})
	return err
}

// BenchmarkGetRequestLargeDB loads random requests of a database larger
// than a connection's page cache (5,000 requests as benchRequest writes
// them, about 10 MB), 8 at a time as a busy node does, with each
// connection's page cache bounded at pageCacheKiB and, the baseline in
// the same run, at 8 MiB (the bound before it), taking turns which goes
// first: the time per load of each and their ratio.
func BenchmarkGetRequestLargeDB(b *testing.B) {
	const (
		requests    = 5_000
		concurrent  = 8
		perRound    = 50 // loads per goroutine per store per iteration
		baselineKiB = 8192
	)
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "db.sqlite3")
	stores := make([]*Store, 2)
	for i, kib := range []int{baselineKiB, pageCacheKiB} {
		s, err := open(ctx, path, kib)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	now := time.Now()
	for i := 0; i < requests; i += 1000 {
		err := stores[0].Tx(ctx, func(tx store.Tx) error {
			for j := i; j < i+1000; j++ {
				if err := writeRequest(ctx, tx, fmt.Sprintf("r%05d", j), fmt.Sprintf("ws%05d", j), now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("write requests: %v", err)
		}
	}
	var took [2]time.Duration
	round := 0
	for b.Loop() {
		for k := range stores {
			i := (k + round) % len(stores)
			s := stores[i]
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, concurrent)
			for g := range concurrent {
				rnd := rand.New(rand.NewPCG(uint64(round), uint64(g)))
				wg.Go(func() {
					for range perRound {
						if _, err := s.GetRequest(ctx, fmt.Sprintf("r%05d", rnd.IntN(requests))); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			took[i] += time.Since(start)
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
		}
		round++
	}
	loads := float64(round * concurrent * perRound)
	b.ReportMetric(float64(took[0].Nanoseconds())/loads, "ns/load-8MiB")
	b.ReportMetric(float64(took[1].Nanoseconds())/loads, fmt.Sprintf("ns/load-%dMiB", pageCacheKiB>>10))
	b.ReportMetric(float64(took[1])/float64(took[0]), "ratio")
	b.ReportMetric(0, "ns/op") // an iteration loads on both stores: its time means nothing alone
}

// BenchmarkGetRequest loads a whole request, as the service does twice
// per action.
func BenchmarkGetRequest(b *testing.B) {
	s := benchStore(b)
	id := benchRequest(b, s)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.GetRequest(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendEvent is the least write: a transaction that appends one
// audit event.
func BenchmarkAppendEvent(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	ev := domain.Event{Type: domain.EventWorkspaceFileView, User: "u", Workspace: "ws"}
	for b.Loop() {
		err := s.Tx(ctx, func(tx store.Tx) error {
			_, err := tx.AppendEvent(ctx, ev)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVote is a typical action's write: guard the request, change a
// vote, append an event.
func BenchmarkVote(b *testing.B) {
	s := benchStore(b)
	id := benchRequest(b, s)
	ctx := context.Background()
	version := int64(1)
	votes := []domain.Vote{domain.VoteApproved, domain.VoteChangesRequested}
	for i := 0; b.Loop(); i++ {
		err := s.Tx(ctx, func(tx store.Tx) error {
			if err := tx.GuardRequest(ctx, id, version); err != nil {
				return err
			}
			now := time.Now()
			rv := domain.Review{Reviewer: "c1", Vote: votes[i%2], CreatedAt: now, UpdatedAt: now, ReviewTurn: 1}
			if err := tx.PutReview(ctx, id, "out/0.csv", rv); err != nil {
				return err
			}
			_, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestFileApprove, User: "c1",
				Workspace: "ws", Request: id, Path: "out/0.csv"})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		version++
	}
}

// BenchmarkReleasedFileIDs reads the released files of a workspace with
// 300 released requests of three files each.
func BenchmarkReleasedFileIDs(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	now := time.Now()
	err := s.Tx(ctx, func(tx store.Tx) error {
		for i := range 300 {
			r := &domain.Request{ID: fmt.Sprint("r", i), Workspace: "ws", Author: "alice",
				Status: domain.StatusReleased, CreatedAt: now}
			if err := tx.CreateRequest(ctx, r); err != nil {
				return err
			}
			if err := tx.CreateGroup(ctx, r.ID, domain.Group{Name: "g", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			for j := range 3 {
				f := domain.RequestFile{Relpath: fmt.Sprint("out/", j), Group: "g", FileID: fmt.Sprint(i, "-", j),
					FileType: domain.FileOutput, ReleasedAt: &now, ReleasedBy: "c1"}
				if err := tx.InsertFile(ctx, r.ID, f); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ids, err := s.ReleasedFileIDs(ctx, "ws")
		if err != nil {
			b.Fatal(err)
		}
		if len(ids) != 900 {
			b.Fatalf("%d released files, want 900", len(ids))
		}
	}
}
