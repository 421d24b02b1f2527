package render

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ColumnType is the kind of values found in a CSV column.
type ColumnType string

// The column types of the CSV summary (docs/viewers.md, CSV summary).
const (
	TypeText    ColumnType = "text"    // no numeric values
	TypeInteger ColumnType = "integer" // only integers (besides missing and redacted)
	TypeFloat   ColumnType = "float"   // only numbers, at least one not an integer
	TypeMixed   ColumnType = "mixed"   // numbers and text
)

// Summary holds the statistics of every column of a CSV file (docs/viewers.md, CSV summary).
type Summary struct {
	// DataRows is the number of rows after the header. When it is 0 the
	// summary is not shown.
	DataRows int
	// Columns has one entry per header cell, in order.
	Columns []ColumnSummary
}

// ColumnSummary holds one column's statistics. The numeric fields are
// only meaningful when Numeric reports true; Rows renders the "-" rules.
type ColumnSummary struct {
	Name string
	Type ColumnType
	// TotalRows counts every data row, including rows too short to have
	// a cell in this column.
	TotalRows    int
	TotalNumeric int
	Missing      int
	Redacted     int
	// Min, MinNonZero, Max and Sum are formatted numbers. MinNonZero is
	// the smallest absolute non-zero value, "" when every value is 0.
	Min, MinNonZero, Max, Sum string
	DivisibleBy5              bool
	DivisibleBy6              bool
	Midpoint6Rounded          bool
}

// Numeric reports whether every value of the column that is neither
// missing nor redacted is a number (and there is at least one).
func (c ColumnSummary) Numeric() bool {
	return c.Type == TypeInteger || c.Type == TypeFloat
}

// SummaryRow is one line of the summary table: a statistic and its value
// for each column.
type SummaryRow struct {
	Label string
	Cells []string
}

// Rows lays the summary out as the table of docs/viewers.md (CSV summary), one row per
// statistic and one cell per column. Numeric statistics are "-" unless
// the column is fully numeric; Min non-zero is "-" when all values are 0.
// Redacted is counted in every column, text columns included, as the
// reference does.
func (s Summary) Rows() []SummaryRow {
	stats := []struct {
		label   string
		numeric bool
		value   func(c ColumnSummary) string
	}{
		{"Column type", false, func(c ColumnSummary) string { return string(c.Type) }},
		{"Total rows", false, func(c ColumnSummary) string { return strconv.Itoa(c.TotalRows) }},
		{"Total numeric", false, func(c ColumnSummary) string { return strconv.Itoa(c.TotalNumeric) }},
		{"Null / missing", false, func(c ColumnSummary) string { return strconv.Itoa(c.Missing) }},
		{"Redacted", false, func(c ColumnSummary) string { return strconv.Itoa(c.Redacted) }},
		{"Min value", true, func(c ColumnSummary) string { return c.Min }},
		{"Min non-zero", true, func(c ColumnSummary) string { return orDash(c.MinNonZero) }},
		{"Max value", true, func(c ColumnSummary) string { return c.Max }},
		{"Sum", true, func(c ColumnSummary) string { return c.Sum }},
		{"Divisible by 5", true, func(c ColumnSummary) string { return yesNo(c.DivisibleBy5) }},
		{"Divisible by 6", true, func(c ColumnSummary) string { return yesNo(c.DivisibleBy6) }},
		{"Midpoint 6 rounded", true, func(c ColumnSummary) string { return yesNo(c.Midpoint6Rounded) }},
	}
	rows := make([]SummaryRow, len(stats))
	for i, st := range stats {
		cells := make([]string, len(s.Columns))
		for j, c := range s.Columns {
			if st.numeric && !c.Numeric() {
				cells[j] = "-"
				continue
			}
			cells[j] = st.value(c)
		}
		rows[i] = SummaryRow{Label: st.label, Cells: cells}
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// SummaryNotes explains the summary table to its reader.
func SummaryNotes() []string {
	return []string{
		"Values are compared after removing spaces and lower-casing them.",
		`Null / missing counts empty values and the tokens "null", "none" and "nan".`,
		`Redacted counts the tokens "[redacted]", "redacted", "na", "n/a" and "<=7".`,
		"Other values are read as integers if possible, then as decimal numbers (floats), else as text. " +
			"Column type is text (no numbers), integer, float (at least one decimal number) or mixed (numbers and text).",
		"Total rows counts every data row, including rows too short to reach the column; Total numeric counts the numbers.",
		`Redacted is counted in every column. The numeric statistics are shown only for columns whose values are all numbers (ignoring missing and redacted values); otherwise they show "-".`,
		`Min non-zero is the smallest absolute value that is not 0 ("-" if all values are 0). Sum adds every value, counting repeats.`,
		"Divisible by 5 and Divisible by 6 are Yes when x mod 5 = 0, or x mod 6 = 0, for every value x. " +
			"Values derived from midpoint 6 rounded counts (0, 6, 12, …) are divisible by 6.",
		"Midpoint 6 rounded is Yes when every value is 0 or satisfies (x − 3) mod 6 = 0 (3, 9, 15, …): " +
			"midpoint 6 rounding replaces a count n > 0 by 6 × ⌈n / 6⌉ − 3 and keeps 0.",
	}
}

// CSVSummarize computes the statistics of docs/viewers.md (CSV summary) for every column
// named in the header, in one streaming pass: memory depends on the number
// of columns, not rows. Cells beyond the header are ignored. A record over
// MaxRecordBytes or MaxRecordCells stops it with a *RowTooLongError.
func CSVSummarize(r io.Reader) (Summary, error) {
	return csvSummarize(r, MaxRecordBytes)
}

func csvSummarize(r io.Reader, recordLimit int64) (Summary, error) {
	cr := newRecordReader(r, recordLimit, MaxRecordCells)
	header, err := cr.read(0)
	if errors.Is(err, io.EOF) {
		return Summary{}, nil
	}
	if err != nil {
		return Summary{}, fmt.Errorf("summarising CSV: %w", err)
	}
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = validUTF8(h)
	}
	if len(names) > 0 {
		names[0] = trimBOM(names[0])
	}
	acc := make([]columnAcc, len(names))
	for i := range acc {
		acc[i] = newColumnAcc()
	}

	rows := 0
	scratch := make([]byte, 0, 64)
	for {
		rec, err := cr.read(rows + 1)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Summary{}, fmt.Errorf("summarising CSV: %w", err)
		}
		rows++
		for i := range min(len(rec), len(acc)) {
			scratch = acc[i].add(rec[i], scratch)
		}
	}

	s := Summary{DataRows: rows, Columns: make([]ColumnSummary, len(names))}
	for i, a := range acc {
		s.Columns[i] = a.summary(names[i], rows)
	}
	return s, nil
}

