package checks

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusTable is a generated table: its CSV and the cells planted for
// each rule.
type corpusTable struct {
	csv  string
	want map[Rule][][2]int
}

// plantedTable generates a table of rows rows from a seed, with clean
// values everywhere (redacted, rounded, zero, rates, years, codes) except
// for the cells it plants: small counts, unrounded counts and a
// min/max column, in count columns found by their header or by their
// values. With clean, it plants nothing.
func plantedTable(seed uint64, rows int, clean bool) corpusTable {
	rng := rand.New(rand.NewPCG(seed, 2026))
	header := []string{"region", "year", "age_band", "practice_id", "count", "population", "rate", "pct", "n_midpoint6", "snomed_code"}
	const (
		colCount, colPopulation, colMidpoint, colMax = 4, 5, 8, 10
	)
	withMax := !clean && seed%2 == 0
	if withMax {
		header = append(header, "max_age")
	}
	want := map[Rule][][2]int{}
	plant := func(r Rule, row, col int) { want[r] = append(want[r], [2]int{row, col}) }
	regions := []string{"North East", "London", "South, West", "Wales"}
	bands := []string{"18-29", "30-39", "40-49", "50+"}
	rounded := func() string {
		switch rng.IntN(8) {
		case 0:
			return "[REDACTED]"
		case 1:
			return "0"
		case 2:
			return fmt.Sprintf("%d,%03d", 1+rng.IntN(9), 5*rng.IntN(200)) // thousands separator
		case 3:
			return []string{"REDACTED", "<=7", "NA", "", "*", "-"}[rng.IntN(6)]
		}
		return fmt.Sprint(10 + 5*rng.IntN(400))
	}
	midpoint := func() string {
		if rng.IntN(5) == 0 {
			return "0"
		}
		return fmt.Sprint(3 + 6*rng.IntN(100))
	}
	var records [][]string
	for row := range rows {
		rec := []string{
			regions[rng.IntN(len(regions))],
			fmt.Sprint(2015 + rng.IntN(10)),
			bands[rng.IntN(len(bands))],
			fmt.Sprint(1 + rng.IntN(9999)),
			rounded(),
			rounded(),
			fmt.Sprintf("%d.%02d", rng.IntN(100), rng.IntN(100)),
			fmt.Sprint(rng.IntN(101)), // whole-number percentages: not counts, by name
			midpoint(),
			fmt.Sprint(100000 + rng.IntN(900000)),
		}
		if withMax {
			if rng.IntN(4) == 0 {
				rec = append(rec, "[REDACTED]")
			} else {
				rec = append(rec, fmt.Sprint(60+rng.IntN(40)))
				plant(RuleMinMax, row, colMax)
			}
		}
		if !clean {
			for _, col := range []int{colCount, colPopulation, colMidpoint} {
				switch rng.IntN(10) {
				case 0:
					v := 1 + rng.IntN(7)
					if col == colMidpoint && v == 3 {
						v = 4 // 3 is midpoint 6 rounded
					}
					rec[col] = fmt.Sprint(v)
					plant(RuleSmallCount, row, col)
				case 1:
					v := 8 + rng.IntN(1000)
					if col == colMidpoint {
						v = 6*v + 1 + rng.IntN(5) // anything but 3 mod 6
						if v%6 == 3 {
							v++
						}
					} else if v%5 == 0 {
						v++
					}
					rec[col] = fmt.Sprint(v)
					plant(RuleUnrounded, row, col)
				}
			}
		}
		records = append(records, rec)
	}
	var buf bytes.Buffer
	if seed%3 == 0 {
		buf.WriteString("\ufeff")
	}
	w := csv.NewWriter(&buf)
	w.UseCRLF = seed%2 == 1
	w.Write(header)
	w.WriteAll(records)
	for r := range want {
		sortCells(want[r])
	}
	return corpusTable{csv: buf.String(), want: want}
}

func TestCorpusPlantedCellsAreFoundAndNothingElse(t *testing.T) {
	ck := newChecker(t, func(c *Config) { c.MaxCells = 1000 })
	for seed := range uint64(24) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			tab := plantedTable(seed, 300, false)
			if len(tab.want[RuleSmallCount]) == 0 || len(tab.want[RuleUnrounded]) == 0 {
				t.Fatal("the generator planted nothing")
			}
			got := cellsByRule(check(t, ck, "table.csv", tab.csv))
			if diff := cmp.Diff(tab.want, got); diff != "" {
				t.Errorf("cells by rule (-planted +found):\n%s", diff)
			}
		})
	}
}

