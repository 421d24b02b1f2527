package workspace

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAllSized: the bytes read are the reader's whatever the size
// said, and a file of the size said is read into one buffer of that size
// (a 40 MB manifest once cost 120 MB of buffers and a 40 MB copy).
func TestReadAllSized(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 10_000)
	tests := []struct {
		name  string
		n     int   // bytes in the file
		size  int64 // the size statted
		wantC int   // the buffer's capacity, 0: not checked
	}{
		{"as statted", len(content), int64(len(content)), len(content) + 1},
		{"empty", 0, 0, 1},
		{"grew", len(content), 1000, 0},
		{"shrank", 1000, int64(len(content)), len(content) + 1},
		{"no size", 5000, -1, 0},
		{"absurd size", 5000, 1 << 40, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.HalfReader} {
				got, err := readAllSized(wrap(bytes.NewReader(content[:tt.n])), tt.size)
				if err != nil || !bytes.Equal(got, content[:tt.n]) {
					t.Fatalf("read %d bytes, %v; want the %d bytes", len(got), err, tt.n)
				}
				if tt.wantC != 0 && cap(got) != tt.wantC {
					t.Errorf("a buffer of %d bytes, want %d", cap(got), tt.wantC)
				}
			}
		})
	}
	src := bytes.NewReader(content)
	allocs := testing.AllocsPerRun(5, func() {
		src.Reset(content)
		readAllSized(src, int64(len(content)))
	})
	if allocs != 1 {
		t.Errorf("%v allocations to read a file of the size statted, want 1", allocs)
	}
	boom := errors.New("disk on fire")
	if _, err := readAllSized(io.MultiReader(bytes.NewReader(content), iotest.ErrReader(boom)), int64(len(content))); !errors.Is(err, boom) {
		t.Errorf("a failed read: %v", err)
	}
	if _, err := readAllSized(io.MultiReader(bytes.NewReader(content), iotest.ErrReader(boom)), 10); !errors.Is(err, boom) {
		t.Errorf("a failed read after the size statted: %v", err)
	}
}
