package web

import (
	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
)

// checksView is what a file page shows of the disclosure checks.
type checksView struct {
	Checked  bool // the checks ran (false when they could not)
	Error    string
	Rows     []checkRow
	Blocking bool // some finding is blocking
	Override *domain.ChecksOverride
	// The author's override form, on request file pages.
	CanOverride bool
	OverrideURL string
}

// checkRow is one finding.
type checkRow struct {
	Rule, Label, Severity, Message string
	Cells                          int
}

// ruleLabels name the rules for people.
var ruleLabels = map[checks.Rule]string{
	checks.RuleSmallCount:    "Small counts",
	checks.RuleUnrounded:     "Unrounded counts",
	checks.RuleMinMax:        "Minimum or maximum values",
	checks.RuleDifferencing:  "Differencing with a released table",
	checks.RuleHTMLScript:    "Scripts in HTML",
	checks.RuleHTMLExternal:  "Content from other sites",
	checks.RuleSVGScript:     "Scripts in SVG",
	checks.RuleImageMetadata: "Hidden image metadata",
	checks.RuleTypeMismatch:  "Content does not match its extension",
}

func newChecksView(found []checks.Finding) checksView {
	v := checksView{Checked: true}
	for _, f := range found {
		label := ruleLabels[f.Rule]
		if label == "" {
			label = string(f.Rule)
		}
		v.Rows = append(v.Rows, checkRow{Rule: string(f.Rule), Label: label, Severity: string(f.Severity), Message: f.Message, Cells: len(f.Cells)})
		v.Blocking = v.Blocking || f.Severity == checks.SeverityBlocking
	}
	return v
}