func TestCorpusCleanTablesHaveNoFindings(t *testing.T) {
	ck := newChecker(t)
	for seed := range uint64(12) {
		tab := plantedTable(seed, 500, true)
		if fs := check(t, ck, "clean.csv", tab.csv); len(fs) > 0 {
			t.Errorf("seed %d: %d findings on a clean table:%s", seed, len(fs), messages(fs))
		}
	}
}

func TestCleanTables(t *testing.T) {
	tests := []struct{ name, csv string }{
		{"redaction markers", "group,count\nA,[REDACTED]\nB,REDACTED\nC,<=7\nD,<8\nE,*\nF,-\nG,NA\nH,n/a\nI,\nJ,null\nK, [ redacted ]\nL,15\nM,≤7\nN,[Suppressed]\nO,NaN\nP,None\n"},
		{"rounded", "group,count,total\nA,10,2500\nB,15,\"1,250\"\nC,1000,\"12,345,680\"\n"},
		{"zero rows", "group,count\nA,0\nB,0\nC,0\n"},
		{"rates and percentages", "group,rate,percentage,score,ratio\nA,0.5,12.5,1.5,3\nB,3,4,2,1\nC,1e-3,99.9,7,2\n"},
		{"year columns", "year,financial_year,YearOfBirth,count\n2019,2019,1961,10\n2021,2021,1983,15\n"},
		{"id and code columns", "patient_id,snomed_code,ctv3,practice,count\n123,22298006,XaLu1,17,20\n4,1234567,X40J4,3,25\n"},
		{"age bands and ages", "age_band,AgeBand,age,count\n18-29,18-29,34,20\n30-39,30-39,3,25\n"},
		{"header only", "a,b,count\n"},
		{"header only without newline", "a,b,count"},
		{"empty", ""},
		{"ragged rows", "group,count\nA,10,extra,3\nB\nC,15\n,\n"},
		{"byte-order mark", "\ufeffcount\n10\n20\n"},
		{"quoted fields", "\"group, name\",\"count\"\n\"A, \"\"b\"\"\",\"1,250\"\n\"C\",\"20\"\n\"multi\nline\",\"35\"\n"},
		{"CRLF", "group,count\r\nA,10\r\nB,20\r\n"},
		{"midpoint 6 columns", "group,count_midpoint6,total_midpoint6_derived,n_Midpoint_6\nA,3,6,9\nB,9,12,3\nC,0,0,0\n"},
		{"negative numbers", "group,change\nA,-3\nB,4\nC,1\n"},
		{"text among numbers", "group,note\nA,3 patients\nB,4\n"},
		{"decimals among integers", "group,estimate\nA,3\nB,4.5\n"},
		{"integers written as decimals", "group,count\nA,10.0\nB,25.00\n"},
		{"numbers too large for a count", "group,value\nA,123456789012345678901234\nB,3\n"},
		{"invalid UTF-8", "gr\xffoup,count\nA\xfe,10\n"},
		{"all redacted", "group,count\nA,[REDACTED]\nB,[REDACTED]\n"},
		{"min and max all redacted", "group,min_age,max_age\nA,[REDACTED],\n"},
		{"words that contain min or max", "admin_region,maximise_count\nA,10\n"},
		{"BMI is not a BMP image", "BMI,count\n25.1,10\n"},
	}
	ck := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fs := check(t, ck, "t.csv", tt.csv); len(fs) > 0 {
				t.Errorf("findings on a clean table:%s", messages(fs))
			}
		})
	}
}

