package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
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
	now := time.Now()
	r := &domain.Request{ID: "r1", Workspace: "ws", Author: "alice", Status: domain.StatusSubmitted,
		CreatedAt: now, LastSubmittedAt: &now, ReviewTurn: 1}
	err := s.Tx(ctx, func(tx store.Tx) error {
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
	})
	if err != nil {
		b.Fatalf("write request: %v", err)
	}
	return r.ID
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
