package render

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/checks"
)

// openFile opens path as a File for Serve, closed at the end of the test.
func openFile(t *testing.T, path, name string) File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return File{Name: name, Content: fh, Size: st.Size(), ModTime: st.ModTime(), CacheID: "big"}
}

// sparseFile creates a file of size zero bytes: one enormous line.
func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := fh.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

// longRowFile creates a CSV with a header, two rows, a row of rowSize
// bytes, and one more row.
func longRowFile(t *testing.T, rowSize int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "long.csv")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w := bufio.NewWriterSize(fh, 1<<20)
	w.WriteString("a,b\n1,2\n3,4\n")
	chunk := strings.Repeat("x", 1<<20)
	for n := 0; n < rowSize; n += len(chunk) {
		w.WriteString(chunk[:min(len(chunk), rowSize-n)])
	}
	w.WriteString(",5\n6,7\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// discard is a ResponseWriter that keeps only the status and byte count.
type discard struct {
	h      http.Header
	status int
	n      int64
	head   []byte // the first bytes written
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(s int)   { d.status = s }
func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	if len(d.head) < 64<<10 {
		d.head = append(d.head, p[:min(len(p), 64<<10-len(d.head))]...)
	}
	d.n += int64(len(p))
	return len(p), nil
}

// peakHeap runs fn and returns how far the heap grew above its level
// before fn, sampled every millisecond, and how long fn took.
func peakHeap(fn func()) (uint64, time.Duration) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var (
		peak uint64
		mu   sync.Mutex
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			var s runtime.MemStats
			runtime.ReadMemStats(&s)
			mu.Lock()
			peak = max(peak, s.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	fn()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms)
	close(done)
	wg.Wait()
	peak = max(peak, ms.HeapAlloc)
	if peak < base {
		return 0, elapsed
	}
	return peak - base, elapsed
}

func TestBigFilesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("creates large files")
	}
	const bigSize = 200 << 20
	single := sparseFile(t, bigSize)
	long := longRowFile(t, 50<<20)
	commas := filepath.Join(t.TempDir(), "commas.csv")
	if err := os.WriteFile(commas, []byte("a\n"+strings.Repeat(",", 3<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	rows := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(rows, []byte(genCSV(400_000)), 0o600); err != nil {
		t.Fatal(err)
	}
	// 100,000 flagged cells over the file, every fourth row: 125 of them
	// on page 2.
	flagged := checks.Finding{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "small"}
	for r := 0; r < 400_000; r += 4 {
		flagged.Cells = append(flagged.Cells, [2]int{r, 2})
	}

	tests := []struct {
		name, path, file, target string
		want                     string
		findings                 []checks.Finding
	}{
		{"single-line csv", single, "big.csv", "/", "the header row is too long to show", nil},
		{"single-line csv page 2", single, "big.csv", "/?page=2", "the header row is too long to show", nil},
		{"single-line csv summary", single, "big.csv", "/?summary=1", "No summary: the header row is too long to show", nil},
		{"single-line text", single, "big.txt", "/", "File truncated", nil},
		{"single-line log", single, "big.log", "/", "Log truncated", nil},
		{"single-line image", single, "big.png", "/", "too large to show here", nil},
		{"long row csv", long, "long.csv", "/", "row 3 is too long to show", nil},
		{"long row csv page 2", long, "long.csv", "/?page=2", "row 3 is too long to show", nil},
		{"long row summary", long, "long.csv", "/?summary=1", "No summary: row 3 is too long to show", nil},
		{"many cells csv", commas, "commas.csv", "/", "row 1 has too many cells to show", nil},
		{"many cells summary", commas, "commas.csv", "/?summary=1", "row 1 has too many cells to show", nil},
		{"plain text streams", single, "big.txt", "/?plaintext=true", "", nil},
		{"csv with 100,000 flagged cells", rows, "rows.csv", "/?page=2", "125 cells on this page are flagged (100000 in the file)", []checks.Finding{flagged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openFile(t, tt.path, tt.file)
			f.Findings = tt.findings
			w := &discard{h: http.Header{}}
			var err error
			grew, took := peakHeap(func() {
				err = Serve(w, httptest.NewRequest(http.MethodGet, tt.target, nil), f)
			})
			if err != nil {
				t.Fatal(err)
			}
			if w.status != http.StatusOK {
				t.Fatalf("status %d", w.status)
			}
			if tt.want != "" && !strings.Contains(string(w.head), tt.want) {
				t.Errorf("response lacks %q:\n%s", tt.want, w.head)
			}
			if tt.want == "" && w.n != f.Size {
				t.Errorf("plain text sent %d of %d bytes", w.n, f.Size)
			}
			t.Logf("heap grew %.1f MiB for a %.0f MiB file in %v", float64(grew)/(1<<20), float64(f.Size)/(1<<20), took)
			// Bounded: never more than 40 MiB whatever the file, and for a
			// small file no more than a fixed 16 MiB of working buffers.
			if grew > max(uint64(f.Size)/2, 16<<20) || grew > 40<<20 {
				t.Errorf("heap grew by %d MiB for a %d MiB file", grew>>20, f.Size>>20)
			}
		})
	}
}
