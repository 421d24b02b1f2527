package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/checks"
)

// This file marks the cells of a CSV page that disclosure checks flag
// (File.Findings). A finding's cell [row, col] counts rows from 0 over the
// data rows, as the checks read the file with the same CSV settings as
// the viewer; the viewer numbers data rows from 1, so the cell is shown in
// the row numbered row+1, and in its col-th cell (ragged rows included).

// cellFindings returns the findings that are about cells, in their order.
func cellFindings(fs []checks.Finding) []checks.Finding {
	var out []checks.Finding
	for _, f := range fs {
		if len(f.Cells) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// findingsHash returns a short hash of the findings about cells, which is
// all that the marks of a CSV page depend on, or "" when there are none.
func findingsHash(fs []checks.Finding) string {
	h := sha256.New()
	buf := make([]byte, 0, 4<<10)
	n := 0
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	for _, f := range fs {
		if len(f.Cells) == 0 {
			continue
		}
		n++
		str(string(f.Rule))
		str(string(f.Severity))
		str(f.Message)
		buf = binary.AppendUvarint(buf, uint64(len(f.Cells)))
		for _, c := range f.Cells {
			buf = binary.AppendVarint(buf, int64(c[0]))
			buf = binary.AppendVarint(buf, int64(c[1]))
			if len(buf) > cap(buf)-32 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
	}
	if n == 0 {
		return ""
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// severityOf returns a finding's severity, taking anything invalid as a
// warning so that a mark is never lost.
func severityOf(f checks.Finding) checks.Severity {
	if f.Severity.Valid() {
		return f.Severity
	}
	return checks.SeverityWarning
}

func severityRank(s checks.Severity) int {
	switch s {
	case checks.SeverityInfo:
		return 0
	case checks.SeverityBlocking:
		return 2
	}
	return 1
}

func ruleName(r checks.Rule) string {
	if r == "" {
		return "unnamed rule"
	}
	return validUTF8(string(r))
}

// cellMark is what a flagged cell shows.
type cellMark struct {
	Severity checks.Severity // the highest of its findings
	Title    string          // rule (severity): message, a line for each finding
	Notes    string          // ids of the legend notes, for aria-describedby
	findings []int           // indices into flagLegend.notes, ascending
}

// flagNote is one finding about cells listed in the legend.
type flagNote struct {
	ID       string
	Rule     string
	Severity checks.Severity
	Message  string
	OnPage   bool // a cell of this page is among its cells
	rule     int  // index into flagLegend.Rules
	single   *cellMark
}

// flagRule is a line of the legend: one rule and its counts.
type flagRule struct {
	Rule     string
	Severity checks.Severity // the highest of its findings
	OnPage   int             // distinct cells of the page it flags
	InFile   int             // distinct cells of the file it lists
	Notes    []*flagNote     // its findings with cells on this page
}

// flagLegend is the legend above a flagged CSV page.
type flagLegend struct {
	OnPage int // distinct flagged cells shown on the page
	InFile int // distinct flagged cells listed in the file
	Rules  []*flagRule
	notes  []*flagNote
}

// pageMarks holds the marks of one page: for each row of the page (by
// index into the page's rows) the marks of its flagged cells by column.
type pageMarks struct {
	rows   []map[int]*cellMark
	legend *flagLegend
}

// markPage finds the marks of a page whose first data row is numbered
// firstRow (1-based) and whose rows are rows. It reads every listed cell
// once, keeping only those of the page's rows, so its work is linear in
// the findings and its memory in the page. It returns nil when no finding
// is about cells.
func markPage(fs []checks.Finding, firstRow int, rows [][]string) *pageMarks {
	return markRows(fs, func(dataRow int) int { return dataRow - (firstRow - 1) }, rows)
}

// markRows is markPage for rows in any order: at(dataRow) gives the
// position on the page of the data row counted from 0 (as findings count
// them), or an index outside rows when it is not shown.
func markRows(fs []checks.Finding, at func(dataRow int) int, rows [][]string) *pageMarks {
	fs = cellFindings(fs)
	if len(fs) == 0 {
		return nil
	}
	lg := &flagLegend{}
	ruleIndex := map[checks.Rule]int{}
	for i, f := range fs {
		ri, ok := ruleIndex[f.Rule]
		if !ok {
			ri = len(lg.Rules)
			ruleIndex[f.Rule] = ri
			lg.Rules = append(lg.Rules, &flagRule{Rule: ruleName(f.Rule), Severity: severityOf(f)})
		}
		sev := severityOf(f)
		if severityRank(sev) > severityRank(lg.Rules[ri].Severity) {
			lg.Rules[ri].Severity = sev
		}
		n := &flagNote{
			ID:       fmt.Sprintf("flag-note-%d", i),
			Rule:     ruleName(f.Rule),
			Severity: sev,
			Message:  validUTF8(f.Message),
			rule:     ri,
		}
		n.single = &cellMark{
			Severity: sev,
			Title:    noteTitle(n),
			Notes:    n.ID,
			findings: []int{i},
		}
		lg.notes = append(lg.notes, n)
	}

	pm := &pageMarks{rows: make([]map[int]*cellMark, len(rows)), legend: lg}
	for i, f := range fs {
		note := lg.notes[i]
		for _, c := range f.Cells {
			r, col := at(c[0]), c[1]
			if c[0] < 0 || r < 0 || r >= len(rows) || col < 0 || col >= len(rows[r]) {
				continue
			}
			m := pm.rows[r]
			if m == nil {
				m = map[int]*cellMark{}
				pm.rows[r] = m
			}
			old := m[col]
			switch {
			case old == nil:
				m[col] = note.single
				lg.OnPage++
				lg.Rules[note.rule].OnPage++
			case slices.Contains(old.findings, i):
				// Listed twice by the same finding.
			default:
				if !old.hasRule(lg, note.rule) {
					lg.Rules[note.rule].OnPage++
				}
				m[col] = old.with(lg, i)
			}
			note.OnPage = true
		}
	}
	for _, n := range lg.notes {
		if n.OnPage {
			lg.Rules[n.rule].Notes = append(lg.Rules[n.rule].Notes, n)
		}
	}
	lg.countFile(fs)
	return pm
}

// row returns the marks of a row of the page by column, or nil.
func (pm *pageMarks) row(i int) map[int]*cellMark {
	if pm == nil {
		return nil
	}
	return pm.rows[i]
}

func noteTitle(n *flagNote) string {
	return n.Rule + " (" + string(n.Severity) + "): " + n.Message
}

func (m *cellMark) hasRule(lg *flagLegend, rule int) bool {
	for _, i := range m.findings {
		if lg.notes[i].rule == rule {
			return true
		}
	}
	return false
}

// with returns a new mark for a cell flagged by m's findings and finding i.
func (m *cellMark) with(lg *flagLegend, i int) *cellMark {
	ids := append(slices.Clone(m.findings), i)
	slices.Sort(ids)
	out := &cellMark{Severity: checks.SeverityInfo, findings: ids}
	var title, notes []string
	for _, id := range ids {
		n := lg.notes[id]
		if severityRank(n.Severity) > severityRank(out.Severity) {
			out.Severity = n.Severity
		}
		title = append(title, noteTitle(n))
		notes = append(notes, n.ID)
	}
	out.Title = strings.Join(title, "\n")
	out.Notes = strings.Join(notes, " ")
	return out
}

// countFile counts the distinct cells the findings list in the whole file,
// in all and for each rule of the legend. It sorts a copy of the cells:
// packed into integers when they fit, as they do for any table the viewer
// can show, else as structs.
func (lg *flagLegend) countFile(fs []checks.Finding) {
	const (
		ruleBits = 8
		colBits  = 20 // a row has at most MaxRecordCells cells
		rowBits  = 64 - colBits - ruleBits
	)
	total := 0
	for _, f := range fs {
		total += len(f.Cells)
	}
	if len(lg.Rules) <= 1<<ruleBits {
		keys := make([]uint64, 0, total)
		packed := true
	pack:
		for i, f := range fs {
			ri := uint64(lg.notes[i].rule)
			for _, c := range f.Cells {
				switch {
				case c[0] < 0 || c[1] < 0:
					continue
				case c[0] >= 1<<rowBits || c[1] >= 1<<colBits:
					packed = false
					break pack
				}
				keys = append(keys, uint64(c[0])<<(colBits+ruleBits)|uint64(c[1])<<ruleBits|ri)
			}
		}
		if packed {
			slices.Sort(keys)
			for i, k := range keys {
				if i > 0 && keys[i-1] == k {
					continue
				}
				lg.Rules[k&(1<<ruleBits-1)].InFile++
				if i == 0 || keys[i-1]>>ruleBits != k>>ruleBits {
					lg.InFile++
				}
			}
			return
		}
	}

	type cell struct{ row, col, rule int }
	all := make([]cell, 0, total)
	for i, f := range fs {
		ri := lg.notes[i].rule
		for _, c := range f.Cells {
			if c[0] >= 0 && c[1] >= 0 {
				all = append(all, cell{c[0], c[1], ri})
			}
		}
	}
	slices.SortFunc(all, func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.row, b.row), cmp.Compare(a.col, b.col), cmp.Compare(a.rule, b.rule))
	})
	for i, c := range all {
		if i > 0 && all[i-1] == c {
			continue
		}
		lg.Rules[c.rule].InFile++
		if i == 0 || all[i-1].row != c.row || all[i-1].col != c.col {
			lg.InFile++
		}
	}
}
