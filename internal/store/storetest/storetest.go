// Package storetest is the conformance suite every store.Store
// implementation must pass. An implementation's tests call Run with a
// function that opens a fresh, empty, migrated store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// Run runs the conformance suite. open must return a new, empty store for
// each call and arrange (with t.Cleanup) for it to be closed.
//
// Beyond the interface's documentation, the suite pins down these details
// so that the service layer can rely on them: times round-trip exactly when
// truncated to microseconds and come back in UTC; GetRequest returns
// non-nil SubmittedReviews and Reviews maps, and nil slices where there is
// nothing (Organisations, TurnReviewers, Groups, Files, Comments); events
// come back with a non-nil Extra and "" for an absent Request or Path.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RequestRoundTrip", testRequestRoundTrip},
		{"RequestHeaderUpdates", testRequestHeaderUpdates},
		{"GetRequestNotFound", testGetRequestNotFound},
		{"OneActiveRequest", testOneActiveRequest},
		{"GuardRequest", testGuardRequest},
		{"TxRollback", testTxRollback},
		{"Groups", testGroups},
		{"Files", testFiles},
		{"FileMarks", testFileMarks},
		{"Reviews", testReviews},
		{"RequestPart", testRequestPart},
		{"SubmittedReviews", testSubmittedReviews},
		{"Comments", testComments},
		{"AuditChain", testAuditChain},
		{"AuditText", testAuditText},
		{"EventsFilter", testEventsFilter},
		{"HideTurnEvents", testHideTurnEvents},
		{"ReleasedFileIDs", testReleasedFileIDs},
		{"UploadClaims", testUploadClaims},
		{"UploadLeaseRenewal", testUploadLeaseRenewal},
		{"UploadLeaseEnd", testUploadLeaseEnd},
		{"RequestStamp", testRequestStamp},
		{"ChecksOverride", testChecksOverride},
		{"ReleasedFiles", testReleasedFiles},
		{"FileVersions", testFileVersions},
		{"ReviewedVersion", testReviewedVersion},
		{"ListRequests", testListRequests},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Sessions", testSessions},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// base is the suite's clock: a time with microseconds, in UTC.
var base = time.Date(2024, 3, 1, 9, 30, 15, 123456000, time.UTC)

// at returns base plus n minutes and n microseconds.
func at(n int) time.Time {
	return base.Add(time.Duration(n)*time.Minute + time.Duration(n)*time.Microsecond)
}

func ptr[T any](v T) *T { return &v }

func mustTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Tx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Tx: %v", err)
	}
}

// txErr runs fn in a transaction and returns its error.
func txErr(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	return s.Tx(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func newRequest(id, workspace, author string, n int) *domain.Request {
	return &domain.Request{
		ID:        id,
		Workspace: workspace,
		Project:   "project-" + workspace,
		Author:    author,
		CreatedAt: at(n),
		Status:    domain.StatusPending,
	}
}

// create inserts a request with a "default" group.
func create(t *testing.T, s store.Store, r *domain.Request) {
	t.Helper()
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		return tx.CreateGroup(ctx, r.ID, domain.Group{Name: domain.DefaultGroup, CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt})
	})
}

// guarded runs fn in a transaction after claiming the request at its
// current version.
func guarded(t *testing.T, s store.Store, id string, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	r := get(t, s, id)
	return txErr(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.GuardRequest(ctx, id, r.Version); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

func mustGuarded(t *testing.T, s store.Store, id string, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := guarded(t, s, id, fn); err != nil {
		t.Fatalf("Tx on %s: %v", id, err)
	}
}

func get(t *testing.T, s store.Store, id string) *domain.Request {
	t.Helper()
	r, err := s.GetRequest(t.Context(), id)
	if err != nil {
		t.Fatalf("GetRequest(%s): %v", id, err)
	}
	return r
}

func file(relpath, group string) domain.RequestFile {
	return domain.RequestFile{
		Relpath:   relpath,
		Group:     group,
		FileID:    fmt.Sprintf("%064x", len(relpath)*7919+len(group)),
		FileType:  domain.FileOutput,
		Timestamp: 1709285415.123456,
		Size:      1234,
		JobID:     "job-1",
		Commit:    "abc123",
		Repo:      "https://github.com/example/repo",
		Reviews:   map[string]domain.Review{},
		Checks:    []checks.Finding{},
	}
}

func testGetRequestNotFound(t *testing.T, s store.Store) {
	_, err := s.GetRequest(t.Context(), "nope")
	wantErr(t, "GetRequest of a missing request", err, store.ErrNotFound)
}

func testRequestRoundTrip(t *testing.T, s store.Store) {
	r := &domain.Request{
		ID:            "01HQZXAAAAAAAAAAAAAAAAAAAA",
		Workspace:     "ws1",
		Project:       "Project One",
		Organisations: []string{"org-a", "org b"},
		Author:        "alice",
		CreatedAt:     at(0),
		Status:        domain.StatusPending,
	}
	const turn = 2
	groups := []domain.Group{
		{Name: "alpha", Context: "ctx a", Controls: "ctl a", CreatedAt: at(1), UpdatedAt: at(2)},
		{Name: "beta", CreatedAt: at(3), UpdatedAt: at(3)},
	}
	full := domain.RequestFile{
		Relpath: "output/a.csv", Group: "alpha", FileID: "aa11", FileType: domain.FileOutput,
		Timestamp: 1709285415.987654, Size: 1 << 40, JobID: "job-a", Commit: "c0ffee", Repo: "https://example.com/r",
		RowCount: ptr(0), ColCount: ptr(12),
		ReleasedAt: ptr(at(10)), ReleasedBy: "carol", Uploaded: true, UploadedAt: ptr(at(11)),
		UploadAttempts: 3, UploadAttemptedAt: ptr(at(11)), UploadNextAt: ptr(at(13)), UploadError: "job-server answered 503 ✓",
		Checks: []checks.Finding{
			{Rule: checks.RuleSmallCount, Severity: checks.SeverityBlocking, Message: "2 counts <= 7 in 'n' ✓ \"quoted\"", Cells: [][2]int{{0, 1}, {4, 1}}},
			{Rule: checks.RuleTypeMismatch, Severity: checks.SeverityInfo, Message: "no cells", Cells: [][2]int{}},
		},
		Override: &domain.ChecksOverride{Justification: "Counts of hospitals, not people.", By: "alice", At: at(12)},
	}
	// Files without findings come back with an empty list, never nil.
	bare := domain.RequestFile{
		Relpath: "output/b.txt", Group: "beta", FileID: "bb22", FileType: domain.FileSupporting, Checks: []checks.Finding{},
	}
	withdrawn := domain.RequestFile{
		Relpath: "output/c.png", Group: "alpha", FileID: "cc33", FileType: domain.FileWithdrawn, RowCount: ptr(5), Checks: []checks.Finding{},
	}
	var commentIDs []int64
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		if r.Version != 1 {
			t.Errorf("CreateRequest set Version %d, want 1", r.Version)
		}
		for _, g := range groups {
			if err := tx.CreateGroup(ctx, r.ID, g); err != nil {
				return err
			}
		}
		for _, f := range []domain.RequestFile{withdrawn, bare, full} {
			if err := tx.InsertFile(ctx, r.ID, f); err != nil {
				return err
			}
		}
		for _, rv := range []domain.Review{
			{Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(20), UpdatedAt: at(21), ReviewTurn: 1},
			{Reviewer: "carol", Vote: domain.VoteChangesRequested, CreatedAt: at(22), UpdatedAt: at(22), ReviewTurn: 2},
		} {
			if err := tx.PutReview(ctx, r.ID, full.Relpath, rv); err != nil {
				return err
			}
		}
		if err := tx.PutReview(ctx, r.ID, withdrawn.Relpath, domain.Review{Reviewer: "bob", Vote: domain.VoteUndecided, CreatedAt: at(23), UpdatedAt: at(24)}); err != nil {
			return err
		}
		if err := tx.SetStatus(ctx, r.ID, domain.StatusPartiallyReviewed, ptr(at(30))); err != nil {
			return err
		}
		if err := tx.SetReviewTurn(ctx, r.ID, turn); err != nil {
			return err
		}
		for _, sr := range []struct {
			who  string
			turn int
			at   time.Time
		}{{"bob", 1, at(31)}, {"carol", 1, at(32)}, {"dave", 0, at(33)}, {"carol", 2, at(34)}, {"erin", 3, at(35)}} {
			if err := tx.AddSubmittedReview(ctx, r.ID, sr.who, sr.turn, sr.at); err != nil {
				return err
			}
		}
		for _, c := range []domain.Comment{
			{Group: "alpha", Text: "first", Author: "bob", Visibility: domain.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(40)},
			{Group: "beta", Text: "second **md**", Author: "alice", Visibility: domain.VisibilityPublic, ReviewTurn: 2, CreatedAt: at(41)},
		} {
			id, err := tx.InsertComment(ctx, r.ID, c)
			if err != nil {
				return err
			}
			commentIDs = append(commentIDs, id)
		}
		return nil
	})

	full.Reviews = map[string]domain.Review{
		"bob":   {Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(20), UpdatedAt: at(21), ReviewTurn: 1},
		"carol": {Reviewer: "carol", Vote: domain.VoteChangesRequested, CreatedAt: at(22), UpdatedAt: at(22), ReviewTurn: 2},
	}
	bare.Reviews = map[string]domain.Review{}
	withdrawn.Reviews = map[string]domain.Review{
		"bob": {Reviewer: "bob", Vote: domain.VoteUndecided, CreatedAt: at(23), UpdatedAt: at(24)},
	}
	want := &domain.Request{
		ID:               r.ID,
		Workspace:        "ws1",
		Project:          "Project One",
		Organisations:    []string{"org-a", "org b"},
		Author:           "alice",
		CreatedAt:        at(0),
		LastSubmittedAt:  ptr(at(30)),
		Status:           domain.StatusPartiallyReviewed,
		ReviewTurn:       turn,
		SubmittedReviews: map[string]time.Time{"carol": at(34)},
		TurnReviewers:    []string{"bob", "carol"},
		Version:          1,
		Groups:           groups,
		Files:            []domain.RequestFile{full, bare, withdrawn},
		Comments: []domain.Comment{
			{ID: commentIDs[1], Group: "beta", Text: "second **md**", Author: "alice", Visibility: domain.VisibilityPublic, ReviewTurn: 2, CreatedAt: at(41)},
			{ID: commentIDs[0], Group: "alpha", Text: "first", Author: "bob", Visibility: domain.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(40)},
		},
	}
	got := get(t, s, r.ID)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetRequest (-want +got):\n%s", diff)
	}
	if got.CreatedAt.Location() != time.UTC || got.LastSubmittedAt.Location() != time.UTC ||
		got.Files[0].ReleasedAt.Location() != time.UTC || got.Comments[0].CreatedAt.Location() != time.UTC {
		t.Errorf("times not read back in UTC: %v %v", got.CreatedAt.Location(), got.LastSubmittedAt.Location())
	}

	// A bare request: nil where there is nothing, non-nil maps.
	bareReq := newRequest("01HQZXBBBBBBBBBBBBBBBBBBBB", "ws2", "alice", 50)
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRequest(ctx, bareReq) })
	got = get(t, s, bareReq.ID)
	wantBare := &domain.Request{
		ID: bareReq.ID, Workspace: "ws2", Project: "project-ws2", Author: "alice", CreatedAt: at(50),
		Status: domain.StatusPending, SubmittedReviews: map[string]time.Time{}, Version: 1,
	}
	if diff := cmp.Diff(wantBare, got); diff != "" {
		t.Errorf("GetRequest of a bare request (-want +got):\n%s", diff)
	}
	if got.SubmittedReviews == nil {
		t.Errorf("SubmittedReviews is nil, want an empty map")
	}

	// Times that are not UTC are stored as the same instant.
	paris := time.FixedZone("CET", 3600)
	zoned := newRequest("01HQZXCCCCCCCCCCCCCCCCCCCC", "ws3", "alice", 0)
	zoned.CreatedAt = at(60).In(paris)
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateRequest(ctx, zoned) })
	if got := get(t, s, zoned.ID).CreatedAt; !got.Equal(at(60)) || got.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got, at(60))
	}
}

