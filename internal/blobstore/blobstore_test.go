package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func testStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "requests"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// pattern returns n bytes that are not all the same.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// list returns the names in the workspace folder, sorted.
func list(t *testing.T, s *Store, ws string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir(), ws))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestNewCreatesRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("root not created: %v", err)
	}
	if _, err := New(""); err == nil {
		t.Error("New(\"\") succeeded")
	}
}

func TestPutAndReadBack(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte("x")},
		{"text", []byte("a,b\n1,2\n")},
		{"exactly one buffer", pattern(bufSize, 1)},
		{"buffer plus one", pattern(bufSize+1, 2)},
		{"several buffers", pattern(5*bufSize+12345, 3)},
		{"more than the writeback step", pattern(writebackEvery+3*bufSize+7, 4)},
	}
	s := testStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := hashOf(tt.data)
			for _, wantHash := range []string{want, "", strings.ToUpper(want)} {
				sha, size, err := s.Put(t.Context(), "ws", bytes.NewReader(tt.data), wantHash)
				if err != nil {
					t.Fatalf("Put(wantHash=%q): %v", wantHash, err)
				}
				if sha != want || size != int64(len(tt.data)) {
					t.Fatalf("Put = %s, %d; want %s, %d", sha, size, want, len(tt.data))
				}
			}
			f, err := s.Open("ws", want)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Fatalf("read back %d bytes, differing from the %d put", len(got), len(tt.data))
			}
			p, err := s.Path("ws", want)
			if err != nil {
				t.Fatal(err)
			}
			if p != filepath.Join(s.Dir(), "ws", want) {
				t.Errorf("Path = %s", p)
			}
		})
	}
	// Every blob stored once, nothing else left.
	names := list(t, s, "ws")
	if len(names) != len(tests) {
		t.Errorf("workspace folder holds %v, want %d blobs", names, len(tests))
	}
	for _, n := range names {
		if !ValidHash(n) {
			t.Errorf("unexpected file %s", n)
		}
	}
}

func TestPutFromFile(t *testing.T) {
	s := testStore(t)
	data := pattern(3*bufSize+100, 9)
	src := filepath.Join(t.TempDir(), "out.csv")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sha, size, err := s.Put(t.Context(), "ws", f, hashOf(data))
	if err != nil || sha != hashOf(data) || size != int64(len(data)) {
		t.Fatalf("Put = %s, %d, %v", sha, size, err)
	}
}

func TestHashMismatchLeavesNothing(t *testing.T) {
	s := testStore(t)
	data := pattern(2*bufSize+5, 7)
	for _, d := range [][]byte{nil, []byte("hello"), data} {
		sha, _, err := s.Put(t.Context(), "ws", bytes.NewReader(d), strings.Repeat("0", 64))
		if !errors.Is(err, ErrHashMismatch) {
			t.Fatalf("Put with a wrong hash: %s, %v; want ErrHashMismatch", sha, err)
		}
		if !strings.Contains(err.Error(), "content_hash") || !strings.Contains(err.Error(), hashOf(d)) {
			t.Errorf("error does not explain the mismatch: %v", err)
		}
		if sha != "" {
			t.Errorf("Put returned hash %s with an error", sha)
		}
	}
	if names := list(t, s, "ws"); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}

func TestIdenticalBytesStoredOnce(t *testing.T) {
	s := testStore(t)
	data := pattern(100000, 5)
	sha1, _, err := s.Put(t.Context(), "ws", bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	// Make the blob old, to see that the second Put refreshes it.
	old := time.Now().Add(-48 * time.Hour)
	blob := filepath.Join(s.Dir(), "ws", sha1)
	if err := os.Chtimes(blob, old, old); err != nil {
		t.Fatal(err)
	}
	sha2, _, err := s.Put(t.Context(), "ws", bytes.NewReader(data), sha1)
	if err != nil || sha2 != sha1 {
		t.Fatalf("second Put = %s, %v; want %s", sha2, err, sha1)
	}
	if names := list(t, s, "ws"); len(names) != 1 || names[0] != sha1 {
		t.Errorf("workspace folder holds %v, want only %s", names, sha1)
	}
	fi, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(fi.ModTime()) > time.Hour {
		t.Errorf("reused blob keeps its old mtime %v; GC could delete it before the add commits", fi.ModTime())
	}
	// Another workspace gets its own copy.
	sha3, _, err := s.Put(t.Context(), "other", bytes.NewReader(data), sha1)
	if err != nil || sha3 != sha1 {
		t.Fatalf("Put in another workspace = %s, %v", sha3, err)
	}
	if names := list(t, s, "other"); len(names) != 1 {
		t.Errorf("other workspace holds %v", names)
	}
}

func TestPutReplacesDamagedBlob(t *testing.T) {
	s := testStore(t)
	data := []byte("the real content")
	sha := hashOf(data)
	if err := os.MkdirAll(filepath.Join(s.Dir(), "ws"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "ws", sha), []byte("trunc"), 0o440); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(t.Context(), "ws", bytes.NewReader(data), sha); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir(), "ws", sha))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("blob = %q, %v; want the verified copy", got, err)
	}
}

