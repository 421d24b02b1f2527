package release_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// gate is a target whose uploads block until the test opens the gate (or
// the upload's context ends), and that counts the uploads that began and
// those that were cut short. With onlyFirst, only the first upload blocks.
type gate struct {
	open      chan struct{}
	started   chan string // receives the path of each upload that begins
	onlyFirst bool
	calls     int

	mu     sync.Mutex
	tries  map[string]int
	cut    map[string]int
	stored map[string][]byte
}

func newGate() *gate {
	return &gate{
		open: make(chan struct{}), started: make(chan string, 100),
		tries: map[string]int{}, cut: map[string]int{}, stored: map[string][]byte{},
	}
}

func (g *gate) CreateRelease(context.Context, *domain.Request, []domain.RequestFile, string) error {
	return nil
}

func (g *gate) Upload(ctx context.Context, _ *domain.Request, f domain.RequestFile, _ string, content io.Reader) error {
	g.mu.Lock()
	g.tries[f.Relpath]++
	g.calls++
	block := g.calls == 1 || !g.onlyFirst
	g.mu.Unlock()
	g.started <- f.Relpath
	if !block {
		return keep(g, f.Relpath, content)
	}
	select {
	case <-g.open:
	case <-ctx.Done():
		g.mu.Lock()
		g.cut[f.Relpath]++
		g.mu.Unlock()
		return ctx.Err()
	}
	return keep(g, f.Relpath, content)
}

func keep(g *gate, path string, content io.Reader) error {
	b, err := io.ReadAll(content)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stored[path] = b
	return nil
}

func (g *gate) counts(path string) (tries, cut int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tries[path], g.cut[path]
}

// realTimeService rebuilds the Env's service on the wall clock, which
// leases need to run out in real time.
func realTimeService(e *testkit.Env, target service.Releaser) *service.Service {
	return service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Releaser: target, Notifier: e.Notes, Logger: quiet,
	})
}

// TestSlowUploadKeepsItsLease: an upload that lasts many lease periods
// keeps its file, because its heartbeat renews the lease: a second
// uploader polling all along never takes the file over, and the file is
// uploaded once.
func TestSlowUploadKeepsItsLease(t *testing.T) {
	e := testkit.NewEnv(t)
	target := newGate()
	target.onlyFirst = true
	withReleaser(e, target)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	svc := realTimeService(e, target)
	// 2 s: renewed every 667 ms, so that a renewal delayed by a loaded
	// machine (it was, by more than 1/3 s, with a 1 s lease) still lands
	// in time.
	const lease = 2 * time.Second
	cfg := release.UploaderConfig{Service: svc, Target: target, Copies: e.Files, Logger: quiet, Workers: 1, Poll: 20 * time.Millisecond, Lease: lease}
	slow, other := release.NewUploader(cfg), release.NewUploader(cfg)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { slow.Run(ctx) })
	path := <-target.started
	wg.Go(func() { other.Run(ctx) })
	// The second uploader polls for three lease periods (and the wall
	// clock passes them) while the first upload is held open.
	time.Sleep(3 * lease)
	if tries, _ := target.counts(path); tries != 1 {
		t.Fatalf("%s: %d uploads began while the first was still running; want 1", path, tries)
	}
	close(target.open)
	for e.Get(r.ID).Status != domain.StatusReleased && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if got := e.Get(r.ID).Status; got != domain.StatusReleased {
		t.Fatalf("request %s", got)
	}
	if tries, cut := target.counts(path); tries != 1 || cut != 0 {
		t.Errorf("%s: %d uploads, %d cut short; want 1, 0", path, tries, cut)
	}
}

