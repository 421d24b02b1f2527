package checks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Columns.Counts[0] = "changed"
	if Default().Columns.Counts[0] == "changed" {
		t.Error("Default shares its lists between calls")
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{``, "the file is empty; write {} for the defaults"},
		{`{"rules": `, "the JSON ends too early"},
		{"{\n  \"rules\": {,}\n}", "line 2, column 13: invalid character ','"},
		{`{} {}`, "line 1, column 4: more JSON after the settings object"},
		{`[1]`, "the settings: must be an object {…}, not [1]"},
		{`{"colums": {}}`, `the settings: unknown setting "colums" (known: columns, max_cells, redaction_markers, rules)`},
		{`{"rules": {"nope": {}}}`, `rules: unknown setting "nope" (known: differencing, html_external, html_script, image_metadata, min_max, small_count, svg_script, type_mismatch, unrounded)`},
		{`{"rules": {"small_count": {"thresold": 7}}}`, `rules.small_count: unknown setting "thresold" (known: enabled, severity, threshold, zero)`},
		{`{"rules": {"small_count": {"threshold": "7"}}}`, `rules.small_count.threshold: must be a whole number, not "7"`},
		{`{"rules": {"small_count": {"threshold": 7.5}}}`, `rules.small_count.threshold: must be a whole number, not 7.5`},
		{`{"rules": {"small_count": {"threshold": 0}}}`, `rules.small_count.threshold: must be at least 1, not 0`},
		{`{"rules": {"small_count": {"threshold": -3}}}`, `rules.small_count.threshold: must be at least 1, not -3`},
		{`{"rules": {"small_count": {"zero": "yes"}}}`, `rules.small_count.zero: must be true or false, not "yes"`},
		{`{"rules": {"unrounded": {"base": 1}}}`, `rules.unrounded.base: must be at least 2, not 1`},
		{`{"rules": {"differencing": {"max_released_rows": 0}}}`, `rules.differencing.max_released_rows: must be at least 1, not 0`},
		{`{"rules": {"html_script": {"severity": "high"}}}`, `rules.html_script.severity: must be one of info, warning, blocking, not "high"`},
		{`{"rules": {"html_script": {"severity": 3}}}`, `rules.html_script.severity: must be one of "info", "warning", "blocking", not 3`},
		{`{"rules": {"html_script": {"enabled": 1}}}`, `rules.html_script.enabled: must be true or false, not 1`},
		{`{"rules": {"min_max": null}}`, `rules.min_max: null is not a value; leave the setting out to keep its default`},
		{`{"rules": []}`, `rules: must be an object {…}, not []`},
		{`{"columns": {"counts": "n"}}`, `columns.counts: must be a list of strings, not "n"`},
		{`{"columns": {"counts": [1]}}`, `columns.counts: must be a list of strings, not [1]`},
		{`{"columns": {"not_counts": ["year", " - "]}}`, `columns.not_counts[1]: pattern " - " has no letters or digits`},
		{`{"redaction_markers": null}`, `redaction_markers: null is not a value`},
		{`{"redaction_markers": ["ok", "tab\there"]}`, `redaction_markers[1]: marker "tab\there" contains a control character`},
		{`{"max_cells": 0}`, `max_cells: must be at least 1, not 0`},
		{`{"max_cells": 0, "rules": {"unrounded": {"base": 0}}}`, "rules.unrounded.base: must be at least 2, not 0\nmax_cells: must be at least 1, not 0"},
	}
	for _, tt := range tests {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n got %v\nwant %s", tt.json, err, tt.want)
		}
	}
}

func TestParseConfigOverDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{
		"rules": {
			"small_count": {"threshold": 10, "severity": "blocking"},
			"unrounded": {"midpoint6": true},
			"image_metadata": {"enabled": false}
		},
		"columns": {"counts": ["cases"]},
		"redaction_markers": []
	}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Rules.SmallCount.Threshold = 10
	want.Rules.SmallCount.Severity = SeverityBlocking
	want.Rules.Unrounded.Midpoint6 = true
	want.Rules.ImageMetadata.Enabled = false
	want.Columns.Counts = []string{"cases"}
	want.RedactionMarkers = []string{}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cfg, err := ParseConfig([]byte("{}")); err != nil || !cmp.Equal(cfg, Default()) {
		t.Errorf("{}: %v %+v", err, cfg)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checks.json")
	os.WriteFile(path, []byte(`{"rules": {"small_count": {"threshold": 0}}}`), 0o600)
	_, err := LoadConfig(path)
	if err == nil || err.Error() != "checks config "+path+": rules.small_count.threshold: must be at least 1, not 0" {
		t.Errorf("error %v", err)
	}
	_, err = LoadConfig(filepath.Join(dir, "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "rules.small_count.severity: must be one of info, warning, blocking") {
		t.Errorf("zero Config: %v", err)
	}
}

// TestREADMEExample parses the example configuration of the README's
// "Disclosure checks" section, so that the documentation stays true.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("no README:", err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Disclosure checks\n")
	if !ok {
		t.Fatal(`README has no "## Disclosure checks" section`)
	}
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the section has no JSON example")
	}
	if _, err := ParseConfig([]byte(m[1])); err != nil {
		t.Errorf("README example: %v", err)
	}
}
