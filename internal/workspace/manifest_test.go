package workspace_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// TestInvalidManifestEntries: an output whose entry cannot be trusted is
// not in the valid tree, and asking for it says which entry is wrong and
// why (a 400); the other outputs of the workspace stay usable.
func TestInvalidManifestEntries(t *testing.T) {
	dir := t.TempDir()
	w := testkit.NewDiskWorkspace(t, dir, "ws")
	tests := []struct {
		path string
		opts map[string]any
		why  string // "" when the entry is valid
	}{
		{"output/short.csv", map[string]any{"content_hash": "abc"}, `content_hash "abc" is not a sha256`},
		{"output/empty.csv", map[string]any{"content_hash": ""}, `content_hash "" is not a sha256`},
		{"output/nothex.csv", map[string]any{"content_hash": strings.Repeat("zz", 32)}, "is not a sha256"},
		{"output/long.csv", map[string]any{"content_hash": strings.Repeat("a", 65)}, "is not a sha256"},
		{"output/missing.csv", map[string]any{"content_hash": nil}, "is not a sha256"},
		{"output/negative.csv", map[string]any{"size": -1}, "its size -1 is negative"},
		{"output/rows.csv", map[string]any{"row_count": -3}, "row_count or col_count is negative"},
		{"output/nul.csv", map[string]any{"job_id": "job\x00"}, "its job_id holds a NUL character"},
		{"output/message.csv", map[string]any{"message": "a\x00b"}, "its message holds a NUL character"},
		{"output/upper.csv", nil, ""},
		{"output/ok.csv", nil, ""},
	}
	for _, tt := range tests {
		w.Output(tt.path, "a\n1\n", tt.opts)
	}
	w.Outputs["output/upper.csv"]["content_hash"] = strings.ToUpper(w.Outputs["output/upper.csv"]["content_hash"].(string))
	w.Save()
	r := workspace.NewReader(dir)
	tree, err := r.Tree(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if got := tree.Outputs(); !slices.Equal(got, []string{"output/ok.csv", "output/upper.csv"}) {
		t.Errorf("valid tree %v", got)
	}
	for _, tt := range tests {
		it, err := r.Stat(ctx, "ws", tt.path)
		if tt.why == "" {
			if err != nil || !it.Valid || it.ContentHash != strings.ToLower(it.ContentHash) {
				t.Errorf("%s: %+v %v", tt.path, it, err)
			}
			continue
		}
		if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tt.path+" in workspace ws cannot be used: its manifest entry is not valid") ||
			!strings.Contains(err.Error(), tt.why) {
			t.Errorf("%s: %v, want a 400 saying %q", tt.path, err, tt.why)
		}
		if _, _, err := r.Open(ctx, "ws", tt.path); err == nil {
			t.Errorf("%s opens", tt.path)
		}
	}
}

// TestManifestNotUTF8: encoding/json would read invalid UTF-8 as U+FFFD;
// such a manifest makes the workspace unavailable instead, saying why.
func TestManifestNotUTF8(t *testing.T) {
	for name, raw := range map[string]string{
		"in a path":     "{\"outputs\": {\"output/\xff.csv\": {\"level\": \"moderately_sensitive\"}}}",
		"in a value":    "{\"repo\": \"r\xfe\", \"outputs\": {}}",
		"workspace NUL": `{"workspace": "w\u0000", "outputs": {}}`,
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "ws", "metadata", "manifest.json")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(raw), 0o644)
		_, err := workspace.NewReader(dir).Tree(ctx, "ws")
		want := "workspace ws is unavailable: manifest.json is not valid UTF-8 text"
		if name == "workspace NUL" {
			want = "workspace ws is unavailable: manifest.json is not valid: its workspace holds a NUL character"
		}
		if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseManifest: no manifest makes the parser panic, and every file
