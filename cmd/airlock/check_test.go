package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/google/go-cmp/cmp"
)

// checkFiles writes files into a new folder and returns their paths by
// name.
func checkFiles(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

func TestCheckCommand(t *testing.T) {
	p := checkFiles(t, map[string]string{
		"clean.csv":    "group,count\nA,10\nB,[REDACTED]\n",
		"small.csv":    "group,count\nA,3\nB,10\nC,4\n",
		"tiny.csv":     "count\n1\n",
		"page.html":    `<p>x</p><script>alert(1)</script>`,
		"released.csv": "group,count\nA,12\n",
		"strict.json":  `{"rules": {"small_count": {"threshold": 2, "severity": "blocking"}}}`,
		"bad.json":     `{"rules": {"small_count": {"threshold": 0}}}`,
	})
	missing := filepath.Join(filepath.Dir(p["clean.csv"]), "missing.csv")

	t.Run("clean", func(t *testing.T) {
		code, out, errOut := airlock(t, "", "check", p["clean.csv"])
		if code != 0 || out != p["clean.csv"]+": no findings\n" || errOut != "" {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("findings", func(t *testing.T) {
		code, out, errOut := airlock(t, "", "check", p["clean.csv"], p["small.csv"], p["page.html"])
		want := p["clean.csv"] + ": no findings\n" +
			p["small.csv"] + ": 1 finding\n" +
			"  warning small_count: 2 counts between 1 and 7 are not redacted in column 'count'\n" +
			"    cells (data row, column from 1): (1, 2) (3, 2)\n" +
			p["page.html"] + ": 1 finding\n" +
			"  warning html_script: The page has 1 script, which can change what it shows after it has been reviewed: a <script> element on line 1.\n"
		if code != 1 || errOut != "" {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, out, _ := airlock(t, "", "check", "--json", p["small.csv"], p["clean.csv"])
		var got []struct {
			File   string           `json:"file"`
			Checks []checks.Finding `json:"checks"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 {
			t.Fatalf("exit %d, %v:\n%s", code, err, out)
		}
		want := []checks.Finding{{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning,
			Message: "2 counts between 1 and 7 are not redacted in column 'count'", Cells: [][2]int{{0, 1}, {2, 1}}}}
		if len(got) != 2 || got[0].File != p["small.csv"] || !cmp.Equal(got[0].Checks, want) || got[1].Checks != nil {
			t.Errorf("json:\n%s", out)
		}
		if !strings.Contains(out, `"cells": [`) {
			t.Errorf("cells not in the issue's shape:\n%s", out)
		}
	})
	t.Run("config", func(t *testing.T) {
		// Threshold 2: 3 and 4 are no longer small, only unrounded; 1 is
		// small, and small_count is now blocking.
		code, out, _ := airlock(t, "", "check", "--config", p["strict.json"], p["small.csv"], p["tiny.csv"])
		want := p["small.csv"] + ": 1 finding\n" +
			"  warning unrounded: 2 counts in column 'count' are not rounded to a multiple of 5\n" +
			"    cells (data row, column from 1): (1, 2) (3, 2)\n" +
			p["tiny.csv"] + ": 1 finding\n" +
			"  blocking small_count: 1 count between 1 and 2 is not redacted in column 'count'\n" +
			"    cells (data row, column from 1): (1, 1)\n"
		if code != 1 {
			t.Errorf("exit %d", code)
		}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
	})
	t.Run("config from the environment", func(t *testing.T) {
		t.Setenv("AIRLOCK_CHECKS_CONFIG", p["bad.json"])
		code, _, errOut := airlock(t, "", "check", p["clean.csv"])
		if code != 2 || !strings.Contains(errOut, "rules.small_count.threshold: must be at least 1, not 0") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		code, out, errOut := airlock(t, "", "check", "--config", p["bad.json"], p["clean.csv"])
		if code != 2 || out != "" || !strings.Contains(errOut, "Error: checks config "+p["bad.json"]+": rules.small_count.threshold: must be at least 1, not 0") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("unreadable file", func(t *testing.T) {
		code, out, errOut := airlock(t, "", "check", missing, p["small.csv"])
		if code != 2 || !strings.Contains(errOut, "missing.csv: no such file") || !strings.Contains(out, p["small.csv"]+": 1 finding") {
			t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
		}
		code, out, _ = airlock(t, "", "check", "--json", missing)
		if code != 2 || !strings.Contains(out, `"error": "check: open `+missing) {
			t.Errorf("json: exit %d\n%s", code, out)
		}
	})
	t.Run("released", func(t *testing.T) {
		code, out, _ := airlock(t, "", "check", "--released", p["released.csv"], p["clean.csv"])
		if code != 1 || !strings.Contains(out, "1 count in column 'count' differs by 1 to 7 from the same rows of the released file '"+p["released.csv"]+"'") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	t.Run("print config", func(t *testing.T) {
		code, out, _ := airlock(t, "", "check", "--print-config")
		var got checks.Config
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || !cmp.Equal(got, checks.Default()) {
			t.Errorf("exit %d, %v:\n%s", code, err, out)
		}
		if _, err := checks.ParseConfig([]byte(out)); err != nil {
			t.Errorf("the printed configuration does not load: %v", err)
		}
	})
	t.Run("no files", func(t *testing.T) {
		if code, _, errOut := airlock(t, "", "check"); code != 2 || !strings.Contains(errOut, "name at least one file") {
			t.Errorf("exit %d, %q", code, errOut)
		}
	})
}
