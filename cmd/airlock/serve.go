package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/web"
)

type serveCmd struct {
	config.Server `embed:""`
}

func (c *serveCmd) Run(e *env) error {
	return serve(e, &c.Server, nil)
}

// serve checks the settings, prepares the folders and the database, and
// runs the server, with the uploader, until the process is told to stop.
// ready, if not nil, receives the address it listens on.
func serve(e *env, cfg *config.Server, ready chan<- string) error {
	a, err := openApp(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	nets, err := cfg.Proxies()
	if err != nil {
		return err
	}
	proxies := auth.NewProxies(nets)
	jsonAPI := api.New(api.Config{Service: a.svc, Logins: a.logins, Tokens: auth.NewTokens(a.svc, nil), Logger: e.log, Proxies: proxies})
	pages, err := newPages(e, cfg, a, proxies)
	if err != nil {
		return err
	}
	scfg := server.Config{
		Listen: cfg.Listen, DB: a.store, Logger: e.log,
		ReadDirs: []string{cfg.WorkspaceDir}, WriteDirs: []string{cfg.RequestDir},
		Mount: func(mux *http.ServeMux) {
			jsonAPI.Register(mux)
			pages.Register(mux)
		},
		Stats:      func(ctx context.Context) (server.Stats, error) { return workflowStats(ctx, a.svc) },
		Collectors: a.collectors(),
		Timeouts:   server.Timeouts{Read: cfg.ReadTimeout, Write: cfg.WriteTimeout, Idle: cfg.IdleTimeout},
		Tracer:     a.tracer,
	}
	regularAt, regular, err := cfg.RegularTime()
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(e.ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		cleaned := make(chan struct{})
		go func() { defer close(cleaned); pages.RunSessionCleanup(ctx, time.Hour) }()
		daily := make(chan struct{})
		go func() {
			defer close(daily)
			if regular { // a single-process backend needs no worker for them
				runRegularDaily(ctx, e.log, a, cfg.WorkDir, regularAt)
			}
		}()
		a.runBackground(ctx)
		<-cleaned
		<-daily
	}()
	err = server.Run(e.ctx, scfg, server.Handler(scfg), ready)
	stop()
	<-done
	return err
}

// newPages builds the web pages; with a users file, its users are offered
// in the header's "switch user" menu.
func newPages(e *env, cfg *config.Server, a *app, proxies auth.Proxies) (*web.Handler, error) {
	var devUsers []auth.DevUser
	if cfg.DevUsersFile != "" {
		var err error
		if devUsers, err = auth.LoadUsersFile(cfg.DevUsersFile); err != nil {
			return nil, fmt.Errorf("AIRLOCK_DEV_USERS_FILE (--dev-users-file): %w", err)
		}
	}
	pages, err := web.New(web.Config{
		Service: a.svc, Logins: a.logins, DevUsers: devUsers, Store: a.svc, Logger: e.log,
		SecureCookies: cfg.SecureCookies, Proxies: proxies,
		ReleaseTarget: release.Describe(cfg.APIToken != "", cfg.APIEndpoint, cfg.ReleaseDir),
	})
	if err != nil {
		return nil, err
	}
	return pages, nil
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
