package diff

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"strings"
)

// CSV is what changed between two versions of a CSV table. Row numbers
// count data rows from 1 (the header is not a row), as the CSV viewer
// numbers them; Row is in the new version, OldRow in the old.
type CSV struct {
	OldHeader, NewHeader []string
	// HeaderChanged: the header differs (columns added, removed,
	// renamed or moved).
	HeaderChanged  bool
	ColumnsAdded   []string // in the new header only
	ColumnsRemoved []string // in the old header only
	// MatchedBy names the columns rows were matched by (the columns both
	// versions have that are not counts); empty when every common column
	// holds numbers and rows were matched by position.
	MatchedBy        []string
	OldRows, NewRows int

	Cells      []Cell // changed cells of matched rows, at most Limits.Cells
	CellsTotal int
	// Changed are the new version's rows that have changed cells (at
	// most Limits.Rows), to show the cells around a change.
	Changed      []Row
	ChangedTotal int
	Added        []Row // rows of the new version only, at most Limits.Rows
	AddedTotal   int
	Removed      []Row // rows of the old version only, at most Limits.Rows
	RemovedTotal int
}

// Cell is one changed cell of a row both versions have.
type Cell struct {
	Row    int    // in the new version
	OldRow int    // in the old version
	Col    int    // index in the new header, from 0
	Column string // its name
	Old    string
	New    string
}

// Row is a row only one version has.
type Row struct {
	Row   int      // its number in its version
	Cells []string // at most Limits.MaxRowSize
}

// Truncated reports whether some list was cut at its limit.
func (d *CSV) Truncated() bool {
	return len(d.Cells) < d.CellsTotal || len(d.Changed) < d.ChangedTotal || len(d.Added) < d.AddedTotal || len(d.Removed) < d.RemovedTotal
}

// Empty reports whether the versions hold the same table.
func (d *CSV) Empty() bool {
	return !d.HeaderChanged && d.CellsTotal == 0 && d.AddedTotal == 0 && d.RemovedTotal == 0
}

// ErrNotCSV: a version could not be read as CSV; compare it as text.
var ErrNotCSV = errors.New("diff: not a CSV table")

// table is a CSV file read whole: its header and data rows.
type table struct {
	header []string
	rows   [][]string
}

func readTable(r io.Reader) (*table, error) {
	br := &bomSkipper{r: r}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	t := &table{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotCSV, err)
		}
		if t.header == nil {
			t.header = rec
			continue
		}
		t.rows = append(t.rows, rec)
	}
}

// bomSkipper drops a UTF-8 byte order mark at the start.
type bomSkipper struct {
	r    io.Reader
	done bool
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if b.done {
		return b.r.Read(p)
	}
	b.done = true
	var head [3]byte
	n, err := io.ReadFull(b.r, head[:])
	rest := head[:n]
	rest = bytes.TrimPrefix(rest, []byte("\xef\xbb\xbf"))
	b.r = io.MultiReader(bytes.NewReader(rest), b.r)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, err
	}
	return b.r.Read(p)
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return row[i]
}

