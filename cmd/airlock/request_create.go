package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/schedule"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/workspace"
)

// creatorSettings are what creating requests needs: the database, the
// workspaces and the request-file store.
type creatorSettings struct {
	config.Database `embed:""`
	config.Checks   `embed:""`
	WorkspaceDir    string `name:"workspace-dir" env:"AIRLOCK_WORKSPACE_DIR" help:"Folder holding one folder per workspace (required)."`
	RequestDir      string `name:"request-dir" env:"AIRLOCK_REQUEST_DIR" help:"Where request-file copies live (default $AIRLOCK_WORK_DIR/requests)."`
}

// open builds a request creator on the settings, and a func that releases
// what it holds.
func (s *creatorSettings) open(e *env) (*schedule.Creator, func(), error) {
	if s.WorkspaceDir == "" {
		return nil, nil, errors.New("AIRLOCK_WORKSPACE_DIR (--workspace-dir) is required: the folder holding one folder per workspace")
	}
	wsDir := config.Resolve(s.WorkDir, s.WorkspaceDir, "")
	if fi, err := os.Stat(wsDir); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("AIRLOCK_WORKSPACE_DIR (--workspace-dir): %s is not a folder", wsDir)
	}
	reqDir := config.Resolve(s.WorkDir, s.RequestDir, "requests")
	if err := server.MkdirAll(reqDir); err != nil {
		return nil, nil, err
	}
	blobs, err := blobstore.New(reqDir)
	if err != nil {
		return nil, nil, err
	}
	reader := workspace.NewReader(wsDir)
	checker, err := s.Checker()
	if err != nil {
		blobs.Close()
		return nil, nil, err
	}
	svc, st, err := openService(e, s.Database, service.Config{Workspaces: reader, Blobs: blobs, Checks: checker})
	if err != nil {
		blobs.Close()
		return nil, nil, err
	}
	closeFn := func() {
		st.Close()
		blobs.Close()
	}
	return schedule.NewCreator(svc, reader, cachedUsers{svc}, e.log), closeFn, nil
}

// cachedUsers finds authors among the users cached in the database. A
// command run by cron cannot log anyone in, so only users who have logged
// in once (or are in the users file `serve` loads) are known; their
// cached roles are used as they are.
type cachedUsers struct{ svc *service.Service }

func (c cachedUsers) Author(ctx context.Context, username string) (domain.User, error) {
	u, err := c.svc.User(ctx, username)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, domain.Errorf(domain.ErrNotFound,
			"user %s is not known to airlock; they must log in once (or be in the users file)", username)
	}
	return u, err
}

type requestCreateCmd struct {
	creatorSettings `embed:""`
	User            string   `arg:"" help:"The author (must be known to airlock); - takes the user who ran the latest job, from the manifest."`
	Workspace       string   `arg:"" help:"The workspace."`
	Dirs            []string `name:"dirs" required:"" help:"Folders whose files to add, one group per folder (repeat the flag or separate with commas)."`
	SupportingFiles []string `name:"supporting-files" help:"Files under those folders to add as supporting files (repeat the flag or separate with commas)."`
	Context         string   `name:"context" help:"Context to set on every group."`
	Controls        string   `name:"controls" help:"Disclosure controls to set on every group."`
	Submit          bool     `name:"submit" help:"Submit the request for review once the files are on it."`
}

func (c *requestCreateCmd) Run(e *env) error {
	creator, closeFn, err := c.open(e)
	if err != nil {
		return err
	}
	defer closeFn()
	user := c.User
	if user == "-" {
		user = ""
	}
	res, err := creator.Create(e.ctx, schedule.Spec{
		Username: user, Workspace: c.Workspace, Dirs: c.Dirs, SupportingFiles: c.SupportingFiles,
		Context: c.Context, Controls: c.Controls, Submit: c.Submit,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "completed: %t\nrequest_id: %s\nmessage: %s\n", res.Completed, res.RequestID, res.Message)
	return nil
}

// regularFile is the regular requests file a command reads.
func regularFile(workDir, file string) string {
	if file != "" {
		return file
	}
	return filepath.Join(workDir, schedule.RegularFile)
}

type requestCreateRegularCmd struct {
	creatorSettings `embed:""`
	File            string `name:"file" help:"The regular release requests file (default $AIRLOCK_WORK_DIR/regular_release_requests.json)."`
}

func (c *requestCreateRegularCmd) Run(e *env) error {
	creator, closeFn, err := c.open(e)
	if err != nil {
		return err
	}
	defer closeFn()
	outcomes := creator.RunRegular(e.ctx, regularFile(c.WorkDir, c.File))
	failed := 0
	for _, o := range outcomes {
		if o.Index < 0 {
			return o.Err
		}
		ws := o.Workspace
		if ws == "" {
			ws = "unknown"
		}
		switch {
		case o.Err != nil:
			failed++
			fmt.Fprintf(e.stdout, "%d %s: error: %s\n", o.Index+1, ws, o.Err)
		case o.Result.Completed:
			fmt.Fprintf(e.stdout, "%d %s: completed, request %s: %s\n", o.Index+1, ws, o.Result.RequestID, o.Result.Message)
		default:
			id := o.Result.RequestID
			if id == "" {
				id = "(none)"
			}
			fmt.Fprintf(e.stdout, "%d %s: not completed, request %s: %s\n", o.Index+1, ws, id, o.Result.Message)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d regular release requests failed", failed, len(outcomes))
	}
	return nil
}

type validateRegularCmd struct {
	WorkDir string `name:"work-dir" env:"AIRLOCK_WORK_DIR" default:"./workdir" help:"Folder for the server's own state, where the file is by default."`
	File    string `name:"file" help:"The regular release requests file (default $AIRLOCK_WORK_DIR/regular_release_requests.json)."`
}

func (c *validateRegularCmd) Run(e *env) error {
	ok, err := schedule.ValidateRegular(regularFile(c.WorkDir, c.File), e.stdout)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the regular release requests file has invalid entries")
	}
	return nil
}