func testRequestHeaderUpdates(t *testing.T, s store.Store) {
	r := newRequest("r1", "ws", "alice", 0)
	create(t, s, r)
	mustGuarded(t, s, r.ID, func(ctx context.Context, tx store.Tx) error {
		return tx.SetStatus(ctx, r.ID, domain.StatusSubmitted, ptr(at(5)))
	})
	mustGuarded(t, s, r.ID, func(ctx context.Context, tx store.Tx) error {
		// nil keeps the last submission time
		return tx.SetStatus(ctx, r.ID, domain.StatusReturned, nil)
	})
	got := get(t, s, r.ID)
	if got.Status != domain.StatusReturned || got.LastSubmittedAt == nil || !got.LastSubmittedAt.Equal(at(5)) {
		t.Errorf("after SetStatus: status %s, last submitted %v; want RETURNED, %v", got.Status, got.LastSubmittedAt, at(5))
	}
	if got.Version != 3 {
		t.Errorf("Version = %d after two guarded writes, want 3", got.Version)
	}
	mustGuarded(t, s, r.ID, func(ctx context.Context, tx store.Tx) error {
		return tx.SetReviewTurn(ctx, r.ID, 7)
	})
	if got := get(t, s, r.ID); got.ReviewTurn != 7 {
		t.Errorf("ReviewTurn = %d, want 7", got.ReviewTurn)
	}
	err := txErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetStatus(ctx, "missing", domain.StatusSubmitted, nil)
	})
	wantErr(t, "SetStatus of a missing request", err, store.ErrNotFound)
	err = txErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetReviewTurn(ctx, "missing", 1)
	})
	wantErr(t, "SetReviewTurn of a missing request", err, store.ErrNotFound)
}

func testOneActiveRequest(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := newRequest("r1", "ws", "alice", 0)
	create(t, s, first)

	if id, err := s.ActiveRequestID(ctx, "ws", "alice"); err != nil || id != "r1" {
		t.Errorf("ActiveRequestID = %q, %v; want r1", id, err)
	}
	_, err := s.ActiveRequestID(ctx, "ws", "bob")
	wantErr(t, "ActiveRequestID without a request", err, store.ErrNotFound)
	_, err = s.ActiveRequestID(ctx, "other", "alice")
	wantErr(t, "ActiveRequestID of another workspace", err, store.ErrNotFound)

	for _, st := range domain.ActiveStatuses() {
		err := txErr(t, s, func(ctx context.Context, tx store.Tx) error {
			r := newRequest("r2-"+string(st), "ws", "alice", 1)
			r.Status = st
			return tx.CreateRequest(ctx, r)
		})
		wantErr(t, "second active request in "+string(st), err, store.ErrConflict)
	}

	// Other authors and other workspaces are free.
	create(t, s, newRequest("r-bob", "ws", "bob", 2))
	create(t, s, newRequest("r-alice-2", "ws2", "alice", 3))

	// Final requests do not count.
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetStatus(ctx, "r1", domain.StatusWithdrawn, nil)
	})
	_, err = s.ActiveRequestID(ctx, "ws", "alice")
	wantErr(t, "ActiveRequestID after withdrawal", err, store.ErrNotFound)
	create(t, s, newRequest("r3", "ws", "alice", 4))
	if id, err := s.ActiveRequestID(ctx, "ws", "alice"); err != nil || id != "r3" {
		t.Errorf("ActiveRequestID = %q, %v; want r3", id, err)
	}
	for i, st := range []domain.Status{domain.StatusApproved, domain.StatusRejected, domain.StatusReleased, domain.StatusWithdrawn} {
		r := newRequest("final-"+strconv.Itoa(i), "ws", "alice", 10+i)
		r.Status = st
		create(t, s, r)
	}
	// Reactivating a withdrawn request while another is active conflicts.
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetStatus(ctx, "r1", domain.StatusPending, nil)
	})
	wantErr(t, "reactivating a second request", err, store.ErrConflict)

	// The same id twice conflicts.
	err = txErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateRequest(ctx, newRequest("r-bob", "ws9", "zed", 0))
	})
	wantErr(t, "duplicate request id", err, store.ErrConflict)
}

func testGuardRequest(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GuardRequest(ctx, "r1", 1) })
	if v := get(t, s, "r1").Version; v != 2 {
		t.Errorf("Version = %d after a guard, want 2", v)
	}
	err := txErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GuardRequest(ctx, "r1", 1) })
	wantErr(t, "guard at a stale version", err, store.ErrConflict)
	err = txErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GuardRequest(ctx, "r1", 3) })
	wantErr(t, "guard at a future version", err, store.ErrConflict)
	err = txErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GuardRequest(ctx, "missing", 1) })
	wantErr(t, "guard of a missing request", err, store.ErrNotFound)
	// Two guards in one transaction: the second must name the new version.
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.GuardRequest(ctx, "r1", 2); err != nil {
			return err
		}
		return tx.GuardRequest(ctx, "r1", 3)
	})
	if v := get(t, s, "r1").Version; v != 4 {
		t.Errorf("Version = %d, want 4", v)
	}
}

func testTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newRequest("r1", "ws", "alice", 0))
	before := get(t, s, "r1")

	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.GuardRequest(ctx, "r1", before.Version); err != nil {
			return err
		}
		if err := tx.SetStatus(ctx, "r1", domain.StatusSubmitted, ptr(at(1))); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, "r1", domain.Group{Name: "g2", CreatedAt: at(1), UpdatedAt: at(1)}); err != nil {
			return err
		}
		if err := tx.InsertFile(ctx, "r1", file("a.csv", "g2")); err != nil {
			return err
		}
		if _, err := tx.InsertComment(ctx, "r1", domain.Comment{Group: "g2", Text: "x", Author: "alice", Visibility: domain.VisibilityPublic, CreatedAt: at(1)}); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(ctx, domain.Event{Type: domain.EventRequestSubmit, User: "alice", Workspace: "ws", Request: "r1", CreatedAt: at(1)}); err != nil {
			return err
		}
		if err := tx.CreateRequest(ctx, newRequest("r2", "ws", "bob", 1)); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	if diff := cmp.Diff(before, get(t, s, "r1")); diff != "" {
		t.Errorf("request changed by a failed Tx (-before +after):\n%s", diff)
	}
	if _, err := s.GetRequest(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("request created by a failed Tx: %v", err)
	}
	if id, hash, err := s.AuditHead(ctx); err != nil || id != 0 || hash != "" {
		t.Errorf("AuditHead = %d, %q, %v after a failed Tx; want 0, \"\"", id, hash, err)
	}
	if evs, err := s.Events(ctx, store.EventFilter{}); err != nil || len(evs) != 0 {
		t.Errorf("Events = %v, %v after a failed Tx; want none", evs, err)
	}

	// A store error inside fn rolls back too, and stays recognisable.
	err = s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.SetStatus(ctx, "r1", domain.StatusSubmitted, nil); err != nil {
			return err
		}
		return tx.GuardRequest(ctx, "r1", before.Version+5)
	})
	wantErr(t, "stale guard after a write", err, store.ErrConflict)
	if got := get(t, s, "r1").Status; got != domain.StatusPending {
		t.Errorf("Status = %s after a failed Tx, want PENDING", got)
	}

	// A panic in fn rolls back and propagates.
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Tx swallowed a panic")
			}
		}()
		_ = s.Tx(ctx, func(tx store.Tx) error {
			if err := tx.SetStatus(ctx, "r1", domain.StatusSubmitted, nil); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if got := get(t, s, "r1").Status; got != domain.StatusPending {
		t.Errorf("Status = %s after a panicking Tx, want PENDING", got)
	}
	// And the store is still usable.
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetStatus(ctx, "r1", domain.StatusSubmitted, nil)
	})
}

func testGroups(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.CreateGroup(ctx, "r1", domain.Group{Name: "Tables", Context: "c", Controls: "k", CreatedAt: at(1), UpdatedAt: at(1)})
	})
	err := guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.CreateGroup(ctx, "r1", domain.Group{Name: "Tables", CreatedAt: at(2), UpdatedAt: at(2)})
	})
	wantErr(t, "duplicate group", err, store.ErrConflict)
	err = txErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateGroup(ctx, "missing", domain.Group{Name: "x", CreatedAt: at(2), UpdatedAt: at(2)})
	})
	if err == nil {
		t.Errorf("CreateGroup on a missing request succeeded")
	}
	// The same name on another request is fine.
	create(t, s, newRequest("r2", "ws", "bob", 1))
	mustGuarded(t, s, "r2", func(ctx context.Context, tx store.Tx) error {
		return tx.CreateGroup(ctx, "r2", domain.Group{Name: "Tables", CreatedAt: at(2), UpdatedAt: at(2)})
	})
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateGroup(ctx, "r1", "Tables", "new context", "new controls", at(3))
	})
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.UpdateGroup(ctx, "r1", "Missing", "c", "k", at(3))
	})
	wantErr(t, "UpdateGroup of a missing group", err, store.ErrNotFound)

	want := []domain.Group{
		{Name: "Tables", Context: "new context", Controls: "new controls", CreatedAt: at(1), UpdatedAt: at(3)},
		{Name: "default", CreatedAt: at(0), UpdatedAt: at(0)},
	}
	if diff := cmp.Diff(want, get(t, s, "r1").Groups); diff != "" {
		t.Errorf("Groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]domain.Group{{Name: "Tables", CreatedAt: at(2), UpdatedAt: at(2)}, {Name: "default", CreatedAt: at(1), UpdatedAt: at(1)}}, get(t, s, "r2").Groups); diff != "" {
		t.Errorf("Groups of r2 (-want +got):\n%s", diff)
	}
}

func relpaths(r *domain.Request) []string {
	var out []string
	for _, f := range r.Files {
		out = append(out, f.Relpath)
	}
	return out
}

