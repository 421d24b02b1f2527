package blobstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestGC(t *testing.T) {
	s := testStore(t)
	now := time.Now()
	grace := time.Hour
	old := now.Add(-2 * grace)
	young := now.Add(-grace / 2)

	type blob struct {
		ws, content string
		mtime       time.Time
		referenced  bool
		wantKept    bool
	}
	blobs := []blob{
		{"ws1", "old referenced", old, true, true},
		{"ws1", "old unreferenced", old, false, false},
		{"ws1", "young unreferenced", young, false, true},
		{"ws1", "young referenced", young, true, true},
		{"ws2", "old unreferenced in ws2", old, false, false},
		{"ws2", "old referenced in ws2", old, true, true},
		// Same bytes in two workspaces: referenced in one only.
		{"ws1", "shared", old, true, true},
		{"ws2", "shared", old, false, false},
	}
	refs := map[string]map[string]bool{}
	var wantFreed int64
	for _, b := range blobs {
		sha, size, err := s.Put(t.Context(), b.ws, bytes.NewReader([]byte(b.content)), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(s.Dir(), b.ws, sha), b.mtime, b.mtime); err != nil {
			t.Fatal(err)
		}
		if refs[b.ws] == nil {
			refs[b.ws] = map[string]bool{}
		}
		if b.referenced {
			refs[b.ws][sha] = true
		}
		if !b.wantKept {
			wantFreed += size
		}
	}
	// Leftovers: temporary files old and young, and things GC must not touch.
	writeAt := func(rel string, mtime time.Time) {
		t.Helper()
		p := filepath.Join(s.Dir(), rel)
		if err := os.WriteFile(p, []byte("leftover"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	writeAt("ws1/.tmp-old", old)
	writeAt("ws1/.tmp-young", young)
	writeAt("ws1/notes.txt", old)
	writeAt("stray-file", old)
	writeAt(".hidden", old)
	if err := os.MkdirAll(filepath.Join(s.Dir(), "ws2", "01HQREQUESTID"), 0o750); err != nil {
		t.Fatal(err)
	}
	wantFreed += int64(len("leftover")) // .tmp-old

	var calls []string
	var mu sync.Mutex
	referenced := func(ws string) (map[string]bool, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, ws)
		return refs[ws], nil
	}
	res, err := s.GC(t.Context(), referenced, grace, now)
	if err != nil {
		t.Fatal(err)
	}
	wantRemoved := 1 // .tmp-old
	wantKept := 1    // .tmp-young
	for _, b := range blobs {
		if b.wantKept {
			wantKept++
		} else {
			wantRemoved++
		}
	}
	if res.Removed != wantRemoved || res.Kept != wantKept || res.Freed != wantFreed {
		t.Errorf("GC = %+v; want Removed %d, Kept %d, Freed %d", res, wantRemoved, wantKept, wantFreed)
	}
	sort.Strings(res.Unknown)
	wantUnknown := []string{".hidden", "stray-file", "ws1/notes.txt", "ws2/01HQREQUESTID"}
	if len(res.Unknown) != len(wantUnknown) {
		t.Errorf("Unknown = %q, want %q", res.Unknown, wantUnknown)
	} else {
		for i := range wantUnknown {
			if res.Unknown[i] != wantUnknown[i] {
				t.Errorf("Unknown = %q, want %q", res.Unknown, wantUnknown)
				break
			}
		}
	}
	sort.Strings(calls)
	if len(calls) != 2 || calls[0] != "ws1" || calls[1] != "ws2" {
		t.Errorf("referenced called for %v; want once per workspace", calls)
	}
	for _, b := range blobs {
		sha := hashOf([]byte(b.content))
		_, err := os.Stat(filepath.Join(s.Dir(), b.ws, sha))
		if exists := err == nil; exists != b.wantKept {
			t.Errorf("%s %q: exists=%v, want %v", b.ws, b.content, exists, b.wantKept)
		}
	}
	for _, rel := range []string{"ws1/.tmp-young", "ws1/notes.txt", "stray-file", ".hidden", "ws2/01HQREQUESTID"} {
		if _, err := os.Stat(filepath.Join(s.Dir(), rel)); err != nil {
			t.Errorf("GC removed %s: %v", rel, err)
		}
	}

	// A second run has nothing more to do.
	res, err = s.GC(t.Context(), referenced, grace, now)
	if err != nil || res.Removed != 0 {
		t.Errorf("second GC = %+v, %v", res, err)
	}
}

func TestGCNeverAsksForWorkspacesWithoutOldBlobs(t *testing.T) {
	s := testStore(t)
	if _, _, err := s.Put(t.Context(), "ws", bytes.NewReader([]byte("new")), ""); err != nil {
		t.Fatal(err)
	}
	res, err := s.GC(t.Context(), func(ws string) (map[string]bool, error) {
		t.Errorf("referenced(%s) called", ws)
		return nil, nil
	}, time.Hour, time.Now())
	if err != nil || res.Kept != 1 || res.Removed != 0 {
		t.Errorf("GC = %+v, %v", res, err)
	}
}

func TestGCStopsOnReferencedError(t *testing.T) {
	s := testStore(t)
	sha, _, err := s.Put(t.Context(), "ws", bytes.NewReader([]byte("data")), "")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("database down")
	_, err = s.GC(t.Context(), func(string) (map[string]bool, error) { return nil, boom }, time.Hour, time.Now().Add(2*time.Hour))
	if !errors.Is(err, boom) {
		t.Fatalf("GC = %v; want the referenced error", err)
	}
	if _, err := s.Open("ws", sha); err != nil {
		t.Errorf("blob deleted although references could not be read: %v", err)
	}
}

func TestGCCancelled(t *testing.T) {
	s := testStore(t)
	if _, _, err := s.Put(t.Context(), "ws", bytes.NewReader([]byte("data")), ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GC(ctx, func(string) (map[string]bool, error) { return nil, nil }, 0, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("GC = %v; want context.Canceled", err)
	}
	if names := list(t, s, "ws"); len(names) != 1 {
		t.Errorf("cancelled GC removed something: %v", names)
	}
}

func TestGCRejectsNegativeGrace(t *testing.T) {
	s := testStore(t)
	if _, err := s.GC(t.Context(), func(string) (map[string]bool, error) { return nil, nil }, -time.Second, time.Now()); err == nil {
		t.Error("GC with a negative grace period succeeded")
	}
}

// TestGCRacesPut runs GC over an old, unreferenced blob while Puts of the
// same bytes keep arriving: whenever a Put returns, the blob must be there
// (GC either deleted it before, and the Put stored it again, or the Put
// refreshed it, and GC kept it).
func TestGCRacesPut(t *testing.T) {
	s := testStore(t)
	data := pattern(4096, 3)
	want := hashOf(data)
	blob := filepath.Join(s.Dir(), "ws", want)
	nothing := func(string) (map[string]bool, error) { return nil, nil }
	for range 50 {
		if _, _, err := s.Put(t.Context(), "ws", bytes.NewReader(data), want); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-2 * time.Hour)
		if err := os.Chtimes(blob, old, old); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := s.GC(context.Background(), nothing, time.Hour, time.Now()); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, _, err := s.Put(context.Background(), "ws", bytes.NewReader(data), want); err != nil {
				t.Error(err)
				return
			}
			if _, err := os.Stat(blob); err != nil {
				t.Errorf("blob missing right after Put returned: %v", err)
			}
		})
		wg.Wait()
	}
}
