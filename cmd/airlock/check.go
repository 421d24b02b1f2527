package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/airlock-go/airlock/internal/checks"
)

// checkCmd is `airlock check`: the disclosure checks on files from the
// command line, as airlock runs them on files added to a request.
type checkCmd struct {
	Config      string   `name:"config" env:"AIRLOCK_CHECKS_CONFIG" placeholder:"FILE" help:"Checks configuration (JSON) over the defaults; see README, Disclosure checks."`
	JSON        bool     `name:"json" help:"Print the findings as JSON, for scripts: a list of {\"file\", \"checks\": [{\"rule\", \"severity\", \"message\", \"cells\"}]} or {\"file\", \"error\"}."`
	Released    []string `name:"released" sep:"none" placeholder:"FILE" help:"A table already released from the same workspace, for the differencing rule; repeat for more."`
	PrintConfig bool     `name:"print-config" help:"Print the configuration in effect (the defaults, or --config over them) as JSON and exit."`
	Files       []string `arg:"" optional:"" name:"file" help:"Files to check."`
}

// Exit statuses of airlock check.
const (
	checkClean    = 0
	checkFindings = 1
	checkError    = 2
)

// checkResult is what checking one file gave, as --json prints it.
type checkResult struct {
	File   string           `json:"file"`
	Checks []checks.Finding `json:"checks,omitempty"`
	Error  string           `json:"error,omitempty"`
	err    error
}

func (c *checkCmd) Run(e *env) error {
	cfg := checks.Default()
	if c.Config != "" {
		var err error
		if cfg, err = checks.LoadConfig(c.Config); err != nil {
			return &exitError{code: checkError, err: err}
		}
	}
	ck, err := checks.New(cfg)
	if err != nil {
		return &exitError{code: checkError, err: err}
	}
	if c.PrintConfig {
		return writeJSON(e.stdout, cfg)
	}
	if len(c.Files) == 0 {
		return &exitError{code: checkError, err: errors.New("check: name at least one file to check")}
	}
	var opts []checks.Option
	if len(c.Released) > 0 {
		opts = append(opts, checks.WithReleased(releasedFiles(c.Released)))
	}
	results := make([]checkResult, len(c.Files))
	status := checkClean
	var errs []error
	for i, path := range c.Files {
		r := checkFile(e.ctx, ck, path, opts)
		results[i] = r
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case len(r.Checks) > 0:
			status = checkFindings
		}
	}
	write := writeFindings
	if c.JSON {
		write = func(w io.Writer, results []checkResult) error { return writeJSON(w, results) }
	}
	if err := write(e.stdout, results); err != nil {
		errs = append(errs, err)
	}
	switch {
	case len(errs) > 0:
		return &exitError{code: checkError, err: errors.Join(errs...)}
	case status != checkClean:
		return &exitError{code: status}
	}
	return nil
}

// checkFile runs the checks on one file.
func checkFile(ctx context.Context, ck *checks.Checker, path string, opts []checks.Option) checkResult {
	r := checkResult{File: path}
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		r.Checks, err = ck.Check(ctx, path, f, opts...)
	}
	if err != nil {
		r.err = fmt.Errorf("check: %w", err)
		r.Error = r.err.Error()
	}
	return r
}

// writeFindings prints the results for people: each file checked, then
// its findings, with the cells counted from 1 as a spreadsheet shows them.
func writeFindings(w io.Writer, results []checkResult) error {
	var b strings.Builder
	for _, r := range results {
		switch {
		case r.err != nil:
			continue // reported on stderr
		case len(r.Checks) == 0:
			fmt.Fprintf(&b, "%s: no findings\n", r.File)
		default:
			fmt.Fprintf(&b, "%s: %d %s\n", r.File, len(r.Checks), plural(len(r.Checks), "finding", "findings"))
			for _, f := range r.Checks {
				fmt.Fprintf(&b, "  %s %s: %s\n", f.Severity, f.Rule, f.Message)
				if len(f.Cells) > 0 {
					fmt.Fprintf(&b, "    cells (data row, column from 1): %s\n", cellList(f.Cells))
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cellList writes the first cells as "(2, 3)", counted from 1.
func cellList(cells [][2]int) string {
	const shown = 10
	parts := make([]string, 0, shown+1)
	for _, c := range cells[:min(len(cells), shown)] {
		parts = append(parts, fmt.Sprintf("(%d, %d)", c[0]+1, c[1]+1))
	}
	if more := len(cells) - shown; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(parts, " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeJSON prints v as indented JSON, without escaping < and >.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// releasedFiles are the files named by --released.
type releasedFiles []string

func (r releasedFiles) ReleasedFiles(context.Context) ([]string, error) {
	return r, nil
}

func (r releasedFiles) OpenReleased(_ context.Context, path string) (io.ReadCloser, error) {
	return os.Open(path)
}
