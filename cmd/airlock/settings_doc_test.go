package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// setting is one setting of the command line: its variable (if any), its
// flag, its default and the command it belongs to.
type setting struct {
	env, flag, def, cmd string
}

// settingsOf walks the command line's struct tags: every field with a
// variable, and every flag of the long-running commands (serve, worker,
// demo), which are the operator's.
func settingsOf(t reflect.Type, cmd string, out map[string]setting) {
	for f := range t.Fields() {
		tag := f.Tag
		_, isCmd := tag.Lookup("cmd")
		_, isEmbed := tag.Lookup("embed")
		if f.Type.Kind() == reflect.Struct && (isCmd || isEmbed || f.Anonymous) {
			sub := cmd
			if isCmd {
				sub = strings.TrimSpace(cmd + " " + tagName(f))
			}
			settingsOf(f.Type, sub, out)
			continue
		}
		name := tag.Get("name")
		if name == "" || tag.Get("arg") != "" {
			continue
		}
		s := setting{env: tag.Get("env"), flag: "--" + name, def: tag.Get("default"), cmd: cmd}
		switch {
		case s.env != "":
			out[s.env] = s
		case cmd == "serve" || cmd == "worker" || cmd == "demo":
			out[s.flag] = s
		}
	}
}

func tagName(f reflect.StructField) string {
	if n := f.Tag.Get("name"); n != "" {
		return n
	}
	return strings.ToLower(f.Name)
}

// settingRow is a row of a settings table: its first cell names a variable
// (or, for a flag alone, is empty).
var settingRow = regexp.MustCompile("^\\| (`((?:AIRLOCK_)?[A-Z][A-Z_]+)`)? *\\|")

// TestDocsSettingsListsEverySetting keeps docs/settings.md in step with
// internal/config and the commands: every setting has a row naming its
// variable, its flag and its default, and every variable the page names is
// one airlock reads.
func TestDocsSettingsListsEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // variable, or flag for a flag alone → row
	for line := range strings.SplitSeq(string(raw), "\n") {
		m := settingRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := m[2]
		if key == "" {
			cells := strings.Split(line, "|")
			if len(cells) < 3 {
				continue
			}
			key = strings.Trim(strings.TrimSpace(cells[2]), "`")
		}
		rows[key] = line
	}
	settings := map[string]setting{}
	settingsOf(reflect.TypeFor[cli](), "", settings)
	if len(settings) < 25 {
		t.Fatalf("found only %d settings in the command line: %v", len(settings), settings)
	}
	for key, s := range settings {
		row, ok := rows[key]
		if !ok {
			t.Errorf("docs/settings.md has no row for %s (%s, of %q)", key, s.flag, s.cmd)
			continue
		}
		if !strings.Contains(row, "`"+s.flag+"`") {
			t.Errorf("docs/settings.md: the row of %s does not name its flag %s", key, s.flag)
		}
		if s.def != "" && !strings.Contains(row, "`"+s.def+"`") {
			t.Errorf("docs/settings.md: the row of %s does not give its default `%s`", key, s.def)
		}
	}
	for key := range rows {
		if _, ok := settings[key]; !ok && strings.HasPrefix(key, "AIRLOCK_") && key != "AIRLOCK_TEST_DATABASE_URL" {
			t.Errorf("docs/settings.md names %s, which airlock does not read", key)
		}
	}
}

// TestOperatorsGuideNamesEveryServerSetting: the operators' guide built
// into the binary (/docs/operators) has its own table of the server's
// settings; it must name every one of them too.
func TestOperatorsGuideNamesEveryServerSetting(t *testing.T) {
	raw, err := os.ReadFile("../../internal/web/docs/operators.md")
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]setting{}
	settingsOf(reflect.TypeFor[serveCmd](), "serve", settings)
	settingsOf(reflect.TypeFor[cli](), "", settings)
	checked := 0
	for key, s := range settings {
		if s.env == "" || strings.HasPrefix(s.cmd, "client") {
			continue
		}
		checked++
		if !strings.Contains(string(raw), "`"+key+"`") {
			t.Errorf("internal/web/docs/operators.md does not name %s (docs/settings.md has every setting)", key)
		}
	}
	if checked < 20 {
		t.Errorf("only %d server settings found", checked)
	}
}
