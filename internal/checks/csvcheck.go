package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// cellList collects the rows of one column's cells that one rule flags:
// all of them counted, the first max kept.
type cellList struct {
	total int
	rows  []int
}

func (l *cellList) add(row, max int) {
	l.total++
	if len(l.rows) < max {
		l.rows = append(l.rows, row)
	}
}

// column accumulates what one column of a table holds.
type column struct {
	columnInfo
	counts, negatives, decimals, texts int
	small, unrounded, values           cellList
	// skip: the column's cells need not be read, as it never counts
	// (roleNever) or has shown it does not hold counts (isCount is false
	// for good).
	skip  bool
	diffs []cellList // one per comparison with a released table
}

// isCount reports whether the column holds counts: its header says so,
// or it has at least one whole number and every other value in it is a
// redaction marker.
func (c *column) isCount() bool {
	switch c.role {
	case roleAlways:
		return true
	case roleAuto:
		return c.counts > 0 && c.negatives == 0 && c.decimals == 0 && c.texts == 0
	}
	return false
}

// isKey reports whether the column labels rows (a category, a year, a
// code) rather than measuring them, so that two tables' rows can be
// matched on it.
func (c *column) isKey() bool {
	switch c.role {
	case roleNever:
		return true
	case roleAuto:
		return !c.isCount() && (c.texts > 0 || c.counts+c.negatives+c.decimals == 0)
	}
	return false
}

func (c *column) tally(k kind) {
	switch k {
	case kindCount:
		c.counts++
	case kindNegative:
		c.negatives++
	case kindDecimal:
		c.decimals++
	case kindText:
		c.texts++
	}
}

// csvScan is one pass over a table being checked.
type csvScan struct {
	ck    *Checker
	cl    classifier
	cols  []column
	comps []*comparison
	live  []int   // the columns whose cells are read (not skip), in order
	kinds []kind  // this row's cells, for the comparisons
	vals  []int64 // this row's counts
	key   []byte

	smallOn, unroundedOn bool
	smallMin, threshold  int64
	base                 int64
	maxCells             int
}

// checkCSV runs the table rules over a CSV file, one row at a time.
func (ck *Checker) checkCSV(ctx context.Context, r io.Reader, o *options, out *report) error {
	rules := &ck.cfg.Rules
	if !rules.SmallCount.Enabled && !rules.Unrounded.Enabled && !rules.MinMax.Enabled && !rules.Differencing.Enabled {
		return nil
	}
	tr := newTableReader(r)
	header, err := tr.read(-1)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		out.tableProblem(err)
		return nil
	}
	s := &csvScan{
		ck:          ck,
		cl:          classifier{markers: ck.markers},
		cols:        make([]column, len(header)),
		kinds:       make([]kind, len(header)),
		vals:        make([]int64, len(header)),
		smallOn:     rules.SmallCount.Enabled,
		unroundedOn: rules.Unrounded.Enabled,
		threshold:   int64(rules.SmallCount.Threshold),
		smallMin:    1,
		base:        int64(rules.Unrounded.Base),
		maxCells:    ck.cfg.MaxCells,
	}
	if rules.SmallCount.Zero {
		s.smallMin = 0
	}
	names := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = bytes.TrimPrefix(h, []byte("\uFEFF"))
		}
		s.cols[i].columnInfo = ck.describeColumn(string(h))
		s.cols[i].skip = s.cols[i].role == roleNever
		names[i] = s.cols[i].match
	}
	s.liveColumns()
	if rules.Differencing.Enabled && o.released != nil {
		comps, skipped, err := ck.prepareComparisons(ctx, names, o.released)
		if err != nil {
			return err
		}
		s.comps = comps
		for i := range s.cols {
			s.cols[i].diffs = make([]cellList, len(comps))
		}
		if len(skipped) > 0 {
			out.add(RuleDifferencing, SeverityInfo, nil, tooLargeMessage(skipped, rules.Differencing.MaxReleasedRows))
		}
	}
	for row := 0; ; row++ {
		if row&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := tr.read(row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.tableProblem(err)
			break
		}
		s.row(row, rec)
	}
	s.report(out)
	return nil
}

// row checks one data row.
func (s *csvScan) row(row int, rec [][]byte) {
	if s.comps != nil {
		clear(s.kinds) // kindMarker: cells not read
	}
	died := false
	for _, i := range s.live {
		if i >= len(rec) {
			break
		}
		col := &s.cols[i]
		k, v := s.cl.classify(rec[i])
		if k == kindMarker {
			continue
		}
		s.kinds[i], s.vals[i] = k, v
		col.tally(k)
		if col.role == roleAuto && k != kindCount {
			// Decided once: a column that holds anything but counts and
			// markers is not a count column whatever follows, so none of
			// its findings can be reported; its cells are not read again.
			col.skip, died = true, true
			s.kinds[i] = kindMarker
			continue
		}
		if col.role == roleMinMax {
			col.values.add(row, s.maxCells)
			continue
		}
		if k != kindCount {
			continue
		}
		small := s.smallOn && v >= s.smallMin && v <= s.threshold && !standsForBand(v, col.rounding)
		if small {
			col.small.add(row, s.maxCells)
		}
		if s.unroundedOn && !small && !s.isRounded(v, col.rounding) {
			col.unrounded.add(row, s.maxCells)
		}
	}
	if died {
		s.liveColumns()
	}
	for ci, c := range s.comps {
		s.key = c.rowKey(s.key[:0], rec)
		released := c.lookup(s.key)
		if released == nil {
			continue
		}
		for j, newCol := range c.newCols {
			if s.kinds[newCol] != kindCount || released[j] < 0 {
				continue
			}
			a, b := s.vals[newCol], released[j]
			d := max(a-b, b-a)
			if d < 1 || d > s.threshold {
				continue
			}
			// Two rounded counts differ by a rounded amount, which says
			// nothing exact about the people between them.
			if isRounded(a, s.cols[newCol].rounding, s.base) && isRounded(b, c.rounding[j], s.base) {
				continue
			}
			s.cols[newCol].diffs[ci].add(row, s.maxCells)
		}
	}
}

