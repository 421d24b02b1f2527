package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/testkit"
)

func TestReleaseToJobServer(t *testing.T) {
	e := testkit.NewEnv(t)
	js := jobservertest.New(t, "api-secret")
	target := release.NewJobServer(js.URL(), "api-secret", e.Files, nil)
	withReleaser(e, target)
	r := e.Reviewed(e.Author, domain.VoteApproved)

	// job-server refusing the release: nothing is marked released.
	js.FailNextOn("release-create", http.StatusForbidden, 1)
	_, err := e.Svc.Release(e.Ctx, e.C1, r.ID)
	if !errors.Is(err, domain.ErrPermissionDenied) {
		t.Fatalf("refused release: %v", err)
	}
	js.FailNextOn("release-create", http.StatusBadGateway, 1)
	_, err = e.Svc.Release(e.Ctx, e.C1, r.ID)
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("failing job-server: %v", err)
	}
	if got := e.Get(r.ID); got.Status != domain.StatusReviewed || got.Files[0].ReleasedAt != nil {
		t.Fatalf("a failed release changed the request: %s", got.Status)
	}

	r = e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	if js.ReleaseID(r.ID) == "" {
		t.Fatal("no release created on job-server")
	}
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet})
	js.DropAfterStore(1) // stored, but the answer is lost: the retry is told it is already there
	drain(t, u, "w1")
	e.Clock.Advance(2 * time.Minute)
	drain(t, u, "w1")
	r = e.Get(r.ID)
	if r.Status != domain.StatusReleased {
		t.Fatalf("status %s; uploaded %v", r.Status, js.Uploaded(r.ID))
	}
	for _, f := range r.OutputFiles() {
		blob, _ := e.Files.Blob(f.FileID)
		if got := js.Uploaded(r.ID)[f.Relpath]; !bytes.Equal(got, blob) {
			t.Errorf("%s: job-server has other bytes", f.Relpath)
		}
	}
	calls := js.Calls()
	// The file list's dates are OpenSAFELY Airlock's: microseconds and the offset.
	isoDate := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)
	for _, c := range calls {
		if c.Route != "release-create" {
			continue
		}
		var body jobservertest.ReleaseBody
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatal(err)
		}
		for _, f := range body.Files {
			if !isoDate.MatchString(f.Date) {
				t.Errorf("%s: date %q is not in OpenSAFELY Airlock's form", f.Name, f.Date)
			}
		}
	}
	for _, c := range calls {
		if c.Route == "upload" && c.Headers.Get("OS-User") != "c1" {
			t.Errorf("upload as %q, want the releasing checker", c.Headers.Get("OS-User"))
		}
	}
}

func TestJobServerUploadAnswers(t *testing.T) {
	e := testkit.NewEnv(t)
	js := jobservertest.New(t, "api-secret")
	target := release.NewJobServer(js.URL(), "api-secret", e.Files, nil)
	withReleaser(e, target)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	f := r.OutputFiles()[0]
	blob, _ := e.Files.Blob(f.FileID)
	ctx := context.Background()
	if err := target.Upload(ctx, r, f, "c1", bytes.NewReader(blob)); err != nil {
		t.Fatalf("first upload: %v", err)
	}
	if err := target.Upload(ctx, r, f, "c1", bytes.NewReader(blob)); err != nil {
		t.Errorf("uploading the same bytes again must count as done: %v", err)
	}
	if err := target.Upload(ctx, r, f, "c1", bytes.NewReader([]byte("other bytes"))); err == nil {
		t.Error("other bytes under the same name were accepted")
	}
}

// A create-release answered with any 2xx is a release made, as OpenSAFELY
// Airlock takes it; an error status is not.
func TestCreateReleaseAnyTwoHundred(t *testing.T) {
	e := testkit.NewEnv(t)
	js := jobservertest.New(t, "api-secret")
	target := release.NewJobServer(js.URL(), "api-secret", e.Files, nil)
	r := e.RequestIn(e.Author, domain.StatusReviewed)
	for _, status := range []int{http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent} {
		js.RespondNextOn(jobservertest.RouteReleaseCreate, status, []byte(`{}`), 1)
		if err := target.CreateRelease(e.Ctx, r, r.OutputFiles(), "c1"); err != nil {
			t.Errorf("answered %d: %v", status, err)
		}
	}
	for _, status := range []int{http.StatusMultipleChoices, http.StatusFound, http.StatusBadRequest, http.StatusInternalServerError} {
		js.RespondNextOn(jobservertest.RouteReleaseCreate, status, []byte(`{"detail": "no"}`), 1)
		if err := target.CreateRelease(e.Ctx, r, r.OutputFiles(), "c1"); err == nil {
			t.Errorf("answered %d: taken as success", status)
		}
	}
}

// Files whose names are beyond ASCII reach job-server under their names:
// in ISO-8859-1 as OpenSAFELY Airlock sends them, and with RFC 6266's
// filename* beyond it.
func TestUploadNamesAsTheReference(t *testing.T) {
	e := testkit.NewEnv(t)
	js := jobservertest.New(t, "api-secret")
	target := release.NewJobServer(js.URL(), "api-secret", e.Files, nil)
	withReleaser(e, target)
	r := e.Pending(e.Author, "output/café.csv", "output/数据.csv")
	e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteApproved)
	e.Review(r.ID, e.C2, domain.VoteApproved)
	r = e.R(e.Svc.Release(e.Ctx, e.C1, r.ID))
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet})
	drain(t, u, "w1")
	uploaded := js.Uploaded(r.ID)
	for _, f := range r.OutputFiles() {
		if _, ok := uploaded[f.Relpath]; !ok {
			t.Errorf("%s is not on job-server under its name; it has %v", f.Relpath, slices.Collect(maps.Keys(uploaded)))
		}
	}
	for _, c := range js.Calls() {
		if c.Route == jobservertest.RouteUpload && strings.Contains(c.Headers.Get("Content-Disposition"), "caf") &&
			c.Headers.Get("Content-Disposition") != "attachment; filename=\"output/caf\xe9.csv\"" {
			t.Errorf("Content-Disposition %q", c.Headers.Get("Content-Disposition"))
		}
	}
}
