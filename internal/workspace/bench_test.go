package workspace_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-go/airlock/internal/workspace"
)

// bigWorkspace writes a manifest of n outputs in 100 folders (n/100 files
// each); the files themselves are not needed to browse.
func bigWorkspace(b *testing.B, n int) (string, []byte) {
	b.Helper()
	dir := b.TempDir()
	outputs := make(map[string]map[string]any, n)
	for i := range n {
		outputs[fmt.Sprintf("output/group_%03d/table_%06d.csv", i%100, i)] = map[string]any{
			"level": "moderately_sensitive", "excluded": false, "job_id": "j", "job_request": "jr", "action": "a",
			"repo": "https://github.com/opensafely/study", "commit": "abcdef1", "size": 1234, "timestamp": 1.7e9,
			"content_hash": fmt.Sprintf("%064x", i), "message": nil, "row_count": 10, "col_count": 3, "user": "u",
		}
	}
	raw, err := json.Marshal(map[string]any{"workspace": "big", "repo": "r", "outputs": outputs})
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "big", "metadata", "manifest.json")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, raw
}

// BenchmarkFirstParse100k: reading and parsing the manifest of a
// 100,000-output workspace, with json.Unmarshal of the same bytes into a
// generic map as the baseline.
func BenchmarkFirstParse100k(b *testing.B) {
	dir, raw := bigWorkspace(b, 100_000)
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			r := workspace.NewReader(dir)
			if _, err := r.Tree(ctx, "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-unmarshal", func(b *testing.B) {
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListFolder100k: listing a folder of 1,000 files, and the root,
// of a 100,000-output workspace once its manifest is parsed, with a
// directory read of 1,000 real files as the baseline.
func BenchmarkListFolder100k(b *testing.B) {
	dir, _ := bigWorkspace(b, 100_000)
	r := workspace.NewReader(dir)
	if _, err := r.Tree(ctx, "big"); err != nil {
		b.Fatal(err)
	}
	b.Run("folder-1000", func(b *testing.B) {
		for b.Loop() {
			items, err := r.List(ctx, "big", "output/group_042", false)
			if err != nil || len(items) != 1000 {
				b.Fatalf("%d items, %v", len(items), err)
			}
		}
	})
	b.Run("root", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.List(ctx, "big", "", false); err != nil {
				b.Fatal(err)
			}
		}
	})
	real := filepath.Join(b.TempDir(), "real")
	os.MkdirAll(real, 0o755)
	for i := range 1000 {
		os.WriteFile(filepath.Join(real, fmt.Sprintf("t%04d.csv", i)), nil, 0o644)
	}
	b.Run("baseline-readdir-1000", func(b *testing.B) {
		for b.Loop() {
			des, err := os.ReadDir(real)
			if err != nil || len(des) != 1000 {
				b.Fatal(err)
			}
			for _, de := range des {
				if _, err := de.Info(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
