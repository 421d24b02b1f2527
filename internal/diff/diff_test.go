package diff

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestKindOf(t *testing.T) {
	for path, want := range map[string]Kind{
		"out/a.csv": KindCSV, "out/A.CSV": KindCSV, "notes.md": KindText, "x.txt": KindText, "run.log": KindText,
		"d.json": KindText, "r.html": KindText, "chart.png": KindBinary, "pic.svg": KindBinary, "noext": KindBinary,
	} {
		if got := KindOf(path); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestCompareCSV(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     CSV
	}{
		{
			name: "same",
			old:  "region,n\nNorth,10\n", new: "region,n\nNorth,10\n",
			want: CSV{MatchedBy: []string{"region"}, OldRows: 1, NewRows: 1},
		},
		{
			name: "changed count, matched by the text column",
			old:  "region,sex,n\nNorth,F,10\nNorth,M,12\nSouth,F,[REDACTED]\n",
			new:  "region,sex,n\nNorth,F,10\nNorth,M,15\nSouth,F,20\n",
			want: CSV{MatchedBy: []string{"region", "sex"}, OldRows: 3, NewRows: 3, CellsTotal: 2, Cells: []Cell{
				{Row: 2, OldRow: 2, Col: 2, Column: "n", Old: "12", New: "15"},
				{Row: 3, OldRow: 3, Col: 2, Column: "n", Old: "[REDACTED]", New: "20"},
			}},
		},
		{
			name: "a row removed and one added in the middle: the rest still match",
			old:  "region,n\nNorth,10\nEast,11\nSouth,12\n",
			new:  "region,n\nWest,9\nNorth,10\nSouth,13\n",
			want: CSV{MatchedBy: []string{"region"}, OldRows: 3, NewRows: 3,
				Cells:      []Cell{{Row: 3, OldRow: 3, Col: 1, Column: "n", Old: "12", New: "13"}},
				CellsTotal: 1,
				Added:      []Row{{Row: 1, Cells: []string{"West", "9"}}}, AddedTotal: 1,
				Removed: []Row{{Row: 2, Cells: []string{"East", "11"}}}, RemovedTotal: 1},
		},
		{
			name: "only counts: matched by position",
			old:  "a,b\n1,2\n3,4\n5,6\n",
			new:  "a,b\n1,2\n3,5\n",
			want: CSV{OldRows: 3, NewRows: 2, CellsTotal: 1,
				Cells:   []Cell{{Row: 2, OldRow: 2, Col: 1, Column: "b", Old: "4", New: "5"}},
				Removed: []Row{{Row: 3, Cells: []string{"5", "6"}}}, RemovedTotal: 1},
		},
		{
			name: "header: a column added and one removed",
			old:  "region,n,old\nNorth,1,x\n",
			new:  "region,new,n\nNorth,y,2\n",
			want: CSV{OldHeader: []string{"region", "n", "old"}, NewHeader: []string{"region", "new", "n"}, HeaderChanged: true,
				ColumnsAdded: []string{"new"}, ColumnsRemoved: []string{"old"}, MatchedBy: []string{"region"}, OldRows: 1, NewRows: 1,
				Cells: []Cell{{Row: 1, OldRow: 1, Col: 2, Column: "n", Old: "1", New: "2"}}, CellsTotal: 1},
		},
		{
			name: "duplicate keys match in order",
			old:  "g,n\nA,1\nA,2\nB,3\n",
			new:  "g,n\nA,1\nA,5\nA,6\n",
			want: CSV{MatchedBy: []string{"g"}, OldRows: 3, NewRows: 3, CellsTotal: 1,
				Cells: []Cell{{Row: 2, OldRow: 2, Col: 1, Column: "n", Old: "2", New: "5"}},
				Added: []Row{{Row: 3, Cells: []string{"A", "6"}}}, AddedTotal: 1,
				Removed: []Row{{Row: 3, Cells: []string{"B", "3"}}}, RemovedTotal: 1},
		},
		{
			name: "short rows, a byte order mark, quotes",
			old:  "\ufeffname,n\n\"Smith, J\",1\nJones\n",
			new:  "name,n\n\"Smith, J\",2\nJones,4\n",
			want: CSV{MatchedBy: []string{"name"}, OldRows: 2, NewRows: 2, CellsTotal: 2, Cells: []Cell{
				{Row: 1, OldRow: 1, Col: 1, Column: "n", Old: "1", New: "2"},
				{Row: 2, OldRow: 2, Col: 1, Column: "n", Old: "", New: "4"},
			}},
		},
		{
			name: "empty old file",
			old:  "", new: "a\nx\n",
			want: CSV{NewHeader: []string{"a"}, HeaderChanged: true, ColumnsAdded: []string{"a"}, NewRows: 1,
				Added: []Row{{Row: 1, Cells: []string{"x"}}}, AddedTotal: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompareCSV(strings.NewReader(tt.old), strings.NewReader(tt.new), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want.HeaderChanged {
				tt.want.OldHeader, tt.want.NewHeader = got.OldHeader, got.NewHeader
			}
			if diff := cmp.Diff(&tt.want, got, cmpopts.IgnoreFields(CSV{}, "Changed", "ChangedTotal")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Changed holds each row with changed cells, whole, as it is now.
			rows := map[int]bool{}
			for _, c := range got.Cells {
				rows[c.Row] = true
				i := slices.IndexFunc(got.Changed, func(r Row) bool { return r.Row == c.Row })
				if i < 0 || cell(got.Changed[i].Cells, c.Col) != c.New {
					t.Errorf("changed rows %+v lack the cell %+v", got.Changed, c)
				}
			}
			if got.ChangedTotal != len(rows) || len(got.Changed) != len(rows) {
				t.Errorf("%d changed rows (%d listed), want %d", got.ChangedTotal, len(got.Changed), len(rows))
			}
			if got.Empty() != (tt.name == "same") {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestCompareCSVLimits(t *testing.T) {
	var o, n strings.Builder
	o.WriteString("id,n\n")
	n.WriteString("id,n\n")
	for i := range 100 {
		fmt.Fprintf(&o, "r%d,%d\n", i, i)
		fmt.Fprintf(&n, "r%d,%d\n", i, i+1)
		fmt.Fprintf(&n, "new%d,1\n", i)
	}
	got, err := CompareCSV(strings.NewReader(o.String()), strings.NewReader(n.String()), Limits{Cells: 10, Rows: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Cells) != 10 || got.CellsTotal != 100 || len(got.Added) != 5 || got.AddedTotal != 100 || !got.Truncated() {
		t.Errorf("cells %d of %d, added %d of %d, truncated %v", len(got.Cells), got.CellsTotal, len(got.Added), got.AddedTotal, got.Truncated())
	}
}

func TestCompareCSVNotCSV(t *testing.T) {
	_, err := CompareCSV(strings.NewReader("a,b\n1,2\n"), strings.NewReader("a,\"b\n"), Limits{})
	if err == nil || !strings.Contains(err.Error(), "new version") {
		t.Errorf("an unterminated quote: %v, want ErrNotCSV for the new version", err)
	}
}

func TestCompareText(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string
		added, removed int
	}{
		{"same", "a\nb\n", "a\nb\n", "", 0, 0},
		{"one line changed", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n",
			"@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n", 1, 1},
		{"added at the end", "a\n", "a\nb\n", "@@ -1 +1,2 @@\n a\n+b\n", 1, 0},
		{"from nothing", "", "x\ny\n", "@@ -0,0 +1,2 @@\n+x\n+y\n", 2, 0},
		{"to nothing", "x\n", "", "@@ -1 +0,0 @@\n-x\n", 0, 1},
		{"crlf and no final newline", "a\r\nb", "a\nb\n", "", 0, 0},
		{"two hunks far apart", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n13\n",
			"@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+13\n", 2, 2},
		{"moved block", "a\nb\nc\nd\n", "c\nd\na\nb\n", "@@ -1,4 +1,4 @@\n-a\n-b\n c\n d\n+a\n+b\n", 2, 2},
		{"repeated lines", "x\nx\nx\n", "x\ny\nx\nx\n", "@@ -1,3 +1,4 @@\n x\n+y\n x\n x\n", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompareText(strings.NewReader(tt.old), strings.NewReader(tt.new), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if u := got.Unified(); u != tt.want {
				t.Errorf("Unified:\n%s\nwant:\n%s", u, tt.want)
			}
			if got.Added != tt.added || got.Removed != tt.removed {
				t.Errorf("added %d removed %d, want %d %d", got.Added, got.Removed, tt.added, tt.removed)
			}
		})
	}
}

func TestCompareTextBounded(t *testing.T) {
	var o, n strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&o, "line %d\n", i)
		fmt.Fprintf(&n, "line %d changed\n", i)
	}
	got, err := CompareText(strings.NewReader(o.String()), strings.NewReader(n.String()), Limits{TextLines: 100})
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, h := range got.Hunks {
		shown += len(h.Lines)
	}
	if shown != 100 || got.MoreLines != 1900 || got.Added != 1000 || got.Removed != 1000 {
		t.Errorf("shown %d, more %d, added %d, removed %d", shown, got.MoreLines, got.Added, got.Removed)
	}
	if !strings.HasSuffix(got.Unified(), "... 1900 more lines of differences not shown\n") {
		t.Errorf("the unified diff does not say what was left out")
	}
}

// apply rebuilds the new version from the old and a full diff: the diff
// is right if it does.
func apply(t *testing.T, old []string, d *Text) []string {
	t.Helper()
	var out []string
	i := 0 // old lines used
	for _, h := range d.Hunks {
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
			if start > 0 {
				start--
			}
			start = max(start, 0)
		}
		for i < start {
			out = append(out, old[i])
			i++
		}
		for _, l := range h.Lines {
			switch l.Op {
			case OpSame:
				if old[i] != l.Text {
					t.Fatalf("context %q at old line %d is %q", l.Text, i+1, old[i])
				}
				out = append(out, l.Text)
				i++
			case OpDelete:
				if old[i] != l.Text {
					t.Fatalf("deleted %q at old line %d is %q", l.Text, i+1, old[i])
				}
				i++
			case OpInsert:
				out = append(out, l.Text)
			}
		}
	}
	return append(out, old[i:]...)
}

func FuzzCompareText(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x")
	f.Add("x\nx\ny\n", "y\nx\nx\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		d, err := CompareText(strings.NewReader(a), strings.NewReader(b), Limits{TextLines: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		old, want := splitLines([]byte(a)), splitLines([]byte(b))
		got := apply(t, old, d)
		if !slices.Equal(want, got) {
			t.Fatalf("applying the diff gives %q, want %q\n%s", got, want, d.Unified())
		}
		if d.Empty() != slices.Equal(old, want) {
			t.Fatalf("Empty() = %v for %q and %q", d.Empty(), a, b)
		}
	})
}

func FuzzCompareCSV(f *testing.F) {
	f.Add("a,n\nx,1\n", "a,n\nx,2\ny,3\n")
	f.Add("n\n1\n2\n", "m\n")
	f.Add("\"a\nb\",c\n", "a\n\"")
	f.Fuzz(func(t *testing.T, a, b string) {
		d, err := CompareCSV(strings.NewReader(a), strings.NewReader(b), Limits{})
		if err != nil {
			return // not CSV: compared as text instead
		}
		// Every row of each version is either matched or listed.
		matched := d.NewRows - d.AddedTotal
		if matched != d.OldRows-d.RemovedTotal || matched < 0 {
			t.Fatalf("new %d (added %d), old %d (removed %d)", d.NewRows, d.AddedTotal, d.OldRows, d.RemovedTotal)
		}
		if a == b && !d.Empty() {
			t.Fatalf("a table differs from itself: %+v", d)
		}
		for _, c := range d.Cells {
			if c.Old == c.New || c.Row < 1 || c.Row > d.NewRows || c.OldRow < 1 || c.OldRow > d.OldRows {
				t.Fatalf("bad cell %+v", c)
			}
		}
	})
}

// versions makes two versions of a table of n rows: the second has about
// 3% of its counts changed, 1% of rows removed and 1% added.
func versions(n int) (oldCSV, newCSV []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o, w bytes.Buffer
	o.WriteString("practice,region,age_band,sex,condition,count,denominator\n")
	w.WriteString("practice,region,age_band,sex,condition,count,denominator\n")
	regions := []string{"North East", "North West", "Yorkshire", "East Midlands", "West Midlands", "East", "London", "South East", "South West"}
	for i := range n {
		key := fmt.Sprintf("P%06d,%s,%d-%d,%s,%s", i, regions[i%len(regions)], i%9*10, i%9*10+9, []string{"F", "M"}[i%2], []string{"asthma", "copd", "diabetes"}[i%3])
		count, denom := rng.IntN(1000), 1000+rng.IntN(9000)
		fmt.Fprintf(&o, "%s,%d,%d\n", key, count, denom)
		switch r := rng.IntN(100); {
		case r < 1: // removed
		case r < 4:
			fmt.Fprintf(&w, "%s,%d,%d\n", key, count+1+rng.IntN(5), denom)
		default:
			fmt.Fprintf(&w, "%s,%d,%d\n", key, count, denom)
		}
		if rng.IntN(100) < 1 {
			fmt.Fprintf(&w, "N%06d,London,0-9,F,asthma,%d,%d\n", i, rng.IntN(1000), 5000)
		}
	}
	return o.Bytes(), w.Bytes()
}

func TestCompareCSVLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	o, n := versions(20000)
	d, err := CompareCSV(bytes.NewReader(o), bytes.NewReader(n), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d.CellsTotal < 400 || d.AddedTotal < 100 || d.RemovedTotal < 100 || d.OldRows != 20000 {
		t.Errorf("cells %d, added %d, removed %d, rows %d", d.CellsTotal, d.AddedTotal, d.RemovedTotal, d.OldRows)
	}
	if want := []string{"practice", "region", "age_band", "sex", "condition"}; !cmp.Equal(want, d.MatchedBy) {
		t.Errorf("matched by %v, want %v", d.MatchedBy, want)
	}
}

// BenchmarkCompareCSV100k diffs two versions of a 100,000-row table
// (about 3% of rows with a changed count, 1% removed, 1% added). It
// reports, beside -benchmem's figures, the peak heap in use during a
// diff (peak-heap-MiB), sampled.
func BenchmarkCompareCSV100k(b *testing.B) {
	o, n := versions(100000)
	b.SetBytes(int64(len(o) + len(n)))
	var peak uint64
	for b.Loop() {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		done := make(chan struct{})
		peakc := make(chan uint64)
		go func() {
			var m runtime.MemStats
			hi := uint64(0)
			for {
				runtime.ReadMemStats(&m)
				hi = max(hi, m.HeapAlloc)
				select {
				case <-done:
					peakc <- hi
					return
				default:
					time.Sleep(100 * time.Microsecond)
				}
			}
		}()
		d, err := CompareCSV(bytes.NewReader(o), bytes.NewReader(n), Limits{})
		runtime.ReadMemStats(&base) // d is still live here
		close(done)
		hi := max(<-peakc, base.HeapAlloc)
		if err != nil || d.CellsTotal == 0 {
			b.Fatal(err, d.CellsTotal)
		}
		peak = max(peak, hi)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(len(o))/(1<<20), "file-MiB")
}

func BenchmarkCompareText100k(b *testing.B) {
	o, n := versions(100000)
	for b.Loop() {
		d, err := CompareText(bytes.NewReader(o), bytes.NewReader(n), Limits{})
		if err != nil || d.Added == 0 {
			b.Fatal(err)
		}
	}
}
