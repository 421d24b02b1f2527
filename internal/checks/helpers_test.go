package checks

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// newChecker returns a checker of the default configuration changed by
// edits.
func newChecker(t testing.TB, edits ...func(*Config)) *Checker {
	t.Helper()
	cfg := Default()
	for _, edit := range edits {
		edit(&cfg)
	}
	ck, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

// check runs ck on content named name, failing the test on an error.
func check(t testing.TB, ck *Checker, name, content string, opts ...Option) []Finding {
	t.Helper()
	fs, err := ck.Check(context.Background(), name, strings.NewReader(content), opts...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, f := range fs {
		if !f.Severity.Valid() || f.Message == "" || !slices.Contains(AllRules(), f.Rule) {
			t.Errorf("%s: malformed finding %+v", name, f)
		}
	}
	return fs
}

// cellsByRule gathers the cells of the findings, rule by rule, sorted.
func cellsByRule(fs []Finding) map[Rule][][2]int {
	got := map[Rule][][2]int{}
	for _, f := range fs {
		got[f.Rule] = append(got[f.Rule], f.Cells...)
	}
	for r := range got {
		sortCells(got[r])
	}
	return got
}

func sortCells(cells [][2]int) {
	slices.SortFunc(cells, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
}

// rulesOf lists the rules of the findings, in order.
func rulesOf(fs []Finding) []Rule {
	var rules []Rule
	for _, f := range fs {
		rules = append(rules, f.Rule)
	}
	return rules
}

// messages joins the findings' messages, for test failures.
func messages(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + string(f.Rule) + ": " + f.Message)
	}
	return b.String()
}
