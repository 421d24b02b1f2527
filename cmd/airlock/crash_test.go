package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/sqlite"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// buildAirlock compiles the binary for tests that run it as a process.
func buildAirlock(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "airlock")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// approvedRequest writes a workspace of n random files and takes a
// request of all of them to APPROVED through the service, releasing to
// the fake job-server. It returns the request id and each file's bytes.
func approvedRequest(t *testing.T, work, wsDir string, js *jobservertest.Server, n int) (string, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	w := testkit.NewDiskWorkspace(t, wsDir, "ws")
	content := map[string][]byte{}
	var files []service.AddFile
	for i := range n {
		b := make([]byte, 64<<10)
		rand.Read(b)
		p := fmt.Sprintf("output/f%02d.csv", i)
		w.Output(p, string(b), nil)
		content[p] = b
		files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	w.Save()
	st, err := sqlite.Open(ctx, filepath.Join(work, "airlock.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := blobstore.New(filepath.Join(work, "requests"))
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	svc := service.New(service.Config{
		Store: st, Workspaces: workspace.NewReader(wsDir), Blobs: blobs, Logger: discardLogger(),
		Releaser: release.NewJobServer(js.URL(), "api-secret", blobs, nil),
	})
	author := testkit.NewUser("researcher", testkit.Researcher, "ws")
	c1, c2 := testkit.NewUser("c1", testkit.Checker), testkit.NewUser("c2", testkit.Checker)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []domain.User{author, c1, c2} {
		must(svc.PutUser(ctx, testkit.UserJSON(u)))
	}
	r, err := svc.AddFiles(ctx, author, "ws", "g", files)
	must(r, err)
	_, _, err = svc.EditGroup(ctx, author, r.ID, "g", "ctx", "ctl")
	must(nil, err)
	must(svc.Submit(ctx, author, r.ID))
	for _, c := range []domain.User{c1, c2} {
		for _, f := range files {
			must(svc.Vote(ctx, c, r.ID, f.Path, domain.VoteApproved))
		}
		must(svc.SubmitReview(ctx, c, r.ID))
	}
	must(svc.Release(ctx, c1, r.ID))
	return r.ID, content
}

// status reads a request's status from the database on disk.
func status(t *testing.T, work, id string) domain.Status {
	t.Helper()
	return storedRequest(t, work, id).Status
}

// TestUploaderSurvivesKill9 kills the worker with SIGKILL in the middle
// of uploads to a job-server that fails, stalls and drops answers after
// storing, then starts it again: every file ends uploaded once with the
// bytes that were reviewed, and the request reaches RELEASED.
func TestUploaderSurvivesKill9(t *testing.T) {
	bin := buildAirlock(t)
	js := jobservertest.New(t, "api-secret")
	work := t.TempDir()
	wsDir := filepath.Join(work, "workspaces")
	const n = 40
	id, content := approvedRequest(t, work, wsDir, js, n)
	// After approval a job rewrites the files: uploads must use the stored copies.
	for p := range content {
		os.WriteFile(filepath.Join(wsDir, "ws", filepath.FromSlash(p)), []byte("changed after review"), 0o644)
	}
	js.StallUploads(40 * time.Millisecond)
	js.FailNextOn("upload", 500, 6)
	js.DropAfterStore(4)

	var logs testkit.SyncBuffer
	defer func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", logs.String())
		}
	}()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "worker")
		cmd.Env = append(os.Environ(),
			"AIRLOCK_WORK_DIR="+work, "AIRLOCK_WORKSPACE_DIR="+wsDir,
			"AIRLOCK_API_TOKEN=api-secret", "AIRLOCK_API_ENDPOINT="+js.URL(),
			"AIRLOCK_UPLOAD_DELAY=0.05", "AIRLOCK_UPLOAD_RETRY_DELAY=0.1", "AIRLOCK_UPLOAD_LEASE=1s",
			"AIRLOCK_LOG_LEVEL=warn")
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	deadline := time.Now().Add(60 * time.Second)
	for len(js.Uploaded(id)) < n/4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := len(js.Uploaded(id)); got == 0 || got == n {
		first.Process.Kill()
		t.Fatalf("%d of %d files uploaded when the worker was to be killed", got, n)
	}
	first.Process.Kill() // SIGKILL: no clean-up of any kind
	first.Wait()

	second := start()
	for status(t, work, id) != domain.StatusReleased && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	second.Process.Signal(os.Interrupt) // a clean stop sends what is queued
	second.Wait()
	released := false
	for _, ev := range js.Events() {
		released = released || (ev.EventType == "request_released" && ev.Request == id && ev.User == "c1")
	}
	if !released {
		t.Errorf("job-server was not told of the release: %+v", js.Events())
	}
	if got := status(t, work, id); got != domain.StatusReleased {
		t.Fatalf("request %s after the restart, %d of %d files uploaded", got, len(js.Uploaded(id)), n)
	}
	uploaded := js.Uploaded(id)
	for p, want := range content {
		if string(uploaded[p]) != string(want) {
			t.Errorf("%s: uploaded %d bytes that are not the reviewed copy", p, len(uploaded[p]))
		}
		if c := js.UploadCount(id, p); c != 1 {
			t.Errorf("%s stored %d times", p, c)
		}
	}
	if c := js.Conflicts(); len(c) != 0 {
		t.Errorf("uploads with different bytes: %v", c)
	}
	code, out, errOut := airlock(t, "", "audit", "verify", "--work-dir", work)
	if code != 0 {
		t.Errorf("audit chain after the crash: %s %s", out, errOut)
	}
}

