package main

import (
	"context"
	"path/filepath"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/sqlite"
)

// openService opens the database the settings name, applying pending
// migrations, and builds the service on it.
func openService(e *env, db config.Database, cfg service.Config) (*service.Service, store.Store, error) {
	loc, err := db.Locate()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(e.ctx, loc)
	if err != nil {
		return nil, nil, err
	}
	cfg.Store, cfg.Logger = st, e.log
	return service.New(cfg), st, nil
}

// openStore opens the SQLite file (making its folder) or the PostgreSQL
// database loc names, applying pending migrations.
func openStore(ctx context.Context, loc config.Location) (store.Store, error) {
	if loc.PostgresURL != "" {
		return postgres.Open(ctx, loc.PostgresURL)
	}
	if err := server.MkdirAll(filepath.Dir(loc.SQLitePath)); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, loc.SQLitePath)
}

// migrateStore applies the pending migrations of the database loc names
// and returns the names of those it applied.
func migrateStore(ctx context.Context, loc config.Location) ([]string, error) {
	if loc.PostgresURL != "" {
		return postgres.Migrate(ctx, loc.PostgresURL)
	}
	if err := server.MkdirAll(filepath.Dir(loc.SQLitePath)); err != nil {
		return nil, err
	}
	return sqlite.Migrate(ctx, loc.SQLitePath)
}
