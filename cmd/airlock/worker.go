package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/schedule"
)

type workerCmd struct {
	config.Server `embed:""`
}

// Run runs the background work alone, without the web server: the
// uploader, and once a day (AIRLOCK_REGULAR_AT, 02:00 UTC when unset) the
// regular release requests. Several workers (and servers) may run on one
// database; one of them should make the regular requests.
func (c *workerCmd) Run(e *env) error {
	a, err := openApp(e, &c.Server)
	if err != nil {
		return err
	}
	defer a.Close()
	at, set, err := c.RegularTime()
	if err != nil {
		return err
	}
	if !set {
		at = config.DefaultWorkerRegularAt
	}
	e.log.Info("worker started")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runRegularDaily(e.ctx, e.log, a, c.WorkDir, at)
	}()
	a.runBackground(e.ctx)
	wg.Wait()
	e.log.Info("worker stopped")
	return nil
}

// runRegularDaily creates the regular release requests of the work
// folder's regular_release_requests.json once a day at the time of day at
// (UTC) until the process is told to stop: `airlock worker` always, and
// `airlock serve` when AIRLOCK_REGULAR_AT is set. The first run is the
// first such time after the start, so a restart after the day's run does
// not run it again that day.
func runRegularDaily(ctx context.Context, log *slog.Logger, a *app, workDir string, at time.Duration) {
	creator := schedule.NewCreator(a.svc, a.reader, a.logins, log)
	path := filepath.Join(workDir, schedule.RegularFile)
	log.InfoContext(ctx, "regular release requests scheduled", "file", path, "at", timeOfDay(at))
	creator.RunDaily(ctx, path, at, time.Now)
}

// timeOfDay writes a time after midnight as HH:MM UTC (HH:MM:SS when it
// has seconds).
func timeOfDay(at time.Duration) string {
	h, m, sec := int(at.Hours()), int(at.Minutes())%60, int(at.Seconds())%60
	if sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02d UTC", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d UTC", h, m)
}
