package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// comparison holds one released table, indexed by the labels of its rows,
// to compare the counts of the table being checked with.
type comparison struct {
	path     string
	keyCols  []int      // columns of the checked table that label rows, as the released table's key
	newCols  []int      // columns of the checked table compared
	rounding []rounding // how the released column of each newCols is rounded
	index    map[string]int
	values   []int64 // len(newCols) per released row; -1 where not a count
}

// rowKey appends the label of a row of the checked table to dst.
func (c *comparison) rowKey(dst []byte, rec [][]byte) []byte {
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

// lookup returns the released counts of the row labelled key, or nil when
// no released row, or more than one, has that label.
func (c *comparison) lookup(key []byte) []int64 {
	at, ok := c.index[string(key)]
	if !ok || at < 0 {
		return nil
	}
	n := len(c.newCols)
	return c.values[at*n : at*n+n]
}

// prepareComparisons reads the released tables that share columns with
// the table being checked (names: its columns' normalised names), within
// the row budget.
// It returns the comparisons and the released tables too large to hold.
func (ck *Checker) prepareComparisons(ctx context.Context, names []string, rel Released) ([]*comparison, []string, error) {
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
		c, rows, err := ck.compareWith(ctx, rel, p, byName, budget)
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

var errTooLarge = errors.New("released table too large to compare")

// compareWith profiles one released table and, when it shares a key and
// count columns with the checked table, indexes it. It returns nil for a
// table that cannot be compared.
func (ck *Checker) compareWith(ctx context.Context, rel Released, p string, byName map[string]int, budget int) (*comparison, int, error) {
	cols, rows, err := ck.profileReleased(ctx, rel, p, budget)
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
	if err := ck.indexReleased(ctx, rel, c, relKey, relCmp); err != nil {
		return nil, 0, err
	}
	return c, rows, nil
}

// profileReleased reads a released table once to learn which of its
// columns label rows and which hold counts. It returns nil columns for a
// file that is not a table the checks can read.
func (ck *Checker) profileReleased(ctx context.Context, rel Released, p string, budget int) ([]column, int, error) {
	rc, err := rel.OpenReleased(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("opening released file %s: %w", p, err)
	}
	defer rc.Close()
	src := &source{ctx: ctx, r: rc}
	tr := newTableReader(src)
	header, err := tr.read(-1)
	if err != nil {
		return nil, 0, src.failure()
	}
	cols := make([]column, len(header))
	for i, h := range header {
		if i == 0 {
			h = bytes.TrimPrefix(h, []byte("\uFEFF"))
		}
		cols[i].columnInfo = ck.describeColumn(string(h))
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
			if k, _ := cl.classify(rec[i]); k != kindMarker {
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
func (ck *Checker) indexReleased(ctx context.Context, rel Released, c *comparison, relKey, relCmp []int) error {
	rc, err := rel.OpenReleased(ctx, c.path)
	if err != nil {
		return fmt.Errorf("opening released file %s: %w", c.path, err)
	}
	defer rc.Close()
	src := &source{ctx: ctx, r: rc}
	tr := newTableReader(src)
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
				if k, n := cl.classify(rec[col]); k == kindCount {
					v = n
				}
			}
			c.values = append(c.values, v)
		}
	}
	return src.failure()
}

func tooLargeMessage(paths []string, limit int) string {
	n := len(paths)
	return fmt.Sprintf("%s %s too large to compare with (more than %s released rows in all), so differences from %s were not checked: %s",
		counted(n, "released file"), isAre(n), thousands(limit), itThem(n), strings.Join(paths, ", "))
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
