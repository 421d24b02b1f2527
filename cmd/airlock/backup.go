package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/store/sqlite"
)

type backupCmd struct {
	config.Database `embed:""`
	To              string `name:"to" required:"" placeholder:"PATH" help:"The backup file to write; it must not exist."`
}

// Run copies the SQLite database online; for PostgreSQL it says how to
// run pg_dump instead.
func (c *backupCmd) Run(e *env) error {
	loc, err := c.Locate()
	if err != nil {
		return err
	}
	to, err := filepath.Abs(c.To)
	if err != nil {
		return err
	}
	if loc.PostgresURL != "" {
		return fmt.Errorf("airlock backup copies SQLite databases; back up PostgreSQL with pg_dump:\n\n  %s\n\n"+
			"and restore into an empty database with: pg_restore --dbname=URL %s", pgDumpCommand(loc.PostgresURL, to), shellQuote(to))
	}
	size, err := sqlite.Backup(e.ctx, loc.SQLitePath, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d bytes)\n", loc.SQLitePath, to, size)
	return nil
}

// pgDumpCommand is the pg_dump command line that backs up the database
// at rawURL into the file to: the URL without airlock's own pool_*
// settings, and without its password, which pg_dump takes from PGPASSWORD
// (or ~/.pgpass) instead of the command line.
func pgDumpCommand(rawURL, to string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "pg_dump --format=custom --file=" + shellQuote(to) + " --dbname=URL"
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	prefix := ""
	if _, ok := u.User.Password(); ok {
		u.User = url.User(u.User.Username())
		prefix = "PGPASSWORD='<the password in AIRLOCK_DATABASE_URL>' "
	}
	return prefix + "pg_dump --format=custom --file=" + shellQuote(to) + " --dbname=" + shellQuote(u.String())
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
