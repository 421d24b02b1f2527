package csvrows

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// stdRecords reads data as encoding/csv does with LazyQuotes and any
// number of cells per record: the behaviour this package keeps.
func stdRecords(t testing.TB, data []byte) ([][]string, []int64) {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(data))
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	var recs [][]string
	var offs []int64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return recs, offs
		}
		if err != nil {
			t.Fatalf("encoding/csv: %v", err)
		}
		recs = append(recs, rec)
		offs = append(offs, cr.InputOffset())
	}
}

// ourRecords reads data with a Reader through r (data itself when nil).
func ourRecords(t testing.TB, data []byte, r io.Reader) ([][]string, []int64) {
	t.Helper()
	if r == nil {
		r = bytes.NewReader(data)
	}
	cr := NewReader(r, 1<<30, 1<<30)
	var recs [][]string
	var offs []int64
	for {
		rec, err := cr.Record(nil)
		if errors.Is(err, io.EOF) {
			return recs, offs
		}
		if err != nil {
			t.Fatalf("csvrows: %v", err)
		}
		recs = append(recs, rec)
		offs = append(offs, cr.Offset())
	}
}

func same(t testing.TB, data []byte, r io.Reader) {
	t.Helper()
	want, wantOff := stdRecords(t, data)
	got, gotOff := ourRecords(t, data, r)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("input %q:\n got %q\nwant %q", data, got, want)
	}
	if !slices.Equal(gotOff, wantOff) {
		t.Fatalf("input %q: offsets %v, want %v", data, gotOff, wantOff)
	}
}

func TestSameAsEncodingCSV(t *testing.T) {
	tests := []string{
		"", "\n", "\r\n", "\r", "a", "a\n", "a\r\n", "a\r", "a\rb\n", "a,b,c\n1,2,3\n",
		"a,,\n,,\n", "\n\na\n\n\nb", "a,b\r\n\r\nc,d\r\n",
		`"a","b"` + "\n", `"a""b",c` + "\n", `"a,b",c`, `"a` + "\n" + `b",c` + "\n",
		`"a"b,c` + "\nd,e\n", `a"b,c"` + "\n", `"",""` + "\n", `"`, `""`, `"""`, "\"a\r\nb\"\r\n",
		`x,"y` + "\n\n" + `z"` + "\n", `"a"` + "\r", `"a` + "\r", " \"a\",b\n", "a,\"b\"\"\",c\n",
		"\"abc\"\"\n", "é,\"ü\",\xff\n", "\"a\"\r\nb\n",
	}
	for _, data := range tests {
		same(t, []byte(data), nil)
		same(t, []byte(data), iotest.OneByteReader(strings.NewReader(data)))
	}
}

// randomCSV makes n bytes of text rich in what CSV cares about.
func randomCSV(rng *rand.Rand, n int) []byte {
	alphabet := []byte("ab1,,,\"\"\n\r ")
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return b
}

func TestSameAsEncodingCSVRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		data := randomCSV(rng, rng.IntN(200))
		same(t, data, nil)
		same(t, data, iotest.HalfReader(bytes.NewReader(data)))
	}
	// Inputs across the sizes the buffer grows through, whole or in
	// short reads.
	for range 40 {
		data := randomCSV(rng, rng.IntN(2*startBuf)<<rng.IntN(7))
		same(t, data, nil)
		same(t, data, iotest.HalfReader(bytes.NewReader(data)))
	}
	// Records longer than the buffer.
	for range 20 {
		data := randomCSV(rng, 3*minBuf+rng.IntN(minBuf))
		same(t, data, nil)
	}
}

