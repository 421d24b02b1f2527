package service_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// BenchmarkFolderPage100k measures what a folder page of a 100,000-output
// workspace needs once the manifest is parsed: the folder's 1,000 items
// and each one's status for the viewer, whose current request holds 20 of
// them. The baseline in the same run is the listing alone.
func BenchmarkFolderPage100k(b *testing.B) {
	e := testkit.NewEnv(b)
	dir := b.TempDir()
	outputs := map[string]map[string]any{}
	for i := range 100_000 {
		outputs[fmt.Sprintf("output/group_%03d/table_%06d.csv", i%100, i)] = map[string]any{
			"level": "moderately_sensitive", "size": 100, "timestamp": 1.7e9, "content_hash": fmt.Sprintf("%064x", i),
		}
	}
	raw, _ := json.Marshal(map[string]any{"outputs": outputs})
	os.MkdirAll(filepath.Join(dir, testkit.Workspace, "metadata"), 0o755)
	os.WriteFile(filepath.Join(dir, testkit.Workspace, "metadata", "manifest.json"), raw, 0o644)
	reader := workspace.NewReader(dir)
	var files []service.AddFile
	for i := range 20 {
		p := fmt.Sprintf("output/group_042/table_%06d.csv", 42+100*i)
		e.Files.Write(testkit.Workspace, p, fmt.Sprint(i))
		files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	if _, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", files); err != nil {
		b.Fatal(err)
	}
	if _, err := reader.Tree(e.Ctx, testkit.Workspace); err != nil {
		b.Fatal(err)
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			items, err := reader.List(e.Ctx, testkit.Workspace, "output/group_042", false)
			if err != nil {
				b.Fatal(err)
			}
			status, err := e.Svc.FileStatuses(e.Ctx, e.Author, testkit.Workspace)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, it := range items {
				if status(it.WorkspaceFile) == domain.WorkspaceFileUpdated {
					n++
				}
			}
			if n != 20 {
				b.Fatalf("%d updated files, want 20", n)
			}
		}
	})
	b.Run("baseline-listing", func(b *testing.B) {
		for b.Loop() {
			if _, err := reader.List(e.Ctx, testkit.Workspace, "output/group_042", false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
