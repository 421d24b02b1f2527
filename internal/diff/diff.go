// Package diff compares two versions of a request file: for CSV tables
// the changed cells, added and removed rows and header changes; for text
// (Markdown, JSON, logs, HTML) a unified line diff. It is pure: it reads
// what it is given and knows nothing of requests or storage. Every list
// it returns is bounded (Limits), with the totals beside it, and it works
// in time and memory near linear in the size of the files.
package diff

import (
	"path"
	"strings"
)

// Kind is how two versions of a file are compared.
type Kind string

const (
	// KindCSV: cell by cell, rows matched by their non-count columns.
	KindCSV Kind = "csv"
	// KindText: line by line.
	KindText Kind = "text"
	// KindBinary: not compared; both versions' size, date and hash are
	// shown, each viewable on its own.
	KindBinary Kind = "binary"
)

// KindOf says how a file is compared, by its extension.
func KindOf(relpath string) Kind {
	switch strings.ToLower(path.Ext(relpath)) {
	case ".csv":
		return KindCSV
	case ".txt", ".md", ".json", ".log", ".html":
		return KindText
	}
	return KindBinary
}

// Limits bound what a diff lists; totals are always counted in full.
type Limits struct {
	Cells      int // changed cells listed
	Rows       int // added rows listed, and removed rows listed
	TextLines  int // lines of unified diff
	Context    int // unchanged lines around each change in a text diff
	MaxRowSize int // cells of an added or removed row listed
}

// DefaultLimits are the bounds pages and the API use.
var DefaultLimits = Limits{Cells: 500, Rows: 200, TextLines: 2000, Context: 3, MaxRowSize: 50}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.Cells > 0 {
		d.Cells = l.Cells
	}
	if l.Rows > 0 {
		d.Rows = l.Rows
	}
	if l.TextLines > 0 {
		d.TextLines = l.TextLines
	}
	if l.Context > 0 {
		d.Context = l.Context
	}
	if l.MaxRowSize > 0 {
		d.MaxRowSize = l.MaxRowSize
	}
	return d
}