// TestLostLeaseStopsTheUpload: an uploader whose lease another uploader
// has taken over learns it at its next renewal, stops its upload and
// records nothing; the new owner finishes the file.
func TestLostLeaseStopsTheUpload(t *testing.T) {
	e := testkit.NewEnv(t)
	target := newGate()
	withReleaser(e, target)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	svc := realTimeService(e, target)
	const lease = 150 * time.Millisecond
	reg := prometheus.NewRegistry()
	u := release.NewUploader(release.UploaderConfig{Service: svc, Target: target, Copies: e.Files, Logger: quiet, Lease: lease})
	reg.MustRegister(u.Collectors()...)

	done := make(chan error, 1)
	go func() {
		_, err := u.Step(context.Background(), "slow")
		done <- err
	}()
	path := <-target.started
	// The lease is taken from "slow" as if it had run out: another owner
	// now holds the file.
	ctx := context.Background()
	if err := e.Store.DropUploadLease(ctx, r.ID, path, "slow", store.UploadEnd{Due: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var stolen []string
	for len(stolen) == 0 || stolen[len(stolen)-1] != path {
		c, err := e.Store.ClaimUpload(ctx, "thief", time.Now(), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("takeover: %v", err)
		}
		stolen = append(stolen, c.Relpath)
	}
	select {
	case err := <-done:
		if !errors.Is(err, release.ErrLeaseLost) {
			t.Errorf("step: %v, want the lease lost", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the upload went on after its lease was lost")
	}
	if _, cut := target.counts(path); cut != 1 {
		t.Errorf("%s: %d uploads cut short; want 1", path, cut)
	}
	f, _ := e.Get(r.ID).File(path)
	if f.Uploaded || f.UploadError != "" {
		t.Errorf("the uploader that lost its lease recorded something: uploaded %v, error %q", f.Uploaded, f.UploadError)
	}
	if got := counter(t, reg, "airlock_uploads_total", "lease_lost"); got != 1 {
		t.Errorf("lease_lost outcomes %v, want 1", got)
	}
	// The new owner holds the file still: the loser did not give it back.
	if c, err := e.Store.ClaimUpload(ctx, "third", time.Now(), time.Now().Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the file was freed by the uploader that lost it: %+v %v", c, err)
	}
	// The new owner uploads it.
	close(target.open)
	for _, p := range stolen {
		if err := e.Store.DropUploadLease(ctx, r.ID, p, "thief", store.UploadEnd{Due: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	drain(t, release.NewUploader(release.UploaderConfig{Service: svc, Target: target, Copies: e.Files, Logger: quiet}), "next")
	if got := e.Get(r.ID).Status; got != domain.StatusReleased {
		t.Errorf("request %s", got)
	}
}

// counter reads a counter or gauge with one label value ("" for none).
func counter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := ""
			if ls := m.GetLabel(); len(ls) > 0 {
				got = ls[0].GetValue()
			}
			if got != label {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{%q}", name, label)
	return 0
}

// TestStopGivesUploadsBack: stopping an uploader cuts its uploads short
// and gives their files back due at once, recording nothing: another
// uploader takes them straight away, not after the lease or a back-off.
func TestStopGivesUploadsBack(t *testing.T) {
	e := testkit.NewEnv(t)
	target := newGate()
	withReleaser(e, target)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	reg := prometheus.NewRegistry()
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet,
		Lease: time.Hour, RetryDelay: time.Hour})
	reg.MustRegister(u.Collectors()...)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); u.Run(ctx) }()
	files := r.OutputFiles()
	for range files {
		<-target.started
	}
	stop()
	<-ran
	for _, f := range e.Get(r.ID).OutputFiles() {
		if f.Uploaded || f.UploadError != "" || f.UploadAttempts != 1 {
			t.Errorf("%s after the stop: uploaded %v, error %q, %d attempts; want false, none, 1", f.Relpath, f.Uploaded, f.UploadError, f.UploadAttempts)
		}
	}
	if got := counter(t, reg, "airlock_uploads_total", "interrupted"); got != float64(len(files)) {
		t.Errorf("interrupted outcomes %v, want %d", got, len(files))
	}
	if got := counter(t, reg, "airlock_uploads_total", "failed"); got != 0 {
		t.Errorf("failed outcomes %v, want 0", got)
	}
	// With the clock where it is (the lease of an hour and the back-off
	// of an hour both ahead), the files are free for anyone.
	for range files {
		if c, err := e.Store.ClaimUpload(context.Background(), "next", e.Clock.Now(), e.Clock.Now().Add(time.Minute)); err != nil {
			t.Fatalf("an interrupted file is not free at once: %+v %v", c, err)
		}
	}
}
