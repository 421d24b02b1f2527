package checks

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tableFindings runs the table rules alone over data, as they are now
// or (legacy) as they were.
func tableFindings(t testing.TB, ck *Checker, data string, legacy bool, opts ...Option) []Finding {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	out := &report{rules: &ck.cfg.Rules}
	var err error
	if legacy {
		err = ck.legacyCheckCSV(context.Background(), strings.NewReader(data), &o, out)
	} else {
		err = ck.checkCSV(context.Background(), strings.NewReader(data), &o, out)
	}
	if err != nil {
		t.Fatalf("legacy %v: %v", legacy, err)
	}
	return out.sorted()
}

func sameAsLegacy(t testing.TB, ck *Checker, data string, opts ...Option) {
	t.Helper()
	want := tableFindings(t, ck, data, true, opts...)
	got := tableFindings(t, ck, data, false, opts...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("findings differ from the legacy rules (-legacy +now) on %q:\n%s", abbreviate([]byte(data)), diff)
	}
}

// legacyConfigs are the configurations the differential tests run.
func legacyConfigs(t testing.TB) []*Checker {
	return []*Checker{
		newChecker(t),
		newChecker(t, func(c *Config) { c.Rules.SmallCount.Zero = true; c.Rules.Unrounded.Midpoint6 = true }),
		newChecker(t, func(c *Config) { c.MaxCells = 3; c.Rules.SmallCount.Threshold = 10; c.Rules.Unrounded.Base = 10 }),
		newChecker(t, func(c *Config) { c.Rules.MinMax.Enabled = false; c.Columns.Counts = append(c.Columns.Counts, "value") }),
	}
}

var (
	legacyHeaders = []string{"group", "n", "count", "rate", "max_age", "year", "value", "n_midpoint6", "n_midpoint6_derived",
		"x", "Region", "\ufeffcat", "practice_id", "total", "min", "", " n "}
	legacyCells = []string{"0", "1", "3", "5", "7", "8", "9", "10", "12", "15", "100", "105", "1,234", "12,345", "1,23",
		"-5", "-0", "+4", "3.0", "3.00", "2.5", ".5", "1e5", "inf", "[REDACTED]", "redacted", "<=7", "<7", "≤7", "NA", "",
		" 12 ", "\"1,000\"", "\"a\"\"b\"", "\"x\ny\"", "text", "１２", "999999999999999999", "9999999999999999999",
		"Suppressed", "\"\"", "a\"b", "\"5\"", "N/A", "\u00a03\u00a0", "0x10", "1_000"}
)

// legacyTable makes a random table: named columns, cells of every kind,
// ragged rows, CRLF, empty lines.
func legacyTable(rng *rand.Rand, rows int) string {
	var b strings.Builder
	ncols := 1 + rng.IntN(6)
	nl := "\n"
	if rng.IntN(4) == 0 {
		nl = "\r\n"
	}
	for i := range ncols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(legacyHeaders[rng.IntN(len(legacyHeaders))])
	}
	b.WriteString(nl)
	// Each column draws from a few cells, as real columns do.
	pools := make([][]string, ncols)
	for i := range pools {
		for range 1 + rng.IntN(4) {
			pools[i] = append(pools[i], legacyCells[rng.IntN(len(legacyCells))])
		}
	}
	for range rows {
		n := ncols
		if rng.IntN(10) == 0 {
			n = rng.IntN(ncols + 2)
		}
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			pool := pools[i%ncols]
			b.WriteString(pool[rng.IntN(len(pool))])
		}
		b.WriteString(nl)
		if rng.IntN(30) == 0 {
			b.WriteString(nl)
		}
	}
	return b.String()
}

// TestSameFindingsAsLegacy: the table rules find exactly what they found
// before they read through csvrows, on the corpus tables, the benchmark
// table and generated tables, with and without released tables to compare.
func TestSameFindingsAsLegacy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	cks := legacyConfigs(t)
	for seed := range uint64(12) {
		for _, ck := range cks {
			sameAsLegacy(t, ck, plantedTable(seed, 300, seed%3 == 0).csv)
		}
	}
	sameAsLegacy(t, cks[0], string(benchCSV(5000)))
	for i := range 1500 {
		ck := cks[i%len(cks)]
		data := legacyTable(rng, rng.IntN(40))
		sameAsLegacy(t, ck, data)
		rel := map[string]string{"a.csv": legacyTable(rng, rng.IntN(20))}
		if i%2 == 0 {
			rel["b.csv"] = data
			rel["c.txt"] = data
		}
		sameAsLegacy(t, ck, data, WithReleased(released(rel)))
	}
}

func FuzzSameFindingsAsLegacy(f *testing.F) {
	f.Add("group,count\nA,3\nB,\"1,234\"\n", "group,count\nA,5\n")
	f.Add(plantedTable(1, 20, false).csv, plantedTable(2, 20, false).csv)
	f.Add("n,max_age\r\n7,\"3\r\n\"\r\n\r\n", "")
	cks := legacyConfigs(f)
	f.Fuzz(func(t *testing.T, data, rel string) {
		for _, ck := range cks {
			sameAsLegacy(t, ck, data)
			sameAsLegacy(t, ck, data, WithReleased(released(map[string]string{"r.csv": rel})))
		}
	})
}
