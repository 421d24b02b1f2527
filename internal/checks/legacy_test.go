package checks

// The table rules as they were before they read through internal/csvrows
// (encoding/csv, a string per cell, every column classified on every
// row), kept here only to prove that the rules find the same as before:
// see TestSameFindingsAsLegacy and FuzzSameFindingsAsLegacy.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// errLegacyRowLimit stops the CSV reader at a record over the limits.
var errLegacyRowLimit = errors.New("CSV record over the limit")

// legacyTableReader reads CSV records one at a time, reusing the record, and
// refusing records over maxRowBytes or maxRowCells.
type legacyTableReader struct {
	csv *csv.Reader
	lim *legacyRowLimiter
}

func newLegacyTableReader(r io.Reader) *legacyTableReader {
	lim := &legacyRowLimiter{r: r}
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &legacyTableReader{csv: cr, lim: lim}
}

// read returns the next record, valid until the next call, or io.EOF at
// the end. Any other error is a *tableError: the file is not a table the
// checks can read from that record on.
func (t *legacyTableReader) read(row int) ([]string, error) {
	rec, err := t.csv.Read()
	switch {
	case t.lim.over != "":
		return nil, &tableError{row: row, msg: t.lim.over}
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &tableError{row: row, msg: fmt.Sprintf("is not valid CSV (%v)", err), err: err}
	}
	t.lim.startRecord(t.csv.InputOffset())
	return rec, nil
}

// legacyRowLimiter fails once the record being read, which starts at mark, has
// more than maxRowBytes bytes or maxRowCells cells. The CSV reader buffers
// ahead by a few KiB, so the counts are close, not exact; commas inside
// quotes count as separators, erring on the safe side.
type legacyRowLimiter struct {
	r      io.Reader
	mark   int64
	read   int64
	commas int
	over   string
}

func (l *legacyRowLimiter) startRecord(offset int64) {
	l.mark = offset
	// Commas read ahead belong to the next records; forget them, as a
	// record of more cells than the limit is still caught by its bytes
	// or by the commas read after this point.
	l.commas = 0
}

func (l *legacyRowLimiter) Read(p []byte) (int, error) {
	if l.over != "" {
		return 0, errLegacyRowLimit
	}
	room := l.mark + maxRowBytes + 1 - l.read
	if room <= 0 {
		l.over = fmt.Sprintf("is longer than %d MiB", maxRowBytes>>20)
		return 0, errLegacyRowLimit
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	l.commas += bytes.Count(p[:n], []byte{','})
	if l.commas >= maxRowCells {
		l.over = fmt.Sprintf("has more than %d cells", maxRowCells)
		return 0, errLegacyRowLimit
	}
	return n, err
}

// checkCSV runs the table rules over a CSV file, one row at a time.
func (ck *Checker) legacyCheckCSV(ctx context.Context, r io.Reader, o *options, out *report) error {
	rules := &ck.cfg.Rules
	if !rules.SmallCount.Enabled && !rules.Unrounded.Enabled && !rules.MinMax.Enabled && !rules.Differencing.Enabled {
		return nil
	}
	tr := newLegacyTableReader(r)
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
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		s.cols[i].columnInfo = ck.describeColumn(h)
		names[i] = s.cols[i].match
	}
	if rules.Differencing.Enabled && o.released != nil {
		comps, skipped, err := ck.legacyPrepareComparisons(ctx, names, o.released)
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
		s.legacyRow(row, rec)
	}
	s.report(out)
	return nil
}

