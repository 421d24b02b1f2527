package workspace_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

var ctx = context.Background()

// sample builds a workspace with one of everything the manifest can say.
func sample(t *testing.T) (*workspace.Reader, string) {
	t.Helper()
	dir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, dir, "ws")
	w.Output("output/tables/counts.csv", "region,n\nNorth,10\nSouth,15\n", nil).
		Output("output/tables/old.csv", "a\n1\n", map[string]any{"out_of_date_action": true}).
		Output("output/tables/gone.csv", "a\n1\n", map[string]any{"out_of_date_output": true}).
		Output("output/tables/patients.csv", "explanation", map[string]any{"excluded": true}).
		Output("output/report.md", "# Report\n", nil).
		Output("output/figures/plot.png", "\x89PNG fake", nil).
		WriteFile("metadata/generate.log", "log line\n").
		WriteFile("output/stale.csv", "not in the manifest\n").
		Save()
	return workspace.NewReader(dir), dir
}

func names(items []workspace.Item) []string {
	var out []string
	for _, it := range items {
		n := it.Name
		if it.Dir {
			n += "/"
		}
		out = append(out, n)
	}
	return out
}

func TestValidTree(t *testing.T) {
	r, _ := sample(t)
	tests := []struct {
		dir     string
		showOld bool
		want    []string
	}{
		{"", false, []string{"metadata/", "output/"}},
		{"output", false, []string{"figures/", "tables/", "report.md"}},
		{"output/tables", false, []string{"counts.csv", "patients.csv.txt"}},
		{"output/tables", true, []string{"counts.csv", "old.csv", "patients.csv.txt"}},
		{"metadata", false, []string{"generate.log", "manifest.json"}},
	}
	for _, tt := range tests {
		items, err := r.List(ctx, "ws", tt.dir, tt.showOld)
		if err != nil {
			t.Fatalf("list %q: %v", tt.dir, err)
		}
		if got := names(items); !slices.Equal(got, tt.want) {
			t.Errorf("list %q (old %v): %v, want %v", tt.dir, tt.showOld, got, tt.want)
		}
	}
	tree, err := r.Tree(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if tree.OutOfDate != 1 {
		t.Errorf("out-of-date count %d", tree.OutOfDate)
	}
	for _, p := range []string{"output/highly_sensitive/patients.csv", "output/highly_sensitive", "output/tables/gone.csv", "output/stale.csv", "output/tables/patients.csv"} {
		f, err := r.File(ctx, "ws", p)
		if err != nil || f.Valid {
			t.Errorf("%s is valid (%v)", p, err)
		}
		if _, _, err := r.Open(ctx, "ws", p); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s opens: %v", p, err)
		}
	}
	f, err := r.File(ctx, "ws", "output/tables/counts.csv")
	if err != nil || !f.Valid || f.Size != 27 || *f.RowCount != 2 || *f.ColCount != 2 || len(f.ContentHash) != 64 || f.JobID == "" {
		t.Errorf("counts.csv: %+v %v", f, err)
	}
	if f, _ := r.File(ctx, "ws", "output/tables/old.csv"); !f.Valid || !f.OutOfDateAction {
		t.Errorf("an out-of-date action output must stay addable: %+v", f)
	}
	if f, _ := r.File(ctx, "ws", "output/tables"); f.Valid {
		t.Error("a folder is a valid file")
	}
	log, err := r.File(ctx, "ws", "metadata/generate.log")
	sum := sha256.Sum256([]byte("log line\n"))
	if err != nil || !log.Valid || log.Size != 9 || log.ContentHash != hex.EncodeToString(sum[:]) {
		t.Errorf("metadata log: %+v %v", log, err)
	}
	fh, it, err := r.Open(ctx, "ws", "metadata/generate.log")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(fh)
	fh.Close()
	if string(b) != "log line\n" || it.Relpath != "metadata/generate.log" {
		t.Errorf("read %q", b)
	}
}