// liveColumns lists the columns whose cells are still read, in order.
func (s *csvScan) liveColumns() {
	s.live = s.live[:0]
	for i := range s.cols {
		if !s.cols[i].skip {
			s.live = append(s.live, i)
		}
	}
}

// isRounded is isRounded with the scan's base, the common bases without
// a division.
func (s *csvScan) isRounded(v int64, r rounding) bool {
	if r == roundBase && v > 0 {
		switch s.base {
		case 5:
			return v%5 == 0
		case 10:
			return v%10 == 0
		}
	}
	return isRounded(v, r, s.base)
}

// standsForBand reports whether a small value is the label of a band of
// counts rather than a count: midpoint 6 rounding writes 1 to 6 as 3, and
// values derived from it are multiples of 6.
func standsForBand(v int64, r rounding) bool {
	switch r {
	case roundMidpoint6:
		return v%6 == 3
	case roundMultiple6:
		return v%6 == 0
	}
	return false
}

// isRounded reports whether a count is rounded as its column should be.
func isRounded(v int64, r rounding, base int64) bool {
	if v == 0 {
		return true
	}
	switch r {
	case roundMidpoint6:
		return v%6 == 3
	case roundMultiple6:
		return v%6 == 0
	}
	return v%base == 0
}

// report turns what the scan found into findings, rule by rule, column by
// column.
func (s *csvScan) report(out *report) {
	rules := &s.ck.cfg.Rules
	lo, hi := s.smallMin, s.threshold
	for i := range s.cols {
		c := &s.cols[i]
		if c.isCount() && c.small.total > 0 {
			out.add(RuleSmallCount, rules.SmallCount.Severity, cellsOf(c.small, i),
				fmt.Sprintf("%s between %d and %d %s not redacted in column '%s'%s",
					counted(c.small.total, "count"), lo, hi, isAre(c.small.total), c.name, marked(c.small, s.maxCells)))
		}
	}
	for i := range s.cols {
		c := &s.cols[i]
		if c.isCount() && c.unrounded.total > 0 {
			out.add(RuleUnrounded, rules.Unrounded.Severity, cellsOf(c.unrounded, i),
				fmt.Sprintf("%s in column '%s' %s not %s%s",
					counted(c.unrounded.total, "count"), c.name, isAre(c.unrounded.total), roundingText(c.rounding, s.base), marked(c.unrounded, s.maxCells)))
		}
	}
	for i := range s.cols {
		c := &s.cols[i]
		if c.role == roleMinMax && c.values.total > 0 {
			out.add(RuleMinMax, rules.MinMax.Severity, cellsOf(c.values, i),
				fmt.Sprintf("Column '%s' holds minimum or maximum values (%s): these often describe one or two people and should not be released%s",
					c.name, counted(c.values.total, "value"), marked(c.values, s.maxCells)))
		}
	}
	for ci, comp := range s.comps {
		for _, i := range comp.newCols {
			c := &s.cols[i]
			if d := c.diffs[ci]; c.isCount() && d.total > 0 {
				out.add(RuleDifferencing, rules.Differencing.Severity, cellsOf(d, i),
					fmt.Sprintf("%s in column '%s' %s by 1 to %d from the same rows of the released file '%s': subtracting one from the other reveals a small count%s",
						counted(d.total, "count"), c.name, differDiffers(d.total), s.threshold, comp.path, marked(d, s.maxCells)))
			}
		}
	}
}

func roundingText(r rounding, base int64) string {
	switch r {
	case roundMidpoint6:
		return "midpoint 6 rounded (0, 3, 9, 15, …)"
	case roundMultiple6:
		return "multiples of 6, as values derived from midpoint 6 rounded counts are"
	}
	return fmt.Sprintf("rounded to a multiple of %d", base)
}

func cellsOf(l cellList, col int) [][2]int {
	cells := make([][2]int, len(l.rows))
	for i, r := range l.rows {
		cells[i] = [2]int{r, col}
	}
	return cells
}

// marked tells how many of the cells a finding lists, when not all.
func marked(l cellList, max int) string {
	if l.total <= max {
		return ""
	}
	return fmt.Sprintf(" (the first %s are marked)", thousands(max))
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func differDiffers(n int) string {
	if n == 1 {
		return "differs"
	}
	return "differ"
}

// counted writes "1 count", "1,234 counts".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
