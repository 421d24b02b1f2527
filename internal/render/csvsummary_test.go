package render

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// summaryTable returns the summary as label → cells.
func summaryTable(t *testing.T, csv string) (Summary, map[string][]string) {
	t.Helper()
	s, err := CSVSummarize(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, r := range s.Rows() {
		m[r.Label] = r.Cells
	}
	return s, m
}

func TestSummaryRowsInOrder(t *testing.T) {
	s, _ := summaryTable(t, "a\n1\n")
	var labels []string
	for _, r := range s.Rows() {
		labels = append(labels, r.Label)
	}
	want := []string{"Column type", "Total rows", "Total numeric", "Null / missing", "Redacted", "Min value",
		"Min non-zero", "Max value", "Sum", "Divisible by 5", "Divisible by 6", "Midpoint 6 rounded"}
	if !slices.Equal(labels, want) {
		t.Errorf("labels %q", labels)
	}
}

func TestSummaryReferenceExample(t *testing.T) {
	// The reference implementation's own example: whitespace ignored,
	// text, integer and float columns.
	s, m := summaryTable(t, "Col1,Col2,Col3\nfoo, 1 ,3.0\nbar,1, 0.5\nfoo,2 ,1.0 \n")
	if s.DataRows != 3 || len(s.Columns) != 3 || s.Columns[1].Name != "Col2" {
		t.Fatalf("summary %+v", s)
	}
	want := map[string][]string{
		"Column type":        {"text", "integer", "float"},
		"Total rows":         {"3", "3", "3"},
		"Total numeric":      {"0", "3", "3"},
		"Null / missing":     {"0", "0", "0"},
		"Redacted":           {"0", "0", "0"},
		"Min value":          {"-", "1", "0.5"},
		"Min non-zero":       {"-", "1", "0.5"},
		"Max value":          {"-", "2", "3.0"},
		"Sum":                {"-", "4", "4.5"},
		"Divisible by 5":     {"-", "No", "No"},
		"Divisible by 6":     {"-", "No", "No"},
		"Midpoint 6 rounded": {"-", "No", "No"},
	}
	for label, cells := range want {
		if !slices.Equal(m[label], cells) {
			t.Errorf("%s: got %q, want %q", label, m[label], cells)
		}
	}
}

func TestSummaryColumns(t *testing.T) {
	// Each case is one column, values one per row; want maps a label to the
	// expected cell.
	tests := []struct {
		name   string
		values []string
		want   map[string]string
	}{
		{"missing tokens", []string{"1", "", "NULL", " None ", "NaN", "2"}, map[string]string{
			"Column type": "integer", "Null / missing": "4", "Total rows": "6", "Total numeric": "2", "Sum": "3",
		}},
		{"redacted tokens", []string{"5", "[REDACTED]", "Redacted ", "NA", "n/a", "<=7", "<= 7", "10"}, map[string]string{
			"Column type": "integer", "Redacted": "6", "Null / missing": "0", "Total numeric": "2",
			"Min value": "5", "Max value": "10", "Sum": "15", "Divisible by 5": "Yes",
		}},
		{"not a redaction token", []string{"1", "2", "<4"}, map[string]string{
			"Column type": "mixed", "Total numeric": "2", "Redacted": "0", "Min value": "-", "Sum": "-",
			"Divisible by 5": "-", "Midpoint 6 rounded": "-",
		}},
		{"all missing is text", []string{"", "null", "redacted"}, map[string]string{
			"Column type": "text", "Total numeric": "0", "Null / missing": "2", "Redacted": "1",
		}},
		{"redacted in a text column", []string{"Leeds", "REDACTED", "York", "[redacted]", "<=7"}, map[string]string{
			"Column type": "text", "Total numeric": "0", "Redacted": "3", "Min value": "-",
		}},
		{"mixed", []string{"1", "x", "2.5"}, map[string]string{
			"Column type": "mixed", "Total numeric": "2", "Min value": "-", "Min non-zero": "-", "Max value": "-",
		}},
		{"float wins over integer", []string{"1", "2", "2.5"}, map[string]string{
			"Column type": "float", "Min value": "1", "Max value": "2.5", "Sum": "5.5",
		}},
		{"min non-zero is absolute", []string{"0", "-3", "7", "0"}, map[string]string{
			"Min value": "-3", "Min non-zero": "3", "Max value": "7", "Sum": "4",
		}},
		{"min non-zero all zero", []string{"0", "0", "0.0"}, map[string]string{
			"Column type": "float", "Min non-zero": "-", "Min value": "0", "Sum": "0.0",
			"Divisible by 5": "Yes", "Divisible by 6": "Yes", "Midpoint 6 rounded": "Yes",
		}},
		{"divisible by 5", []string{"5", "10", "15", "0", "500", "-20", "[REDACTED]", ""}, map[string]string{
			"Divisible by 5": "Yes", "Divisible by 6": "No", "Midpoint 6 rounded": "No",
		}},
		{"divisible by 5 floats", []string{"5.0", "10.0", "15.0"}, map[string]string{
			"Divisible by 5": "Yes", "Sum": "30.0",
		}},
		{"not divisible by 5", []string{"5", "10", "16"}, map[string]string{
			"Divisible by 5": "No",
		}},
		{"divisible by 6", []string{"0", "6", "24", "-12", "48"}, map[string]string{
			"Divisible by 6": "Yes", "Divisible by 5": "No", "Midpoint 6 rounded": "No",
		}},
		{"not divisible by 6", []string{"6", "12", "13"}, map[string]string{
			"Divisible by 6": "No",
		}},
		{"midpoint 6", []string{"0", "3", "9", "15", "21", "-3", "27"}, map[string]string{
			"Midpoint 6 rounded": "Yes", "Divisible by 6": "No", "Min non-zero": "3", "Sum": "72",
		}},
		{"midpoint 6 floats", []string{"3.0", "9.0", "0.0"}, map[string]string{
			"Midpoint 6 rounded": "Yes",
		}},
		{"not midpoint 6", []string{"9", "15", "18"}, map[string]string{
			"Midpoint 6 rounded": "No", "Divisible by 6": "No",
		}},
		{"repeats count in sum", []string{"3", "3", "3", "9"}, map[string]string{
			"Sum": "18", "Total numeric": "4",
		}},
		{"number syntax", []string{"+5", "1e2", ".5", "-0", "1_0"}, map[string]string{
			"Column type": "mixed", "Total numeric": "4",
		}},
		{"exponent floats", []string{"1e16", "1.5e-05"}, map[string]string{
			"Column type": "float", "Min value": "1.5e-05", "Max value": "1e+16", "Sum": "1e+16",
		}},
		{"integer sum overflows to big", []string{"9223372036854775807", "9223372036854775807"}, map[string]string{
			"Column type": "integer", "Sum": "18446744073709551614",
		}},
		{"spaces inside are removed", []string{"1 000", " 2\t"}, map[string]string{
			"Column type": "integer", "Max value": "1000",
		}},
		{"infinity", []string{"inf", "1"}, map[string]string{
			"Column type": "float", "Max value": "inf", "Divisible by 5": "No",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csv := "col\n" + strings.Join(quoteAll(tt.values), "\n") + "\n"
			_, m := summaryTable(t, csv)
			for label, want := range tt.want {
				if got := m[label]; len(got) != 1 || got[0] != want {
					t.Errorf("%s: got %q, want %q", label, got, want)
				}
			}
		})
	}
}

// quoteAll quotes each value so that empty values make rows.
func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return out
}

