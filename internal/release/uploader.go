package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/service"
	"github.com/prometheus/client_golang/prometheus"
)

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
	// Lease is how long a claimed file is an uploader's alone; a crashed
	// uploader's files are picked up again after it (default 10 minutes).
	Lease time.Duration
}

// Uploader uploads released files from their stored copies, claiming each
// with an expiring lease in the database, so several uploaders (in one
// process, several processes or several nodes) never upload the same file
// at once, and moves requests to RELEASED when all their files are up.
type Uploader struct {
	cfg      UploaderConfig
	instance string
	outcomes *prometheus.CounterVec
}

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
		cfg.Lease = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	host, _ := os.Hostname()
	return &Uploader{
		cfg:      cfg,
		instance: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(rnd[:])),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_uploads_total", Help: "Upload attempts of released files by outcome (uploaded, failed).",
		}, []string{"outcome"}),
	}
}

// Collectors are the uploader's metrics, for the server's registry.
func (u *Uploader) Collectors() []prometheus.Collector { return []prometheus.Collector{u.outcomes} }

// Run uploads until ctx ends.
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
	claim, ok, err := svc.ClaimUpload(ctx, owner, u.cfg.Lease)
	if err != nil {
		return false, err
	}
	if !ok {
		_, err := svc.FinishReleases(ctx)
		return false, err
	}
	err = u.upload(ctx, claim.RequestID, claim.Relpath)
	if err != nil {
		u.outcomes.WithLabelValues("failed").Inc()
		// The next attempt waits for its back-off, not for the lease.
		if derr := svc.DropUploadLease(context.WithoutCancel(ctx), claim, owner); derr != nil {
			u.cfg.Logger.WarnContext(ctx, "cannot drop upload lease", "err", derr)
		}
		return true, err
	}
	u.outcomes.WithLabelValues("uploaded").Inc()
	return true, nil
}

// upload counts the attempt, then sends the stored copy, then records the
// upload: a crash between any two steps leaves the file to be tried again,
// and job-server's "already uploaded" makes the retry succeed.
func (u *Uploader) upload(ctx context.Context, id, relpath string) error {
	svc := u.cfg.Service
	r, f, err := svc.RecordUploadAttempt(ctx, id, relpath, u.cfg.RetryDelay)
	if err != nil {
		return err
	}
	content, err := u.cfg.Copies.Open(r.Workspace, f.FileID)
	if err != nil {
		return fmt.Errorf("release: open the stored copy of %s of %s: %w", relpath, id, err)
	}
	defer content.Close()
	start := time.Now()
	if err := u.cfg.Target.Upload(ctx, r, f, f.ReleasedBy, content); err != nil {
		return fmt.Errorf("attempt %d: %w", f.UploadAttempts, err)
	}
	if err := svc.RecordUpload(ctx, id, relpath); err != nil {
		return err
	}
	u.cfg.Logger.InfoContext(ctx, "file uploaded", "request", id, "path", relpath, "size", f.Size,
		"duration", time.Since(start))
	return nil
}