// worker starts the binary as a worker on work and wsDir, uploading to
// js, with the extra environment settings; its log goes to logs.
func worker(t *testing.T, bin, work, wsDir string, js *jobservertest.Server, logs *testkit.SyncBuffer, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(),
		"AIRLOCK_WORK_DIR="+work, "AIRLOCK_WORKSPACE_DIR="+wsDir,
		"AIRLOCK_API_TOKEN=api-secret", "AIRLOCK_API_ENDPOINT="+js.URL(),
		"AIRLOCK_UPLOAD_DELAY=0.05", "AIRLOCK_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// stalledUploads counts the uploads job-server holds open: the upload
// calls it received, less the files it stored (no upload is refused in
// these tests).
func stalledUploads(js *jobservertest.Server, id string, content map[string][]byte) int {
	calls := 0
	for _, c := range js.Calls() {
		if c.Route == jobservertest.RouteUpload {
			calls++
		}
	}
	stored := 0
	for p := range content {
		stored += js.UploadCount(id, p)
	}
	return calls - stored
}

// waitFor polls cond every 20 ms until it holds or the deadline passes.
func waitFor(deadline time.Time, cond func() bool) bool {
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// checkUploadedOnce checks that job-server holds every file once, with the
// bytes that were reviewed.
func checkUploadedOnce(t *testing.T, js *jobservertest.Server, id string, content map[string][]byte) {
	t.Helper()
	uploaded := js.Uploaded(id)
	for p, want := range content {
		if string(uploaded[p]) != string(want) {
			t.Errorf("%s: uploaded %d bytes that are not the reviewed copy", p, len(uploaded[p]))
		}
		if c := js.UploadCount(id, p); c != 1 {
			t.Errorf("%s stored %d times", p, c)
		}
	}
	if c := js.Conflicts(); len(c) != 0 {
		t.Errorf("uploads with different bytes: %v", c)
	}
}

// TestUploadsResumeSoonAfterKill9 kills the worker with SIGKILL while
// job-server holds its uploads open, then starts it again with the
// default lease: the files the dead worker held are taken over once their
// leases run out (30 seconds), and the request is RELEASED within the
// 60 seconds the issue asks (a generous bound: with the old 10-minute
// lease it took over 10 minutes), every file uploaded once with the
// reviewed bytes.
func TestUploadsResumeSoonAfterKill9(t *testing.T) {
	bin := buildAirlock(t)
	js := jobservertest.New(t, "api-secret")
	work := t.TempDir()
	wsDir := filepath.Join(work, "workspaces")
	const n = 12
	id, content := approvedRequest(t, work, wsDir, js, n)
	js.StallUploads(time.Hour)

	var logs testkit.SyncBuffer
	defer func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", logs.String())
		}
	}()
	first := worker(t, bin, work, wsDir, js, &logs)
	if !waitFor(time.Now().Add(60*time.Second), func() bool { return stalledUploads(js, id, content) >= 4 }) {
		t.Fatalf("the worker never had 4 uploads under way: %d", stalledUploads(js, id, content))
	}
	first.Process.Kill() // SIGKILL mid-upload: the leases stay in the database
	first.Wait()
	js.StallUploads(0)

	restarted := time.Now()
	second := worker(t, bin, work, wsDir, js, &logs)
	released := waitFor(restarted.Add(60*time.Second), func() bool { return status(t, work, id) == domain.StatusReleased })
	took := time.Since(restarted)
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()
	if !released {
		t.Fatalf("request %s %v after the restart, %d of %d files uploaded", status(t, work, id), took, len(js.Uploaded(id)), n)
	}
	t.Logf("from restart to RELEASED: %v (default lease %v)", took.Round(100*time.Millisecond), release.DefaultUploadLease)
	checkUploadedOnce(t, js, id, content)
}

