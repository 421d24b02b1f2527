package service_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestReadsNeverStale: reads go through a cache of requests; every kind
// of change, made through this service or through another one on the
// same database (another node), shows in the next read, and changing what
// a read returned does not change the next read.
func TestReadsNeverStale(t *testing.T) {
	e := testkit.NewEnv(t)
	other := service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Now: e.Clock.Now})
	r := e.Submitted(e.Author)
	read := func() (*domain.Request, []domain.Event) {
		t.Helper()
		got, st, err := e.Svc.GetRequestStamped(e.Ctx, e.C1, r.ID)
		e.OK(err)
		events, err := e.Svc.VisibleEventsAt(e.Ctx, e.C1, got, st)
		e.OK(err)
		return got, events
	}
	got, _ := read()
	// Change what was returned, everywhere: the cache must not care.
	got.Status = domain.StatusRejected
	got.Files[0].Relpath = "changed"
	got.Groups = nil
	if again, _ := read(); again.Status != domain.StatusSubmitted || again.Files[0].Relpath == "changed" || len(again.Groups) == 0 {
		t.Fatalf("a change to a read request leaked into the cache: %+v", again)
	}

	steps := []struct {
		name  string
		do    func()
		check func(r *domain.Request, events []domain.Event) bool
	}{
		{"vote through another node", func() {
			_, err := other.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", domain.VoteApproved)
			e.OK(err)
		}, func(r *domain.Request, _ []domain.Event) bool {
			f, _ := r.File("out/a.csv")
			return f.Reviews["c1"].Vote == domain.VoteApproved
		}},
		{"comment through this node", func() {
			_, err := e.Svc.CreateComment(e.Ctx, e.C1, r.ID, "g", "looks fine", domain.VisibilityPrivate)
			e.OK(err)
		}, func(r *domain.Request, _ []domain.Event) bool {
			return len(r.Comments) == 1 && r.Comments[0].Text == "looks fine"
		}},
		{"file viewed (an event only)", func() {
			e.OK(other.RecordRequestFileView(e.Ctx, e.C1, r.ID, "out/a.csv", false))
		}, func(_ *domain.Request, ev []domain.Event) bool {
			return hasEvent(ev, domain.EventRequestFileView)
		}},
	}
	for _, s := range steps {
		s.do()
		got, events := read()
		if !s.check(got, events) {
			t.Errorf("%s: not seen by the next read", s.name)
		}
	}

	// Upload bookkeeping changes no status and writes no event for a
	// failed attempt; the next read still sees it.
	a := e.Approved(e.Colleague)
	e.R(e.Svc.GetRequest(e.Ctx, e.C1, a.ID)) // cache it
	out := a.OutputFiles()[0]
	_, _, err := other.RecordUploadAttempt(e.Ctx, a.ID, out.Relpath, time.Minute)
	e.OK(err)
	after := e.R(e.Svc.GetRequest(e.Ctx, e.C1, a.ID))
	if f, _ := after.File(out.Relpath); f.UploadAttempts != 1 {
		t.Errorf("upload attempt not seen by the next read: %d attempts", f.UploadAttempts)
	}
}

func hasEvent(events []domain.Event, t domain.EventType) bool {
	for _, e := range events {
		if e.Type == t {
			return true
		}
	}
	return false
}

// TestReadsNeverStaleUnderConcurrentWrites: readers racing writers
// through two services on one database (two nodes) never get a request
// older than one a write already returned.
func TestReadsNeverStaleUnderConcurrentWrites(t *testing.T) {
	e := testkit.NewEnv(t)
	other := service.New(service.Config{Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Now: e.Clock.Now})
	r := e.Submitted(e.Author)
	var written atomic.Int64 // the newest version a write has returned
	written.Store(r.Version)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, svc := range []*service.Service{e.Svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				floor := written.Load()
				got, err := svc.GetRequest(e.Ctx, e.C1, r.ID)
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if got.Version < floor {
					t.Errorf("read version %d after a write returned version %d", got.Version, floor)
					return
				}
			}
		}()
	}
	votes := []domain.Vote{domain.VoteApproved, domain.VoteChangesRequested}
	for i := range 40 {
		svc := []*service.Service{e.Svc, other}[i%2]
		got, err := svc.Vote(e.Ctx, e.C1, r.ID, "out/a.csv", votes[i%2])
		if err != nil {
			t.Fatalf("vote %d: %v", i, err)
		}
		for v := written.Load(); got.Version > v && !written.CompareAndSwap(v, got.Version); v = written.Load() {
		}
	}
	close(done)
	wg.Wait()
}