func TestCSVRules(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		csv  string
		want map[Rule][][2]int
	}{
		{
			name: "small and unrounded, one column each",
			csv:  "group,count,population\nA,3,12\nB,10,7\nC,0,23\n",
			want: map[Rule][][2]int{
				RuleSmallCount: {{0, 1}, {1, 2}},
				RuleUnrounded:  {{0, 2}, {2, 2}},
			},
		},
		{
			name: "a small count is not also unrounded",
			csv:  "count\n1\n2\n8\n",
			want: map[Rule][][2]int{RuleSmallCount: {{0, 0}, {1, 0}}, RuleUnrounded: {{2, 0}}},
		},
		{
			name: "with small_count off, small counts are unrounded",
			edit: func(c *Config) { c.Rules.SmallCount.Enabled = false },
			csv:  "count\n1\n5\n8\n",
			want: map[Rule][][2]int{RuleUnrounded: {{0, 0}, {2, 0}}},
		},
		{
			name: "zero flagged when configured",
			edit: func(c *Config) { c.Rules.SmallCount.Zero = true },
			csv:  "count\n0\n10\n7\n",
			want: map[Rule][][2]int{RuleSmallCount: {{0, 0}, {2, 0}}},
		},
		{
			name: "threshold and base",
			edit: func(c *Config) { c.Rules.SmallCount.Threshold = 10; c.Rules.Unrounded.Base = 10 },
			csv:  "count\n10\n15\n20\n11\n",
			want: map[Rule][][2]int{RuleSmallCount: {{0, 0}}, RuleUnrounded: {{1, 0}, {3, 0}}},
		},
		{
			name: "midpoint 6 for every column",
			edit: func(c *Config) { c.Rules.Unrounded.Midpoint6 = true },
			csv:  "count\n0\n3\n9\n10\n5\n",
			want: map[Rule][][2]int{RuleUnrounded: {{3, 0}}, RuleSmallCount: {{4, 0}}},
		},
		{
			name: "midpoint 6 derived column",
			csv:  "n_midpoint6_derived\n6\n12\n9\n",
			want: map[Rule][][2]int{RuleUnrounded: {{2, 0}}},
		},
		{
			name: "a count header wins over a non-count word and over text",
			csv:  "age_band_count,year\n3,2019\nunknown,2020\n",
			want: map[Rule][][2]int{RuleSmallCount: {{0, 0}}},
		},
		{
			name: "configured column names",
			edit: func(c *Config) {
				c.Columns.Counts = []string{"cases"}
				c.Columns.NotCounts = []string{"site"}
			},
			csv:  "site,cases,n\n3,4,x\n4,note,2\n",
			want: map[Rule][][2]int{RuleSmallCount: {{0, 1}}},
		},
		{
			name: "min and max columns",
			csv:  "group,Minimum Age,max,maxValue\nA,18,[REDACTED],3\nB,,95,\n",
			want: map[Rule][][2]int{RuleMinMax: {{0, 1}, {0, 3}, {1, 2}}},
		},
		{
			name: "min_max off: the columns are read as any other",
			edit: func(c *Config) { c.Rules.MinMax.Enabled = false },
			csv:  "group,max\nA,3\n",
			want: map[Rule][][2]int{RuleSmallCount: {{0, 1}}},
		},
		{
			name: "thousands separators and decimals of zeros are counts",
			csv:  "count\n\"1,234\"\n12.0\n 17 \n",
			want: map[Rule][][2]int{RuleUnrounded: {{0, 0}, {1, 0}, {2, 0}}},
		},
		{
			name: "cells beyond the header are ignored, short rows are fine",
			csv:  "group,count\nA\nB,3,4\n",
			want: map[Rule][][2]int{RuleSmallCount: {{1, 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edits []func(*Config)
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			got := cellsByRule(check(t, newChecker(t, edits...), "t.csv", tt.csv))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cells by rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVMessages(t *testing.T) {
	fs := check(t, newChecker(t), "t.csv", "group,count\nA,3\nB,4\nC,5\nD,12\n")
	want := []string{
		"3 counts between 1 and 7 are not redacted in column 'count'",
		"1 count in column 'count' is not rounded to a multiple of 5",
	}
	if len(fs) != len(want) {
		t.Fatalf("findings:%s", messages(fs))
	}
	for i, f := range fs {
		if f.Message != want[i] {
			t.Errorf("message %d = %q, want %q", i, f.Message, want[i])
		}
	}
}

func TestCellListsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("count\n")
	for range 2500 {
		b.WriteString("3\n")
	}
	ck := newChecker(t, func(c *Config) { c.MaxCells = 50 })
	fs := check(t, ck, "t.csv", b.String())
	if len(fs) != 1 || len(fs[0].Cells) != 50 {
		t.Fatalf("findings:%s", messages(fs))
	}
	if want := "2,500 counts between 1 and 7 are not redacted in column 'count' (the first 50 are marked)"; fs[0].Message != want {
		t.Errorf("message %q, want %q", fs[0].Message, want)
	}
	if fs[0].Cells[49] != [2]int{49, 0} {
		t.Errorf("last cell %v", fs[0].Cells[49])
	}
}

func TestRowTooLongIsAFinding(t *testing.T) {
	content := "group,count\nA,3\n" + strings.Repeat("x", maxRowBytes+10) + ",1\nB,4\n"
	fs := check(t, newChecker(t), "t.csv", content)
	if got := rulesOf(fs); !cmp.Equal(got, []Rule{RuleSmallCount, RuleTypeMismatch}) {
		t.Fatalf("rules %v:%s", got, messages(fs))
	}
	if !strings.Contains(fs[1].Message, "data row 2 is longer than 4 MiB") {
		t.Errorf("message %q", fs[1].Message)
	}
	many := "a\n" + strings.Repeat(",", maxRowCells+10_000) + "\n"
	fs = check(t, newChecker(t), "t.csv", many)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "has more than 100000 cells") {
		t.Errorf("findings:%s", messages(fs))
	}
}
