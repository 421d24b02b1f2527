package testkit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DiskWorkspace writes a workspace on disk in the job runner's layout: the
// files, and metadata/manifest.json describing them. Every workspace also
// holds a highly sensitive output that must never be shown.
type DiskWorkspace struct {
	T       testing.TB
	Dir     string // the workspace folder
	Outputs map[string]map[string]any
}

// NewDiskWorkspace starts a workspace named name under parent.
func NewDiskWorkspace(t testing.TB, parent, name string) *DiskWorkspace {
	t.Helper()
	w := &DiskWorkspace{T: t, Dir: filepath.Join(parent, name), Outputs: map[string]map[string]any{}}
	w.Output("output/highly_sensitive/patients.csv", "patient_id,age\n1,42\n", map[string]any{"level": "highly_sensitive"})
	return w
}

// Output writes a file and its manifest entry; opts override entry keys
// (level, excluded, out_of_date_action, content_hash, ...). An excluded
// output is written as <path>.txt, as the job runner does.
func (w *DiskWorkspace) Output(relpath, content string, opts map[string]any) *DiskWorkspace {
	w.T.Helper()
	sum := sha256.Sum256([]byte(content))
	ts := time.Date(2026, 2, 1, 12, 0, len(w.Outputs), 0, time.UTC)
	entry := map[string]any{
		"level": "moderately_sensitive", "excluded": false, "job_id": "job-" + filepath.Base(relpath),
		"job_request": "jr1", "action": "generate", "repo": "https://github.com/opensafely/study",
		"commit": "abcdef1234567", "size": len(content), "timestamp": float64(ts.Unix()),
		"content_hash": hex.EncodeToString(sum[:]), "message": nil, "row_count": nil, "col_count": nil,
		"user": "researcher",
	}
	if strings.HasSuffix(relpath, ".csv") {
		lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
		entry["row_count"], entry["col_count"] = len(lines)-1, strings.Count(lines[0], ",")+1
	}
	for k, v := range opts {
		entry[k] = v
	}
	onDisk := relpath
	if entry["excluded"] == true {
		onDisk += ".txt"
	}
	w.WriteFile(onDisk, content)
	os.Chtimes(filepath.Join(w.Dir, filepath.FromSlash(onDisk)), ts, ts)
	w.Outputs[relpath] = entry
	return w
}

// WriteFile writes a file into the workspace folder without touching the
// manifest (a log under metadata/, or a stale file).
func (w *DiskWorkspace) WriteFile(relpath, content string) *DiskWorkspace {
	w.T.Helper()
	p := filepath.Join(w.Dir, filepath.FromSlash(relpath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.T.Fatal(err)
	}
	return w
}

// Save writes metadata/manifest.json.
func (w *DiskWorkspace) Save() *DiskWorkspace {
	w.T.Helper()
	raw, err := json.MarshalIndent(map[string]any{
		"workspace": filepath.Base(w.Dir), "repo": "https://github.com/opensafely/study", "outputs": w.Outputs,
	}, "", "  ")
	if err != nil {
		w.T.Fatal(err)
	}
	return w.WriteFile("metadata/manifest.json", string(raw))
}
