package main

import (
	"path/filepath"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/sqlite"
)

// openService opens the database the settings name, applying pending
// migrations, and builds the service on it.
func openService(e *env, db config.Database, cfg service.Config) (*service.Service, *sqlite.Store, error) {
	path, err := db.SQLitePath()
	if err != nil {
		return nil, nil, err
	}
	if err := server.MkdirAll(filepath.Dir(path)); err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(e.ctx, path)
	if err != nil {
		return nil, nil, err
	}
	cfg.Store, cfg.Logger = st, e.log
	return service.New(cfg), st, nil
}
