package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestActionScripts(t *testing.T) {
	for _, tc := range []struct{ run, want string }{
		{"python:latest analysis/report.py", "analysis/report.py"},
		{"python:latest analysis/report.py --input output/dataset.csv.gz --round 10", "analysis/report.py"},
		{"r:latest analysis/model.R", "analysis/model.R"},
		{"stata-mp:latest analysis/a.do output/x.dta", "analysis/a.do"},
		{"ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.csv.gz", "analysis/dataset_definition.py"},
		{"cohortextractor:latest generate_cohort --study-definition study_definition", "analysis/study_definition.py"},
		{"cohortextractor:latest generate_cohort --study-definition=study_definition_2", "analysis/study_definition_2.py"},
		{"python:latest ./analysis/a.py analysis/b.py analysis/a.py --config=analysis/conf.sh", "analysis/a.py analysis/b.py analysis/conf.sh"},
		{"python:latest ../../etc/x.py /abs/y.py", ""},
		{"cohortextractor:latest generate_cohort --study-definition ../x", ""},
		{"sqlrunner:latest analysis/query.sql --output output/r.csv", "analysis/query.sql"},
		{"python:latest", ""},
		{"", ""},
	} {
		if got := strings.Join(ActionScripts(tc.run), " "); got != tc.want {
			t.Errorf("ActionScripts(%q) = %q, want %q", tc.run, got, tc.want)
		}
	}
}

func TestCheckCommit(t *testing.T) {
	ok := strings.Repeat("0a", 20)
	if err := CheckCommit(ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"", "abcdef1", ok[:39], ok + "0", strings.ToUpper(ok), "g" + ok[1:], "--" + ok[2:], ok[:39] + "\n"} {
		if err := CheckCommit(c); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("CheckCommit(%q) = %v", c, err)
		}
	}
}

func TestRepoPath(t *testing.T) {
	for _, tc := range []struct{ url, path, name string }{
		{"https://github.com/opensafely/study", "opensafely/study", "study"},
		{"https://github.com/opensafely/study.git", "opensafely/study", "study"},
		{"https://github.com/opensafely/study/", "opensafely/study", "study"},
		{"https://git.example.org/study/", "study", "study"},
		{"https://github.com/opensafely/..", "", ""},
		{"https://github.com/opensafely/.hidden", "", ""},
		{"https://github.com/a/b/c/d/e", "", ""},
		{"https://github.com/opensafely/st%20udy", "", ""},
		{"", "", ""},
		{"not a url", "", ""},
	} {
		p, n, err := RepoPath(tc.url)
		if p != tc.path || n != tc.name || (tc.path == "") != (err != nil) {
			t.Errorf("RepoPath(%q) = %q, %q, %v", tc.url, p, n, err)
		}
	}
}
