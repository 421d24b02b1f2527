package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
)

func TestGCRemovesOnlyUnreferencedOldCopies(t *testing.T) {
	workDir, _ := seeded(t) // its request holds out/a.csv = "a\n1\n" in workspace ws
	blobs, err := blobstore.New(filepath.Join(workDir, "requests"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func(content string) string {
		sha, _, err := blobs.Put(ctx, "ws", strings.NewReader(content), "")
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	kept, orphan, young := put("a\n1\n"), put("orphan"), put("young orphan")
	blobs.Close()
	old := time.Now().Add(-2 * time.Hour)
	for _, sha := range []string{kept, orphan} {
		os.Chtimes(filepath.Join(workDir, "requests", "ws", sha), old, old)
	}
	code, out, stderr := airlock(t, "", "gc", "--work-dir", workDir)
	if code != 0 || !strings.Contains(out, "removed 1 unreferenced copies") {
		t.Fatalf("gc: exit %d %q %q", code, out, stderr)
	}
	for sha, want := range map[string]bool{kept: true, orphan: false, young: true} {
		_, err := os.Stat(filepath.Join(workDir, "requests", "ws", sha))
		if (err == nil) != want {
			t.Errorf("%s present=%v, want %v", sha[:8], err == nil, want)
		}
	}
	sum := sha256.Sum256([]byte("a\n1\n"))
	if kept != hex.EncodeToString(sum[:]) {
		t.Fatal("the seeded request holds another copy")
	}
	if code, _, stderr := airlock(t, "", "gc", "--work-dir", workDir, "--grace", "1s"); code == 0 || !strings.Contains(stderr, "at least a minute") {
		t.Errorf("short grace: %d %q", code, stderr)
	}
}
