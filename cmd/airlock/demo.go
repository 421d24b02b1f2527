package main

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/demo"
)

type demoCmd struct {
	Dir    string `name:"dir" default:"./demo" help:"Folder for the demo's workspaces, users and state."`
	Listen string `name:"listen" env:"AIRLOCK_LISTEN" default:"127.0.0.1:8000" help:"Address to listen on."`
}

func (c *demoCmd) Run(e *env) error {
	return c.run(e, nil)
}

func (c *demoCmd) run(e *env, ready chan<- string) error {
	setup, err := demo.Generate(c.Dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfg := &config.Server{
		Database:         config.Database{WorkDir: filepath.Join(dir, "workdir")},
		WorkspaceDir:     setup.WorkspaceDir,
		DevUsersFile:     setup.UsersFile,
		Listen:           c.Listen,
		APIEndpoint:      "https://jobs.opensafely.org/api/v2",
		UploadDelay:      1,
		UploadRetryDelay: 60,
		UploadWorkers:    4,
		UploadLease:      10 * time.Minute,
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(e, cfg, addr) }()
	select {
	case err := <-done:
		return err
	case a := <-addr:
		fmt.Fprintf(e.stdout, "Airlock demo running at http://%s/\n", a)
		fmt.Fprintf(e.stdout, "Workspaces: %s\nUsers file: %s\n\nLog in as:\n", setup.WorkspaceDir, setup.UsersFile)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  USER\tTOKEN\tWHO")
		for _, u := range setup.Users {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", u.Username, u.Token, u.Description)
		}
		tw.Flush()
		fmt.Fprintln(e.stdout, "\nPress Ctrl-C to stop.")
		if ready != nil {
			ready <- a
		}
	}
	return <-done
}
