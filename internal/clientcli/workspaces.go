package clientcli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/client"
)

type whoamiCmd struct{}

func (c *whoamiCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	u, err := s.api.Me(e.Ctx)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "user:\t%s\n", clean(u.Username))
		fmt.Fprintf(w, "name:\t%s\n", clean(u.Fullname))
		fmt.Fprintf(w, "output checker:\t%s\n", yesNo(u.OutputChecker))
		if u.ReadonlyAccess {
			fmt.Fprintf(w, "read-only access:\tyes\n")
		}
		for _, list := range []struct {
			label string
			ws    map[string]client.WorkspaceInfo
		}{{"workspace", u.Workspaces}, {"copiloted", u.CopilotedWorkspaces}} {
			for _, name := range slices.Sorted(maps.Keys(list.ws)) {
				info := list.ws[name]
				fmt.Fprintf(w, "%s:\t%s\t%s\t%s\n", list.label, clean(name), workspaceState(info.ProjectDetails.Ongoing, info.Archived), clean(info.ProjectDetails.Name))
			}
		}
	})
}

type workspacesCmd struct{}

func (c *workspacesCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	list, err := s.api.Workspaces(e.Ctx)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintln(w, "WORKSPACE\tSTATE\tREQUEST\tPROJECT")
		for _, ws := range list {
			req := "-"
			if ws.CurrentRequest != nil {
				req = clean(*ws.CurrentRequest)
			}
			state := workspaceState(ws.Ongoing, ws.Archived)
			if ws.Unavailable != nil {
				state = "unavailable"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", clean(ws.Name), state, req, clean(ws.Project))
		}
		for _, ws := range list {
			if ws.Unavailable != nil {
				fmt.Fprintf(w, "%s cannot be browsed: %s\n", clean(ws.Name), clean(*ws.Unavailable))
			}
		}
	})
}

func workspaceState(ongoing, archived bool) string {
	switch {
	case archived:
		return "archived"
	case !ongoing:
		return "inactive"
	}
	return "active"
}

type lsCmd struct {
	Workspace string `arg:"" help:"The workspace."`
	Path      string `arg:"" optional:"" help:"A folder or file in it (default: the top folder)."`
}

func (c *lsCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	entry, err := s.api.Files(e.Ctx, c.Workspace, c.Path)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		if !entry.IsDir() {
			fmt.Fprintf(w, "path:\t%s\n", clean(entry.Path))
			fmt.Fprintf(w, "status:\t%s\n", fileStatusWords(entry.Status))
			fmt.Fprintf(w, "size:\t%d\n", entry.Size)
			modified := "-"
			if entry.Timestamp != nil {
				modified = stamp(entry.Timestamp.Time)
			}
			fmt.Fprintf(w, "modified:\t%s\n", modified)
			fmt.Fprintf(w, "sha256:\t%s\n", clean(entry.SHA256))
			return
		}
		fmt.Fprintln(w, "STATUS\tSIZE\tPATH")
		for _, ch := range entry.Children {
			if ch.IsDir() {
				fmt.Fprintf(w, "-\t-\t%s/\n", clean(strings.TrimRight(ch.Path, "/")))
				continue
			}
			fmt.Fprintf(w, "%s\t%d\t%s\n", or(fileStatusWords(ch.Status), "-"), ch.Size, clean(ch.Path))
		}
	})
}
