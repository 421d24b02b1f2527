package clientcli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
)

type contextCmd struct {
	ID           string  `arg:"" help:"The request's id."`
	Group        string  `arg:"" help:"The group."`
	Context      *string `name:"context" xor:"context" help:"The group's context: what the files are and why they are needed."`
	ContextFile  string  `name:"context-file" xor:"context" placeholder:"FILE" help:"Read the context from FILE (- for standard input)."`
	Controls     *string `name:"controls" xor:"controls" help:"The group's controls: how disclosure risk was handled."`
	ControlsFile string  `name:"controls-file" xor:"controls" placeholder:"FILE" help:"Read the controls from FILE (- for standard input)."`
}

func (c *contextCmd) Run(e *Env, cc *Cmd) error {
	if c.ContextFile == "-" && c.ControlsFile == "-" {
		return errors.New("only one of --context-file and --controls-file can read standard input")
	}
	ctxText, err := textArg(e, c.Context, c.ContextFile)
	if err != nil {
		return err
	}
	controls, err := textArg(e, c.Controls, c.ControlsFile)
	if err != nil {
		return err
	}
	if ctxText == nil && controls == nil {
		return errors.New("give --context or --context-file, --controls or --controls-file, or both")
	}
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	if ctxText == nil || controls == nil {
		// Keep what is not being changed.
		r, err := s.api.Request(e.Ctx, c.ID)
		if err != nil {
			return s.fail(err)
		}
		g, ok := r.Group(c.Group)
		if !ok {
			return fmt.Errorf("request %s has no group %s", c.ID, c.Group)
		}
		if ctxText == nil {
			ctxText = &g.Context
		}
		if controls == nil {
			controls = &g.Controls
		}
	}
	g, err := s.api.EditGroup(e.Ctx, c.ID, c.Group, *ctxText, *controls)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "group:\t%s\n", clean(g.Name))
		printText(w, "context:\t", g.Context)
		printText(w, "controls:\t", g.Controls)
	})
}

type commentCmd struct {
	ID      string `arg:"" help:"The request's id."`
	Group   string `arg:"" help:"The group."`
	Text    string `arg:"" help:"The comment (- to read it from standard input)."`
	Private bool   `name:"private" help:"Only output checkers will see it (until it is published)."`
}

func (c *commentCmd) Run(e *Env, cc *Cmd) error {
	var file string
	if c.Text == "-" {
		file = "-"
	}
	text, err := textArg(e, &c.Text, file)
	if err != nil {
		return err
	}
	visibility := client.VisibilityPublic
	if c.Private {
		visibility = client.VisibilityPrivate
	}
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	cm, err := s.api.Comment(e.Ctx, c.ID, c.Group, *text, visibility)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "comment %d added to group %s of request %s (%s)\n", cm.ID, clean(c.Group), clean(c.ID), strings.ToLower(visibilityWords(cm.Visibility)))
	})
}

// textArg returns the text given on the command line or read from a
// file ("-": standard input), or nil when neither was given.
func textArg(e *Env, text *string, file string) (*string, error) {
	if file == "" {
		return text, nil
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(e.Stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	s := strings.TrimRightFunc(string(b), unicode.IsSpace)
	if err := domain.CheckText("the text read from "+inputName(file), s); err != nil {
		return nil, err
	}
	return &s, nil
}

func inputName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}