func testFiles(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	create(t, s, newRequest("r2", "ws", "bob", 1))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateGroup(ctx, "r1", domain.Group{Name: "other", CreatedAt: at(1), UpdatedAt: at(1)}); err != nil {
			return err
		}
		for _, f := range []domain.RequestFile{file("z.csv", "default"), file("a/b.csv", "default"), file("m.txt", "other")} {
			if err := tx.InsertFile(ctx, "r1", f); err != nil {
				return err
			}
		}
		return nil
	})
	if diff := cmp.Diff([]string{"a/b.csv", "m.txt", "z.csv"}, relpaths(get(t, s, "r1"))); diff != "" {
		t.Errorf("files not in path order (-want +got):\n%s", diff)
	}

	err := guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r1", file("z.csv", "default"))
	})
	wantErr(t, "duplicate relpath", err, store.ErrConflict)
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r1", file("z.csv", "other"))
	})
	wantErr(t, "duplicate relpath in another group", err, store.ErrConflict)
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r1", file("new.csv", "nogroup"))
	})
	wantErr(t, "file into a missing group", err, store.ErrNotFound)
	// The same path on another request is fine.
	mustGuarded(t, s, "r2", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r2", file("z.csv", "default"))
	})

	// Move and retype.
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileProperties(ctx, "r1", "z.csv", "other", domain.FileSupporting)
	})
	got := get(t, s, "r1")
	if f, _ := got.File("z.csv"); f.Group != "other" || f.FileType != domain.FileSupporting {
		t.Errorf("after SetFileProperties: group %q type %s, want other SUPPORTING", f.Group, f.FileType)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileProperties(ctx, "r1", "z.csv", "other", domain.FileWithdrawn)
	})
	if f, _ := get(t, s, "r1").File("z.csv"); f.Group != "other" || f.FileType != domain.FileWithdrawn {
		t.Errorf("after SetFileProperties: group %q type %s, want other WITHDRAWN", f.Group, f.FileType)
	}
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileProperties(ctx, "r1", "z.csv", "nogroup", domain.FileOutput)
	})
	wantErr(t, "SetFileProperties to a missing group", err, store.ErrNotFound)
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileProperties(ctx, "r1", "nofile.csv", "other", domain.FileOutput)
	})
	wantErr(t, "SetFileProperties of a missing file", err, store.ErrNotFound)
	if f, _ := get(t, s, "r2").File("z.csv"); f.Group != "default" || f.FileType != domain.FileOutput {
		t.Errorf("r2's file changed by r1's update: %+v", f)
	}

	// Delete.
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteFile(ctx, "r1", "a/b.csv")
	})
	if diff := cmp.Diff([]string{"m.txt", "z.csv"}, relpaths(get(t, s, "r1"))); diff != "" {
		t.Errorf("after DeleteFile (-want +got):\n%s", diff)
	}
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteFile(ctx, "r1", "a/b.csv")
	})
	wantErr(t, "DeleteFile of a missing file", err, store.ErrNotFound)
	// A deleted path may be added again (a file replaced by a newer version).
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		f := file("a/b.csv", "default")
		f.FileID = "newer"
		return tx.InsertFile(ctx, "r1", f)
	})
	if f, ok := get(t, s, "r1").File("a/b.csv"); !ok || f.FileID != "newer" {
		t.Errorf("re-added file: %+v, %v", f, ok)
	}
}

func testFileMarks(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r1", file("a.csv", "default"))
	})
	// Nothing can be attempted or uploaded before the file is released.
	wantErr(t, "upload attempt before release", guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(1))
	}), store.ErrNotFound)
	wantErr(t, "upload before release", guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileUploaded(ctx, "r1", "a.csv", at(1))
	}), store.ErrNotFound)
	f, _ := get(t, s, "r1").File("a.csv")
	if f.ReleasedAt != nil || f.ReleasedBy != "" || f.Uploaded || f.UploadedAt != nil || f.UploadAttempts != 0 {
		t.Errorf("file marked before release: %+v", f)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileReleased(ctx, "r1", "a.csv", at(3), "checker1")
	})
	// Releasing again keeps the first release.
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileReleased(ctx, "r1", "a.csv", at(4), "checker2")
	})
	f, _ = get(t, s, "r1").File("a.csv")
	if f.ReleasedAt == nil || !f.ReleasedAt.Equal(at(3)) || f.ReleasedBy != "checker1" {
		t.Errorf("released %v by %q, want %v by checker1", f.ReleasedAt, f.ReleasedBy, at(3))
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(4)); err != nil {
			return err
		}
		return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(5))
	})
	f, _ = get(t, s, "r1").File("a.csv")
	if f.UploadAttempts != 2 || f.UploadAttemptedAt == nil || !f.UploadAttemptedAt.Equal(at(5)) {
		t.Errorf("after two attempts: %d attempts, last %v; want 2, %v", f.UploadAttempts, f.UploadAttemptedAt, at(5))
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileUploaded(ctx, "r1", "a.csv", at(6))
	})
	r, rf, err := s.GetRequestFile(t.Context(), "r1", "a.csv")
	if err != nil || r.ID != "r1" || !rf.Uploaded || rf.UploadedAt == nil || !rf.UploadedAt.Equal(at(6)) || rf.UploadAttempts != 2 || rf.Group != "default" {
		t.Errorf("GetRequestFile after upload: %+v %+v %v", r, rf, err)
	}
	if _, _, err := s.GetRequestFile(t.Context(), "r1", "no.csv"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRequestFile of a missing file: %v", err)
	}
	for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
		"SetFileUploaded twice": func(ctx context.Context, tx store.Tx) error { return tx.SetFileUploaded(ctx, "r1", "a.csv", at(7)) },
		"attempt after upload": func(ctx context.Context, tx store.Tx) error {
			return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(7))
		},
		"SetFileReleased of a missing file": func(ctx context.Context, tx store.Tx) error {
			return tx.SetFileReleased(ctx, "r1", "no.csv", at(6), "x")
		},
		"SetFileUploaded of a missing file": func(ctx context.Context, tx store.Tx) error { return tx.SetFileUploaded(ctx, "r1", "no.csv", at(6)) },
		"RecordUploadAttempt of a missing file": func(ctx context.Context, tx store.Tx) error {
			return tx.RecordUploadAttempt(ctx, "r1", "no.csv", at(6))
		},
	} {
		wantErr(t, name, guarded(t, s, "r1", fn), store.ErrNotFound)
	}
}

func testReviews(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertFile(ctx, "r1", file("a.csv", "default")); err != nil {
			return err
		}
		return tx.InsertFile(ctx, "r1", file("b.csv", "default"))
	})
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutReview(ctx, "r1", "a.csv", domain.Review{Reviewer: "bob", Vote: domain.VoteChangesRequested, CreatedAt: at(1), UpdatedAt: at(1), ReviewTurn: 1}); err != nil {
			return err
		}
		return tx.PutReview(ctx, "r1", "a.csv", domain.Review{Reviewer: "carol", Vote: domain.VoteApproved, CreatedAt: at(2), UpdatedAt: at(2), ReviewTurn: 1})
	})
	// Replacing a vote keeps its CreatedAt.
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.PutReview(ctx, "r1", "a.csv", domain.Review{Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(3), UpdatedAt: at(3), ReviewTurn: 2})
	})
	want := map[string]domain.Review{
		"bob":   {Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(1), UpdatedAt: at(3), ReviewTurn: 2},
		"carol": {Reviewer: "carol", Vote: domain.VoteApproved, CreatedAt: at(2), UpdatedAt: at(2), ReviewTurn: 1},
	}
	r := get(t, s, "r1")
	a, _ := r.File("a.csv")
	if diff := cmp.Diff(want, a.Reviews); diff != "" {
		t.Errorf("reviews (-want +got):\n%s", diff)
	}
	if b, _ := r.File("b.csv"); b.Reviews == nil || len(b.Reviews) != 0 {
		t.Errorf("reviews of an unreviewed file: %#v, want an empty map", b.Reviews)
	}

	err := guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.PutReview(ctx, "r1", "none.csv", domain.Review{Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(4), UpdatedAt: at(4)})
	})
	wantErr(t, "PutReview on a missing file", err, store.ErrNotFound)

	// A file with votes cannot be deleted; nothing of the Tx remains.
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteFile(ctx, "r1", "a.csv")
	})
	if err == nil {
		t.Errorf("DeleteFile of a file with votes succeeded")
	}
	if _, ok := get(t, s, "r1").File("a.csv"); !ok {
		t.Errorf("file with votes was deleted")
	}

	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteReview(ctx, "r1", "a.csv", "bob")
	})
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteReview(ctx, "r1", "a.csv", "bob")
	})
	wantErr(t, "DeleteReview of a missing vote", err, store.ErrNotFound)
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteReview(ctx, "r1", "none.csv", "bob")
	})
	wantErr(t, "DeleteReview on a missing file", err, store.ErrNotFound)
	a, _ = get(t, s, "r1").File("a.csv")
	if diff := cmp.Diff(map[string]domain.Review{"carol": want["carol"]}, a.Reviews); diff != "" {
		t.Errorf("reviews after delete (-want +got):\n%s", diff)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteReview(ctx, "r1", "a.csv", "carol"); err != nil {
			return err
		}
		return tx.DeleteFile(ctx, "r1", "a.csv")
	})
	if diff := cmp.Diff([]string{"b.csv"}, relpaths(get(t, s, "r1"))); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// testRequestPart: GetRequestPart reads what GetRequest does, but only
// the files named (with their votes) and the comments when asked.
func testRequestPart(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		for _, p := range []string{"a.csv", "b.csv", "c.csv"} {
			if err := tx.InsertFile(ctx, "r1", file(p, "default")); err != nil {
				return err
			}
		}
		for _, p := range []string{"a.csv", "b.csv"} {
			if err := tx.PutReview(ctx, "r1", p, domain.Review{Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(1), UpdatedAt: at(1), ReviewTurn: 1}); err != nil {
				return err
			}
		}
		_, err := tx.InsertComment(ctx, "r1", domain.Comment{Group: "default", Text: "hi", Author: "bob", Visibility: domain.VisibilityPublic, ReviewTurn: 1, CreatedAt: at(2)})
		return err
	})
	whole := get(t, s, "r1")
	for _, tt := range []struct {
		name string
		part store.RequestPart
		want []string // the files read
	}{
		{"one file", store.RequestPart{Paths: []string{"b.csv"}}, []string{"b.csv"}},
		{"two files and comments", store.RequestPart{Paths: []string{"c.csv", "a.csv"}, Comments: true}, []string{"a.csv", "c.csv"}},
		{"a missing file", store.RequestPart{Paths: []string{"none.csv", "a.csv"}}, []string{"a.csv"}},
		{"no file", store.RequestPart{}, nil},
	} {
		got, err := s.GetRequestPart(t.Context(), "r1", tt.part)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		want := *whole
		want.Files = nil
		for _, p := range tt.want {
			f, _ := whole.File(p)
			want.Files = append(want.Files, *f)
		}
		if !tt.part.Comments {
			want.Comments = nil
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, err := s.GetRequestPart(t.Context(), "none", store.RequestPart{Paths: []string{"a.csv"}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRequestPart of a missing request: %v", err)
	}
}

func testSubmittedReviews(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetReviewTurn(ctx, "r1", 1); err != nil {
			return err
		}
		if err := tx.AddSubmittedReview(ctx, "r1", "carol", 1, at(2)); err != nil {
			return err
		}
		return tx.AddSubmittedReview(ctx, "r1", "bob", 1, at(1))
	})
	err := guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.AddSubmittedReview(ctx, "r1", "bob", 1, at(3))
	})
	wantErr(t, "second review in a turn", err, store.ErrConflict)
	err = txErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AddSubmittedReview(ctx, "missing", "bob", 1, at(3))
	})
	if err == nil {
		t.Errorf("AddSubmittedReview on a missing request succeeded")
	}

	type view struct {
		Submitted map[string]time.Time
		Turn      []string
	}
	check := func(what string, want view) {
		t.Helper()
		r := get(t, s, "r1")
		if diff := cmp.Diff(want, view{r.SubmittedReviews, r.TurnReviewers}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
		list, err := s.ListRequests(t.Context(), store.RequestFilter{Workspace: "ws"})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListRequests = %v, %v", list, err)
		}
		if diff := cmp.Diff(want, view{list[0].SubmittedReviews, list[0].TurnReviewers}); diff != "" {
			t.Errorf("%s, ListRequests (-want +got):\n%s", what, diff)
		}
	}
	check("turn 1", view{map[string]time.Time{"bob": at(1), "carol": at(2)}, nil})

	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetReviewTurn(ctx, "r1", 2)
	})
	check("turn 2", view{map[string]time.Time{}, []string{"bob", "carol"}})

	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		// The same reviewer may submit again in a new turn.
		return tx.AddSubmittedReview(ctx, "r1", "carol", 2, at(5))
	})
	check("turn 2 with a review", view{map[string]time.Time{"carol": at(5)}, []string{"bob", "carol"}})

	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetReviewTurn(ctx, "r1", 3)
	})
	check("turn 3", view{map[string]time.Time{}, []string{"carol"}})

	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetReviewTurn(ctx, "r1", 4)
	})
	check("turn 4", view{map[string]time.Time{}, nil})
}