// of the valid tree it builds is a clean path outside metadata/, with a
// sha256 content hash, valid text, and its folders in the tree.
func FuzzParseManifest(f *testing.F) {
	h := strings.Repeat("0a", 32)
	for _, s := range []string{
		`{"outputs": {"output/a.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `"}}}`,
		`{"outputs": {"a": {"level": "moderately_sensitive", "content_hash": "` + h + `"}, "a/b.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `"}}}`,
		`{"outputs": {"x.csv": {"level": "moderately_sensitive", "excluded": true, "content_hash": "` + h + `"}, "x.csv.txt": {"level": "moderately_sensitive", "content_hash": "` + h + `"}}}`,
		`{"outputs": {"../escape.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `"}}}`,
		`{"outputs": {"metadata/x.log": {"level": "moderately_sensitive", "content_hash": "` + h + `"}}}`,
		`{"outputs": {"o/\u0000.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `"}}}`,
		`{"outputs": {"o.csv": {"level": "moderately_sensitive", "content_hash": "xyz", "size": -1}}}`,
		`{"outputs": {"o.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `", "job_id": "\u0000"}}}`,
		`{"outputs": {"o/%2e%2e/x.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `", "out_of_date_action": true}}}`,
		"{\"outputs\": {\"\xff\": {}}}",
		`{"outputs": null}`, `null`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tree, err := workspace.ParseManifest(raw)
		if err != nil {
			return
		}
		if !utf8.Valid(raw) {
			t.Fatalf("a manifest that is not UTF-8 was accepted")
		}
		ood := 0
		for _, p := range tree.Outputs() {
			clean, err := workspace.CleanPath(p)
			if err != nil || clean != p || p == "" || p == "metadata" || strings.HasPrefix(p, "metadata/") {
				t.Fatalf("output path %q in the valid tree (%v)", p, err)
			}
			n, ok := tree.Node(p)
			if !ok || n.Dir || n.Output == nil || n.Path != p {
				t.Fatalf("output %q has node %+v", p, n)
			}
			o := n.Output
			if len(o.ContentHash) != 64 || strings.Trim(o.ContentHash, "0123456789abcdef") != "" {
				t.Fatalf("output %q has content_hash %q", p, o.ContentHash)
			}
			if o.Size < 0 || o.Level != "moderately_sensitive" || o.OutOfDateOutput {
				t.Fatalf("output %q: %+v", p, o)
			}
			for _, s := range []string{o.JobID, o.Repo, o.Commit, o.User, o.Action, o.JobRequest} {
				if domain.CheckText("text", s) != nil {
					t.Fatalf("output %q holds bad text %q", p, s)
				}
			}
			if o.OutOfDateAction {
				ood++
			}
			for d := parent(p); ; d = parent(d) {
				dn, ok := tree.Node(d)
				if !ok || !dn.Dir {
					t.Fatalf("folder %q of %q is not in the tree", d, p)
				}
				if !slices.ContainsFunc(tree.Children(d), func(c *workspace.Node) bool { return c.Path == p || strings.HasPrefix(p, c.Path+"/") }) {
					t.Fatalf("%q is not under its folder %q", p, d)
				}
				if d == "" {
					break
				}
			}
			if _, bad := tree.Invalid(p); bad {
				t.Fatalf("%q is both valid and invalid", p)
			}
		}
		if ood != tree.OutOfDate {
			t.Fatalf("out-of-date count %d, want %d", tree.OutOfDate, ood)
		}
		// The parse is a function of the bytes.
		again, err := workspace.ParseManifest(raw)
		if err != nil || again.Hash != tree.Hash || !slices.Equal(again.Outputs(), tree.Outputs()) {
			t.Fatalf("a second parse differs: %v", err)
		}
		var generic any
		if json.Unmarshal(raw, &generic) != nil {
			t.Fatalf("ParseManifest accepted what is not JSON")
		}
	})
}

func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// TestTreeClashes: an output at a folder of another's path keeps the
// other out, whether the files before it went to the same folder or not.
func TestTreeClashes(t *testing.T) {
	h := strings.Repeat("ab", 32)
	entry := `{"level": "moderately_sensitive", "content_hash": "` + h + `", "size": 1}`
	var b strings.Builder
	b.WriteString(`{"outputs": {`)
	keys := []string{"a/b", "a/b/c.csv", "a/b/d.csv", "a/e.csv", "x/y/w.csv", "x/y/z.csv", "x/y/z.csv/q.csv", "x/y/zz.csv"}
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + k + `": ` + entry)
	}
	b.WriteString(`}}`)
	tree, err := workspace.ParseManifest([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"a/b", "a/e.csv", "x/y/w.csv", "x/y/z.csv", "x/y/zz.csv"}
	if got := tree.Outputs(); !slices.Equal(got, wantFiles) {
		t.Errorf("outputs %v, want %v", got, wantFiles)
	}
	for p, want := range map[string]string{
		"a/b/c.csv":       "another output is at a/b, a folder of its path",
		"a/b/d.csv":       "another output is at a/b, a folder of its path",
		"x/y/z.csv/q.csv": "another output is at x/y/z.csv, a folder of its path",
	} {
		if why, ok := tree.Invalid(p); !ok || why != want {
			t.Errorf("%s: %q %v, want %q", p, why, ok, want)
		}
	}
	var names []string
	for _, n := range tree.Children("x/y") {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"w.csv", "z.csv", "zz.csv"}) {
		t.Errorf("x/y holds %v", names)
	}
}
