package main

import (
	"fmt"
	"path/filepath"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/store/sqlite"
)

type migrateCmd struct {
	config.Database `embed:""`
}

func (c *migrateCmd) Run(e *env) error {
	path, err := c.SQLitePath()
	if err != nil {
		return err
	}
	if err := server.MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	applied, err := sqlite.Migrate(e.ctx, path)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "%s is up to date\n", path)
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", m)
	}
	return nil
}
