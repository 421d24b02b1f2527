package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/tracing"
)

// DefaultUploadLease is how long a claimed file stays an uploader's
// without a renewal (AIRLOCK_UPLOAD_LEASE's default).
const DefaultUploadLease = 30 * time.Second

// settleTimeout bounds the bookkeeping done after an attempt ends,
// including when the uploader is stopping.
const settleTimeout = 30 * time.Second

// UploaderConfig shapes an uploader.
type UploaderConfig struct {
	Service *service.Service
	Target  Target
	Copies  Copies
	Logger  *slog.Logger
	// Workers upload in parallel (default 4).
	Workers int
	// Poll is the wait when nothing is due (AIRLOCK_UPLOAD_DELAY).
	Poll time.Duration
	// RetryDelay is the wait after a first failure, doubling to an hour
	// (AIRLOCK_UPLOAD_RETRY_DELAY).
	RetryDelay time.Duration
	// Lease is how long a claimed file is an uploader's alone without
	// news of it (AIRLOCK_UPLOAD_LEASE, default DefaultUploadLease). While
	// an upload runs, its lease is renewed every third of Lease, so a slow
	// upload keeps its file however long it takes; a crashed uploader's
	// files are taken over by another uploader within Lease.
	Lease time.Duration
	// Tracer makes a span of each upload attempt (the zero Tracer: none).
	Tracer tracing.Tracer
}

// Uploader uploads released files from their stored copies, claiming each
// with an expiring lease in the database, so several uploaders (in one
// process, several processes or several nodes) never upload the same file
// at once, and moves requests to RELEASED when all their files are up.
type Uploader struct {
	cfg      UploaderConfig
	instance string
	outcomes *prometheus.CounterVec
	backoff  prometheus.Gauge
}

// The outcomes of upload attempts, the label of airlock_uploads_total.
const (
	outcomeUploaded    = "uploaded"    // job-server has the file, and it is recorded
	outcomeFailed      = "failed"      // tried again after its back-off
	outcomeInterrupted = "interrupted" // the uploader stopped: due again at once
	outcomeLeaseLost   = "lease_lost"  // another uploader took the file over
)

// ErrLeaseLost is the error of a Step whose upload was stopped because
// its lease was lost: another uploader has the file.
var ErrLeaseLost = errors.New("the upload lease was lost")

// NewUploader builds an uploader.
func NewUploader(cfg UploaderConfig) *Uploader {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultUploadLease
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	host, _ := os.Hostname()
	u := &Uploader{
		cfg:      cfg,
		instance: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(rnd[:])),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_uploads_total",
			Help: "Upload attempts of released files by outcome: uploaded, failed (retried after a back-off), interrupted (airlock stopping; due again at once), lease_lost (taken over by another uploader).",
		}, []string{"outcome"}),
		backoff: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "airlock_upload_backoff_seconds",
			Help: "The wait before the next attempt of the file whose upload failed last, doubling with each failure of that file up to an hour; 0 once an upload succeeds.",
		}),
	}
	for _, o := range []string{outcomeUploaded, outcomeFailed, outcomeInterrupted, outcomeLeaseLost} {
		u.outcomes.WithLabelValues(o) // shown from the start, at 0
	}
	return u
}

// Collectors are the uploader's metrics, for the server's registry.
func (u *Uploader) Collectors() []prometheus.Collector {
	return []prometheus.Collector{u.outcomes, u.backoff}
}

// Run uploads until ctx ends. Uploads in progress then are cut short and
// their files given back, due at once for any uploader; Run returns once
// that is done.
func (u *Uploader) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range u.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.work(ctx, fmt.Sprintf("%s/%d", u.instance, i))
		}()
	}
	wg.Wait()
}

func (u *Uploader) work(ctx context.Context, owner string) {
	for ctx.Err() == nil {
		did, err := u.Step(ctx, owner)
		if err != nil && ctx.Err() == nil {
			u.cfg.Logger.WarnContext(ctx, "upload failed", "err", err)
		}
		if did {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(u.cfg.Poll):
		}
	}
}

// Step claims one file due for upload and uploads it; with nothing due,
// it moves requests whose files are all uploaded to RELEASED. It reports
// whether there was a file to upload.
func (u *Uploader) Step(ctx context.Context, owner string) (bool, error) {
	svc := u.cfg.Service
	claimed := time.Now()
	claim, ok, err := svc.ClaimUpload(ctx, owner, u.cfg.Lease)
	if err != nil {
		return false, err
	}
	if !ok {
		_, err := svc.FinishReleases(ctx)
		return false, err
	}
	return true, u.attempt(ctx, claim, owner, claimed)
}

