package main

import (
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/service"
)

type gcCmd struct {
	config.Database `embed:""`
	RequestDir      string        `name:"request-dir" env:"AIRLOCK_REQUEST_DIR" help:"Where request-file copies live (default $AIRLOCK_WORK_DIR/requests)."`
	Grace           time.Duration `name:"grace" default:"1h" help:"Keep copies younger than this, which an add in progress may be about to use."`
}

func (c *gcCmd) Run(e *env) error {
	if c.Grace < time.Minute {
		return fmt.Errorf("--grace must be at least a minute, not %v: younger copies may belong to adds in progress", c.Grace)
	}
	dir := config.Resolve(c.WorkDir, c.RequestDir, "requests")
	blobs, err := blobstore.New(dir)
	if err != nil {
		return err
	}
	defer blobs.Close()
	svc, st, err := openService(e, c.Database, service.Config{})
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := blobs.GC(e.ctx, func(ws string) (map[string]bool, error) {
		return svc.ReferencedFiles(e.ctx, ws)
	}, c.Grace, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed %d unreferenced copies (%d bytes), kept %d\n", res.Removed, res.Freed, res.Kept)
	for _, u := range res.Unknown {
		fmt.Fprintf(e.stdout, "left alone, not a request copy: %s\n", u)
	}
	return nil
}
