package render

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// writeRowsCSV writes a CSV of rows data rows of about 40 bytes each.
func writeRowsCSV(b *testing.B, path string, rows int) {
	b.Helper()
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	w := bufio.NewWriterSize(fh, 1<<20)
	w.WriteString("id,patient,date,value,group\n")
	groups := []string{"A", "B", "C", "<=7"}
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "%d,p-%07d,2024-%02d-%02d,%d.%02d,%s\n", i, i*7%9999991, i%12+1, i%28+1, i%1000, i%100, groups[i%4])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

func openBench(b *testing.B, path, name string) (File, func()) {
	b.Helper()
	fh, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	st, err := fh.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return File{Name: name, Content: fh, Size: st.Size(), ModTime: st.ModTime(), CacheID: "bench"}, func() { fh.Close() }
}

// BenchmarkCSVFirstPage measures the first page of the viewer against
// reading the same lines with bufio.Scanner, on files of 100,000 and
// 1,000,000 rows: the times should not depend on the file size.
func BenchmarkCSVFirstPage(b *testing.B) {
	for _, rows := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "rows.csv")
			writeRowsCSV(b, path, rows)
			f, closeFile := openBench(b, path, "rows.csv")
			defer closeFile()
			b.Logf("file: %.1f MB", float64(f.Size)/1e6)

			b.Run("CSVPage", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					t, err := CSVPage(f.section(), 1, DefaultPageSize)
					if err != nil || len(t.Rows) != DefaultPageSize || !t.More {
						b.Fatalf("%d rows, %v", len(t.Rows), err)
					}
				}
			})
			b.Run("Serve", func(b *testing.B) {
				b.ReportAllocs()
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				for b.Loop() {
					w := &discard{h: http.Header{}}
					if err := Serve(w, req, f); err != nil || w.status != http.StatusOK {
						b.Fatalf("%d %v", w.status, err)
					}
				}
			})
			b.Run("baseline-bufio.Scanner", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s := bufio.NewScanner(f.section())
					n := 0
					for n <= DefaultPageSize && s.Scan() {
						n++
					}
					if n != DefaultPageSize+1 {
						b.Fatalf("%d lines", n)
					}
				}
			})
		})
	}
}

// writeWideCSV writes rows × cols cells mixing integers, floats, text,
// missing and redacted values.
func writeWideCSV(b *testing.B, path string, rows, cols int) {
	b.Helper()
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	w := bufio.NewWriter(fh)
	for c := range cols {
		if c > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, "col_%d", c)
	}
	w.WriteByte('\n')
	for r := range rows {
		for c := range cols {
			if c > 0 {
				w.WriteByte(',')
			}
			switch {
			case (r+c)%97 == 0:
				w.WriteString("[REDACTED]")
			case (r+c)%89 == 0:
				w.WriteString("")
			case c%4 == 0:
				fmt.Fprintf(w, "%d", (r*31+c)%5000*6+3)
			case c%4 == 1:
				fmt.Fprintf(w, "%d.%d", r%1000, c)
			case c%4 == 2:
				fmt.Fprintf(w, " %d ", r*5)
			default:
				fmt.Fprintf(w, "Group %c", 'A'+rune(r%5))
			}
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCSVSummary measures the summary of a 5,000 × 20 file against
// a plain encoding/csv read of it.
func BenchmarkCSVSummary(b *testing.B) {
	path := filepath.Join(b.TempDir(), "wide.csv")
	writeWideCSV(b, path, 5000, 20)
	f, closeFile := openBench(b, path, "wide.csv")
	defer closeFile()
	b.Logf("file: %.1f MB", float64(f.Size)/1e6)

	b.Run("CSVSummarize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := CSVSummarize(f.section())
			if err != nil || s.DataRows != 5000 || len(s.Columns) != 20 {
				b.Fatalf("%+v %v", s.DataRows, err)
			}
		}
	})
	b.Run("Serve", func(b *testing.B) {
		b.ReportAllocs()
		req := httptest.NewRequest(http.MethodGet, "/?summary=1", nil)
		for b.Loop() {
			w := &discard{h: http.Header{}}
			if err := Serve(w, req, f); err != nil || w.status != http.StatusOK {
				b.Fatalf("%d %v", w.status, err)
			}
		}
	})
	b.Run("baseline-encoding/csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := csv.NewReader(f.section())
			n := 0
			for {
				_, err := r.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 5001 {
				b.Fatalf("%d records", n)
			}
		}
	})
}

// BenchmarkCSVFilter measures a filter over every row of a 1,000,000-row
// file (the count of matches needs the whole file): any column, and one.
func BenchmarkCSVFilter(b *testing.B) {
	path := filepath.Join(b.TempDir(), "rows.csv")
	writeRowsCSV(b, path, 1_000_000)
	f, closeFile := openBench(b, path, "rows.csv")
	defer closeFile()
	for _, flt := range []Filter{{Text: "p-00012", Col: -1}, {Text: "<=7", Col: 4}} {
		b.Run(fmt.Sprintf("col=%d", flt.Col), func(b *testing.B) {
			b.SetBytes(f.Size)
			for b.Loop() {
				ft, err := CSVFilter(f.section(), flt, 1, DefaultPageSize)
				if err != nil || ft.DataRows != 1_000_000 {
					b.Fatal(ft.DataRows, err)
				}
			}
		})
	}
}
