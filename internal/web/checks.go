package web

import (
	"cmp"
	"regexp"
	"slices"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
)

// checksView is what a file page shows of the disclosure checks: the
// findings grouped by rule, one line per rule.
type checksView struct {
	Checked  bool // the checks ran (false when they could not)
	Error    string
	Groups   []checkGroup
	Blocking bool // some finding is blocking
	Override *domain.ChecksOverride
	// The author's override form, on request file pages.
	CanOverride bool
	OverrideURL string
}

// checkGroup is the findings of one rule: the columns they name and the
// cells they mark, with each finding's message kept for the details.
type checkGroup struct {
	Rule, Label, Severity string
	Columns               []string // the columns named, in the order found
	MoreColumns           int      // columns named beyond those listed
	Cells                 int      // cells marked in the table
	Messages              []string // one per finding
}

// maxGroupColumns bounds the columns a rule's line names.
const maxGroupColumns = 8

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

// columnRe finds the column a CSV finding's message names (the checks
// write "in column 'NAME'" or "Column 'NAME' holds").
var columnRe = regexp.MustCompile(`(?i)\bcolumn '([^']*)'`)

func severityRank(s string) int {
	switch checks.Severity(s) {
	case checks.SeverityBlocking:
		return 2
	case checks.SeverityWarning:
		return 1
	}
	return 0
}

func newChecksView(found []checks.Finding) checksView {
	v := checksView{Checked: true}
	at := map[checks.Rule]int{}
	for _, f := range found {
		i, ok := at[f.Rule]
		if !ok {
			label := ruleLabels[f.Rule]
			if label == "" {
				label = string(f.Rule)
			}
			i = len(v.Groups)
			at[f.Rule] = i
			v.Groups = append(v.Groups, checkGroup{Rule: string(f.Rule), Label: label, Severity: string(f.Severity)})
		}
		g := &v.Groups[i]
		if severityRank(string(f.Severity)) > severityRank(g.Severity) {
			g.Severity = string(f.Severity)
		}
		g.Cells += len(f.Cells)
		g.Messages = append(g.Messages, f.Message)
		if m := columnRe.FindStringSubmatch(f.Message); m != nil && !slices.Contains(g.Columns, m[1]) {
			if len(g.Columns) < maxGroupColumns {
				g.Columns = append(g.Columns, m[1])
			} else {
				g.MoreColumns++
			}
		}
		v.Blocking = v.Blocking || f.Severity == checks.SeverityBlocking
	}
	// The most severe first; rules of one severity in the checks' order.
	slices.SortStableFunc(v.Groups, func(a, b checkGroup) int { return cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)) })
	return v
}