func testComments(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	create(t, s, newRequest("r2", "ws", "bob", 0))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.CreateGroup(ctx, "r1", domain.Group{Name: "g2", CreatedAt: at(0), UpdatedAt: at(0)})
	})
	comments := []domain.Comment{
		{Group: "default", Text: "one", Author: "bob", Visibility: domain.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(1)},
		{Group: "g2", Text: "two", Author: "carol", Visibility: domain.VisibilityPublic, ReviewTurn: 1, CreatedAt: at(3)},
		{Group: "default", Text: "three", Author: "alice", Visibility: domain.VisibilityPublic, ReviewTurn: 2, CreatedAt: at(2)},
		// Same time as "two": the later insert comes first.
		{Group: "default", Text: "four", Author: "bob", Visibility: domain.VisibilityPublic, ReviewTurn: 2, CreatedAt: at(3)},
	}
	ids := map[int64]bool{}
	for i := range comments {
		mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
			id, err := tx.InsertComment(ctx, "r1", comments[i])
			comments[i].ID = id
			return err
		})
		ids[comments[i].ID] = true
	}
	if len(ids) != len(comments) {
		t.Errorf("comment ids not distinct: %v", ids)
	}
	want := []domain.Comment{comments[3], comments[1], comments[2], comments[0]}
	if diff := cmp.Diff(want, get(t, s, "r1").Comments); diff != "" {
		t.Errorf("comments, newest first (-want +got):\n%s", diff)
	}
	if got := get(t, s, "r1").GroupComments("default"); len(got) != 3 {
		t.Errorf("GroupComments(default) has %d comments, want 3", len(got))
	}

	err := guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertComment(ctx, "r1", domain.Comment{Group: "nogroup", Text: "x", Author: "bob", Visibility: domain.VisibilityPublic, CreatedAt: at(4)})
		return err
	})
	wantErr(t, "comment on a missing group", err, store.ErrNotFound)

	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetCommentVisibility(ctx, "r1", comments[0].ID, domain.VisibilityPublic)
	})
	comments[0].Visibility = domain.VisibilityPublic
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteComment(ctx, "r1", comments[1].ID)
	})
	want = []domain.Comment{comments[3], comments[2], comments[0]}
	if diff := cmp.Diff(want, get(t, s, "r1").Comments); diff != "" {
		t.Errorf("comments after changes (-want +got):\n%s", diff)
	}

	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteComment(ctx, "r1", comments[1].ID)
	})
	wantErr(t, "DeleteComment of a deleted comment", err, store.ErrNotFound)
	// Comments are scoped to their request.
	err = guarded(t, s, "r2", func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteComment(ctx, "r2", comments[0].ID)
	})
	wantErr(t, "DeleteComment through another request", err, store.ErrNotFound)
	err = guarded(t, s, "r2", func(ctx context.Context, tx store.Tx) error {
		return tx.SetCommentVisibility(ctx, "r2", comments[2].ID, domain.VisibilityPrivate)
	})
	wantErr(t, "SetCommentVisibility through another request", err, store.ErrNotFound)
	if diff := cmp.Diff(want, get(t, s, "r1").Comments); diff != "" {
		t.Errorf("comments changed through another request (-want +got):\n%s", diff)
	}
}

// appendEvents appends events in one transaction each and returns them as
// stored.
func appendEvents(t *testing.T, s store.Store, evs ...domain.Event) []domain.Event {
	t.Helper()
	var out []domain.Event
	for _, e := range evs {
		mustTx(t, s, func(ctx context.Context, tx store.Tx) error {
			stored, err := tx.AppendEvent(ctx, e)
			out = append(out, stored)
			return err
		})
	}
	return out
}

func allEvents(t *testing.T, s store.Store) []domain.Event {
	t.Helper()
	var out []domain.Event
	if err := s.EachEvent(t.Context(), func(e domain.Event) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("EachEvent: %v", err)
	}
	return out
}

// testAuditText: whatever valid text an event holds is stored byte for
// byte and its hash verifies; text that could not be stored as it is
// (invalid UTF-8, NUL) is refused and nothing is appended.
func testAuditText(t *testing.T, s store.Store) {
	ctx := t.Context()
	texts := []string{"<script>&amp;\"quoted\"", "naïve — 日本語 🚀", "\ufffd typed by a person", "line\u2028sep\ttab\nnewline",
		`back\slash \u0000 as six characters`, strings.Repeat("x", 20000)}
	var evs []domain.Event
	for i, text := range texts {
		evs = append(evs, domain.Event{Type: domain.EventRequestComment, User: "ä" + string([]rune(text)[:1]), Workspace: "ws", Request: "r1",
			Path: "out/" + strconv.Itoa(i) + "é.csv", CreatedAt: at(i), Extra: map[string]string{"text": text, "clé " + string([]rune(text)[:1]): text}})
	}
	stored := appendEvents(t, s, evs...)
	all := allEvents(t, s)
	if diff := cmp.Diff(stored, all); diff != "" {
		t.Errorf("events read back differ from what was appended (-appended +read):\n%s", diff)
	}
	for i, e := range all {
		if e.Extra["text"] != texts[i] {
			t.Errorf("event %d: text not kept byte for byte: %q", e.ID, e.Extra["text"])
		}
	}
	if err := domain.VerifyChain(all); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	headID, headHash, _ := s.AuditHead(ctx)
	for _, bad := range []domain.Event{
		{Type: domain.EventRequestComment, User: "u", Extra: map[string]string{"text": "comment\xff\xfe"}},
		{Type: domain.EventRequestEdit, User: "u", Extra: map[string]string{"context": "ctx\xff"}},
		{Type: domain.EventRequestEdit, User: "u", Extra: map[string]string{"ctx\xff": "key"}},
		{Type: domain.EventRequestComment, User: "u\x00", Extra: map[string]string{}},
		{Type: domain.EventRequestComment, User: "u", Path: "a\xc0\xafb"},
		{Type: domain.EventRequestComment, User: "u", Extra: map[string]string{"text": "nul\x00"}},
	} {
		err := txErr(t, s, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.AppendEvent(ctx, bad)
			return err
		})
		wantErr(t, fmt.Sprintf("AppendEvent(%q)", bad.Extra), err, domain.ErrInvalidInput)
	}
	if id, hash, _ := s.AuditHead(ctx); id != headID || hash != headHash {
		t.Errorf("refused events moved the head from %d to %d", headID, id)
	}
	if got := allEvents(t, s); len(got) != len(all) {
		t.Errorf("refused events were stored: %d events, want %d", len(got), len(all))
	}
}

func testAuditChain(t *testing.T, s store.Store) {
	ctx := t.Context()
	if id, hash, err := s.AuditHead(ctx); err != nil || id != 0 || hash != "" {
		t.Errorf("AuditHead of an empty log = %d, %q, %v", id, hash, err)
	}
	in := []domain.Event{
		{Type: domain.EventRequestCreate, User: "alice", Workspace: "ws", Request: "r1", CreatedAt: at(1), Extra: map[string]string{"review_turn": "0"}},
		{Type: domain.EventWorkspaceFileView, User: "alice", Workspace: "ws", Path: "out/a.csv", CreatedAt: at(2)},
		{Type: domain.EventRequestFileAdd, User: "alice", Workspace: "ws", Request: "r1", Path: "out/a.csv", CreatedAt: at(3), Extra: map[string]string{"group": "g", "filetype": "OUTPUT", "review_turn": "0"}},
	}
	// Several events in one transaction chain too.
	stored := appendEvents(t, s, in[0])
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, e := range in[1:] {
			got, err := tx.AppendEvent(ctx, e)
			if err != nil {
				return err
			}
			stored = append(stored, got)
		}
		return nil
	})
	prev := ""
	for i, e := range stored {
		if e.ID != int64(i+1) {
			t.Errorf("event %d has id %d", i, e.ID)
		}
		if e.PrevHash != prev {
			t.Errorf("event %d: PrevHash %q, want %q", e.ID, e.PrevHash, prev)
		}
		if e.Hash != e.ChainHash(prev) || e.Hash == "" {
			t.Errorf("event %d: Hash %q, want %q", e.ID, e.Hash, e.ChainHash(prev))
		}
		if e.Extra == nil {
			t.Errorf("event %d: AppendEvent returned a nil Extra", e.ID)
		}
		prev = e.Hash
	}
	all := allEvents(t, s)
	if diff := cmp.Diff(stored, all); diff != "" {
		t.Errorf("EachEvent differs from what AppendEvent returned (-appended +read):\n%s", diff)
	}
	want := in[1]
	want.ID, want.Extra, want.PrevHash, want.Hash = 2, map[string]string{}, stored[0].Hash, stored[1].Hash
	if diff := cmp.Diff(want, all[1]); diff != "" {
		t.Errorf("stored event (-want +got):\n%s", diff)
	}
	if err := domain.VerifyChain(all); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	if id, hash, err := s.AuditHead(ctx); err != nil || id != 3 || hash != stored[2].Hash {
		t.Errorf("AuditHead = %d, %q, %v; want 3, %q", id, hash, err, stored[2].Hash)
	}
	for _, e := range all {
		if e.CreatedAt.Location() != time.UTC {
			t.Errorf("event %d: CreatedAt in %v, want UTC", e.ID, e.CreatedAt.Location())
		}
	}

	// EachEvent stops at fn's error and returns it.
	stop := errors.New("stop")
	n := 0
	err := s.EachEvent(ctx, func(domain.Event) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("EachEvent with a failing fn: %v after %d events; want stop after 2", err, n)
	}

	// Appending continues the chain from the head.
	more := appendEvents(t, s, domain.Event{Type: domain.EventRequestSubmit, User: "alice", Workspace: "ws", Request: "r1", CreatedAt: at(4), Extra: map[string]string{"review_turn": "1"}})
	if more[0].ID != 4 || more[0].PrevHash != stored[2].Hash {
		t.Errorf("fourth event: id %d prev %q", more[0].ID, more[0].PrevHash)
	}
	if err := domain.VerifyChain(allEvents(t, s)); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
}

