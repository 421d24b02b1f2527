package diff

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Op is what a line of a text diff does.
type Op byte

const (
	OpSame   Op = ' '
	OpDelete Op = '-'
	OpInsert Op = '+'
)

// Line is one line of a text diff, with its numbers in the old and new
// versions (from 1; 0 where it has none).
type Line struct {
	Op     Op
	OldNum int
	NewNum int
	Text   string
}

// Hunk is a run of changes with the unchanged lines around them.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Lines              []Line
}

// Header is the hunk's "@@ -1,3 +1,4 @@" line.
func (h Hunk) Header() string {
	return fmt.Sprintf("@@ -%s +%s @@", span(h.OldStart, h.OldLines), span(h.NewStart, h.NewLines))
}

func span(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	if n == 0 {
		start-- // the line before, as diff -u says it
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// Text is a line diff of two versions of a text file.
type Text struct {
	OldLines, NewLines int
	Added, Removed     int // lines, in all
	// Hunks hold at most Limits.TextLines lines; MoreLines is how many
	// lines of diff (changes and their context) were left out.
	Hunks     []Hunk
	MoreLines int
}

// Empty reports whether the versions have the same lines.
func (d *Text) Empty() bool { return d.Added == 0 && d.Removed == 0 }

// Unified is the diff in the unified format, without the file names; when
// lines were left out it ends with a line saying how many.
func (d *Text) Unified() string {
	var b strings.Builder
	for _, h := range d.Hunks {
		b.WriteString(h.Header())
		b.WriteByte('\n')
		for _, l := range h.Lines {
			b.WriteByte(byte(l.Op))
			b.WriteString(l.Text)
			b.WriteByte('\n')
		}
	}
	if d.MoreLines > 0 {
		fmt.Fprintf(&b, "... %d more lines of differences not shown\n", d.MoreLines)
	}
	return b.String()
}

// splitLines splits text into lines without their line ends ("\n" or
// "\r\n"); a last line without an end is a line.
func splitLines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// CompareText diffs two versions of a text file line by line, read whole.
func CompareText(oldR, newR io.Reader, lim Limits) (*Text, error) {
	lim = lim.orDefault()
	var ob, nb bytes.Buffer
	if _, err := ob.ReadFrom(oldR); err != nil {
		return nil, fmt.Errorf("old version: %w", err)
	}
	if _, err := nb.ReadFrom(newR); err != nil {
		return nil, fmt.Errorf("new version: %w", err)
	}
	return compareLines(splitLines(ob.Bytes()), splitLines(nb.Bytes()), lim), nil
}

func compareLines(a, b []string, lim Limits) *Text {
	d := &Text{OldLines: len(a), NewLines: len(b)}
	// Lines as numbers: equal lines, equal numbers.
	ids := make(map[string]int, len(a)+len(b))
	num := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := num(a), num(b)
	ids = nil
	pairs := matchLines(x, y)
	// edits: walk the matched pairs, emitting deletes and inserts between.
	var script []Line
	i, j := 0, 0
	emit := func(pi, pj int) {
		for ; i < pi; i++ {
			script = append(script, Line{Op: OpDelete, OldNum: i + 1, Text: a[i]})
			d.Removed++
		}
		for ; j < pj; j++ {
			script = append(script, Line{Op: OpInsert, NewNum: j + 1, Text: b[j]})
			d.Added++
		}
	}
	for _, p := range pairs {
		emit(p[0], p[1])
		script = append(script, Line{Op: OpSame, OldNum: i + 1, NewNum: j + 1, Text: a[i]})
		i++
		j++
	}
	emit(len(a), len(b))
	d.Hunks, d.MoreLines = hunks(script, lim.Context, lim.TextLines)
	return d
}

// hunks groups an edit script into hunks with ctx lines of context,
// keeping at most maxLines lines; the rest are counted.
func hunks(script []Line, ctx, maxLines int) ([]Hunk, int) {
	var out []Hunk
	shown, more := 0, 0
	n := len(script)
	k := 0
	for k < n {
		// Find the next change.
		for k < n && script[k].Op == OpSame {
			k++
		}
		if k == n {
			break
		}
		start := max(k-ctx, 0)
		// Extend while changes come within 2*ctx lines of each other.
		end := k
		for end < n {
			if script[end].Op != OpSame {
				end++
				continue
			}
			run := end
			for run < n && script[run].Op == OpSame {
				run++
			}
			if run == n || run-end > 2*ctx {
				end = min(end+ctx, n)
				break
			}
			end = run
		}
		lines := script[start:end]
		k = end
		if shown >= maxLines {
			more += len(lines)
			continue
		}
		if room := maxLines - shown; len(lines) > room {
			more += len(lines) - room
			lines = lines[:room]
		}
		shown += len(lines)
		out = append(out, newHunk(lines))
	}
	return out, more
}

func newHunk(lines []Line) Hunk {
	h := Hunk{Lines: lines}
	for _, l := range lines {
		if l.Op != OpInsert {
			if h.OldStart == 0 {
				h.OldStart = l.OldNum
			}
			h.OldLines++
		}
		if l.Op != OpDelete {
			if h.NewStart == 0 {
				h.NewStart = l.NewNum
			}
			h.NewLines++
		}
	}
	// A hunk with no old (or new) lines at all is at the start of an
	// empty side (context lines are on both sides otherwise): "-0,0".
	if h.OldStart == 0 {
		h.OldStart = 1
	}
	if h.NewStart == 0 {
		h.NewStart = 1
	}
	return h
}

// matchLines returns pairs (i, j) of equal lines x[i] == y[j], increasing
// in both, forming a common subsequence that is long in practice: common
// prefix and suffix, then lines that occur once in each side anchor the
// match (patience diff), recursively, with an exact LCS for small
// regions left without anchors. Time is near linear for files of any
// size; regions too large for the exact LCS without any anchor are
// reported as replaced whole.
func matchLines(x, y []int) [][2]int {
	var out [][2]int
	var rec func(x0, x1, y0, y1 int)
	rec = func(x0, x1, y0, y1 int) {
		// Common prefix.
		for x0 < x1 && y0 < y1 && x[x0] == y[y0] {
			out = append(out, [2]int{x0, y0})
			x0++
			y0++
		}
		// Common suffix, added after the middle.
		sx, sy := x1, y1
		for sx > x0 && sy > y0 && x[sx-1] == y[sy-1] {
			sx--
			sy--
		}
		n := x1 - sx // lines of common suffix
		defer func() {
			for k := range n {
				out = append(out, [2]int{sx + k, sy + k})
			}
		}()
		x1, y1 = sx, sy
		if x0 == x1 || y0 == y1 {
			return
		}
		anchors := uniqueAnchors(x[x0:x1], y[y0:y1])
		if len(anchors) == 0 {
			if (x1-x0)*(y1-y0) <= 1<<20 {
				for _, p := range lcs(x[x0:x1], y[y0:y1]) {
					out = append(out, [2]int{x0 + p[0], y0 + p[1]})
				}
			}
			return
		}
		px, py := x0, y0
		for _, p := range anchors {
			ax, ay := x0+p[0], y0+p[1]
			rec(px, ax, py, ay)
			out = append(out, [2]int{ax, ay})
			px, py = ax+1, ay+1
		}
		rec(px, x1, py, y1)
	}
	rec(0, len(x), 0, len(y))
	return out
}

// uniqueAnchors finds the lines that occur exactly once in x and once in
// y, and returns the longest run of them in the same order in both
// (patience sorting), as index pairs.
func uniqueAnchors(x, y []int) [][2]int {
	type seen struct{ nx, ny, ix, iy int }
	count := make(map[int]*seen)
	for i, v := range x {
		s := count[v]
		if s == nil {
			s = &seen{}
			count[v] = s
		}
		s.nx++
		s.ix = i
	}
	for j, v := range y {
		if s := count[v]; s != nil {
			s.ny++
			s.iy = j
		}
	}
	var cand [][2]int // in x order
	for i, v := range x {
		if s := count[v]; s.nx == 1 && s.ny == 1 {
			cand = append(cand, [2]int{i, s.iy})
		}
	}
	if len(cand) == 0 {
		return nil
	}
	// Longest increasing subsequence of the y indexes.
	tails := []int{} // index into cand of the smallest tail of each length
	prev := make([]int, len(cand))
	for k, c := range cand {
		n := sort.Search(len(tails), func(t int) bool { return cand[tails[t]][1] >= c[1] })
		if n > 0 {
			prev[k] = tails[n-1]
		} else {
			prev[k] = -1
		}
		if n == len(tails) {
			tails = append(tails, k)
		} else {
			tails[n] = k
		}
	}
	out := make([][2]int, len(tails))
	for k, n := tails[len(tails)-1], len(tails)-1; n >= 0; k, n = prev[k], n-1 {
		out[n] = cand[k]
	}
	return out
}

// lcs is the longest common subsequence of two short sequences, by
// dynamic programming, as index pairs.
func lcs(x, y []int) [][2]int {
	n, m := len(x), len(y)
	t := make([]int32, (n+1)*(m+1))
	at := func(i, j int) int32 { return t[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				t[i*(m+1)+j] = at(i+1, j+1) + 1
			} else {
				t[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
			}
		}
	}
	var out [][2]int
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case x[i] == y[j]:
			out = append(out, [2]int{i, j})
			i++
			j++
		case at(i+1, j) >= at(i, j+1):
			i++
		default:
			j++
		}
	}
	return out
}