func TestSummaryUnevenRows(t *testing.T) {
	// Short rows count in Total rows; cells beyond the header are ignored.
	s, m := summaryTable(t, "Col1,Col2,Col3\nfoo,1\nbar,1,0.5,x\nfoo,2 ,1.0\n")
	if len(s.Columns) != 3 {
		t.Fatalf("columns %d", len(s.Columns))
	}
	want := map[string][]string{
		"Column type":    {"text", "integer", "float"},
		"Total rows":     {"3", "3", "3"},
		"Total numeric":  {"0", "3", "2"},
		"Null / missing": {"0", "0", "0"},
		"Max value":      {"-", "2", "1.0"},
		"Sum":            {"-", "4", "1.5"},
	}
	for label, cells := range want {
		if !slices.Equal(m[label], cells) {
			t.Errorf("%s: got %q, want %q", label, m[label], cells)
		}
	}
}

func TestSummaryNoData(t *testing.T) {
	for _, csv := range []string{"", "a,b\n"} {
		s, err := CSVSummarize(strings.NewReader(csv))
		if err != nil || s.DataRows != 0 {
			t.Errorf("%q: %+v %v", csv, s, err)
		}
	}
}

func TestSummaryRowTooLong(t *testing.T) {
	_, err := csvSummarize(strings.NewReader("a\n1\n"+strings.Repeat("9", 3000)+"\n"), 1000)
	var tooLong *RowTooLongError
	if !errors.As(err, &tooLong) || tooLong.Row != 2 {
		t.Errorf("err %v", err)
	}
}

func TestSummaryNotes(t *testing.T) {
	notes := strings.Join(SummaryNotes(), " ")
	for _, want := range []string{"null", "none", "nan", "[redacted]", "n/a", "<=7", "(x − 3) mod 6 = 0", "mod 5"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q", want)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	tests := map[float64]string{
		0: "0.0", 3: "3.0", 0.5: "0.5", 1e15: "1000000000000000.0", 1e16: "1e+16",
		0.0001: "0.0001", 0.00001: "1e-05", -2.25: "-2.25", 123456.789: "123456.789",
	}
	a, b := 0.1, 0.2
	tests[a+b] = "0.30000000000000004"
	for f, want := range tests {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}
