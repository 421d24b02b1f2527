package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"

	"github.com/airlock-go/airlock/internal/domain"
)

// The user guide: Markdown pages embedded in the binary, rendered with
// goldmark once, on first use. goldmark's default renderer drops raw
// HTML (it writes "<!-- raw HTML omitted -->" instead) and refuses
// dangerous link schemes such as javascript:; docMarkdown keeps those
// defaults, so nothing in a page can run as script or break the layout.
//
//go:embed docs/*.md
var docFiles embed.FS

// docPage is one page of the guide, at /docs/<Slug> (the index at /docs/).
type docPage struct {
	Slug, Title, File string
}

// docPages are the pages of the guide, in the order of its menu.
var docPages = []docPage{
	{"", "Airlock user guide", "index.md"},
	{"researchers", "For researchers", "researchers.md"},
	{"output-checkers", "For output checkers", "output-checkers.md"},
	{"operators", "For operators", "operators.md"},
	{"moving-from-opensafely-airlock", "Moving from OpenSAFELY Airlock", "moving-from-opensafely-airlock.md"},
	{"request-states", "Request states", "request-states.md"},
	{"file-icons", "File icons and states", "file-icons.md"},
	{"terms-and-definitions", "Terms and definitions", "terms-and-definitions.md"},
}

// docMarkdown is the Markdown of the guide: GitHub's flavour (tables,
// autolinks), headings with ids for links to sections, no raw HTML.
var docMarkdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// renderMarkdown turns Markdown into HTML, raw HTML omitted.
func renderMarkdown(src []byte) (template.HTML, error) {
	var buf bytes.Buffer
	if err := docMarkdown.Convert(src, &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// renderedDocs renders every page once.
var renderedDocs = sync.OnceValues(func() (map[string]template.HTML, error) {
	out := make(map[string]template.HTML, len(docPages))
	for _, p := range docPages {
		src, err := docFiles.ReadFile("docs/" + p.File)
		if err != nil {
			return nil, fmt.Errorf("docs: %w", err)
		}
		html, err := renderMarkdown(src)
		if err != nil {
			return nil, fmt.Errorf("docs: render %s: %w", p.File, err)
		}
		out[p.Slug] = html
	}
	return out, nil
})

// docsView is a page of the guide with its menu and, on the reference
// pages, what is generated from the code.
type docsView struct {
	Title       string
	Body        template.HTML
	Menu        []navItem
	Transitions []transitionRow // request-states: the state machine
	Statuses    []statusRow     // request-states: every status
	FileStates  []fileStateList // file-icons: the pills, by where they appear
}

// transitionRow is one allowed move of the state machine.
type transitionRow struct {
	From, To              domain.Status
	Actor, Trigger, Event string
}

// statusRow is one status and who may move a request on from it.
type statusRow struct {
	Status domain.Status
	Owner  string
}

// fileStateList is a list of file states with what each means.
type fileStateList struct {
	Heading string
	States  []fileStateDoc
}

type fileStateDoc struct {
	State, Label, Meaning string
}

// actorName says who makes a move, for people.
func actorName(o domain.Owner) string {
	switch o {
	case domain.OwnerAuthor:
		return "Author"
	case domain.OwnerReviewer:
		return "Output checker"
	case domain.OwnerSystem:
		return "Airlock (automatic)"
	}
	return "Nobody"
}

// docs answers /docs/ and the pages below it, which need no login; an
// unknown page is the 404 page.
func (h *Handler) docs(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	slug := strings.Trim(r.PathValue("path"), "/")
	var page *docPage
	for i := range docPages {
		if docPages[i].Slug == slug {
			page = &docPages[i]
			break
		}
	}
	if page == nil {
		return errorPage(http.StatusNotFound, "There is no page at "+r.URL.Path+" in the user guide.")
	}
	bodies, err := renderedDocs()
	if err != nil {
		return err
	}
	v := docsView{Title: page.Title, Body: bodies[page.Slug]}
	for _, p := range docPages {
		v.Menu = append(v.Menu, navItem{Label: p.Title, URL: docURL(p.Slug), Active: p.Slug == page.Slug})
	}
	switch page.Slug {
	case "request-states":
		for _, t := range domain.Transitions() {
			v.Transitions = append(v.Transitions, transitionRow{From: t.From, To: t.To, Actor: actorName(t.Actor), Trigger: t.Trigger, Event: t.Notification})
		}
		for _, s := range domain.Statuses() {
			owner := actorName(s.Owner())
			if s.Owner() == domain.OwnerSystem && s != domain.StatusApproved {
				owner = "Nobody: final"
			}
			v.Statuses = append(v.Statuses, statusRow{Status: s, Owner: owner})
		}
	case "file-icons":
		v.FileStates = fileStateDocs
	}
	return h.render(w, r, http.StatusOK, "docs", v)
}

// docURL is the address of a page of the guide.
func docURL(slug string) string {
	if slug == "" {
		return "/docs/"
	}
	return "/docs/" + slug
}

// fileStateDocs are the state pills of files, where they appear and what
// they mean (OpenSAFELY Airlock's file-icons reference page).
var fileStateDocs = []fileStateList{
	{"In a workspace", []fileStateDoc{
		{"UNRELEASED", "Unreleased", "The file is in no request and has never been released."},
		{"UNDER_REVIEW", "Under review", "The file is on a request of yours that is not finished yet, exactly as it is in the workspace."},
		{"UPDATED", "Updated", "The file is on your current request, but it has changed in the workspace since you added it. Update it on the request if the new version is the one to release."},
		{"RELEASED", "Released", "These exact contents have been released. They can be added to a request again only as a supporting file."},
		{"WITHDRAWN", "Withdrawn", "The file was on your current request and you withdrew it while the request was returned to you."},
		{"OUT_OF_DATE", "Out of date", "The action that wrote the file is out of date. Such outputs are hidden unless you show them; they can still be added."},
		{"INVALID", "Invalid", "The file cannot be added to a request: its type is not one that can be released."},
	}},
	{"In a request, during independent review (what an output checker sees)", []fileStateDoc{
		{"APPROVED", "Approved", "You voted to approve this file."},
		{"CHANGES_REQUESTED", "Changes requested", "You voted to ask for changes to this file."},
		{"UNDECIDED", "Undecided", "You have not voted on this file yet (or your earlier request for changes was reset when the request was resubmitted)."},
		{"WITHDRAWN", "Withdrawn", "The author withdrew the file: it will not be released and needs no vote."},
		{"SUPPORTING", "Supporting", "A supporting file: context for the reviewers, never released, no vote."},
	}},
	{"In a request, after the independent reviews (what everyone sees)", []fileStateDoc{
		{"APPROVED", "Approved", "Two submitted reviews approved the file."},
		{"CHANGES_REQUESTED", "Changes requested", "Two submitted reviews asked for changes."},
		{"CONFLICTED", "Conflicted", "The reviews disagree: one approved and one asked for changes. The checkers settle it while consolidating, or a third checker reviews."},
		{"INCOMPLETE", "Incomplete", "Not every review has been submitted yet (a researcher sees every output as under review until the request is returned)."},
		{"WITHDRAWN", "Withdrawn", "Withdrawn by the author; never released."},
		{"SUPPORTING", "Supporting", "Supporting file; never released."},
	}},
}