func ids(evs []domain.Event) []int64 {
	out := []int64{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func testEventsFilter(t *testing.T, s store.Store) {
	appendEvents(t, s,
		domain.Event{Type: domain.EventRequestCreate, User: "alice", Workspace: "ws1", Request: "r1", CreatedAt: at(1)},                                                          // 1
		domain.Event{Type: domain.EventRequestFileAdd, User: "alice", Workspace: "ws1", Request: "r1", Path: "a.csv", CreatedAt: at(2), Extra: map[string]string{"group": "g1"}}, // 2
		domain.Event{Type: domain.EventWorkspaceFileView, User: "alice", Workspace: "ws1", Path: "a.csv", CreatedAt: at(3)},                                                      // 3
		domain.Event{Type: domain.EventRequestFileView, User: "bob", Workspace: "ws1", Request: "r1", Path: "a.csv", CreatedAt: at(4), Extra: map[string]string{"group": "g1"}},  // 4
		domain.Event{Type: domain.EventRequestComment, User: "bob", Workspace: "ws1", Request: "r1", CreatedAt: at(5), Extra: map[string]string{"group": "g2"}},                  // 5
		domain.Event{Type: domain.EventRequestCreate, User: "carol", Workspace: "ws2", Request: "r2", CreatedAt: at(6)},                                                          // 6
		domain.Event{Type: domain.EventRequestFileAdd, User: "carol", Workspace: "ws2", Request: "r2", Path: "b.csv", CreatedAt: at(7), Extra: map[string]string{"group": "g1"}}, // 7
	)
	tests := []struct {
		name string
		f    store.EventFilter
		want []int64
	}{
		{"all", store.EventFilter{}, []int64{7, 6, 5, 4, 3, 2, 1}},
		{"user", store.EventFilter{User: "bob"}, []int64{5, 4}},
		{"workspace", store.EventFilter{Workspace: "ws1"}, []int64{5, 4, 3, 2, 1}},
		{"request", store.EventFilter{Request: "r2"}, []int64{7, 6}},
		{"group", store.EventFilter{Group: "g1"}, []int64{7, 4, 2}},
		{"request and group", store.EventFilter{Request: "r1", Group: "g1"}, []int64{4, 2}},
		{"exclude types", store.EventFilter{ExcludeTypes: []domain.EventType{domain.EventWorkspaceFileView, domain.EventRequestFileView}}, []int64{7, 6, 5, 2, 1}},
		{"exclude one type", store.EventFilter{Workspace: "ws1", ExcludeTypes: []domain.EventType{domain.EventRequestCreate}}, []int64{5, 4, 3, 2}},
		{"limit", store.EventFilter{Limit: 3}, []int64{7, 6, 5}},
		{"limit with filter", store.EventFilter{User: "alice", Limit: 2}, []int64{3, 2}},
		{"limit above count", store.EventFilter{Request: "r2", Limit: 10}, []int64{7, 6}},
		{"before", store.EventFilter{Before: 5}, []int64{4, 3, 2, 1}},
		{"before with filter and limit", store.EventFilter{Request: "r1", Before: 5, Limit: 1}, []int64{4}},
		{"before the first", store.EventFilter{Before: 1}, []int64{}},
		{"no match", store.EventFilter{User: "nobody"}, []int64{}},
		{"user and workspace", store.EventFilter{User: "carol", Workspace: "ws1"}, []int64{}},
	}
	for _, tt := range tests {
		got, err := s.Events(t.Context(), tt.f)
		if err != nil {
			t.Errorf("%s: Events: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("%s: event ids (-want +got):\n%s", tt.name, diff)
		}
	}
	// Events returns whole events.
	got, err := s.Events(t.Context(), store.EventFilter{Request: "r1", Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("Events = %v, %v", got, err)
	}
	if diff := cmp.Diff(allEvents(t, s)[4], got[0]); diff != "" {
		t.Errorf("Events differs from EachEvent (-each +events):\n%s", diff)
	}
}

func testHideTurnEvents(t *testing.T, s store.Store) {
	turn := func(n int) map[string]string { return map[string]string{"review_turn": strconv.Itoa(n)} }
	appendEvents(t, s,
		domain.Event{Type: domain.EventRequestComment, User: "bob", Workspace: "ws", Request: "r1", CreatedAt: at(1), Extra: turn(1)},                                                 // 1
		domain.Event{Type: domain.EventRequestComment, User: "bob", Workspace: "ws", Request: "r1", CreatedAt: at(2), Extra: turn(2)},                                                 // 2
		domain.Event{Type: domain.EventRequestFileApprove, User: "bob", Workspace: "ws", Request: "r1", CreatedAt: at(3), Extra: map[string]string{"review_turn": "2", "group": "g"}}, // 3
		domain.Event{Type: domain.EventRequestComment, User: "bob", Workspace: "ws", Request: "r2", CreatedAt: at(4), Extra: turn(2)},                                                 // 4
		domain.Event{Type: domain.EventRequestComment, User: "bob", Workspace: "ws", Request: "r1", CreatedAt: at(5), Extra: turn(12)},                                                // 5
		domain.Event{Type: domain.EventRequestComment, User: "bob", Workspace: "ws", Request: "r1", CreatedAt: at(6)},                                                                 // 6
		domain.Event{Type: domain.EventRequestEarlyReturn, User: "carol", Workspace: "ws", Request: "r1", CreatedAt: at(7), Extra: turn(2)},                                           // 7
	)
	before := allEvents(t, s)
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.HideTurnEvents(ctx, "r1", 2) })
	after := allEvents(t, s)
	var hidden []int64
	for i, e := range after {
		if e.Hidden {
			hidden = append(hidden, e.ID)
		}
		e.Hidden = before[i].Hidden
		if diff := cmp.Diff(before[i], e); diff != "" {
			t.Errorf("event %d changed beyond Hidden (-before +after):\n%s", e.ID, diff)
		}
	}
	if diff := cmp.Diff([]int64{2, 3, 7}, hidden); diff != "" {
		t.Errorf("hidden events (-want +got):\n%s", diff)
	}
	// Hiding is outside the hash; every hidden event has its early return.
	if err := domain.VerifyChain(after); err != nil {
		t.Errorf("VerifyChain after hiding: %v", err)
	}
	evs, err := s.Events(t.Context(), store.EventFilter{Request: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Hidden != slices.Contains(hidden, e.ID) {
			t.Errorf("Events: event %d Hidden = %v", e.ID, e.Hidden)
		}
	}
	// Hiding a turn with no events is fine.
	mustTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.HideTurnEvents(ctx, "r9", 1) })
}

func testReleasedFileIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.ReleasedFileIDs(ctx, "ws1")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("ReleasedFileIDs of an empty workspace = %v, %v; want an empty map", got, err)
	}
	add := func(id, workspace, author string, files ...domain.RequestFile) {
		create(t, s, newRequest(id, workspace, author, 0))
		mustGuarded(t, s, id, func(ctx context.Context, tx store.Tx) error {
			for _, f := range files {
				if err := tx.InsertFile(ctx, id, f); err != nil {
					return err
				}
			}
			return nil
		})
	}
	f := func(relpath, fileID string) domain.RequestFile {
		rf := file(relpath, "default")
		rf.FileID = fileID
		return rf
	}
	add("r1", "ws1", "alice", f("a.csv", "hash-a"), f("b.csv", "hash-b"), f("c.csv", "hash-c"))
	add("r2", "ws1", "bob", f("a.csv", "hash-a"), f("d.csv", "hash-d"))
	add("r3", "ws2", "alice", f("e.csv", "hash-e"))
	release := func(id string, relpaths ...string) {
		mustGuarded(t, s, id, func(ctx context.Context, tx store.Tx) error {
			for _, p := range relpaths {
				if err := tx.SetFileReleased(ctx, id, p, at(1), "checker"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	release("r1", "a.csv", "b.csv")
	release("r2", "a.csv", "d.csv")
	release("r3", "e.csv")
	got, err = s.ReleasedFileIDs(ctx, "ws1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"hash-a": true, "hash-b": true, "hash-d": true}, got); diff != "" {
		t.Errorf("ReleasedFileIDs(ws1) (-want +got):\n%s", diff)
	}
	got, err = s.ReleasedFileIDs(ctx, "ws2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"hash-e": true}, got); diff != "" {
		t.Errorf("ReleasedFileIDs(ws2) (-want +got):\n%s", diff)
	}
	add("r4", "ws1", "carol", f("c.csv", "hash-c2"))
	got, err = s.FileIDs(ctx, "ws1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"hash-a": true, "hash-b": true, "hash-c": true, "hash-c2": true, "hash-d": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FileIDs(ws1) (-want +got):\n%s", diff)
	}
	if got, err := s.FileIDs(ctx, "nowhere"); err != nil || len(got) != 0 {
		t.Errorf("FileIDs(nowhere) = %v, %v", got, err)
	}
}

func testListRequests(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.ListRequests(ctx, store.RequestFilter{})
	if err != nil || len(got) != 0 {
		t.Errorf("ListRequests of an empty store = %v, %v", got, err)
	}
	mk := func(id, workspace, author string, n int, st domain.Status) {
		r := newRequest(id, workspace, author, n)
		r.Status = st
		r.Organisations = []string{"org"}
		create(t, s, r)
	}
	mk("r1", "ws1", "alice", 1, domain.StatusWithdrawn)
	mk("r2", "ws1", "alice", 2, domain.StatusSubmitted)
	mk("r3", "ws1", "bob", 3, domain.StatusReturned)
	mk("r4", "ws2", "alice", 4, domain.StatusApproved)
	mk("r5", "ws2", "bob", 5, domain.StatusSubmitted)
	mk("r0", "ws2", "carol", 5, domain.StatusReleased) // same time as r5: ordered by id, descending
	mustGuarded(t, s, "r3", func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertFile(ctx, "r3", file("a.csv", "default")); err != nil {
			return err
		}
		if _, err := tx.InsertComment(ctx, "r3", domain.Comment{Group: "default", Text: "c", Author: "bob", Visibility: domain.VisibilityPublic, CreatedAt: at(6)}); err != nil {
			return err
		}
		if err := tx.AddSubmittedReview(ctx, "r3", "x", 0, at(7)); err != nil {
			return err
		}
		if err := tx.SetReviewTurn(ctx, "r3", 1); err != nil {
			return err
		}
		return tx.AddSubmittedReview(ctx, "r3", "y", 1, at(8))
	})

	tests := []struct {
		name string
		f    store.RequestFilter
		want []string
	}{
		{"all", store.RequestFilter{}, []string{"r5", "r0", "r4", "r3", "r2", "r1"}},
		{"workspace", store.RequestFilter{Workspace: "ws1"}, []string{"r3", "r2", "r1"}},
		{"author", store.RequestFilter{Author: "alice"}, []string{"r4", "r2", "r1"}},
		{"workspace and author", store.RequestFilter{Workspace: "ws2", Author: "alice"}, []string{"r4"}},
		{"status", store.RequestFilter{Statuses: []domain.Status{domain.StatusSubmitted}}, []string{"r5", "r2"}},
		{"statuses", store.RequestFilter{Statuses: domain.ActiveStatuses()}, []string{"r5", "r3", "r2"}},
		{"all three", store.RequestFilter{Workspace: "ws1", Author: "alice", Statuses: []domain.Status{domain.StatusWithdrawn, domain.StatusApproved}}, []string{"r1"}},
		{"none", store.RequestFilter{Workspace: "ws3"}, nil},
	}
	for _, tt := range tests {
		got, err := s.ListRequests(ctx, tt.f)
		if err != nil {
			t.Errorf("%s: ListRequests: %v", tt.name, err)
			continue
		}
		var gotIDs []string
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		if diff := cmp.Diff(tt.want, gotIDs); diff != "" {
			t.Errorf("%s: request ids (-want +got):\n%s", tt.name, diff)
		}
	}

	got, err = s.ListRequests(ctx, store.RequestFilter{Author: "bob", Workspace: "ws1"})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListRequests = %v, %v", got, err)
	}
	want := domain.Request{
		ID: "r3", Workspace: "ws1", Project: "project-ws1", Organisations: []string{"org"}, Author: "bob",
		CreatedAt: at(3), Status: domain.StatusReturned, ReviewTurn: 1,
		SubmittedReviews: map[string]time.Time{"y": at(8)}, TurnReviewers: []string{"x"}, Version: 2,
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("request header (-want +got):\n%s", diff)
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetUser(ctx, "alice")
	wantErr(t, "GetUser of an unknown user", err, store.ErrNotFound)
	u := store.UserRecord{Username: "alice", APIData: []byte(`{"username":"alice","output_checker":false}`), LastRefresh: at(1)}
	if err := s.PutUser(ctx, u); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	if err := s.PutUser(ctx, store.UserRecord{Username: "bob", APIData: []byte(`{"username":"bob"}`), LastRefresh: at(2)}); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	u2 := store.UserRecord{Username: "alice", APIData: []byte(`{"username":"alice","output_checker":true}`), LastRefresh: at(3)}
	if err := s.PutUser(ctx, u2); err != nil {
		t.Fatalf("PutUser (update): %v", err)
	}
	got, err = s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if diff := cmp.Diff(u2, got); diff != "" {
		t.Errorf("GetUser after update (-want +got):\n%s", diff)
	}
	if got.LastRefresh.Location() != time.UTC {
		t.Errorf("LastRefresh in %v, want UTC", got.LastRefresh.Location())
	}
	if got, err := s.GetUser(ctx, "bob"); err != nil || string(got.APIData) != `{"username":"bob"}` {
		t.Errorf("GetUser(bob) = %+v, %v", got, err)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetToken(ctx, "nohash")
	wantErr(t, "GetToken of an unknown token", err, store.ErrNotFound)
	wantErr(t, "TouchToken of an unknown token", s.TouchToken(ctx, "nohash", at(1), at(2)), store.ErrNotFound)
	wantErr(t, "RevokeToken of an unknown token", s.RevokeToken(ctx, "nohash", at(1)), store.ErrNotFound)

	tok := store.Token{Hash: "h1", Username: "alice", CreatedAt: at(1), LastUsedAt: at(1), ExpiresAt: at(100)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if err := s.CreateToken(ctx, store.Token{Hash: "h2", Username: "alice", CreatedAt: at(2), LastUsedAt: at(2), ExpiresAt: at(200)}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	wantErr(t, "CreateToken with an existing hash", s.CreateToken(ctx, tok), store.ErrConflict)

	got, err := s.GetToken(ctx, "h1")
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("GetToken (-want +got):\n%s", diff)
	}

	if err := s.TouchToken(ctx, "h1", at(10), at(110)); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	tok.LastUsedAt, tok.ExpiresAt = at(10), at(110)
	if got, _ := s.GetToken(ctx, "h1"); !cmp.Equal(tok, got) {
		t.Errorf("after TouchToken: %s", cmp.Diff(tok, got))
	}

	if err := s.RevokeToken(ctx, "h1", at(20)); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	tok.RevokedAt = ptr(at(20))
	if got, _ := s.GetToken(ctx, "h1"); !cmp.Equal(tok, got) {
		t.Errorf("after RevokeToken: %s", cmp.Diff(tok, got))
	}
	// The other token is untouched.
	if got, _ := s.GetToken(ctx, "h2"); got.RevokedAt != nil || !got.ExpiresAt.Equal(at(200)) {
		t.Errorf("other token changed: %+v", got)
	}
	// A revoked token may be revoked again; it stays revoked.
	if err := s.RevokeToken(ctx, "h1", at(30)); err != nil {
		t.Fatalf("RevokeToken again: %v", err)
	}
	if got, _ := s.GetToken(ctx, "h1"); got.RevokedAt == nil {
		t.Errorf("token no longer revoked")
	}

	// A token created revoked round-trips.
	rev := store.Token{Hash: "h3", Username: "bob", CreatedAt: at(1), LastUsedAt: at(1), ExpiresAt: at(2), RevokedAt: ptr(at(1))}
	if err := s.CreateToken(ctx, rev); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if got, _ := s.GetToken(ctx, "h3"); !cmp.Equal(rev, got) {
		t.Errorf("revoked token: %s", cmp.Diff(rev, got))
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newRequest("r1", "ws", "alice", 0))
	const workers, perWorker = 2, 50
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		conflicts int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Errorf("worker %d: gave up after %d conflicts", w, attempt)
						return
					}
					r, err := s.GetRequest(ctx, "r1")
					if err != nil {
						t.Errorf("worker %d: GetRequest: %v", w, err)
						return
					}
					err = s.Tx(ctx, func(tx store.Tx) error {
						if err := tx.GuardRequest(ctx, "r1", r.Version); err != nil {
							return err
						}
						_, err := tx.AppendEvent(ctx, domain.Event{
							Type: domain.EventRequestEdit, User: fmt.Sprintf("worker%d", w), Workspace: "ws", Request: "r1",
							CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
							Extra:     map[string]string{"n": strconv.Itoa(i)},
						})
						return err
					})
					if errors.Is(err, store.ErrConflict) {
						mu.Lock()
						conflicts++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Errorf("worker %d: Tx: %v", w, err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d conflicts retried", conflicts)
	if v := get(t, s, "r1").Version; v != 1+workers*perWorker {
		t.Errorf("Version = %d, want %d", v, 1+workers*perWorker)
	}
	all := allEvents(t, s)
	if len(all) != workers*perWorker {
		t.Errorf("%d events, want %d", len(all), workers*perWorker)
	}
	perUser := map[string]int{}
	for _, e := range all {
		perUser[e.User]++
	}
	for w := range workers {
		if n := perUser[fmt.Sprintf("worker%d", w)]; n != perWorker {
			t.Errorf("worker%d has %d events, want %d", w, n, perWorker)
		}
	}
	if err := domain.VerifyChain(all); err != nil {
		t.Errorf("VerifyChain: %v", err)
	}
	if id, hash, err := s.AuditHead(ctx); err != nil || id != int64(len(all)) || hash != all[len(all)-1].Hash {
		t.Errorf("AuditHead = %d, %q, %v", id, hash, err)
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// testUploadClaims: only released, not uploaded output files of APPROVED
// requests are claimed, each by one owner at a time, due ones first;
// leases run out; an upload ends the lease.
func testUploadClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.ClaimUpload(ctx, "w1", at(0), at(10)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim with nothing to do: %v", err)
	}
	setup := func(id string, status domain.Status, files ...domain.RequestFile) {
		create(t, s, newRequest(id, "ws", "author-"+id, 0))
		mustGuarded(t, s, id, func(ctx context.Context, tx store.Tx) error {
			for _, f := range files {
				if err := tx.InsertFile(ctx, id, f); err != nil {
					return err
				}
				if f.FileType == domain.FileOutput {
					if err := tx.SetFileReleased(ctx, id, f.Relpath, at(1), "checker"); err != nil {
						return err
					}
				}
			}
			return tx.SetStatus(ctx, id, status, nil)
		})
	}
	supporting := file("s.txt", "default")
	supporting.FileType = domain.FileSupporting
	setup("pending", domain.StatusReviewed, file("p.csv", "default"))
	setup("approved", domain.StatusApproved, file("a.csv", "default"), file("b.csv", "default"), supporting)
	got := map[string]bool{}
	for _, owner := range []string{"w1", "w2"} {
		c, err := s.ClaimUpload(ctx, owner, at(2), at(10))
		if err != nil {
			t.Fatalf("claim by %s: %v", owner, err)
		}
		if c.RequestID != "approved" || got[c.Relpath] {
			t.Fatalf("claim by %s: %+v (already claimed: %v)", owner, c, got)
		}
		got[c.Relpath] = true
	}
	if _, err := s.ClaimUpload(ctx, "w3", at(3), at(10)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a third claim while both files are leased: %v", err)
	}
	// w1's lease on a.csv ends early; an attempt on b.csv failed and is due later.
	if err := s.DropUploadLease(ctx, "approved", "a.csv", "w2", store.UploadEnd{}); err != nil {
		t.Fatal(err)
	}
	mustGuarded(t, s, "approved", func(ctx context.Context, tx store.Tx) error {
		return tx.RecordUploadAttempt(ctx, "approved", "b.csv", at(3))
	})
	if err := s.DropUploadLease(ctx, "approved", "b.csv", "w2", store.UploadEnd{Error: "failed", Due: at(20)}); err != nil {
		t.Fatal(err)
	}
	// The lease on a.csv was not w2's to drop, and is still held until at(10).
	if _, err := s.ClaimUpload(ctx, "w3", at(4), at(30)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claimed while leases hold: %v", err)
	}
	c, err := s.ClaimUpload(ctx, "w3", at(11), at(30))
	if err != nil || c.Relpath != "a.csv" {
		t.Fatalf("after the lease ran out: %+v %v (b.csv is not due until at(20))", c, err)
	}
	if err := s.DropUploadLease(ctx, "approved", "a.csv", "w3", store.UploadEnd{}); err != nil {
		t.Fatal(err)
	}
	mustGuarded(t, s, "approved", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileUploaded(ctx, "approved", "a.csv", at(12))
	})
	c, err = s.ClaimUpload(ctx, "w4", at(21), at(40))
	if err != nil || c.Relpath != "b.csv" {
		t.Fatalf("the failed file once due: %+v %v", c, err)
	}
	if _, err := s.ClaimUpload(ctx, "w5", at(22), at(40)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an uploaded or supporting file was claimed: %v", err)
	}
	f, _ := get(t, s, "approved").File("b.csv")
	if f.UploadAttempts != 1 || f.UploadAttemptedAt == nil || !f.UploadAttemptedAt.Equal(at(3)) {
		t.Errorf("attempts recorded: %+v", f)
	}
}

// approvedWithFiles creates an APPROVED request whose output files are
// all released, for the upload tests.
func approvedWithFiles(t *testing.T, s store.Store, id string, paths ...string) {
	t.Helper()
	create(t, s, newRequest(id, "ws", "author-"+id, 0))
	mustGuarded(t, s, id, func(ctx context.Context, tx store.Tx) error {
		for _, p := range paths {
			if err := tx.InsertFile(ctx, id, file(p, "default")); err != nil {
				return err
			}
			if err := tx.SetFileReleased(ctx, id, p, at(1), "checker"); err != nil {
				return err
			}
		}
		return tx.SetStatus(ctx, id, domain.StatusApproved, nil)
	})
}

// testUploadLeaseRenewal: the owner of a lease renews it, so that no one
// takes the file over while it lasts, even past the first lease's end;
// anyone else's renewal fails, as does the owner's once the file is taken
// over, dropped or uploaded.
func testUploadLeaseRenewal(t *testing.T, s store.Store) {
	ctx := t.Context()
	approvedWithFiles(t, s, "r1", "a.csv", "b.csv")
	c, err := s.ClaimUpload(ctx, "w1", at(2), at(5))
	if err != nil || c.Relpath != "a.csv" {
		t.Fatalf("claim: %+v %v", c, err)
	}
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w2", at(100)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewal by another owner: %v, want ErrNotFound", err)
	}
	if err := s.RenewUploadLease(ctx, "r1", "b.csv", "w1", at(100)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewal of a file w1 never claimed: %v, want ErrNotFound", err)
	}
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w1", at(8)); err != nil {
		t.Fatalf("renewal by the owner: %v", err)
	}
	// b.csv is free; a.csv stays w1's past the first lease's end (at(5)).
	c, err = s.ClaimUpload(ctx, "w2", at(6), at(9))
	if err != nil || c.Relpath != "b.csv" {
		t.Fatalf("claim of the free file: %+v %v", c, err)
	}
	if c, err := s.ClaimUpload(ctx, "w3", at(7), at(10)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a renewed lease was taken over: %+v %v", c, err)
	}
	// b.csv's attempt fails; it is not due again for long.
	if err := s.DropUploadLease(ctx, "r1", "b.csv", "w2", store.UploadEnd{Error: "failed", Due: at(1000)}); err != nil {
		t.Fatal(err)
	}
	// A lease that ran out but that no one took over is still the owner's.
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w1", at(20)); err != nil {
		t.Errorf("renewal after the lease ran out, not taken over: %v", err)
	}
	// Taken over once it runs out: the old owner's renewal fails, and the
	// new owner's lease stands.
	c, err = s.ClaimUpload(ctx, "w3", at(21), at(30))
	if err != nil || c.Relpath != "a.csv" {
		t.Fatalf("takeover after the lease ran out: %+v %v", c, err)
	}
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w1", at(40)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewal by the owner that lost the lease: %v, want ErrNotFound", err)
	}
	// Had w1's failed renewal extended the lease, a.csv would be held
	// until at(40); w3's lease ran out at at(30).
	if c, err := s.ClaimUpload(ctx, "w4", at(35), at(50)); err != nil || c.Relpath != "a.csv" {
		t.Fatalf("claim after w3's lease ran out: %+v %v", c, err)
	}
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w3", at(60)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewal by w3 after w4 took over: %v, want ErrNotFound", err)
	}
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w4", at(60)); err != nil {
		t.Errorf("renewal by the new owner: %v", err)
	}
	// Dropped, or uploaded: nothing to renew.
	if err := s.RenewUploadLease(ctx, "r1", "b.csv", "w2", at(60)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewal of a dropped lease: %v, want ErrNotFound", err)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileUploaded(ctx, "r1", "a.csv", at(36))
	})
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w4", at(60)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewal of an uploaded file: %v, want ErrNotFound", err)
	}
}