func TestBlobsAreReadOnly(t *testing.T) {
	s := testStore(t)
	sha, _, err := s.Put(t.Context(), "ws", strings.NewReader("data"), "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(s.Dir(), "ws", sha))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o222 != 0 {
		t.Errorf("blob mode %v is writable", perm)
	}
	if perm := fi.Mode().Perm(); perm != blobMode {
		t.Errorf("blob mode %v, want %v", perm, fs.FileMode(blobMode))
	}
	if os.Geteuid() != 0 { // root ignores permissions
		if _, err := os.OpenFile(filepath.Join(s.Dir(), "ws", sha), os.O_WRONLY, 0); err == nil {
			t.Error("blob opened for writing")
		}
	}
}

// cancellingReader returns data forever, and cancels its context after
// handing out after bytes.
type cancellingReader struct {
	cancel func()
	after  int
	read   int
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.read + i)
	}
	r.read += len(p)
	if r.read >= r.after {
		r.cancel()
	}
	return len(p), nil
}

func TestCancelMidCopyLeavesNothing(t *testing.T) {
	s := testStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, _, err = s.Put(ctx, "ws", &cancellingReader{cancel: cancel, after: 3 * bufSize}, "")
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Put did not stop after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put after cancel: %v; want context.Canceled", err)
	}
	if names := list(t, s, "ws"); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
	// Already cancelled: nothing is even created.
	if _, _, err := s.Put(ctx, "ws2", strings.NewReader("x"), ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a done context: %v", err)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestReadErrorLeavesNothing(t *testing.T) {
	s := testStore(t)
	_, _, err := s.Put(t.Context(), "ws", &failingReader{n: 2*bufSize + 3}, "")
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Put = %v; want the read error", err)
	}
	if names := list(t, s, "ws"); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}

func TestHostileNames(t *testing.T) {
	s := testStore(t)
	good := hashOf([]byte("x"))
	if _, _, err := s.Put(t.Context(), "ws", strings.NewReader("x"), good); err != nil {
		t.Fatal(err)
	}
	workspaces := []string{"", ".", "..", "../escape", "a/b", `a\b`, "/abs", "a\x00b", ".hidden", ".tmp-x", strings.Repeat("w", 256)}
	for _, ws := range workspaces {
		t.Run("workspace "+ws, func(t *testing.T) {
			if _, _, err := s.Put(t.Context(), ws, strings.NewReader("x"), ""); !errors.Is(err, ErrInvalidWorkspace) {
				t.Errorf("Put: %v", err)
			}
			if _, err := s.Open(ws, good); !errors.Is(err, ErrInvalidWorkspace) {
				t.Errorf("Open: %v", err)
			}
			if _, err := s.Path(ws, good); !errors.Is(err, ErrInvalidWorkspace) {
				t.Errorf("Path: %v", err)
			}
		})
	}
	hashes := []string{"", "abc", strings.ToUpper(good), good + "0", good[:63], "../" + good[3:],
		strings.Repeat("g", 64), good[:32] + "/" + good[33:], ".tmp-" + good[5:], good[:63] + "\x00"}
	for _, h := range hashes {
		t.Run("hash "+h, func(t *testing.T) {
			if _, err := s.Open("ws", h); !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Open: %v", err)
			}
			if _, err := s.Path("ws", h); !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Path: %v", err)
			}
			if h == "" || h == strings.ToUpper(good) {
				return // "" means unchecked; upper case is compared case-insensitively
			}
			if _, _, err := s.Put(t.Context(), "ws", strings.NewReader("x"), h); !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Put: %v", err)
			}
		})
	}
	if names := list(t, s, "ws"); len(names) != 1 {
		t.Errorf("workspace folder holds %v", names)
	}
}

