package checks

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchRow appends data row i of a typical output table: labels, counts
// (mostly redacted or rounded, with a small or unrounded count now and
// then), a rate.
func benchRow(dst []byte, i int) []byte {
	regions := [...]string{"North East", "North West", "London", "South West", "Wales"}
	bands := [...]string{"0-17", "18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"}
	count := fmt.Sprint(10 + 5*(i%200))
	switch {
	case i%10 == 3:
		count = "[REDACTED]"
	case i%97 == 0:
		count = fmt.Sprint(1 + i%7) // small
	case i%89 == 0:
		count = fmt.Sprint(11 + 5*(i%50)) // unrounded
	}
	return fmt.Appendf(dst, "%s,%d,%s,%s,%s,%d,%d.%02d\n",
		regions[i%len(regions)], 2015+i%10, bands[i%len(bands)], []string{"F", "M"}[i%2],
		count, 1000+5*(i%5000), i%100, i%97)
}

const benchHeader = "region,year,age_band,sex,count,population,rate\n"

// benchCSV is a table of rows rows.
func benchCSV(rows int) []byte {
	b := []byte(benchHeader)
	for i := range rows {
		b = benchRow(b, i)
	}
	return b
}

// rowsReader generates a table of rows rows as it is read, so that the
// table is never held in memory, and samples the heap every MiB read.
type rowsReader struct {
	rows, next int
	pending    []byte
	read       int
	sampled    int
	peak       uint64
}

func newRowsReader(rows int) *rowsReader {
	return &rowsReader{rows: rows, pending: []byte(benchHeader)}
}

func (r *rowsReader) Read(p []byte) (int, error) {
	for len(r.pending) < len(p) && r.next < r.rows {
		r.pending = benchRow(r.pending, r.next)
		r.next++
	}
	if len(r.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.pending)
	r.pending = append(r.pending[:0], r.pending[n:]...)
	r.read += n
	if r.read-r.sampled >= 1<<20 {
		r.sampled = r.read
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		r.peak = max(r.peak, ms.HeapAlloc)
	}
	return n, nil
}

// heapGrowth checks a generated table of rows rows and returns how far
// the heap grew above its level before, at its highest.
func heapGrowth(t testing.TB, ck *Checker, rows int) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	r := newRowsReader(rows)
	fs, err := ck.Check(context.Background(), "big.csv", r)
	if err != nil {
		t.Fatal(err)
	}
	if r.next != rows || len(fs) == 0 {
		t.Fatalf("read %d rows of %d, %d findings", r.next, rows, len(fs))
	}
	if r.peak < base {
		return 0
	}
	return r.peak - base
}

// TestCheckMemoryIndependentOfRows checks tables of 100,000 and 1,000,000
// rows: the heap must not grow with the number of rows.
func TestCheckMemoryIndependentOfRows(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a million rows")
	}
	ck := newChecker(t)
	small := heapGrowth(t, ck, 100_000)
	large := heapGrowth(t, ck, 1_000_000)
	t.Logf("heap grew %.1f MiB for 100,000 rows, %.1f MiB for 1,000,000 rows", mib(small), mib(large))
	// Garbage collection makes the peak vary by a few MiB either way; a
	// heap that grew with the rows would grow by ~40 bytes a row.
	if large > small+8<<20 || large > 32<<20 {
		t.Errorf("heap grew %.1f MiB for 1,000,000 rows, %.1f MiB for 100,000", mib(large), mib(small))
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// csvReadTime is the median time of reading data with encoding/csv
// alone, reusing records: the least any check must do.
func csvReadTime(tb testing.TB, data []byte) time.Duration {
	tb.Helper()
	var times []time.Duration
	for range 21 {
		start := time.Now()
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		for {
			if _, err := r.Read(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				tb.Fatal(err)
			}
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// BenchmarkCheck5000Rows checks a 5,000-row table (goal: under 50 ms) and
// reports the time as a multiple of reading it with encoding/csv alone,
// measured in the same run (x-csv-read).
func BenchmarkCheck5000Rows(b *testing.B) {
	data := benchCSV(5000)
	ck := newChecker(b)
	ctx := context.Background()
	run := func(b *testing.B, opts ...Option) {
		base := csvReadTime(b, data)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ck.Check(ctx, "table.csv", bytes.NewReader(data), opts...); err != nil {
				b.Fatal(err)
			}
		}
		per := b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(per)/float64(base), "x-csv-read")
		b.ReportMetric(float64(per)/1e6, "ms/check")
		b.ReportMetric(float64(base)/1e6, "csv-read-ms")
	}
	b.Run("rules", func(b *testing.B) { run(b) })
	b.Run("rules+differencing", func(b *testing.B) {
		// The same table released before, with every other count changed.
		prev := bytes.ReplaceAll(benchCSV(5000), []byte(",15,"), []byte(",18,"))
		run(b, WithReleased(released(map[string]string{"released.csv": string(prev)})))
	})
	b.Run("baseline-encoding/csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.ReuseRecord = true
			for {
				if _, err := r.Read(); err != nil {
					break
				}
			}
		}
	})
}

// BenchmarkCheckManyRows checks tables of 100,000 and 1,000,000 rows,
// generated as they are read, and reports the peak heap growth: it must
// not depend on the rows.
func BenchmarkCheckManyRows(b *testing.B) {
	ck := newChecker(b)
	for _, rows := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				peak = max(peak, heapGrowth(b, ck, rows))
			}
			b.ReportMetric(mib(peak), "peak-heap-MiB")
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}

// BenchmarkCheckThroughput checks a 64 MiB count table of about 1.8
// million rows (MB/s: b.SetBytes), against reading the same bytes from
// a file in the page cache, as the add of a file does (x-read: the
// check's time over the read's, measured in the same run; goal: checks at
// 400 MB/s or more on one core). MB/s-cpu is the same per second of the
// thread's CPU time, which waiting for a core on a busy machine does not
// inflate.
func BenchmarkCheckThroughput(b *testing.B) {
	var data []byte
	data = append(data, benchHeader...)
	for i := 0; len(data) < 64<<20; i++ {
		data = benchRow(data, i)
	}
	path := filepath.Join(b.TempDir(), "table.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	read := func() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, 64<<10)); err != nil {
			b.Fatal(err)
		}
	}
	readTime := func() time.Duration {
		var times []time.Duration
		for range 9 {
			start := time.Now()
			read()
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		return times[len(times)/2]
	}
	ck := newChecker(b)
	ctx := context.Background()
	b.Run("check", func(b *testing.B) {
		base := readTime()
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		defer lockThread()()
		cpu0, cpuOK := threadCPU()
		for b.Loop() {
			if _, err := ck.Check(ctx, "table.csv", bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
		cpu1, _ := threadCPU()
		per := b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(per)/float64(base), "x-read")
		if cpuOK {
			// On a shared machine the wall clock counts the waits for a
			// core; the thread's CPU time counts what the check costs.
			b.ReportMetric(float64(len(data))*float64(b.N)/(cpu1-cpu0).Seconds()/1e6, "MB/s-cpu")
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		defer lockThread()()
		cpu0, cpuOK := threadCPU()
		for b.Loop() {
			read()
		}
		cpu1, _ := threadCPU()
		if cpuOK {
			b.ReportMetric(float64(len(data))*float64(b.N)/(cpu1-cpu0).Seconds()/1e6, "MB/s-cpu")
		}
	})
}
