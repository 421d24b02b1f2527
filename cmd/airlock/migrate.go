package main

import (
	"fmt"

	"github.com/airlock-go/airlock/internal/config"
)

type migrateCmd struct {
	config.Database `embed:""`
}

func (c *migrateCmd) Run(e *env) error {
	loc, err := c.Locate()
	if err != nil {
		return err
	}
	applied, err := migrateStore(e.ctx, loc)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "%s is up to date\n", loc)
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", m)
	}
	return nil
}
