package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/importref"
)

type importCmd struct {
	Reference importReferenceCmd `cmd:"" help:"Bring an OpenSAFELY Airlock installation's whole history into an empty airlock database (docs/moving-from-reference.md)."`
}

type importReferenceCmd struct {
	config.Database   `embed:""`
	AirlockRequestDir string `name:"airlock-request-dir" env:"AIRLOCK_REQUEST_DIR" help:"Where airlock's request-file copies go (default $AIRLOCK_WORK_DIR/requests)."`

	From         string `name:"from" required:"" help:"The reference's work folder (its AIRLOCK_WORK_DIR): db.sqlite3 and its request folder."`
	RequestDir   string `name:"request-dir" help:"The reference's request folder (its AIRLOCK_REQUEST_DIR), relative to --from (default requests)."`
	WorkspaceDir string `name:"workspace-dir" help:"The reference's workspace folder (its AIRLOCK_WORKSPACE_DIR), relative to --from: the import names the requests' workspaces missing from it."`
	DryRun       bool   `name:"dry-run" help:"Read and check everything, print what would be imported, write nothing."`
	AllowMissing bool   `name:"allow-missing" help:"Import even when request-file copies are missing or do not match their sha256 (they are listed)."`
}

func (c *importReferenceCmd) Run(e *env) error {
	opt := importref.Options{
		DB:           filepath.Join(c.From, "db.sqlite3"),
		RequestDir:   config.Resolve(c.From, c.RequestDir, "requests"),
		DryRun:       c.DryRun,
		AllowMissing: c.AllowMissing,
		Progress: func(format string, args ...any) {
			e.log.Info(fmt.Sprintf(format, args...))
		},
	}
	if c.WorkspaceDir != "" {
		opt.WorkspaceDir = config.Resolve(c.From, c.WorkspaceDir, "")
	}
	loc, err := c.Database.Locate()
	if err != nil {
		return err
	}
	if c.DryRun { // nothing is opened for writing, nothing created
		rep, err := importref.Import(e.ctx, nil, nil, opt)
		if rep != nil {
			printReport(e, rep, loc.String())
		}
		return err
	}
	st, err := openStore(e.ctx, loc)
	if err != nil {
		return err
	}
	defer st.Close()
	dir := config.Resolve(c.WorkDir, c.AirlockRequestDir, "requests")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	blobs, err := blobstore.New(dir)
	if err != nil {
		return err
	}
	defer blobs.Close()

	rep, err := importref.Import(e.ctx, st, blobs, opt)
	if rep != nil {
		printReport(e, rep, loc.String())
	}
	return err
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func printReport(e *env, rep *importref.Report, target string) {
	w := e.stdout
	if rep.DryRun {
		fmt.Fprintf(w, "dry run: nothing was written to %s; an import would bring:\n", target)
	} else {
		fmt.Fprintf(w, "imported into %s in %s:\n", target, rep.Took.Round(1e6))
	}
	tables := make([]string, 0, len(rep.Source))
	for t := range rep.Source {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "  %-30s %8d rows\n", t, rep.Source[t])
	}
	fmt.Fprintf(w, "  request-file copies            %8d (%d bytes) verified by sha256\n", rep.Copies, rep.Bytes)
	for _, ws := range rep.AbsentWorkspaces {
		fmt.Fprintf(w, "  workspace %s: its requests are imported, but it is not in the workspace folder\n", ws)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  copy %s: %s\n", p.Path, p.Why)
	}
	if !rep.DryRun && rep.Wrote > 0 {
		write := rep.Wrote - rep.Copied
		fmt.Fprintf(w, "  copies verified and copied in %s (%.0f a second); %d rows written in %s (%.0f a second)\n",
			rep.Copied.Round(time.Millisecond), perSecond(int64(rep.Copies), rep.Copied),
			rep.Rows(), write.Round(time.Millisecond), perSecond(rep.Rows(), write))
	}
	if len(rep.Verification) > 0 {
		fmt.Fprintf(w, "verification (%s):\n", (rep.Took - rep.Wrote).Round(time.Millisecond))
		for _, v := range rep.Verification {
			fmt.Fprintln(w, "  "+v)
		}
	}
}
