package blobstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestPutWithReader: the reader reads exactly the bytes copied, whatever
// their size against the copy's buffers, and the blob is stored as
// without it.
func TestPutWithReader(t *testing.T) {
	s := testStore(t)
	for _, n := range []int{0, 1, bufSize - 1, bufSize, 3*bufSize + 17, 9 * bufSize} {
		content := pattern(n, byte(n))
		var got []byte
		sha, size, err := s.Put(t.Context(), "ws", bytes.NewReader(content), hashOf(content), WithReader(func(r io.Reader) error {
			// Small reads, as a bufio.Reader's would be.
			b, err := io.ReadAll(iotest.HalfReader(r))
			got = b
			return err
		}))
		if err != nil || sha != hashOf(content) || size != int64(n) {
			t.Fatalf("%d bytes: %s %d %v", n, sha, size, err)
		}
		if !bytes.Equal(got, content) {
			t.Fatalf("%d bytes: the reader read %d bytes, not the content", n, len(got))
		}
	}
}

// TestPutReaderStopsEarly: a reader that returns after the first bytes
// does not stop the copy.
func TestPutReaderStopsEarly(t *testing.T) {
	s := testStore(t)
	content := pattern(10*bufSize, 3)
	sha, size, err := s.Put(t.Context(), "ws", bytes.NewReader(content), hashOf(content), WithReader(func(r io.Reader) error {
		_, err := r.Read(make([]byte, 100))
		return err
	}))
	if err != nil || sha != hashOf(content) || size != int64(len(content)) {
		t.Fatalf("put: %s %d %v", sha, size, err)
	}
	f, err := s.Open("ws", sha)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil || hex.EncodeToString(h.Sum(nil)) != sha {
		t.Fatalf("stored copy differs: %v", err)
	}
}

// TestPutReaderFails: the reader's error stops the copy, which stores
// nothing.
func TestPutReaderFails(t *testing.T) {
	s := testStore(t)
	content := pattern(10*bufSize, 4)
	boom := errors.New("boom")
	_, _, err := s.Put(t.Context(), "ws", bytes.NewReader(content), "", WithReader(func(r io.Reader) error {
		if _, err := r.Read(make([]byte, 100)); err != nil {
			return err
		}
		return boom
	}))
	if !errors.Is(err, boom) {
		t.Fatalf("put: %v, want the reader's error", err)
	}
	if names := list(t, s, "ws"); len(names) != 0 {
		t.Fatalf("a failed put left %v", names)
	}
}

// TestPutReaderSeesSourceError: when the source fails, the reader fails
// too (it does not see a short file end normally), and Put returns the
// source's error.
func TestPutReaderSeesSourceError(t *testing.T) {
	s := testStore(t)
	boom := errors.New("disk on fire")
	src := io.MultiReader(bytes.NewReader(pattern(2*bufSize+5, 5)), iotest.ErrReader(boom))
	var readErr error
	_, _, err := s.Put(t.Context(), "ws", src, "", WithReader(func(r io.Reader) error {
		_, readErr = io.Copy(io.Discard, r)
		return nil
	}))
	if !errors.Is(err, boom) || !errors.Is(readErr, boom) {
		t.Fatalf("put: %v; reader: %v; want both to fail with the source's error", err, readErr)
	}
	if names := list(t, s, "ws"); len(names) != 0 {
		t.Fatalf("a failed put left %v", names)
	}
}

// TestPutReaderHashMismatch: a reader does not change the hash check.
func TestPutReaderHashMismatch(t *testing.T) {
	s := testStore(t)
	content := pattern(bufSize+1, 6)
	_, _, err := s.Put(t.Context(), "ws", bytes.NewReader(content), hashOf([]byte("other")), WithReader(func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	}))
	if !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("put: %v, want ErrHashMismatch", err)
	}
}
