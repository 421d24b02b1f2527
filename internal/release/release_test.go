package release_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// withReleaser rebuilds the Env's service around a release target.
func withReleaser(e *testkit.Env, target service.Releaser) {
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Releaser: target, Notifier: e.Notes, Now: e.Clock.Now, Logger: quiet,
	})
}

// drain runs uploader steps until nothing is due, then one more to
// finish releases.
func drain(t *testing.T, u *release.Uploader, owner string) {
	t.Helper()
	for range 1000 {
		did, err := u.Step(context.Background(), owner)
		if err != nil {
			t.Logf("step: %v", err)
		}
		if !did && err == nil {
			return
		}
	}
	t.Fatal("the uploader never ran out of work")
}

func TestReleaseToAFolder(t *testing.T) {
	e := testkit.NewEnv(t)
	dir := t.TempDir()
	folder := release.NewFolder(dir, e.Files)
	withReleaser(e, folder)
	e.Pending(e.Author, "out/a.csv", "out/tables/b.csv")
	e.Files.Write(testkit.Workspace, "out/notes.txt", "supporting")
	r := e.R(e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", []service.AddFile{{Path: "out/notes.txt", FileType: domain.FileSupporting}}))
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	r = e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	if r.Status != domain.StatusApproved {
		t.Fatalf("status %s", r.Status)
	}
	releaseDir := filepath.Join(dir, testkit.Workspace, r.ID)
	raw, err := os.ReadFile(filepath.Join(releaseDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files []struct {
			Name   string `json:"name"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || len(m.Files) != 2 {
		t.Fatalf("manifest %s: %v", raw, err)
	}
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: folder, Copies: e.Files, Logger: quiet})
	drain(t, u, "w1")
	r = e.Get(r.ID)
	if r.Status != domain.StatusReleased {
		t.Fatalf("after uploads: %s", r.Status)
	}
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(releaseDir, filepath.FromSlash(f.Name)))
		sum := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: %v, hash mismatch", f.Name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(releaseDir, "out", "notes.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a supporting file was released")
	}
	events, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, domain.EventRequestFileUpload))
	e.OK(err)
	if len(events) != 2 || events[0].User != "c1" {
		t.Errorf("upload events %+v", events)
	}
}

// flaky is a target that fails the first failures uploads of each file
// and counts what it received.
type flaky struct {
	mu       sync.Mutex
	failures int
	tries    map[string]int
	got      map[string][]byte
	inFlight map[string]bool
	overlap  bool
}

func newFlaky(failures int) *flaky {
	return &flaky{failures: failures, tries: map[string]int{}, got: map[string][]byte{}, inFlight: map[string]bool{}}
}

func (f *flaky) CreateRelease(context.Context, *domain.Request, []domain.RequestFile, string) error {
	return nil
}

func (f *flaky) Upload(ctx context.Context, r *domain.Request, rf domain.RequestFile, user string, content io.Reader) error {
	f.mu.Lock()
	if f.inFlight[rf.Relpath] {
		f.overlap = true
	}
	f.inFlight[rf.Relpath] = true
	f.tries[rf.Relpath]++
	fail := f.tries[rf.Relpath] <= f.failures
	f.mu.Unlock()
	b, err := io.ReadAll(content)
	time.Sleep(time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight[rf.Relpath] = false
	if fail {
		return errors.New("job-server is having a bad day")
	}
	if err != nil {
		return err
	}
	if old, ok := f.got[rf.Relpath]; ok && string(old) != string(b) {
		f.overlap = true
	}
	f.got[rf.Relpath] = b
	return nil
}

func TestUploadsRetryWithBackOff(t *testing.T) {
	e := testkit.NewEnv(t)
	target := newFlaky(2)
	withReleaser(e, target)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet, RetryDelay: time.Minute})
	drain(t, u, "w1")
	f, _ := e.Get(r.ID).File("out/a.csv")
	if f.UploadAttempts != 1 || f.Uploaded {
		t.Fatalf("after the first failure: %+v", f)
	}
	// Not due again until the retry delay has passed...
	e.Clock.Advance(30 * time.Second)
	drain(t, u, "w1")
	if f, _ := e.Get(r.ID).File("out/a.csv"); f.UploadAttempts != 1 {
		t.Fatalf("retried before its time: %d attempts", f.UploadAttempts)
	}
	// ...then after one minute, then after two more.
	e.Clock.Advance(31 * time.Second)
	drain(t, u, "w1")
	e.Clock.Advance(61 * time.Second)
	drain(t, u, "w1")
	if f, _ := e.Get(r.ID).File("out/a.csv"); f.UploadAttempts != 2 {
		t.Fatalf("the second retry came before its doubled delay: %d attempts", f.UploadAttempts)
	}
	e.Clock.Advance(60 * time.Second)
	drain(t, u, "w1")
	r = e.Get(r.ID)
	if f, _ := r.File("out/a.csv"); f.UploadAttempts != 3 || !f.Uploaded || r.Status != domain.StatusReleased {
		t.Fatalf("after the third attempt: %+v, request %s", f, r.Status)
	}
}

func TestUploadersNeverShareAFile(t *testing.T) {
	e := testkit.NewEnv(t)
	target := newFlaky(0)
	withReleaser(e, target)
	var paths []string
	for i := range 30 {
		paths = append(paths, "out/f"+string(rune('a'+i%26))+string(rune('a'+i/26))+".csv")
	}
	r := e.Pending(e.Author, paths...)
	r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	a := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet, Workers: 3, Poll: 10 * time.Millisecond})
	b := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet, Workers: 3, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, u := range []*release.Uploader{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); u.Run(ctx) }()
	}
	for e.Get(r.ID).Status != domain.StatusReleased && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if e.Get(r.ID).Status != domain.StatusReleased {
		t.Fatal("never released")
	}
	target.mu.Lock()
	defer target.mu.Unlock()
	if target.overlap {
		t.Error("two uploaders held the same file at once")
	}
	for _, p := range paths {
		if target.tries[p] != 1 {
			t.Errorf("%s uploaded %d times", p, target.tries[p])
		}
	}
}
