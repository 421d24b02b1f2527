package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/dbcopy"
	"github.com/airlock-go/airlock/internal/store/postgres"
)

type dbCmd struct {
	Copy dbCopyCmd `cmd:"" help:"Copy a SQLite database into an empty PostgreSQL database, then verify the copy table by table and its audit chain."`
}

type dbCopyCmd struct {
	From string `name:"from" required:"" placeholder:"sqlite:PATH" help:"The SQLite database to copy (sqlite:PATH), migrated by this airlock."`
	To   string `name:"to" required:"" placeholder:"postgres://..." help:"The PostgreSQL database to fill (postgres://...); it is migrated and must be empty."`
}

// Run copies, compares every table row by row, verifies the copied audit
// chain, and prints the rows copied per table.
func (c *dbCopyCmd) Run(e *env) error {
	from, err := config.ParseDatabaseURL(".", c.From)
	if err != nil || from.SQLitePath == "" {
		return fmt.Errorf("--from: need sqlite:PATH, not %q", c.From)
	}
	to, err := config.ParseDatabaseURL(".", c.To)
	if err != nil || to.PostgresURL == "" {
		return errors.New("--to: need a postgres:// or postgresql:// URL")
	}
	counts, err := dbcopy.Copy(e.ctx, from.SQLitePath, to.PostgresURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %s to %s\n", from, to)
	nameWidth, numWidth := 0, 0
	var total int64
	for _, tc := range counts {
		nameWidth = max(nameWidth, len(tc.Table))
		numWidth = max(numWidth, len(strconv.FormatInt(tc.Rows, 10)))
		total += tc.Rows
	}
	for _, tc := range counts {
		fmt.Fprintf(e.stdout, "  %-*s  %*d\n", nameWidth, tc.Table, numWidth, tc.Rows)
	}
	fmt.Fprintf(e.stdout, "verified: every table matches row by row (%d rows)\n", total)

	st, err := postgres.Open(e.ctx, to.PostgresURL)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := service.New(service.Config{Store: st, Logger: e.log}).VerifyAudit(e.ctx)
	if err != nil {
		return fmt.Errorf("the copy's audit log is NOT intact after checking %d events: %w", n, err)
	}
	fmt.Fprintf(e.stdout, "verified: audit log intact on PostgreSQL, %d events, hash chain verified\n", n)
	return nil
}