// attempt uploads a claimed file while a heartbeat renews its lease, then
// settles the lease by how the attempt ended.
func (u *Uploader) attempt(ctx context.Context, claim domain.UploadClaim, owner string, claimed time.Time) error {
	svc := u.cfg.Service
	upCtx, stop := context.WithCancelCause(ctx)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		u.heartbeat(upCtx, stop, claim, owner, claimed)
	}()
	f, err := u.upload(upCtx, claim.RequestID, claim.Relpath)
	stop(nil)
	<-beating
	// Settling must happen even when ctx has ended (the uploader stopping).
	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	switch {
	case err == nil:
		u.outcomes.WithLabelValues(outcomeUploaded).Inc()
		u.backoff.Set(0)
		return nil
	case errors.Is(context.Cause(upCtx), ErrLeaseLost):
		// Another uploader has the file now, or will: nothing to give back.
		u.outcomes.WithLabelValues(outcomeLeaseLost).Inc()
		return fmt.Errorf("%s of %s: upload abandoned: %w (%w)", claim.Relpath, claim.RequestID, ErrLeaseLost, err)
	case ctx.Err() != nil:
		// Stopping: the attempt did not fail, it was cut short. Give the
		// file back at once, so that another uploader need not wait for
		// the lease to run out.
		u.outcomes.WithLabelValues(outcomeInterrupted).Inc()
		if rerr := svc.ReturnUpload(settle, claim, owner); rerr != nil {
			u.cfg.Logger.WarnContext(settle, "cannot give back an interrupted upload", "request", claim.RequestID,
				"path", claim.Relpath, "err", rerr)
		}
		return err
	default:
		// The next attempt waits for its back-off, not for the lease.
		u.outcomes.WithLabelValues(outcomeFailed).Inc()
		var next time.Time
		if f.UploadNextAt != nil {
			next = *f.UploadNextAt
			u.backoff.Set(next.Sub(*f.UploadAttemptedAt).Seconds())
		}
		if derr := svc.DropUploadLease(settle, claim, owner, err, next); derr != nil {
			u.cfg.Logger.WarnContext(settle, "cannot drop upload lease", "err", derr)
		}
		return err
	}
}

// heartbeat renews the lease on a claimed file every third of the lease
// until ctx ends. When the lease is lost (another uploader took it over),
// or cannot be renewed before it would run out (the database is out of
// reach), it stops the upload: the file may be another uploader's by
// then. claimed is when the claim was asked for: the lease is sure until
// a lease after it.
func (u *Uploader) heartbeat(ctx context.Context, stop context.CancelCauseFunc, claim domain.UploadClaim, owner string, claimed time.Time) {
	every := u.cfg.Lease / 3
	held := claimed
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// A renewal may take until the lease is about to run out: a slow
		// database delays it rather than failing it.
		left := u.cfg.Lease - every - time.Since(held)
		if left <= 0 {
			u.cfg.Logger.WarnContext(ctx, "upload lease cannot be renewed before it runs out: upload stopped",
				"request", claim.RequestID, "path", claim.Relpath)
			stop(ErrLeaseLost)
			return
		}
		asked := time.Now()
		rctx, cancel := context.WithTimeout(ctx, left)
		err := u.cfg.Service.RenewUploadLease(rctx, claim, owner, u.cfg.Lease)
		cancel()
		switch {
		case err == nil:
			held = asked
		case ctx.Err() != nil:
			return
		case errors.Is(err, service.ErrUploadLeaseLost):
			u.cfg.Logger.WarnContext(ctx, "upload lease lost to another uploader: upload stopped",
				"request", claim.RequestID, "path", claim.Relpath)
			stop(ErrLeaseLost)
			return
		default:
			u.cfg.Logger.WarnContext(ctx, "cannot renew upload lease, will try again", "request", claim.RequestID,
				"path", claim.Relpath, "err", err)
		}
	}
}

// upload counts the attempt, then sends the stored copy, then records the
// upload: a crash between any two steps leaves the file to be tried again,
// and job-server's "already uploaded" makes the retry succeed. Once
// job-server has confirmed the upload, it is recorded even if ctx has
// ended meanwhile: it is true, and recording it twice changes nothing.
// It returns the file as RecordUploadAttempt left it (UploadNextAt is
// when the next attempt is due should this one have failed; nil when the
// attempt was not counted).
func (u *Uploader) upload(ctx context.Context, id, relpath string) (f domain.RequestFile, err error) {
	ctx, span := u.cfg.Tracer.Start(ctx, "upload", id, "")
	defer func() { span.End(err) }()
	svc := u.cfg.Service
	r, f, err := svc.RecordUploadAttempt(ctx, id, relpath, u.cfg.RetryDelay)
	if err != nil {
		return domain.RequestFile{}, err
	}
	span.SetRequest("", r.Workspace)
	content, err := u.cfg.Copies.Open(r.Workspace, f.FileID)
	if err != nil {
		return f, fmt.Errorf("release: open the stored copy of %s of %s: %w", relpath, id, err)
	}
	defer content.Close()
	start := time.Now()
	if err := u.cfg.Target.Upload(ctx, r, f, f.ReleasedBy, content); err != nil {
		return f, fmt.Errorf("attempt %d: %w", f.UploadAttempts, err)
	}
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err := svc.RecordUpload(record, id, relpath); err != nil {
		return f, err
	}
	u.cfg.Logger.InfoContext(ctx, "file uploaded", "request", id, "path", relpath, "size", f.Size,
		"duration", time.Since(start))
	return f, nil
}
