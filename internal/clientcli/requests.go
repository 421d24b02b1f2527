package clientcli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/client"
)

type requestsCmd struct {
	Workspace string   `name:"workspace" short:"w" help:"Only requests of this workspace."`
	Status    []string `name:"status" short:"s" help:"Only requests in this status (repeatable)."`
	Author    string   `name:"author" help:"Only requests by this user."`
	Review    bool     `name:"review" help:"Only requests you can review."`
}

func (c *requestsCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	statuses := make([]string, len(c.Status))
	for i, st := range c.Status {
		statuses[i] = strings.ToUpper(strings.TrimSpace(st))
	}
	list, err := s.api.Requests(e.Ctx, client.RequestFilter{Workspace: c.Workspace, Status: statuses, Author: c.Author, Review: c.Review})
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tWORKSPACE\tAUTHOR\tSTATUS\tTURN\tCREATED")
		for _, r := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", clean(r.ID), clean(r.Workspace), clean(r.Author), statusWords(r.Status), r.ReviewTurn, stamp(r.CreatedAt))
		}
	})
}

type showCmd struct {
	ID string `arg:"" help:"The request's id."`
}

func (c *showCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	r, err := s.api.Request(e.Ctx, c.ID)
	if err != nil {
		return s.fail(err)
	}
	return s.print(func(w io.Writer) { printRequest(w, r) })
}

func printRequest(w io.Writer, r client.Request) {
	fmt.Fprintf(w, "request:\t%s\n", clean(r.ID))
	fmt.Fprintf(w, "workspace:\t%s\n", clean(r.Workspace))
	fmt.Fprintf(w, "author:\t%s\n", clean(r.Author))
	fmt.Fprintf(w, "status:\t%s\n", statusWords(r.Status))
	fmt.Fprintf(w, "review turn:\t%d\n", r.ReviewTurn)
	fmt.Fprintf(w, "created:\t%s\n", stamp(r.CreatedAt))
	fmt.Fprintf(w, "last submitted:\t%s\n", stampPtr(r.LastSubmittedAt))
	for _, who := range slices.Sorted(maps.Keys(r.SubmittedReviews)) {
		fmt.Fprintf(w, "reviewed by:\t%s %s\n", clean(who), stamp(r.SubmittedReviews[who]))
	}
	for _, g := range r.Groups {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "group:\t%s\n", clean(g.Name))
		printText(w, "context:\t", g.Context)
		printText(w, "controls:\t", g.Controls)
		// Lines without tabs ("files:", "comments:") end tabwriter's
		// column blocks, so each table aligns on its own.
		if len(g.Files) > 0 {
			fmt.Fprintln(w, "files:")
			fmt.Fprintln(w, "  FILETYPE\tDECISION\tMY VOTE\tSIZE\tPATH")
		}
		for _, f := range g.Files {
			vote := "-"
			if f.MyVote != nil {
				vote = voteWords(*f.MyVote)
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%d\t%s\n", fileTypeWords(f.FileType), or(decisionWords(f.Decision), "-"), vote, f.Size, clean(f.Path))
		}
		if len(g.Comments) > 0 {
			fmt.Fprintln(w, "comments:")
		}
		for _, cm := range g.Comments {
			printText(w, fmt.Sprintf("  #%d\t%s\t%s\tturn %d\t%s\t", cm.ID, clean(cm.Author), visibilityWords(cm.Visibility), cm.ReviewTurn, stamp(cm.CreatedAt)), cm.Text)
		}
	}
}

// printText writes free text after prefix, continuing further lines
// under the first (prefix's tabs give the indent).
func printText(w io.Writer, prefix, text string) {
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\n")
	cont := strings.Repeat("\t", strings.Count(prefix, "\t"))
	if strings.HasPrefix(prefix, "  ") {
		cont = "  " + cont
	}
	for i, line := range lines {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", prefix, or(clean(line), "-"))
			continue
		}
		fmt.Fprintf(w, "%s%s\n", cont, clean(line))
	}
}