// testUploadLeaseEnd: a leased file is due again when its lease ends (so
// a vanished uploader's file is taken over then, whatever its back-off);
// dropping a lease records the attempt's error and when the next attempt
// is due; an upload clears the error; a drop by anyone but the owner
// changes nothing.
func testUploadLeaseEnd(t *testing.T, s store.Store) {
	ctx := t.Context()
	approvedWithFiles(t, s, "r1", "a.csv")
	if _, err := s.ClaimUpload(ctx, "w1", at(2), at(5)); err != nil {
		t.Fatal(err)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(2))
	})
	if err := s.DropUploadLease(ctx, "r1", "a.csv", "w2", store.UploadEnd{Error: "not w2's", Due: at(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimUpload(ctx, "w2", at(4), at(9)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a drop by another owner freed the file: %v", err)
	}
	// Should w1 vanish now, the file is due again when its lease ends.
	if f, _ := get(t, s, "r1").File("a.csv"); f.UploadNextAt == nil || !f.UploadNextAt.Equal(at(5)) {
		t.Errorf("a leased file is next due at %v, want its lease's end %v", f.UploadNextAt, at(5))
	}
	const msg = "job-server answered 503: « down » ✓"
	if err := s.DropUploadLease(ctx, "r1", "a.csv", "w1", store.UploadEnd{Error: msg, Due: at(100)}); err != nil {
		t.Fatal(err)
	}
	f, _ := get(t, s, "r1").File("a.csv")
	if f.UploadError != msg || f.UploadNextAt == nil || !f.UploadNextAt.Equal(at(100)) || f.UploadAttempts != 1 {
		t.Fatalf("after a failed attempt: error %q, next %v, %d attempts; want %q, %v, 1", f.UploadError, f.UploadNextAt, f.UploadAttempts, msg, at(100))
	}
	if _, err := s.ClaimUpload(ctx, "w2", at(50), at(60)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claimed before its back-off ended: %v", err)
	}
	// Claimed once due; this attempt is interrupted: due at once, and the
	// last failure's error stays.
	if _, err := s.ClaimUpload(ctx, "w2", at(100), at(110)); err != nil {
		t.Fatal(err)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(100))
	})
	if err := s.RenewUploadLease(ctx, "r1", "a.csv", "w2", at(150)); err != nil {
		t.Fatal(err)
	}
	if f, _ := get(t, s, "r1").File("a.csv"); f.UploadNextAt == nil || !f.UploadNextAt.Equal(at(150)) {
		t.Errorf("a renewed lease's file is next due at %v, want the renewed lease's end %v", f.UploadNextAt, at(150))
	}
	if err := s.DropUploadLease(ctx, "r1", "a.csv", "w2", store.UploadEnd{Due: at(101)}); err != nil {
		t.Fatal(err)
	}
	f, _ = get(t, s, "r1").File("a.csv")
	if f.UploadError != msg || f.UploadNextAt == nil || !f.UploadNextAt.Equal(at(101)) {
		t.Fatalf("after an interrupted attempt: error %q, next %v; want %q, %v", f.UploadError, f.UploadNextAt, msg, at(101))
	}
	if _, err := s.ClaimUpload(ctx, "w3", at(101), at(110)); err != nil {
		t.Fatalf("an interrupted attempt's file is not due at once: %v", err)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.SetFileUploaded(ctx, "r1", "a.csv", at(102))
	})
	if f, _ = get(t, s, "r1").File("a.csv"); f.UploadError != "" || !f.Uploaded {
		t.Errorf("after the upload: error %q, uploaded %v", f.UploadError, f.Uploaded)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, found, err := s.SessionFind(ctx, "nosuch"); err != nil || found {
		t.Errorf("SessionFind of an unknown token: found %v, error %v; want not found, no error", found, err)
	}
	if err := s.SessionDelete(ctx, "nosuch"); err != nil {
		t.Errorf("SessionDelete of an unknown token: %v", err)
	}

	// Data round-trips byte for byte, including bytes that are not text.
	data := []byte{0, 1, 2, 0xff, 'a', 0}
	if err := s.SessionCommit(ctx, "t1", data, now.Add(time.Hour)); err != nil {
		t.Fatalf("SessionCommit: %v", err)
	}
	got, found, err := s.SessionFind(ctx, "t1")
	if err != nil || !found || !slices.Equal(got, data) {
		t.Errorf("SessionFind = %v, %v, %v; want %v", got, found, err, data)
	}

	// Committing again replaces the data and the expiry.
	if err := s.SessionCommit(ctx, "t1", []byte("second"), now.Add(2*time.Hour)); err != nil {
		t.Fatalf("SessionCommit again: %v", err)
	}
	if got, found, _ := s.SessionFind(ctx, "t1"); !found || string(got) != "second" {
		t.Errorf("after a second commit: %q, %v; want \"second\"", got, found)
	}

	// Empty data is kept as a session.
	if err := s.SessionCommit(ctx, "empty", nil, now.Add(time.Hour)); err != nil {
		t.Fatalf("SessionCommit of no data: %v", err)
	}
	if got, found, err := s.SessionFind(ctx, "empty"); err != nil || !found || len(got) != 0 {
		t.Errorf("SessionFind of empty data = %q, %v, %v", got, found, err)
	}

	// An expired session is not found, though it is still stored.
	if err := s.SessionCommit(ctx, "old", []byte("old"), now.Add(-time.Second)); err != nil {
		t.Fatalf("SessionCommit of an expired session: %v", err)
	}
	if _, found, err := s.SessionFind(ctx, "old"); err != nil || found {
		t.Errorf("SessionFind of an expired session: found %v, error %v", found, err)
	}
	// Renewing it brings it back.
	if err := s.SessionCommit(ctx, "old", []byte("renewed"), now.Add(time.Hour)); err != nil {
		t.Fatalf("SessionCommit renewing: %v", err)
	}
	if got, found, _ := s.SessionFind(ctx, "old"); !found || string(got) != "renewed" {
		t.Errorf("renewed session: %q, %v", got, found)
	}

	// Delete removes one session only.
	if err := s.SessionDelete(ctx, "t1"); err != nil {
		t.Fatalf("SessionDelete: %v", err)
	}
	if _, found, _ := s.SessionFind(ctx, "t1"); found {
		t.Errorf("deleted session still found")
	}
	if _, found, _ := s.SessionFind(ctx, "old"); !found {
		t.Errorf("SessionDelete removed another session")
	}

	// DeleteExpired removes what expired at or before the time given, and
	// nothing else. Sessions are committed with expiries relative to a
	// time in the future, so that they are live for SessionFind.
	later := now.Add(24 * time.Hour)
	for name, exp := range map[string]time.Time{
		"x-before": later.Add(-time.Minute), "x-at": later, "x-after": later.Add(time.Microsecond),
	} {
		if err := s.SessionCommit(ctx, name, []byte(name), exp); err != nil {
			t.Fatalf("SessionCommit %s: %v", name, err)
		}
	}
	if err := s.SessionDeleteExpired(ctx, later); err != nil {
		t.Fatalf("SessionDeleteExpired: %v", err)
	}
	for name, want := range map[string]bool{"x-before": false, "x-at": false, "x-after": true, "old": false, "empty": false} {
		// "old" and "empty" expire within the hour: before later.
		if _, found, err := s.SessionFind(ctx, name); err != nil || found != want {
			t.Errorf("after SessionDeleteExpired: %s found %v (error %v), want %v", name, found, err, want)
		}
	}
}

