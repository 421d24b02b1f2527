package schedule_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/schedule"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), schedule.RegularFile)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRegularValidation(t *testing.T) {
	for _, c := range []struct {
		name  string
		entry string
		spec  *schedule.Spec // nil: invalid
		errs  []string
	}{
		{
			name:  "full",
			entry: `{"username": "author", "workspace_name": "ws", "dirs": ["output/a", "output/b"], "context": "c", "controls": "k", "supporting_files": ["output/a/n.txt"], "submit": true}`,
			spec: &schedule.Spec{Username: "author", Workspace: "ws", Dirs: []string{"output/a", "output/b"},
				Context: "c", Controls: "k", SupportingFiles: []string{"output/a/n.txt"}, Submit: true},
		},
		{
			name:  "minimal, user from the manifest",
			entry: `{"username": null, "workspace_name": "ws", "dirs": ["output"]}`,
			spec:  &schedule.Spec{Workspace: "ws", Dirs: []string{"output"}},
		},
		{
			name:  "not submitted needs no context",
			entry: `{"username": "u", "workspace_name": "ws", "dirs": ["output"], "submit": false}`,
			spec:  &schedule.Spec{Username: "u", Workspace: "ws", Dirs: []string{"output"}},
		},
		{
			name:  "missing keys",
			entry: `{}`,
			errs:  []string{"keys missing in config: username, workspace_name, dirs"},
		},
		{
			name:  "username key is required even if null",
			entry: `{"workspace_name": "ws", "dirs": ["output"]}`,
			errs:  []string{"keys missing in config: username"},
		},
		{
			name:  "unknown keys",
			entry: `{"username": "u", "workspace_name": "ws", "dirs": ["output"], "dir": "x", "Submit": true}`,
			errs:  []string{"Unknown config key: 'dir'", "Unknown config key: 'Submit'"},
		},
		{
			name: "wrong types",
			entry: `{"username": 1, "workspace_name": null, "dirs": "output", "context": 2, "controls": ["k"],
				"supporting_files": [1], "submit": "yes"}`,
			errs: []string{
				"Invalid config type for 'username': expected a string or null, got a number",
				"Invalid config type for 'workspace_name': expected a string, got null",
				"Invalid config type for 'dirs': expected a list of strings, got a string",
				"Invalid config type for 'context': expected a string, got a number",
				"Invalid config type for 'controls': expected a string, got a list",
				"Invalid config type for 'supporting_files': expected a list of strings, got a list holding a number",
				"Invalid config type for 'submit': expected true or false, got a string",
			},
		},
		{
			name:  "null in a list",
			entry: `{"username": "u", "workspace_name": "ws", "dirs": ["output", null]}`,
			errs:  []string{"Invalid config type for 'dirs': expected a list of strings, got a list holding null"},
		},
		{
			name:  "submit without controls",
			entry: `{"username": "u", "workspace_name": "ws", "dirs": ["output"], "context": "c", "submit": true}`,
			errs:  []string{"Context and/or controls missing"},
		},
		{
			name:  "submit with blank context",
			entry: `{"username": "u", "workspace_name": "ws", "dirs": ["output"], "context": "", "controls": "k", "submit": true}`,
			errs:  []string{"Context and/or controls missing"},
		},
		{
			name:  "empty values",
			entry: `{"username": "u", "workspace_name": "", "dirs": []}`,
			errs:  []string{"'workspace_name' must not be empty", "'dirs' must list at least one folder"},
		},
		{
			name:  "bad paths",
			entry: `{"username": "u", "workspace_name": "../ws", "dirs": ["output/../x", ""], "supporting_files": ["/etc/passwd"]}`,
			errs: []string{
				`Invalid workspace_name: "../ws" is not a valid workspace name`,
				`Invalid folder in dirs: "output/../x"`, `Invalid folder in dirs: ""`,
				`Invalid path in supporting_files: "/etc/passwd"`,
			},
		},
		{
			name:  "duplicate key",
			entry: `{"username": "u", "workspace_name": "ws", "dirs": ["output"], "dirs": ["other"]}`,
			errs:  []string{"Duplicate config key: 'dirs'"},
		},
		{
			name:  "not an object",
			entry: `"ws"`,
			errs:  []string{"entry is not a JSON object: it is a string"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			specs, errs, err := schedule.LoadRegular(writeFile(t, "["+c.entry+"]"))
			if err != nil {
				t.Fatal(err)
			}
			if c.spec != nil {
				if len(errs) != 0 || len(specs) != 1 {
					t.Fatalf("specs %+v errors %v", specs, errs)
				}
				if d := cmp.Diff(*c.spec, specs[0]); d != "" {
					t.Errorf("spec (-want +got):\n%s", d)
				}
				return
			}
			if len(specs) != 0 || len(errs) != 1 {
				t.Fatalf("specs %+v errors %v", specs, errs)
			}
			if d := cmp.Diff(c.errs, errs[0].Errors); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
			if errs[0].Index != 0 || !strings.Contains(errs[0].Error(), strings.Join(c.errs, "; ")) {
				t.Errorf("joined: %v", errs[0])
			}
		})
	}
}

