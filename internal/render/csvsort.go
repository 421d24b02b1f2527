package render

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Sorting the CSV viewer's table, on the server (the viewer's pages run
// no script). A file of at most sortMaxBytes and sortMaxRows rows is
// sorted whole and then paged; a larger one is sorted within the page
// shown, and the page says so, so that memory never grows with the file.
const (
	sortMaxBytes = 16 << 20
	sortMaxRows  = 100_000
)

// sortSpec is the table's order: by column Col (from 0), descending when
// Desc; On is false for the file's own order.
type sortSpec struct {
	On   bool
	Col  int
	Desc bool
}

// parseSort reads ?sort=COLUMN&dir=desc; anything invalid is the file's
// own order.
func parseSort(q url.Values) sortSpec {
	col, err := strconv.Atoi(q.Get("sort"))
	if err != nil || col < 0 || col >= MaxRecordCells {
		return sortSpec{}
	}
	return sortSpec{On: true, Col: col, Desc: q.Get("dir") == "desc"}
}

// sortedRows orders rows (whose data-row numbers, from 1, are nums) by
// the spec, stably: numbers by value before text, text case-insensitively,
// empty and missing cells last whichever the direction.
func sortedRows(rows [][]string, nums []int, s sortSpec) ([][]string, []int) {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	keys := make([]sortKey, len(rows))
	for i, r := range rows {
		keys[i] = keyOf(r, s.Col)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		if ka.empty != kb.empty {
			if ka.empty {
				return 1
			}
			return -1
		}
		c := compareKeys(ka, kb)
		if s.Desc {
			c = -c
		}
		return c
	})
	outRows := make([][]string, len(rows))
	outNums := make([]int, len(rows))
	for i, j := range idx {
		outRows[i], outNums[i] = rows[j], nums[j]
	}
	return outRows, outNums
}

type sortKey struct {
	empty   bool
	numeric bool
	num     float64
	text    string
}

func keyOf(row []string, col int) sortKey {
	if col >= len(row) {
		return sortKey{empty: true}
	}
	v := strings.TrimSpace(row[col])
	if v == "" {
		return sortKey{empty: true}
	}
	if n, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64); err == nil {
		return sortKey{numeric: true, num: n}
	}
	return sortKey{text: strings.ToLower(v)}
}

func compareKeys(a, b sortKey) int {
	switch {
	case a.numeric && b.numeric:
		return cmp.Compare(a.num, b.num)
	case a.numeric:
		return -1
	case b.numeric:
		return 1
	}
	return strings.Compare(a.text, b.text)
}

// sortHeader is a column heading that sorts the table.
type sortHeader struct {
	Name string
	URL  string // the table sorted by this column (the other way when it already is)
	Sort string // "ascending", "descending" or "" (for aria-sort)
}

func sortHeaders(header []string, q url.Values, s sortSpec) []sortHeader {
	out := make([]sortHeader, len(header))
	for i, name := range header {
		h := sortHeader{Name: name}
		dir := "asc"
		if s.On && s.Col == i {
			if s.Desc {
				h.Sort = "descending"
			} else {
				h.Sort, dir = "ascending", "desc"
			}
		}
		c := cloneValues(q)
		c.Set("sort", strconv.Itoa(i))
		c.Set("dir", dir)
		c.Del("page")
		h.URL = "?" + c.Encode()
		out[i] = h
	}
	return out
}

func cloneValues(q url.Values) url.Values {
	c := make(url.Values, len(q)+2)
	for k, vs := range q {
		c[k] = slices.Clone(vs)
	}
	return c
}
