package main

import (
	"context"
	"fmt"

	"github.com/airlock-go/airlock/internal/api"
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
	var provider auth.Provider
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
		provider = auth.NewDevProvider(users)
	} else {
		provider = auth.NewJobServer(cfg.APIEndpoint, cfg.APIToken, nil)
	}
	logins := auth.NewLogin(provider, svc, auth.LoginOptions{Logger: e.log})
	jsonAPI := api.New(api.Config{Service: svc, Logins: logins, Tokens: auth.NewTokens(st, nil), Logger: e.log})
	scfg := server.Config{
		Listen: cfg.Listen, DB: st, Logger: e.log,
		ReadDirs: []string{cfg.WorkspaceDir}, WriteDirs: []string{cfg.RequestDir},
		Mount: jsonAPI.Register,
		Stats: func(ctx context.Context) (server.Stats, error) { return workflowStats(ctx, svc) },
	}
	return server.Run(e.ctx, scfg, server.Handler(scfg), ready)
}

// workflowStats reads the figures /metrics reports.
func workflowStats(ctx context.Context, svc *service.Service) (server.Stats, error) {
	st, err := svc.Stats(ctx)
	if err != nil {
		return server.Stats{}, err
	}
	out := server.Stats{RequestsByStatus: map[string]int{}, UploadBacklog: st.UploadBacklog, UploadFailing: st.UploadFailing}
	for status, n := range st.RequestsByStatus {
		out.RequestsByStatus[string(status)] = n
	}
	return out, nil
}
