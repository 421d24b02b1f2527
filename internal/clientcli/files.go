package clientcli

import (
	"fmt"
	"io"
	"strings"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
)

type addCmd struct {
	Workspace  string   `arg:"" help:"The workspace."`
	Paths      []string `arg:"" name:"path" help:"Workspace files to add."`
	Group      string   `name:"group" short:"g" required:"" help:"The group to put them in (created if needed)."`
	Supporting bool     `name:"supporting" help:"Add them as supporting files rather than outputs."`
}

func (c *addCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	filetype := client.FileTypeOutput
	if c.Supporting {
		filetype = client.FileTypeSupporting
	}
	files := make([]client.AddFile, len(c.Paths))
	for i, p := range c.Paths {
		files[i] = client.AddFile{Path: strings.Trim(p, "/"), FileType: filetype}
	}
	r, err := s.api.AddFiles(e.Ctx, c.Workspace, c.Group, files)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "request %s (%s): added %d %s to group %s\n", clean(r.ID), statusWords(r.Status), len(files), plural(len(files), "file"), clean(c.Group))
		for _, f := range files {
			fmt.Fprintf(w, "  %s\t%s\n", fileTypeWords(string(f.FileType)), clean(f.Path))
		}
	})
}

type updateCmd struct {
	Workspace string   `arg:"" help:"The workspace."`
	Paths     []string `arg:"" name:"path" help:"Request files to refresh from the workspace."`
}

func (c *updateCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	paths := make([]string, len(c.Paths))
	for i, p := range c.Paths {
		paths[i] = strings.Trim(p, "/")
	}
	r, err := s.api.UpdateFiles(e.Ctx, c.Workspace, paths)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "request %s (%s): updated %d %s\n", clean(r.ID), statusWords(r.Status), len(paths), plural(len(paths), "file"))
		for _, p := range paths {
			fmt.Fprintf(w, "  %s\n", clean(p))
		}
	})
}

type propertiesCmd struct {
	ID         string   `arg:"" help:"The request."`
	Paths      []string `arg:"" name:"path" help:"Request files to move or retype."`
	Group      string   `name:"group" short:"g" required:"" help:"The group to put them in (created if needed)."`
	Supporting bool     `name:"supporting" help:"Make them supporting files rather than outputs."`
}

func (c *propertiesCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	filetype := client.FileTypeOutput
	if c.Supporting {
		filetype = client.FileTypeSupporting
	}
	paths := make([]string, len(c.Paths))
	for i, p := range c.Paths {
		paths[i] = strings.Trim(p, "/")
	}
	before, err := s.api.Request(e.Ctx, c.ID)
	if err != nil {
		return s.fail(err)
	}
	after, err := s.api.SetFileProperties(e.Ctx, c.ID, paths, c.Group, filetype)
	if err != nil {
		return s.fail(err)
	}
	was, now := placement(before), placement(after)
	changed := 0
	for _, p := range paths {
		if was[p] != now[p] {
			changed++
		}
	}
	return s.print(func(w io.Writer) {
		if changed == 0 {
			// Saving properties unchanged is no error: nothing happened.
			fmt.Fprintln(w, domain.NothingChanged(len(paths)))
			return
		}
		fmt.Fprintf(w, "request %s (%s): %d %s now in group %s, as %s\n", clean(after.ID), statusWords(after.Status),
			changed, plural(changed, "file"), clean(c.Group), strings.ToLower(fileTypeWords(string(filetype))))
	})
}

// placement is each file's group and type.
func placement(r client.Request) map[string]string {
	out := map[string]string{}
	for _, g := range r.Groups {
		for _, f := range g.Files {
			out[f.Path] = g.Name + "\x00" + f.FileType
		}
	}
	return out
}