// TestSIGTERMGivesUploadsBack stops the worker with SIGTERM while
// job-server holds uploads open: it stops at once, cutting them short,
// records none of them as uploaded, and gives their files back due at
// once. A worker started next with a 10-minute lease uploads them
// straight away (it would wait out the leases otherwise), each once.
func TestSIGTERMGivesUploadsBack(t *testing.T) {
	bin := buildAirlock(t)
	js := jobservertest.New(t, "api-secret")
	work := t.TempDir()
	wsDir := filepath.Join(work, "workspaces")
	const n = 40
	id, content := approvedRequest(t, work, wsDir, js, n)

	var logs testkit.SyncBuffer
	defer func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", logs.String())
		}
	}()
	first := worker(t, bin, work, wsDir, js, &logs, "AIRLOCK_UPLOAD_LEASE=10m", "AIRLOCK_UPLOAD_RETRY_DELAY=3600")
	// Some files go up, then job-server holds the next uploads open.
	if !waitFor(time.Now().Add(60*time.Second), func() bool { return len(js.Uploaded(id)) >= 4 }) {
		t.Fatalf("no uploads: %d", len(js.Uploaded(id)))
	}
	js.StallUploads(time.Hour)
	if !waitFor(time.Now().Add(60*time.Second), func() bool { return stalledUploads(js, id, content) >= 4 }) {
		t.Fatalf("the worker never had 4 uploads held open: %d", stalledUploads(js, id, content))
	}
	first.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("worker stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not stop within 30 seconds of SIGTERM")
	}
	stopped := time.Now()

	// Nothing recorded that job-server did not confirm; every file held
	// when the worker stopped is due again at once, with no error.
	r := storedRequest(t, work, id)
	attempted, interrupted := 0, 0
	for _, f := range r.OutputFiles() {
		stored := js.UploadCount(id, f.Relpath)
		if f.Uploaded && stored != 1 {
			t.Errorf("%s recorded as uploaded, job-server stored it %d times", f.Relpath, stored)
		}
		if f.UploadAttempts > 0 {
			attempted++
		}
		if f.Uploaded || f.UploadAttempts == 0 {
			continue
		}
		interrupted++
		if f.UploadNextAt == nil || f.UploadNextAt.After(stopped) || f.UploadError != "" {
			t.Errorf("%s after SIGTERM: next attempt %v, error %q; want at once (before %v), none", f.Relpath, f.UploadNextAt, f.UploadError, stopped)
		}
	}
	if interrupted < 4 {
		t.Errorf("%d files were being uploaded at SIGTERM (of %d attempted), want at least 4", interrupted, attempted)
	}
	if got := status(t, work, id); got != domain.StatusApproved {
		t.Fatalf("request %s after SIGTERM", got)
	}

	js.StallUploads(0)
	second := worker(t, bin, work, wsDir, js, &logs, "AIRLOCK_UPLOAD_LEASE=10m", "AIRLOCK_UPLOAD_RETRY_DELAY=3600")
	released := waitFor(time.Now().Add(60*time.Second), func() bool { return status(t, work, id) == domain.StatusReleased })
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()
	if !released {
		t.Fatalf("request %s a minute after the restart, %d of %d files uploaded", status(t, work, id), len(js.Uploaded(id)), n)
	}
	checkUploadedOnce(t, js, id, content)
}
