package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/workspace"
)

func generate(t *testing.T) *Setup {
	t.Helper()
	s, err := Generate(t.TempDir())
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

// testOutput reads a manifest output with pointers, to tell missing from zero.
type testOutput struct {
	Level           *string  `json:"level"`
	Excluded        *bool    `json:"excluded"`
	JobID           *string  `json:"job_id"`
	JobRequest      *string  `json:"job_request"`
	Action          *string  `json:"action"`
	Repo            *string  `json:"repo"`
	Commit          *string  `json:"commit"`
	Size            *int64   `json:"size"`
	Timestamp       *float64 `json:"timestamp"`
	ContentHash     *string  `json:"content_hash"`
	Message         *string  `json:"message"`
	RowCount        *int     `json:"row_count"`
	ColCount        *int     `json:"col_count"`
	User            *string  `json:"user"`
	OutOfDateAction bool     `json:"out_of_date_action"`
}

var requiredKeys = []string{"level", "excluded", "job_id", "job_request", "action", "repo", "commit",
	"size", "timestamp", "content_hash", "message", "row_count", "col_count", "user"}

func TestWorkspaces(t *testing.T) {
	s := generate(t)
	tests := []struct {
		name     string
		excluded string
	}{
		{"diabetes-outcomes", "output/tables/patient_events.csv"},
		{"covid-vaccine-uptake", "output/tables/patient_events.csv"},
		{"legacy-asthma-study", "output/tables/patient_events.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(s.WorkspaceDir, tt.name)
			raw, err := os.ReadFile(filepath.Join(root, "metadata", "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Workspace string                     `json:"workspace"`
				Repo      string                     `json:"repo"`
				Outputs   map[string]json.RawMessage `json:"outputs"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("manifest: %v", err)
			}
			if m.Workspace != tt.name || !strings.HasPrefix(m.Repo, "https://") {
				t.Errorf("manifest workspace %q repo %q", m.Workspace, m.Repo)
			}
			var high, excluded, outOfDate []string
			exts := map[string]bool{}
			for key, rawOut := range m.Outputs {
				var keys map[string]json.RawMessage
				json.Unmarshal(rawOut, &keys)
				for _, k := range requiredKeys {
					if _, ok := keys[k]; !ok {
						t.Errorf("%s: no %q", key, k)
					}
				}
				var o testOutput
				if err := json.Unmarshal(rawOut, &o); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if o.Level == nil || o.Excluded == nil || o.Size == nil || o.Timestamp == nil || o.ContentHash == nil {
					t.Fatalf("%s: missing metadata: %s", key, rawOut)
				}
				if strings.HasPrefix(key, "metadata/") || path.Clean(key) != key || path.IsAbs(key) {
					t.Errorf("bad output key %q", key)
				}
				for name, v := range map[string]*string{"job_id": o.JobID, "job_request": o.JobRequest, "action": o.Action, "repo": o.Repo, "commit": o.Commit, "user": o.User} {
					if v == nil || *v == "" {
						t.Errorf("%s: empty %s", key, name)
					}
				}

				diskPath := key
				if *o.Excluded {
					diskPath += ".txt"
					excluded = append(excluded, key)
					if o.Message == nil || *o.Message == "" {
						t.Errorf("%s: excluded without a message", key)
					}
				}
				full := filepath.Join(root, filepath.FromSlash(diskPath))
				data, err := os.ReadFile(full)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if int64(len(data)) != *o.Size {
					t.Errorf("%s: size %d, file has %d bytes", key, *o.Size, len(data))
				}
				if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != *o.ContentHash {
					t.Errorf("%s: content_hash does not match the file", key)
				}
				info, _ := os.Stat(full)
				if sec := int64(math.Floor(*o.Timestamp)); sec != info.ModTime().Unix() {
					t.Errorf("%s: timestamp %v, mtime %v", key, *o.Timestamp, info.ModTime())
				}

				if strings.HasSuffix(diskPath, ".csv") {
					records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
					if err != nil {
						t.Fatalf("%s: %v", key, err)
					}
					if o.RowCount == nil || o.ColCount == nil || *o.RowCount != len(records)-1 || *o.ColCount != len(records[0]) {
						t.Errorf("%s: row_count/col_count %v/%v, file has %d rows of %d columns", key, o.RowCount, o.ColCount, len(records)-1, len(records[0]))
					}
				} else if o.RowCount != nil || o.ColCount != nil {
					t.Errorf("%s: row_count/col_count set for a non-CSV", key)
				}

				switch *o.Level {
				case "highly_sensitive":
					high = append(high, key)
				case "moderately_sensitive":
					if !domain.AllowedFileType(diskPath) {
						t.Errorf("%s: moderately sensitive output of a type airlock does not allow", key)
					}
					exts[path.Ext(diskPath)] = true
				default:
					t.Errorf("%s: level %q", key, *o.Level)
				}
				if o.OutOfDateAction {
					outOfDate = append(outOfDate, key)
				}
				if strings.HasSuffix(diskPath, ".png") {
					if _, err := png.Decode(bytes.NewReader(data)); err != nil {
						t.Errorf("%s: %v", key, err)
					}
				}
			}
			if len(high) == 0 {
				t.Error("no highly_sensitive output")
			}
			if !slices.Equal(excluded, []string{tt.excluded}) {
				t.Errorf("excluded outputs %v, want %s", excluded, tt.excluded)
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(tt.excluded))); !os.IsNotExist(err) {
				t.Errorf("excluded output %s is on disk under its own name", tt.excluded)
			}
			if len(outOfDate) != 1 {
				t.Errorf("out_of_date_action outputs %v, want one", outOfDate)
			}
			for _, ext := range []string{".csv", ".md", ".json", ".png", ".html", ".txt"} {
				if !exts[ext] {
					t.Errorf("no %s output", ext)
				}
			}

			log, err := os.ReadFile(filepath.Join(root, "metadata", "generate_dataset.log"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(log, []byte("\n=============JOB SUMMARY=============\n")) || !bytes.Contains(log, []byte("\x1b[")) {
				t.Errorf("log has no JOB SUMMARY trailer or no colours:\n%s", log)
			}

			regions, _ := os.ReadFile(filepath.Join(root, "output", "tables", "counts_by_region.csv"))
			if !bytes.Contains(regions, []byte(",[REDACTED],")) {
				t.Errorf("counts_by_region.csv has no redacted count:\n%s", regions)
			}
			ages, _ := os.ReadFile(filepath.Join(root, "output", "tables", "age_bands.csv"))
			if !bytes.Contains(ages, []byte(",7\n")) {
				t.Errorf("age_bands.csv has no unrounded count:\n%s", ages)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	s := generate(t)
	raw, err := os.ReadFile(s.UsersFile)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]struct {
		Token   string          `json:"token"`
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	all := []string{"covid-vaccine-uptake", "diabetes-outcomes", "legacy-asthma-study"}
	tests := []struct {
		username      string
		outputChecker bool
		readonly      bool
		workspaces    []string
		copiloted     []string
	}{
		{"checker1", true, false, nil, nil},
		{"checker2", true, false, nil, nil},
		{"researcher", false, false, all, nil},
		{"copilot", false, false, nil, []string{"covid-vaccine-uptake"}},
		{"support", false, true, nil, nil},
	}
	if len(file) != len(tests) || len(s.Users) != len(tests) {
		t.Fatalf("users file has %d users, Setup %d, want %d", len(file), len(s.Users), len(tests))
	}
	tokenShape := regexp.MustCompile(`^[a-z]+-[a-z]+-[a-z]+$`)
	tokens := map[string]bool{}
	for i, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			entry, ok := file[tt.username]
			if !ok {
				t.Fatal("not in the users file")
			}
			if su := s.Users[i]; su.Username != tt.username || su.Token != entry.Token || su.Description == "" {
				t.Errorf("Setup.Users[%d] = %+v, file token %q", i, su, entry.Token)
			}
			if !tokenShape.MatchString(entry.Token) || tokens[entry.Token] {
				t.Errorf("token %q is not three words or is reused", entry.Token)
			}
			tokens[entry.Token] = true
			if err := domain.ValidateUserDocument(entry.Details); err != nil {
				t.Fatal(err)
			}
			u, err := domain.ParseUser(entry.Details)
			if err != nil {
				t.Fatal(err)
			}
			if u.Username != tt.username || u.Fullname == "" || u.OutputChecker != tt.outputChecker || u.ReadonlyAccess != tt.readonly {
				t.Errorf("user %+v", u)
			}
			if got := slices.Sorted(maps.Keys(u.Workspaces)); !slices.Equal(got, tt.workspaces) {
				t.Errorf("workspaces %v, want %v", got, tt.workspaces)
			}
			if got := slices.Sorted(maps.Keys(u.CopilotedWorkspaces)); !slices.Equal(got, tt.copiloted) {
				t.Errorf("copiloted workspaces %v, want %v", got, tt.copiloted)
			}
			for name, w := range u.Workspaces {
				if _, err := os.Stat(filepath.Join(s.WorkspaceDir, name, "metadata", "manifest.json")); err != nil {
					t.Errorf("workspace %s: %v", name, err)
				}
				wantActive := name != "legacy-asthma-study"
				if w.Active() != wantActive || w.Archived == wantActive || w.ProjectDetails.Ongoing != wantActive || w.ProjectDetails.Name == "" {
					t.Errorf("workspace %s: %+v, want active %v", name, w, wantActive)
				}
			}
		})
	}
}

// snapshot records every file under dir: its bytes and modification time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = info.ModTime().UTC().String() + "\n" + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateIsRepeatable(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(other, []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, dir)
	// Touch a file: the second run must put it back.
	if err := os.WriteFile(filepath.Join(dir, "workspaces", "diabetes-outcomes", "output", "report.md"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(dir); err != nil {
		t.Fatalf("second run: %v", err)
	}
	second := snapshot(t, dir)
	if !maps.Equal(first, second) {
		for name := range first {
			if first[name] != second[name] {
				t.Errorf("%s changed between runs", name)
			}
		}
		t.Errorf("second run left %d files, first %d", len(second), len(first))
	}
	if second["keep.txt"] == "" {
		t.Error("a file that was already there is gone")
	}

	// Another folder gets the same content.
	fresh := snapshot(t, generate(t).WorkspaceDir)
	for name, content := range fresh {
		if first["workspaces/"+name] != content {
			t.Errorf("%s differs between folders", name)
		}
	}
}

func TestGenerateNeedsFolder(t *testing.T) {
	if _, err := Generate(""); err == nil {
		t.Error("Generate(\"\") succeeded")
	}
}

// TestDemoThroughTheWorkspaceReader reads the demo as airlock will: the
// highly sensitive output never shows, the excluded one shows as its
// explanation, logs are there, and every listed output opens and matches
// its manifest hash.
func TestDemoThroughTheWorkspaceReader(t *testing.T) {
	s, err := Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := workspace.NewReader(s.WorkspaceDir)
	names, err := r.Workspaces(t.Context())
	if err != nil || len(names) != 3 {
		t.Fatalf("workspaces %v %v", names, err)
	}
	for _, ws := range names {
		tree, err := r.Tree(t.Context(), ws)
		if err != nil {
			t.Fatal(err)
		}
		var sawExcluded bool
		for _, p := range tree.Outputs() {
			if strings.Contains(p, "dataset.csv.gz") {
				t.Errorf("%s: highly sensitive %s is visible", ws, p)
			}
			sawExcluded = sawExcluded || strings.HasSuffix(p, ".csv.txt")
			f, it, err := r.Open(t.Context(), ws, p)
			if err != nil {
				t.Fatalf("%s: open %s: %v", ws, p, err)
			}
			h := sha256.New()
			io.Copy(h, f)
			f.Close()
			if hex.EncodeToString(h.Sum(nil)) != it.ContentHash {
				t.Errorf("%s: %s does not match its manifest hash", ws, p)
			}
		}
		if !sawExcluded {
			t.Errorf("%s: no excluded output shown as .txt", ws)
		}
		logs, err := r.List(t.Context(), ws, "metadata", false)
		if err != nil || len(logs) < 2 {
			t.Errorf("%s: metadata %v %v", ws, logs, err)
		}
	}
}
