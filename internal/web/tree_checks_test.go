package web

import (
	"slices"
	"testing"

	"github.com/airlock-go/airlock/internal/checks"
)

// TestChecksGroupedByRule: the findings of a rule make one line naming
// its columns and counting its cells, the most severe rule first.
func TestChecksGroupedByRule(t *testing.T) {
	var found []checks.Finding
	for _, col := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		found = append(found, checks.Finding{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning,
			Message: "2 counts between 1 and 7 are not redacted in column '" + col + "'", Cells: [][2]int{{0, 1}, {3, 1}}})
	}
	found = append(found,
		checks.Finding{Rule: checks.RuleMinMax, Severity: checks.SeverityBlocking, Message: "Column 'max_age' holds minimum or maximum values (3 values)", Cells: [][2]int{{1, 2}}},
		checks.Finding{Rule: checks.RuleSmallCount, Severity: checks.SeverityWarning, Message: "1 count between 1 and 7 is not redacted in column 'a'", Cells: [][2]int{{9, 1}}},
		checks.Finding{Rule: checks.RuleTypeMismatch, Severity: checks.SeverityInfo, Message: "The file's name ends in .csv, but its content is HTML."},
	)
	v := newChecksView(found)
	if !v.Blocking || len(v.Groups) != 3 {
		t.Fatalf("blocking %v, %d groups, want 3", v.Blocking, len(v.Groups))
	}
	tests := []struct {
		rule, severity string
		columns        []string
		more, cells    int
		messages       int
	}{
		{"min_max", "blocking", []string{"max_age"}, 0, 1, 1},
		{"small_count", "warning", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, 4, 25, 13},
		{"type_mismatch", "info", nil, 0, 0, 1},
	}
	for i, tt := range tests {
		g := v.Groups[i]
		if g.Rule != tt.rule || g.Severity != tt.severity || !slices.Equal(g.Columns, tt.columns) || g.MoreColumns != tt.more || g.Cells != tt.cells || len(g.Messages) != tt.messages {
			t.Errorf("group %d: %+v, want %+v", i, g, tt)
		}
	}
	if g := v.Groups[1]; g.Label != "Small counts" {
		t.Errorf("label %q", g.Label)
	}
}