func TestHostilePaths(t *testing.T) {
	r, dir := sample(t)
	os.WriteFile(filepath.Join(dir, "secret.csv"), []byte("outside"), 0o644)
	os.Symlink(filepath.Join(dir, "secret.csv"), filepath.Join(dir, "ws", "metadata", "escape.log"))
	os.Symlink("../../../secret.csv", filepath.Join(dir, "ws", "output", "tables", "link.csv"))
	tests := []struct {
		path string
		kind error
	}{
		{"../secret.csv", domain.ErrInvalidInput},
		{"output/../../secret.csv", domain.ErrInvalidInput},
		{"/etc/passwd", domain.ErrInvalidInput},
		{"output//tables/counts.csv", domain.ErrInvalidInput},
		{"./output/report.md", domain.ErrInvalidInput},
		{"output/tables/counts.csv\x00.png", domain.ErrInvalidInput},
		{"output\\..\\..\\secret.csv", domain.ErrInvalidInput},
		{"%2e%2e/secret.csv", domain.ErrInvalidInput},
		{"output/%2E%2E/%2E%2E/secret.csv", domain.ErrInvalidInput},
		{"output/tables/counts%2ecsv", domain.ErrInvalidInput},
		{"output/\x1b[31mred", domain.ErrInvalidInput},
		{"output/\xff\xfe.csv", domain.ErrInvalidInput},
		{strings.Repeat("a/", 3000), domain.ErrInvalidInput},
		{"metadata/escape.log", domain.ErrNotFound},
		{"output/tables/link.csv", domain.ErrNotFound},
		{"metadata/../../secret.csv", domain.ErrInvalidInput},
		{"output/stale.csv", domain.ErrNotFound},
		{"output/highly_sensitive/patients.csv", domain.ErrNotFound},
	}
	for _, tt := range tests {
		_, _, err := r.Open(ctx, "ws", tt.path)
		if !errors.Is(err, tt.kind) {
			t.Errorf("Open(%q) = %v, want %v", tt.path, err, tt.kind)
		}
		if _, err := r.List(ctx, "ws", tt.path, true); err == nil {
			t.Errorf("List(%q) succeeded", tt.path)
		}
	}
	for _, ws := range []string{"..", "../ws", "", ".hidden", "ws/output", "ws\x00"} {
		if _, err := r.Tree(ctx, ws); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("workspace %q: %v", ws, err)
		}
	}
}

// TestSymlinkedOutputCannotLeave: even an output listed in the manifest is
// not read when it is a link out of the workspace.
func TestSymlinkedOutputCannotLeave(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.csv"), []byte("outside"), 0o644)
	w := testkit.NewDiskWorkspace(t, dir, "ws")
	w.Output("output/a.csv", "a\n1\n", nil).Save()
	os.Remove(filepath.Join(w.Dir, "output", "a.csv"))
	if err := os.Symlink(filepath.Join(dir, "secret.csv"), filepath.Join(w.Dir, "output", "a.csv")); err != nil {
		t.Fatal(err)
	}
	r := workspace.NewReader(dir)
	if _, _, err := r.Open(ctx, "ws", "output/a.csv"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a link out of the workspace opened: %v", err)
	}
}

func TestBrokenManifests(t *testing.T) {
	dir := t.TempDir()
	for name, manifest := range map[string]string{
		"broken":    `{"outputs": {`,
		"noOutputs": `{"workspace": "noOutputs", "repo": "r"}`,
		"wrongType": `{"outputs": {"a.csv": {"size": "big"}}}`,
		"nullFile":  `null`,
	} {
		p := filepath.Join(dir, name, "metadata", "manifest.json")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(manifest), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "nomanifest", "output"), 0o755)
	r := workspace.NewReader(dir)
	tests := []struct {
		ws   string
		ok   bool
		want string
	}{
		{"broken", false, "workspace broken is unavailable: manifest.json is not valid"},
		{"wrongType", false, "is unavailable"},
		{"nomanifest", false, "workspace nomanifest is unavailable: it has no metadata/manifest.json"},
		{"missing", false, "no workspace missing"},
		{"noOutputs", true, ""},
		{"nullFile", true, ""},
	}
	for _, tt := range tests {
		tree, err := r.Tree(ctx, tt.ws)
		if tt.ok {
			if err != nil || len(tree.Outputs()) != 0 {
				t.Errorf("%s: %v", tt.ws, err)
			}
			continue
		}
		if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.ws, err, tt.want)
		}
	}
	got, err := r.Workspaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"broken", "noOutputs", "nullFile", "wrongType"}) {
		t.Errorf("workspaces with a manifest: %v", got)
	}
}

