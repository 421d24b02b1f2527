package main

import (
	"github.com/airlock-go/airlock/internal/config"
)

type workerCmd struct {
	config.Server `embed:""`
}

// Run runs the background work alone, without the web server: the
// uploader. Several workers (and servers) may run on one database.
func (c *workerCmd) Run(e *env) error {
	a, err := openApp(e, &c.Server)
	if err != nil {
		return err
	}
	defer a.Close()
	e.log.Info("worker started")
	a.uploader.Run(e.ctx)
	e.log.Info("worker stopped")
	return nil
}