func FuzzSameAsEncodingCSV(f *testing.F) {
	f.Add([]byte("a,\"b\nc\",d\r\n\n1,2\r"))
	f.Add([]byte(`"a"b,"c""d"` + "\n" + `"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		same(t, data, nil)
		same(t, data, iotest.OneByteReader(bytes.NewReader(data)))
	})
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		maxBytes  int64
		maxCells  int
		okRecords int
		cells     bool // want a cells limit, else a bytes limit; okRecords < 0: no error
	}{
		{"long row", "a,b\n1,2\n" + strings.Repeat("x", 5000) + ",3\n4,5\n", 1000, 100, 2, false},
		{"long header", strings.Repeat("x", 5000) + "\n1\n", 1000, 100, 0, false},
		{"at the limit", strings.Repeat("x", 1000) + "\n1\n", 1000, 100, -1, false},
		{"one over", strings.Repeat("x", 1001) + "\n1\n", 1000, 100, 0, false},
		{"long quoted", "a\n\"" + strings.Repeat("x\n", 600) + "\"\n", 1000, 100, 1, false},
		{"no new line ever", strings.Repeat("\x00", 3*minBuf), 1000, 100, 0, false},
		{"many cells", "a\n1\n" + strings.Repeat(",", 150) + "\n2\n", 1 << 20, 100, 2, true},
		{"just under", "a\n" + strings.Repeat(",", 99) + "\n", 1 << 20, 100, -1, true},
		{"quoted commas count", "a\n\"" + strings.Repeat(",", 150) + "\"\n", 1 << 20, 100, 1, true},
		{"cells across lines", "a\n\"" + strings.Repeat(",\n", 150) + "\"\n", 1 << 20, 100, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.data), tt.maxBytes, tt.maxCells)
			n := 0
			var err error
			for {
				if _, err = r.Next(); err != nil {
					break
				}
				n++
			}
			if tt.okRecords < 0 {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("err %v after %d records", err, n)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) || le.TooManyCells != tt.cells || n != tt.okRecords {
				t.Fatalf("err %v after %d records; want a limit (cells %v) after %d", err, n, tt.cells, tt.okRecords)
			}
			if _, again := r.Next(); again != err {
				t.Errorf("then %v, want the same error", again)
			}
			if cap(r.buf) > int(tt.maxBytes)+2*minBuf {
				t.Errorf("buffer grew to %d", cap(r.buf))
			}
		})
	}
}

// TestBufferGrowth: a small input costs a small buffer; a large one is
// read in reads of up to minBuf, and the buffer grows past that only for
// a longer record.
func TestBufferGrowth(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		src      func(io.Reader) io.Reader
		wantBuf  int // the buffer's size at the end
		maxBytes int64
	}{
		{"a few rows", benchTable(3), nil, startBuf, 1 << 20},
		{"empty", nil, nil, startBuf, 1 << 20},
		{"just over the start", benchTable(200)[:startBuf+1], nil, 2 * startBuf, 1 << 20},
		{"large", benchTable(100_000), nil, minBuf, 1 << 20},
		{"large in short reads", benchTable(100_000), iotest.HalfReader, minBuf, 1 << 20},
		{"small in short reads", benchTable(3), iotest.OneByteReader, startBuf, 1 << 20},
		{"a long record", []byte("a\n" + strings.Repeat("x", 3*minBuf) + "\n"), nil, 4 * minBuf, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src io.Reader = bytes.NewReader(tt.data)
			if tt.src != nil {
				src = tt.src(src)
			}
			r := NewReader(src, tt.maxBytes, 100)
			for {
				if _, err := r.Next(); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatal(err)
					}
					break
				}
			}
			if len(r.buf) != tt.wantBuf {
				t.Errorf("buffer of %d bytes, want %d", len(r.buf), tt.wantBuf)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("a,b\n1,"), iotest.ErrReader(boom)), 1000, 100)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

// benchTable is a table of count rows, as outputs are.
func benchTable(n int) []byte {
	var b bytes.Buffer
	b.WriteString("region,year,age_band,sex,count,population,rate\n")
	for i := range n {
		b.WriteString("North East,2019,40-49,F,")
		b.WriteString(strings.Repeat("1", 1+i%4))
		b.WriteString(",10345,0.25\n")
	}
	return b.Bytes()
}

// BenchmarkNext reads a table of counts, against reading its bytes.
func BenchmarkNext(b *testing.B) {
	data := benchTable(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), 4<<20, 100_000)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}

// TestManyEmptyLines: empty lines cost neither stack nor memory.
func TestManyEmptyLines(t *testing.T) {
	data := "a,b\n" + strings.Repeat("\n\r\n", 2_000_000) + "1,2"
	r := NewReader(strings.NewReader(data), 100, 10)
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 || r.Offset() != int64(len(data)) {
		t.Errorf("%d records, offset %d", n, r.Offset())
	}
}
