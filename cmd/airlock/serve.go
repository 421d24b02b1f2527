package main

import (
	"fmt"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/workspace"
)

type serveCmd struct {
	config.Server `embed:""`
}

func (c *serveCmd) Run(e *env) error {
	return serve(e, &c.Server, nil)
}

// serve checks the settings, prepares the folders and the database, and
// runs the server until the process is told to stop. ready, if not nil,
// receives the address it listens on.
func serve(e *env, cfg *config.Server, ready chan<- string) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := server.MkdirAll(cfg.WorkDir, cfg.RequestDir); err != nil {
		return err
	}
	blobs, err := blobstore.New(cfg.RequestDir)
	if err != nil {
		return err
	}
	defer blobs.Close()
	reader := workspace.NewReader(cfg.WorkspaceDir)
	svc, st, err := openService(e, cfg.Database, service.Config{Workspaces: reader, Blobs: blobs})
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.DevUsersFile != "" {
		users, err := auth.LoadUsersFile(cfg.DevUsersFile)
		if err != nil {
			return fmt.Errorf("AIRLOCK_DEV_USERS_FILE (--dev-users-file): %w", err)
		}
		for _, u := range users {
			if _, err := svc.PutUser(e.ctx, u.Details); err != nil {
				return fmt.Errorf("load users file: %w", err)
			}
		}
		e.log.Info("users loaded from users file", "users", len(users), "file", cfg.DevUsersFile)
	}
	scfg := server.Config{
		Listen: cfg.Listen, DB: st, Logger: e.log,
		ReadDirs: []string{cfg.WorkspaceDir}, WriteDirs: []string{cfg.RequestDir},
	}
	return server.Run(e.ctx, scfg, server.Handler(scfg), ready)
}
