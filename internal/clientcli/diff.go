package clientcli

import (
	"fmt"
	"io"
	"strings"

	"github.com/airlock-go/airlock/internal/client"
)

type diffCmd struct {
	ID   string `arg:"" help:"The request's id."`
	Path string `arg:"" help:"The request file's path."`
	From string `name:"from" default:"reviewed" placeholder:"VERSION" help:"Compare from: reviewed (the version you last voted on), previous, a version number (1, 2, ...) or a sha256 (its first 8 or more characters will do)."`
	To   string `name:"to" default:"current" placeholder:"VERSION" help:"Compare to: current, a version number or a sha256."`
}

func (c *diffCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	d, err := s.api.Diff(e.Ctx, c.ID, c.Path, c.From, c.To)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) { printDiff(w, d) })
}

// printDiff writes a diff for a person: the two versions, then the
// changes (cells, rows and header of a table; the unified diff of a text).
func printDiff(w io.Writer, d client.Diff) {
	version := func(v client.FileVersion) string {
		return fmt.Sprintf("version %d (%s, %s, added by %s at %s)", v.Version, shortHash(v.SHA256),
			byteSize(v.Size), clean(v.AddedBy), stamp(v.AddedAt))
	}
	fmt.Fprintf(w, "%s\n", clean(d.Path))
	fmt.Fprintf(w, "from %s\n", version(d.From))
	fmt.Fprintf(w, "to   %s\n", version(d.To))
	switch {
	case d.Same:
		fmt.Fprintln(w, "The two versions have the same content.")
		return
	case d.TooLarge:
		fmt.Fprintln(w, "Too large to compare line by line: compare the sizes and hashes above.")
		return
	case d.CSV != nil:
		printCSVDiff(w, d.CSV)
	case d.Text != nil:
		fmt.Fprintf(w, "%d %s added, %d removed\n", d.Text.LinesAdded, plural(d.Text.LinesAdded, "line"), d.Text.LinesRemoved)
		for _, line := range strings.SplitAfter(d.Text.Unified, "\n") {
			fmt.Fprint(w, cleanLine(line))
		}
	default:
		fmt.Fprintln(w, "Not a table or text: compare the sizes and hashes above, and view each version.")
	}
}

func printCSVDiff(w io.Writer, c *client.CSVDiff) {
	if c.HeaderChanged {
		fmt.Fprintf(w, "Header changed: %s -> %s\n", joinCells(c.OldHeader), joinCells(c.NewHeader))
		if len(c.ColumnsAdded) > 0 {
			fmt.Fprintf(w, "  columns added: %s\n", joinCells(c.ColumnsAdded))
		}
		if len(c.ColumnsRemoved) > 0 {
			fmt.Fprintf(w, "  columns removed: %s\n", joinCells(c.ColumnsRemoved))
		}
	}
	if len(c.MatchedBy) > 0 {
		fmt.Fprintf(w, "Rows matched by %s.\n", joinCells(c.MatchedBy))
	} else {
		fmt.Fprintln(w, "Rows matched by position.")
	}
	fmt.Fprintf(w, "%d %s changed, %d %s added, %d removed\n", c.CellsTotal, plural(c.CellsTotal, "cell"),
		c.RowsAddedTotal, plural(c.RowsAddedTotal, "row"), c.RowsRemovedTotal)
	if len(c.Cells) > 0 {
		fmt.Fprintln(w, "\nROW\tCOLUMN\tOLD\tNEW")
		for _, x := range c.Cells {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", x.Row, clean(x.Col), clean(x.Old), clean(x.New))
		}
		printMore(w, len(c.Cells), c.CellsTotal, "changed cells")
	}
	if len(c.RowsAdded) > 0 {
		fmt.Fprintln(w, "\nADDED ROW\tCELLS")
		for _, r := range c.RowsAdded {
			fmt.Fprintf(w, "+ %d\t%s\n", r.Row, joinCells(r.Cells))
		}
		printMore(w, len(c.RowsAdded), c.RowsAddedTotal, "added rows")
	}
	if len(c.RowsRemoved) > 0 {
		fmt.Fprintln(w, "\nREMOVED ROW\tCELLS")
		for _, r := range c.RowsRemoved {
			fmt.Fprintf(w, "- %d\t%s\n", r.Row, joinCells(r.Cells))
		}
		printMore(w, len(c.RowsRemoved), c.RowsRemovedTotal, "removed rows")
	}
}

func printMore(w io.Writer, shown, total int, what string) {
	if total > shown {
		fmt.Fprintf(w, "... and %d more %s (use --json for the first %d)\n", total-shown, what, shown)
	}
}

func joinCells(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = clean(c)
	}
	return strings.Join(out, ", ")
}

func shortHash(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