// row checks one data row.
func (s *csvScan) legacyRow(row int, rec []string) {
	n := min(len(rec), len(s.cols))
	for i := range n {
		col := &s.cols[i]
		if col.role == roleNever {
			s.kinds[i] = kindMarker
			continue
		}
		k, v := legacyClassify(&s.cl, rec[i])
		s.kinds[i], s.vals[i] = k, v
		if k == kindMarker {
			continue
		}
		col.tally(k)
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
		if s.unroundedOn && !small && !isRounded(v, col.rounding, s.base) {
			col.unrounded.add(row, s.maxCells)
		}
	}
	for i := n; i < len(s.cols); i++ {
		s.kinds[i] = kindMarker
	}
	for ci, c := range s.comps {
		s.key = legacyRowKey(c, s.key[:0], rec)
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

// classify reads one cell. For a whole number it also returns its value;
// numbers too large for an int64 are decimals, not counts.
func legacyClassify(c *classifier, cell string) (kind, int64) {
	// Fast path: plain digits, as most count cells are.
	if n := len(cell); n > 0 && n <= 18 {
		var v int64
		i := 0
		for ; i < n; i++ {
			d := cell[i]
			if d < '0' || d > '9' {
				break
			}
			v = v*10 + int64(d-'0')
		}
		if i == n {
			return kindCount, v
		}
	}
	c.buf = appendNormalised(c.buf[:0], cell)
	v := c.buf
	if c.markers.isMarker(v) {
		return kindMarker, 0
	}
	return parseValue(v)
}

// rowKey appends the label of a row of the checked table to dst.
func legacyRowKey(c *comparison, dst []byte, rec []string) []byte {
	for i, col := range c.keyCols {
		if i > 0 {
			dst = append(dst, 0x1f)
		}
		if col < len(rec) {
			dst = appendNormalised(dst, rec[col])
		}
	}
	return dst
}

// prepareComparisons reads the released tables that share columns with
// the table being checked (names: its columns' normalised names), within
// the row budget.
// It returns the comparisons and the released tables too large to hold.
func (ck *Checker) legacyPrepareComparisons(ctx context.Context, names []string, rel Released) ([]*comparison, []string, error) {
	paths, err := rel.ReleasedFiles(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing released files: %w", err)
	}
	paths = slices.Clone(paths)
	slices.Sort(paths)
	byName := map[string]int{}
	for i := len(names) - 1; i >= 0; i-- {
		byName[names[i]] = i
	}
	budget := ck.cfg.Rules.Differencing.MaxReleasedRows
	var comps []*comparison
	var tooLarge []string
	for _, p := range slices.Compact(paths) {
		if !strings.EqualFold(path.Ext(p), ".csv") {
			continue
		}
		c, rows, err := ck.legacyCompareWith(ctx, rel, p, byName, budget)
		switch {
		case errors.Is(err, errTooLarge):
			tooLarge = append(tooLarge, p)
		case err != nil:
			return nil, nil, err
		case c != nil:
			comps = append(comps, c)
			budget -= rows
		}
	}
	return comps, tooLarge, nil
}

// compareWith profiles one released table and, when it shares a key and
// count columns with the checked table, indexes it. It returns nil for a
// table that cannot be compared.
func (ck *Checker) legacyCompareWith(ctx context.Context, rel Released, p string, byName map[string]int, budget int) (*comparison, int, error) {
	cols, rows, err := ck.legacyProfileReleased(ctx, rel, p, budget)
	if err != nil || cols == nil {
		return nil, 0, err
	}
	c := &comparison{path: p}
	var relKey, relCmp []int
	for j := range cols {
		col := &cols[j]
		at, shared := byName[col.match]
		switch {
		case col.isKey():
			if !shared {
				return nil, 0, nil // the checked table lacks a label of these rows
			}
			c.keyCols = append(c.keyCols, at)
			relKey = append(relKey, j)
		case col.isCount() && shared && !slices.Contains(c.newCols, at):
			c.newCols = append(c.newCols, at)
			c.rounding = append(c.rounding, col.rounding)
			relCmp = append(relCmp, j)
		}
	}
	if len(c.newCols) == 0 {
		return nil, 0, nil
	}
	if err := ck.legacyIndexReleased(ctx, rel, c, relKey, relCmp); err != nil {
		return nil, 0, err
	}
	return c, rows, nil
}

// profileReleased reads a released table once to learn which of its
// columns label rows and which hold counts. It returns nil columns for a
// file that is not a table the checks can read.
func (ck *Checker) legacyProfileReleased(ctx context.Context, rel Released, p string, budget int) ([]column, int, error) {
	rc, err := rel.OpenReleased(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("opening released file %s: %w", p, err)
	}
	defer rc.Close()
	src := &source{ctx: ctx, r: rc}
	tr := newLegacyTableReader(src)
	header, err := tr.read(-1)
	if err != nil {
		return nil, 0, src.failure()
	}
	cols := make([]column, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		cols[i].columnInfo = ck.describeColumn(h)
		if cols[i].role == roleMinMax {
			cols[i].role = roleAuto // compared as any other column
		}
	}
	cl := classifier{markers: ck.markers}
	rows := 0
	for ; ; rows++ {
		rec, err := tr.read(rows)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, src.failure()
		}
		if rows >= budget {
			return nil, 0, errTooLarge
		}
		for i := range min(len(rec), len(cols)) {
			if k, _ := legacyClassify(&cl, rec[i]); k != kindMarker {
				cols[i].tally(k)
			}
		}
	}
	if err := src.failure(); err != nil {
		return nil, 0, err
	}
	return cols, rows, nil
}

// indexReleased reads a released table a second time, keeping the counts
// of the compared columns by row label. Labels found on more than one row
// are not compared.
func (ck *Checker) legacyIndexReleased(ctx context.Context, rel Released, c *comparison, relKey, relCmp []int) error {
	rc, err := rel.OpenReleased(ctx, c.path)
	if err != nil {
		return fmt.Errorf("opening released file %s: %w", c.path, err)
	}
	defer rc.Close()
	src := &source{ctx: ctx, r: rc}
	tr := newLegacyTableReader(src)
	if _, err := tr.read(-1); err != nil {
		return src.failure()
	}
	cl := classifier{markers: ck.markers}
	c.index = map[string]int{}
	var key []byte
	for row := 0; ; row++ {
		rec, err := tr.read(row)
		if err != nil {
			break
		}
		key = key[:0]
		for i, col := range relKey {
			if i > 0 {
				key = append(key, 0x1f)
			}
			if col < len(rec) {
				key = appendNormalised(key, rec[col])
			}
		}
		if _, dup := c.index[string(key)]; dup {
			c.index[string(key)] = -1
			continue
		}
		c.index[string(key)] = len(c.values) / len(relCmp)
		for _, col := range relCmp {
			v := int64(-1)
			if col < len(rec) {
				if k, n := legacyClassify(&cl, rec[col]); k == kindCount {
					v = n
				}
			}
			c.values = append(c.values, v)
		}
	}
	return src.failure()
}
