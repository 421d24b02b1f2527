package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/diff"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/render"
	"github.com/airlock-go/airlock/internal/service"
)

// The "what changed" section of a request file page. The page holds a
// placeholder (template "request-diff", given the request's id and the
// file's path) that htmx fills from requestDiff once the page is shown,
// so that comparing two large versions never slows the page itself; the
// placeholder's link opens the same section as a page of its own without
// JavaScript. A checker who voted on an earlier version than the current
// one sees "Changed since you voted": the diff from that version to the
// current. Everyone else, once a file has two versions or more, sees the
// list of versions and may compare any two.

// requestDiffURL is the section's URL for a request file.
func requestDiffURL(id, relpath string) string {
	return pathRequestDiff.build(id, relpath)
}

// requestVersionURL is the URL of one version's content, viewed as the
// current file's is.
func requestVersionURL(id string, version int, relpath string) string {
	return pathRequestVersion.build(id, strconv.Itoa(version), relpath)
}

// diffVersionRow is a version of the file in the section's list.
type diffVersionRow struct {
	N        int
	SHA      string
	Short    string
	Size     string // for people: "1.2 KiB"
	AddedBy  string
	AddedAt  time.Time
	URL      string // its content
	Reviewed bool   // the version the viewer last voted on
	Current  bool
}

// diffCell is a cell of the CSV diff's table.
type diffCell struct {
	Text    string
	Old     string // for a changed cell
	Changed bool
}

// diffRow is a row of the CSV diff's table.
type diffRow struct {
	Kind  string // "changed", "added", "removed"
	Num   int    // its row number (in the old version for a removed row)
	Cells []diffCell
}

// requestDiffView is the section.
type requestDiffView struct {
	ID, Path   string
	URL        string
	Changed    bool // the viewer voted on an earlier version
	Versions   []diffVersionRow
	From, To   diffVersionRow
	D          *service.FileDiff
	Error      string // why the versions asked for cannot be compared
	Standalone bool   // a page of its own (no JavaScript)
	Open       bool   // the section starts unfolded
	Summary    string // what changed, in a line

	// CSV
	Header     []string
	NewColumns map[int]bool // columns of the new header only
	Rows       []diffRow
	Shown      string // "Showing the first …" when lists were cut
	// Text
	Hunks []diff.Hunk
}

// requestDiff serves the section: the fragment for htmx, else a page.
func (h *Handler) requestDiff(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ctx := r.Context()
	id, p := r.PathValue("id"), r.PathValue("path")
	versions, reviewed, err := h.svc.FileVersions(ctx, u, id, p)
	if err != nil {
		return err
	}
	standalone := !isHTMX(r)
	// What the section shows depends only on the versions (each is
	// immutable), the viewer's last vote and the query: keep it.
	key := "diff\x00" + r.URL.RequestURI() + "\x00" + strconv.FormatBool(standalone) + "\x00" + versionsKey(versions, reviewed)
	key = pageKey(key, domain.Stamp{}, u)
	if body, ok := h.rendered.get(key); ok {
		h.writePage(w, r, http.StatusOK, body)
		return nil
	}
	v := &requestDiffView{ID: id, Path: p, URL: requestDiffURL(id, p), Standalone: standalone}
	for _, ver := range versions {
		v.Versions = append(v.Versions, diffVersionRow{
			N: ver.Ordinal, SHA: ver.FileID, Short: domain.ShortHash(ver.FileID), Size: diffSize(ver.Size), AddedBy: ver.AddedBy, AddedAt: ver.AddedAt,
			URL: requestVersionURL(id, ver.Ordinal, p), Reviewed: reviewed != nil && reviewed.FileID == ver.FileID,
		})
	}
	if n := len(v.Versions); n > 0 {
		v.Versions[n-1].Current = true
	}
	v.Changed = reviewed != nil && len(versions) > 0 && reviewed.FileID != versions[len(versions)-1].FileID
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	switch {
	case from == "" && v.Changed:
		from = service.DiffFromReviewed
	case from == "" && len(versions) > 1:
		from = service.DiffFromPrevious
	}
	v.Open = v.Changed || standalone || r.URL.Query().Has("from")
	if from != "" {
		d, err := h.svc.DiffFile(ctx, u, id, p, from, to)
		var de *domain.Error
		switch {
		case errors.As(err, &de):
			v.Error = domain.Message(err)
		case err != nil:
			return err
		default:
			v.fill(d)
		}
	}
	name := "request-diff-fragment"
	if standalone {
		name = "layout"
	}
	body, _, err := h.renderBytes(r, "request-diff", name, v)
	if err != nil {
		return err
	}
	h.rendered.put(key, body)
	h.writePage(w, r, http.StatusOK, body)
	return nil
}

