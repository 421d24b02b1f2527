package clientcli

import (
	"context"
	"fmt"
	"io"

	"github.com/airlock-go/airlock/internal/client"
)

type voteCmd struct {
	ID   string `arg:"" help:"The request's id."`
	Path string `arg:"" help:"The request file."`
	Vote string `arg:"" enum:"approve,changes,reset" help:"approve, changes (request changes) or reset (withdraw your vote)."`
}

func (c *voteCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	if c.Vote == "reset" {
		if err := s.api.ResetVote(e.Ctx, c.ID, c.Path); err != nil {
			return s.fail(err)
		}
		return s.print(func(w io.Writer) { fmt.Fprintf(w, "%s: vote withdrawn\n", clean(c.Path)) })
	}
	vote := client.VoteApproved
	if c.Vote == "changes" {
		vote = client.VoteChangesRequested
	}
	f, err := s.api.Vote(e.Ctx, c.ID, c.Path, vote)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		mine := vote
		if f.MyVote != nil {
			mine = voteWords(*f.MyVote)
		}
		fmt.Fprintf(w, "%s: my vote %s, decision %s\n", clean(or(f.Path, c.Path)), clean(mine), or(decisionWords(f.Decision), "-"))
	})
}

// The status changes: each calls one transition and prints the new status.
type (
	submitCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	reviewCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	returnCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	rejectCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	withdrawCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
	releaseCmd struct {
		ID string `arg:"" help:"The request's id."`
	}
)

// runTransition runs one status change and prints the request's new status.
func runTransition(e *Env, cc *Cmd, id string, change func(*client.Client, context.Context, string) (client.Request, error)) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	r, err := change(s.api, e.Ctx, id)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintf(w, "request %s: %s (review turn %d)\n", clean(r.ID), statusWords(r.Status), r.ReviewTurn)
	})
}

func (c *submitCmd) Run(e *Env, cc *Cmd) error {
	return runTransition(e, cc, c.ID, (*client.Client).Submit)
}

func (c *reviewCmd) Run(e *Env, cc *Cmd) error {
	return runTransition(e, cc, c.ID, (*client.Client).Review)
}

func (c *returnCmd) Run(e *Env, cc *Cmd) error {
	return runTransition(e, cc, c.ID, (*client.Client).Return)
}

func (c *rejectCmd) Run(e *Env, cc *Cmd) error {
	return runTransition(e, cc, c.ID, (*client.Client).Reject)
}

func (c *withdrawCmd) Run(e *Env, cc *Cmd) error {
	return runTransition(e, cc, c.ID, (*client.Client).Withdraw)
}

func (c *releaseCmd) Run(e *Env, cc *Cmd) error {
	return runTransition(e, cc, c.ID, (*client.Client).Release)
}
