package api

import (
	"net/http"

	"github.com/airlock-go/airlock/internal/diff"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// queryParam is a query parameter of a route.
type queryParam struct {
	Name        string
	Description string
}

// diffQuery are the diff's parameters.
var diffQuery = []queryParam{
	{"from", `the version to compare from: "reviewed" (the version the caller last voted on; the default), "previous" ` +
		`(the version before "to"), a version number (1, 2, ...) or a version's sha256 (or its first 8 or more hex digits)`},
	{"to", `the version to compare to: "current" (the default), a version number or a sha256`},
}

// versionDoc is one version of a request file.
type versionDoc struct {
	Version int    `json:"version"` // 1, 2, ... oldest first
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	AddedBy string `json:"added_by"`
	AddedAt string `json:"added_at"`
	JobID   string `json:"job_id"`
	Commit  string `json:"commit"`
}

// diffDoc is what changed in a request file between two versions. Lists
// are bounded; the totals count everything.
type diffDoc struct {
	Path string     `json:"path"`
	From versionDoc `json:"from"`
	To   versionDoc `json:"to"`
	Kind diff.Kind  `json:"kind"`
	// Same: the two versions have the same content.
	Same bool `json:"same"`
	// TooLarge: a version is too large to compare line by line or cell
	// by cell; it is compared as a binary file (size, date and hash).
	TooLarge bool         `json:"too_large"`
	CSV      *csvDiffDoc  `json:"csv"`
	Text     *textDiffDoc `json:"text"`
	// Versions are every version of the file, oldest first; Reviewed is
	// the sha256 of the one the caller last voted on, or null.
	Versions []versionDoc `json:"versions"`
	Reviewed *string      `json:"reviewed"`
}

type csvDiffDoc struct {
	HeaderChanged  bool     `json:"header_changed"`
	OldHeader      []string `json:"old_header"`
	NewHeader      []string `json:"new_header"`
	ColumnsAdded   []string `json:"columns_added"`
	ColumnsRemoved []string `json:"columns_removed"`
	// MatchedBy names the columns rows were matched by; empty when
	// rows were matched by position.
	MatchedBy        []string     `json:"matched_by"`
	RowsAdded        []csvRowDoc  `json:"rows_added"`
	RowsAddedTotal   int          `json:"rows_added_total"`
	RowsRemoved      []csvRowDoc  `json:"rows_removed"`
	RowsRemovedTotal int          `json:"rows_removed_total"`
	Cells            []csvCellDoc `json:"cells"`
	CellsTotal       int          `json:"cells_total"`
	Truncated        bool         `json:"truncated"`
}

// csvRowDoc is a row only one version has; row counts data rows from 1
// in that version.
type csvRowDoc struct {
	Row   int      `json:"row"`
	Cells []string `json:"cells"`
}

// csvCellDoc is a changed cell: row in the new version, old_row in the
// old, col the column's name, col_index its place (from 0).
type csvCellDoc struct {
	Row      int    `json:"row"`
	OldRow   int    `json:"old_row"`
	Col      string `json:"col"`
	ColIndex int    `json:"col_index"`
	Old      string `json:"old"`
	New      string `json:"new"`
}

type textDiffDoc struct {
	Unified      string `json:"unified"`
	LinesAdded   int    `json:"lines_added"`
	LinesRemoved int    `json:"lines_removed"`
	// MoreLines counts the lines of diff left out of unified.
	MoreLines int  `json:"more_lines"`
	Truncated bool `json:"truncated"`
}

func versionDocument(v domain.FileVersion) versionDoc {
	return versionDoc{Version: v.Ordinal, SHA256: v.FileID, Size: v.Size, AddedBy: v.AddedBy, AddedAt: ts(v.AddedAt), JobID: v.JobID, Commit: v.Commit}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func diffDocument(d *service.FileDiff) diffDoc {
	doc := diffDoc{Path: d.Path, From: versionDocument(d.From), To: versionDocument(d.To), Kind: d.Kind,
		Same: d.Same(), TooLarge: d.TooLarge, Versions: []versionDoc{}}
	for _, v := range d.Versions {
		doc.Versions = append(doc.Versions, versionDocument(v))
	}
	if d.Reviewed != nil {
		doc.Reviewed = &d.Reviewed.FileID
	}
	if c := d.CSV; c != nil {
		cd := &csvDiffDoc{HeaderChanged: c.HeaderChanged, OldHeader: nonNil(c.OldHeader), NewHeader: nonNil(c.NewHeader),
			ColumnsAdded: nonNil(c.ColumnsAdded), ColumnsRemoved: nonNil(c.ColumnsRemoved), MatchedBy: nonNil(c.MatchedBy),
			RowsAdded: []csvRowDoc{}, RowsAddedTotal: c.AddedTotal, RowsRemoved: []csvRowDoc{}, RowsRemovedTotal: c.RemovedTotal,
			Cells: []csvCellDoc{}, CellsTotal: c.CellsTotal, Truncated: c.Truncated()}
		for _, r := range c.Added {
			cd.RowsAdded = append(cd.RowsAdded, csvRowDoc{Row: r.Row, Cells: r.Cells})
		}
		for _, r := range c.Removed {
			cd.RowsRemoved = append(cd.RowsRemoved, csvRowDoc{Row: r.Row, Cells: r.Cells})
		}
		for _, x := range c.Cells {
			cd.Cells = append(cd.Cells, csvCellDoc{Row: x.Row, OldRow: x.OldRow, Col: x.Column, ColIndex: x.Col, Old: x.Old, New: x.New})
		}
		doc.CSV = cd
	}
	if t := d.Text; t != nil {
		doc.Text = &textDiffDoc{Unified: t.Unified(), LinesAdded: t.Added, LinesRemoved: t.Removed, MoreLines: t.MoreLines, Truncated: t.MoreLines > 0}
	}
	return doc
}

// diff compares two versions of a request file. Reading a diff shows the
// file's content, so it is audited as a view of the file.
func (a *API) diff(w http.ResponseWriter, r *http.Request, u domain.User) error {
	id, p := r.PathValue("id"), r.PathValue("path")
	q := r.URL.Query()
	d, err := a.svc.DiffFile(r.Context(), u, id, p, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	if err := a.svc.RecordRequestFileView(r.Context(), u, id, p, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, diffDocument(d))
	return nil
}

// addVersions puts each file's versions in a request document.
func addVersions(doc *requestDoc, versions map[string][]domain.FileVersion) {
	for gi := range doc.Groups {
		for fi := range doc.Groups[gi].Files {
			f := &doc.Groups[gi].Files[fi]
			for _, v := range versions[f.Path] {
				f.Versions = append(f.Versions, versionDocument(v))
			}
		}
	}
}