// versionsKey identifies the versions and the viewer's last vote.
func versionsKey(versions []domain.FileVersion, reviewed *domain.ReviewedVersion) string {
	var b strings.Builder
	for _, v := range versions {
		b.WriteString(v.FileID)
		b.WriteByte(',')
	}
	if reviewed != nil {
		b.WriteString("reviewed:" + reviewed.FileID)
	}
	return b.String()
}

// fill lays the diff out for the template.
func (v *requestDiffView) fill(d *service.FileDiff) {
	v.D = d
	v.Summary = diffSummary(d)
	for _, row := range v.Versions {
		if row.N == d.From.Ordinal {
			v.From = row
		}
		if row.N == d.To.Ordinal {
			v.To = row
		}
	}
	if d.Text != nil {
		v.Hunks = d.Text.Hunks
		if d.Text.MoreLines > 0 {
			v.Shown = "The diff stops here: " + plural(d.Text.MoreLines, "more line", "more lines") + " of differences are not shown."
		}
	}
	c := d.CSV
	if c == nil {
		return
	}
	v.Header = c.NewHeader
	v.NewColumns = map[int]bool{}
	oldIndex := map[string]int{}
	for i, name := range c.OldHeader {
		if _, ok := oldIndex[name]; !ok {
			oldIndex[name] = i
		}
	}
	for j, name := range c.NewHeader {
		if _, ok := oldIndex[name]; !ok {
			v.NewColumns[j] = true
		}
	}
	changes := map[int]map[int]string{} // row → col → old value
	for _, x := range c.Cells {
		if changes[x.Row] == nil {
			changes[x.Row] = map[int]string{}
		}
		changes[x.Row][x.Col] = x.Old
	}
	var rows []diffRow
	for _, row := range c.Changed {
		dr := diffRow{Kind: "changed", Num: row.Row}
		for j := range c.NewHeader {
			cell := diffCell{Text: at(row.Cells, j)}
			if old, ok := changes[row.Row][j]; ok {
				cell.Old, cell.Changed = old, true
			}
			dr.Cells = append(dr.Cells, cell)
		}
		rows = append(rows, dr)
	}
	for _, row := range c.Added {
		dr := diffRow{Kind: "added", Num: row.Row}
		for j := range c.NewHeader {
			dr.Cells = append(dr.Cells, diffCell{Text: at(row.Cells, j)})
		}
		rows = append(rows, dr)
	}
	slices.SortStableFunc(rows, func(a, b diffRow) int { return a.Num - b.Num })
	for _, row := range c.Removed {
		dr := diffRow{Kind: "removed", Num: row.Row}
		for _, name := range c.NewHeader {
			i, ok := oldIndex[name]
			if !ok {
				i = -1
			}
			dr.Cells = append(dr.Cells, diffCell{Text: at(row.Cells, i)})
		}
		rows = append(rows, dr)
	}
	v.Rows = rows
	if c.Truncated() {
		v.Shown = "Showing the first " + plural(len(c.Changed), "changed row", "changed rows") + ", " +
			plural(len(c.Added), "added row", "added rows") + " and " + plural(len(c.Removed), "removed row", "removed rows") +
			": download both versions to compare the rest."
	}
}

func at(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return cells[i]
}

// requestVersion serves one version's content, as the file's viewer
// shows the current one.
func (h *Handler) requestVersion(w http.ResponseWriter, r *http.Request, u domain.User) error {
	f, ver, err := h.svc.ViewFileVersion(r.Context(), u, r.PathValue("id"), r.PathValue("path"), r.PathValue("version"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := render.Serve(w, r, render.File{Name: r.PathValue("path"), Content: f, Size: ver.Size, CacheID: ver.FileID}); err != nil {
		h.log.ErrorContext(r.Context(), "serving a version of a request file failed", "err", err)
	}
	return nil
}

// diffSize is a size for people.
func diffSize(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return plural(int(n), "byte", "bytes")
}

// diffSummary says what changed, in a line.
func diffSummary(d *service.FileDiff) string {
	switch {
	case d.Same():
		return "no change to the content"
	case d.CSV != nil:
		c := d.CSV
		parts := []string{plural(c.CellsTotal, "cell changed", "cells changed"), plural(c.AddedTotal, "row added", "rows added"),
			plural(c.RemovedTotal, "row removed", "rows removed")}
		if c.HeaderChanged {
			parts = append(parts, "header changed")
		}
		return strings.Join(parts, " · ")
	case d.Text != nil:
		return plural(d.Text.Added, "line added", "lines added") + " · " + plural(d.Text.Removed, "line removed", "lines removed")
	case d.TooLarge:
		return "too large to compare line by line"
	}
	return "compare the two versions below"
}