func TestLoadRegularKeepsValidEntries(t *testing.T) {
	p := writeFile(t, `[
		{"username": "a", "workspace_name": "one", "dirs": ["x"]},
		{"username": "b", "workspace_name": "two"},
		{"username": "c", "workspace_name": "three", "dirs": ["y"]}
	]`)
	specs, errs, err := schedule.LoadRegular(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 || specs[0].Workspace != "one" || specs[1].Workspace != "three" {
		t.Errorf("specs %+v", specs)
	}
	if len(errs) != 1 || errs[0].Index != 1 || errs[0].Workspace != "two" ||
		errs[0].Error() != "entry 2 (workspace two): keys missing in config: dirs" {
		t.Errorf("errors %+v", errs)
	}
}

func TestLoadRegularFile(t *testing.T) {
	specs, errs, err := schedule.LoadRegular(filepath.Join(t.TempDir(), "absent.json"))
	if specs != nil || errs != nil || err != nil {
		t.Errorf("absent file: %v %v %v", specs, errs, err)
	}
	for _, content := range []string{`{"username": "a"}`, `[{"username": "a"`, ``} {
		if _, _, err := schedule.LoadRegular(writeFile(t, content)); err == nil || !strings.Contains(err.Error(), "is not a JSON list of entries") {
			t.Errorf("%q: %v", content, err)
		}
	}
	if specs, errs, err := schedule.LoadRegular(writeFile(t, `[]`)); len(specs)+len(errs) != 0 || err != nil {
		t.Errorf("empty list: %v %v %v", specs, errs, err)
	}
}

func TestValidateRegular(t *testing.T) {
	p := writeFile(t, `[
		{"workspace_name": "one", "username": null, "dirs": ["output/a"], "submit": false, "context": "Counts"},
		{"workspace_name": "two", "dirs": "x", "extra": 1},
		{"dirs": ["y"]}
	]`)
	var out strings.Builder
	ok, err := schedule.ValidateRegular(p, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := `======one======
Config OK
workspace_name: one
username: null
dirs: ["output/a"]
submit: false
context: Counts

======two======
Config errors found:
- keys missing in config: username
- Invalid config type for 'dirs': expected a list of strings, got a string
- Unknown config key: 'extra'

======unknown======
Config errors found:
- keys missing in config: username, workspace_name
`
	if ok || out.String() != want {
		t.Errorf("ok %v, output (-want +got):\n%s", ok, cmp.Diff(want, out.String()))
	}

	out.Reset()
	ok, err = schedule.ValidateRegular(writeFile(t, `[{"username": "u", "workspace_name": "ws", "dirs": ["o"]}]`), &out)
	if !ok || err != nil || !strings.Contains(out.String(), "Config OK") {
		t.Errorf("valid file: %v %v %q", ok, err, out.String())
	}
	out.Reset()
	absent := filepath.Join(t.TempDir(), "absent.json")
	if ok, err := schedule.ValidateRegular(absent, &out); !ok || err != nil || !strings.Contains(out.String(), "does not exist") {
		t.Errorf("absent file: %v %v %q", ok, err, out.String())
	}
	if _, err := schedule.ValidateRegular(writeFile(t, `{`), &out); err == nil {
		t.Error("broken file accepted")
	}
}

func TestRunRegularKeepsGoing(t *testing.T) {
	f := newFixture(t)
	p := writeFile(t, `[
		{"username": "author", "workspace_name": "ws"},
		{"username": "author", "workspace_name": "nope", "dirs": ["output"]},
		{"username": "stranger", "workspace_name": "ws", "dirs": ["output/figs"]},
		{"username": "author", "workspace_name": "ws", "dirs": ["output/tables"], "supporting_files": ["output/tables/notes.txt"],
		 "context": "c", "controls": "k", "submit": true}
	]`)
	outcomes := f.C.RunRegular(f.Ctx, p)
	if len(outcomes) != 4 {
		t.Fatalf("outcomes %+v", outcomes)
	}
	for i, want := range []string{"keys missing in config: dirs", "no workspace nope", "user stranger is not known to airlock"} {
		o := outcomes[i]
		if o.Index != i || o.Err == nil || !strings.Contains(o.Err.Error(), want) {
			t.Errorf("outcome %d: %+v, want error %q", i, o, want)
		}
	}
	last := outcomes[3]
	if last.Err != nil || !last.Result.Completed || last.Workspace != "ws" {
		t.Fatalf("last outcome %+v", last)
	}
	if r := f.Get(last.Result.RequestID); r.Status != "SUBMITTED" || len(r.Files) != 5 {
		t.Errorf("request %s with %v", r.Status, testkit.SortedPaths(r))
	}
	logs := f.Logs.String()
	if strings.Count(logs, "failed to create release request") != 3 || !strings.Contains(logs, "release request complete") {
		t.Errorf("logs:\n%s", logs)
	}

	// The next day: nothing to do, and nothing fails.
	outcomes = f.C.RunRegular(f.Ctx, p)
	if o := outcomes[3]; o.Err != nil || o.Result.Message != schedule.MsgAlreadySubmitted {
		t.Errorf("second run %+v", o)
	}

	if out := f.C.RunRegular(f.Ctx, filepath.Join(t.TempDir(), "absent.json")); len(out) != 0 {
		t.Errorf("absent file: %+v", out)
	}
	if out := f.C.RunRegular(f.Ctx, writeFile(t, "nonsense")); len(out) != 1 || out[0].Index != -1 || out[0].Err == nil {
		t.Errorf("broken file: %+v", out)
	}
	ctx, cancel := context.WithCancel(f.Ctx)
	cancel()
	if out := f.C.RunRegular(ctx, p); len(out) != 4 || out[3].Err == nil || !strings.Contains(out[3].Err.Error(), "not run") {
		t.Errorf("cancelled run: %+v", out)
	}
}
