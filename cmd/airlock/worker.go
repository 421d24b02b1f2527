package main

import (
	"path/filepath"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/schedule"
)

type workerCmd struct {
	config.Server `embed:""`
	RegularAt     time.Duration `name:"regular-at" default:"2h" help:"Time of day (UTC, as a duration after midnight) to create the regular release requests of regular_release_requests.json."`
}

// Run runs the background work alone, without the web server: the
// uploader, and once a day the regular release requests. Several workers
// (and servers) may run on one database.
func (c *workerCmd) Run(e *env) error {
	a, err := openApp(e, &c.Server)
	if err != nil {
		return err
	}
	defer a.Close()
	creator := schedule.NewCreator(a.svc, a.reader, a.logins, e.log)
	path := filepath.Join(c.WorkDir, schedule.RegularFile)
	e.log.Info("worker started", "regular_requests", path, "regular_at", c.RegularAt)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		creator.RunDaily(e.ctx, path, c.RegularAt, time.Now)
	}()
	a.runBackground(e.ctx)
	wg.Wait()
	e.log.Info("worker stopped")
	return nil
}
