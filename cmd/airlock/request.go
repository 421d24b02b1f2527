package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

type requestCmd struct {
	ChangeStatus changeStatusCmd `cmd:"" name:"change-status" help:"Set a stuck request to REJECTED or WITHDRAWN, bypassing the workflow."`

	Create                requestCreateCmd        `cmd:"" name:"create" help:"Create or top up a user's release request from workspace folders, as the daily job does."`
	CreateRegular         requestCreateRegularCmd `cmd:"" name:"create-regular" help:"Create the release requests listed in regular_release_requests.json (the daily job)."`
	ValidateRegularConfig validateRegularCmd      `cmd:"" name:"validate-regular-config" help:"Check regular_release_requests.json and report on each entry."`
}

type changeStatusCmd struct {
	config.Database `embed:""`
	ID              string `arg:"" help:"The request's id."`
	User            string `name:"user" required:"" help:"The user to record the change as (must be known to airlock)."`
	Status          string `name:"status" required:"" enum:"REJECTED,WITHDRAWN" help:"REJECTED or WITHDRAWN."`
	Yes             bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
}

func (c *changeStatusCmd) Run(e *env) error {
	svc, st, err := openService(e, c.Database, service.Config{})
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := svc.GetRequest(e.ctx, domain.SystemUser(), c.ID)
	if err != nil {
		return err
	}
	if !c.Yes {
		fmt.Fprintf(e.stdout, "Change request %s (workspace %s, author %s) from %s to %s as %s? [y/N] ",
			r.ID, r.Workspace, r.Author, r.Status, c.Status, c.User)
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stdout, "Aborted")
			return nil
		}
	}
	if _, err := svc.AdminChangeStatus(e.ctx, c.ID, c.User, domain.Status(c.Status)); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "Succeeded")
	return nil
}