func TestManifestCachedUntilItChanges(t *testing.T) {
	dir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, dir, "ws")
	w.Output("output/a.csv", "a\n1\n", nil).Save()
	r := workspace.NewReader(dir)
	t1, err := r.Tree(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := r.Tree(ctx, "ws"); t2 != t1 {
		t.Error("an unchanged manifest was parsed again")
	}
	// Touching without changing keeps the parse.
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(w.Dir, "metadata", "manifest.json"), later, later)
	if t3, _ := r.Tree(ctx, "ws"); t3 != t1 {
		t.Error("a touched manifest was parsed again")
	}
	w.Output("output/b.csv", "b\n2\n", nil).Save()
	t4, err := r.Tree(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if t4 == t1 || t4.Hash == t1.Hash || len(t4.Outputs()) != 2 {
		t.Errorf("a changed manifest was not parsed again: %v", t4.Outputs())
	}
}

func TestParseManifestIgnoresHostileOutputPaths(t *testing.T) {
	h := strings.Repeat("ab", 32)
	tree, err := workspace.ParseManifest([]byte(strings.ReplaceAll(`{"outputs": {
		"../escape.csv": {"level": "moderately_sensitive", "content_hash": "H"},
		"/abs.csv": {"level": "moderately_sensitive", "content_hash": "H"},
		"metadata/fake.log": {"level": "moderately_sensitive", "content_hash": "H"},
		"a/b.csv": {"level": "moderately_sensitive", "content_hash": "H"},
		"a": {"level": "moderately_sensitive", "content_hash": "H"},
		"ok.csv": {"level": "moderately_sensitive", "content_hash": "H"}}}`, "H", h)))
	if err != nil {
		t.Fatal(err)
	}
	if got := tree.Outputs(); !slices.Equal(got, []string{"a/b.csv", "ok.csv"}) && !slices.Equal(got, []string{"a", "ok.csv"}) {
		t.Errorf("outputs %v", got)
	}
}

// TestCleanPathBidi: a path whose name would read in another order than
// it is (a bidirectional control) is refused, saying why.
func TestCleanPathBidi(t *testing.T) {
	for _, p := range []string{"output/report\u202Evsc.exe", "out\u2066put/a.csv", "a\u200F.csv", "a\u061C.csv"} {
		_, err := workspace.CleanPath(p)
		if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(domain.Message(err), "changes the order its name reads in") {
			t.Errorf("CleanPath(%q): %v", p, err)
		}
	}
	if got, err := workspace.CleanPath("output/r\u00e9sum\u00e9 \u05d0.csv"); err != nil || got != "output/r\u00e9sum\u00e9 \u05d0.csv" {
		t.Errorf("right-to-left letters are a name's own: %q, %v", got, err)
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"output/report\u202Evsc.exe", "output/a.csv", "../x", "a/../../b", "%2e%2e/x", "a\x00b", "/abs", "a//b", "a/./b", "metadata/x.log"} {
		f.Add(s)
	}
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.csv"), []byte("outside"), 0o644)
	w := testkit.NewDiskWorkspace(f, dir, "ws")
	w.Output("output/a.csv", "a\n1\n", nil).WriteFile("metadata/job.log", "log\n").Save()
	r := workspace.NewReader(dir)
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := workspace.CleanPath(p)
		if err == nil {
			for _, seg := range strings.Split(clean, "/") {
				if seg == ".." || seg == "." || (seg == "" && clean != "") {
					t.Fatalf("CleanPath(%q) = %q", p, clean)
				}
			}
			if strings.ContainsAny(clean, "\\\x00") || strings.HasPrefix(clean, "/") || strings.ContainsFunc(clean, func(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }) {
				t.Fatalf("CleanPath(%q) = %q", p, clean)
			}
		}
		fh, it, err := r.Open(ctx, "ws", p)
		if err == nil {
			defer fh.Close()
			if it.Relpath != "output/a.csv" && it.Relpath != "metadata/job.log" && it.Relpath != "metadata/manifest.json" {
				t.Fatalf("Open(%q) opened %q", p, it.Relpath)
			}
			b, _ := io.ReadAll(fh)
			if string(b) == "outside" {
				t.Fatalf("Open(%q) read outside the workspace", p)
			}
		}
	})
}
