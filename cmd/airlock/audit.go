package main

import (
	"fmt"

	"github.com/airlock-go/airlock/internal/config"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

type auditCmd struct {
	List   auditListCmd   `cmd:"" default:"withargs" help:"Print the audit log, newest first (the default)."`
	Verify auditVerifyCmd `cmd:"" help:"Prove the audit log's hash chain, or name the first bad event."`
}

type auditListCmd struct {
	config.Database `embed:""`
	User            string `name:"user" short:"u" help:"Only events by this user."`
	Workspace       string `name:"workspace" short:"w" help:"Only events of this workspace."`
	Request         string `name:"request" short:"r" help:"Only events of this request."`
	Limit           int    `name:"limit" help:"At most this many events (0: all)." default:"0"`
	Words           bool   `name:"words" help:"Tell each event as a sentence (as the request pages do) instead of the reference's key=value line."`
}

func (c *auditListCmd) Run(e *env) error {
	svc, st, err := openService(e, c.Database, service.Config{})
	if err != nil {
		return err
	}
	defer st.Close()
	events, err := svc.AuditLog(e.ctx, service.AuditFilter{User: c.User, Workspace: c.Workspace, Request: c.Request, Limit: c.Limit})
	if err != nil {
		return err
	}
	for _, ev := range events {
		if c.Words {
			fmt.Fprintln(e.stdout, domain.FormatEventWords(ev))
			continue
		}
		fmt.Fprintln(e.stdout, domain.FormatEvent(ev))
	}
	return nil
}

type auditVerifyCmd struct {
	config.Database `embed:""`
}

func (c *auditVerifyCmd) Run(e *env) error {
	svc, st, err := openService(e, c.Database, service.Config{})
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := svc.VerifyAudit(e.ctx)
	if err != nil {
		return fmt.Errorf("audit log NOT intact after checking %d events: %w", n, err)
	}
	fmt.Fprintf(e.stdout, "audit log intact: %d events, hash chain verified\n", n)
	return nil
}