// testRequestStamp: every change to a request moves its stamp (guarded
// writes, events about it, upload bookkeeping); changes to other requests
// do not.
func testRequestStamp(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.RequestStamp(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stamp of a missing request: %v, want ErrNotFound", err)
	}
	create(t, s, newRequest("r1", "ws", "alice", 0))
	create(t, s, newRequest("r2", "ws", "bob", 0))
	stamp := func() store.Stamp {
		t.Helper()
		st, err := s.RequestStamp(ctx, "r1")
		if err != nil {
			t.Fatalf("stamp: %v", err)
		}
		return st
	}
	event := func(request string) domain.Event {
		return domain.Event{Type: domain.EventRequestFileView, User: "alice", Workspace: "ws", Request: request, CreatedAt: at(1), Extra: map[string]string{}}
	}
	prev := stamp()
	if prev.Version != get(t, s, "r1").Version {
		t.Fatalf("stamp version %d, request version %d", prev.Version, get(t, s, "r1").Version)
	}
	steps := []struct {
		name    string
		changes bool
		fn      func(ctx context.Context, tx store.Tx) error
	}{
		{"event of another request", false, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.AppendEvent(ctx, event("r2"))
			return err
		}},
		{"guarded change of another request", false, func(ctx context.Context, tx store.Tx) error {
			return tx.GuardRequest(ctx, "r2", get(t, s, "r2").Version)
		}},
		{"event of the request", true, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.AppendEvent(ctx, event("r1"))
			return err
		}},
		{"guarded change", true, func(ctx context.Context, tx store.Tx) error {
			if err := tx.GuardRequest(ctx, "r1", get(t, s, "r1").Version); err != nil {
				return err
			}
			if err := tx.InsertFile(ctx, "r1", file("a.csv", "default")); err != nil {
				return err
			}
			return tx.SetFileReleased(ctx, "r1", "a.csv", at(2), "checker")
		}},
		{"upload attempt", true, func(ctx context.Context, tx store.Tx) error {
			return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(3))
		}},
		{"uploaded", true, func(ctx context.Context, tx store.Tx) error {
			return tx.SetFileUploaded(ctx, "r1", "a.csv", at(5))
		}},
	}
	for _, step := range steps {
		mustTx(t, s, step.fn)
		now := stamp()
		if changed := now != prev; changed != step.changes {
			t.Errorf("%s: stamp %+v -> %+v, changed %v, want %v", step.name, prev, now, changed, step.changes)
		}
		if now.Version < prev.Version || now.LastEvent < prev.LastEvent {
			t.Errorf("%s: stamp went back: %+v -> %+v", step.name, prev, now)
		}
		prev = now
	}
}