// CompareCSV compares two versions of a CSV table, read whole from
// oldR and newR. Rows are matched by the values of their non-count
// columns (the k-th row with a key in the old version with the k-th
// with that key in the new), or by position when every common column is
// a count. ErrNotCSV when a version is not CSV.
func CompareCSV(oldR, newR io.Reader, lim Limits) (*CSV, error) {
	lim = lim.orDefault()
	a, err := readTable(oldR)
	if err != nil {
		return nil, fmt.Errorf("old version: %w", err)
	}
	b, err := readTable(newR)
	if err != nil {
		return nil, fmt.Errorf("new version: %w", err)
	}
	d := &CSV{OldHeader: a.header, NewHeader: b.header, OldRows: len(a.rows), NewRows: len(b.rows)}

	// Columns are matched by name (the k-th of a name with the k-th).
	oldCol := make([]int, len(b.header)) // new column -> old column, or -1
	byName := map[string][]int{}
	for i, h := range a.header {
		byName[h] = append(byName[h], i)
	}
	for j, h := range b.header {
		oldCol[j] = -1
		if q := byName[h]; len(q) > 0 {
			oldCol[j], byName[h] = q[0], q[1:]
		} else {
			d.ColumnsAdded = append(d.ColumnsAdded, h)
		}
	}
	for _, h := range a.header {
		if q := byName[h]; len(q) > 0 {
			d.ColumnsRemoved = append(d.ColumnsRemoved, h)
			byName[h] = q[1:]
		}
	}
	d.HeaderChanged = !equalStrings(a.header, b.header)

	// The key: the common columns that hold no counts in either version.
	var keyNew, keyOld []int
	for j, i := range oldCol {
		if i >= 0 && !isCountColumn(b.rows, j) && !isCountColumn(a.rows, i) {
			keyNew, keyOld = append(keyNew, j), append(keyOld, i)
			d.MatchedBy = append(d.MatchedBy, b.header[j])
		}
	}

	match := make([]int, len(b.rows)) // new row -> old row, or -1
	matched := make([]bool, len(a.rows))
	if len(keyNew) > 0 {
		// Rows are keyed by a 64-bit hash of their key cells (a map of
		// strings would hold a copy of every key); a match is checked
		// cell by cell, so a collision only ever costs a match.
		seed := maphash.MakeSeed()
		key := func(row []string, cols []int) uint64 {
			var h maphash.Hash
			h.SetSeed(seed)
			for _, c := range cols {
				v := cell(row, c)
				h.WriteString(strconv.Itoa(len(v)))
				h.WriteByte(':')
				h.WriteString(v)
			}
			return h.Sum64()
		}
		sameKey := func(old, row []string) bool {
			for k, c := range keyNew {
				if cell(old, keyOld[k]) != cell(row, c) {
					return false
				}
			}
			return true
		}
		// Old rows by key, in order: the first row of each key, and for
		// each row the next with its key (-1 for none), so that a key
		// shared by many rows costs no more.
		first := make(map[uint64]int32, len(a.rows))
		next := make([]int32, len(a.rows))
		for i := len(a.rows) - 1; i >= 0; i-- { // backwards: first ends at the earliest
			k := key(a.rows[i], keyOld)
			next[i] = -1
			if f, ok := first[k]; ok {
				next[i] = f
			}
			first[k] = int32(i)
		}
		for j, row := range b.rows {
			k := key(row, keyNew)
			i, ok := first[k]
			if !ok || i < 0 || !sameKey(a.rows[i], row) {
				match[j] = -1
				continue
			}
			match[j], matched[i] = int(i), true
			first[k] = next[i]
		}
	} else {
		for j := range b.rows {
			match[j] = -1
			if j < len(a.rows) {
				match[j], matched[j] = j, true
			}
		}
	}

	for j, row := range b.rows {
		i := match[j]
		if i < 0 {
			d.AddedTotal++
			if len(d.Added) < lim.Rows {
				d.Added = append(d.Added, Row{Row: j + 1, Cells: clip(row, lim.MaxRowSize)})
			}
			continue
		}
		old := a.rows[i]
		changed := false
		for c, oc := range oldCol {
			if oc < 0 {
				continue
			}
			if ov, nv := cell(old, oc), cell(row, c); ov != nv {
				changed = true
				d.CellsTotal++
				if len(d.Cells) < lim.Cells {
					d.Cells = append(d.Cells, Cell{Row: j + 1, OldRow: i + 1, Col: c, Column: b.header[c], Old: ov, New: nv})
				}
			}
		}
		if changed {
			d.ChangedTotal++
			if len(d.Changed) < lim.Rows {
				d.Changed = append(d.Changed, Row{Row: j + 1, Cells: clip(row, lim.MaxRowSize)})
			}
		}
	}
	for i, row := range a.rows {
		if !matched[i] {
			d.RemovedTotal++
			if len(d.Removed) < lim.Rows {
				d.Removed = append(d.Removed, Row{Row: i + 1, Cells: clip(row, lim.MaxRowSize)})
			}
		}
	}
	return d, nil
}

func clip(row []string, n int) []string {
	if len(row) > n {
		row = row[:n]
	}
	return append([]string(nil), row...)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// isCountColumn reports whether column c holds counts: at least one
// number, and nothing but numbers and the marks that stand for a hidden
// or missing count (blank, "[REDACTED]", "NA", "*", "<5", ...).
func isCountColumn(rows [][]string, c int) bool {
	numbers := 0
	for _, row := range rows {
		v := strings.TrimSpace(cell(row, c))
		switch {
		case isNumber(v):
			numbers++
		case isMissingMark(v):
		default:
			return false
		}
	}
	return numbers > 0
}

func isNumber(v string) bool {
	if v == "" {
		return false
	}
	v = strings.TrimSuffix(v, "%")
	if strings.Contains(v, ",") {
		v = strings.ReplaceAll(v, ",", "")
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

func isMissingMark(v string) bool {
	if v == "" || v == "-" || v == "*" || v == "." {
		return true
	}
	u := strings.ToUpper(strings.Trim(v, "[]()"))
	switch u {
	case "REDACTED", "NA", "N/A", "NAN", "NULL", "SUPPRESSED":
		return true
	}
	for _, p := range []string{"<=", ">=", "<", ">", "≤", "≥", "~"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			return isNumber(strings.TrimSpace(rest))
		}
	}
	return false
}
