package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/auth"
	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/notify"
	"github.com/airlock-go/airlock/internal/release"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/workspace"
	"github.com/prometheus/client_golang/prometheus"
)

// app is everything `serve` and `worker` run on: the database, the
// workspaces, the request copies, the service, the release target, the
// uploader and the logins.
type app struct {
	cfg      *config.Server
	store    store.Store
	blobs    *blobstore.Store
	reader   *workspace.Reader
	svc      *service.Service
	uploader *release.Uploader
	notifier *notify.Dispatcher
	logins   *auth.Login
}

// openApp checks the settings and opens what they name.
func openApp(e *env, cfg *config.Server) (*app, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		e.log.Warn(w)
	}
	if names := djangoSettings(os.Environ()); len(names) > 0 {
		e.log.Info("ignoring OpenSAFELY Airlock's Django settings, which airlock has no use for", "names", strings.Join(names, ","))
	}
	e.log.Info("backend", "backend", cfg.Backend)
	if err := server.MkdirAll(cfg.WorkDir, cfg.RequestDir, cfg.ReleaseDir); err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, reader: workspace.NewReader(cfg.WorkspaceDir)}
	var err error
	if a.blobs, err = blobstore.New(cfg.RequestDir); err != nil {
		return nil, err
	}
	var target release.Target = release.NewFolder(cfg.ReleaseDir, a.blobs)
	if cfg.APIToken != "" {
		target = release.NewJobServer(cfg.APIEndpoint, cfg.APIToken, a.blobs, nil)
	}
	sinks, err := notify.SinksFor(notify.Settings{
		APIEndpoint: cfg.APIEndpoint, APIToken: cfg.APIToken, WebhookURL: cfg.WebhookURL,
		Org: cfg.OutputCheckingOrg, Repo: cfg.OutputCheckingRepo, Logger: e.log,
	})
	if err != nil {
		a.blobs.Close()
		return nil, err
	}
	a.notifier = notify.NewDispatcher(notify.Config{Sinks: sinks, Logger: e.log})
	checker, err := cfg.Checker()
	if err != nil {
		a.blobs.Close()
		return nil, err
	}
	a.svc, a.store, err = openService(e, cfg.Database, service.Config{
		Workspaces: a.reader, Blobs: a.blobs, Releaser: target, Notifier: a.notifier, Checks: checker,
		Code: gitrepo.New(gitrepo.Config{
			Dir: cfg.RepoDir, RemoteURL: cfg.GitProxyURL, Token: cfg.GitProxyToken, User: config.GitUser(cfg.Backend), FetchTimeout: cfg.GitFetchTimeout, Logger: e.log,
		}),
	})
	if err != nil {
		a.blobs.Close()
		return nil, err
	}
	a.uploader = release.NewUploader(release.UploaderConfig{
		Service: a.svc, Target: target, Copies: a.blobs, Logger: e.log,
		Poll:       seconds(cfg.UploadDelay),
		RetryDelay: seconds(cfg.UploadRetryDelay),
		Lease:      cfg.UploadLease,
		Workers:    cfg.UploadWorkers,
	})
	var provider auth.Provider
	if cfg.DevUsersFile != "" {
		users, err := auth.LoadUsersFile(cfg.DevUsersFile)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("AIRLOCK_DEV_USERS_FILE (--dev-users-file): %w", err)
		}
		for _, u := range users {
			if _, err := a.svc.PutUser(e.ctx, u.Details); err != nil {
				a.Close()
				return nil, fmt.Errorf("load users file: %w", err)
			}
		}
		e.log.Info("users loaded from users file", "users", len(users), "file", cfg.DevUsersFile)
		provider = auth.NewDevProvider(users)
	} else {
		provider = auth.NewJobServer(cfg.APIEndpoint, cfg.APIToken, nil)
	}
	a.logins = auth.NewLogin(provider, a.svc, auth.LoginOptions{Logger: e.log})
	return a, nil
}

// runBackground runs the notifier and the uploader until ctx ends, and
// waits for them to stop.
func (a *app) runBackground(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.notifier.Run(ctx) }()
	go func() { defer wg.Done(); a.uploader.Run(ctx) }()
	wg.Wait()
}

// collectors are the background work's metrics, and the database's
// where it has some (SQLite: the memory it holds).
func (a *app) collectors() []prometheus.Collector {
	cs := append(a.uploader.Collectors(), a.notifier.Collectors()...)
	if st, ok := a.store.(interface{ Collectors() []prometheus.Collector }); ok {
		cs = append(cs, st.Collectors()...)
	}
	return cs
}

// Close releases the database and the request copies.
func (a *app) Close() {
	a.store.Close()
	a.blobs.Close()
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// djangoSettings names the DJANGO_* variables of environ (a reference
// deployment's, which airlock ignores), sorted.
func djangoSettings(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "DJANGO_") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