// testChecksOverride: an override is recorded, cleared, and gone when the
// file is inserted again (updated).
func testChecksOverride(t *testing.T, s store.Store) {
	create(t, s, newRequest("r1", "ws", "alice", 0))
	f := file("a.csv", "default")
	f.Checks = []checks.Finding{{Rule: checks.RuleUnrounded, Severity: checks.SeverityBlocking, Message: "not rounded", Cells: [][2]int{{2, 3}}}}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error { return tx.InsertFile(ctx, "r1", f) })
	o := &domain.ChecksOverride{Justification: "Rates, not counts.", By: "alice", At: at(5)}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error { return tx.SetChecksOverride(ctx, "r1", "a.csv", o) })
	got, _ := get(t, s, "r1").File("a.csv")
	if diff := cmp.Diff(o, got.Override); diff != "" {
		t.Errorf("override (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(f.Checks, got.Checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	_, one, err := s.GetRequestFile(t.Context(), "r1", "a.csv")
	if err != nil || one.Override == nil || len(one.Checks) != 1 {
		t.Errorf("GetRequestFile: %v %+v %+v", err, one.Override, one.Checks)
	}
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error { return tx.SetChecksOverride(ctx, "r1", "nope.csv", o) })
	wantErr(t, "override of a missing file", err, store.ErrNotFound)
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error { return tx.SetChecksOverride(ctx, "r1", "a.csv", nil) })
	if got, _ := get(t, s, "r1").File("a.csv"); got.Override != nil {
		t.Errorf("override not cleared: %+v", got.Override)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error { return tx.SetChecksOverride(ctx, "r1", "a.csv", o) })
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteFile(ctx, "r1", "a.csv"); err != nil {
			return err
		}
		f.Checks = []checks.Finding{}
		return tx.InsertFile(ctx, "r1", f)
	})
	if got, _ := get(t, s, "r1").File("a.csv"); got.Override != nil || len(got.Checks) != 0 {
		t.Errorf("the file inserted again kept its override or findings: %+v %+v", got.Override, got.Checks)
	}
}

// testReleasedFiles: released files of a workspace, with their paths,
// oldest release first; other workspaces and unreleased files not.
func testReleasedFiles(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newRequest("r1", "ws", "alice", 0))
	create(t, s, newRequest("r2", "other", "alice", 1))
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		for _, p := range []string{"b.csv", "a.csv", "c.csv"} {
			if err := tx.InsertFile(ctx, "r1", file(p, "default")); err != nil {
				return err
			}
		}
		if err := tx.SetFileReleased(ctx, "r1", "b.csv", at(1), "c"); err != nil {
			return err
		}
		return tx.SetFileReleased(ctx, "r1", "a.csv", at(2), "c")
	})
	mustGuarded(t, s, "r2", func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertFile(ctx, "r2", file("x.csv", "default")); err != nil {
			return err
		}
		return tx.SetFileReleased(ctx, "r2", "x.csv", at(0), "c")
	})
	got, err := s.ReleasedFiles(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ReleasedFile{
		{Relpath: "b.csv", FileID: file("b.csv", "default").FileID, ReleasedAt: at(1)},
		{Relpath: "a.csv", FileID: file("a.csv", "default").FileID, ReleasedAt: at(2)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReleasedFiles (-want +got):\n%s", diff)
	}
	if got, err := s.ReleasedFiles(ctx, "none"); err != nil || len(got) != 0 {
		t.Errorf("ReleasedFiles of an unknown workspace: %v %v", got, err)
	}
}

func testFileVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newRequest("r1", "ws", "alice", 0))
	create(t, s, newRequest("r2", "other", "alice", 0))
	if vs, err := s.FileVersions(ctx, "r1", "a.csv"); err != nil || vs == nil || len(vs) != 0 {
		t.Fatalf("FileVersions of a path never added = %#v, %v; want an empty list", vs, err)
	}
	hash := func(n int) string { return fmt.Sprintf("%064x", n) }
	add := func(id, relpath string, n int, sha string) domain.FileVersion {
		t.Helper()
		var got domain.FileVersion
		mustGuarded(t, s, id, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.AddFileVersion(ctx, id, relpath, domain.FileVersion{
				Ordinal: 99, FileID: sha, Size: int64(100 + n), Timestamp: 1709285415.5 + float64(n),
				Commit: "c" + strconv.Itoa(n), JobID: "job-" + strconv.Itoa(n), AddedBy: "alice", AddedAt: at(n)})
			return err
		})
		return got
	}
	v1 := add("r1", "a.csv", 1, hash(1))
	v2 := add("r1", "a.csv", 2, hash(2))
	same := add("r1", "a.csv", 3, hash(2)) // the same content again: no new version
	v3 := add("r1", "a.csv", 4, hash(1))   // content may come back
	add("r1", "b.csv", 5, hash(5))
	add("r2", "a.csv", 6, hash(6))
	want := []domain.FileVersion{
		{Ordinal: 1, FileID: hash(1), Size: 101, Timestamp: 1709285416.5, Commit: "c1", JobID: "job-1", AddedBy: "alice", AddedAt: at(1)},
		{Ordinal: 2, FileID: hash(2), Size: 102, Timestamp: 1709285417.5, Commit: "c2", JobID: "job-2", AddedBy: "alice", AddedAt: at(2)},
		{Ordinal: 3, FileID: hash(1), Size: 104, Timestamp: 1709285419.5, Commit: "c4", JobID: "job-4", AddedBy: "alice", AddedAt: at(4)},
	}
	if diff := cmp.Diff(want, []domain.FileVersion{v1, v2, v3}); diff != "" {
		t.Errorf("AddFileVersion results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1], same); diff != "" {
		t.Errorf("AddFileVersion of the latest content again (-want +got):\n%s", diff)
	}
	got, err := s.FileVersions(ctx, "r1", "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FileVersions (-want +got):\n%s", diff)
	}
	if got, _ := s.FileVersions(ctx, "r1", "b.csv"); len(got) != 1 || got[0].Ordinal != 1 {
		t.Errorf("versions of another path: %#v, want one, numbered 1", got)
	}
	all, err := s.RequestVersions(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, all["a.csv"]); diff != "" || len(all) != 2 || len(all["b.csv"]) != 1 {
		t.Errorf("RequestVersions: %d paths; a.csv (-want +got):\n%s", len(all), diff)
	}
	if all, err := s.RequestVersions(ctx, "none"); err != nil || len(all) != 0 {
		t.Errorf("RequestVersions of no request = %v, %v", all, err)
	}

	// A version written in a transaction that fails is not kept.
	err = guarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.AddFileVersion(ctx, "r1", "a.csv", domain.FileVersion{FileID: hash(9), AddedBy: "alice", AddedAt: at(9)}); err != nil {
			return err
		}
		return errors.New("boom")
	})
	if err == nil {
		t.Fatal("the failing transaction succeeded")
	}
	if got, _ := s.FileVersions(ctx, "r1", "a.csv"); len(got) != 3 {
		t.Errorf("after a rolled back version: %d versions, want 3", len(got))
	}

	// Every version's content is still needed (for gc), even once the
	// file is gone from the request; another workspace's are not.
	ids, err := s.FileIDs(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{hash(1): true, hash(2): true, hash(5): true}, ids); diff != "" {
		t.Errorf("FileIDs with versions (-want +got):\n%s", diff)
	}
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r1", file("c.csv", "default"))
	})
	ids, _ = s.FileIDs(ctx, "ws")
	if !ids[file("c.csv", "default").FileID] || !ids[hash(2)] {
		t.Errorf("FileIDs = %v: want the files' and the versions' hashes", ids)
	}
}

func testReviewedVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newRequest("r1", "ws", "alice", 0))
	f := file("a.csv", "default")
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		return tx.InsertFile(ctx, "r1", f)
	})
	_, err := s.ReviewedVersion(ctx, "r1", "a.csv", "bob")
	wantErr(t, "ReviewedVersion before any vote", err, store.ErrNotFound)

	vote := func(n int) {
		t.Helper()
		mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
			return tx.PutReview(ctx, "r1", "a.csv", domain.Review{Reviewer: "bob", Vote: domain.VoteApproved, CreatedAt: at(n), UpdatedAt: at(n), ReviewTurn: 1})
		})
	}
	vote(1)
	got, err := s.ReviewedVersion(ctx, "r1", "a.csv", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(domain.ReviewedVersion{Reviewer: "bob", FileID: f.FileID, VotedAt: at(1)}, got); diff != "" {
		t.Errorf("ReviewedVersion (-want +got):\n%s", diff)
	}

	// The file is updated: the vote goes, what it was cast on stays.
	g := f
	g.FileID = fmt.Sprintf("%064x", 42)
	mustGuarded(t, s, "r1", func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteReview(ctx, "r1", "a.csv", "bob"); err != nil {
			return err
		}
		if err := tx.DeleteFile(ctx, "r1", "a.csv"); err != nil {
			return err
		}
		return tx.InsertFile(ctx, "r1", g)
	})
	got, err = s.ReviewedVersion(ctx, "r1", "a.csv", "bob")
	if err != nil || got.FileID != f.FileID {
		t.Errorf("ReviewedVersion after the update = %+v, %v; want the old content %s", got, err, f.FileID)
	}
	// A vote on the new content moves it.
	vote(2)
	got, _ = s.ReviewedVersion(ctx, "r1", "a.csv", "bob")
	if got.FileID != g.FileID || !got.VotedAt.Equal(at(2)) {
		t.Errorf("ReviewedVersion after a new vote = %+v; want %s at %v", got, g.FileID, at(2))
	}
	_, err = s.ReviewedVersion(ctx, "r1", "a.csv", "carol")
	wantErr(t, "ReviewedVersion of another reviewer", err, store.ErrNotFound)
}