func TestSymlinkOutOfRootRefused(t *testing.T) {
	s := testStore(t)
	outside := t.TempDir()
	data := []byte("secret")
	sha := hashOf(data)
	if err := os.WriteFile(filepath.Join(outside, sha), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "evil")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("evil", sha); err == nil {
		t.Error("Open followed a symlink out of the root")
	}
	if _, err := s.Path("evil", sha); err == nil {
		t.Error("Path followed a symlink out of the root")
	}
	if _, _, err := s.Put(t.Context(), "evil", bytes.NewReader(data), sha); err == nil {
		t.Error("Put wrote through a symlink out of the root")
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("outside folder now holds %d files", len(entries))
	}
}

func TestOpenMissing(t *testing.T) {
	s := testStore(t)
	sha := hashOf([]byte("never stored"))
	for _, ws := range []string{"ws", "nows"} {
		if _, err := s.Open(ws, sha); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%s) = %v; want fs.ErrNotExist", ws, err)
		}
		if _, err := s.Path(ws, sha); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Path(%s) = %v; want fs.ErrNotExist", ws, err)
		}
	}
}

func TestCrashLeftoverIsNotABlob(t *testing.T) {
	s := testStore(t)
	data := []byte("half of a file")
	sha := hashOf(data)
	dir := filepath.Join(s.Dir(), "ws")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	// What a crash mid-copy leaves: a temporary file, never a hash name.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-x"), data[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("ws", sha); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after a crash: %v", err)
	}
	// A new Put of the same content is unaffected.
	if got, _, err := s.Put(t.Context(), "ws", bytes.NewReader(data), sha); err != nil || got != sha {
		t.Fatalf("Put = %s, %v", got, err)
	}
	none := func(string) (map[string]bool, error) { return map[string]bool{sha: true}, nil }
	grace := time.Hour
	// Before the grace period: kept.
	res, err := s.GC(t.Context(), none, grace, time.Now().Add(grace/2))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 0 || !contains(list(t, s, "ws"), ".tmp-x") {
		t.Errorf("GC within the grace period: %+v, folder %v", res, list(t, s, "ws"))
	}
	// After: removed.
	res, err = s.GC(t.Context(), none, grace, time.Now().Add(2*grace))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 || res.Freed != 5 || contains(list(t, s, "ws"), ".tmp-x") {
		t.Errorf("GC after the grace period: %+v, folder %v", res, list(t, s, "ws"))
	}
	if names := list(t, s, "ws"); len(names) != 1 || names[0] != sha {
		t.Errorf("folder holds %v, want the referenced blob", names)
	}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func TestConcurrentPutsOfSameContent(t *testing.T) {
	s := testStore(t)
	data := pattern(3*bufSize+17, 11)
	want := hashOf(data)
	n := 4 * runtime.GOMAXPROCS(0)
	if n < 8 {
		n = 8
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			sha, _, err := s.Put(context.Background(), "ws", bytes.NewReader(data), want)
			if err == nil && sha != want {
				err = errors.New("wrong hash " + sha)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}
	if names := list(t, s, "ws"); len(names) != 1 || names[0] != want {
		t.Errorf("folder holds %v, want only %s", names, want)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir(), "ws", want))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("stored blob differs: %v", err)
	}
}

func TestConcurrentPutsOfDifferentContent(t *testing.T) {
	s := testStore(t)
	var wg sync.WaitGroup
	const n = 8
	want := map[string]bool{}
	datas := make([][]byte, n)
	for i := range n {
		datas[i] = pattern(bufSize/2+i*1000, byte(i))
		want[hashOf(datas[i])] = true
	}
	for i := range n {
		wg.Go(func() {
			if _, _, err := s.Put(context.Background(), "ws", bytes.NewReader(datas[i]), hashOf(datas[i])); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	names := list(t, s, "ws")
	if len(names) != n {
		t.Errorf("folder holds %d files, want %d", len(names), n)
	}
	for _, name := range names {
		if !want[name] {
			t.Errorf("unexpected %s", name)
		}
	}
}
