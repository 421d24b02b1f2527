// Command airlock stands between sensitive research data and the outside
// world: researchers put output files into release requests, output
// checkers review them, and approved files are released.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/airlock-go/airlock/internal/clientcli"
	"github.com/airlock-go/airlock/internal/server"
	"github.com/alecthomas/kong"
)

// cli is the whole command line.
type cli struct {
	LogLevel slog.Level `name:"log-level" env:"AIRLOCK_LOG_LEVEL" default:"info" help:"Logging level: debug, info, warn or error."`

	Serve        serveCmd        `cmd:"" help:"Run the airlock server (with the uploader)."`
	Worker       workerCmd       `cmd:"" help:"Run the background work alone: the uploader and the daily regular requests."`
	Demo         demoCmd         `cmd:"" help:"Create example workspaces and users, then serve them."`
	Migrate      migrateCmd      `cmd:"" help:"Apply pending database migrations."`
	Backup       backupCmd       `cmd:"" help:"Copy the SQLite database, online, to a new file (PostgreSQL: says how to run pg_dump)."`
	DB           dbCmd           `cmd:"" name:"db" help:"Database tools: copy SQLite into PostgreSQL."`
	GC           gcCmd           `cmd:"" name:"gc" help:"Delete request-file copies that no request references."`
	Import       importCmd       `cmd:"" help:"Bring another system's history into airlock (import reference: OpenSAFELY Airlock)."`
	Audit        auditCmd        `cmd:"" help:"Print or verify the audit log."`
	Request      requestCmd      `cmd:"" help:"Administer release requests."`
	Statemachine statemachineCmd `cmd:"" help:"Print the request state diagram (Mermaid) generated from the transition table."`
	Client       clientcli.Cmd   `cmd:"" help:"Use a running airlock server through its JSON API."`
	Check        checkCmd        `cmd:"" help:"Run the disclosure checks on files: exit status 0 when clean, 1 with findings, 2 on errors."`
}

// env is what every command runs with.
type env struct {
	ctx    context.Context
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses args and runs the command, returning the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c cli
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("airlock"),
		kong.Description("Airlock: review and release of output files from secure research workspaces."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
	)
	if err != nil {
		fmt.Fprintln(stderr, "airlock:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit
	}
	if err != nil {
		fmt.Fprintln(stderr, "airlock:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		ctx:    ctx,
		log:    slog.New(server.LogHandler{Handler: slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.LogLevel})}),
		stdin:  stdin,
		stdout: stdout,
	}
	if err := kctx.Run(e, &clientcli.Env{Ctx: ctx, Stdin: stdin, Stdout: stdout}); err != nil {
		return exitStatus(stderr, err)
	}
	return 0
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
