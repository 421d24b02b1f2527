package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// uploadFile is the part of a request document's file entry about its
// uploads.
type uploadFile struct {
	Path                string  `json:"path"`
	UploadedAt          *string `json:"uploaded_at"`
	UploadFailing       bool    `json:"upload_failing"`
	UploadAttempts      int     `json:"upload_attempts"`
	UploadAttemptedAt   *string `json:"upload_attempted_at"`
	UploadError         *string `json:"upload_error"`
	UploadNextAttemptAt *string `json:"upload_next_attempt_at"`
}

func (h *harness) uploadFiles(id string) map[string]uploadFile {
	h.T.Helper()
	status, raw := h.call("c1", "GET", "/api/v1/requests/"+id, nil)
	if status != http.StatusOK {
		h.T.Fatalf("GET request: %d %s", status, raw)
	}
	doc := decodeInto[struct {
		Groups []struct {
			Files []uploadFile `json:"files"`
		} `json:"groups"`
	}](h.T, raw)
	out := map[string]uploadFile{}
	for _, g := range doc.Groups {
		for _, f := range g.Files {
			out[f.Path] = f
		}
	}
	return out
}

// gauge reads a metric of the registry, with label value label ("" for
// none).
func gauge(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
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

// TestJobServerDownForADay runs a day on the test clock with job-server
// down: each released file is tried on the back-off schedule (1, 2, 4 ...
// minutes, then every hour) and never before its time; the request
// document shows the attempts, the last error and the next attempt, and
// the uploader's metrics the back-off. When job-server comes back, the
// next attempt uploads every file once and the request is RELEASED.
func TestJobServerDownForADay(t *testing.T) {
	js := jobservertest.New(t, "api-secret")
	e := testkit.NewEnv(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	target := release.NewJobServer(js.URL(), "api-secret", e.Files, nil)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Releaser: target, Notifier: e.Notes, Now: e.Clock.Now, Logger: quiet,
	})
	h := newHarnessOn(t, e)
	r := e.RequestIn(e.Author, domain.StatusApproved)
	outputs := r.OutputFiles()
	u := release.NewUploader(release.UploaderConfig{Service: e.Svc, Target: target, Copies: e.Files, Logger: quiet, RetryDelay: time.Minute})
	reg := prometheus.NewRegistry()
	reg.MustRegister(u.Collectors()...)
	drain := func() {
		t.Helper()
		for range 100 {
			if did, _ := u.Step(context.Background(), "w1"); !did { // failures are expected
				return
			}
		}
		t.Fatal("the uploader never ran out of work")
	}
	js.Down()

	// The back-off schedule, written out: the waits after each failure.
	var schedule []time.Duration
	for _, m := range []int{1, 2, 4, 8, 16, 32} {
		schedule = append(schedule, time.Duration(m)*time.Minute)
	}
	dayEnd := e.Clock.Now().Add(24 * time.Hour)
	attempts := 0
	for {
		drain()
		attempts++
		files := h.uploadFiles(r.ID)
		for _, o := range outputs {
			f := files[o.Relpath]
			if f.UploadAttempts != attempts || f.UploadedAt != nil {
				t.Fatalf("%s: %d attempts, uploaded %v; want %d, not uploaded", f.Path, f.UploadAttempts, f.UploadedAt, attempts)
			}
			if f.UploadError == nil || !strings.Contains(*f.UploadError, "connect") {
				t.Fatalf("%s: upload_error %v, want the connection's failure", f.Path, f.UploadError)
			}
			if f.UploadFailing != (attempts > domain.UploadFailingAttempts) {
				t.Errorf("%s after %d attempts: upload_failing %v", f.Path, attempts, f.UploadFailing)
			}
		}
		f := files[outputs[0].Relpath]
		last, _ := time.Parse(time.RFC3339Nano, *f.UploadAttemptedAt)
		next, err := time.Parse(time.RFC3339Nano, *f.UploadNextAttemptAt)
		if err != nil {
			t.Fatalf("upload_next_attempt_at %v: %v", f.UploadNextAttemptAt, err)
		}
		want := time.Hour
		if attempts <= len(schedule) {
			want = schedule[attempts-1]
		}
		if got := next.Sub(last); got != want {
			t.Fatalf("after attempt %d the next is due in %v, want %v", attempts, got, want)
		}
		if got := gauge(t, reg, "airlock_upload_backoff_seconds", ""); got != want.Seconds() {
			t.Errorf("after attempt %d airlock_upload_backoff_seconds %v, want %v", attempts, got, want.Seconds())
		}
		if next.After(dayEnd) {
			break
		}
		// Not a moment early... (the stored time, which the document
		// gives to the second)
		stored, _ := e.Get(r.ID).File(f.Path)
		e.Clock.Advance(stored.UploadNextAt.Sub(e.Clock.Now()) - time.Second)
		drain()
		if got := h.uploadFiles(r.ID)[f.Path].UploadAttempts; got != attempts {
			t.Fatalf("attempt %d came a second early", attempts+1)
		}
		// ...but on time.
		e.Clock.Advance(time.Second)

	}
	// 1+2+4+8+16+32 minutes is 63: attempts at 0, 1, 3, 7, 15, 31 and 63
	// minutes, then hourly: 22 more before 24 hours (63 + 22×60 = 1383
	// minutes; the next would come at 1443).
	if attempts != 29 {
		t.Errorf("%d attempts over the day, want 29", attempts)
	}
	if got := gauge(t, reg, "airlock_uploads_total", "failed"); got != float64(29*len(outputs)) {
		t.Errorf("airlock_uploads_total{failed} %v, want %d", got, 29*len(outputs))
	}

	js.Up()
	e.Clock.Advance(time.Hour)
	drain()
	drain() // moves the request to RELEASED once nothing is due
	if got := e.Get(r.ID).Status; got != domain.StatusReleased {
		t.Fatalf("request %s once job-server is back", got)
	}
	for _, o := range outputs {
		f := h.uploadFiles(r.ID)[o.Relpath]
		if f.UploadedAt == nil || f.UploadError != nil || f.UploadNextAttemptAt != nil || f.UploadFailing || f.UploadAttempts != 30 {
			t.Errorf("%s once uploaded: %+v", o.Relpath, f)
		}
		if c := js.UploadCount(r.ID, o.Relpath); c != 1 {
			t.Errorf("%s stored %d times", o.Relpath, c)
		}
	}
	if got := gauge(t, reg, "airlock_upload_backoff_seconds", ""); got != 0 {
		t.Errorf("airlock_upload_backoff_seconds %v after the uploads, want 0", got)
	}
}
