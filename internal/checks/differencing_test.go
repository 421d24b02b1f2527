package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// released builds a Released over files held in memory.
func released(files map[string]string) ReleasedFS {
	fsys := fstest.MapFS{}
	var paths []string
	for p, content := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(content)}
		paths = append(paths, p)
	}
	return ReleasedFS{FS: fsys, Paths: paths}
}

// OpenSAFELY's example of secondary disclosure: the whole population,
// then the men alone, by age band.
const (
	totalTable = "Age Band,Heart Disease,Population\n21-30,8,20\n31-40,10,25\n41-50,15,30\n51+,25,40\n"
	maleTable  = "age band,heart disease,population\n21-30,7,19\n31-40,5,15\n41-50,8,18\n51+,13,25\n"
)

func TestDifferencing(t *testing.T) {
	tests := []struct {
		name     string
		released map[string]string
		table    string
		want     [][2]int
	}{
		{
			name:     "OpenSAFELY's example",
			released: map[string]string{"output/total.csv": totalTable},
			table:    maleTable,
			// 8−7 and 20−19 reveal one woman; 15−8 reveals seven. 10−5 is a
			// difference of two rounded counts, which reveals nothing exact.
			want: [][2]int{{0, 1}, {0, 2}, {2, 1}},
		},
		{
			name:     "rows matched by label, not by position",
			released: map[string]string{"total.csv": totalTable},
			table:    "age band,heart disease\n51+,28\n21-30,10\n",
			want:     [][2]int{{0, 1}, {1, 1}},
		},
		{
			name:     "the checked table may break rows down further",
			released: map[string]string{"total.csv": "region,count\nNorth,102\nSouth,200\n"},
			table:    "region,sex,count\nNorth,F,100\nNorth,M,2\nSouth,F,150\n",
			want:     [][2]int{{0, 2}},
		},
		{
			name:     "a table of totals only",
			released: map[string]string{"totals.csv": "total,cases\n1000,51\n"},
			table:    "total,cases\n1000,49\n",
			want:     [][2]int{{0, 1}},
		},
		{
			name:     "the same table released again: no differences",
			released: map[string]string{"total.csv": totalTable},
			table:    totalTable,
		},
		{
			name:     "a released label the checked table lacks: not comparable",
			released: map[string]string{"total.csv": "region,count\nNorth,102\n"},
			table:    "sex,count\nF,100\n",
		},
		{
			name:     "labels on more than one released row are not compared",
			released: map[string]string{"total.csv": "region,count\nNorth,102\nNorth,300\nSouth,200\n"},
			table:    "region,count\nNorth,100\nSouth,199\n",
			want:     [][2]int{{1, 1}},
		},
		{
			name:     "redacted cells on either side are not compared",
			released: map[string]string{"total.csv": "region,count\nNorth,[REDACTED]\nSouth,200\n"},
			table:    "region,count\nNorth,100\nSouth,[REDACTED]\n",
		},
		{
			name:     "files other than CSV are ignored",
			released: map[string]string{"notes.txt": "region,count\nNorth,102\n"},
			table:    "region,count\nNorth,100\n",
		},
		{
			name:     "released tables the checks cannot read are ignored",
			released: map[string]string{"bad.csv": "region,count\n" + strings.Repeat("x", maxRowBytes+1) + "\n"},
			table:    "region,count\nNorth,100\n",
		},
		{
			name:     "differences larger than the threshold are fine",
			released: map[string]string{"total.csv": "region,count\nNorth,108\n"},
			table:    "region,count\nNorth,100\n",
		},
		{
			name:     "rates and other columns that are not counts are not compared",
			released: map[string]string{"total.csv": "region,rate,count\nNorth,1.5,100\n"},
			table:    "region,rate,count\nNorth,2.5,100\n",
		},
		{
			name: "several released tables",
			released: map[string]string{
				"a.csv": "region,count\nNorth,102\n",
				"b.csv": "region,count\nNorth,96\n",
			},
			table: "region,count\nNorth,100\n",
			want:  [][2]int{{0, 1}, {0, 1}},
		},
	}
	ck := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := check(t, ck, "new.csv", tt.table, WithReleased(released(tt.released)))
			got := cellsByRule(fs)[RuleDifferencing]
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("differencing cells (-want +got):\n%s%s", diff, messages(fs))
			}
		})
	}
}

func TestDifferencingMessage(t *testing.T) {
	fs := check(t, newChecker(t), "male.csv", maleTable, WithReleased(released(map[string]string{"output/total.csv": totalTable})))
	var msgs []string
	for _, f := range fs {
		if f.Rule == RuleDifferencing {
			msgs = append(msgs, f.Message)
		}
	}
	want := []string{
		"2 counts in column 'heart disease' differ by 1 to 7 from the same rows of the released file 'output/total.csv': subtracting one from the other reveals a small count",
		"1 count in column 'population' differs by 1 to 7 from the same rows of the released file 'output/total.csv': subtracting one from the other reveals a small count",
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Error(diff)
	}
}

func TestDifferencingBudget(t *testing.T) {
	var big strings.Builder
	big.WriteString("region,count\n")
	for i := range 50 {
		fmt.Fprintf(&big, "r%d,100\n", i)
	}
	ck := newChecker(t, func(c *Config) { c.Rules.Differencing.MaxReleasedRows = 40 })
	rel := released(map[string]string{"big.csv": big.String(), "small.csv": "region,count\nr1,102\n"})
	fs := check(t, ck, "new.csv", "region,count\nr1,100\n", WithReleased(rel))
	if got := rulesOf(fs); !cmp.Equal(got, []Rule{RuleDifferencing, RuleDifferencing}) {
		t.Fatalf("rules %v:%s", got, messages(fs))
	}
	if fs[0].Severity != SeverityInfo || !strings.Contains(fs[0].Message, "1 released file is too large to compare with (more than 40 released rows in all), so differences from it were not checked: big.csv") {
		t.Errorf("first finding %+v", fs[0])
	}
	if !strings.Contains(fs[1].Message, "'small.csv'") {
		t.Errorf("second finding %+v", fs[1])
	}
}

// failingReleased fails to list or to open.
type failingReleased struct{ listErr, openErr error }

func (f failingReleased) ReleasedFiles(context.Context) ([]string, error) {
	return []string{"a.csv"}, f.listErr
}

func (f failingReleased) OpenReleased(context.Context, string) (io.ReadCloser, error) {
	return nil, f.openErr
}

func TestDifferencingErrors(t *testing.T) {
	ck := newChecker(t)
	boom := errors.New("boom")
	for _, rel := range []failingReleased{{listErr: boom}, {openErr: boom}} {
		_, err := ck.Check(context.Background(), "new.csv", strings.NewReader("region,count\nNorth,3\n"), WithReleased(rel))
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "new.csv") {
			t.Errorf("error %v", err)
		}
	}
	// Differencing off: the released files are not even listed.
	off := newChecker(t, func(c *Config) { c.Rules.Differencing.Enabled = false })
	if _, err := off.Check(context.Background(), "new.csv", strings.NewReader("region,count\nNorth,3\n"), WithReleased(failingReleased{listErr: boom})); err != nil {
		t.Errorf("differencing off: %v", err)
	}
}