// columnAcc accumulates one column's statistics.
type columnAcc struct {
	missing, redacted, numeric int
	text                       bool
	anyFloat                   bool
	min, max                   number
	minNonZero                 number
	hasNonZero                 bool
	total                      sum
	div5, div6, mid6           bool
}

func newColumnAcc() columnAcc {
	return columnAcc{div5: true, div6: true, mid6: true}
}

// add counts one cell. scratch is a buffer for normalising, returned for
// reuse, so that the usual cells (numbers, tokens, short ASCII text)
// are classified without allocating.
func (a *columnAcc) add(cell string, scratch []byte) []byte {
	if isPlain(cell) {
		addValue(a, cell)
		return scratch
	}
	if b, ok := appendNormalisedASCII(scratch[:0], cell); ok {
		addValue(a, b)
		return b
	}
	addValue(a, normalise(cell))
	return scratch
}

// addValue counts one normalised cell.
func addValue[T string | []byte](a *columnAcc, v T) {
	switch string(v) {
	case "", "null", "none", "nan":
		a.missing++
		return
	case "[redacted]", "redacted", "na", "n/a", "<=7":
		a.redacted++
		return
	}
	n, ok := parseNumber(string(v))
	if !ok {
		a.text = true
		return
	}
	a.addNumber(n)
}

func (a *columnAcc) addNumber(n number) {
	if a.numeric == 0 || n.cmp(a.min) < 0 {
		a.min = n
	}
	if a.numeric == 0 || n.cmp(a.max) > 0 {
		a.max = n
	}
	a.numeric++
	if !n.isInt {
		a.anyFloat = true
	}
	if !n.isZero() {
		if abs := n.abs(); !a.hasNonZero || abs.cmp(a.minNonZero) < 0 {
			a.minNonZero, a.hasNonZero = abs, true
		}
	}
	a.total.add(n)
	a.div5 = a.div5 && n.divisibleBy(5)
	a.div6 = a.div6 && n.divisibleBy(6)
	a.mid6 = a.mid6 && n.midpoint6()
}

func (a *columnAcc) summary(name string, rows int) ColumnSummary {
	c := ColumnSummary{
		Name:         name,
		Type:         TypeText,
		TotalRows:    rows,
		TotalNumeric: a.numeric,
		Missing:      a.missing,
		Redacted:     a.redacted,
	}
	if a.numeric == 0 {
		return c
	}
	switch {
	case a.text:
		c.Type = TypeMixed
	case a.anyFloat:
		c.Type = TypeFloat
	default:
		c.Type = TypeInteger
	}
	c.Min, c.Max, c.Sum = a.min.String(), a.max.String(), a.total.String()
	if a.hasNonZero {
		c.MinNonZero = a.minNonZero.String()
	}
	c.DivisibleBy5, c.DivisibleBy6, c.Midpoint6Rounded = a.div5, a.div6, a.mid6
	return c
}

// isPlain reports whether s is already normalised ASCII: no white space
// and no upper case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c <= ' ' || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// appendNormalisedASCII appends s without white space and lower-cased to
// dst, if s is ASCII; ok is false otherwise.
func appendNormalisedASCII(dst []byte, s string) (b []byte, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return dst, false
		case c == ' ' || ('\t' <= c && c <= '\r'):
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// normalise removes all white space from a cell and lower-cases it
// (docs/viewers.md, CSV summary); Unicode spaces count as white space.
func normalise(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.ToLower(s)
}
